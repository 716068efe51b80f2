"""A link reproduces the view: each page's own choices ride in the URL with the sidebar's.

For each explore page a person makes the page's choices (indicator, breakdown,
question, comparison, the tab open...) and a region in the sidebar; the address
bar's link, opened in a fresh browser context (a new session, nothing
remembered), shows the same choices, the same tab and the same charts.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import TYPE_CHECKING

import pytest

from pages.views import indicator, regions, schemes
from tests.browser.conftest import TIMEOUT_MS, App, click_tab, opened_fresh

if TYPE_CHECKING:
    from tests.browser.conftest import Server

pytestmark = pytest.mark.browser


def choose(
    app: App, label: str, option: str, key: str, value: str, *, sidebar: bool = False
) -> None:
    """Pick ``option`` in the select box labelled ``label`` (main area or sidebar) and
    wait until the link carries ``key=value``: every choice on these pages is kept in
    the URL, which the script updates as it runs. Waiting for that value (not for any
    change of address) also holds when the option was already chosen."""
    wanted = app.page.get_by_role("option", name=option, exact=True)
    # A box redrawn by the rerun before can swallow a click (on the box or on the
    # option, seen on a loaded machine): try again until the choice reaches the URL.
    for attempt in range(3):
        if _carries(app, {key: value}, timeout=1000 if attempt else 0):
            break
        box(app, label, sidebar=sidebar).click()
        try:
            wanted.wait_for(timeout=5000)
            wanted.click()
        except Exception:  # noqa: BLE001 - Playwright's timeout: try again
            app.page.keyboard.press("Escape")
            continue
        if _carries(app, {key: value}, timeout=30_000):
            break
    else:
        the_link(app, {key: value})  # fails, naming what the address lacks
    app.idle()


def _carries(app: App, expected: dict[str, str], timeout: float) -> bool:
    """Whether the address bar carries ``expected`` within ``timeout`` milliseconds."""
    try:
        the_link(app, expected, timeout=timeout or 1)
    except Exception:  # noqa: BLE001 - Playwright's timeout
        return False
    return True


def box(app: App, label: str, *, sidebar: bool = False):
    """The select box labelled ``label`` in the main area or the sidebar."""
    area = app.page.get_by_test_id("stSidebar" if sidebar else "stMain")
    return area.get_by_role("combobox", name=label, exact=True)


def tick(app: App, option: str) -> None:
    """Pick a radio button of the main area by its words."""
    before = app.page.url
    app.page.get_by_test_id("stMain").get_by_text(option, exact=True).click()
    settled(app, before)


def open_tab(app: App, label: str) -> None:
    """Open the tab called ``label`` (``conftest.click_tab``) and wait out its run."""
    click_tab(app.page, label)
    app.idle()


def settled(app: App, before: str) -> None:
    """Wait for the rerun a choice starts: every choice on these pages is kept in the
    URL, which the script updates as it runs; then for the script to finish."""
    app.page.wait_for_function("(url) => location.href !== url", arg=before)
    app.idle()


def view(app: App) -> dict[str, object]:
    """What the page shows: heading, every choice (select boxes, radios, open tabs)
    and chart titles."""
    page = app.page
    return {
        "heading": app.heading(),
        "tabs": page.get_by_role("tab", selected=True).all_inner_texts(),
        "boxes": page.get_by_test_id("stSelectbox").all_inner_texts(),
        "radios": page.locator(
            '[data-testid="stRadio"] label:has(input:checked)'
        ).all_inner_texts(),
        "charts": page.locator('[data-testid="stPlotlyChart"] .gtitle').all_inner_texts(),
    }


def reopen(browser, server: Server, url: str) -> tuple[dict[str, object], str]:
    """The link in a fresh browser context: its view and the address it settles on."""
    with opened_fresh(browser, server, url) as other:
        return view(other), other.page.url


def params(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def the_link(app: App, expected: dict[str, str], timeout: float = TIMEOUT_MS) -> str:
    """The address bar once it carries ``expected`` (Streamlit updates it after a run)."""
    app.page.wait_for_function(
        "(want) => { const q = new URLSearchParams(location.search);"
        " return Object.entries(want).every(([k, v]) => q.get(k) === v); }",
        arg=expected,
        timeout=timeout,
    )
    return app.page.url


# page, choices made (select box label -> option and the URL parameter it sets,
# radio words, or a tab's label), the URL it must carry
CASES = {
    # The breakdown chosen in its tab is still chosen after a visit to another tab.
    "indicator": (
        [("box", "Indicator", "Mental wellbeing (SWEMWBS) (Wellbeing)", "khi"),
         ("tab", None, indicator.BY_GROUP, None),
         ("box", "Break down by", "Age band", "by"),
         ("tab", None, indicator.CONTROL, None), ("tab", None, indicator.BY_GROUP, None)],
        {"khi": "swemwbs_mean", "by": "age_band", "region": "London",
         indicator.VIEWS_KEY: indicator.BY_GROUP},
    ),
    "schemes": (
        [("box", "Indicator", "Often or always lonely (Connection)", "khi"),
         ("radio", None, "Only this region's", None), ("tab", None, schemes.RANKED, None),
         ("radio", None, "Its region", None)],
        {"khi": "lonely_often", "show": "alone", "vs": "region", "region": "London",
         schemes.VIEWS_KEY: schemes.RANKED},
    ),
    "change": (
        [("radio", None, "Change in number of friends", None),
         ("box", "Break down by", "Age band", "by")],
        {"khi": "friends_change", "by": "age_band", "region": "London"},
    ),
    "regions": (
        [("box", "Indicator", "Often or always lonely (Connection)", "khi"),
         ("tab", None, regions.TRENDS, None)],
        {"khi": "lonely_often", "region": "London", regions.VIEWS_KEY: regions.TRENDS},
    ),
}


@pytest.mark.parametrize("path", list(CASES))
def test_a_pages_link_opens_the_same_view_in_a_fresh_browser(
    app: App, browser, server: Server, path: str
) -> None:
    steps, expected = CASES[path]
    app.open(path)
    choose(app, "Region", "London", "region", "London", sidebar=True)
    for kind, label, option, key in steps:
        if kind == "box":
            choose(app, label, _option(app, label, option), key, expected[key])
        elif kind == "tab":
            open_tab(app, option)
        else:
            tick(app, option)
    assert app.exceptions() == []
    url = the_link(app, expected)
    before = view(app)
    after, settled = reopen(browser, server, url)
    assert after == before
    for key, value in expected.items():  # and the reopened page keeps them in its URL
        assert params(settled).get(key) == value, (key, settled)


def options(app: App, label: str) -> list[str]:
    """The options the select box labelled ``label`` shows when opened (its first
    screenful: the list draws only what it shows)."""
    for _ in range(3):  # a first click can leave the list shut
        box(app, label).click()
        try:
            app.page.get_by_role("option").first.wait_for(timeout=5000)
            break
        except Exception:  # noqa: BLE001 - Playwright's timeout: click again
            app.page.keyboard.press("Escape")
    texts = app.page.get_by_role("option").all_inner_texts()
    app.page.keyboard.press("Escape")
    return texts


def _option(app: App, label: str, wanted: str) -> str:
    """The option's exact words on screen: the catalogue's names may differ in case
    or detail from the test's, so match the start, ignoring case."""
    offered = options(app, label)
    start = re.split(r" \(", wanted)[0].lower()
    for text in offered:
        if text.lower().startswith(start):
            return text
    raise AssertionError(f"no option like {wanted!r} in {label!r}: {offered[:10]}")
