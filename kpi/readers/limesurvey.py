"""LimeSurvey: Responses > Export, as CSV or Excel, with its own columns first.

"id" / "Response ID", "submitdate" / "Date submitted", "lastpage" / "Last
page", "startlanguage" / "Start language", "seed", "token", "startdate" /
"Date started", "datestamp" / "Date last action", "ipaddr", "refurl", then
the questions. Headings are the question code ("Q1", "Q2[SQ001]"), the full
question text (arrays as "Question [Subquestion]"), or "Code. Text"; answers
are LimeSurvey's answer codes ("A1", "AO01") or the full answers. A response
with no submit date was not finished and is set aside. Codes carry no
meaning we can check, so an export of codes is refused with what to choose
instead (see :func:`codes_only`). Column names as in public analysis scripts
of LimeSurvey exports and LimeSurvey's own export code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kpi.readers.base import Layout, key, keys_of

_OWN = frozenset({
    "id", "responseid", "submitdate", "datesubmitted", "lastpage", "startlanguage", "seed",
    "token", "startdate", "datestarted", "datestamp", "datelastaction", "ipaddr", "ipaddress",
    "refurl", "referrerurl", "interviewtime", "totaltime",
})
_CODE_HEADING = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\[[A-Za-z0-9_]+\])*$")
ANSWER_CODE = re.compile(r"^(A|AO|SQ)\d+$", re.I)


def codes_only(headers: Sequence[str]) -> bool:
    """True when the question columns are headed by LimeSurvey codes only (Q1, Q2[SQ001])."""
    questions = [h for h in headers if key(h) not in _OWN and not key(h).endswith("time")]
    return bool(questions) and all(_CODE_HEADING.match(h.strip()) for h in questions)


@dataclass(frozen=True)
class LimeSurvey(Layout):
    def recognise(self, rows: list[list[str]], source: str) -> int | None:
        keys = keys_of(rows[0])
        coded = {"id", "submitdate", "lastpage", "startlanguage"} <= keys
        full = {"responseid", "datesubmitted", "lastpage", "startlanguage"} <= keys
        return 1 if coded or full else None

    def is_metadata(self, column_key: str) -> bool:
        # LimeSurvey's timing columns: "interviewtime", "groupTime12", "Q1Time".
        return super().is_metadata(column_key) or column_key.startswith("grouptime")

    def tool_set_aside(
        self, headers: Sequence[str], texts: Sequence[tuple[str, ...]], rows
    ) -> list[tuple[int, int, str]]:
        names = [key(t[-1]) for t in texts]
        j = next((names.index(k) for k in ("submitdate", "datesubmitted") if k in names), None)
        if j is None:
            return []
        unfinished = rows[j].str.strip().eq("").to_numpy()
        return [(int(i), j, "the response was not finished (it has no submit date in "
                 "LimeSurvey): only finished responses are stored")
                for i in np.flatnonzero(unfinished)]


LAYOUT = LimeSurvey(
    "limesurvey", "a LimeSurvey export",
    metadata=_OWN,
    completion=("submitdate", "datesubmitted"),
)
