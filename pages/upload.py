"""Upload: the script Streamlit runs for this page; ``pages.views.upload`` draws it."""

from pages.views import _common as c
from pages.views import upload

c.through_navigation(__file__)
upload.render()
