"""Backup and restore: a consistent copy while uploads run, restored whole; damage refused.

These tests use the store's own secret file (not ``KHI_SECRET``), so the person
links prove the secret came back with the store.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from kpi.backup import MANIFEST, STORE_FILE, BackupError, backup, restore
from kpi.ingest import ingest_bytes, load_schemes
from kpi.paths import secret_path
from kpi.privacy import SecretError
from kpi.rights import find_person
from kpi.scope import LOCAL_ADMIN
from kpi.store import Store
from tests.builders import copied_store, kpi_main
from tests.test_rights import Q1, REGISTER, khis, person_row, survey_csv

PROJECT_DIR = Path(__file__).resolve().parents[1]
UPLOADS = 24


def upload_file(n: int) -> bytes:
    """Upload ``n``: six people of its own, and person P0 again (a correction each time)."""
    rows = [person_row(f"U{n}-{i}", Q1, 1000 * n + i) for i in range(6)]
    return survey_csv([person_row("P0", Q1, n), *rows])


@pytest.fixture
def own_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KHI_SECRET", raising=False)


def rebuilt(path: Path, upload_numbers: list[int]) -> Store:
    """A store made by uploading exactly these files, in order."""
    store = Store(path)
    store.init()
    assert not load_schemes(store, REGISTER).refused
    for n in upload_numbers:
        assert not ingest_bytes(store, upload_file(n), f"u{n}.csv", "SL001").refused
    return store


def intact(store: Store, manifest: dict) -> None:
    """Every upload whole, counts as the manifest says."""
    assert store.table_counts() == manifest["tables"]
    uploads = store.uploads()
    stored = store.query("SELECT upload_id, count(*) AS n FROM responses GROUP BY ALL")
    held = dict(zip(stored["upload_id"], stored["n"]))
    for upload_id in uploads["upload_id"]:
        # each upload keeps its six people; P0 counts only in the latest upload
        assert held.get(upload_id) == (7 if upload_id == uploads["upload_id"].max() else 6)


def test_backup_while_uploads_run_restores_every_khi_and_person_link(
    tmp_path: Path, own_secret: None
) -> None:
    source = Store(tmp_path / "live" / "khi.duckdb")
    source.init()
    assert not load_schemes(source, REGISTER).refused
    files = tmp_path / "files"
    files.mkdir()
    for n in range(UPLOADS):
        (files / f"u{n}.csv").write_bytes(upload_file(n))
    code = textwrap.dedent(
        f"""
        import sys
        from kpi.ingest import ingest_path
        from kpi.store import Store
        store = Store({str(source.path)!r})
        for n in range({UPLOADS}):
            result = ingest_path(store, {str(files)!r} + f"/u{{n}}.csv", "SL001")
            assert not result.refused, result.message
            print("stored", n, flush=True)
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "KHI_SECRET"}
    child = subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    backups = []
    try:
        assert child.stdout.readline().startswith("stored"), child.stderr.read()
        while child.poll() is None and len(backups) < 6:
            target = tmp_path / f"backup{len(backups)}"
            backups.append((target, backup(source, target)))
        assert child.wait(timeout=120) == 0, child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
    during = [m["tables"]["uploads"] for _, m in backups]
    assert any(0 < n < UPLOADS for n in during), during  # taken while uploads ran
    target = tmp_path / "final"
    backups.append((target, backup(source, target)))
    for number, (folder, manifest) in enumerate(backups):
        restored = Store(tmp_path / f"restored{number}" / "khi.duckdb")
        restore(folder, restored.path)
        intact(restored, manifest)
    # The last backup taken during the uploads: its KHIs are those of a store made
    # from exactly the uploads it holds, and each person's answers are found again
    # from their reference (the secret came back with the store).
    mid = max((n, i) for i, n in enumerate(during) if n < UPLOADS)[1]
    restored = Store(tmp_path / f"restored{mid}" / "khi.duckdb")
    numbers = sorted(int(f[1:-4]) for f in restored.uploads()["file_name"])
    assert numbers == list(range(len(numbers)))
    pd.testing.assert_frame_equal(khis(restored), khis(rebuilt(tmp_path / "re", numbers)))
    final = Store(tmp_path / f"restored{len(backups) - 1}" / "khi.duckdb")
    pd.testing.assert_frame_equal(khis(final), khis(source))
    assert secret_path(final.path).read_bytes() == secret_path(source.path).read_bytes()
    for ref in ("P0", "U3-2", f"U{UPLOADS - 1}-5"):
        here = find_person(source, "SL001", ref, LOCAL_ADMIN)
        there = find_person(final, "SL001", ref, LOCAL_ADMIN)
        assert len(there.responses) == 1
        pd.testing.assert_frame_equal(here.responses, there.responses)
        pd.testing.assert_frame_equal(here.history, there.history)
    assert len(find_person(final, "SL001", "P0", LOCAL_ADMIN).history) == UPLOADS - 1


def test_a_backup_waits_for_a_write_that_has_committed_but_not_let_go(
    tmp_path: Path, own_secret: None
) -> None:
    """The commit is in DuckDB's log until the writer closes the file: a copy of the
    file alone would miss it; the backup waits for the writer and holds it."""
    source = rebuilt(tmp_path / "live" / "khi.duckdb", [0])
    data = tmp_path / "u1.csv"
    data.write_bytes(upload_file(1))
    code = textwrap.dedent(
        f"""
        import time
        from contextlib import contextmanager
        from kpi.ingest import ingest_path
        from kpi.store import Store
        opened = Store.connect
        @contextmanager
        def hold_after_commit(self, write=False):
            with opened(self, write) as con:
                yield con
                if write and con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 2:
                    print("committed", flush=True)
                    time.sleep(4)  # the test's own pause: the writer has not let go
        Store.connect = hold_after_commit
        ingest_path(Store({str(source.path)!r}), {str(data)!r}, "SL001")
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "KHI_SECRET"}
    child = subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().startswith("committed"), child.stderr.read()
        manifest = backup(source, tmp_path / "backup")
        assert child.wait(timeout=60) == 0, child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
    restored = Store(tmp_path / "restored" / "khi.duckdb")
    restore(tmp_path / "backup", restored.path)
    assert manifest["tables"]["uploads"] == restored.table_counts()["uploads"] == 2
    intact(restored, manifest)


@pytest.fixture
def made(tmp_path: Path, own_secret: None) -> tuple[Store, Path]:
    store = copied_store(tmp_path / "live" / "khi.duckdb", ("backup", 0, 1),
                         lambda path: rebuilt(path, [0, 1]))  # built once: see builders
    folder = tmp_path / "backup"
    backup(store, folder)
    return store, folder


def test_a_damaged_backup_is_refused_with_a_clear_message(
    made: tuple[Store, Path], tmp_path: Path
) -> None:
    _, folder = made
    data = bytearray((folder / STORE_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / STORE_FILE).write_bytes(bytes(data))
    target = tmp_path / "restored" / "khi.duckdb"
    with pytest.raises(BackupError, match="is damaged: khi.duckdb does not match the checksum"):
        restore(folder, target)
    assert not target.exists() and not secret_path(target).exists()


def test_a_backup_whose_manifest_lies_is_refused(made: tuple[Store, Path], tmp_path: Path) -> None:
    _, folder = made
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["tables"]["responses"] += 1
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="its manifest says"):
        restore(folder, tmp_path / "restored" / "khi.duckdb")
    (folder / MANIFEST).unlink()
    with pytest.raises(BackupError, match="did not finish"):
        restore(folder, tmp_path / "restored" / "khi.duckdb")


def test_restore_refuses_a_live_store_unless_told(made: tuple[Store, Path]) -> None:
    store, folder = made
    rebuilt_later = ingest_bytes(store, upload_file(2), "u2.csv", "SL001")
    assert rebuilt_later.accepted == 7
    with pytest.raises(BackupError, match="There is already a store"):
        restore(folder, store.path)
    assert store.table_counts()["uploads"] == 3
    restore(folder, store.path, replace=True)
    assert store.table_counts()["uploads"] == 2
    assert not find_person(store, "SL001", "U2-1", LOCAL_ADMIN).held
    assert find_person(store, "SL001", "U1-1", LOCAL_ADMIN).held == 1


def test_backup_and_restore_commands(made: tuple[Store, Path], tmp_path: Path) -> None:
    store, _ = made

    def kpi(*args: str) -> subprocess.CompletedProcess[str]:
        return kpi_main(*args, env={"KHI_SECRET": None})  # in process, the store's secret file

    made_ = kpi("backup", "--db", str(store.path), str(tmp_path / "b2"))
    assert made_.returncode == 0 and "Backup written" in made_.stdout, made_.stderr
    again = kpi("backup", "--db", str(store.path), str(tmp_path / "b2"))
    assert again.returncode == 2 and "not empty" in again.stderr
    back = kpi("restore", "--db", str(tmp_path / "r" / "khi.duckdb"), str(tmp_path / "b2"))
    assert back.returncode == 0 and "checksums and row counts match" in back.stdout
    over = kpi("restore", "--db", str(store.path), str(tmp_path / "b2"))
    assert over.returncode == 2 and "--replace" in over.stderr


# ------------------------------------------------------------------ refusals ---
def _rewrite_manifest(folder: Path, change) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    change(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest))


def _junk_store(folder: Path) -> None:
    """A store file that is not a database, with a manifest that matches it."""
    import hashlib

    junk = b"not a database" * 1000
    (folder / STORE_FILE).write_bytes(junk)
    _rewrite_manifest(folder, lambda m: m["files"][STORE_FILE].update(
        sha256=hashlib.sha256(junk).hexdigest(), bytes=len(junk)))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / MANIFEST).write_text("{not json"), "its manifest.json cannot be read"),
        (lambda f: _rewrite_manifest(f, lambda m: m.update(format="other")),
         "was not made by `python -m kpi backup`"),
        (lambda f: _rewrite_manifest(f, lambda m: m.update(schema_version=99)),
         "newer than this program's"),
        (lambda f: (f / "khi.duckdb.secret").unlink(), "khi.duckdb.secret is missing"),
        (_junk_store, "its store cannot be opened"),
    ],
)
def test_every_damaged_backup_is_refused_with_its_message(
    made: tuple[Store, Path], tmp_path: Path, damage, message: str
) -> None:
    _, folder = made
    damage(folder)
    target = tmp_path / "restored" / "khi.duckdb"
    with pytest.raises(BackupError, match=re.escape(message)):
        restore(folder, target)
    assert not target.exists() and not secret_path(target).exists()


def test_restore_and_backup_refusals(made: tuple[Store, Path], tmp_path: Path) -> None:
    store, folder = made
    with pytest.raises(BackupError, match="There is no backup folder"):
        restore(tmp_path / "nowhere", tmp_path / "r" / "khi.duckdb")
    other = tmp_path / "other" / "khi.duckdb"
    other.parent.mkdir()
    secret_path(other).write_text("a different secret of enough characters here")
    with pytest.raises(BackupError, match="already a different secret"):
        restore(folder, other)
    assert not other.exists()
    with pytest.raises(BackupError, match="There is no store at"):
        backup(Store(tmp_path / "none.duckdb"), tmp_path / "b-none")
    secret_path(store.path).unlink()
    with pytest.raises(SecretError, match="its secret is missing"):
        backup(store, tmp_path / "b-no-secret")
    assert not (tmp_path / "b-no-secret").exists()  # refused before any folder is made
