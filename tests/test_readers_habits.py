"""Real files as people keep them (issue 26): each habit in a small file, stored right or asked.

Repeated headings (a form asking the person and the carer the same questions),
the header under a title, two header rows, every sheet of a workbook, the
template's own heading beating an alias, encodings by their bytes and notes
in headings. Each file carries our questions; each test can fail.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kpi.ingest import ingest_bytes, load_schemes, preview
from kpi.store import Store

SCHEME = "SL001"
REGISTER = b"scheme_id,name,region\nSL001,Alderley Shared Lives,North West\n"


@pytest.fixture
def store(fresh_store: Store) -> Store:
    assert not load_schemes(fresh_store, REGISTER).refused
    return fresh_store


def _responses(store: Store, *columns: str) -> list[tuple]:
    frame = store.query(
        f"SELECT {', '.join(columns)} FROM responses ORDER BY source_row"
    ).astype(object)
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


# ------------------------------------------------------- repeated headings ---
# A Google Form with a section for the person and one for the carer, asking
# the same questions: Google heads both copies alike.
SECTIONS = (
    b"Timestamp,Your reference,Who is answering?,Age,Gender,How often do you feel lonely?,"
    b"Age,Gender,How often do you feel lonely?\r\n"
    b"2026/05/14 10:32:11 GMT+1,P1,I use Shared Lives,25 to 34,Woman,Never,,,\r\n"
    b"2026/05/15 10:32:11 GMT+1,C1,I am a family carer,,,,75 or over,Man,Often or always\r\n"
    b"2026/05/16 10:32:11 GMT+1,P2,I use Shared Lives,50 to 64,Man,Some of the time,,,\r\n"
    b"2026/05/17 10:32:11 GMT+1,C2,I am a family carer,,,,65 to 74,Woman,Hardly ever\r\n"
)


def test_person_and_carer_sections_with_the_same_headings_keep_every_answer(
    store: Store,
) -> None:
    result = ingest_bytes(store, SECTIONS, "Form responses 1.csv", SCHEME)
    assert not result.refused, result.message
    assert (result.accepted, result.rejected) == (4, 0)
    assert _responses(store, "respondent_type", "age_band", "gender", "lonely_how_often") == [
        ("person", "25-34", "woman", 5), ("carer", "75+", "man", 1),
        ("person", "50-64", "man", 2), ("carer", "65-74", "woman", 4)]
    second = [c for c in result.columns if c.letter == "G"][0]
    assert second.status == "read with another column" and "column D" in second.how
    assert not any("already gives it" in w for w in result.warnings)


def test_repeated_headings_that_answer_one_row_differently_are_asked(store: Store) -> None:
    both = SECTIONS.replace(b"P2,I use Shared Lives,50 to 64,Man,Some of the time,,,",
                            b"P2,I use Shared Lives,50 to 64,Man,Some of the time,18 to 24,,")
    result = ingest_bytes(store, both, "Form responses 1.csv", SCHEME)
    assert result.refused and store.is_empty()
    assert "columns D and G are both 'Age'" in result.message
    assert "row 4" in result.message and "'50 to 64' and '18 to 24'" in result.message
    # Said which is which (the carer's copy of Age ignored): stored, the person's age kept.
    again = ingest_bytes(store, both, "Form responses 1.csv", SCHEME, mapping={"age #2": ""})
    assert not again.refused, again.message
    assert _responses(store, "age_band") == [("25-34",), (None,), ("50-64",), (None,)]


def test_a_copied_column_that_agrees_on_every_row_is_left_out_saying_so(store: Store) -> None:
    data = (
        b"Your reference,Date completed,Who is answering?,Age,Age\r\n"
        b"R1,14/05/2026,I use Shared Lives,25 to 34,25 to 34\r\n"
        b"R2,15/05/2026,I use Shared Lives,,\r\n"
    )
    result = ingest_bytes(store, data, "copied.csv", SCHEME)
    assert not result.refused, result.message
    assert any("'Age' (E) was left out" in w and "agree on every row" in w
               for w in result.warnings)


def test_a_heading_left_out_for_a_column_mapped_by_hand_says_what_it_would_lose(
    store: Store,
) -> None:
    data = (
        b"Your reference,Date completed,Who is answering?,Age,Age group (council)\r\n"
        b"R1,14/05/2026,I use Shared Lives,25 to 34,18 to 24\r\n"
        b"R2,15/05/2026,I use Shared Lives,25 to 34,25 to 34\r\n"
    )
    result = preview(store, data, "two ages.csv", SCHEME,
                     mapping={"age group council": "age_band"})
    lost = [w for w in result.warnings if "'Age' (D) was left out" in w]
    assert lost and "would not be stored" in lost[0] and "row 2" in lost[0], result.warnings
    assert "row 3" not in lost[0]
