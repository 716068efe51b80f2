"""Survey rounds and their links: the rows behind ``kpi.collect``.

A round is an upload of kind ``round`` in the upload history: every answer it
gathers (online by link, or typed from paper) is stored under that upload id
with the same duplicate and correction rules as a file's rows, so rolling the
upload back removes the round's answers and stops its links. A link is kept as
the SHA-256 of its token only; a personal link as the person's pseudonymised key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from kpi.reach import Reach
from kpi.store.access import record_change
from kpi.store.schema import ATTRIBUTE_COLUMNS, PROVENANCE_COLUMNS
from kpi.store.writes import Writes


class RoundTables(Writes):
    """Rounds, links and the answers they bring (a part of :class:`kpi.store.Store`)."""

    def new_round(
        self, con: duckdb.DuckDBPyConnection, *, scheme_id: str, quarter_start: dt.date,
        who: str, opened_by: str | None, expires_at: dt.datetime, label: str,
    ) -> tuple[int, int]:
        """A round and its upload record (inside the caller's transaction):
        (round id, upload id)."""
        upload_id = self.new_upload(
            con, scheme_id=scheme_id, kind="round", file_name=label, sha256=None,
            uploaded_by=opened_by, layout="round",
        )
        round_id = int(con.execute("SELECT nextval('round_ids')").fetchone()[0])
        con.execute(
            "INSERT INTO rounds (round_id, upload_id, scheme_id, quarter_start, who, opened_by,"
            " opened_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [round_id, upload_id, scheme_id, quarter_start, who, opened_by, dt.datetime.now(),
             expires_at],
        )
        return round_id, upload_id

    def add_links(
        self, con: duckdb.DuckDBPyConnection, round_id: int,
        links: Sequence[tuple[str, str, str | None]], expires_at: dt.datetime,
    ) -> None:
        """Links of a round as (token hash, kind, person key or None), inside the transaction."""
        if not links:
            return
        frame = pd.DataFrame(list(links), columns=["token_hash", "kind", "person_key"])
        frame["person_key"] = frame["person_key"].astype(object)
        con.register("incoming_links", frame)
        try:
            con.execute(
                "INSERT INTO round_links (token_hash, round_id, kind, person_key, created_at,"
                " expires_at) SELECT token_hash, ?, kind, CAST(person_key AS VARCHAR), ?, ?"
                " FROM incoming_links",
                [round_id, dt.datetime.now(), expires_at],
            )
        finally:
            con.unregister("incoming_links")

    @staticmethod
    def link_row(con: duckdb.DuckDBPyConnection, token_hash: str) -> dict | None:
        """One link with its round and the round's upload status, or None."""
        rows = con.execute(
            """SELECT l.token_hash, l.round_id, l.kind, l.person_key, l.expires_at,
              l.closed_at AS link_closed_at, l.answers, r.scheme_id, r.quarter_start, r.who,
              r.closed_at AS round_closed_at, r.upload_id, u.status
            FROM round_links l JOIN rounds r USING (round_id)
            JOIN uploads u ON u.upload_id = r.upload_id
            WHERE l.token_hash = ?""",
            [token_hash],
        ).df()
        return None if rows.empty else rows.iloc[0].to_dict()

    @staticmethod
    def round_row(con: duckdb.DuckDBPyConnection, round_id: int) -> dict | None:
        rows = con.execute(
            "SELECT r.*, u.status FROM rounds r JOIN uploads u USING (upload_id) "
            "WHERE r.round_id = ?", [round_id],
        ).df()
        return None if rows.empty else rows.iloc[0].to_dict()

    def store_answer(
        self, con: duckdb.DuckDBPyConnection, upload_id: int, record: dict, *, by: str,
        what: str,
    ) -> tuple[int, dict[str, int]]:
        """One response of a round, by the upload rules (inside the caller's transaction):
        a same-day answer of the same person is a duplicate when identical and a
        correction otherwise. Returns (its response id, counts); the round's upload
        counts and the change log follow."""
        frame = pd.DataFrame([{"source_row": 1, **record}])
        for column in (*ATTRIBUTE_COLUMNS, *PROVENANCE_COLUMNS, "respondent_type"):
            # One row of None would be read as a number column: text, as the table has it.
            frame[column] = pd.array(frame.get(column, [None]), dtype="string")
        counts = self.store_responses(con, upload_id, frame)
        response_id = con.execute(
            "SELECT max(response_id) FROM responses WHERE scheme_id = ? AND person_key = ? "
            "AND completed_on = ? AND respondent_type = ?",
            [record["scheme_id"], record["person_key"], record["completed_on"],
             record["respondent_type"]],
        ).fetchone()[0]
        con.execute(
            "UPDATE uploads SET rows_read = rows_read + 1, accepted = accepted + ?,"
            " duplicates = duplicates + ?, corrected = corrected + ? WHERE upload_id = ?",
            [counts["accepted"], counts["duplicates"], counts["corrected"], upload_id],
        )
        outcome = ("already stored (a duplicate)" if counts["duplicates"]
                   else "a correction of an earlier answer" if counts["corrected"]
                   else "stored")
        record_change(con, by, "answer stored", f"upload {upload_id}",
                       f"{what}: response {response_id}, {outcome}")
        return int(response_id), counts

    @staticmethod
    def mark_answered(con: duckdb.DuckDBPyConnection, token_hash: str) -> None:
        con.execute(
            "UPDATE round_links SET answers = answers + 1, last_answer_at = ? "
            "WHERE token_hash = ?", [dt.datetime.now(), token_hash],
        )

    @staticmethod
    def close_round_row(con: duckdb.DuckDBPyConnection, round_id: int, by: str | None) -> None:
        con.execute(
            "UPDATE rounds SET closed_at = ?, closed_by = ? WHERE round_id = ?",
            [dt.datetime.now(), by or "unknown", round_id],
        )
        record_change(con, by, "round closed", f"round {round_id}", None)

    @staticmethod
    def close_link_row(con: duckdb.DuckDBPyConnection, token_hash: str, by: str | None) -> None:
        con.execute(
            "UPDATE round_links SET closed_at = ? WHERE token_hash = ?",
            [dt.datetime.now(), token_hash],
        )
        round_id = con.execute(
            "SELECT round_id FROM round_links WHERE token_hash = ?", [token_hash]
        ).fetchone()[0]
        record_change(con, by, "link closed", f"round {round_id}", None)

    def rounds(self, reach: Reach | None = None) -> pd.DataFrame:
        """Every round with what it gathered: links sent (personal) and those answered,
        answers online and on paper, answers that count (each person's latest in the
        quarter), the people supported in its quarter (the scheme's activity return,
        NULL without one), and its upload's status; newest first."""
        frame = self.query(
            """SELECT r.round_id, r.upload_id, r.scheme_id, s.name AS scheme_name,
              r.quarter_start, r.who, r.opened_by, r.opened_at, r.expires_at, r.closed_by,
              r.closed_at, u.status,
              (SELECT count(*) FROM round_links l WHERE l.round_id = r.round_id
                 AND l.kind = 'personal') AS links_sent,
              (SELECT count(*) FROM round_links l WHERE l.round_id = r.round_id
                 AND l.kind = 'personal' AND l.answers > 0) AS personal_answered,
              (SELECT count(*) FROM responses x WHERE x.upload_id = r.upload_id
                 AND x.channel = 'online') AS online_answers,
              (SELECT count(*) FROM responses x WHERE x.upload_id = r.upload_id
                 AND x.channel = 'paper') AS paper_answers,
              (SELECT count(*) FROM responses x WHERE x.upload_id = r.upload_id
                 AND x.response_id NOT IN (SELECT response_id FROM superseded)) AS answers,
              (SELECT coalesce(a.long_term, 0) + coalesce(a.short_break, 0)
                 + coalesce(a.day_support, 0) + coalesce(a.home_from_hospital, 0)
               FROM activity_returns a WHERE a.scheme_id = r.scheme_id
                 AND a.quarter_start = r.quarter_start) AS people_supported
            FROM rounds r JOIN uploads u USING (upload_id)
            LEFT JOIN schemes s ON s.scheme_id = r.scheme_id
            ORDER BY r.round_id DESC"""
        )
        return frame if reach is None else reach.rows(frame).reset_index(drop=True)
