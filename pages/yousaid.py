"""You said, we did: the script Streamlit runs for this page;
``pages.views.yousaid`` draws it."""

from pages.views import _common as c
from pages.views import yousaid

c.through_navigation(__file__)
yousaid.render()
