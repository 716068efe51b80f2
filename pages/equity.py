"""Equity: the script Streamlit runs for this page; ``pages.views.equity`` draws it."""

from pages.views import _common as c
from pages.views import equity

c.through_navigation(__file__)
equity.render()
