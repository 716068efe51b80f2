"""All indicators at a glance in Chromium, at 1400 and 800 px: axe-core finds no
serious or critical violation, a wide grid scrolls inside its own focusable region
(never the page), and a cell opens Indicator detail on that KHI and area."""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING

import pytest

from tests.browser.test_accessibility import axe_violations, describe

if TYPE_CHECKING:
    from tests.browser.conftest import App

pytestmark = pytest.mark.browser

TITLE = "All indicators at a glance"


@pytest.mark.parametrize("width", (1400, 800))
def test_the_grid_reads_at_1400_and_800_px(app: App, width: int) -> None:
    app.page.set_viewport_size({"width": width, "height": 900})
    # A region's schemes side by side: the widest grid a commissioner opens.
    app.open("grid", region="London", columns="scheme")
    assert app.heading() == TITLE
    assert not app.exceptions()
    violations = axe_violations(app)
    assert not violations, describe(violations)
    region = app.page.get_by_role("region", name="Every indicator by scheme, London")
    assert region.count() == 1
    sizes = region.evaluate("(el) => [el.scrollWidth, el.clientWidth, el.tabIndex]")
    assert sizes[2] == 0  # the keyboard can reach it, and scroll it
    page_wider = app.page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            return main.scrollWidth - main.clientWidth;
        }"""
    )
    assert page_wider <= 1, f"the page is {page_wider}px wider than the window"
    if width == 800:
        assert sizes[0] > sizes[1]  # the grid is wider than the window: it scrolls inside
    cells = region.get_by_role("link")
    assert cells.count() > 100
    app.screenshot(f"grid_london_schemes_{width}")
    app.open("grid")
    app.screenshot(f"grid_regions_{width}")


def test_a_cell_opens_that_khi_for_that_area(app: App) -> None:
    app.page.set_viewport_size({"width": 1400, "height": 900})
    app.open("grid")
    cell = app.page.get_by_role("link", name="Often or always lonely, London:", exact=False)
    cell = cell.first
    name = cell.get_attribute("aria-label") or ""
    assert name.startswith("Often or always lonely, London: ")
    href = cell.get_attribute("href") or ""
    cell.click()
    app.page.wait_for_url("**/indicator?**")
    app.page.wait_for_selector("h1")
    app.idle()
    assert app.heading() == "Indicator detail"
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(app.page.url).query))
    wanted = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(href).query))
    assert params["khi"] == wanted["khi"] and params["region"] == "London"
    # The page opened on them: the run chart is that indicator's, in London.
    titles = " ".join(
        app.page.locator('[data-testid="stPlotlyChart"] .gtitle').all_text_contents()
    )
    assert "Often or always lonely" in titles and "London" in titles, titles
    assert not app.exceptions()
