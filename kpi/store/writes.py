"""Writes: schemes, uploads, responses, activity returns, the demo, rollback.

Every method that takes ``con`` runs inside the caller's transaction, so an upload
is stored whole or not at all. Values go in as parameters or as a registered frame.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pyarrow as pa

from kpi.errors import BadRequest, UnknownCode
from kpi.store.access import AccessTables
from kpi.store.schema import (
    ACTIVITY_COUNTS,
    ATTRIBUTE_COLUMNS,
    RESPONSE_KEY,
    ident,
    item_columns,
    response_columns,
)

# The provenance of a row stored without one: an export read from an upload.
PROVENANCE_DEFAULTS = {"channel": "upload", "wording": "standard"}


def _absent(column: str) -> str:
    """The SQL value of a column a bulk frame lacks: its provenance default, or NULL."""
    default = PROVENANCE_DEFAULTS.get(column)
    return "NULL" if default is None else f"'{default}'"


class Writes(AccessTables):
    """Everything that changes the store (a part of :class:`kpi.store.Store`)."""

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
        """Record what an upload stored, and log it (inside the upload's transaction)."""
        con.execute(
            "UPDATE uploads SET accepted = ?, rejected = ?, duplicates = ?, corrected = ?,"
            " note = ? WHERE upload_id = ?",
            [accepted, rejected, duplicates, corrected, note, upload_id],
        )
        self.record_upload(con, upload_id)

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
        for column, default in PROVENANCE_DEFAULTS.items():  # an export: upload, standard
            if column not in frame:
                frame[column] = default
        frame = frame.reindex(columns=columns)
        for code in item_columns():
            frame[code] = pd.array(frame[code], dtype="Int8")
        con.register("incoming", frame)
        try:
            value_columns = [*ATTRIBUTE_COLUMNS, *item_columns()]
            same = " AND ".join(
                f"o.{ident(c)} IS NOT DISTINCT FROM n.{ident(c)}" for c in value_columns
            )
            key = " AND ".join(f"o.{ident(c)} = n.{ident(c)}" for c in RESPONSE_KEY)
            con.execute(
                f"""CREATE TEMP TABLE matched AS
                SELECT n.source_row, o.response_id, ({same}) AS identical
                FROM incoming n JOIN responses o ON {key}"""
            )
            duplicates = con.execute("SELECT count(*) FROM matched WHERE identical").fetchone()[0]
            corrected = con.execute(
                "SELECT count(*) FROM matched WHERE NOT identical"
            ).fetchone()[0]
            all_columns = ", ".join(map(ident, response_columns()))
            con.execute(
                f"""INSERT INTO response_history ({all_columns}, replaced_by, replaced_at)
                SELECT {all_columns}, ?, ? FROM responses
                WHERE response_id IN (SELECT response_id FROM matched WHERE NOT identical)""",
                [upload_id, dt.datetime.now()],
            )
            con.execute(
                "DELETE FROM responses WHERE response_id IN "
                "(SELECT response_id FROM matched WHERE NOT identical)"
            )
            insert_columns = ", ".join(map(ident, columns))
            selected = ", ".join(
                "CAST(date_trunc('quarter', n.completed_on) AS DATE)"
                if c == "quarter_start"
                else f"n.{ident(c)}"
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
            present = set(columns) - (set(PROVENANCE_DEFAULTS) - set(frame.columns))
            frame = frame.reindex(columns=[c for c in columns if c in present])
        con.register("incoming_bulk", frame)
        try:
            insert_columns = ", ".join(map(ident, columns))
            selected = ", ".join(
                "CAST(date_trunc('quarter', completed_on) AS DATE)"
                if c == "quarter_start"
                else (ident(c) if c in present else _absent(c))
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
            con.execute(f"DELETE FROM {ident(table)} WHERE upload_id IN ({demo_uploads})")
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
        """Keep rows set aside: row number, column, reason and the cells (no reference);
        the person key when the row's reference could be read (so it can be erased)."""
        if problems.empty:
            return
        columns = ["row_number", "column_name", "reason", "row_values", "person_key"]
        frame = problems.reindex(columns=columns)
        frame["person_key"] = frame["person_key"].astype(object)
        frame.insert(0, "upload_id", upload_id)
        con.register("incoming_problems", frame)
        try:
            con.execute(
                "INSERT INTO set_aside (upload_id, row_number, column_name, reason, row_values,"
                " person_key) SELECT upload_id, row_number, column_name, reason, row_values,"
                " CAST(person_key AS VARCHAR) FROM incoming_problems"
            )
        finally:
            con.unregister("incoming_problems")

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
            same = " AND ".join(
                f"a.{ident(c)} IS NOT DISTINCT FROM n.{ident(c)}" for c in ACTIVITY_COUNTS
            )
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
            counts = ", ".join(f"a.{ident(c)}" for c in ACTIVITY_COUNTS)
            con.execute(
                f"""INSERT INTO activity_history
                SELECT a.upload_id, a.scheme_id, a.quarter_start, {counts}, ?
                FROM activity_returns a WHERE (a.scheme_id, a.quarter_start) IN {changed}""",
                [upload_id],
            )
            con.execute(
                f"DELETE FROM activity_returns WHERE (scheme_id, quarter_start) IN {changed}"
            )
            names = ", ".join(map(ident, columns))
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

    def rollback(self, upload_id: int, by: str | None = None) -> dict[str, int]:
        """Remove one upload completely and restore what its corrections replaced;
        ``by`` (who asked) is kept on the upload's record."""
        with self.transaction() as con:
            row = con.execute(
                "SELECT status FROM uploads WHERE upload_id = ?", [upload_id]
            ).fetchone()
            if row is None:
                raise UnknownCode(
                    f"There is no upload {upload_id}. `python -m kpi uploads` lists them."
                )
            if row[0] != "stored":
                raise BadRequest(f"Upload {upload_id} was already rolled back.")
            removed = con.execute(
                "SELECT count(*) FROM responses WHERE upload_id = ?", [upload_id]
            ).fetchone()[0]
            con.execute("DELETE FROM responses WHERE upload_id = ?", [upload_id])
            columns = ", ".join(map(ident, response_columns()))
            restored = con.execute(
                "SELECT count(*) FROM response_history WHERE replaced_by = ?", [upload_id]
            ).fetchone()[0]
            con.execute(
                f"INSERT INTO responses ({columns}) SELECT {columns} FROM response_history "
                "WHERE replaced_by = ?",
                [upload_id],
            )
            # History rows that this upload's own rows left behind go too.
            con.execute(
                "DELETE FROM response_history WHERE replaced_by = ? OR upload_id = ?",
                [upload_id, upload_id],
            )
            con.execute("DELETE FROM activity_returns WHERE upload_id = ?", [upload_id])
            counts = ", ".join(map(ident, ACTIVITY_COUNTS))
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
            # A survey round's links stop with it (kpi.collect refuses them).
            con.execute(
                "UPDATE rounds SET closed_at = ?, closed_by = ? "
                "WHERE upload_id = ? AND closed_at IS NULL",
                [dt.datetime.now(), by or "unknown", upload_id],
            )
            self.record_rollback(con, upload_id, by, int(removed), int(restored))
            self.refresh_superseded(con)
        return {"removed": int(removed), "restored": int(restored)}

    def save_mappings(self, scheme_id: str, mapping: dict[str, str]) -> None:
        with self.transaction() as con:
            for source, target in mapping.items():
                con.execute(
                    "INSERT OR REPLACE INTO column_mappings VALUES (?, ?, ?, ?)",
                    [scheme_id, source, target, dt.datetime.now()],
                )
