"""The one module that owns DuckDB: connection, schema and every query.

Why open-work-close: a process holding a DuckDB file read-write blocks every
other process, so the dashboard and the command line never keep it open.
Each operation opens the file, runs one transaction and closes it, retrying
for a bounded time when another process holds the lock. SQL values always go
in as parameters; table and column names come from this module or the item
bank, never from input.

Answers are stored wide (one column per item) because every KHI is an
aggregate over one or two item columns: a columnar scan of 1M rows x 36 small
integer columns takes a fraction of the time of the 36M-row long layout, and
adding an item is still one edit (``init`` adds the missing column).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from kpi.errors import StoreBusy, StoreMissing
from kpi.items import bank
from kpi.paths import default_db_path

# 2: the `superseded` table (one person, one vote, kept at write time).
SCHEMA_VERSION = 2

ATTRIBUTE_COLUMNS = (
    "completed_by",
    "support_type",
    "age_band",
    "gender",
    "ethnicity",
    "primary_need",
)
# Columns that identify a response: same person, date and respondent type.
RESPONSE_KEY = ("scheme_id", "person_key", "completed_on", "respondent_type")
ACTIVITY_COUNTS = (
    "long_term",
    "short_break",
    "day_support",
    "home_from_hospital",
    "approved_carers",
    "new_arrangements",
    "ended_arrangements",
)


SUPERSEDED_SQL = """
INSERT INTO superseded
SELECT response_id FROM (
  SELECT response_id, row_number() OVER (
      PARTITION BY scheme_id, person_key, respondent_type, quarter_start
      ORDER BY completed_on DESC, response_id DESC) AS rank
  FROM responses
  WHERE (scheme_id, person_key, respondent_type, quarter_start) IN (
      SELECT (scheme_id, person_key, respondent_type, quarter_start)
      FROM responses GROUP BY ALL HAVING count(*) > 1)
) WHERE rank > 1"""


class StoreLockedError(StoreBusy, RuntimeError):
    """Another process kept the store busy for longer than we wait."""


class StoreMissingError(StoreMissing, RuntimeError):
    """The store file does not exist yet."""


def item_columns() -> tuple[str, ...]:
    return bank().item_codes


def response_columns() -> tuple[str, ...]:
    """Every column of ``responses``, in table order."""
    return (
        "response_id",
        "upload_id",
        "scheme_id",
        "person_key",
        "respondent_type",
        "completed_on",
        "quarter_start",
        *ATTRIBUTE_COLUMNS,
        "source_row",
        *item_columns(),
    )


def _response_table_sql(name: str, extra: str = "") -> str:
    items = ",\n  ".join(f"{code} TINYINT" for code in item_columns())
    attrs = ",\n  ".join(f"{code} VARCHAR" for code in ATTRIBUTE_COLUMNS)
    return f"""
CREATE TABLE IF NOT EXISTS {name} (
  response_id BIGINT NOT NULL,
  upload_id INTEGER NOT NULL,
  scheme_id VARCHAR NOT NULL,
  person_key VARCHAR NOT NULL,
  respondent_type VARCHAR NOT NULL,
  completed_on DATE NOT NULL,
  quarter_start DATE NOT NULL,
  {attrs},
  source_row INTEGER,
  {items}{extra}
)"""


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS schemes (
  scheme_id VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  region VARCHAR NOT NULL,
  local_authority VARCHAR,
  cqc_rating VARCHAR,
  cqc_rating_date DATE,
  is_demo BOOLEAN NOT NULL DEFAULT false
)""",
    "CREATE SEQUENCE IF NOT EXISTS upload_ids START 1",
    "CREATE SEQUENCE IF NOT EXISTS response_ids START 1",
    """CREATE TABLE IF NOT EXISTS uploads (
  upload_id INTEGER PRIMARY KEY,
  scheme_id VARCHAR,
  kind VARCHAR NOT NULL,
  file_name VARCHAR,
  sha256 VARCHAR,
  uploaded_by VARCHAR,
  uploaded_at TIMESTAMP NOT NULL,
  layout VARCHAR,
  rows_read INTEGER NOT NULL DEFAULT 0,
  accepted INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  corrected INTEGER NOT NULL DEFAULT 0,
  status VARCHAR NOT NULL DEFAULT 'stored',
  note VARCHAR,
  is_demo BOOLEAN NOT NULL DEFAULT false
)""",
    # Rows set aside: where and why. The raw respondent reference is never
    # kept; `row_values` holds the other cells so the row can be fixed.
    """CREATE TABLE IF NOT EXISTS set_aside (
  upload_id INTEGER NOT NULL,
  row_number INTEGER NOT NULL,
  column_name VARCHAR,
  reason VARCHAR NOT NULL,
  row_values VARCHAR
)""",
    """CREATE TABLE IF NOT EXISTS activity_returns (
  upload_id INTEGER NOT NULL,
  scheme_id VARCHAR NOT NULL,
  quarter_start DATE NOT NULL,
  long_term INTEGER, short_break INTEGER, day_support INTEGER,
  home_from_hospital INTEGER, approved_carers INTEGER,
  new_arrangements INTEGER, ended_arrangements INTEGER
)""",
    """CREATE TABLE IF NOT EXISTS activity_history (
  upload_id INTEGER NOT NULL,
  scheme_id VARCHAR NOT NULL,
  quarter_start DATE NOT NULL,
  long_term INTEGER, short_break INTEGER, day_support INTEGER,
  home_from_hospital INTEGER, approved_carers INTEGER,
  new_arrangements INTEGER, ended_arrangements INTEGER,
  replaced_by INTEGER NOT NULL
)""",
    # Responses replaced by a later one of the same person in the same quarter.
    # Why kept at write time: "each person counts once per period, by their latest
    # response" would otherwise cost a window over every response on every read;
    # this table is small (repeat answers in one quarter are rare), so reads skip
    # its rows with an anti-join at no measurable cost.
    "CREATE TABLE IF NOT EXISTS superseded (response_id BIGINT NOT NULL)",
    # A scheme's own column names mapped by hand on the Upload page.
    """CREATE TABLE IF NOT EXISTS column_mappings (
  scheme_id VARCHAR NOT NULL,
  source_header VARCHAR NOT NULL,
  target VARCHAR NOT NULL,
  saved_at TIMESTAMP NOT NULL,
  PRIMARY KEY (scheme_id, source_header)
)""",
)


# ------------------------------------------------------------------ access ---
# Users and roles (issue 14), and who made each change. Kept in functions of their
# own: `init` calls `init_access`, and `ensure` upgrades a store without them.
ACCESS_SCHEMA = (
    # One row per person who may sign in, by the OIDC email claim (lower case).
    """CREATE TABLE IF NOT EXISTS users (
  email VARCHAR PRIMARY KEY,
  role VARCHAR NOT NULL,
  scheme_ids VARCHAR[] NOT NULL,
  regions VARCHAR[] NOT NULL,
  added_by VARCHAR NOT NULL,
  added_at TIMESTAMP NOT NULL
)""",
    # Who changed users, the register or uploads, and when (never edited).
    """CREATE TABLE IF NOT EXISTS changes (
  changed_at TIMESTAMP NOT NULL,
  changed_by VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  subject VARCHAR,
  detail VARCHAR
)""",
    "ALTER TABLE uploads ADD COLUMN IF NOT EXISTS rolled_back_by VARCHAR",
    "ALTER TABLE uploads ADD COLUMN IF NOT EXISTS rolled_back_at TIMESTAMP",
)


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


def _record_change(
    con: duckdb.DuckDBPyConnection, by: str | None, action: str, subject: str | None,
    detail: str | None,
) -> None:
    """One row of the change log (inside the caller's transaction)."""
    con.execute(
        "INSERT INTO changes VALUES (?, ?, ?, ?, ?)",
        [dt.datetime.now(), by or "unknown", action, subject, detail],
    )


class AccessTables:
    """The store's users, roles and change log (a part of :class:`Store`)."""

    path: Path

    def init_access(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the users and changes tables (inside ``init``'s transaction)."""
        for statement in ACCESS_SCHEMA:
            con.execute(statement)

    def has_access_tables(self) -> bool:
        try:
            rows = self.query(
                "SELECT count(*) AS n FROM information_schema.columns WHERE "
                "(table_name = 'users' AND column_name = 'email') OR "
                "(table_name = 'uploads' AND column_name = 'rolled_back_by')"
            )
        except StoreMissingError:
            return False
        return int(rows["n"].iloc[0]) == 2

    def users(self) -> pd.DataFrame:
        """Every user: email, role, scheme_ids, regions (lists), added_by, added_at."""
        return self.query("SELECT * FROM users ORDER BY role, email")

    def user(self, email: str) -> dict | None:
        """One user by (lower-case) email, or None."""
        if not self.exists():
            return None
        try:
            rows = self.query("SELECT * FROM users WHERE email = ?", [email])
        except duckdb.CatalogException:  # a store from before users: nobody has a role
            return None
        if rows.empty:
            return None
        row = rows.iloc[0].to_dict()
        row["scheme_ids"] = [str(s) for s in row["scheme_ids"]]
        row["regions"] = [str(r) for r in row["regions"]]
        return row

    def put_user(
        self, email: str, role: str, scheme_ids: Sequence[str], regions: Sequence[str],
        *, by: str,
    ) -> None:
        """Add or replace a user (checked by ``kpi.scope.add_user``), recording who did it."""
        with self.transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?, ?, ?)",
                [email, role, list(scheme_ids), list(regions), by, dt.datetime.now()],
            )
            detail = f"role={role} schemes={','.join(scheme_ids)} regions={','.join(regions)}"
            _record_change(con, by, "user added or changed", email, detail)

    def remove_user(self, email: str, *, by: str) -> bool:
        """Remove a user; False when there was none (nothing recorded)."""
        with self.transaction() as con:
            found = con.execute("SELECT count(*) FROM users WHERE email = ?", [email]).fetchone()[0]
            if not found:
                return False
            con.execute("DELETE FROM users WHERE email = ?", [email])
            _record_change(con, by, "user removed", email, None)
        return True

    def record_rollback(
        self, con: duckdb.DuckDBPyConnection, upload_id: int, by: str | None
    ) -> None:
        con.execute(
            "UPDATE uploads SET rolled_back_by = ?, rolled_back_at = ? WHERE upload_id = ?",
            [by or "unknown", dt.datetime.now(), upload_id],
        )
        _record_change(con, by, "upload rolled back", str(upload_id), None)

    def record_register_change(self, by: str, detail: str) -> None:
        """Who loaded the scheme register (after ``kpi.ingest.load_schemes`` stored it)."""
        with self.transaction() as con:
            _record_change(con, by, "register loaded", None, detail)

    def changes(self) -> pd.DataFrame:
        """The change log, newest first."""
        return self.query("SELECT * FROM changes ORDER BY changed_at DESC")


class Store(AccessTables):
    """A DuckDB file holding every response with its provenance.

    Nothing keeps the file open: :meth:`connect` opens it for one unit of work.
    """

    lock_wait_seconds = 15.0

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self._reading: duckdb.DuckDBPyConnection | None = None

    # ------------------------------------------------------------ plumbing ---
    @contextmanager
    def reading(self) -> Iterator[Store]:
        """Hold one read-only connection for a batch of reads (the board pack makes a
        dozen), then close it: one open instead of one per query, and still never
        held past the batch. Reads inside share it; writes are refused meanwhile
        by DuckDB itself, so keep batches short."""
        if self._reading is not None:
            yield self
            return
        with self.connect() as con:
            self._reading = con
            try:
                yield self
            finally:
                self._reading = None

    @contextmanager
    def connect(self, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the file for one unit of work, waiting a bounded time for a lock."""
        if not write and self._reading is not None:
            cursor = self._reading.cursor()  # its own results, the same open file
            _quiet(cursor)
            try:
                yield cursor
            finally:
                cursor.close()
            return
        if not write and not self.path.exists():
            raise StoreMissingError(
                f"No store at {self.path}. Run `python -m kpi init` (or `demo`) first."
            )
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_wait_seconds
        delay = 0.05
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=not write)
                break
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                text = str(exc)
                busy = "lock" in text.lower() or "different configuration" in text
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
            yield con
        finally:
            con.close()
            if write:
                owner_only(self.path)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction: everything inside is stored, or nothing is."""
        with self.connect(write=True) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('revision', "
                    "CAST(coalesce((SELECT CAST(value AS BIGINT) FROM meta "
                    "WHERE key = 'revision'), 0) + 1 AS VARCHAR))"
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: Sequence | dict | None = None) -> pd.DataFrame:
        """Run one read query (values as parameters) and return a DataFrame."""
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def exists(self) -> bool:
        return self.path.exists()

    # -------------------------------------------------------------- schema ---
    def init(self) -> int:
        """Create the store, or upgrade it in place; returns the schema version."""
        with self.transaction() as con:
            for statement in SCHEMA:
                con.execute(statement)
            con.execute(_response_table_sql("responses"))
            con.execute(
                _response_table_sql(
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
                        "WHERE table_name = ?",
                        [table],
                    ).fetchall()
                }
                for code in item_columns():
                    if code not in have:
                        con.execute(f"ALTER TABLE {table} ADD COLUMN {code} TINYINT")
            self.refresh_superseded(con)  # an upgraded store fills the table
            self.init_access(con)
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
        """Make sure the store exists with the current schema."""
        if (not self.exists() or self.schema_version() != SCHEMA_VERSION
                or not self.has_access_tables()):
            self.init()

    def schema_version(self) -> int | None:
        try:
            rows = self.query("SELECT value FROM meta WHERE key = 'schema_version'")
        except (duckdb.CatalogException, StoreMissingError):
            return None
        return int(rows["value"].iloc[0]) if len(rows) else None

    def revision(self) -> int:
        """A number that grows on every write: the dashboard's cache key."""
        if not self.exists():
            return 0
        try:
            rows = self.query("SELECT value FROM meta WHERE key = 'revision'")
        except duckdb.CatalogException:
            return 0
        return int(rows["value"].iloc[0]) if len(rows) else 0

    def meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", [key])
        return None if rows.empty else str(rows["value"].iloc[0])

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

    # ------------------------------------------------------------- schemes ---
    def schemes(self) -> pd.DataFrame:
        return self.query("SELECT * FROM schemes ORDER BY region, name")

    def upsert_schemes(self, con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
        """Insert or update scheme rows (inside the caller's transaction)."""
        columns = [
            "scheme_id",
            "name",
            "region",
            "local_authority",
            "cqc_rating",
            "cqc_rating_date",
            "is_demo",
        ]
        frame = frame.reindex(columns=columns)
        frame["is_demo"] = frame["is_demo"].astype("boolean").fillna(False).astype(bool)
        con.register("incoming_schemes", frame)
        try:
            con.execute(
                "INSERT OR REPLACE INTO schemes SELECT scheme_id, name, region, "
                "local_authority, cqc_rating, CAST(cqc_rating_date AS DATE), is_demo "
                "FROM incoming_schemes"
            )
        finally:
            con.unregister("incoming_schemes")
        return len(frame)

    def scheme_ids(self) -> set[str]:
        return set(self.query("SELECT scheme_id FROM schemes")["scheme_id"])

    # ------------------------------------------------------------- uploads ---
    def new_upload(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        scheme_id: str | None,
        kind: str,
        file_name: str | None,
        sha256: str | None,
        uploaded_by: str | None,
        layout: str | None,
        rows_read: int = 0,
        is_demo: bool = False,
    ) -> int:
        """Record an upload (inside the caller's transaction) and return its id."""
        upload_id = con.execute("SELECT nextval('upload_ids')").fetchone()[0]
        con.execute(
            "INSERT INTO uploads (upload_id, scheme_id, kind, file_name, sha256, uploaded_by,"
            " uploaded_at, layout, rows_read, is_demo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                upload_id,
                scheme_id,
                kind,
                file_name,
                sha256,
                uploaded_by,
                dt.datetime.now(),
                layout,
                rows_read,
                is_demo,
            ],
        )
        return int(upload_id)

    def finish_upload(
        self,
        con: duckdb.DuckDBPyConnection,
        upload_id: int,
        *,
        accepted: int,
        rejected: int,
        duplicates: int = 0,
        corrected: int = 0,
        note: str | None = None,
    ) -> None:
        con.execute(
            "UPDATE uploads SET accepted = ?, rejected = ?, duplicates = ?, corrected = ?,"
            " note = ? WHERE upload_id = ?",
            [accepted, rejected, duplicates, corrected, note, upload_id],
        )

    def uploads(self) -> pd.DataFrame:
        return self.query(
            "SELECT u.*, s.name AS scheme_name FROM uploads u "
            "LEFT JOIN schemes s USING (scheme_id) ORDER BY upload_id DESC"
        )

    def upload_with_checksum(
        self, scheme_id: str | None, sha256: str, kind: str
    ) -> int | None:
        """The stored upload of the same file for this scheme, if any."""
        rows = self.query(
            # IS NOT DISTINCT FROM: an activity return for many schemes has no scheme.
            "SELECT upload_id FROM uploads WHERE scheme_id IS NOT DISTINCT FROM ? "
            "AND sha256 = ? AND kind = ? "
            "AND status = 'stored' ORDER BY upload_id LIMIT 1",
            [scheme_id, sha256, kind],
        )
        return None if rows.empty else int(rows["upload_id"].iloc[0])

    def set_aside(self, upload_id: int) -> pd.DataFrame:
        return self.query(
            "SELECT row_number, column_name, reason, row_values FROM set_aside "
            "WHERE upload_id = ? ORDER BY row_number, column_name",
            [upload_id],
        )

    # ----------------------------------------------------------- responses ---
    def store_responses(
        self, con: duckdb.DuckDBPyConnection, upload_id: int, frame: pd.DataFrame
    ) -> dict[str, int]:
        """Store validated responses of one upload (inside the caller's transaction).

        ``frame`` has the response columns except ``response_id``, ``upload_id``
        and ``quarter_start``. A row with the same person, date and respondent
        type as a stored one is a duplicate when every answer is identical and a
        correction otherwise: the new row stands and the old one moves to
        ``response_history``. Returns counts: accepted, duplicates, corrected.
        """
        columns = [c for c in response_columns() if c not in ("response_id", "upload_id")]
        frame = frame.copy()
        frame["completed_on"] = pd.to_datetime(frame["completed_on"]).dt.date
        frame["quarter_start"] = None
        frame = frame.reindex(columns=columns)
        for code in item_columns():
            frame[code] = pd.array(frame[code], dtype="Int8")
        con.register("incoming", frame)
        try:
            value_columns = [*ATTRIBUTE_COLUMNS, *item_columns()]
            same = " AND ".join(f"o.{c} IS NOT DISTINCT FROM n.{c}" for c in value_columns)
            key = " AND ".join(f"o.{c} = n.{c}" for c in RESPONSE_KEY)
            con.execute(
                f"""CREATE TEMP TABLE matched AS
                SELECT n.source_row, o.response_id, ({same}) AS identical
                FROM incoming n JOIN responses o ON {key}"""
            )
            duplicates = con.execute("SELECT count(*) FROM matched WHERE identical").fetchone()[0]
            corrected = con.execute(
                "SELECT count(*) FROM matched WHERE NOT identical"
            ).fetchone()[0]
            all_columns = ", ".join(response_columns())
            con.execute(
                f"""INSERT INTO response_history
                SELECT {all_columns}, ?, ? FROM responses
                WHERE response_id IN (SELECT response_id FROM matched WHERE NOT identical)""",
                [upload_id, dt.datetime.now()],
            )
            con.execute(
                "DELETE FROM responses WHERE response_id IN "
                "(SELECT response_id FROM matched WHERE NOT identical)"
            )
            insert_columns = ", ".join(columns)
            selected = ", ".join(
                "CAST(date_trunc('quarter', n.completed_on) AS DATE)"
                if c == "quarter_start"
                else f"n.{c}"
                for c in columns
            )
            con.execute(
                f"""INSERT INTO responses (response_id, upload_id, {insert_columns})
                SELECT nextval('response_ids'), ?, {selected} FROM incoming n
                WHERE n.source_row NOT IN (SELECT source_row FROM matched WHERE identical)""",
                [upload_id],
            )
            con.execute("DROP TABLE matched")
            self.refresh_superseded(con)
        finally:
            con.unregister("incoming")
        accepted = len(frame) - int(duplicates)
        return {"accepted": accepted, "duplicates": int(duplicates), "corrected": int(corrected)}

    def bulk_insert_responses(
        self, con: duckdb.DuckDBPyConnection, upload_id: int, frame: pd.DataFrame | pa.Table
    ) -> int:
        """Append responses known to be new (the demo): no matching, one INSERT.

        ``frame`` may be a pyarrow Table: the demo builds millions of rows as
        Arrow arrays (int8 items with validity masks, dictionary-encoded codes),
        which DuckDB scans without the per-cell conversion a pandas frame of
        nullable columns needs. Columns it lacks are stored as NULL.
        """
        columns = [c for c in response_columns() if c not in ("response_id", "upload_id")]
        if isinstance(frame, pa.Table):
            present = set(frame.column_names)
            frame = frame.select([c for c in columns if c in present])
        else:
            present = set(columns)
            frame = frame.reindex(columns=columns)
        con.register("incoming_bulk", frame)
        try:
            insert_columns = ", ".join(columns)
            selected = ", ".join(
                "CAST(date_trunc('quarter', completed_on) AS DATE)"
                if c == "quarter_start"
                else (c if c in present else "NULL")
                for c in columns
            )
            con.execute(
                f"""INSERT INTO responses (response_id, upload_id, {insert_columns})
                SELECT nextval('response_ids'), ?, {selected} FROM incoming_bulk""",
                [upload_id],
            )
            self.refresh_superseded(con)
        finally:
            con.unregister("incoming_bulk")
        return len(frame)

    # ---------------------------------------------------------------- demo ---
    def non_demo_counts(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        """How much real (non-demo) data the store holds: uploads and schemes.

        The demo refuses to load when either is non-zero, so it can never
        overwrite or mix with a scheme's real register or answers.
        """
        uploads = con.execute("SELECT count(*) FROM uploads WHERE NOT is_demo").fetchone()[0]
        schemes = con.execute("SELECT count(*) FROM schemes WHERE NOT is_demo").fetchone()[0]
        return {"uploads": int(uploads), "schemes": int(schemes)}

    def clear_demo(self, con: duckdb.DuckDBPyConnection) -> None:
        """Remove every row a previous demo stored (inside the caller's transaction).

        Only rows of demo uploads and demo schemes go, so reloading the demo
        replaces it instead of duplicating it.
        """
        demo_uploads = "SELECT upload_id FROM uploads WHERE is_demo"
        for table in (
            "responses",
            "response_history",
            "activity_returns",
            "activity_history",
            "set_aside",
        ):
            con.execute(f"DELETE FROM {table} WHERE upload_id IN ({demo_uploads})")
        con.execute(
            "DELETE FROM column_mappings WHERE scheme_id IN "
            "(SELECT scheme_id FROM schemes WHERE is_demo)"
        )
        con.execute("DELETE FROM uploads WHERE is_demo")
        con.execute("DELETE FROM schemes WHERE is_demo")
        self.refresh_superseded(con)

    def mark_demo(self, con: duckdb.DuckDBPyConnection) -> None:
        """Mark the store as holding demo data (meta ``demo`` = ``true``)."""
        con.execute("INSERT OR REPLACE INTO meta VALUES ('demo', ?)", ["true"])

    def record_set_aside(
        self, con: duckdb.DuckDBPyConnection, upload_id: int, problems: pd.DataFrame
    ) -> None:
        """Keep rows set aside: row number, column, reason and the cells (no reference)."""
        if problems.empty:
            return
        frame = problems.reindex(columns=["row_number", "column_name", "reason", "row_values"])
        frame.insert(0, "upload_id", upload_id)
        con.register("incoming_problems", frame)
        try:
            con.execute("INSERT INTO set_aside SELECT * FROM incoming_problems")
        finally:
            con.unregister("incoming_problems")

    # ------------------------------------------------------------ activity ---
    def store_activity(
        self, con: duckdb.DuckDBPyConnection, upload_id: int, frame: pd.DataFrame
    ) -> dict[str, int]:
        """Store activity returns; a return for the same scheme and quarter replaces
        the stored one, which moves to ``activity_history``, unless every count is
        identical (a duplicate: left alone). Returns counts like
        :meth:`store_responses`: accepted (new and replacing), duplicates, corrected."""
        columns = ["scheme_id", "quarter_start", *ACTIVITY_COUNTS]
        frame = frame.reindex(columns=columns)
        con.register("incoming_activity", frame)
        try:
            same = " AND ".join(f"a.{c} IS NOT DISTINCT FROM n.{c}" for c in ACTIVITY_COUNTS)
            con.execute(
                f"""CREATE TEMP TABLE matched_activity AS
                SELECT a.scheme_id, CAST(a.quarter_start AS DATE) AS quarter_start,
                  ({same}) AS identical
                FROM activity_returns a JOIN incoming_activity n
                ON a.scheme_id = n.scheme_id
                AND a.quarter_start = CAST(n.quarter_start AS DATE)"""
            )
            duplicates, replaced = con.execute(
                "SELECT count(*) FILTER (identical), count(*) FILTER (NOT identical) "
                "FROM matched_activity"
            ).fetchone()
            changed = (
                "(SELECT (scheme_id, quarter_start) FROM matched_activity WHERE NOT identical)"
            )
            counts = ", ".join(f"a.{c}" for c in ACTIVITY_COUNTS)
            con.execute(
                f"""INSERT INTO activity_history
                SELECT a.upload_id, a.scheme_id, a.quarter_start, {counts}, ?
                FROM activity_returns a WHERE (a.scheme_id, a.quarter_start) IN {changed}""",
                [upload_id],
            )
            con.execute(
                f"DELETE FROM activity_returns WHERE (scheme_id, quarter_start) IN {changed}"
            )
            names = ", ".join(columns)
            con.execute(
                f"""INSERT INTO activity_returns (upload_id, {names})
                SELECT ?, {names} FROM incoming_activity n
                WHERE (n.scheme_id, CAST(n.quarter_start AS DATE)) NOT IN
                  (SELECT (scheme_id, quarter_start) FROM matched_activity WHERE identical)""",
                [upload_id],
            )
            con.execute("DROP TABLE matched_activity")
        finally:
            con.unregister("incoming_activity")
        return {
            "accepted": len(frame) - int(duplicates),
            "duplicates": int(duplicates),
            "corrected": int(replaced),
        }

    def activity(self) -> pd.DataFrame:
        return self.query(
            "SELECT a.*, s.name AS scheme_name, s.region FROM activity_returns a "
            "JOIN schemes s USING (scheme_id) ORDER BY quarter_start, scheme_id"
        )

    # ------------------------------------------------------------ rollback ---
    def rollback(self, upload_id: int, by: str | None = None) -> dict[str, int]:
        """Remove one upload completely and restore what its corrections replaced;
        ``by`` (who asked) is kept on the upload's record."""
        with self.transaction() as con:
            row = con.execute(
                "SELECT status FROM uploads WHERE upload_id = ?", [upload_id]
            ).fetchone()
            if row is None:
                raise ValueError(
                    f"There is no upload {upload_id}. `python -m kpi uploads` lists them."
                )
            if row[0] != "stored":
                raise ValueError(f"Upload {upload_id} was already rolled back.")
            removed = con.execute(
                "SELECT count(*) FROM responses WHERE upload_id = ?", [upload_id]
            ).fetchone()[0]
            con.execute("DELETE FROM responses WHERE upload_id = ?", [upload_id])
            columns = ", ".join(response_columns())
            restored = con.execute(
                "SELECT count(*) FROM response_history WHERE replaced_by = ?", [upload_id]
            ).fetchone()[0]
            con.execute(
                f"INSERT INTO responses SELECT {columns} FROM response_history "
                "WHERE replaced_by = ?",
                [upload_id],
            )
            # History rows that this upload's own rows left behind go too.
            con.execute(
                "DELETE FROM response_history WHERE replaced_by = ? OR upload_id = ?",
                [upload_id, upload_id],
            )
            con.execute("DELETE FROM activity_returns WHERE upload_id = ?", [upload_id])
            counts = ", ".join(ACTIVITY_COUNTS)
            con.execute(
                f"INSERT INTO activity_returns SELECT upload_id, scheme_id, quarter_start, "
                f"{counts} FROM activity_history WHERE replaced_by = ?",
                [upload_id],
            )
            con.execute(
                "DELETE FROM activity_history WHERE replaced_by = ? OR upload_id = ?",
                [upload_id, upload_id],
            )
            con.execute("DELETE FROM set_aside WHERE upload_id = ?", [upload_id])
            con.execute(
                "UPDATE uploads SET status = 'rolled_back' WHERE upload_id = ?", [upload_id]
            )
            self.record_rollback(con, upload_id, by)
            self.refresh_superseded(con)
        return {"removed": int(removed), "restored": int(restored)}

    # ------------------------------------------------------ column mapping ---
    def saved_mappings(self, scheme_id: str) -> dict[str, str]:
        if not self.exists():
            return {}
        rows = self.query(
            "SELECT source_header, target FROM column_mappings WHERE scheme_id = ?", [scheme_id]
        )
        return dict(zip(rows["source_header"], rows["target"]))

    def save_mappings(self, scheme_id: str, mapping: dict[str, str]) -> None:
        with self.transaction() as con:
            for source, target in mapping.items():
                con.execute(
                    "INSERT OR REPLACE INTO column_mappings VALUES (?, ?, ?, ?)",
                    [scheme_id, source, target, dt.datetime.now()],
                )


def _quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar: DuckDB draws it on stdout, inside the command line's CSV or JSON."""
    con.execute("SET enable_progress_bar = false")
