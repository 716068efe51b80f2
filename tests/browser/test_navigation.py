"""Every page opens from the sidebar navigation in a real browser, without an error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pages.views._common import menu_pages

if TYPE_CHECKING:
    from tests.browser.conftest import App

PROJECT_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


def nav_titles() -> list[str]:
    """The pages' titles as the menu lists them, so a new page is tested too."""
    return [title for _, title, _ in menu_pages()]


def test_every_page_opens_from_the_sidebar(app: App) -> None:
    titles = nav_titles()
    assert len(titles) == 15 and titles[0] == "Overview"  # fourteen screens and Admin
    app.open()
    assert app.heading(), "the default page has no heading"
    assert app.exceptions() == []
    # Round trip: every other page in menu order, then back to the first.
    for title in [*titles[1:], titles[0]]:
        app.navigate(title)
        errors = app.exceptions()
        assert errors == [], f"{title}: {errors}"
        assert app.page.locator("h1").first.is_visible(), f"{title}: no heading"
        # The menu marks the page shown: its link's words in bold (Streamlit's page_link).
        bold = app.menu().locator("a").evaluate_all(
            """links => links.filter(a => [...a.querySelectorAll('p, span, strong')].some(
                   e => parseInt(getComputedStyle(e).fontWeight) >= 600 && e.innerText.trim()))
               .map(a => a.innerText.trim().split('\\n').pop())"""
        )
        assert bold == [title], bold
        # Every page kept as a screenshot (screenshots/, gitignored) to look at by eye.
        app.screenshot(re.sub(r"[^a-z]+", "_", title.lower()).strip("_"))
