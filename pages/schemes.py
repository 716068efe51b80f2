"""Schemes: the script Streamlit runs for this page; ``pages.views.schemes`` draws it."""

from pages.views import _common as c
from pages.views import schemes

c.through_navigation(__file__)
schemes.render()
