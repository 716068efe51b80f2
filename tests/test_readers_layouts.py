"""Real export layouts and their quirks, each carrying our questions, store the same answers.

The layouts follow real exports in public repositories (SurveyMonkey's in
zwcrowley/blackstone dev/sm_data, Qualtrics' in ropensci/qualtRics
tests/testthat/files and ctesta01/QualtricsTools, Google Forms' in
fivethirtyeight/data star-wars-survey, Microsoft Forms' in
skoofer/ms-forms-quiz-calculator tests/resources); the content is ours: the
three respondents of tests/test_readers.py, so each file must store EXPECTED.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from kpi.ingest import ingest_bytes
from kpi.store import Store
from tests.builders import registered_store
from tests.test_readers import (
    GOOGLE_FORMS,
    QUALTRICS,
    REGISTER,
    SCHEME,
    SMARTSURVEY,
    SURVEYMONKEY,
    _expected,
    _stored,
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store with the register loaded (a copy of one built once)."""
    return registered_store(tmp_path / "khi.duckdb", REGISTER)


def _grid(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _drop(rows: list[list[str]], *names: str) -> list[list[str]]:
    gone = {j for j, c in enumerate(rows[0]) if c in names}
    return [[c for j, c in enumerate(r) if j not in gone] for r in rows]


def _stores_expected(store: Store, data: bytes, layout: str, **options) -> object:
    result = ingest_bytes(store, data, "export.csv", SCHEME, **options)
    assert not result.refused, result.message
    assert result.layout == layout
    assert result.problems == []
    assert _stored(store) == _expected(store)
    return result


# ------------------------------------------------------------- SurveyMonkey ---
def test_surveymonkey_without_collector_id_keeps_every_matrix_answer(store: Store) -> None:
    data = _csv(_drop(_grid(SURVEYMONKEY), "Collector ID"))
    result = _stores_expected(store, data, "surveymonkey")
    assert result.accepted == 3


def test_surveymonkey_with_old_respondentid_and_personal_columns_deleted(store: Store) -> None:
    rows = _drop(_grid(SURVEYMONKEY), "Collector ID", "IP Address", "Email Address",
                 "First Name", "Last Name", "Custom Data 1")
    rows[0][0] = "RespondentID"
    _stores_expected(store, _csv(rows), "surveymonkey")


def test_surveymonkey_with_only_its_dates_left_is_still_two_header_rows(store: Store) -> None:
    rows = _drop(_grid(SURVEYMONKEY), "Respondent ID", "Collector ID", "IP Address",
                 "Email Address", "First Name", "Last Name", "Custom Data 1")
    _stores_expected(store, _csv(rows), "surveymonkey")


def test_surveymonkey_other_please_specify_is_the_tools_own_not_a_lost_question(
    store: Store,
) -> None:
    rows = _grid(SURVEYMONKEY)
    j = rows[0].index("Who filled in this form?")
    for r, cell in zip(rows, ["", "Other (please specify)", "", "my key worker", ""]):
        r.insert(j + 1, cell)
    result = _stores_expected(store, _csv(rows), "surveymonkey")
    other = [c for c in result.columns if "Other (please specify)" in c.header]
    assert other and other[0].status == "ignored (tool metadata)"
    assert result.unmatched_questions == []


# ---------------------------------------------------------------- Qualtrics ---
def test_qualtrics_single_quoted_import_ids(store: Store) -> None:
    rows = _grid(QUALTRICS)
    rows[2] = [c.replace('"', "'").replace(":", ": ") for c in rows[2]]
    assert rows[2][0].startswith("{'ImportId': ")
    _stores_expected(store, _csv(rows), "qualtrics")


def test_qualtrics_stem_statement_without_spaces_and_stems_cut_short(store: Store) -> None:
    rows = _grid(QUALTRICS)
    rows[1] = [c[:30] + "...-" + c.split(" - ", 1)[1] if " - " in c else c for c in rows[1]]
    assert rows[1][24].endswith("...-I've been feeling optimistic about the future")
    _stores_expected(store, _csv(rows), "qualtrics")


def test_qualtrics_row_two_in_another_language(store: Store) -> None:
    rows = _grid(QUALTRICS)
    french = ["Date de début", "Date de fin", "Type de réponse", "Adresse IP", "Progression",
              "Durée (en secondes)", "Terminé", "Date enregistrée", "ID de réponse"]
    rows[1][: len(french)] = french
    _stores_expected(store, _csv(rows), "qualtrics")


def test_qualtrics_two_header_rows_without_import_ids(store: Store) -> None:
    rows = _grid(QUALTRICS)
    del rows[2]
    _stores_expected(store, _csv(rows), "qualtrics")


def test_qualtrics_legacy_export_with_v1_to_v10(store: Store) -> None:
    rows = _grid(QUALTRICS)
    meta = ["ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress",
            "IPAddress", "Status", "StartDate", "EndDate", "Finished"]
    questions = rows[1][17:]
    legacy = [[f"V{i}" for i in range(1, 11)] + rows[0][17:], meta + questions]
    for r in rows[3:]:
        legacy.append([r[8], "Default Response Set", "Anonymous", "", "", r[3], "0", r[0],
                       r[1], "1", *r[17:]])
    _stores_expected(store, _csv(legacy), "qualtrics")


def test_qualtrics_preview_and_unfinished_rows_are_set_aside_with_their_reason(
    store: Store,
) -> None:
    rows = _grid(QUALTRICS)
    preview = list(rows[3])
    preview[2], preview[8], preview[17] = "Survey Preview", "R_9z9Z9z9Z9z9Z9z9", "KHI-PREVIEW-1"
    unfinished = list(rows[4])
    unfinished[6], unfinished[8], unfinished[17] = "False", "R_8y8Y8y8Y8y8Y8y8", "KHI-HALF-2"
    rows += [preview, unfinished]
    result = ingest_bytes(store, _csv(rows), "export.csv", SCHEME)
    assert (result.accepted, result.rejected) == (3, 2)
    assert _stored(store) == _expected(store)
    reasons = {p.row: p.reason for p in result.problems}
    assert "survey preview" in reasons[7] and "not finished" in reasons[8]


def test_qualtrics_numeric_values_export_is_refused_with_what_to_do(store: Store) -> None:
    rows = _grid(QUALTRICS)
    numbers = {"I use Shared Lives": "1", "I am a family carer": "2", "Me": "1",
               "Someone else for me": "3", "Me, with some help": "2", "25 to 34": "2",
               "75 or over": "6"}
    for r in rows[3:]:
        r[18:21] = [numbers.get(c, c) for c in r[18:21]]
    result = ingest_bytes(store, _csv(rows), "export.csv", SCHEME)
    assert result.refused and "Use choice text" in result.message
    assert _stored(store) == []


def test_qualtrics_external_reference_serves_as_the_persons_reference(store: Store) -> None:
    rows = _grid(QUALTRICS)
    for r in rows[3:]:
        r[12] = r[17]  # ExternalReference
    rows = _drop(rows, "Q1")
    result = _stores_expected(store, _csv(rows), "qualtrics")
    ref = [c for c in result.columns if c.code == "respondent_ref"]
    assert ref[0].header == "ExternalReference"


# ------------------------------------------------------------- Google Forms ---
@pytest.mark.parametrize("timestamp", ["Marca temporal", "Horodateur", "Zeitstempel"])
def test_google_sheets_in_another_locale_is_google_forms(store: Store, timestamp: str) -> None:
    rows = _grid(GOOGLE_FORMS)
    rows[0][0] = timestamp
    uk = {"2026/05/14 10:32:11 GMT+1": "14/05/2026 10:32:11",
          "2026/04/03 09:15:00 GMT+1": "03/04/2026 09:15:00",
          "2026/06/01 16:05:09 GMT+1": "01/06/2026 16:05:09"}
    for r in rows[1:]:
        r[0] = uk[r[0]]
    # Rows not in date order: the order is no evidence, and 14/05 settles only itself.
    assert ingest_bytes(store, _csv(rows), "export.csv", SCHEME).date_question
    _stores_expected(store, _csv(rows), "google_forms", dates="day-first")


def test_google_sheets_dates_in_submission_order_settle_the_rows_they_can(
    store: Store,
) -> None:
    data = (
        b"Timestamp,Your reference,Who is answering?\r\n"
        b"03/04/2026 09:00:00,R1,I use Shared Lives\r\n"  # 3 April ... or 4 March
        b"05/04/2026 10:00:00,R2,I use Shared Lives\r\n"  # 5 April ... or 4 May
        b"01/06/2026 11:00:00,R3,I use Shared Lives\r\n"  # 1 June  ... or 6 January
    )
    # Only 01/06 is settled by the order (6 January would come before the rows
    # above it); 03/04 and 05/04 run in order either way round, so they are asked.
    asked = ingest_bytes(store, data, "Form responses 1.csv", SCHEME)
    assert asked.refused and asked.date_question["open_rows"] == [2, 3]
    result = ingest_bytes(store, data, "Form responses 1.csv", SCHEME, dates="day-first")
    assert not result.refused, result.message
    frame = store.query("SELECT completed_on FROM responses ORDER BY source_row")
    assert [d.date() for d in frame["completed_on"]] == [
        dt.date(2026, 4, 3), dt.date(2026, 4, 5), dt.date(2026, 6, 1)]
    assert any("you chose it" in w for w in result.warnings)


# ----------------------------------------------------------- Microsoft Forms ---
def _ms_rows() -> list[list[object]]:
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Your reference",
              "Who is answering?", "Who filled in this form?", "Age",
              "How many friends do you have, not counting paid staff?",
              "How often do you feel lonely?", "I feel part of my local community",
              "I've been feeling optimistic about the future", "I've been feeling useful",
              "I've been feeling relaxed", "I've been dealing with problems well",
              "I've been thinking clearly", "I've been feeling close to other people",
              "I've been able to make up my own mind about things",
              "Overall, how happy did you feel yesterday?"]
    g = _grid(GOOGLE_FORMS)
    when = {"KHI-ALPHA-7731": dt.datetime(2026, 5, 14, 10, 32),
            "KHI-BRAVO-2208": dt.datetime(2026, 4, 3, 9, 15),
            "KHI-CHARLIE-0042": dt.datetime(2026, 6, 1, 16, 5)}
    body = []
    for i, r in enumerate(g[1:], 1):
        stamp = when[r[2]]
        body.append([i, stamp, stamp, "anonymous", "", *r[2:]])
    return [header, *body]


def test_microsoft_forms_xlsx_with_date_cells(store: Store) -> None:
    book = openpyxl.Workbook()
    for row in _ms_rows():
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    result = ingest_bytes(store, out.getvalue(), "KHI survey(1-3).xlsx", SCHEME)
    assert (result.layout, result.problems) == ("microsoft_forms", [])
    assert _stored(store) == _expected(store)


def test_microsoft_forms_resaved_by_excel_in_the_uk(store: Store) -> None:
    rows = [[c.strftime("%d/%m/%Y %H:%M") if isinstance(c, dt.datetime) else str(c)
             for c in r] for r in _ms_rows()]
    _stores_expected(store, _csv(rows), "microsoft_forms", dates="day-first")


# -------------------------------------------------------------- SmartSurvey ---
def test_smartsurvey_with_userno(store: Store) -> None:
    rows = _grid(SMARTSURVEY)
    rows[0][0] = "UserNo"
    _stores_expected(store, _csv(rows), "smartsurvey")
