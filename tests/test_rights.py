"""A person's rights over their answers: find, export (CSV, PDF), erase; the retention rule.

Stores are built from survey files through the real upload, so person keys are
worked out from references and the secret exactly as in use.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from kpi.indicators import Settings, indicator_table
from kpi.ingest import ingest_bytes, load_schemes
from kpi.privacy import key_for_reference
from kpi.rights import (
    answers_in_words,
    erase_person,
    export_csv,
    export_pdf,
    find_person,
    retention_apply,
    retention_plan,
)
from kpi.scope import LOCAL_ADMIN, AccessError, Scope
from kpi.store import Store
from kpi.template import allowed_answers, survey_columns
from tests.builders import copied_store, kill_when_paused, run_kpi

PROJECT_DIR = Path(__file__).resolve().parents[1]
REGISTER = (
    b"scheme_id,name,region\n"
    b"SL001,Alderley Shared Lives,North West\n"
    b"SL002,Bramley Shared Lives,North West\n"
)
TABLES_WITH_KEYS = ("responses", "response_history", "set_aside")
EVERYONE = Settings(min_base=1, min_compare=1)


def person_row(ref: str, day: dt.date, seed: int, who: str = "I use Shared Lives") -> dict:
    """One complete survey row: every column of the template, answers drawn by ``seed``."""
    rng = random.Random(seed)
    row = {}
    for code, header in survey_columns():
        if code == "respondent_ref":
            row[header] = ref
        elif code == "completed_on":
            row[header] = f"{day:%d/%m/%Y}"
        elif code == "respondent_type":
            row[header] = who
        else:
            choices = allowed_answers(code)
            row[header] = rng.choice(choices) if choices else str(rng.randint(0, 5))
    return row


def survey_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[h for _, h in survey_columns()])
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


Q1 = dt.date(2026, 5, 14)  # 2026/27 Q1
Q2 = dt.date(2026, 8, 23)  # 2026/27 Q2


def uploads_of(with_r1: bool) -> list[tuple[str, bytes, str]]:
    """The uploads of the test store: R1 of SL001 answers twice in Q1, is corrected by a
    later upload, has a row set aside (bad date), and answers again in Q2; SL002 has its
    own R1 (another person: references are per scheme)."""
    first = [person_row(f"R{i}", Q1, i) for i in range(2, 12)]
    second = [person_row(f"R{i}", Q2, 100 + i) for i in range(2, 9)]
    fix = [person_row("R5", Q1, 55)]  # corrects R5's answer of the first upload
    other = [person_row(f"R{i}", Q1, 200 + i) for i in range(1, 8)]
    if with_r1:
        bad = person_row("R1", Q1, 1)
        bad["Date completed"] = "31/02/2026"
        first = [person_row("R1", Q1, 1), bad, *first,
                 person_row("R1", Q1 + dt.timedelta(days=15), 2)]
        second = [person_row("R1", Q2, 3), *second]
        fix = [person_row("R1", Q1, 4), *fix]  # corrects R1's first answer
    return [
        ("SL001", survey_csv(first), "first.csv"),
        ("SL001", survey_csv(second), "second.csv"),
        ("SL001", survey_csv(fix), "fix.csv"),
        ("SL002", survey_csv(other), "other.csv"),
    ]


def build(path: Path, with_r1: bool = True, only: tuple[str, ...] = ()) -> Store:
    """The test store (``only``: just these files of it)."""
    store = Store(path)
    store.init()
    assert not load_schemes(store, REGISTER).refused
    for scheme, data, name in uploads_of(with_r1):
        if only and name not in only:
            continue
        result = ingest_bytes(store, data, name, scheme)
        assert not result.refused, result.message
    return store


def khis(store: Store, settings: Settings = EVERYONE) -> pd.DataFrame:
    """Every KHI by scheme, quarter and respondent type (every cell shown by default)."""
    frame = indicator_table(store, by=["scheme", "quarter", "respondent_type"], quarter="all",
                            settings=settings)
    keep = ["khi", "scheme", "quarter", "respondent_type", "n", "count", "value", "lower95",
            "upper95"]
    return frame[keep].sort_values(keep[:4]).reset_index(drop=True)


def rows_with_key(store: Store, key: str) -> dict[str, int]:
    out = {}
    for table in TABLES_WITH_KEYS:
        out[table] = int(store.query(
            f"SELECT count(*) AS n FROM {table} WHERE person_key = ?", [key])["n"].iloc[0])
    return out


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A copy of the test store, built once per session (tests here write to it)."""
    return built(tmp_path / "khi.duckdb")


def built(path: Path) -> Store:
    """A copy at ``path`` of the whole test store (``build()``), built once per session."""
    return copied_store(path, ("rights", os.environ.get("KHI_SECRET")), build)


# -------------------------------------------------------------------- find ---
def test_find_gives_every_row_held_and_only_that_persons(store: Store) -> None:
    record = find_person(store, "SL001", " r1 ", LOCAL_ADMIN)  # references match any case
    # Q1: two answers (the later counts), the first corrected by fix.csv; Q2: one.
    assert len(record.responses) == 3
    assert record.responses["superseded"].sum() == 1
    assert len(record.history) == 1 and int(record.history["replaced_by"].iloc[0]) == 3
    assert record.set_aside[["upload_id", "row_number"]].drop_duplicates().values.tolist() == [
        [1, 3]]
    assert set(record.responses["scheme_id"]) == {"SL001"}
    other = find_person(store, "SL002", "R1", LOCAL_ADMIN)
    assert len(other.responses) == 1 and other.set_aside.empty
    nobody = find_person(store, "SL001", "R99", LOCAL_ADMIN)
    assert nobody.held == 0 and "Nothing is held" in nobody.summary()


def test_export_is_in_words_as_csv_and_pdf(store: Store) -> None:
    record = find_person(store, "SL001", "R1", LOCAL_ADMIN)
    words = answers_in_words(record)
    assert set(words["Upload"]) == {1, 2, 3}
    asked = words[words["Question"] == "Who is answering?"]
    assert set(asked["Answer"]) == {"I use Shared Lives"}
    lonely = words[words["Question"].str.contains("lonely", case=False)]
    assert not lonely.empty and not lonely["Answer"].str.fullmatch(r"\d+").any()  # words
    assert words["Held as"].str.startswith("corrected by upload 3").any()
    assert words["Held as"].str.startswith("set aside").any()
    assert words["Held as"].str.startswith("replaced by a later answer").any()
    text = export_csv(record)
    assert "R1" not in text  # the reference is never held, so never given back
    pdf = export_pdf(record, reference_shown="R1")
    assert pdf.startswith(b"%PDF") and len(pdf) > 3000


def test_a_scheme_user_cannot_find_or_erase(store: Store) -> None:
    staff = Scope(role="scheme", email="staff@alderley.example", scheme_ids=("SL001",))
    key = key_for_reference(store.path, "SL001", "R1")
    before = rows_with_key(store, key)
    with pytest.raises(AccessError, match="Only an administrator"):
        erase_person(store, "SL001", "R1", staff, by=staff.email)
    with pytest.raises(AccessError):
        find_person(store, "SL001", "R1", staff)
    assert rows_with_key(store, key) == before and before["responses"] == 3


# ------------------------------------------------------------------- erase ---
def test_erase_leaves_nothing_of_the_person_and_the_khis_of_a_store_without_them(
    store: Store, tmp_path: Path
) -> None:
    key = key_for_reference(store.path, "SL001", "R1")
    other_key = key_for_reference(store.path, "SL002", "R1")
    result = erase_person(store, "SL001", "R1", LOCAL_ADMIN, by="dpo@council.example")
    assert (result["responses"], result["history"], result["set_aside"]) == (3, 1, 1)
    assert result["uploads"] == [1, 2, 3]
    assert rows_with_key(store, key) == dict.fromkeys(TABLES_WITH_KEYS, 0)
    assert rows_with_key(store, other_key)["responses"] == 1  # another scheme's R1 stays
    # No row of any table mentions the key or the reference.
    for table in store.table_counts():
        text = store.query(f"SELECT * FROM {table}").to_csv()
        assert key not in text, table
    log = store.changes()
    erased = log[log["action"] == "person's answers erased"]
    assert len(erased) == 1 and erased["subject"].iloc[0] == "SL001"
    assert "R1" not in erased.to_csv() and key not in erased.to_csv()
    # The upload history counts what went.
    uploads = store.uploads().set_index("upload_id")
    assert uploads.loc[[1, 2, 3], "erased"].tolist() == [3, 1, 1]  # 2 answers + set-aside row
    from kpi.ingest.words import history_frame  # the Upload page's history says so too

    shown = history_frame(store.uploads()).set_index("Upload")
    assert shown.loc[[1, 2, 3, 4], "Erased on request"].tolist() == [3, 1, 1, 0]
    without = build(tmp_path / "without" / "khi.duckdb", with_r1=False)
    pd.testing.assert_frame_equal(khis(store), khis(without))
    # With disclosure control as set: the same cells hidden, the same shown.
    pd.testing.assert_frame_equal(khis(store, Settings()), khis(without, Settings()))


def test_set_aside_rows_without_a_key_are_counted_not_erased(store: Store) -> None:
    """Rows set aside before schema 3 carry no person key: they cannot be told apart."""
    with store.transaction() as con:
        con.execute("INSERT INTO set_aside (upload_id, row_number, reason, row_values) "
                    "VALUES (2, 40, 'old row', '{}')")
    record = find_person(store, "SL001", "R1", LOCAL_ADMIN)
    assert record.unkeyed_set_aside == 1
    assert "1 set-aside row of this scheme's uploads" in record.summary()
    assert "cannot be told apart" in record.summary()
    assert erase_person(store, "SL001", "R1", LOCAL_ADMIN, by="dpo")["set_aside"] == 1
    assert store.set_aside(2)["row_number"].tolist() == [40]


def test_erasing_twice_is_harmless(store: Store) -> None:
    erase_person(store, "SL001", "R1", LOCAL_ADMIN, by="dpo")
    after = khis(store), store.table_counts()
    again = erase_person(store, "SL001", "R1", LOCAL_ADMIN, by="dpo")
    assert (again["responses"], again["history"], again["set_aside"]) == (0, 0, 0)
    assert khis(store).equals(after[0])
    counts = store.table_counts()
    assert counts["changes"] == after[1]["changes"] + 1  # the request is logged
    assert {k: v for k, v in counts.items() if k not in ("changes", "meta")} == {
        k: v for k, v in after[1].items() if k not in ("changes", "meta")}


def test_person_commands(store: Store, tmp_path: Path) -> None:
    found = run_kpi(store.path, "person", "find", "--scheme", "SL001", "--ref", "R1")
    assert found.returncode == 0, found.stderr
    assert "3 answer sets as they count" in found.stdout
    out = tmp_path / "r1"
    exported = run_kpi(store.path, "person", "export", "--scheme", "SL001", "--ref", "R1",
                       "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert (out.with_suffix(".csv")).read_text().count("\n") > 40
    assert (out.with_suffix(".pdf")).read_bytes().startswith(b"%PDF")
    for written in (out.with_suffix(".csv"), out.with_suffix(".pdf")):
        assert written.stat().st_mode & 0o777 == 0o600  # a person's answers: owner only
    refused = run_kpi(store.path, "person", "erase", "--scheme", "SL001", "--ref", "R1",
                      "--as", "nobody@example.org")
    assert refused.returncode == 2 and "not a user" in refused.stderr
    erased = run_kpi(store.path, "person", "erase", "--scheme", "SL001", "--ref", "R1",
                     "--by", "dpo")
    assert erased.returncode == 0, erased.stderr
    assert "Erased 3 answer sets" in erased.stdout
    again = run_kpi(store.path, "person", "erase", "--scheme", "SL001", "--ref", "R1")
    assert again.returncode == 0 and "Nothing was held" in again.stdout


# --------------------------------------------------------------- retention ---
def test_retention_removes_only_what_is_past_the_limit(store: Store, tmp_path: Path) -> None:
    # Six years after 2026/27 Q1 ended (30 June 2026) plus a day: Q1 goes, Q2 stays.
    now = dt.datetime(2032, 7, 1, 12)
    plan = retention_plan(store, now=now)
    q1 = int(store.query("SELECT count(*) AS n FROM responses "
                         "WHERE quarter_start = DATE '2026-04-01'")["n"].iloc[0])
    assert (plan["responses"], plan["history"]) == (q1, 2) and plan["set_aside"] == 1
    before = store.table_counts()
    assert store.table_counts() == before  # the plan changed nothing
    done = retention_apply(store, by="dpo", now=now)
    assert (done["responses"], done["history"], done["set_aside"]) == (q1, 2, 1)
    quarters = store.query("SELECT DISTINCT quarter_start FROM responses")["quarter_start"]
    assert [str(q)[:10] for q in quarters] == ["2026-07-01"]
    assert store.table_counts()["set_aside"] == 0
    expired = store.uploads().set_index("upload_id")["expired"]
    assert expired.sum() == q1 + 2 and expired[2] == 0  # second.csv (Q2) lost nothing
    # The KHIs (change KHIs too) equal those of a store that only ever had Q2.
    q2_only = build(tmp_path / "q2" / "khi.duckdb", only=("second.csv",))
    pd.testing.assert_frame_equal(khis(store), khis(q2_only))
    # A day earlier nothing of Q1 would have gone (the limit is the quarter's end).
    assert retention_plan(built(tmp_path / "b" / "khi.duckdb"),
                          now=dt.datetime(2032, 6, 29, 12))["responses"] == 0


def test_retention_command_is_a_dry_run_unless_applied(store: Store) -> None:
    dry = run_kpi(store.path, "retention")
    assert dry.returncode == 0, dry.stderr
    assert "Would remove" in dry.stdout and "Nothing was changed" in dry.stdout
    applied = run_kpi(store.path, "retention", "--apply", "--by", "dpo")
    assert applied.returncode == 0 and "Removed" in applied.stdout
    assert store.last_change("retention rule applied")["changed_by"] == "dpo"


def test_retention_killed_inside_its_transaction_removes_nothing(store: Store) -> None:
    before = store.table_counts()
    # The child pauses after every delete, before the commit (the test's own wrapper).
    code = textwrap.dedent(
        f"""
        import datetime as dt, sys, time
        from kpi.rights import retention_apply
        from kpi.store import Store
        from kpi.store import rights
        record = rights.record_change
        def record_then_pause(*args, **kwargs):
            record(*args, **kwargs)
            print("pausing inside the retention transaction", file=sys.stderr, flush=True)
            time.sleep(60)
        rights.record_change = record_then_pause
        retention_apply(Store({str(store.path)!r}), by="t", now=dt.datetime(2040, 1, 1))
        print("finished", flush=True)
        """
    )
    kill_when_paused(code, "pausing inside the retention transaction")
    assert store.table_counts() == before  # readable, and nothing removed
    assert retention_apply(store, by="t", now=dt.datetime(2040, 1, 1))["responses"] > 0
    assert store.table_counts()["responses"] == 0


# -------------------------------------------------------------- Admin page ---
def test_the_admin_page_finds_gives_back_and_erases_one_person(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pages.views import admin
    from tests.apptest_helpers import open_page

    at = open_page(monkeypatch, store, "pages/admin.py", {admin.VIEWS_KEY: admin.RIGHTS},
                   KHI_NO_DEMO="1")
    assert "has not been applied yet" in "\n".join(m.value for m in at.markdown)
    at.selectbox(key="rights_scheme").set_value("SL001")
    at.text_input(key="rights_ref").set_value("r1 ")
    at.button(key="rights_find").click().run()
    assert not at.exception
    assert "3 answer sets as they count" in "\n".join(i.value for i in at.info)
    assert at.button(key="rights_erase").disabled  # not before the box is ticked
    at.checkbox(key="rights_sure").check().run()
    at.button(key="rights_erase").click().run()
    assert not at.exception
    assert "Erased 3 answer sets" in "\n".join(s.value for s in at.success)
    key = key_for_reference(store.path, "SL001", "R1")
    assert rows_with_key(store, key) == dict.fromkeys(TABLES_WITH_KEYS, 0)
    assert store.last_change("person's answers erased")["changed_by"].endswith("(local mode)")


# ---------------------------------------------------------------- refusals ---
def test_refusals_say_what_to_do(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpi.errors import KhiError, UnknownCode
    from kpi.items import bank

    with pytest.raises(UnknownCode, match="There is no scheme 'SL999' in the register"):
        find_person(store, "SL999", "R1", LOCAL_ADMIN)
    with pytest.raises(KhiError, match="Give the person's reference"):
        erase_person(store, "SL001", "  ", LOCAL_ADMIN, by="dpo")
    monkeypatch.setitem(bank().settings, "keep_answers_years", 0)
    with pytest.raises(KhiError, match="must be at least 1"):
        retention_plan(store)
    before = store.table_counts()
    with pytest.raises(KhiError, match="must be at least 1"):
        retention_apply(store, by="dpo")
    assert store.table_counts() == before



def test_the_admin_page_applies_the_retention_rule_and_shows_its_last_run(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpi.items import bank
    from pages.views import admin
    from tests.apptest_helpers import open_page

    # Set-aside rows kept one day: today's upload is not yet past it, so move it back.
    monkeypatch.setitem(bank().settings, "keep_set_aside_days", 1)
    with store.transaction() as con:
        con.execute("UPDATE uploads SET uploaded_at = uploaded_at - INTERVAL 3 DAY")
    at = open_page(monkeypatch, store, "pages/admin.py", {admin.VIEWS_KEY: admin.RIGHTS},
                   KHI_NO_DEMO="1")
    shown = "\n".join(m.value for m in at.markdown)
    assert "Now it would remove 0 answer sets" in shown and "1 set-aside row" in shown
    at.button(key="rights_retention").click().run()
    assert not at.exception
    assert "Removed 0 answer sets" in "\n".join(s.value for s in at.success)
    assert store.table_counts()["set_aside"] == 0
    shown = "\n".join(m.value for m in at.markdown)
    assert "Last applied" in shown and "set\\_aside=1" in shown, shown
