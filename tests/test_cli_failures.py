"""`python -m kpi` never ends in a traceback: a closed pipe, a full disk (output or
store) or an unreadable secret give a sentence saying what to do and exit 2 (§6)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpi import errors
from kpi.catalogue import khi
from kpi.store import Store, StoreLockedError, StoreMissingError
from tests.builders import kpi_main

PROJECT_DIR = Path(__file__).resolve().parents[1]
SURVEY = (
    b"Your reference,Date completed,Who is answering?,How often do you feel lonely?\n"
    b"R1,14/05/2026,I use Shared Lives,Never\n"
)
REGISTER = b"scheme_id,name,region,cqc_rating\nSL001,Alderley,North West,Good\n"


def kpi(*args: str, stdout=None, env: dict[str, str | None] | None = None):
    """``python -m kpi ARGS`` in this process (``tests.builders.kpi_main``), or as a whole
    process when ``stdout`` is a file the process must write to (a closed pipe, a full disk)."""
    if stdout is None:
        return kpi_main(*args, env={"KHI_SECRET": os.environ.get("KHI_SECRET"), **(env or {})})
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), **(env or {})}
    env = {name: value for name, value in env.items() if value is not None}  # None: unset
    return subprocess.run(
        [sys.executable, "-m", "kpi", *args], stdout=stdout, stderr=subprocess.PIPE,
        text=True, cwd=PROJECT_DIR, env=env, timeout=300,
    )


def assert_refused(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == errors.EXIT_REFUSED, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ")
    for word in words:
        assert word in done.stderr


def test_a_closed_output_pipe_is_a_sentence_and_exit_2(demo_store: Store) -> None:
    read, write = os.pipe()
    os.close(read)  # as `| head` does once it has its lines: every write now fails
    try:
        done = kpi("uploads", "--json", "--db", str(demo_store.path), stdout=write)
    finally:
        os.close(write)
    assert_refused(done, "output was closed", "> FILE")


def test_the_khi_table_closed_by_head_is_a_sentence_and_exit_2(demo_store: Store) -> None:
    """``indicators`` ends without the interpreter's teardown (``kpi.cli.ENDS_AT_ONCE``):
    a closed pipe still ends in the sentence and exit 2, not in silence."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = kpi("indicators", "--by", "scheme", "--db", str(demo_store.path), stdout=write)
    finally:
        os.close(write)
    assert_refused(done, "output was closed", "> FILE")


def test_the_khi_table_as_a_process_is_written_whole_and_ends_cleanly(
    demo_store: Store, tmp_path: Path
) -> None:
    """Ended at once, the process has written its whole table (the same as the command
    run in this process), exits 0 and says nothing on stderr (no leak report from
    DuckDB's bindings, no ignored exception)."""
    import pandas as pd

    args = ("indicators", "--by", "scheme", "--db", str(demo_store.path))
    with (tmp_path / "table.csv").open("w") as out:
        done = kpi(*args, stdout=out)
    assert (done.returncode, done.stderr) == (0, "")
    whole = pd.read_csv(tmp_path / "table.csv")
    here = kpi(*args)
    assert len(whole) > 100
    # DuckDB sums floats in parallel: two runs may differ in the last digits.
    pd.testing.assert_frame_equal(whole, pd.read_csv(io.StringIO(here.stdout)),
                                  check_exact=False, rtol=1e-12)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_disk_is_a_sentence_and_exit_2(demo_store: Store) -> None:
    with open("/dev/full", "w") as full:
        done = kpi("indicators", "--by", "scheme", "--db", str(demo_store.path), stdout=full)
    assert_refused(done, "could not write the output", "No space left", "free some space")


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A real 1 MB file system (tmpfs): needs root, else the test is skipped."""
    where = tmp_path / "tiny"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_a_store_on_a_full_disk_is_a_sentence_and_exit_2(tiny_disk: Path) -> None:
    done = kpi("demo", "--people", "3000", "--db", str(tiny_disk / "khi.duckdb"),
               env={"KHI_SECRET": "test-secret-not-for-production"}, stdout=subprocess.PIPE)
    assert_refused(done, "is full", "Free some space", str(tiny_disk / "khi.duckdb"))


def test_an_unreadable_secret_is_a_sentence_and_exit_2_and_nothing_stored(
    tmp_path: Path,
) -> None:
    db = tmp_path / "khi.duckdb"
    (tmp_path / "register.csv").write_bytes(REGISTER)
    (tmp_path / "survey.csv").write_bytes(SURVEY)
    assert kpi("init", "--db", str(db)).returncode == 0
    assert kpi("schemes", str(tmp_path / "register.csv"), "--db", str(db)).returncode == 0
    secret = tmp_path / "secret"
    secret.mkdir()  # cannot be read as a file, even by root
    env = {"KHI_SECRET": None, "KHI_SECRET_FILE": str(secret)}
    done = kpi("ingest", str(tmp_path / "survey.csv"), "--scheme", "SL001", "--db", str(db),
               env=env)
    assert_refused(done, "pseudonymisation secret", str(secret), "cannot be read")
    assert Store(db).uploads().empty
    assert int(Store(db).query("SELECT count(*) AS n FROM responses")["n"].iloc[0]) == 0


def test_an_unknown_code_is_a_refusal_of_the_family(demo_store: Store) -> None:
    with pytest.raises(errors.UnknownCode, match="Known codes") as caught:
        khi("nope")
    assert isinstance(caught.value, ValueError)  # older callers still catch it
    assert caught.value.exit_code == errors.EXIT_REFUSED
    done = kpi("indicators", "--khi", "nope", "--db", str(demo_store.path))
    assert_refused(done, "Unknown KHI code 'nope'")


def test_busy_and_missing_stores_carry_their_exit_codes(tmp_path: Path) -> None:
    assert issubclass(StoreLockedError, errors.StoreBusy)
    assert StoreLockedError("x").exit_code == errors.EXIT_BUSY == 3
    assert issubclass(StoreMissingError, errors.StoreMissing)
    done = kpi("indicators", "--db", str(tmp_path / "none.duckdb"))
    assert_refused(done, "No store at", "kpi init")
