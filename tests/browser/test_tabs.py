"""The Schemes and Regions pages show one view at a time, in tabs.

A click on a tab shows its view (and only its view: the others are not drawn,
which is what keeps the pages quick) and puts the tab in the address, so a link
opens on the same tab; the first tab leaves the address clean, and another page
of the menu carries no tab of these pages.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from kpi import indicators as engine
from pages.views import regions, schemes
from tests.browser import test_shared_links as links
from tests.browser.conftest import App, opened_fresh
from tests.browser.test_shared_links import choose, options, params, the_link, tick

if TYPE_CHECKING:
    from tests.browser.conftest import Server

pytestmark = pytest.mark.browser


def open_tab(app: App, label: str, shown: Callable[[], bool]) -> None:
    """Click the tab called ``label``, wait for its run (``links.open_tab``), then
    until ``shown()`` holds (a view's later elements may still be arriving)."""
    links.open_tab(app, label)
    deadline = time.monotonic() + 30
    while not shown():
        assert time.monotonic() < deadline, (label, charts(app), grids(app))
        app.page.wait_for_timeout(250)
    app.idle()  # the run that drew it has finished: the other views are gone


def selected(app: App) -> list[str]:
    """The labels of the open tabs, one per set of tabs on the page."""
    return app.page.get_by_role("tab", selected=True).all_inner_texts()


def charts(app: App) -> list[str]:
    """The keys of the plotly charts drawn (each chart's container carries its
    key as the class ``st-key-<key>``), in page order."""
    return app.page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(d => {
               const box = d.closest('[class*="st-key-"]');
               const found = box && [...box.classList].find(c => c.startsWith('st-key-'));
               return found ? found.slice(7) : '';
           })"""
    )


def grids(app: App) -> int:
    return app.page.get_by_test_id("stDataFrame").count()


def checked(app: App) -> list[str]:
    return app.page.locator('[data-testid="stRadio"] label:has(input:checked)').all_inner_texts()


def reopen(browser, server: Server, url: str) -> dict[str, object]:
    """The link in a fresh browser context (a new session): its open tabs, charts,
    grids, radios and the address it settles on."""
    with opened_fresh(browser, server, url) as other:
        return {"tabs": selected(other), "charts": charts(other), "grids": grids(other),
                "radios": checked(other), "url": other.page.url}


def test_a_clicked_schemes_tab_shows_its_view_and_rides_in_the_url(
    app: App, browser, server: Server
) -> None:
    app.open("schemes")
    assert selected(app) == [schemes.FUNNEL]  # the first tab
    assert charts(app) == ["schemes_funnel"]
    assert grids(app) == 0  # no table of schemes
    assert schemes.VIEWS_KEY not in params(app.page.url)
    # The ranked chart: its tab, its chart alone, and the tab in the address.
    open_tab(app, schemes.RANKED, lambda: "schemes_ranked" in charts(app))
    the_link(app, {schemes.VIEWS_KEY: schemes.RANKED})
    assert charts(app) == ["schemes_ranked"]  # no funnel left
    tick(app, "Its region")  # the benchmark is chosen beside the ranked chart
    the_link(app, {"vs": "region"})
    # The table: a grid, no chart, and the same benchmark.
    open_tab(app, schemes.TABLE, lambda: grids(app) == 1)
    url = the_link(app, {schemes.VIEWS_KEY: schemes.TABLE, "vs": "region"})
    assert selected(app) == [schemes.TABLE]
    assert grids(app) == 1 and app.page.get_by_role("button", name="Table (CSV)").is_visible()
    assert charts(app) == []
    assert "Its region" in checked(app)
    assert app.exceptions() == []
    # The link opens the same tab in a fresh browser.
    after = reopen(browser, server, url)
    assert after["tabs"] == [schemes.TABLE] and after["grids"] == 1
    assert params(after["url"]).get(schemes.VIEWS_KEY) == schemes.TABLE
    assert "Its region" in after["radios"]
    # The profile: its chart and its table (read, not sorted: no grid), nothing else.
    open_tab(app, schemes.PROFILE, lambda: charts(app) == ["schemes_spine"])
    the_link(app, {schemes.VIEWS_KEY: schemes.PROFILE})
    assert grids(app) == 0
    profile = app.page.get_by_role("region", name=re.compile("across every indicator"))
    assert profile.get_by_role("row").count() > 5
    app.screenshot("schemes_profile_tab")
    # Back to the first tab: the address is clean again, the benchmark still chosen.
    open_tab(app, schemes.FUNNEL, lambda: "schemes_funnel" in charts(app))
    app.page.wait_for_function(
        "(key) => !new URLSearchParams(location.search).has(key)", arg=schemes.VIEWS_KEY
    )
    assert charts(app) == ["schemes_funnel"]
    assert params(app.page.url).get("vs") == "region"
    assert app.exceptions() == []


def test_the_schemes_tabs_keep_each_others_choices(app: App) -> None:
    """The profile's scheme is a widget drawn in its tab only, the comparison's
    choices in theirs; switching tabs must lose neither."""
    app.open("schemes")
    open_tab(app, schemes.RANKED, lambda: "schemes_ranked" in charts(app))
    tick(app, "Its region")
    open_tab(app, schemes.PROFILE, lambda: charts(app) == ["schemes_spine"])
    first = the_link(app, {schemes.VIEWS_KEY: schemes.PROFILE})
    register = app.server.store.schemes().set_index("scheme_id")
    table = engine.indicator_table(app.server.store, by=["scheme"])  # latest quarter
    shown = table.groupby("scheme")["value"].count()
    offered = options(app, "Scheme")  # the list's first screenful
    other = next(  # another scheme with a chart to show
        s for s in register.index
        if register.loc[s, "name"] in offered and shown.get(s, 0) > 0
        and s != params(first).get("profile")
    )
    choose(app, "Scheme", str(register.loc[other, "name"]), "profile", other)
    open_tab(app, schemes.RANKED, lambda: "schemes_ranked" in charts(app))
    assert "Its region" in checked(app)  # the comparison's choice, kept
    open_tab(app, schemes.PROFILE, lambda: charts(app) == ["schemes_spine"])
    the_link(app, {"profile": other, "vs": "region"})
    # The line on the scheme names the one chosen, not the tab's first choice.
    line = app.page.get_by_test_id("stMain").get_by_text("CQC rating:")
    assert str(register.loc[other, "name"]) in line.inner_text()
    assert app.exceptions() == []


def test_a_clicked_regions_tab_shows_its_view_and_no_other_page_carries_it(
    app: App, browser, server: Server
) -> None:
    app.open("regions")
    assert selected(app) == [regions.MAP]
    assert charts(app) == ["regions_map", "regions_ranked"] and grids(app) == 0
    wanted = {
        regions.TABLE: lambda: grids(app) == 1 and charts(app) == [],  # no map left
        regions.TRENDS: lambda: charts(app) == ["regions_trends"] and grids(app) == 0,
        regions.SECTOR: lambda: charts(app) == ["regions_people", "regions_growth"],
    }
    for label, shown in wanted.items():
        open_tab(app, label, shown)
        url = the_link(app, {regions.VIEWS_KEY: label})
        assert selected(app) == [label]
        assert shown(), (label, charts(app), grids(app))  # and nothing else
        assert app.page.get_by_role("button", name="Regions table (CSV)").is_visible()
    assert app.exceptions() == []
    after = reopen(browser, server, url)  # the last tab's link
    assert after["tabs"] == [regions.SECTOR]
    assert params(after["url"]).get(regions.VIEWS_KEY) == regions.SECTOR
    assert after["charts"] == ["regions_people", "regions_growth"]
    # Another page of the menu: no tab of this one in its address, nothing broken.
    app.navigate("Overview")
    assert regions.VIEWS_KEY not in params(app.page.url)
    assert app.exceptions() == []
