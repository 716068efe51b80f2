"""Four more survey tools, one reader module each (issue 26 item 6), each storing EXPECTED.

The layouts follow the tools' real exports as public repositories hold them
(Typeform's "#", "Submit Date (UTC)", "Network ID" in copies of its
downloads; LimeSurvey's id / submitdate / lastpage / startlanguage and its
"Response ID" / "Date submitted" full headings; Jisc Online Surveys' URN,
StartDate, CompletionDate in analysis scripts of its exports; Snap's data
download with variable names over labels). The content is ours: the three
respondents of tests/test_readers.py, so each file must store EXPECTED.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kpi.ingest import ingest_bytes
from kpi.store import Store
from tests.builders import registered_store
from tests.test_readers import GOOGLE_FORMS, REGISTER, SCHEME, _expected, _stored

QUESTIONS = [
    "Your reference", "Who is answering?", "Who filled in this form?", "Age",
    "How many friends do you have, not counting paid staff?", "How often do you feel lonely?",
    "I feel part of my local community",
]
SWEMWBS = [
    "I've been feeling optimistic about the future", "I've been feeling useful",
    "I've been feeling relaxed", "I've been dealing with problems well",
    "I've been thinking clearly", "I've been feeling close to other people",
    "I've been able to make up my own mind about things",
]
HAPPY = "Overall, how happy did you feel yesterday?"


def _answers() -> list[list[str]]:
    """A, B and C's answers in the order QUESTIONS + SWEMWBS + HAPPY (from Google's sample)."""
    rows = list(csv.reader(io.StringIO(GOOGLE_FORMS.decode(), newline="")))[1:]
    return [r[2:] for r in rows]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store with the register loaded (a copy of one built once)."""
    return registered_store(tmp_path / "khi.duckdb", REGISTER)


def _stores_expected(store: Store, data: bytes, layout: str, name: str = "export.csv",
                     **options) -> object:
    result = ingest_bytes(store, data, name, SCHEME, **options)
    assert not result.refused, result.message
    assert result.layout == layout
    assert _stored(store) == _expected(store)
    return result


# ----------------------------------------------------------------- Typeform ---
def typeform() -> bytes:
    """Newest first; one question recalls an answer, one is bold; times in UTC."""
    header = [
        "#", *QUESTIONS[:5],
        "{{field:3f9a2c1d}}, how often do you feel lonely?",
        "<strong>I feel part of my local community</strong>", *SWEMWBS, HAPPY,
        "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)",
        "Network ID", "Tags",
    ]
    a, b, c = _answers()
    # C submitted at 00:05 BST on 1 June: 23:05 on 31 May in UTC, stored as 1 June.
    return _csv([
        header,
        ["p0x1", "KHI-DELTA-0001", "I use Shared Lives", "Me", "", "", *[""] * 9, "",
         "partial", "2026-06-02 08:00:00", "2026-06-02 08:01:00", "", "aa01", ""],
        ["c3k9", *c, "completed", "2026-05-31 23:01:13", "", "2026-05-31 23:05:09", "f0c1",
         ""],
        ["a1z7", *a, "completed", "2026-05-14 09:30:02", "", "2026-05-14 09:32:11", "9bd2",
         ""],
        ["b2y8", *b, "completed", "2026-04-03 08:10:40", "", "2026-04-03 08:15:00", "77ee",
         ""],
    ])


def test_typeform_stores_expected_with_utc_times_as_uk_dates(store: Store) -> None:
    result = _stores_expected(store, typeform(), "typeform", "responses.csv")
    assert (result.accepted, result.rejected) == (3, 1)
    assert "Typeform marks it 'partial'" in result.problems[0].reason
    assert any("are in UTC" in w for w in result.warnings)


# --------------------------------------------------------------- LimeSurvey ---
_LIME_OWN = ["Response ID", "Date submitted", "Last page", "Start language", "Seed",
             "Date started", "Date last action"]


def limesurvey(answers: list[list[str]] | None = None) -> bytes:
    """Full question text and full answers; the SWEMWBS array as "Question [Subquestion]"."""
    header = [*_LIME_OWN, *QUESTIONS,
              *[f"How have you been feeling? [{s}]" for s in SWEMWBS], HAPPY]
    a, b, c = answers or _answers()
    return _csv([
        header,
        ["4", "2026-04-03 09:15:00", "3", "en", "1850214", "2026-04-03 09:10:40",
         "2026-04-03 09:15:00", *b],
        ["5", "", "1", "en", "992811", "2026-05-01 10:00:00", "2026-05-01 10:02:00",
         "KHI-DELTA-0001", "I use Shared Lives", *[""] * 13],
        ["7", "2026-05-14 10:32:11", "3", "en", "2211093", "2026-05-14 10:30:02",
         "2026-05-14 10:32:11", *a],
        ["9", "2026-06-01 16:05:09", "3", "en", "771234", "2026-06-01 16:01:13",
         "2026-06-01 16:05:09", *c],
    ])


def test_limesurvey_full_answers_store_expected_and_unfinished_is_set_aside(
    store: Store,
) -> None:
    result = _stores_expected(store, limesurvey(), "limesurvey")
    assert (result.accepted, result.rejected) == (3, 1)
    assert {p.row for p in result.problems} == {3}
    assert "no submit date" in result.problems[0].reason


def test_limesurvey_answer_codes_are_refused_saying_what_to_export(store: Store) -> None:
    codes = {"I use Shared Lives": "A1", "I am a family carer": "A2", "Me": "A1",
             "Me, with some help": "A2", "Someone else for me": "A3", "25 to 34": "A2",
             "75 or over": "A6"}
    coded = [[r[0], *(codes.get(v, v) for v in r[1:4]), *r[4:]] for r in _answers()]
    result = ingest_bytes(store, limesurvey(coded), "export.csv", SCHEME)
    assert result.refused and store.is_empty()
    assert "'Full answers'" in result.message


def test_limesurvey_code_headings_are_refused_saying_what_to_export(store: Store) -> None:
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate",
              "datestamp", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7",
              *[f"Q8[SQ00{i}]" for i in range(1, 8)], "Q9"]
    data = _csv([header, ["1", "2026-05-14 10:32:11", "3", "en", "1", "2026-05-14 10:30:02",
                          "2026-05-14 10:32:11", *_answers()[0]]])
    result = ingest_bytes(store, data, "export.csv", SCHEME)
    assert result.refused and result.layout == "limesurvey"
    assert "'Full question text'" in result.message


# ------------------------------------------------------ Jisc Online Surveys ---
def jisc() -> bytes:
    """URN, StartDate, CompletionDate; numbered questions, grid rows as "7.1."; UK dates."""
    header = ["URN", "StartDate", "CompletionDate",
              *[f"{i}. {q}" for i, q in enumerate(QUESTIONS, start=1)],
              *[f"8.{i}. {s}" for i, s in enumerate(SWEMWBS, start=1)], f"9. {HAPPY}"]
    a, b, c = _answers()
    return _csv([
        header,
        ["118003", "14/05/2026 10:30", "14/05/2026 10:32", *a],
        ["118004", "03/04/2026 09:10", "03/04/2026 09:15", *b],
        ["118007", "01/06/2026 16:01", "01/06/2026 16:05", *c],
    ])


def test_jisc_online_surveys_stores_expected(store: Store) -> None:
    result = _stores_expected(store, jisc(), "jisc")
    assert result.problems == []
    assert any("the survey tool writes dates this way" in w for w in result.warnings)


def test_jisc_coded_responses_are_refused(store: Store) -> None:
    codes = {"I use Shared Lives": "1", "I am a family carer": "2", "Me": "1",
             "Someone else for me": "3", "Me, with some help": "2", "25 to 34": "2",
             "75 or over": "6"}
    data = jisc().decode()
    for label, code in codes.items():
        data = data.replace(f'"{label}"', f'"{code}"')
    result = ingest_bytes(store, data.encode(), "export.csv", SCHEME)
    assert result.refused and "coded responses" in result.message


# -------------------------------------------------------------- Snap Surveys ---
def snap() -> bytes:
    """The data download as "Tab-separated (Unicode)": UTF-16, names over labels."""
    names = ["Serial", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7",
             *[f"Q8.{i}" for i in range(1, 8)], "Q9", "Q10"]
    labels = ["Serial", *QUESTIONS, *SWEMWBS, HAPPY, "Date completed"]
    a, b, c = _answers()
    rows = [names, labels, ["1", *a, "14/05/2026"], ["2", *b, "03/04/2026"],
            ["3", *c, "01/06/2026"]]
    return ("\r\n".join("\t".join(r) for r in rows) + "\r\n").encode("utf-16")


def test_snap_unicode_download_stores_expected(store: Store) -> None:
    result = _stores_expected(store, snap(), "snap", "snap-data.txt", dates="day-first")
    assert result.problems == []
