"""Regions: the script Streamlit runs for this page; ``pages.views.regions`` draws it."""

from pages.views import _common as c
from pages.views import regions

c.through_navigation(__file__)
regions.render()
