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


def test_a_link_opened_first_after_a_restart_with_sign_in_on_asks_to_sign_in(
    browser, tmp_path
) -> None:
    # Seen by the rounds work: with sign-in on, the page script stopped a signed-out
    # visitor before leaving Streamlit's old multipage mode, so the first link after a
    # restart showed a blank page and every file of pages/ instead of the sign-in page.
    from kpi.demo import load_demo
    from kpi.store import Store
    from tests.browser.test_signin import SIGN_IN_TEXT, signed_in_site

    store = Store(tmp_path / "khi.duckdb")
    load_demo(store, people=600, quarters=1, seed=5)
    with signed_in_site(store, tmp_path) as (url, _provider):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        try:
            tab = context.new_page()
            tab.goto(f"{url}/equity?region=London")  # the process's very first session
            tab.get_by_text(SIGN_IN_TEXT).first.wait_for(timeout=TIMEOUT_MS)
            sidebar = tab.get_by_test_id("stSidebar")
            listed = sidebar.inner_text() if sidebar.count() else ""
            assert "_common" not in listed and "data quality" not in listed.lower()
        finally:
            context.close()
