"""Small stores built by hand for the unit tests (one copy, shared by the test modules)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from kpi.store import Store

PROJECT_DIR = Path(__file__).resolve().parents[1]
TEST_SECRET = "test-secret-not-for-production"


def run_kpi(db: Path | None, *args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """``python -m kpi ARGS`` on the store ``db`` (``KHI_DB``; None: the command's own
    default) with the tests' secret, run in this process by :func:`kpi_main` (a whole
    process costs about a second of imports). ``env`` sets (None: unsets) variables."""
    if db is not None:
        env = {"KHI_DB": str(db), **env}
    return kpi_main(*args, env=env)


def run_kpi_process(
    db: Path | None, *args: str, **env: str | None
) -> subprocess.CompletedProcess[str]:
    """``python -m kpi ARGS`` as a whole process, as a user's shell runs it: for the few
    tests that prove the process itself (its exit code, a closed pipe, the ``-m`` entry)."""
    full = {**os.environ, "KHI_SECRET": TEST_SECRET}
    if db is not None:
        full["KHI_DB"] = str(db)
    full.update(env)
    full = {name: value for name, value in full.items() if value is not None}
    return subprocess.run(
        [sys.executable, "-m", "kpi", *args],
        cwd=PROJECT_DIR, env=full, capture_output=True, text=True, timeout=120,
    )


def kpi_main(
    *args: str, env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """``kpi.cli.main(args)`` in this process, with stdout and stderr captured and
    ``env`` set for the call (None: unset; ``KHI_SECRET`` is the tests' unless given):
    the same result as the process, without a second of imports per command.

    Why a CompletedProcess: the tests read ``returncode``, ``stdout`` and ``stderr``
    the same way whichever runs the command. An exception that escapes ``main``
    escapes here too (the process would have printed a traceback)."""
    import contextlib
    import io

    from kpi.cli import main

    changes = {"KHI_SECRET": TEST_SECRET, **(env or {})}
    saved = {name: os.environ.get(name) for name in changes}
    out, err = io.StringIO(), io.StringIO()
    try:
        _set_env(changes)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: --help, or arguments it refuses
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        _set_env(saved)
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "kpi", *args], code, out.getvalue(), err.getvalue()
    )


def _set_env(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


_TEMPLATES: dict[tuple, Path] = {}


def copied_store(path: Path, key: tuple, build: Callable[[Path], Store]) -> Store:
    """A copy at ``path`` of the store ``build(path)`` makes, built once per session
    (per xdist worker) for ``key`` and copied after: for tests that write to a store
    that takes seconds to build. The copy takes every file of the build's folder (the
    store, its write-ahead log, a secret made beside it). ``key`` must name whatever
    the build depends on (its arguments, a ``KHI_SECRET`` or not)."""
    import atexit
    import shutil
    import tempfile

    template = _TEMPLATES.get(key)
    if template is None:
        folder = Path(tempfile.mkdtemp(prefix="khi-template-"))
        atexit.register(shutil.rmtree, folder, True)
        build(folder / path.name)
        _TEMPLATES[key] = template = folder / path.name
    path.parent.mkdir(parents=True, exist_ok=True)
    for file in template.parent.iterdir():
        shutil.copy2(file, path.parent / file.name)
    return Store(path)


def empty_store(path: Path) -> Store:
    """An initialised, empty store at ``path``, copied from one built once: creating
    the tables opens DuckDB and runs the schema (about 0.1 s), for every test that
    starts from nothing."""

    def build(target: Path) -> Store:
        store = Store(target)
        store.init()
        return store

    return copied_store(path, ("empty",), build)


def make_store(path: Path, schemes: list[tuple[str, str, str]]) -> Store:
    """An empty store with a scheme register of (scheme_id, name, region)."""

    def build(target: Path) -> Store:
        store = empty_store(target)
        frame = pd.DataFrame(schemes, columns=["scheme_id", "name", "region"])
        with store.transaction() as con:
            store.upsert_schemes(con, frame)
        return store

    return copied_store(path, ("schemes", tuple(tuple(s) for s in schemes)), build)


def registered_store(path: Path, register: bytes) -> Store:
    """An empty store with the scheme register ``register`` (CSV bytes) loaded through
    ``load_schemes``, as a scheme's administrator loads it; built once, copied after."""
    from kpi.ingest import load_schemes

    def build(target: Path) -> Store:
        store = empty_store(target)
        result = load_schemes(store, register)
        assert not result.refused, result.message
        return store

    return copied_store(path, ("register", register), build)


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
