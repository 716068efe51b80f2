"""Definitions: the script Streamlit runs for this page; ``pages.views.definitions`` draws it."""

from pages.views import _common as c
from pages.views import definitions

c.through_navigation(__file__)
definitions.render()
