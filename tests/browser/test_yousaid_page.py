""""You said, we did" in Chromium at 1400 and 800 px: axe-core finds no serious or
critical violation, nothing is wider than the window, every picture has its alt
text, the board's action (hostile text) reads as typed, and the PDF it hands out
is tagged."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kpi import yousaid
from kpi.board.notes import add_note
from kpi.indicators import latest_quarter
from kpi.periods import quarter_label
from kpi.scope import Scope
from tests.browser.test_accessibility import axe_violations, describe

if TYPE_CHECKING:
    from tests.browser.conftest import App, Server

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-yousaid")
HOSTILE = "<b>Ring</b> =HYPERLINK(\"http://evil.example\",\"x\") and meet every carer"


@pytest.fixture(scope="module")
def with_action(server: Server) -> str:
    """London's board recorded one action this quarter (hostile text)."""
    store = server.store
    quarter = quarter_label(latest_quarter(store))
    add_note(store, Scope("admin", "admin@example.org"), khi_code="warm_kind",
             area="region:London", quarter=quarter, discussed="Kindness",
             action=HOSTILE, owner="The London team", due="March")
    return quarter


@pytest.mark.parametrize("width", (1400, 800))
def test_the_sheet_reads_at_1400_and_800_px(app: App, with_action: str, width: int) -> None:
    app.page.set_viewport_size({"width": width, "height": 900})
    app.open("yousaid", region="London", quarter=with_action)
    assert app.heading() == yousaid.TITLE
    assert not app.exceptions()
    violations = axe_violations(app)
    assert not violations, describe(violations)
    wider = app.page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            return main.scrollWidth - main.clientWidth;
        }"""
    )
    assert wider <= 1, f"the page is {wider}px wider than the window"
    main = app.page.locator('[data-testid="stMain"]')
    assert main.get_by_text(re.compile(r"^\d+ out of 10 people said ")).count() >= 3
    assert main.get_by_text(HOSTILE, exact=True).count() == 1  # as typed: text, not bold
    assert main.locator("b", has_text="Ring").count() == 0
    images = main.locator("img")
    alts = [images.nth(i).get_attribute("alt") or "" for i in range(images.count())]
    assert alts and all(alt.strip() for alt in alts)
    shot = app.screenshot(f"yousaid_london_{width}")
    if shot is not None:
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(shot, SHOTS / f"page_{width}.png")


def test_the_pdf_download_is_tagged(app: App, with_action: str, tmp_path: Path) -> None:
    app.page.set_viewport_size({"width": 1400, "height": 900})
    app.open("yousaid", region="London", quarter=with_action)
    with app.page.expect_download(timeout=90_000) as download:
        app.page.get_by_role("button", name=re.compile("Easy-read sheet")).click()
    out = tmp_path / download.value.suggested_filename
    download.value.save_as(out)
    stem = re.sub(r"[^a-z0-9]+", "_", with_action.lower())
    assert out.name == f"you_said_we_did_london_{stem}.pdf"
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M), info.stdout
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(out, SHOTS / "london.pdf")
