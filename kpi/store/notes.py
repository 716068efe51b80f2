"""The board's notes and actions: stored, read, edited and withdrawn, each change logged.

Why here: this package is the only one that talks to DuckDB. Who may write or read a
note is decided by ``kpi.board.notes`` before any of these is called; these methods
only store what they are given (values as parameters) and write the change log's row
in the same transaction, so the log never lists a change that was not made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from kpi.store.access import record_change
from kpi.store.connection import Connection

NOTE_COLUMNS = (
    "note_id", "khi_code", "quarter_start", "area", "discussed", "action", "owner", "due",
    "written_by", "written_at", "edited_by", "edited_at",
)
_SELECT = "SELECT " + ", ".join(NOTE_COLUMNS) + " FROM notes"
# The text fields an edit may change.
EDITABLE = ("discussed", "action", "owner", "due")


def _words(khi_code: str, area: str, quarter_start: dt.date) -> str:
    """A note as the change log names it (never its text: the log is read by admins
    about who changed what, and the text stays where its readers are checked)."""
    return f"KHI {khi_code}, {area}, quarter starting {quarter_start.isoformat()}"


class NoteTables(Connection):
    """The ``notes`` table (a part of :class:`kpi.store.Store`)."""

    def insert_note(
        self, *, khi_code: str, quarter_start: dt.date, area: str, discussed: str,
        action: str, owner: str, due: str, by: str,
    ) -> int:
        """Store one checked note and log it, in one transaction; returns its id."""
        with self.transaction() as con:
            note_id = int(con.execute("SELECT nextval('note_ids')").fetchone()[0])
            con.execute(
                "INSERT INTO notes (note_id, khi_code, quarter_start, area, discussed, action, "
                "owner, due, written_by, written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [note_id, khi_code, quarter_start, area, discussed, action, owner, due, by,
                 dt.datetime.now()],
            )
            record_change(con, by, "note written", f"note {note_id}",
                           _words(khi_code, area, quarter_start))
        return note_id

    def notes_in(self, areas: Sequence[str], quarter_start: dt.date) -> pd.DataFrame:
        """The notes of ``areas`` for one quarter (not withdrawn), oldest first; none for
        no area. The caller has decided the areas may be seen."""
        if not areas:
            return pd.DataFrame(columns=list(NOTE_COLUMNS))
        try:
            return self.query(
                f"{_SELECT} WHERE withdrawn_at IS NULL AND quarter_start = ? "
                "AND list_contains(?, area) ORDER BY written_at, note_id",
                [quarter_start, list(areas)],
            )
        except duckdb.CatalogException:  # a store from before notes (schema 4): none
            return pd.DataFrame(columns=list(NOTE_COLUMNS))

    def note_row(self, note_id: int) -> dict | None:
        """One note that is not withdrawn, or None."""
        rows = self.query(f"{_SELECT} WHERE note_id = ? AND withdrawn_at IS NULL", [note_id])
        return None if rows.empty else rows.iloc[0].to_dict()

    def update_note(self, note_id: int, changes: dict[str, str], *, by: str) -> bool:
        """Overwrite some of a note's text fields (checked by the caller) and log which;
        False when the note is gone (withdrawn meanwhile: nothing changed)."""
        fields = [f for f in EDITABLE if f in changes]
        with self.transaction() as con:
            row = con.execute(
                "SELECT khi_code, area, quarter_start FROM notes WHERE note_id = ? "
                "AND withdrawn_at IS NULL", [note_id],
            ).fetchone()
            if row is None:
                return False
            sets = ", ".join(f"{f} = ?" for f in fields)  # names from EDITABLE, not input
            con.execute(
                f"UPDATE notes SET {sets}{', ' if sets else ''}edited_by = ?, edited_at = ? "
                "WHERE note_id = ?",
                [*(changes[f] for f in fields), by, dt.datetime.now(), note_id],
            )
            record_change(con, by, "note edited", f"note {note_id}",
                           _words(row[0], row[1], row[2]) + "; changed: "
                           + (", ".join(fields) or "nothing"))
        return True

    def withdraw_note(self, note_id: int, *, by: str) -> bool:
        """Hide a note from every reader (kept, with who withdrew it) and log it; False
        when it was withdrawn already."""
        with self.transaction() as con:
            row = con.execute(
                "UPDATE notes SET withdrawn_by = ?, withdrawn_at = ? WHERE note_id = ? "
                "AND withdrawn_at IS NULL RETURNING khi_code, area, quarter_start",
                [by, dt.datetime.now(), note_id],
            ).fetchone()
            if row is None:
                return False
            record_change(con, by, "note withdrawn", f"note {note_id}",
                           _words(row[0], row[1], row[2]))
        return True
