"""All indicators at a glance: the script Streamlit runs for this page;
``pages.views.grid`` draws it."""

from pages.views import _common as c
from pages.views import grid

c.through_navigation(__file__)
grid.render()
