"""Faults during an upload say what happened and store nothing (issue 21): a full
disk (a small tmpfs filled up), a read-only store (the tmpfs remounted read-only)
and a store another program keeps locked.

Why a real tmpfs: DuckDB's failed COMMIT on a full disk ends the transaction, and
the ROLLBACK after it raised "no transaction is active", hiding "No space left on
device" behind Streamlit's generic error. Mounting needs root: skipped otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpi.errors import KhiError, StoreBusy
from kpi.ingest import ingest_bytes, load_schemes
from kpi.store import Store, StoreWriteError

HEAD = b"Your reference,Date completed,Who is answering?,How often do you feel lonely?\n"


def rows(first: int, last: int) -> bytes:
    return HEAD + b"".join(
        b"R%d,14/05/2026,I use Shared Lives,Never\n" % i for i in range(first, last)
    )


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs of our own, unmounted after."""
    folder = tmp_path / "disk"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def stored_store(folder: Path) -> Store:
    store = Store(folder / "khi.duckdb")
    store.init()
    load_schemes(store, b"scheme_id,name,region\nSL001,Alderley,North West\n")
    assert ingest_bytes(store, rows(1, 2), "first.csv", "SL001").accepted == 1
    return store


def responses(store: Store) -> int:
    return int(store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0])


def test_a_full_disk_mid_upload_says_so_and_keeps_nothing(disk: Path) -> None:
    store = stored_store(disk)
    uploads = len(store.uploads())
    stat = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - 64 * 1024))
    with pytest.raises(StoreWriteError) as caught:
        ingest_bytes(store, rows(2, 20_000), "big.csv", "SL001")
    message = str(caught.value)
    assert "is full" in message and "No space left on device" in message
    assert "nothing of this change was stored" in message and "Free some space" in message
    assert isinstance(caught.value, KhiError)  # the pages show it as a message
    filler.unlink()
    assert responses(store) == 1 and len(store.uploads()) == uploads  # all or nothing
    assert ingest_bytes(store, rows(2, 20_000), "big.csv", "SL001").accepted == 19_998


def test_a_read_only_store_says_so_and_keeps_nothing(disk: Path) -> None:
    store = stored_store(disk)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    with pytest.raises(StoreWriteError, match="cannot be written: the file or its folder "
                       "is read-only .*Read-only file system.*Nothing was stored"):
        ingest_bytes(store, rows(2, 3), "second.csv", "SL001")
    assert responses(store) == 1


def test_a_locked_store_says_so_and_keeps_nothing(tmp_path: Path) -> None:
    store = stored_store(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(store.path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        store.lock_wait_seconds = 1.0
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="is busy: another program is writing to it. "
                           "Try again in a minute"):
            ingest_bytes(store, rows(2, 3), "second.csv", "SL001")
        assert time.monotonic() - started < 30
    finally:
        holder.terminate()
        holder.wait(timeout=30)
    assert responses(store) == 1


def test_the_upload_page_says_the_disk_is_full(
    disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same full disk on the Upload page: its message, not Streamlit's generic
    "This app has encountered an error", and nothing stored."""
    from tests.test_pages_data import choose_file, open_page, texts

    store = stored_store(disk)
    big = tmp_path / "big.csv"
    big.write_bytes(rows(2, 20_000))
    at = open_page(monkeypatch, store, "pages/upload.py", KHI_NO_DEMO="1")
    at.selectbox(key="upload_scheme").set_value("SL001").run()
    choose_file(at, big)
    assert not at.exception, [e.value for e in at.exception]
    stat = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - 64 * 1024))
    at.button(key="upload_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    error = texts(at.error)
    assert "is full" in error and "Free some space" in error, error
    filler.unlink()
    assert responses(store) == 1


def test_writes_from_many_threads_at_once_all_land(fresh_store: Store) -> None:
    """Twenty people signing in at once (each first sign-in binds their subject, a
    write) while others read: every write lands, none fails with DuckDB's "Conflict
    on update" or "Unique file handle conflict" (seen in benchmarks/signin_load.py)."""
    from concurrent.futures import ThreadPoolExecutor

    from kpi.scope import add_user

    emails = [f"person{i}@load.example" for i in range(20)]
    for email in emails:
        add_user(fresh_store, email, "admin", by="test")

    def sign_in(email: str) -> bool:
        return fresh_store.bind_subject(email, "https://issuer.example", f"sub-{email}")

    def page_view(_: int) -> int:
        with fresh_store.reading():  # the file open read-only while others write
            time.sleep(0.05)
            return len(fresh_store.users())

    with ThreadPoolExecutor(max_workers=10) as pool:
        views = [pool.submit(page_view, i) for i in range(20)]
        bound = list(pool.map(sign_in, emails))
        assert [view.result() for view in views] == [20] * 20
    assert bound == [True] * 20
    users = fresh_store.users()
    assert users["subject"].notna().all()
