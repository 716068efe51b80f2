"""Data quality: the script Streamlit runs for this page; ``pages.views.data_quality`` draws it."""

from pages.views import _common as c
from pages.views import data_quality

c.through_navigation(__file__)
data_quality.render()
