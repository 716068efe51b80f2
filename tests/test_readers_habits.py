"""Real files as people keep them (issue 26): each habit in a small file, stored right or asked.

Repeated headings (a form asking the person and the carer the same questions),
the header under a title, two header rows, every sheet of a workbook, the
template's own heading beating an alias, encodings by their bytes and notes
in headings. Each file carries our questions; each test can fail.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpi import readers
from kpi.ingest import ingest_bytes, preview
from kpi.store import Store
from tests.builders import registered_store

SCHEME = "SL001"
REGISTER = b"scheme_id,name,region\nSL001,Alderley Shared Lives,North West\n"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store with the register loaded (a copy of one built once)."""
    return registered_store(tmp_path / "khi.duckdb", REGISTER)


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

# ---------------------------------------------------- the header wherever ---
HEADINGS = ["Your reference", "Date completed", "Who is answering?", "Age",
            "How often do you feel lonely?"]
ANSWERS = [
    ["R1", "14/05/2026", "I use Shared Lives", "25 to 34", "Never"],
    ["R2", "15/05/2026", "I am a family carer", "75 or over", "Often or always"],
    ["R3", "16/05/2026", "I use Shared Lives", "", "Some of the time"],
]
STORED = [("person", "25-34", 5), ("carer", "75+", 1), ("person", None, 2)]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _stores(store: Store, data: bytes, name: str = "typed.csv", **options) -> object:
    result = ingest_bytes(store, data, name, SCHEME, **options)
    assert not result.refused, result.message
    assert result.problems == [], result.problems
    stored = _responses(store, "respondent_type", "age_band", "lonely_how_often")
    assert sorted(stored, key=repr) == sorted(STORED, key=repr)  # sheets restart row numbers
    return result


def test_the_header_under_a_title_a_note_and_a_blank_row_is_found(store: Store) -> None:
    rows = [["Alderley Shared Lives: wellbeing survey 2026"],
            ["Typed from the paper forms by Jo. Do not change the headings."], [],
            HEADINGS, *ANSWERS]
    result = _stores(store, _csv(rows))
    assert "Headings found on row 4" in " ".join(result.found)
    assert {p for p in readers.read_export(_csv(rows)).row_numbers} == {5, 6, 7}


def test_two_header_rows_with_a_stem_merged_over_its_statements(store: Store) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Your reference", "Date completed", "Who is answering?", "Age",
                  "How often do you feel lonely?", "How much do you agree?", None])
    sheet.append([None, None, None, None, None, "I feel part of my local community",
                  "The people who support me are warm and kind"])
    for row in ANSWERS:
        sheet.append([*row, "Agree", "Strongly agree"])
    for column in "ABCDE":
        sheet.merge_cells(f"{column}1:{column}2")
    sheet.merge_cells("F1:G1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = _stores(store, buffer.getvalue(), "merged.xlsx")
    assert "rows 1 and 2 (two header rows" in " ".join(result.found)
    assert _responses(store, "community_part", "warm_kind") == [(4, 5)] * 3


def _snap_download() -> bytes:
    """Snap Surveys' "Tab-separated (Unicode)" data download: variable names over labels."""
    rows = [["Q1", "Q2", "Q3", "Q4", "Q5"], HEADINGS, *ANSWERS]
    return ("\r\n".join("\t".join(r) for r in rows) + "\r\n").encode("utf-16")


def test_variable_names_over_labels_in_utf16_tab_separated_text(store: Store) -> None:
    result = _stores(store, _snap_download(), "snap-data.txt")
    assert result.layout == "snap"


def _workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


INSTRUCTIONS = ("Instructions", [["How to fill in this workbook"],
                                 ["Type one row per form. Dates as dd/mm/yyyy."]])
LISTS = ("Lists", [["I use Shared Lives"], ["I am a family carer"], ["Never"]])


def test_an_instructions_sheet_before_the_data_is_skipped(store: Store) -> None:
    data = _workbook(INSTRUCTIONS, ("Responses", [HEADINGS, *ANSWERS]), LISTS)
    result = _stores(store, data, "workbook.xlsx")
    said = " ".join(result.found)
    assert "'Responses'" in said and "Not read" in said and "'Instructions'" in said


def test_one_sheet_per_month_is_read_as_one_file_naming_the_sheets(store: Store) -> None:
    data = _workbook(INSTRUCTIONS, ("May", [HEADINGS, *ANSWERS[:2]]),
                     ("June", [HEADINGS, ANSWERS[2]]))
    result = _stores(store, data, "by month.xlsx")
    assert result.accepted == 3
    assert "Read 2 sheets with the same headings as one file: 'May', 'June'" in " ".join(
        result.found)
    # A problem on a later sheet says which sheet its row is on.
    bad = _workbook(("May", [HEADINGS, *ANSWERS[:2]]),
                    ("June", [HEADINGS, ["R4", "16/05/2026", "Dunno", "", "Never"]]))
    again = ingest_bytes(store, bad, "by month 2.xlsx", SCHEME)
    assert [str(p) for p in again.problems] == [
        "row 2, 'Who is answering?': (sheet 'June') 'Dunno' is not one of the answers for "
        "'Who is answering?': I use Shared Lives, I am a family carer"]
    assert again.set_aside[readers.SHEET_COLUMN].tolist() == ["June"]


def test_sheets_with_different_columns_are_asked_which(store: Store) -> None:
    other = [["Your reference", "Date completed", "Who is answering?", "Gender"],
             ["R9", "14/05/2026", "I am a family carer", "Woman"]]
    data = _workbook(("People", [HEADINGS, *ANSWERS]), ("Carers", other))
    asked = ingest_bytes(store, data, "two kinds.xlsx", SCHEME)
    assert asked.refused and store.is_empty()
    assert asked.sheet_question == ["People", "Carers"]
    assert "'People' (5 columns, 3 rows); 'Carers' (4 columns, 1 rows)" in asked.message
    _stores(store, data, "two kinds.xlsx", sheet="People")


# ------------------------------------------- the template's heading first ---
def test_the_templates_reference_beats_a_council_id_to_its_left(store: Store) -> None:
    from kpi.privacy import installation_secret, person_key

    data = (
        b"Client ref,Your reference,Date completed,Who is answering?\r\n"
        b"LA-55012,KHI-ALPHA-7731,14/05/2026,I use Shared Lives\r\n"
        b"LA-55013,KHI-BRAVO-2208,15/05/2026,I am a family carer\r\n"
    )
    result = ingest_bytes(store, data, "with council id.csv", SCHEME)
    assert not result.refused, result.message
    secret = installation_secret(store.path)
    assert [k for (k,) in _responses(store, "person_key")] == [
        person_key(secret, SCHEME, "KHI-ALPHA-7731"), person_key(secret, SCHEME, "KHI-BRAVO-2208")]
    council = [c for c in result.columns if c.header == "Client ref"][0]
    assert council.status == "ignored (duplicate)" and "'Your reference'" in council.how


def test_a_reference_found_only_by_another_name_is_shown_to_check(store: Store) -> None:
    data = (
        b"Client ref,Date completed,Who is answering?\r\n"
        b"LA-55012,14/05/2026,I use Shared Lives\r\n"
    )
    result = preview(store, data, "council.csv", SCHEME)
    assert not result.refused, result.message
    assert any("read from 'Client ref' (column A), by another name we know for "
               "'Your reference'" in w for w in result.warnings)


# ---------------------------------------------------- encodings, notes -------
def test_a_mac_excel_csv_is_read_as_mac_roman_and_keeps_every_answer(store: Store) -> None:
    from tests.test_readers import TEMPLATE_CP1252, _expected, _stored

    mac = TEMPLATE_CP1252.decode("cp1252").encode("mac_roman")
    assert b"I\xd5ve" in mac  # the apostrophe Windows-1252 would show as "IÕve"
    parsed = readers.read_export(mac, "khi survey.csv")
    assert parsed.encoding == "mac_roman"
    assert parsed.rows.iloc[0, -1] == "Café trip – £5"
    result = ingest_bytes(store, mac, "khi survey.csv", SCHEME, dates="day-first")
    assert result.problems == [] and _stored(store) == _expected(store)
    # ... and the same text saved on Windows is still Windows-1252.
    assert readers.read_export(TEMPLATE_CP1252).encoding == "cp1252"


def test_notes_in_headings_are_ignored_when_matching(store: Store) -> None:
    data = (
        b"Your reference *,Date completed (dd/mm/yyyy),Who is answering? *,"
        b"Age (optional),{{field:7f3a}} how often do you feel lonely?\r\n"
        b"R1,14/05/2026,I use Shared Lives,25 to 34,Never\r\n"
        b"R2,15/05/2026,I am a family carer,75 or over,Often or always\r\n"
        b"R3,16/05/2026,I use Shared Lives,,Some of the time\r\n"
    )
    result = _stores(store, data, "notes.csv")
    assert [c.code for c in result.columns] == [
        "respondent_ref", "completed_on", "respondent_type", "age_band", "lonely_how_often"]
