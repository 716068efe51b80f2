"""Small stores built by hand for the unit tests (one copy, shared by the test modules)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from kpi.store import Store

PROJECT_DIR = Path(__file__).resolve().parents[1]
TEST_SECRET = "test-secret-not-for-production"


def run_kpi(db: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m kpi ARGS`` as a whole process, as a user's shell runs it, on the
    store ``db`` (``KHI_DB``; None: the command's own default) with the tests' secret."""
    env = {**os.environ, "KHI_SECRET": TEST_SECRET}
    if db is not None:
        env["KHI_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "kpi", *args],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120,
    )


def make_store(path: Path, schemes: list[tuple[str, str, str]]) -> Store:
    """An empty store with a scheme register of (scheme_id, name, region)."""
    store = Store(path)
    store.init()
    frame = pd.DataFrame(schemes, columns=["scheme_id", "name", "region"])
    with store.transaction() as con:
        store.upsert_schemes(con, frame)
    return store


def add_people(store: Store, scheme_id: str, quarter, people: pd.DataFrame) -> None:
    """One survey upload of ``people`` (one row each: attribute codes and item
    answers by column name) for ``scheme_id``, completed ten days into ``quarter``."""
    import datetime as dt

    n = len(people)
    frame = people.copy()
    frame["scheme_id"] = scheme_id
    frame["person_key"] = [f"{scheme_id}-{quarter}-{i}" for i in range(n)]
    if "respondent_type" not in people:
        frame["respondent_type"] = "person"
    frame["completed_on"] = quarter + dt.timedelta(days=10)
    frame["source_row"] = range(2, n + 2)
    with store.transaction() as con:
        upload = store.new_upload(
            con, scheme_id=scheme_id, kind="survey", file_name="people.csv", sha256=None,
            uploaded_by="test", layout="template", rows_read=n,
        )
        store.bulk_insert_responses(con, upload, frame)
        store.finish_upload(con, upload, accepted=n, rejected=0)


def kill_when_paused(code: str, pause: str, env: dict[str, str] | None = None) -> None:
    """Run ``code`` in a child Python and kill it (SIGKILL) as soon as it writes
    ``pause`` to its stderr: the all-or-nothing tests pause a write inside its
    transaction (with their own wrapper) and kill it there."""
    import signal
    import time

    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, env=env or dict(os.environ),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while pause not in line:
            line = child.stderr.readline()
            assert line or child.poll() is None, child.stderr.read()
            assert time.monotonic() < deadline
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
