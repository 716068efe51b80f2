"""Opening the store: one connection per unit of work, and the schema it creates.

Why open-work-close: a process holding a DuckDB file read-write blocks every
other process, so the dashboard and the command line never keep it open.
Each operation opens the file, runs one transaction and closes it, retrying
for a bounded time when another process holds the lock.

"Opens" means attaches: the file is attached to one in-memory DuckDB kept for the
process (:class:`_Attachments`) and detached when its last unit of work ends, so the
file is let go exactly as before, without building a DuckDB instance each time.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, Self, TypeVar

import duckdb
import pandas as pd

from kpi.errors import KhiError, StoreBusy, StoreMissing
from kpi.paths import default_db_path
from kpi.store.schema import (
    ACCESS_SCHEMA,
    NOTES_SCHEMA,
    RIGHTS_SCHEMA,
    ROUNDS_SCHEMA,
    SCHEMA,
    SCHEMA_VERSION,
    SUPERSEDED_SQL,
    ident,
    item_columns,
    response_table_sql,
)


class StoreLockedError(StoreBusy, RuntimeError):
    """Another process kept the store busy for longer than we wait."""


class StoreMissingError(StoreMissing, RuntimeError):
    """The store file does not exist yet."""


P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="Connection")


def one_read_batch(
    fn: Callable[Concatenate[S, P], R],
) -> Callable[Concatenate[S, P], R]:
    """An engine read ``fn(store, ...)`` made on one connection (``Store.reading``).

    Why: each open attaches the file and reads its catalogue again (2-3 ms with the
    process's DuckDB kept, :class:`_Attachments`; 15-25 ms when every open built a
    DuckDB instance), and one KHI table opened the file twice, the Equity page's view
    33 times. A batch opens it once and closes it when ``fn`` returns, so nothing is held
    between requests. Only for reads: a write inside a batch is refused
    (:meth:`Connection.connect`)."""

    @functools.wraps(fn)
    def batched(store: S, *args: P.args, **kwargs: P.kwargs) -> R:
        with store.reading():
            return fn(store, *args, **kwargs)

    return batched


class StoreWriteError(KhiError, RuntimeError):
    """The store could not be written (a full disk, a read-only file or folder, an I/O
    error): nothing of the change was kept, and the message says what to do."""


def write_failure(path: Path, exc: BaseException) -> StoreWriteError | None:
    """The message for a write that failed because of the disk or the file, or None
    for any other error (a bug: raised as it is)."""
    text = str(exc)
    low = text.lower()
    if "no space left" in low or "disk full" in low or "disk quota" in low:
        return StoreWriteError(
            f"The disk holding the store {path} is full (\"No space left on device\"), so "
            "nothing of this change was stored. Free some space on that disk (or move the "
            "store to a larger one and point KHI_DB at it), then try again."
        )
    if "read-only" in low or "permission denied" in low or "readonly" in low:
        return StoreWriteError(
            f"The store {path} cannot be written: the file or its folder is read-only "
            f"({text.splitlines()[0]}). Nothing was stored. Ask whoever runs the dashboard "
            "to make the store and its folder writable by the user it runs as, then try "
            "again."
        )
    if isinstance(exc, duckdb.IOException) or "could not write" in low:
        return StoreWriteError(
            f"The store {path} could not be written ({text.splitlines()[0]}). Nothing of "
            "this change was stored. Check the disk, then try again."
        )
    return None


def owner_only(path: Path) -> None:
    """The store and its write-ahead log readable by their owner only (0600).

    Why after each write: DuckDB creates the file and its ``.wal`` with the
    process's umask, and the answers in them are personal data.
    """
    for file in (path, Path(str(path) + ".wal")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except OSError:  # no .wal between checkpoints; not ours to change
            pass


# The process's write transactions, one at a time (see ``Connection.transaction``).
_WRITES = threading.RLock()  # re-entrant: a write inside a write in one thread


class _HeldReadOnly(Exception):
    """This process has the file attached read-only and a write wants it: the write
    waits (and retries) as it waits for another process's lock."""


@dataclass
class _Attached:
    alias: str
    write: bool
    users: int


class _Attachments:
    """One in-memory DuckDB for the process, with each store file attached to it while a
    unit of work uses it.

    Why: ``duckdb.connect(file)`` builds a new DuckDB instance, its catalogue of
    functions included, every time: 21 ms an open, 17 ms of it for an empty
    ``:memory:`` instance, against 2 ms to attach the file to an instance kept for
    the process, query it and detach it (DuckDB 2.0 here; ``benchmarks/store_open.py``).
    A page run opens the store several times and the command line once a read.

    What stays as it was: a file is attached read-write only for a write; units of
    work on one file share its attachment (reads may share a write's, as they shared
    its instance before: each sees committed data only); the last one to end detaches
    it, which lets go of DuckDB's file lock for other processes. A write waits while
    this process reads the file (:class:`_HeldReadOnly`), as it waited for the read
    instance to close. DuckDB itself refuses a second open of an attached file in the
    process ("Unique file handle conflict"), which the caller waits on like a lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._host: duckdb.DuckDBPyConnection | None = None
        self._pid = 0
        self._files: dict[str, _Attached] = {}
        self._names = itertools.count(1)

    def open(self, path: Path, write: bool) -> tuple[duckdb.DuckDBPyConnection, str]:
        """A connection of its own to ``path`` (read-write when ``write``), with the name
        it is attached under; give it back with :meth:`close`."""
        key = str(path)
        with self._lock:
            host = self._instance()
            entry = self._files.get(key)
            if entry is not None and not entry.write and write:
                raise _HeldReadOnly(key)
            if entry is None:
                alias = f"khi_store_{next(self._names)}"
                mode = "" if write else " (READ_ONLY)"
                host.execute(f"ATTACH ? AS {ident(alias)}{mode}", [key])
                entry = self._files[key] = _Attached(alias, write, 0)
            entry.users += 1
            try:
                con = host.cursor()
                con.execute(f"USE {ident(entry.alias)}")
            except BaseException:
                self._let_go(key, entry)
                raise
        return con, entry.alias

    def close(self, path: Path, con: duckdb.DuckDBPyConnection) -> None:
        con.close()
        with self._lock:
            entry = self._files.get(str(path))
            if entry is not None:
                self._let_go(str(path), entry)

    def _let_go(self, key: str, entry: _Attached) -> None:
        entry.users -= 1
        if entry.users <= 0:
            del self._files[key]
            assert self._host is not None
            self._host.execute(f"DETACH {ident(entry.alias)}")

    def _instance(self) -> duckdb.DuckDBPyConnection:
        """The process's instance (a new one in a forked child: the parent's is not its own)."""
        if self._host is None or self._pid != os.getpid():
            self._host = duckdb.connect(":memory:")
            self._pid = os.getpid()
            self._files.clear()
        return self._host


_ATTACHMENTS = _Attachments()


def _quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar: DuckDB draws it on stdout, inside the command line's CSV or JSON."""
    con.execute("SET enable_progress_bar = false")


class Connection:
    """The file, its connections and transactions, and creating or upgrading its tables
    (a part of :class:`kpi.store.Store`)."""

    lock_wait_seconds = 15.0

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        # A batch of reads is one thread's: another thread using the same Store opens
        # its own connection (a shared one is "busy with another call" in DuckDB, and
        # closing it under the other thread would end its reads).
        self._batch = threading.local()

    @property
    def _reading(self) -> duckdb.DuckDBPyConnection | None:
        return getattr(self._batch, "con", None)

    @_reading.setter
    def _reading(self, con: duckdb.DuckDBPyConnection | None) -> None:
        self._batch.con = con

    @contextmanager
    def reading(self) -> Iterator[Self]:
        """Hold one read-only connection for a batch of reads (the board pack makes a
        dozen), then close it: one open instead of one per query, and still never
        held past the batch. Reads inside share it; writes are refused meanwhile
        by DuckDB itself, so keep batches short. With no file yet there is nothing
        to hold: each read inside opens on its own (and says the store is missing,
        or returns what its caller returns for no store)."""
        if self._reading is not None or not self.path.exists():
            yield self
            return
        with self._attached(write=False) as (con, alias):
            self._reading, self._batch.alias = con, alias  # the batch's cursors USE it
            try:
                yield self
            finally:
                self._reading = None

    @contextmanager
    def connect(self, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the file for one unit of work, waiting a bounded time for a lock."""
        if not write and self._reading is not None:
            cursor = self._reading.cursor()  # its own results, the same open file
            cursor.execute(f"USE {ident(self._batch.alias)}")
            _quiet(cursor)
            try:
                yield cursor
            finally:
                cursor.close()
            return
        if write and self._reading is not None:
            # This thread holds the file read-only: a write would wait for itself.
            raise RuntimeError("A write inside a read batch (Store.reading): a bug.")
        if not write and not self.path.exists():
            raise StoreMissingError(
                f"No store at {self.path}. Run `python -m kpi init` (or `demo`) first."
            )
        with self._attached(write) as (con, _):
            yield con

    @contextmanager
    def _attached(self, write: bool) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
        """The file attached for one unit of work (``_Attachments``) and the name it is
        attached under, waiting a bounded time while another holds it."""
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_wait_seconds
        delay = 0.05
        while True:
            try:
                con, alias = _ATTACHMENTS.open(self.path, write)
                break
            except (
                duckdb.IOException, duckdb.ConnectionException, duckdb.ResourceInUseException,
                _HeldReadOnly,
            ) as exc:
                # Another process holds the lock, this one reads the file while a write
                # wants it (_HeldReadOnly), or another DuckDB of this process has it
                # open ("Unique file handle conflict"): wait.
                busy = "lock" in str(exc).lower() or isinstance(
                    exc, duckdb.ResourceInUseException | _HeldReadOnly)
                failure = write_failure(self.path, exc) if write and not busy else None
                if failure is not None:
                    raise failure from exc
                if not busy or time.monotonic() > deadline:
                    if busy:
                        raise StoreLockedError(
                            f"The store {self.path} is busy: another program is writing to "
                            "it. Try again in a minute; if it stays busy, close other "
                            "dashboards or commands using this file."
                        ) from exc
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        _quiet(con)
        try:
            yield con, alias
        finally:
            _ATTACHMENTS.close(self.path, con)
            if write:
                owner_only(self.path)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction: everything inside is stored, or nothing is.

        One at a time in this process: the dashboard's sessions share one DuckDB
        instance, where two write transactions at once fail with "Conflict on
        update" (both bump the revision), seen with 20 people signing in at once.
        """
        with _WRITES, self.connect(write=True) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                # Every committed write changes the file, even one that stored no
                # rows: the dashboard's cache key is the file's size and time.
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('revision', "
                    "CAST(coalesce((SELECT CAST(value AS BIGINT) FROM meta "
                    "WHERE key = 'revision'), 0) + 1 AS VARCHAR))"
                )
                con.execute("COMMIT")
            except BaseException as exc:
                # A failed COMMIT (a full disk) has ended the transaction already,
                # keeping nothing: the first error is the one to tell.
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                failure = write_failure(self.path, exc) if isinstance(exc, duckdb.Error) else None
                if failure is not None:
                    raise failure from exc
                raise

    def query(self, sql: str, params: Sequence | dict | None = None) -> pd.DataFrame:
        """Run one read query (values as parameters) and return a DataFrame."""
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def exists(self) -> bool:
        return self.path.exists()

    def version(self) -> tuple[str, int]:
        """Which store, as it is now: its path and :meth:`change_stamp`, for caches
        of what was worked out from it."""
        return str(self.path), self.change_stamp()

    def change_stamp(self) -> int:
        """A number that changes on every committed write, read without opening the
        database (datasette's ``Database.mtime_ns`` model): the store file's and its
        write-ahead log's (``.wal``) modification time and size. Caches key on it, so
        every page would otherwise wait for a connection; a change without new data
        (a checkpoint) only costs a cache miss. 0 for both when there is no file."""
        stamp: list[int] = []
        for file in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                info = os.stat(file)
            except OSError:
                stamp += [0, 0]
            else:
                stamp += [info.st_mtime_ns, info.st_size]
        return hash(tuple(stamp))

    def init(self) -> int:
        """Create the store, or upgrade it in place; returns the schema version."""
        with self.transaction() as con:
            for statement in SCHEMA:
                con.execute(statement)
            con.execute(response_table_sql("responses"))
            con.execute(
                response_table_sql(
                    "response_history",
                    ",\n  replaced_by INTEGER NOT NULL,\n  replaced_at TIMESTAMP NOT NULL",
                )
            )
            # Upgrade: items added to the bank since the store was made.
            for table in ("responses", "response_history"):
                have = {
                    row[0]
                    for row in con.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_catalog = current_database() AND table_name = ?",
                        [table],
                    ).fetchall()
                }
                for code in item_columns():
                    if code not in have:
                        con.execute(f"ALTER TABLE {ident(table)} ADD COLUMN {ident(code)} TINYINT")
            for statement in (*ACCESS_SCHEMA, *RIGHTS_SCHEMA, *NOTES_SCHEMA, *ROUNDS_SCHEMA):
                con.execute(statement)
            self.refresh_superseded(con)  # an upgraded store fills the table
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
        return SCHEMA_VERSION

    @staticmethod
    def refresh_superseded(con: duckdb.DuckDBPyConnection) -> None:
        """Rebuild ``superseded`` after responses changed (inside the caller's transaction).

        A response is superseded when the same person (scheme, pseudonymised key,
        respondent type) has a later one in the same quarter (by date completed,
        then by order stored). Only keys answered more than once are ranked.
        """
        con.execute("DELETE FROM superseded")
        con.execute(SUPERSEDED_SQL)

    def ensure(self) -> None:
        """Make sure the store exists with the current schema (both checks on one
        connection: opening DuckDB is most of their cost, and every upload asks)."""
        if not self.exists():
            self.init()
            return
        with self.reading():
            current = (self.schema_version() == SCHEMA_VERSION
                       and self.has_access_tables())
        if not current:
            self.init()

    def schema_version(self) -> int | None:
        try:
            rows = self.query("SELECT value FROM meta WHERE key = 'schema_version'")
        except (duckdb.CatalogException, StoreMissingError):
            return None
        return int(rows["value"].iloc[0]) if len(rows) else None

    def meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", [key])
        return None if rows.empty else str(rows["value"].iloc[0])

    def put_meta(self, key: str, value: str) -> None:
        """Keep one fact about the store (e.g. its secret's fingerprint)."""
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def is_empty(self) -> bool:
        """True when no response has been stored."""
        if not self.exists():
            return True
        try:
            return int(self.query("SELECT count(*) AS n FROM responses")["n"].iloc[0]) == 0
        except duckdb.CatalogException:
            return True

    def is_demo(self) -> bool:
        try:
            return self.meta("demo") == "true"
        except (duckdb.CatalogException, StoreMissingError):
            return False

    def has_access_tables(self) -> bool:
        """False for a store made before users and roles, or before their sign-in subjects
        (``ensure`` upgrades it)."""
        try:
            rows = self.query(
                # This store's tables only: other stores may be attached to the
                # process's DuckDB at the same time (``_Attachments``).
                "SELECT count(*) AS n FROM information_schema.columns WHERE "
                "table_catalog = current_database() AND ("
                "(table_name = 'users' AND column_name IN ('email', 'signed_out_at')) OR "
                "(table_name = 'uploads' AND column_name = 'rolled_back_by'))"
            )
        except StoreMissingError:
            return False
        return int(rows["n"].iloc[0]) == 3
