"""SurveyMonkey: two header rows, with or without its own columns.

Row 1 holds the question (a matrix stem written once, over blank cells); row
2 holds "Response" / "Open-Ended Response" under a single question and the
statement under each matrix column, and is a header, never a respondent.
Schemes delete the personal columns (Collector ID, names, e-mail) before
uploading, and older exports say "RespondentID": none of them is required.
SurveyMonkey writes dates month-first (mm/dd/yyyy): its known convention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpi.readers.base import Layout, key, keys_of

_OWN = frozenset({"respondentid", "collectorid", "startdate", "enddate", "ipaddress",
                  "emailaddress", "firstname", "lastname"})
_SINGLE = frozenset({"response", "openendedresponse", ""})
_CUSTOM_DATA = re.compile(r"^customdata\d+$")


@dataclass(frozen=True)
class SurveyMonkey(Layout):
    def recognise(self, rows: list[list[str]], source: str) -> int | None:
        own = keys_of(rows[0]) & _OWN
        if not own or len(rows) < 2:
            return None
        top, second = rows[0], rows[1]
        markers = any(key(c) in ("response", "openendedresponse") for c in second)
        blank_under_own = all(
            not (second[j] if j < len(second) else "").strip()
            for j, c in enumerate(top) if key(c) in _OWN
        )
        under_blank_top = any(
            (second[j] if j < len(second) else "").strip() for j, c in enumerate(top)
            if not c.strip()
        )
        if markers or (blank_under_own and under_blank_top):
            return 2
        if {"respondentid", "collectorid"} <= own:
            return 1
        return None

    def columns(self, header: list[list[str]]) -> tuple[list[str], list[tuple[str, ...]]]:
        row0 = [c.strip() for c in header[0]]
        if len(header) < 2:
            return row0, [(c,) for c in row0]
        row1 = [c.strip() for c in header[1]]
        headers, texts, stem = [], [], ""
        for top, sub in zip(row0, row1):
            stem = top if top or not sub else stem
            if key(sub) in _SINGLE:
                headers.append(stem)
                texts.append((stem,))
            else:
                headers.append(f"{stem} - {sub}" if stem else sub)
                texts.append((sub, f"{stem} - {sub}"))
        return headers, texts

    def is_metadata(self, column_key: str) -> bool:
        # "Other (please specify)" is the free-text box beside a choice question.
        return (super().is_metadata(column_key) or bool(_CUSTOM_DATA.match(column_key))
                or column_key.endswith("otherpleasespecify"))


LAYOUT = SurveyMonkey(
    "surveymonkey", "a SurveyMonkey export",
    metadata=_OWN,
    completion=("enddate",),
    date_hint="month_first",
)
