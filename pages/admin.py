"""Admin: the script Streamlit runs for this page; ``pages.views.admin`` draws it."""

from pages.views import _common as c
from pages.views import admin

c.through_navigation(__file__)
admin.render()
