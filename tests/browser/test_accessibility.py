"""WCAG 2.2 AA in the real browser: axe-core on every page at 1400 and 800 px wide.

axe-core (npm package ``axe-core``, pinned in tests/browser/package.json and
installed by ``make test`` with ``npm ci``) is injected into each page once the
script has finished; no serious or critical violation may remain. The same run
checks what axe cannot: every chart has a text alternative, focus is visible,
nothing is wider than the window at 800 px, and printing leaves out the sidebar.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pages.views._common import menu_pages

if TYPE_CHECKING:
    from tests.browser.conftest import App

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1400, 800)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def page_paths() -> list[tuple[str, str]]:
    """(URL path, title) of every page of the menu: pages/schemes.py -> schemes."""
    return [(Path(script).stem, title) for script, title, _ in menu_pages()]


def axe_violations(app: App) -> list[dict]:
    """Serious and critical violations axe-core finds in the page as it stands."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/browser` (make test does)")
    app.page.add_script_tag(path=str(AXE))
    result = app.page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
                count: v.nodes.length}));
        }""",
        TAGS,
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=1)[:4000]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_or_critical_axe_violation_on_any_page(app: App, width: int) -> None:
    app.page.set_viewport_size({"width": width, "height": 900})
    found: dict[str, list[dict]] = {}
    for path, title in page_paths():
        app.open(path)
        assert app.heading() == title
        violations = axe_violations(app)
        if violations:
            found[title] = violations
        if width in WIDTHS:
            app.screenshot(f"a11y_{re.sub(r'[^a-z]+', '_', title.lower())}_{width}")
    total = sum(v["count"] for vs in found.values() for v in vs)
    assert not found, f"{total} serious/critical nodes at {width}px:\n{describe([found])}"


def test_every_chart_has_a_text_alternative(app: App) -> None:
    for path, title in page_paths():
        app.open(path)
        charts = app.page.locator('[data-testid="stPlotlyChart"]')
        alternatives = app.page.get_by_text(re.compile(r"^Chart as text"))
        assert charts.count() <= alternatives.count(), title


@pytest.mark.parametrize(("path", "title"), page_paths())
def test_nothing_is_clipped_at_800_px(app: App, path: str, title: str) -> None:
    app.page.set_viewport_size({"width": 800, "height": 900})
    app.open(path)
    wider = app.page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            return main.scrollWidth - main.clientWidth;
        }"""
    )
    assert wider <= 1, f"{title}: the page is {wider}px wider than the window"


def test_keyboard_focus_is_visible(app: App) -> None:
    app.open("schemes")
    app.page.keyboard.press("Tab")
    box = app.page.get_by_role("combobox").first
    box.focus()
    outline = box.evaluate(
        """(el) => {
            let node = el;
            for (let i = 0; i < 6 && node; i++, node = node.parentElement) {
                const s = getComputedStyle(node);
                if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) return true;
                if (s.boxShadow && s.boxShadow !== 'none') return true;
            }
            return false;
        }"""
    )
    assert outline, "a focused select box shows no outline"


def test_printing_leaves_out_the_sidebar(app: App) -> None:
    app.open("overview")
    app.page.emulate_media(media="print")
    try:
        assert not app.page.get_by_test_id("stSidebar").is_visible()
        assert app.page.locator("h1").first.is_visible()
    finally:
        app.page.emulate_media(media="screen")
