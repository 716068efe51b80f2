"""The store: schema creation and upgrade, and behaviour when another process holds it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kpi.store import SCHEMA_VERSION, Store, StoreLockedError, StoreMissingError


def test_init_creates_every_table(fresh_store: Store) -> None:
    tables = set(fresh_store.query("SELECT table_name FROM information_schema.tables")[
        "table_name"
    ])
    assert {
        "meta",
        "schemes",
        "uploads",
        "responses",
        "response_history",
        "set_aside",
        "activity_returns",
        "activity_history",
        "column_mappings",
    } <= tables
    assert fresh_store.schema_version() == SCHEMA_VERSION
    assert fresh_store.is_empty()


def test_init_twice_keeps_data_and_upgrades_missing_item_columns(fresh_store: Store) -> None:
    with fresh_store.connect(write=True) as con:
        con.execute("ALTER TABLE responses DROP COLUMN ons_happy")
    assert "ons_happy" not in fresh_store.query("SELECT * FROM responses LIMIT 0").columns
    fresh_store.init()
    assert "ons_happy" in fresh_store.query("SELECT * FROM responses LIMIT 0").columns


def test_every_write_changes_the_dashboards_cache_key(
    fresh_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard keys its cached reads on the store file's size and time
    (``pages.views.cache.revision``): every committed write changes them, even a
    transaction that stores no rows."""
    from pages.views import _common

    monkeypatch.setenv("KHI_DB", str(fresh_store.path))
    before = _common.revision()
    with fresh_store.transaction() as con:
        fresh_store.new_upload(
            con, scheme_id=None, kind="survey", file_name="x.csv", sha256="0",
            uploaded_by="test", layout="template",
        )
    after_upload = _common.revision()
    assert after_upload != before
    with fresh_store.transaction():
        pass
    assert _common.revision() != after_upload


def test_failed_transaction_stores_nothing(fresh_store: Store) -> None:
    with pytest.raises(RuntimeError), fresh_store.transaction() as con:
        fresh_store.new_upload(
            con, scheme_id=None, kind="survey", file_name="x.csv", sha256="0",
            uploaded_by="test", layout="template",
        )
        raise RuntimeError("boom")
    assert fresh_store.uploads().empty


def test_reading_a_missing_store_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(StoreMissingError, match="python -m kpi init"):
        Store(tmp_path / "none.duckdb").query("SELECT 1")


def test_store_busy_in_another_process_gives_a_clear_message(fresh_store: Store) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, time
                con = duckdb.connect({str(fresh_store.path)!r})
                print("holding", flush=True)
                time.sleep(20)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        fresh_store.lock_wait_seconds = 0.5
        started = time.monotonic()
        with (
            pytest.raises(StoreLockedError, match="busy: another program is writing"),
            fresh_store.connect(write=True),
        ):
            pass
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
    # Once the other process is gone the store opens again.
    with fresh_store.connect(write=True) as con:
        assert con.execute("SELECT 1").fetchone() == (1,)


def test_store_is_not_held_open_between_operations(fresh_store: Store) -> None:
    fresh_store.schemes()
    # Another process can take the write lock straight away.
    code = f"import duckdb; duckdb.connect({str(fresh_store.path)!r}).close(); print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_an_upgrade_reads_its_own_stores_columns_while_another_store_is_open(
    tmp_path: Path,
) -> None:
    """Every store a process opens is attached to one DuckDB (``_Attachments``), so the
    catalogue's views list the columns of every store open at the moment: an upgrade
    that read another store's columns as its own would skip the column it lacks."""
    from kpi.items import bank

    code = bank().items[0].code
    other, old = Store(tmp_path / "other.duckdb"), Store(tmp_path / "old.duckdb")
    other.init()
    old.init()
    with old.connect(write=True) as con:  # a store made before the item was in the bank
        con.execute(f'ALTER TABLE responses DROP COLUMN "{code}"')
        con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    with other.reading():  # open, with the column, while the old one is upgraded
        assert other.query("SELECT count(*) AS n FROM responses")["n"].iloc[0] == 0
        old.ensure()
    columns = old.query("SELECT * FROM responses LIMIT 0").columns
    assert code in columns and old.schema_version() == SCHEMA_VERSION


def test_a_version_1_store_is_upgraded_with_its_superseded_responses(tmp_path: Path) -> None:
    """Schema 2 keeps "replaced by a later answer in the same quarter" at write time;
    a store made before it gets the table, filled, on upgrade."""
    import datetime as dt

    import pandas as pd

    from kpi.indicators import Settings, indicator_table

    store = Store(tmp_path / "khi.duckdb")
    store.init()
    with store.transaction() as con:
        store.upsert_schemes(
            con, pd.DataFrame({"scheme_id": ["A"], "name": ["Alder"], "region": ["London"]})
        )
        upload_id = store.new_upload(
            con, scheme_id="A", kind="survey", file_name="x.csv", sha256="0",
            uploaded_by="test", layout="template", rows_read=2,
        )
        # One person twice in a quarter: disagrees in May, agrees in June.
        store.bulk_insert_responses(con, upload_id, pd.DataFrame({
            "scheme_id": ["A", "A"], "person_key": ["p", "p"],
            "respondent_type": ["person", "person"],
            "completed_on": [dt.date(2026, 5, 1), dt.date(2026, 6, 1)],
            "warm_kind": pd.array([1, 5], dtype="Int8"),
        }))
    with store.connect(write=True) as con:  # what a version 1 store looked like
        con.execute("DROP TABLE superseded")
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    assert store.schema_version() == 1
    store.ensure()
    assert store.schema_version() == SCHEMA_VERSION == 5
    table = indicator_table(store, khis=["warm_kind"], settings=Settings(min_base=1))
    assert (int(table["n"].iloc[0]), int(table["count"].iloc[0])) == (1, 1)  # June counts


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every open of a store file from now on (an attach to the process's DuckDB, or a
    unit of work sharing one), as its ``read_only`` flag."""
    from kpi.store import connection

    opens: list[bool] = []
    real_open = connection._ATTACHMENTS.open

    def counting(path: Path, write: bool):  # noqa: ANN202
        opens.append(not write)
        return real_open(path, write)

    monkeypatch.setattr(connection._ATTACHMENTS, "open", counting)
    return opens


def test_a_batch_of_reads_opens_the_file_once_and_lets_go(
    fresh_store: Store, opened: list[bool]
) -> None:
    with fresh_store.reading():
        for _ in range(3):
            assert fresh_store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0] == 0
        with fresh_store.reading():  # nested batches share the same connection
            fresh_store.schemes()
    assert opened == [True]
    # Let go: a write right after the batch gets the file.
    with fresh_store.transaction() as con:
        con.execute("INSERT INTO meta VALUES ('probe', 'x')")
    assert fresh_store.meta("probe") == "x"


def test_an_engine_read_opens_the_file_once_and_a_write_inside_a_batch_is_refused(
    demo_store: Store, opened: list[bool], tmp_path: Path
) -> None:
    """Every engine read is one batch (``one_read_batch``): a KHI table, the latest
    quarter that shows (two tables), an equity view, each opens the file once (each
    open attaches it and reads its catalogue again). A write inside a batch would
    wait on this thread's own read lock: it fails at once, as the bug it is. Before
    there is a store, a batch holds nothing (the quarters of no store are none)."""
    from kpi.indicators import available_quarters, equity, indicator_table, latest_shown_quarter

    for read in (lambda: indicator_table(demo_store, by=["region"]),
                 lambda: latest_shown_quarter(demo_store),
                 lambda: equity(demo_store, "warm_kind", "age_band")):
        opened.clear()
        read()
        assert opened == [True], read
    with demo_store.reading(), pytest.raises(RuntimeError, match="read batch"):
        demo_store.put_meta("probe", "x")
    assert demo_store.meta("probe") is None
    # No file yet: nothing to hold, and each read answers as it does without a batch.
    assert available_quarters(Store(tmp_path / "none.duckdb")) == []
