"""Reads of the register, uploads and activity returns (indicator SQL is in
``kpi.store.queries``)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from kpi.reach import Reach
from kpi.store.connection import Connection


class Reads(Connection):
    """Small reads the pages and the command line show as they are (a part of
    :class:`kpi.store.Store`)."""

    def schemes(self, reach: Reach | None = None) -> pd.DataFrame:
        """The register (region, then name); only the schemes of ``reach`` when given
        (none at all for an empty grant)."""
        frame = self.query("SELECT * FROM schemes ORDER BY region, name")
        return frame if reach is None else reach.rows(frame).reset_index(drop=True)

    def scheme_ids(self) -> set[str]:
        return set(self.query("SELECT scheme_id FROM schemes")["scheme_id"])

    def uploads(self, reach: Reach | None = None) -> pd.DataFrame:
        """Every upload, newest first; only those for the schemes of ``reach`` when
        given (an activity return for several schemes has no scheme: administrators
        only)."""
        frame = self.query(
            "SELECT u.*, s.name AS scheme_name FROM uploads u "
            "LEFT JOIN schemes s USING (scheme_id) ORDER BY upload_id DESC"
        )
        return frame if reach is None else reach.rows(frame).reset_index(drop=True)

    def data_as_of(self) -> dt.datetime | None:
        """When the answers last changed: the latest upload stored or rolled back, or
        the latest erasure or retention run (None for a store without any).

        Why not ``meta.revision``: it moves on every write, a sign-in too, so a CSV
        stamped with it would say the data changed when nobody uploaded anything.
        """
        from kpi.store.rights import ERASED, RETENTION

        try:
            rows = self.query(
                "SELECT greatest("
                "(SELECT max(uploaded_at) FROM uploads), "
                "(SELECT max(rolled_back_at) FROM uploads), "
                "(SELECT max(changed_at) FROM changes WHERE action IN (?, ?))) AS at",
                [ERASED, RETENTION],
            )
        except duckdb.CatalogException:  # a store made before the change log
            return None
        stamp = rows["at"].iloc[0] if len(rows) else None
        return None if stamp is None or pd.isna(stamp) else pd.Timestamp(stamp).to_pydatetime()

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

    def activity(self) -> pd.DataFrame:
        return self.query(
            "SELECT a.*, s.name AS scheme_name, s.region FROM activity_returns a "
            "JOIN schemes s USING (scheme_id) ORDER BY quarter_start, scheme_id"
        )

    def saved_mappings(self, scheme_id: str) -> dict[str, str]:
        if not self.exists():
            return {}
        rows = self.query(
            "SELECT source_header, target FROM column_mappings WHERE scheme_id = ?", [scheme_id]
        )
        return dict(zip(rows["source_header"], rows["target"]))

    def person_key_rows(self) -> int:
        """Rows holding a person key made with the installation secret: responses and
        the ones they replaced, of every upload but the demo's.

        Why the demo's keys do not count: they are random (``kpi.demo.person_keys``),
        never made with a secret, so a new secret unlinks nobody. Counting them made
        ``kpi.privacy`` refuse every upload to a store that began with ``kpi demo``
        (keys, but no secret to "put back"); the first real upload now makes the secret.
        """
        real = "upload_id IN (SELECT upload_id FROM uploads WHERE NOT is_demo)"
        rows = self.query(
            f"SELECT (SELECT count(*) FROM responses WHERE {real}) + "
            f"(SELECT count(*) FROM response_history WHERE {real}) AS n"
        )
        return int(rows["n"].iloc[0])
