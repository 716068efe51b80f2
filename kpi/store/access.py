"""Users, roles and the change log: who may sign in, and who changed what.

The change log (table ``changes``) gets one row per change, written in the
same transaction as the change itself, so it can never list a change that was
not made nor miss one that was: users added, changed (what changed) or removed,
the register loaded (which schemes were added or changed, and how), each upload
stored (file, scheme, rows) and each rollback (file, scheme, rows removed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from kpi.errors import KhiError
from kpi.store.connection import Connection

# How many scheme ids a register entry names before "and N more".
_MAX_NAMED = 12


class LastAdminError(KhiError, ValueError):
    """The change would leave nobody able to manage users (a message to show)."""


def record_change(
    con: duckdb.DuckDBPyConnection, by: str | None, action: str, subject: str | None,
    detail: str | None,
) -> None:
    """One row of the change log (inside the caller's transaction)."""
    con.execute(
        "INSERT INTO changes VALUES (?, ?, ?, ?, ?)",
        [dt.datetime.now(), by or "unknown", action, subject, detail],
    )


def _listed(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "none"


def _user_change(before: tuple | None, role: str, schemes: Sequence[str],
                 regions: Sequence[str]) -> str:
    """What a save changes, in words: every field for a new user, else only the differences."""
    if before is None:
        return f"role {role}; schemes {_listed(schemes)}; regions {_listed(regions)}"
    old_role, old_schemes, old_regions = before[0], list(before[1]), list(before[2])
    parts = []
    if old_role != role:
        parts.append(f"role {old_role} → {role}")
    for name, old, new in (("schemes", old_schemes, list(schemes)),
                           ("regions", old_regions, list(regions))):
        added = [v for v in new if v not in old]
        taken = [v for v in old if v not in new]
        if added:
            parts.append(f"{name} added: {', '.join(added)}")
        if taken:
            parts.append(f"{name} taken away: {', '.join(taken)}")
    return "; ".join(parts) or "saved with no change"


def _is_last_admin(con: duckdb.DuckDBPyConnection, email: str) -> bool:
    """Whether ``email`` is an administrator and nobody else is (read in the transaction)."""
    row = con.execute("SELECT role FROM users WHERE email = ?", [email]).fetchone()
    if row is None or row[0] != "admin":
        return False
    others = con.execute(
        "SELECT count(*) FROM users WHERE role = 'admin' AND email <> ?", [email]
    ).fetchone()[0]
    return others == 0


def _last_admin_message(email: str, doing: str) -> str:
    return (
        f"{email} is the only administrator, so they cannot be {doing}: nobody could then add "
        "or change users. Make someone else an administrator first. Nothing was changed."
    )


def _upload_words(con: duckdb.DuckDBPyConnection, upload_id: int) -> str:
    """An upload as the change log names it: its file and scheme (read in the transaction)."""
    file_name, scheme_id, name, kind = con.execute(
        "SELECT u.file_name, u.scheme_id, s.name, u.kind FROM uploads u "
        "LEFT JOIN schemes s USING (scheme_id) WHERE u.upload_id = ?",
        [upload_id],
    ).fetchone()
    scheme = f"{name} ({scheme_id})" if name else (scheme_id or "several schemes")
    what = {"activity": "activity return", "demo": "demo", "round": "survey round"}.get(
        kind, "survey")
    return f"{file_name or 'no file name'} ({what}) for {scheme}"


def _rows(n: int, word: str = "row") -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")
def _one_user(rows: pd.DataFrame) -> dict | None:
    if rows.empty:
        return None
    row = rows.iloc[0].to_dict()
    row["scheme_ids"] = [str(s) for s in row["scheme_ids"]]
    row["regions"] = [str(r) for r in row["regions"]]
    return row


class AccessTables(Connection):
    """The store's users, roles and change log (a part of :class:`Store`)."""

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
        return _one_user(rows)

    def user_by_subject(self, issuer: str, subject: str) -> dict | None:
        """The user bound to a provider's subject at their first sign-in, or None."""
        if not self.exists():
            return None
        try:
            rows = self.query(
                "SELECT * FROM users WHERE issuer = ? AND subject = ?", [issuer, subject]
            )
        except duckdb.BinderException:  # a store from before subjects: nobody is bound
            return None
        except duckdb.CatalogException:
            return None
        return _one_user(rows)

    def bind_subject(self, email: str, issuer: str, subject: str) -> bool:
        """Bind a user to the provider's subject that first signed in with their email;
        False when they were bound already (by then only that subject matches)."""
        with self.transaction() as con:
            done = con.execute(
                "UPDATE users SET issuer = ?, subject = ? WHERE email = ? AND subject IS NULL "
                "RETURNING email",
                [issuer, subject, email],
            ).fetchall()
            if done:
                record_change(con, "sign-in", "user bound to sign-in subject", email, issuer)
        return bool(done)

    def record_sign_out(self, issuer: str, subject: str, at: dt.datetime) -> None:
        """Sessions of this subject issued before ``at`` are refused from now on."""
        with self.transaction() as con:
            con.execute(
                "UPDATE users SET signed_out_at = ? WHERE issuer = ? AND subject = ?",
                [at, issuer, subject],
            )

    def put_user(
        self, email: str, role: str, scheme_ids: Sequence[str], regions: Sequence[str],
        *, by: str,
    ) -> None:
        """Add or replace a user (checked by ``kpi.scope.add_user``), recording who did it
        and what changed. Refuses (LastAdminError) to demote the only administrator: the
        check and the write are one transaction, so two demotions at once cannot both pass."""
        with self.transaction() as con:
            if role != "admin" and _is_last_admin(con, email):
                raise LastAdminError(_last_admin_message(email, f"made {role}"))
            before = con.execute(
                "SELECT role, scheme_ids, regions FROM users WHERE email = ?", [email]
            ).fetchone()
            # A changed role keeps the person's bound sign-in subject (never re-opened
            # to whoever signs in next with the same email).
            con.execute(
                "INSERT INTO users (email, role, scheme_ids, regions, added_by, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET "
                "role = excluded.role, scheme_ids = excluded.scheme_ids, "
                "regions = excluded.regions, added_by = excluded.added_by, "
                "added_at = excluded.added_at",
                [email, role, list(scheme_ids), list(regions), by, dt.datetime.now()],
            )
            action = "user added" if before is None else "user changed"
            record_change(con, by, action, email, _user_change(before, role, scheme_ids,
                                                                regions))

    def remove_user(self, email: str, *, by: str) -> bool:
        """Remove a user; False when there was none (nothing recorded). Refuses
        (LastAdminError) to remove the only administrator."""
        with self.transaction() as con:
            before = con.execute(
                "SELECT role, scheme_ids, regions FROM users WHERE email = ?", [email]
            ).fetchone()
            if before is None:
                return False
            if _is_last_admin(con, email):
                raise LastAdminError(_last_admin_message(email, "removed"))
            con.execute("DELETE FROM users WHERE email = ?", [email])
            grants = [*before[1], *before[2]]
            record_change(con, by, "user removed", email,
                           f"was {before[0]}" + (f" ({', '.join(grants)})" if grants else ""))
        return True

    def record_upload(self, con: duckdb.DuckDBPyConnection, upload_id: int) -> None:
        """The change log's row for a stored upload (inside the upload's transaction):
        its file, scheme and what happened to its rows; ``by`` is its uploader."""
        row = con.execute(
            "SELECT uploaded_by, rows_read, accepted, rejected, duplicates, corrected, note "
            "FROM uploads WHERE upload_id = ?", [upload_id],
        ).fetchone()
        by, read, accepted, rejected, duplicates, corrected, note = row
        detail = (
            f"{_upload_words(con, upload_id)}: {_rows(read)} read, {accepted:,} stored, "
            f"{rejected:,} set aside, {duplicates:,} already stored, {corrected:,} corrected"
        )
        if note and not note.startswith("{"):  # the demo's note is its settings (JSON)
            detail += f" ({note})"
        record_change(con, by, "upload stored", f"upload {upload_id}", detail)

    def record_rollback(
        self, con: duckdb.DuckDBPyConnection, upload_id: int, by: str | None,
        removed: int | None = None, restored: int | None = None,
    ) -> None:
        """Who rolled back an upload, on the upload and in the change log (its file,
        scheme and rows), inside the rollback's transaction."""
        con.execute(
            "UPDATE uploads SET rolled_back_by = ?, rolled_back_at = ? WHERE upload_id = ?",
            [by or "unknown", dt.datetime.now(), upload_id],
        )
        detail = _upload_words(con, upload_id)
        if removed is not None:
            detail += f": {_rows(removed)} removed"
        if restored:
            detail += f", {_rows(restored, 'earlier answer')} restored"
        record_change(con, by, "upload rolled back", f"upload {upload_id}", detail)

    def record_register_load(
        self, con: duckdb.DuckDBPyConnection, incoming: pd.DataFrame, by: str | None,
        file_name: str | None,
    ) -> None:
        """The change log's row for a register load, written before the rows are
        upserted (inside that transaction): which schemes are new and what changed
        in the others, field by field."""
        fields = ["name", "region", "local_authority", "cqc_rating", "cqc_rating_date"]
        old = con.execute(
            f"SELECT scheme_id, {', '.join(fields)} FROM schemes"
        ).df().set_index("scheme_id")
        added, changed, same = [], [], 0
        for row in incoming.itertuples(index=False):
            sid = str(row.scheme_id)
            if sid not in old.index:
                added.append(sid)
                continue
            diffs = []
            for field in fields:
                before, after = _plain(old.at[sid, field]), _plain(getattr(row, field))
                if before != after:
                    diffs.append(f"{field} {before or 'empty'} → {after or 'empty'}")
            if diffs:
                changed.append(f"{sid}: {', '.join(diffs)}")
            else:
                same += 1
        parts = [f"file {file_name or 'not named'}"]
        if added:
            parts.append(f"{len(added)} added ({_some(added)})")
        if changed:
            parts.append(f"{len(changed)} changed ({_some(changed, '; ')})")
        parts.append(f"{same} unchanged")
        record_change(con, by, "register loaded", "scheme register", "; ".join(parts))

    def changes(self) -> pd.DataFrame:
        """The change log, newest first."""
        return self.query("SELECT * FROM changes ORDER BY changed_at DESC")


def _plain(value: object) -> str:
    """A register cell as the change log writes it (dates as ISO, missing as empty)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat()
    return str(value)


def _some(values: list[str], sep: str = ", ") -> str:
    shown = sep.join(values[:_MAX_NAMED])
    return shown + (f"{sep}and {len(values) - _MAX_NAMED} more" if len(values) > _MAX_NAMED
                    else "")
