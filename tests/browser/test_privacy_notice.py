"""The privacy notice in a real browser: opened from the sidebar of a page, readable
(axe-core on the open dialog), and downloaded as a PDF to hand out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.test_accessibility import axe_violations, describe

if TYPE_CHECKING:
    from tests.browser.conftest import App

pytestmark = pytest.mark.browser


def test_the_notice_opens_from_the_sidebar_and_downloads(app: App) -> None:
    app.open()  # the Overview: the default page, at the root
    app.page.locator('[data-testid="stSidebar"]').get_by_role(
        "button", name="Privacy notice").click()
    dialog = app.page.get_by_role("dialog")
    dialog.get_by_text("Who can see what").wait_for(timeout=30_000)
    app.idle()
    assert "How long it is kept" in dialog.inner_text()
    violations = axe_violations(app)
    assert not violations, describe(violations)
    dialog.get_by_role("tab", name="Easy read").click()
    dialog.get_by_text("How long we keep it").wait_for(timeout=30_000)
    with app.page.expect_download() as download:
        dialog.get_by_role("button", name="Download (easy read) as PDF").click()
    assert download.value.suggested_filename == "privacy_notice_easy_read.pdf"
    assert Path(download.value.path()).read_bytes()[:4] == b"%PDF"
    assert not app.exceptions()
