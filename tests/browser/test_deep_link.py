"""A shared link is the first thing a restarted dashboard is asked for.

Streamlit runs a ``pages/`` folder as an old-style multipage app until some
session has run the entry script's ``st.navigation``; the pages route such a run
back through dashboard.py (``pages.views.menu.through_navigation``). Without that,
this link would show the page alone: no filters, the empty-store message and
every file of ``pages/`` in the sidebar.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING

import pytest

from kpi.indicators import available_quarters
from kpi.periods import quarter_label
from tests.browser.conftest import IDLE, NO_SKELETON, TIMEOUT_MS, App

if TYPE_CHECKING:
    from tests.browser.conftest import Server

pytestmark = pytest.mark.browser


def test_a_shared_link_opened_first_after_a_restart_keeps_its_view(
    browser, fresh_server: Server
) -> None:
    first = quarter_label(available_quarters(fresh_server.store)[0])  # not the default
    query = urllib.parse.urlencode({"region": "London", "quarter": first})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        tab = context.new_page()
        tab.goto(f"{fresh_server.url}/equity?{query}")  # the process's very first request
        tab.wait_for_selector("h1", timeout=TIMEOUT_MS)
        tab.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
        tab.wait_for_function(NO_SKELETON, timeout=TIMEOUT_MS)
        app = App(tab, fresh_server)
        assert app.heading() == "Equity"
        assert app.exceptions() == []
        nav = app.menu().inner_text()
        assert "Quarterly board page" in nav and "Data quality" in nav  # dashboard.py's menu
        assert "_common" not in nav and "charts" not in nav
        main = tab.get_by_test_id("stMain").inner_text()
        assert "no survey data yet" not in main
        assert f"London · {first}" in main  # the link's filters stand: area and quarter
    finally:
        context.close()
