"""Overview: the script Streamlit runs for this page; ``pages.views.overview`` draws it."""

from pages.views import _common as c
from pages.views import overview

c.through_navigation(__file__)
overview.render()
