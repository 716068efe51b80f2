"""Bad input of every kind (spec §7): each gets its message, and stores nothing it should not.

Every refusal test compares every table's row count before and after, so a
refusal that stored "just the upload record" fails too.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import textwrap
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kpi.ingest import (
    ingest_bytes,
    ingest_path,
    load_schemes,
    preview,
)
from kpi.store import Store
from kpi.template import (
    activity_template_csv,
    survey_columns,
    survey_template_csv,
    survey_template_xlsx,
)
from tests.builders import kill_when_paused, registered_store

PROJECT_DIR = Path(__file__).resolve().parents[1]
SCHEME = "SL001"
REGISTER = (
    b"scheme_id,name,region,local_authority,cqc_rating,cqc_rating_date\n"
    b"SL001,Alderley Shared Lives,North West,Cheshire East,Good,12/03/2024\n"
    b"SL002,Bramley Shared Lives,yorkshire_humber,Leeds,Requires improvement,\n"
)
TABLES = (
    "uploads", "responses", "response_history", "set_aside", "activity_returns",
    "activity_history", "schemes", "column_mappings",
)
HEAD = (
    b"Your reference,Date completed,Who is answering?,How often do you feel lonely?,"
    b"I feel part of my local community\n"
)
GOOD = HEAD + (
    b"R1,14/05/2026,I use Shared Lives,Never,Agree\n"
    b"R2,15/05/2026,I am a family carer,Often or always,Strongly disagree\n"
    b"R3,16/05/2026,I use Shared Lives,Occasionally,Don't know\n"
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store with two schemes registered."""
    return registered_store(tmp_path / "khi.duckdb", REGISTER)


def counts(store: Store) -> dict[str, int]:
    """Every table's row count, in one query."""
    row = store.query(
        "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}") AS "{t}"' for t in TABLES)
    ).iloc[0]
    return {table: int(row[table]) for table in TABLES}


def lonely(store: Store) -> dict[str, int | None]:
    """Stored lonely_how_often by source row (a quick look at what was stored)."""
    frame = store.query("SELECT source_row, lonely_how_often FROM responses")
    return {
        int(r): None if pd.isna(v) else int(v)
        for r, v in zip(frame["source_row"], frame["lonely_how_often"])
    }


# ------------------------------------------------------- refused outright ---
def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _zip_of_csv() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("responses.csv", GOOD)
    return buffer.getvalue()


REFUSALS = {
    "pdf renamed to csv": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n", "results.csv", "PDF"),
    "word document": (_docx(), "results.docx", "Word document"),
    "zip archive": (_zip_of_csv(), "results.zip", "Unzip it"),
    "png image": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "scan.png", "picture"),
    "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "old.xls", "Save As"),
    "empty file": (b"", "results.csv", "This file is empty"),
    "header only": (HEAD, "results.csv", "column headings but no answers"),
    "no recognisable columns": (
        b"Name,Favourite colour\nAnn,Blue\n", "results.csv",
        "None of the columns in this file match the survey questions",
    ),
    "missing reference column": (
        b"Date completed,Who is answering?,Age\n14/05/2026,I use Shared Lives,18 to 24\n",
        "results.csv", "no column for the person's reference (a column headed 'Your reference'",
    ),
    "missing date column": (
        b"Your reference,Who is answering?,Age\nR1,I use Shared Lives,18 to 24\n",
        "results.csv", "no column for the date the survey was completed",
    ),
    "missing respondent type column": (
        b"Your reference,Date completed,Age\nR1,14/05/2026,18 to 24\n",
        "results.csv", "no column for who is answering",
    ),
    "wrong scheme in the file": (
        b"Scheme ID,Your reference,Date completed,Who is answering?\n"
        b"SL002,R1,14/05/2026,I use Shared Lives\n",
        "results.csv", "holds rows for scheme 'SL002', not 'SL001'",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_file_we_cannot_use_is_refused_with_what_to_do(store: Store, case: str) -> None:
    data, name, phrase = REFUSALS[case]
    before = counts(store)
    result = ingest_bytes(store, data, name, SCHEME)
    assert result.refused
    assert phrase in result.message
    assert result.upload_id is None and result.accepted == 0
    assert counts(store) == before


def test_an_activity_return_uploaded_as_a_survey_says_so(store: Store) -> None:
    data = activity_template_csv() + b"SL001,2026/27 Q1,10,4,2,0,12,1,0\r\n"
    result = ingest_bytes(store, data, "return.csv", SCHEME)
    assert result.refused and "--kind activity" in result.message


def test_no_scheme_given_is_refused(store: Store) -> None:
    before = counts(store)
    result = ingest_bytes(store, GOOD, "results.csv", None)
    assert result.refused and "--scheme" in result.message
    assert counts(store) == before


def test_an_unknown_scheme_is_refused_and_says_how_to_load_the_register(store: Store) -> None:
    before = counts(store)
    result = ingest_bytes(store, GOOD, "results.csv", "SL999")
    assert result.refused
    assert "'SL999' is not in the scheme register" in result.message
    assert "python -m kpi schemes" in result.message
    assert counts(store) == before


def test_a_scheme_id_in_the_wrong_case_gets_a_suggestion(store: Store) -> None:
    result = ingest_bytes(store, GOOD, "results.csv", "sl001")
    assert result.refused and "Did you mean 'SL001'?" in result.message


def test_an_empty_register_says_to_load_it_first(fresh_store: Store) -> None:
    result = ingest_bytes(fresh_store, GOOD, "results.csv", SCHEME)
    assert result.refused and "register is empty" in result.message


def test_a_file_above_the_upload_limit_is_refused(store: Store, tmp_path: Path) -> None:
    before = counts(store)
    result = ingest_bytes(store, GOOD, "results.csv", SCHEME, max_upload_mb=0.0001)
    assert result.refused and "the largest upload we take is 0.0001 MB" in result.message
    path = tmp_path / "big.csv"
    path.write_bytes(GOOD)
    result = ingest_path(store, path, SCHEME, max_upload_mb=0.0001)
    assert result.refused and "Split it into smaller files" in result.message
    assert counts(store) == before


def test_the_default_upload_limit_comes_from_the_register_settings(store: Store) -> None:
    data = HEAD + b"R1,14/05/2026,I use Shared Lives,Never,Agree," + b"x" * (21 * 1024 * 1024)
    result = ingest_bytes(store, data, "results.csv", SCHEME)
    assert result.refused and "largest upload we take is 20 MB" in result.message


def test_a_zip_bomb_is_refused_before_it_is_unpacked(store: Store) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(210):  # 210 MB of zeros: compresses to about 200 KB
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    before = counts(store)
    result = ingest_bytes(store, data, "results.xlsx", SCHEME)
    assert result.refused
    assert "would unpack to 210 MB, more than the 200 MB we allow" in result.message
    assert counts(store) == before


def test_a_missing_file_is_refused(store: Store, tmp_path: Path) -> None:
    result = ingest_path(store, tmp_path / "nope.csv", SCHEME)
    assert result.refused and "There is no file at" in result.message


# ----------------------------------------------------------- row problems ---
BAD_ROWS = HEAD + (
    b"R1,14/05/2026,I use Shared Lives,Never,Agree\n"  # row 2: fine
    b"R2,15/05/2026,I use Shared Lives,7,Agree\n"  # row 3: out of range
    b"R3,15/05/2026,I use Shared Lives,Sometimes,Agree\n"  # row 4: unknown label
    b"R4,31/02/2026,I use Shared Lives,Never,Agree\n"  # row 5: not a real date
    b"R5,last Tuesday,I use Shared Lives,Never,Agree\n"  # row 6: not a date
    b"R6,14/05/2099,I use Shared Lives,Never,Agree\n"  # row 7: in the future
    b",14/05/2026,I use Shared Lives,Never,Agree\n"  # row 8: no reference
    b"R8,14/05/2026,,Never,Agree\n"  # row 9: no respondent type
    b"R9,14/05/2026,A friend,Never,Agree\n"  # row 10: unknown respondent type
    b"R10,16/05/2026,I use Shared Lives,Never,Agree\n"  # rows 11 and 12: same person,
    b"r10 ,16/05/2026,I use Shared Lives,Hardly ever,Agree\n"  # date and type, differ
    b"R11,16/05/2026,I use Shared Lives,Never,Agree\n"  # rows 13 and 14: exact repeat
    b"R11,16/05/2026,I use Shared Lives,Never,Agree\n"
)
EXPECTED_PROBLEMS = [
    (3, "How often do you feel lonely?", "'7' is outside the answers allowed here (1 to 5)"),
    (4, "How often do you feel lonely?", "'Sometimes' is not one of the answers here: "
     "Often or always, Some of the time, Occasionally, Hardly ever, Never"),
    (5, "Date completed", "'31/02/2026' is not a real date"),
    (6, "Date completed", "'last Tuesday' is not a date we can read"),
    (7, "Date completed", "date is in the future (14 May 2099)"),
    (8, "Your reference", "the reference is missing"),
    (9, "Who is answering?", "who is answering is missing"),
    (10, "Who is answering?", "'A friend' is not one of the answers for 'Who is answering?': "
     "I use Shared Lives, I am a family carer"),
    (11, None, "rows 11, 12 have the same person, date completed and who is answering but "
     "different answers"),
    (12, None, "rows 11, 12 have the same person, date completed and who is answering but "
     "different answers"),
]


def test_rows_with_problems_are_set_aside_with_row_column_and_reason(store: Store) -> None:
    result = ingest_bytes(store, BAD_ROWS, "results.csv", SCHEME)
    assert not result.refused
    got = [(p.row, p.column, p.reason) for p in result.problems]
    assert len(got) == len(EXPECTED_PROBLEMS)
    for (row, column, reason), (want_row, want_column, want_start) in zip(
        got, EXPECTED_PROBLEMS
    ):
        assert (row, column) == (want_row, want_column)
        assert reason.startswith(want_start), reason
    assert (result.accepted, result.rejected, result.duplicates) == (2, 10, 1)
    assert lonely(store) == {2: 5, 13: 5}
    # Recorded in the store with the same rows, columns and reasons.
    aside = store.set_aside(result.upload_id)
    assert aside["row_number"].tolist() == [p.row for p in result.problems]
    assert aside["reason"].tolist() == [p.reason for p in result.problems]
    upload = store.uploads().iloc[0]
    assert (upload["accepted"], upload["rejected"], upload["duplicates"]) == (2, 10, 1)


def test_set_aside_rows_come_back_as_the_file_had_them_reference_included(
    store: Store,
) -> None:
    result = ingest_bytes(store, BAD_ROWS, "results.csv", SCHEME)
    frame = result.set_aside
    assert frame["Row in your file"].tolist() == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert frame["Your reference"].tolist()[:2] == ["R2", "R3"]
    assert frame.loc[0, "How often do you feel lonely?"] == "7"
    assert "outside the answers allowed" in frame.loc[0, "Why set aside"]
    # The stored copy keeps the other cells but never the reference.
    stored = store.set_aside(result.upload_id)["row_values"].map(json.loads)
    assert all("Your reference" not in cells for cells in stored)
    assert stored.iloc[0]["How often do you feel lonely?"] == "7"


def test_the_set_aside_rows_fixed_and_uploaded_again_are_stored(store: Store) -> None:
    first = ingest_bytes(store, BAD_ROWS, "results.csv", SCHEME)
    fixed = first.set_aside.copy()
    fixed["How often do you feel lonely?"] = "Never"
    fixed["Date completed"] = "2026-05-01"
    fixed["Your reference"] = fixed["Your reference"].replace("", "R7")
    fixed["Who is answering?"] = "I use Shared Lives"
    fixed = fixed[fixed["Row in your file"] != 12]
    again = ingest_bytes(store, fixed.to_csv(index=False).encode(), "fixed.csv", SCHEME)
    assert again.problems == []
    assert (again.accepted, again.rejected) == (9, 0)


def test_strict_refuses_the_whole_file_when_any_row_is_bad(store: Store) -> None:
    before = counts(store)
    result = ingest_bytes(store, BAD_ROWS, "results.csv", SCHEME, strict=True)
    assert result.refused
    assert "with --strict (all or nothing) the whole file is refused" in result.message
    assert len(result.problems) == len(EXPECTED_PROBLEMS)
    assert counts(store) == before
    assert not ingest_bytes(store, GOOD, "results.csv", SCHEME, strict=True).refused


@pytest.mark.parametrize(
    ("answer", "stored", "problem"),
    [
        ("None", 0, None),
        ("12", 12, None),
        ("12.0", 12, None),
        ("99", 99, None),
        ("100", None, "outside the answers allowed here (0 to 99)"),
        ("2.5", None, "not a whole number"),
        ("-1", None, "outside the answers allowed here"),
        ("lots", None, "not one of the answers here: a whole number from 0 to 99"),
        ("Don\u2019t know", None, None),
        ("", None, None),
    ],
)
def test_friends_count_is_a_whole_number_from_0_to_99(
    store: Store, answer: str, stored: int | None, problem: str | None
) -> None:
    data = (
        "Your reference,Date completed,Who is answering?,"
        "\"How many friends do you have, not counting paid staff?\"\n"
        f"R1,14/05/2026,I use Shared Lives,{answer}\n"
    ).encode()
    result = ingest_bytes(store, data, "results.csv", SCHEME)
    if problem:
        assert problem in result.problems[0].reason
        assert result.rejected == 1
    else:
        assert result.problems == []
        value = store.query("SELECT friends_count FROM responses")["friends_count"].iloc[0]
        assert (None if pd.isna(value) else int(value)) == stored


@pytest.mark.parametrize(
    ("answer", "stored"),
    [("7", 7), ("0 - Not at all", 0), ("10 Completely", 10), ("completely", 10),
     ("7 - Not at all", "problem"), ("11", "problem")],
)
def test_ons_items_take_numbers_or_number_and_matching_label(
    store: Store, answer: str, stored: object
) -> None:
    data = (
        "Your reference,Date completed,Who is answering?,"
        f"\"Overall, how happy did you feel yesterday?\"\nR1,14/05/2026,I use Shared Lives,"
        f"{answer}\n"
    ).encode()
    result = ingest_bytes(store, data, "results.csv", SCHEME)
    if stored == "problem":
        assert result.rejected == 1
    else:
        assert result.problems == []
        assert int(store.query("SELECT ons_happy FROM responses")["ons_happy"].iloc[0]) == stored


def test_attributes_absent_from_the_file_are_stored_as_not_recorded(store: Store) -> None:
    ingest_bytes(store, GOOD, "results.csv", SCHEME)
    frame = store.query("SELECT age_band, gender, support_type FROM responses")
    assert frame.isna().all().all()


def test_answers_match_ignoring_case_quotes_and_punctuation(store: Store) -> None:
    data = (
        "Your reference,Date completed,Who is answering?,What kind of Shared Lives support?,"
        "Age,I feel part of my local community\n"
        "R1,14/05/2026,i USE shared lives,long term,18\u201324,NEITHER AGREE NOR DISAGREE\n"
        "R2,14/05/2026,carer,Short breaks,75+,strongly agree.\n"
    ).encode()
    result = ingest_bytes(store, data, "results.csv", SCHEME)
    assert result.problems == []
    frame = store.query(
        "SELECT respondent_type, support_type, age_band, community_part FROM responses "
        "ORDER BY source_row"
    )
    assert frame.values.tolist() == [
        ["person", "long_term", "18-24", 3], ["carer", "short_break", "75+", 5]
    ]


# ------------------------------------------------- duplicates, corrections ---
def test_the_same_file_twice_stores_nothing_new_but_is_recorded(store: Store) -> None:
    first = ingest_bytes(store, GOOD, "results.csv", SCHEME)
    stored = counts(store)
    second = ingest_bytes(store, GOOD, "results (1).csv", SCHEME)
    assert not second.refused
    assert f"already uploaded as upload {first.upload_id}" in second.message
    assert (second.accepted, second.duplicates, second.rejected) == (0, 3, 0)
    after = counts(store)
    assert after["responses"] == stored["responses"]
    assert after["uploads"] == stored["uploads"] + 1
    uploads = store.uploads().set_index("upload_id")
    assert uploads.loc[second.upload_id, "sha256"] == uploads.loc[first.upload_id, "sha256"]
    assert uploads.loc[second.upload_id, "note"] == f"same file as upload {first.upload_id}"


def test_the_same_file_for_another_scheme_is_not_a_duplicate(store: Store) -> None:
    ingest_bytes(store, GOOD, "results.csv", SCHEME)
    other = ingest_bytes(store, GOOD, "results.csv", "SL002")
    assert other.accepted == 3 and other.duplicates == 0


def test_identical_rows_are_duplicates_and_changed_rows_corrections(store: Store) -> None:
    ingest_bytes(store, GOOD, "results.csv", SCHEME)
    newer = HEAD + (
        b"R1,14/05/2026,I use Shared Lives,Never,Agree\n"  # identical: duplicate
        b"R2,15/05/2026,I am a family carer,Hardly ever,Strongly disagree\n"  # correction
        b"R4,17/05/2026,I use Shared Lives,Never,Agree\n"  # new
    )
    result = ingest_bytes(store, newer, "results-fixed.csv", SCHEME)
    assert (result.accepted, result.duplicates, result.corrected) == (2, 1, 1)
    assert "replaces an earlier answer" in result.message
    frame = store.query(
        "SELECT lonely_how_often FROM responses WHERE completed_on = DATE '2026-05-15'"
    )
    assert frame["lonely_how_often"].tolist() == [4]
    history = store.query("SELECT lonely_how_often, replaced_by FROM response_history")
    assert history.values.tolist() == [[1, result.upload_id]]
    assert len(store.query("SELECT * FROM responses")) == 4


def test_rollback_restores_the_row_a_correction_replaced(store: Store) -> None:
    ingest_bytes(store, GOOD, "results.csv", SCHEME)
    newer = HEAD + b"R2,15/05/2026,I am a family carer,Hardly ever,Strongly disagree\n"
    result = ingest_bytes(store, newer, "results-fixed.csv", SCHEME)
    assert result.corrected == 1
    assert store.rollback(result.upload_id) == {"removed": 1, "restored": 1}
    frame = store.query(
        "SELECT lonely_how_often FROM responses WHERE completed_on = DATE '2026-05-15'"
    )
    assert frame["lonely_how_often"].tolist() == [1]
    assert counts(store)["response_history"] == 0
    # Rolled back, the same file may be uploaded again (it is not a duplicate now).
    again = ingest_bytes(store, newer, "results-fixed.csv", SCHEME)
    assert again.corrected == 1 and again.duplicates == 0


# ---------------------------------------------------------- all or nothing ---
def test_a_process_killed_inside_the_transaction_leaves_nothing(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "results.csv"
    path.write_bytes(GOOD)
    before = counts(store)
    # The child pauses where an upload has written everything but not committed:
    # after the upload's last write (finish_upload), inside its transaction. The
    # pause is the test's own wrapper; the product has no hook for it.
    code = textwrap.dedent(
        f"""
        import sys, time
        from kpi.ingest import ingest_path
        from kpi.store import Store
        finish = Store.finish_upload
        def finish_then_pause(self, *args, **kwargs):
            finish(self, *args, **kwargs)
            print("pausing inside the upload transaction", file=sys.stderr, flush=True)
            time.sleep(60)
        Store.finish_upload = finish_then_pause
        ingest_path(Store({str(store.path)!r}), {str(path)!r}, {SCHEME!r})
        print("finished", flush=True)
        """
    )
    env = {**os.environ, "KHI_SECRET": "test-secret-not-for-production"}
    kill_when_paused(code, "pausing inside the upload transaction", env)
    assert counts(store) == before  # readable, and none of the upload is there
    assert ingest_bytes(store, GOOD, "results.csv", SCHEME).accepted == 3


# ---------------------------------------------------------------- preview ---
def test_preview_gives_the_upload_counts_and_writes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pages.views import _common  # the dashboard's cache key: the store file's size and time

    monkeypatch.setenv("KHI_DB", str(store.path))
    ingest_bytes(store, GOOD, "results.csv", SCHEME)
    newer = GOOD + b"R9,18/05/2026,I use Shared Lives,Occasionally,Agree\nR10,,,,\n"
    before, revision = counts(store), _common.revision()
    seen = preview(store, newer, "newer.csv", SCHEME)
    assert counts(store) == before and _common.revision() == revision
    assert seen.upload_id is None and "Ready to store" in seen.message
    done = ingest_bytes(store, newer, "newer.csv", SCHEME)
    assert (seen.accepted, seen.duplicates, seen.rejected, seen.corrected) == (
        done.accepted, done.duplicates, done.rejected, done.corrected
    ) == (1, 3, 1, 0)
    assert seen.problems == done.problems


def test_preview_shows_each_columns_mapping(store: Store) -> None:
    from tests.test_readers import SURVEYMONKEY

    seen = preview(store, SURVEYMONKEY, "sm.csv", SCHEME)
    column = {c.header: c for c in seen.columns}  # what the Upload page's table shows
    assert column["End Date"].code == "completed_on"
    assert column["End Date"].how == "the survey tool's completion time"
    assert column["IP Address"].status == "ignored (tool metadata)"
    assert column["Your reference"].code == "respondent_ref"
    statement = [h for h in column if h.endswith("I've been feeling useful")][0]
    assert column[statement].code == "swemwbs_2"


def test_preview_of_the_same_file_says_it_is_already_uploaded(store: Store) -> None:
    first = ingest_bytes(store, GOOD, "results.csv", SCHEME)
    seen = preview(store, GOOD, "results.csv", SCHEME)
    assert seen.already_uploaded == first.upload_id and seen.duplicates == 3


# ---------------------------------------------------------------- mapping ---
ODD_HEADERS = (
    b"Client number,When,Type,Feeling lonely (Q7),Staff initials\n"
    b"R1,14/05/2026,I use Shared Lives,Never,AB\n"
)


def test_a_mapping_override_maps_and_ignores_columns(store: Store) -> None:
    refused = ingest_bytes(store, ODD_HEADERS, "odd.csv", SCHEME)
    assert refused.refused
    mapping = {
        "client number": "respondent_ref", "when": "completed_on",
        "type": "respondent_type", "feeling lonely q7": "lonely_how_often",
        "staff initials": "",
    }
    result = ingest_bytes(store, ODD_HEADERS, "odd.csv", SCHEME, mapping=mapping)
    assert result.accepted == 1 and result.warnings == []
    assert lonely(store) == {2: 5}
    assert {c.header: c.status for c in result.columns}["Staff initials"] == "ignored"


def test_saved_mappings_of_the_scheme_apply_first(store: Store) -> None:
    store.save_mappings(SCHEME, {
        "client number": "respondent_ref", "when": "completed_on",
        "type": "respondent_type", "feeling lonely q7": "lonely_how_often",
    })
    result = ingest_bytes(store, ODD_HEADERS, "odd.csv", SCHEME)
    assert result.accepted == 1
    assert any("Staff initials" in w for w in result.warnings)
    # Another scheme's file is not affected by SL001's mappings.
    assert ingest_bytes(store, ODD_HEADERS, "odd.csv", "SL002").refused


def test_a_mapping_to_an_unknown_code_is_an_error(store: Store) -> None:
    with pytest.raises(ValueError, match="'lonelyness' is not a question or attribute code"):
        ingest_bytes(store, ODD_HEADERS, "odd.csv", SCHEME, mapping={"when": "lonelyness"})


def test_surveymonkey_custom_data_can_be_mapped_to_the_reference(store: Store) -> None:
    data = (
        b"Respondent ID,Collector ID,Start Date,End Date,Custom Data 1,Who is answering?\r\n"
        b",,,,,Response\r\n"
        b"1001,7,05/14/2026 10:00:00 AM,05/14/2026 10:05:00 AM,REF-77,I use Shared Lives\r\n"
    )
    assert "reference" in ingest_bytes(store, data, "sm.csv", SCHEME).message
    result = ingest_bytes(store, data, "sm.csv", SCHEME, mapping={"custom data 1":
                                                                  "respondent_ref"})
    assert result.accepted == 1


# --------------------------------------------------------------- activity ---
ACTIVITY = (
    b"Scheme ID,Quarter,Long-term,Short breaks,Day support,Home from hospital,"
    b"Approved carers,New arrangements,Ended arrangements\n"
    b"SL001,2026/27 Q1,40,12,6,1,38,3,2\n"
    b"SL002,14/08/2026,22,5,0,0,19,1,\n"
)


def test_an_activity_return_for_many_schemes_is_stored(store: Store) -> None:
    result = ingest_bytes(store, ACTIVITY, "returns.csv", None, kind="activity")
    assert (result.refused, result.accepted, result.problems) == (False, 2, [])
    frame = store.query(
        "SELECT scheme_id, quarter_start, long_term, ended_arrangements FROM activity_returns "
        "ORDER BY scheme_id"
    )
    assert [pd.Timestamp(d).date() for d in frame["quarter_start"]] == [
        dt.date(2026, 4, 1), dt.date(2026, 7, 1)
    ]
    assert frame["long_term"].tolist() == [40, 22]
    assert pd.isna(frame["ended_arrangements"].iloc[1])


def test_activity_problems_are_set_aside(store: Store) -> None:
    data = (
        b"scheme_id,quarter,long_term,short_break,day_support,home_from_hospital,"
        b"approved_carers,new_arrangements,ended_arrangements\n"
        b"SL001,2026/27 Q1,40,-2,6,1,38,3,2\n"
        b"SL404,2026/27 Q1,1,1,1,1,1,1,1\n"
        b"SL002,Spring,1,1,1,1,1,1,1\n"
        b"SL002,2030/31 Q1,1,1,1,1,1,1,1\n"
        b"SL002,2025/26 Q4,1,1,lots,1,1,1,1\n"
        b"SL002,2025/26 Q3,1,1,1,1,1,1,1\n"
    )
    result = ingest_bytes(store, data, "returns.csv", None, kind="activity")
    reasons = {(p.row, p.column): p.reason for p in result.problems}
    assert "below zero" in reasons[(2, "short_break")]
    assert "'SL404' is not in the scheme register" in reasons[(3, "scheme_id")]
    assert "write it like '2026/27 Q1'" in reasons[(4, "quarter")]
    assert "in the future" in reasons[(5, "quarter")]
    assert "not a whole number" in reasons[(6, "day_support")]
    assert (result.accepted, result.rejected) == (1, 5)


def test_an_activity_return_again_is_a_duplicate_or_a_correction(store: Store) -> None:
    ingest_bytes(store, ACTIVITY, "returns.csv", None, kind="activity")
    changed = ACTIVITY.replace(b"SL001,2026/27 Q1,40,", b"SL001,2026/27 Q1,41,")
    result = ingest_bytes(store, changed, "returns-v2.csv", None, kind="activity")
    assert (result.accepted, result.duplicates, result.corrected) == (1, 1, 1)
    assert store.query("SELECT long_term FROM activity_history")["long_term"].tolist() == [40]
    assert counts(store)["activity_returns"] == 2


def test_an_activity_return_for_another_scheme_than_given_is_refused(store: Store) -> None:
    before = counts(store)
    result = ingest_bytes(store, ACTIVITY, "returns.csv", "SL001", kind="activity")
    assert result.refused and "holds rows for scheme 'SL002'" in result.message
    assert counts(store) == before


def test_an_activity_return_without_scheme_column_uses_the_scheme_given(store: Store) -> None:
    data = activity_template_csv().replace(b"Scheme ID,", b"") + b"2026/27 Q1,1,2,3,4,5,6,7\r\n"
    assert ingest_bytes(store, data, "r.csv", None, kind="activity").refused
    result = ingest_bytes(store, data, "r.csv", "SL002", kind="activity")
    assert result.accepted == 1
    assert store.activity()["scheme_id"].tolist() == ["SL002"]


def test_the_same_activity_file_twice_is_recognised_without_a_scheme(store: Store) -> None:
    ingest_bytes(store, ACTIVITY, "returns.csv", None, kind="activity")
    again = ingest_bytes(store, ACTIVITY, "returns.csv", None, kind="activity")
    assert "already uploaded as upload" in again.message and again.duplicates == 2


# -------------------------------------------------------- scheme register ---
def test_the_register_normalises_regions_and_ratings(store: Store) -> None:
    frame = store.schemes().set_index("scheme_id")
    assert frame.loc["SL002", "region"] == "Yorkshire and the Humber"
    assert frame.loc["SL002", "cqc_rating"] == "requires_improvement"
    assert pd.Timestamp(frame.loc["SL001", "cqc_rating_date"]).date() == dt.date(2024, 3, 12)
    assert pd.isna(frame.loc["SL002", "cqc_rating_date"])


def test_register_rows_with_problems_are_left_out_and_listed(fresh_store: Store) -> None:
    data = (
        b"scheme_id,name,region,cqc_rating,cqc_rating_date\n"
        b"A1,Alpha,Narnia,good,\n"
        b"A2,Beta,London,Brilliant,\n"
        b"A3,Gamma,London,,31/02/2024\n"
        b"A4,,London,,\n"
        b"A5,Epsilon,london,Not yet rated,2024-01-05\n"
    )
    result = load_schemes(fresh_store, data)
    assert not result.refused and (result.loaded, result.rejected) == (1, 4)
    reasons = [p.reason for p in result.problems]
    assert "'Narnia' is not a region we know" in reasons[0]
    assert "'Brilliant' is not a CQC rating" in reasons[1]
    assert "not a real date" in reasons[2]
    assert "name is missing" in reasons[3]
    assert fresh_store.schemes()["scheme_id"].tolist() == ["A5"]


def test_a_register_without_required_columns_is_refused(fresh_store: Store) -> None:
    result = load_schemes(fresh_store, b"scheme_id,name\nA1,Alpha\n")
    assert result.refused and "no region column" in result.message
    assert fresh_store.schemes().empty


def test_a_register_with_no_usable_row_is_refused(fresh_store: Store) -> None:
    result = load_schemes(fresh_store, b"scheme_id,name,region\nA1,Alpha,Atlantis\n")
    assert result.refused and "nothing was loaded" in result.message
    assert fresh_store.schemes().empty


def test_loading_the_register_again_updates_schemes(store: Store) -> None:
    result = load_schemes(store, b"scheme_id,name,region\nSL001,Alderley,North West\n")
    assert "0 new, 1 updated" in result.message
    assert store.schemes().set_index("scheme_id").loc["SL001", "name"] == "Alderley"


# --------------------------------------------------------------- templates ---
def _filled_rows() -> list[list[str]]:
    """Two respondents answering every template column with labels."""
    from kpi.items import bank
    from kpi.template import allowed_answers

    b = bank()
    rows = []
    for n, (ref, day, who) in enumerate(
        [("T1", "14/05/2026", "I use Shared Lives"), ("T2", "15/05/2026", "I am a family carer")]
    ):
        row = []
        for code, _ in survey_columns():
            if code == "respondent_ref":
                row.append(ref)
            elif code == "completed_on":
                row.append(day)
            elif code == "respondent_type":
                row.append(who)
            elif code in b.item_codes and not b.item(code).scale.labelled:
                row.append(str(b.item(code).scale.min + n + 1))
            else:
                labels = [x for x in allowed_answers(code) if x != "Don't know"]
                row.append(labels[n % len(labels)])
        rows.append(row)
    return rows


def test_the_csv_template_filled_with_labels_ingests_without_problems(store: Store) -> None:
    import csv

    template = survey_template_csv()
    assert template.startswith(b"\xef\xbb\xbf")
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_filled_rows())
    data = template + buffer.getvalue().encode()
    result = ingest_bytes(store, data, "template.csv", SCHEME)
    assert (result.problems, result.warnings, result.accepted) == ([], [], 2)
    assert all(c.status == "matched" for c in result.columns)
    stored = store.query("SELECT * FROM responses ORDER BY source_row")
    assert stored.loc[0, "ethnicity"] == "asian" and stored.loc[1, "completed_by"] == "with_help"


def test_the_xlsx_template_filled_with_labels_ingests_without_problems(store: Store) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(survey_template_xlsx()))
    assert workbook.sheetnames == ["Responses", "Answers"]
    sheet = workbook["Responses"]
    assert sheet.data_validations.dataValidation  # drop-down lists are there
    for row in _filled_rows():
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = ingest_bytes(store, buffer.getvalue(), "template.xlsx", SCHEME)
    assert (result.problems, result.warnings, result.accepted) == ([], [], 2)


def test_the_activity_template_is_the_bank_activity_columns(store: Store) -> None:
    data = activity_template_csv() + b"SL001,2026/27 Q1,1,2,3,4,5,6,7\r\n"
    result = ingest_bytes(store, data, "activity.csv", None, kind="activity")
    assert (result.problems, result.warnings, result.accepted) == ([], [], 1)
