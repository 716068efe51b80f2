"""A scheme's own 3-point answers mapped on the Upload page, stored, and offered again.

"How often do you feel lonely?" asked with "Yes, often / Sometimes / No": the
page lists each answer beside our answers; mapped and stored, the rows are
in the store with our codes, and the next upload from the same scheme and
tool shows the same mapping already picked (issue 26 item 7).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.browser.conftest import App

pytestmark = pytest.mark.browser

SCHEME = "SL050"  # a demo scheme
OWN = (
    "Your reference,Date completed,Who is answering?,How often do you feel lonely?\n"
    'AW1,14/08/2026,I use Shared Lives,"Yes, often"\n'
    "AW2,15/08/2026,I use Shared Lives,Sometimes\n"
    "AW3,16/08/2026,I use Shared Lives,No\n"
)
CHOSEN = {"Yes, often": "Often or always (1)", "Sometimes": "Some of the time (2)",
          "No": "Never (5)"}


def _pick(app: App, answer: str, option: str) -> None:
    """Pick ``option`` for ``answer``; a box redrawn by a rerun can swallow a click: retry."""
    box = _box(app, answer)
    wanted = app.page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        app.idle()
        if box.get_by_role("combobox").input_value() == option:
            return
        box.click()
        try:
            wanted.wait_for(timeout=5000)
            wanted.click()
        except Exception:  # noqa: BLE001 - Playwright's timeout: try again
            app.page.keyboard.press("Escape")
    app.idle()
    expect(box.get_by_role("combobox")).to_have_value(option)


def _box(app: App, answer: str):
    return app.page.get_by_test_id("stMain").get_by_test_id("stSelectbox").filter(
        has_text=f"“{answer}” means")


def _upload(app: App, path: Path) -> None:
    app.open("upload", scheme=SCHEME)
    app.page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    expect(app.page.get_by_test_id("stMain").get_by_text("Answers that are not ours")
           ).to_be_visible()
    app.idle()


def test_own_answers_are_mapped_stored_and_offered_again(app: App, tmp_path: Path) -> None:
    store = app.server.store
    first = tmp_path / "own_answers.csv"
    first.write_text(OWN)
    _upload(app, first)
    main = app.page.get_by_test_id("stMain")
    expect(main.get_by_text("No row of this file can be stored yet")).to_be_visible()  # no guess
    for answer, option in CHOSEN.items():
        _pick(app, answer, option)
    confirm = main.get_by_role("button", name="Confirm and store")
    expect(main.get_by_text("Ready to store 3 responses", exact=False)).to_be_visible()
    app.idle()
    confirm.click()
    expect(main.get_by_text("3 responses stored")).to_be_visible()
    app.idle()
    assert app.exceptions() == []
    stored = store.query(
        "SELECT lonely_how_often FROM responses ORDER BY response_id DESC LIMIT 3")
    assert sorted(int(v) for v in stored["lonely_how_often"]) == [1, 2, 5]
    uploads = store.uploads()
    note = uploads.loc[uploads["file_name"] == "own_answers.csv", "note"].iloc[0]
    assert "read with the scheme's own answers" in note

    # The next file from the same scheme and tool: the mapping is offered, already picked.
    second = tmp_path / "own_answers_next.csv"
    second.write_text(OWN.replace("AW", "AX"))
    _upload(app, second)
    for answer, option in CHOSEN.items():
        expect(_box(app, answer).get_by_role("combobox")).to_have_value(option)
    expect(main.get_by_text("Ready to store 3 responses", exact=False)).to_be_visible()
    app.screenshot("upload_own_answers_again")
    assert app.exceptions() == []
