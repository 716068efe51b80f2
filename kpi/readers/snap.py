"""Snap Surveys (Snap XMP): the data download, CSV or "Tab-separated (Unicode)".

Row 1 holds Snap's variable names (Q1, Q2a, Q7.1, V3), row 2 the variable
labels (the question texts); answers are labels. The Unicode download is
UTF-16 with tabs. Snap numbers its own columns too ("Serial", the case's
number; "Date created", "Date modified"). Snap is a UK
company and writes dd/mm/yyyy. The variable names are kept as a second
text to match, so a label cut short still names its question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpi.readers.base import Layout

_VARIABLE = re.compile(r"^(q\d+[a-z]?(?:[._]\d+[a-z]?)*|v\d+|serial|[a-z]{1,3}\d+[a-z]?)$",
                       re.I)
# Not "Date completed": that is our own template's heading too, read as ours.
_OWN = frozenset({"serial", "respondentid", "datecreated", "datemodified", "timecreated",
                  "timecompleted", "caseid"})


@dataclass(frozen=True)
class Snap(Layout):
    def recognise(self, rows: list[list[str]], source: str) -> int | None:
        if len(rows) < 2:
            return None
        names = [c.strip() for c in rows[0] if c.strip()]
        labels = [c.strip() for c in rows[1] if c.strip()]
        if len(names) < 3 or len(labels) < len(names) * 0.8:
            return None
        variables = sum(bool(_VARIABLE.match(n)) for n in names)
        # Variable names over labels: nearly every cell of row 1 a short name,
        # and row 2 longer words (labels), not answers of the same shape.
        if variables >= 0.8 * len(names) and sum(len(x) > 12 for x in labels) >= 2:
            return 2
        return None

    def columns(self, header: list[list[str]]) -> tuple[list[str], list[tuple[str, ...]]]:
        names = [c.strip() for c in header[0]]
        labels = [c.strip() for c in header[1]] if len(header) > 1 else names
        headers = [label or name for name, label in zip(names, labels)]
        return headers, [(label or name, name) for name, label in zip(names, labels)]


LAYOUT = Snap(
    "snap", "a Snap Surveys data download",
    metadata=_OWN,
    date_hint="day_first",
)


