"""What goes with better outcomes: the script Streamlit runs; ``pages.views.drivers`` draws it."""

from pages.views import _common as c
from pages.views import drivers

c.through_navigation(__file__)
drivers.render()
