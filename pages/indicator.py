"""Indicator detail: the script Streamlit runs for this page; ``pages.views.indicator`` draws it."""

from pages.views import _common as c
from pages.views import indicator

c.through_navigation(__file__)
indicator.render()
