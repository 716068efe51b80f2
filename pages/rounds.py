"""Survey rounds: the script Streamlit runs for this page; ``pages.views.rounds`` draws it."""

from pages.views import _common as c
from pages.views import rounds

c.through_navigation(__file__)
rounds.render()
