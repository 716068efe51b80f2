"""A scheme worker uploads a Google Forms export and sees the loneliness KHI change.

The sample (tests/samples/google_forms_sample.csv) is what Google Forms gives:
its own Timestamp with the zone, the e-mail address it collected, our question
texts as headings and answers as labels. Twelve new people answer "Often or
always" to "How often do you feel lonely?" in the demo's last quarter; one row
has an answer the survey does not offer and is set aside.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from kpi.indicators import Filters, indicator_table
from kpi.store import Store

if TYPE_CHECKING:
    from tests.browser.conftest import App

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "google_forms_sample.csv"
SCHEME = "SL050"  # a demo scheme (Shared Lives Derwent Hills, East Midlands)
QUARTER = "2026/27 Q2"  # the demo's last quarter (pinned in conftest)
KHI_NAME = "Often or always lonely"


def lonely_often(store: Store) -> float:
    """What the engine says for the scheme; read only while the server is idle."""
    table = indicator_table(
        store, khis=["lonely_often"], quarter=QUARTER, filters=Filters(scheme_ids=(SCHEME,))
    )
    assert len(table) == 1 and not bool(table["suppressed"].iloc[0])
    return float(table["value"].iloc[0])


def expect_tile(app: App, name: str, value: str) -> None:
    """The Overview tile headed ``name`` shows ``value`` (waits until it does)."""
    tile = app.page.get_by_role("group", name=name, exact=True)
    expect(tile.locator("[data-part=value]")).to_have_text(value)


def test_google_forms_upload_is_stored_and_moves_the_khi(app: App) -> None:
    store = app.server.store
    before = lonely_often(store)
    app.open("", scheme=SCHEME, quarter=QUARTER)
    expect_tile(app, KHI_NAME, f"{before:.0f}%")

    # The scheme in the URL is the sidebar's scheme, which the Upload page starts on.
    app.open("upload", scheme=SCHEME)
    main = app.page.get_by_test_id("stMain")
    scheme = main.get_by_role("combobox", name="Scheme")
    expect(scheme).to_have_value(re.compile(rf"\({SCHEME}\)$"))
    app.page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(SAMPLE))
    expect(main.get_by_text("4. Store it")).to_be_visible()
    app.idle()
    expect(main.get_by_text("Google Forms export", exact=True)).to_be_visible()
    expect(main.get_by_text("1 problem in 1 row")).to_be_visible()
    app.screenshot("upload_preview")

    main.get_by_role("button", name="Confirm and store").click()
    expect(main.get_by_text("12 responses stored")).to_be_visible()
    app.idle()
    assert app.exceptions() == []
    expect(main.get_by_role("button", name="Rows set aside, to fix (CSV)")).to_be_visible()
    app.screenshot("upload_stored")

    after = lonely_often(store)  # the store, read after the upload finished
    assert after > before  # twelve more people often or always lonely
    app.open("", scheme=SCHEME, quarter=QUARTER)
    expect_tile(app, KHI_NAME, f"{after:.0f}%")
    assert app.exceptions() == []
