"""Users, roles and the change log: who may sign in, and who changed what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from kpi.store.connection import Connection


def _record_change(
    con: duckdb.DuckDBPyConnection, by: str | None, action: str, subject: str | None,
    detail: str | None,
) -> None:
    """One row of the change log (inside the caller's transaction)."""
    con.execute(
        "INSERT INTO changes VALUES (?, ?, ?, ?, ?)",
        [dt.datetime.now(), by or "unknown", action, subject, detail],
    )


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
                _record_change(con, "sign-in", "user bound to sign-in subject", email, issuer)
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
        """Add or replace a user (checked by ``kpi.scope.add_user``), recording who did it."""
        with self.transaction() as con:
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
