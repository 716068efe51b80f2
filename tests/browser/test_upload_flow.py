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


# Three dates that read either way round, all in the demo's last quarter when read
# day first (4 August, 6 July, 7 September 2026) and in April-July month first.
AMBIGUOUS = (
    "Your reference,Date completed,Who is answering?,How often do you feel lonely?\n"
    "DQ1,04/08/2026,I use Shared Lives,Never\n"
    "DQ2,06/07/2026,I use Shared Lives,Often or always\n"
    "DQ3,07/09/2026,I use Shared Lives,Some of the time\n"
)


def test_ambiguous_dates_are_asked_shown_both_ways_and_stored_as_chosen(
    app: App, tmp_path: Path
) -> None:
    path = tmp_path / "ambiguous_dates.csv"
    path.write_text(AMBIGUOUS)
    store = app.server.store
    before = int(store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0])
    app.open("upload", scheme=SCHEME)
    main = app.page.get_by_test_id("stMain")
    app.page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    expect(main.get_by_text("Which way round are the dates")).to_be_visible()
    app.idle()
    # Asked, not guessed: the dates read both ways, and nothing offered to store yet.
    examples = main.get_by_test_id("stDataFrame").filter(has_text="Read day first")
    expect(examples).to_contain_text("4 August 2026")
    expect(examples).to_contain_text("8 April 2026")
    assert main.get_by_role("button", name="Confirm and store").count() == 0
    app.screenshot("upload_date_question")
    main.get_by_text("Day first (UK: 04/03 is 4 March)", exact=True).click()
    confirm = main.get_by_role("button", name="Confirm and store")
    expect(confirm).to_be_visible()
    app.idle()
    confirm.click()
    expect(main.get_by_text("3 responses stored")).to_be_visible()
    app.idle()
    assert app.exceptions() == []
    stored = store.query(
        "SELECT completed_on FROM responses ORDER BY response_id DESC LIMIT 3"
    )["completed_on"]
    assert sorted(d.date().isoformat() for d in stored) == [
        "2026-07-06", "2026-08-04", "2026-09-07"]
    assert int(store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0]) == before + 3
