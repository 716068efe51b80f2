"""Typeform: the Responses "Download all responses" CSV/xlsx.

A "#" column (the response token) first, then one column per question as
the form shows it (answer recall as ``{{field:...}}``, bold as <strong>),
then "Response Type" (completed / partial, in newer downloads), "Start Date
(UTC)", "Stage Date (UTC)", "Submit Date (UTC)", "Network ID" and any
hidden fields and "Tags". Times are UTC: the date is converted to UK time
before the quarter is decided. Seen in public repositories' copies of
Typeform downloads (the OSMI mental health survey, nonprofit and bootcamp
application forms). Partial responses are set aside with their reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kpi.readers.base import Layout, key, keys_of

_OWN = frozenset({"responsetype", "startdateutc", "stagedateutc", "submitdateutc",
                  "networkid", "tags", "endingid", "endingref"})


@dataclass(frozen=True)
class Typeform(Layout):
    def recognise(self, rows: list[list[str]], source: str) -> int | None:
        keys = keys_of(rows[0])
        first = rows[0][0].strip() if rows[0] else ""
        if "submitdateutc" in keys and ("networkid" in keys or first == "#"):
            return 1
        return None

    def is_metadata(self, column_key: str) -> bool:
        # "#" keys to "": the response token column.
        return super().is_metadata(column_key) or column_key == ""

    def tool_set_aside(
        self, headers: Sequence[str], texts: Sequence[tuple[str, ...]], rows
    ) -> list[tuple[int, int, str]]:
        names = [key(t[-1]) for t in texts]
        if "responsetype" not in names:
            return []
        j = names.index("responsetype")
        partial = rows[j].str.strip().str.lower().eq("partial").to_numpy()
        return [(int(i), j, "the response was not finished (Typeform marks it 'partial'): "
                 "only completed responses are stored") for i in np.flatnonzero(partial)]


LAYOUT = Typeform(
    "typeform", "a Typeform export",
    metadata=_OWN,
    completion=("submitdateutc",),
    submission_order=False,  # Typeform lists the newest response first
)
