"""Change over time: the script Streamlit runs for this page; ``pages.views.change`` draws it."""

from pages.views import _common as c
from pages.views import change

c.through_navigation(__file__)
change.render()
