"""A person's answers (find, erase), the retention rule, and copying the store whole.

Why here: this package is the only one that talks to DuckDB. A person is found
by their scheme and pseudonymised key (worked out by ``kpi.privacy`` from the
reference and the secret); the key is never written anywhere by these methods.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from kpi.store.access import record_change
from kpi.store.connection import Connection
from kpi.store.schema import ident, response_columns

# Every table of the store, in the order a manifest lists them.
STORE_TABLES = (
    "meta", "schemes", "uploads", "responses", "response_history", "superseded",
    "set_aside", "activity_returns", "activity_history", "column_mappings", "users",
    "changes", "notes",
)
# The change log's actions written here (the Admin page finds the last run by them).
ERASED = "person's answers erased"
RETENTION = "retention rule applied"


def _person_rows(con: duckdb.DuckDBPyConnection, scheme_id: str, key: str) -> str:
    """A temporary table of the person's (upload, row) pairs: responses and history."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE person_rows AS
        SELECT upload_id, source_row, 'responses' AS held FROM responses
        WHERE scheme_id = ? AND person_key = ?
        UNION ALL
        SELECT upload_id, source_row, 'response_history' FROM response_history
        WHERE scheme_id = ? AND person_key = ?""",
        [scheme_id, key, scheme_id, key],
    )
    return "person_rows"


# Set-aside rows of the person: their key (rows stored since schema 3), or the same
# upload and row as one of their stored answers.
_SET_ASIDE_OF_PERSON = """
  (s.person_key = ? AND s.upload_id IN (SELECT upload_id FROM uploads WHERE scheme_id = ?))
  OR (s.upload_id, s.row_number) IN (SELECT (upload_id, source_row) FROM person_rows)"""


class Rights(Connection):
    """Find and erase one person's answers; the retention rule; a whole copy of the
    store (a part of :class:`kpi.store.Store`)."""

    # ------------------------------------------------------------ one person ---
    def person_answers(self, scheme_id: str, key: str) -> dict[str, pd.DataFrame]:
        """Everything held for one person of one scheme, in three frames.

        ``responses``: their answers as they count (``superseded`` true when a later
        answer of theirs in the same quarter counts instead); ``history``: answers a
        later upload corrected (``replaced_by``, ``replaced_at``); ``set_aside``: rows
        of theirs set aside, with the cells the file had (no reference).
        """
        columns = ", ".join(f"r.{ident(c)}" for c in response_columns())
        with self.connect(write=False) as con:
            responses = con.execute(
                f"""SELECT {columns}, u.file_name, u.uploaded_at,
                  r.response_id IN (SELECT response_id FROM superseded) AS superseded
                FROM responses r JOIN uploads u USING (upload_id)
                WHERE r.scheme_id = ? AND r.person_key = ?
                ORDER BY r.completed_on, r.response_id""",
                [scheme_id, key],
            ).df()
            history = con.execute(
                f"""SELECT {columns}, r.replaced_by, r.replaced_at, u.file_name, u.uploaded_at
                FROM response_history r JOIN uploads u USING (upload_id)
                WHERE r.scheme_id = ? AND r.person_key = ?
                ORDER BY r.completed_on, r.replaced_at""",
                [scheme_id, key],
            ).df()
            pairs = pd.concat([responses, history])[["upload_id", "source_row"]].dropna()
            con.register("person_pairs", pairs.astype("int64"))
            try:
                set_aside = con.execute(
                    """SELECT s.upload_id, s.row_number, s.column_name, s.reason, s.row_values,
                      u.file_name, u.uploaded_at
                    FROM set_aside s JOIN uploads u USING (upload_id)
                    WHERE (s.person_key = ? AND u.scheme_id = ?)
                      OR (s.upload_id, s.row_number) IN
                        (SELECT (upload_id, source_row) FROM person_pairs)
                    ORDER BY s.upload_id, s.row_number, s.column_name""",
                    [key, scheme_id],
                ).df()
            finally:
                con.unregister("person_pairs")
        return {"responses": responses, "history": history, "set_aside": set_aside}

    def unkeyed_set_aside(self, scheme_id: str) -> int:
        """Set-aside rows of the scheme's uploads without a person key (stored before
        set-aside rows kept one, or with no reference): they cannot be told apart by
        person (the retention rule removes them)."""
        rows = self.query(
            "SELECT count(DISTINCT (s.upload_id, s.row_number)) AS n FROM set_aside s "
            "JOIN uploads u USING (upload_id) WHERE u.scheme_id = ? AND s.person_key IS NULL",
            [scheme_id],
        )
        return int(rows["n"].iloc[0])

    def erase_person(self, scheme_id: str, key: str, by: str) -> dict:
        """Remove every row held for one person in one transaction, and say so in the
        change log (the scheme and the counts: never the reference or the key).

        Each upload that held some of the rows counts them in ``uploads.erased``; the
        superseded answers are worked out again. Erasing someone with nothing held
        stores only the log entry (a request answered). Returns the counts and the
        uploads touched.
        """
        with self.transaction() as con:
            _person_rows(con, scheme_id, key)
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE person_set_aside AS
                SELECT DISTINCT upload_id, row_number FROM set_aside s
                WHERE {_SET_ASIDE_OF_PERSON}""",
                [key, scheme_id],
            )
            per_upload = con.execute(
                """SELECT upload_id, count(*) AS n FROM (
                  SELECT upload_id FROM person_rows
                  UNION ALL SELECT upload_id FROM person_set_aside)
                GROUP BY upload_id ORDER BY upload_id"""
            ).fetchall()
            counts = dict(
                con.execute(
                    "SELECT held, count(*) FROM person_rows GROUP BY held"
                ).fetchall()
            )
            set_aside = con.execute("SELECT count(*) FROM person_set_aside").fetchone()[0]
            con.execute(
                "DELETE FROM set_aside WHERE (upload_id, row_number) IN "
                "(SELECT (upload_id, row_number) FROM person_set_aside)"
            )
            for table in ("responses", "response_history"):
                con.execute(
                    f"DELETE FROM {ident(table)} WHERE scheme_id = ? AND person_key = ?",
                    [scheme_id, key],
                )
            # Their personal links of survey rounds: closed, and their key forgotten.
            con.execute(
                "UPDATE round_links SET person_key = NULL, closed_at = coalesce(closed_at, ?) "
                "WHERE person_key = ? AND round_id IN "
                "(SELECT round_id FROM rounds WHERE scheme_id = ?)",
                [dt.datetime.now(), key, scheme_id],
            )
            for upload_id, n in per_upload:
                con.execute(
                    "UPDATE uploads SET erased = coalesce(erased, 0) + ? WHERE upload_id = ?",
                    [n, upload_id],
                )
            self.refresh_superseded(con)
            con.execute("DROP TABLE person_rows")
            con.execute("DROP TABLE person_set_aside")
            result = {
                "responses": int(counts.get("responses", 0)),
                "history": int(counts.get("response_history", 0)),
                "set_aside": int(set_aside),
                "uploads": [int(u) for u, _ in per_upload],
            }
            detail = (
                f"responses={result['responses']} history={result['history']} "
                f"set_aside={result['set_aside']} uploads="
                + (",".join(map(str, result["uploads"])) or "none")
            )
            record_change(con, by, ERASED, scheme_id, detail)
        return result

    # -------------------------------------------------------------- retention ---
    def retention_counts(
        self, answers_quarter_ended_by: dt.date, set_aside_uploaded_by: dt.datetime
    ) -> dict[str, int]:
        """What the retention rule would remove now: answers (and the ones they
        replaced) whose quarter ended on or before the first date, set-aside rows of
        uploads made on or before the second."""
        with self.connect(write=False) as con:
            return _retention_counts(con, answers_quarter_ended_by, set_aside_uploaded_by)

    def apply_retention(
        self, answers_quarter_ended_by: dt.date, set_aside_uploaded_by: dt.datetime, by: str,
        rule: str,
    ) -> dict[str, int]:
        """Remove what :meth:`retention_counts` counts, all in one transaction, and log
        it (``rule``: the rule in words, kept with the counts)."""
        with self.transaction() as con:
            counts = _retention_counts(con, answers_quarter_ended_by, set_aside_uploaded_by)
            old = "(quarter_start + INTERVAL 3 MONTH) <= ?"
            for table in ("responses", "response_history"):
                con.execute(
                    f"UPDATE uploads SET expired = coalesce(expired, 0) + n FROM ("
                    f"SELECT upload_id, count(*) AS n FROM {ident(table)} WHERE {old} "
                    "GROUP BY upload_id) AS gone WHERE uploads.upload_id = gone.upload_id",
                    [answers_quarter_ended_by],
                )
                con.execute(f"DELETE FROM {ident(table)} WHERE {old}", [answers_quarter_ended_by])
            con.execute(
                "DELETE FROM set_aside WHERE upload_id IN "
                "(SELECT upload_id FROM uploads WHERE uploaded_at <= ?)",
                [set_aside_uploaded_by],
            )
            self.refresh_superseded(con)
            detail = (f"responses={counts['responses']} history={counts['history']} "
                      f"set_aside={counts['set_aside']} rule: {rule}")
            record_change(con, by, RETENTION, None, detail)
        return counts

    def last_change(self, action: str) -> dict | None:
        """The newest change-log row of one action (when the retention rule last ran)."""
        rows = self.query(
            "SELECT * FROM changes WHERE action = ? ORDER BY changed_at DESC LIMIT 1", [action]
        )
        return None if rows.empty else rows.iloc[0].to_dict()

    # ------------------------------------------------------------ whole store ---
    def table_counts(self) -> dict[str, int]:
        """Rows in every table of the store (a backup's manifest lists them)."""
        with self.connect(write=False) as con:
            return _table_counts(con, None)

    def copy_to(self, target: Path) -> dict[str, int]:
        """A consistent copy of the whole store in a new file, while others may use it.

        DuckDB's own ``COPY FROM DATABASE`` under one read-only connection: a writer in
        another process waits until the copy is done (it retries, like every write),
        so the copy holds whole transactions only, never a half-written upload.
        Returns the rows of each table as copied (read in the same connection).
        """
        target = Path(target)
        if target.exists():
            raise FileExistsError(target)
        with self.connect(write=False) as con:
            source = con.execute("SELECT current_database()").fetchone()[0]
            con.execute("ATTACH ? AS khi_copy (READ_WRITE)", [str(target)])
            try:
                con.execute(f"COPY FROM DATABASE {ident(source)} TO khi_copy")
                counts = _table_counts(con, None)
                copied = _table_counts(con, "khi_copy")
                con.execute("CHECKPOINT khi_copy")
            finally:
                con.execute("DETACH khi_copy")
        if copied != counts:  # never a copy that differs from what it copied
            target.unlink(missing_ok=True)
            raise RuntimeError(f"the copy of {self.path} did not match it: {copied} != {counts}")
        return counts


    def checkpoint(self) -> None:
        """Write the log into the file (before it is replaced by a restore)."""
        with self.connect(write=True) as con:
            con.execute("CHECKPOINT")


def _table_counts(con: duckdb.DuckDBPyConnection, catalog: str | None) -> dict[str, int]:
    prefix = f"{ident(catalog)}.main." if catalog else ""
    counts = {}
    for table in STORE_TABLES:
        try:
            counts[table] = int(
                con.execute(f"SELECT count(*) FROM {prefix}{ident(table)}").fetchone()[0]
            )
        except duckdb.CatalogException:  # a store made before this table
            continue
    return counts


def _retention_counts(
    con: duckdb.DuckDBPyConnection, quarter_ended_by: dt.date, uploaded_by: dt.datetime
) -> dict[str, int]:
    old = "(quarter_start + INTERVAL 3 MONTH) <= ?"
    responses = con.execute(
        f"SELECT count(*) FROM responses WHERE {old}", [quarter_ended_by]
    ).fetchone()[0]
    history = con.execute(
        f"SELECT count(*) FROM response_history WHERE {old}", [quarter_ended_by]
    ).fetchone()[0]
    set_aside = con.execute(
        "SELECT count(DISTINCT (upload_id, row_number)) FROM set_aside WHERE upload_id IN "
        "(SELECT upload_id FROM uploads WHERE uploaded_at <= ?)",
        [uploaded_by],
    ).fetchone()[0]
    return {"responses": int(responses), "history": int(history), "set_aside": int(set_aside)}
