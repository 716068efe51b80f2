"""The Upload page's preview tells the truth (AppTest on the real dashboard).

Per column: what it became and three values as they would be stored, in the
user's words; ambiguous dates asked with a few read both ways, the answer
used and remembered for the scheme and tool; lost question columns named.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from kpi import ingest
from kpi.store import Store
from tests.test_pages_data import (
    SCHEME,
    choose_file,
    open_page,
    registered_template,  # noqa: F401  (a fixture the next one uses)
    table,
    texts,
    upload_store,  # noqa: F401
)

AMBIGUOUS = (
    b"Your reference,Date completed,Who is answering?,How often do you feel lonely?,"
    b"Thinking about the last month - I went out with friends\n"
    b"R1,04/03/2026,I use Shared Lives,Never,Agree\n"
    b"R2,06/01/2026,I am a family carer,Often or always,Agree\n"
    b"R3,07/02/2026,I use Shared Lives,Some of the time,Disagree\n"
)


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def test_the_preview_shows_what_each_column_became_and_asks_about_dates(
    upload_store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path  # noqa: F811
) -> None:
    path = tmp_path / "ambiguous.csv"
    path.write_bytes(AMBIGUOUS)
    at = open_page(monkeypatch, upload_store, "pages/upload.py", KHI_NO_DEMO="1")
    at.selectbox(key="upload_scheme").set_value(SCHEME).run()
    at = choose_file(at, path)
    assert not at.exception, [e.value for e in at.exception]
    # Asked, with the dates read both ways; nothing offered to store yet.
    examples = table(at, "Read day first")
    assert examples.iloc[0].tolist() == ["04/03/2026", "4 March 2026", "3 April 2026"]
    assert not [b for b in at.button if b.key == "upload_confirm"]
    assert "would not be stored" in texts(at.warning)
    at.radio(key=next(r.key for r in at.radio if r.key.startswith("upload_dates_"))).set_value(
        "Month first (US: 04/03 is April 3)").run()
    assert not at.exception, [e.value for e in at.exception]
    mapping = table(at, "What it became").set_index("Heading in your file")
    assert mapping.loc["Date completed", "Stored as (first three values)"] == (
        "3 April 2026; 1 June 2026; 2 July 2026")
    assert mapping.loc["How often do you feel lonely?", "What it became"] == (
        "a question: How often do you feel lonely?")
    assert mapping.loc["How often do you feel lonely?", "Stored as (first three values)"] == (
        "Never (5); Often or always (1); Some of the time (2)")
    assert mapping.loc["Who is answering?", "Stored as (first three values)"] == (
        "I use Shared Lives; I am a family carer")
    assert "private key" in mapping.loc["Your reference", "Stored as (first three values)"]
    assert upload_store.is_empty()  # the preview stores nothing
    at.button(key="upload_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    stored = upload_store.query("SELECT completed_on FROM responses ORDER BY source_row")
    assert [d.date().isoformat() for d in stored["completed_on"]] == [
        "2026-04-03", "2026-06-01", "2026-07-02"]
    # Remembered for this scheme and tool: the next such file is not asked again.
    again = ingest.preview(upload_store, AMBIGUOUS.replace(b"R1,", b"R9,"), "next.csv", SCHEME)
    assert again.date_question is None and not again.refused
