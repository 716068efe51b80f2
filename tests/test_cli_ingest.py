"""``python -m kpi`` init / schemes / ingest / uploads / rollback, run in process
(``tests.builders.run_kpi``); one refusal runs as a whole process, for its exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpi.store import Store
from tests.builders import run_kpi, run_kpi_process

PROJECT_DIR = Path(__file__).resolve().parents[1]
REGISTER = b"scheme_id,name,region,cqc_rating\nSL001,Alderley,North West,Good\n"
SURVEY = (
    b"Your reference,Date completed,Who is answering?,How often do you feel lonely?\n"
    b"R1,14/05/2026,I use Shared Lives,Never\n"
    b"R2,15/05/2026,I am a family carer,Sometimes\n"
    b"R3,16/05/2026,I use Shared Lives,Hardly ever\n"
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store made by `init` with the register loaded by `schemes`."""
    db = tmp_path / "khi.duckdb"
    done = run_kpi(db, "init")
    assert done.returncode == 0, done.stderr
    assert "Store ready" in done.stdout
    (tmp_path / "register.csv").write_bytes(REGISTER)
    done = run_kpi(db, "schemes", str(tmp_path / "register.csv"))
    assert done.returncode == 0, done.stderr
    assert "Loaded 1 scheme" in done.stdout
    return db


def _responses(db: Path) -> int:
    return int(Store(db).query("SELECT count(*) AS n FROM responses")["n"].iloc[0])


def test_ingest_json_has_the_spec_keys_and_exits_0(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(SURVEY)
    done = run_kpi(db, "ingest", str(path), "--scheme", "SL001", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"upload_id", "accepted", "rejected", "duplicates", "corrected", "problems"} <= set(
        result
    )
    assert (result["upload_id"], result["accepted"], result["rejected"]) == (1, 2, 1)
    assert result["problems"] == [
        {"row": 3, "column": "How often do you feel lonely?",
         "reason": result["problems"][0]["reason"]}
    ]
    assert "'Sometimes' is not one of the answers" in result["problems"][0]["reason"]
    assert _responses(db) == 2


def test_ingest_text_summary(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(SURVEY)
    done = run_kpi(db, "ingest", str(path), "--scheme", "SL001")
    assert done.returncode == 0
    assert "Stored 2 responses from survey.csv" in done.stdout
    assert "row 3, 'How often do you feel lonely?'" in done.stdout


def test_a_refused_file_exits_2_and_stores_nothing(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(b"%PDF-1.5\n%binary\n")
    done = run_kpi_process(db, "ingest", str(path), "--scheme", "SL001", "--json")
    assert done.returncode == 2
    result = json.loads(done.stdout)
    assert result["refused"] and "PDF" in result["message"] and result["upload_id"] is None
    assert _responses(db) == 0
    assert Store(db).uploads().empty


def test_strict_exits_2_when_a_row_is_bad(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(SURVEY)
    done = run_kpi(db, "ingest", str(path), "--scheme", "SL001", "--strict")
    assert done.returncode == 2 and "--strict" in done.stdout
    assert _responses(db) == 0


def test_unknown_scheme_exits_2(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(SURVEY)
    done = run_kpi(db, "ingest", str(path), "--scheme", "NOPE")
    assert done.returncode == 2 and "not in the scheme register" in done.stdout


def test_activity_return_via_the_command_line(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "return.csv"
    path.write_bytes(
        b"Scheme ID,Quarter,Long-term,Short breaks,Day support,Home from hospital,"
        b"Approved carers,New arrangements,Ended arrangements\nSL001,2026/27 Q1,5,4,3,2,9,1,0\n"
    )
    done = run_kpi(db, "ingest", str(path), "--kind", "activity", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["accepted"] == 1


def test_uploads_then_rollback(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(SURVEY)
    assert run_kpi(db, "ingest", str(path), "--scheme", "SL001", "--by", "Sam").returncode == 0
    done = run_kpi(db, "uploads", "--json")
    assert done.returncode == 0
    uploads = json.loads(done.stdout)
    assert len(uploads) == 1
    upload = uploads[0]
    assert (upload["upload_id"], upload["accepted"], upload["rejected"]) == (1, 2, 1)
    assert (upload["uploaded_by"], upload["file_name"], upload["layout"]) == (
        "Sam", "survey.csv", "template"
    )
    assert len(upload["sha256"]) == 64
    done = run_kpi(db, "rollback", "1")
    assert done.returncode == 0 and "2 responses removed" in done.stdout
    assert _responses(db) == 0
    assert run_kpi(db, "rollback", "1").returncode == 2  # already rolled back


def test_schemes_with_bad_file_exits_2(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(b"scheme_id,name\nX,Y\n")
    done = run_kpi(db, "schemes", str(path), "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["refused"] is True


AMBIGUOUS = (
    b"Your reference,Date completed,Who is answering?\n"
    b"R1,04/03/2026,I use Shared Lives\nR2,06/01/2026,I use Shared Lives\n"
)


def test_ambiguous_dates_exit_2_naming_dates_then_dates_day_first_stores(
    db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "ambiguous.csv"
    path.write_bytes(AMBIGUOUS)
    done = run_kpi(db, "ingest", str(path), "--scheme", "SL001", "--json")
    assert done.returncode == 2, done.stderr
    result = json.loads(done.stdout)
    assert "--dates day-first" in result["message"] and _responses(db) == 0
    assert result["date_question"]["examples"][0] == ["04/03/2026", "4 March 2026",
                                                      "3 April 2026"]
    done = run_kpi(db, "ingest", str(path), "--scheme", "SL001", "--dates", "day-first", "--json")
    assert done.returncode == 0, done.stderr
    stored = Store(db).query("SELECT completed_on FROM responses ORDER BY source_row")
    assert [d.date().isoformat() for d in stored["completed_on"]] == ["2026-03-04", "2026-01-06"]


LOSSY = (
    b"Your reference,Date completed,Who is answering?,How often do you feel lonely?,"
    b"Thinking about the last month - I went out with friends,"
    b"Thinking about the last month - I saw my family,"
    b"Thinking about the last month - I did a hobby\n"
    b"R1,14/05/2026,I use Shared Lives,Never,Agree,Agree,Disagree\n"
    b"R2,15/05/2026,I use Shared Lives,Often or always,Agree,Disagree,Agree\n"
)


def test_unmatched_questions_are_named_with_their_cost_and_partial_needs_accept(
    db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "lossy.csv"
    path.write_bytes(LOSSY)
    done = run_kpi(db, "ingest", str(path), "--scheme", "SL001", "--json")
    assert done.returncode == 2, done.stderr
    result = json.loads(done.stdout)
    lost = result["unmatched_questions"]
    assert [q["column"] for q in lost] == ["E", "F", "G"]
    assert "the 3 statements under 'Thinking about the last month' would not be stored" in (
        lost[0]["cost"])
    assert "--accept-partial" in result["message"] and _responses(db) == 0
    done = run_kpi(db, "ingest", str(path), "--scheme", "SL001", "--accept-partial", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["accepted"] == 2 and len(result["unmatched_questions"]) == 3
    assert (result["question_cells"], result["stored_question_cells"]) == (8, 2)
