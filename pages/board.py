"""Quarterly board page: the script Streamlit runs for this page; ``pages.views.board`` draws it."""

from pages.views import _common as c
from pages.views import board

c.through_navigation(__file__)
board.render()
