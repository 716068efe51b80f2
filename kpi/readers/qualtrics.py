"""Qualtrics: the three-row export, the two-row one, and the legacy V1...V10 export.

Row 1 holds Qualtrics' internal names (StartDate, ..., QID names); row 2 the
question text in the survey's language, matrix columns as "Stem - Statement"
or "Stem-Statement" (stems cut short with "..."); row 3, when present, the
ImportId JSON, in double or single quotes. The export is recognised by its
internal names or row 3's ImportIds, never by English labels. The legacy
export's first row is V1, V2, ... and its second row holds ResponseID and the
question texts. Survey Preview / test rows and unfinished responses are set
aside with their reason; ExternalReference can serve as the person's reference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kpi.readers.base import Layout, key, keys_of

_IMPORT_ID = re.compile(r"""^\{\s*["']ImportId["']\s*:""")
_LEGACY = re.compile(r"^v\d+$")
_RESPONSE_ID = re.compile(r"^R_[A-Za-z0-9]{8,}$")
_OWN = frozenset({
    "startdate", "enddate", "status", "ipaddress", "progress", "durationinseconds",
    "finished", "recordeddate", "responseid", "recipientlastname", "recipientfirstname",
    "recipientemail", "externalreference", "externaldatareference", "locationlatitude",
    "locationlongitude", "locationaccuracy", "distributionchannel", "userlanguage",
    "responseset", "name", "emailaddress", "qrecaptchascore", "qrelevantidduplicate",
    "qrelevantidduplicatescore", "qrelevantidfraudscore", "qrelevantidlaststartdate",
})
# Status as Qualtrics writes it, in words (choice-text export) or as its number.
_NOT_RESPONSES = {
    "surveypreview": "a Qualtrics survey preview, not a real response",
    "1": "a Qualtrics survey preview, not a real response",
    "surveytest": "a Qualtrics survey test, not a real response",
    "2": "a Qualtrics survey test, not a real response",
    "spam": "marked as spam by Qualtrics",
    "8": "marked as spam by Qualtrics",
}
_UNFINISHED = {"false", "0", "no"}


def is_import_id(text: str) -> bool:
    return bool(_IMPORT_ID.match(text.strip()))


@dataclass(frozen=True)
class Qualtrics(Layout):
    def recognise(self, rows: list[list[str]], source: str) -> int | None:
        keys = keys_of(rows[0])
        first = [key(c) for c in rows[0] if c.strip()]
        if len(first) >= 3 and all(_LEGACY.match(k) for k in first[:3]) and len(rows) > 1 \
                and "responseid" in keys_of(rows[1]):
            return 2  # legacy: V1..V10 over ResponseID, ResponseSet, ...
        import_rows = [r for r in (1, 2) if r < len(rows)
                       and sum(is_import_id(c) for c in rows[r]) >= 2]
        names = "responseid" in keys and keys & {"startdate", "recordeddate", "enddate"}
        if not names and not import_rows:
            return None
        if 2 in import_rows:
            return 3
        if 1 in import_rows:
            return 2
        below = rows[1][self._position(rows[0], "responseid")] if len(rows) > 1 else ""
        # Row 2 is the question-text row unless it already holds a response id.
        return 1 if _RESPONSE_ID.match(below.strip()) or len(rows) < 2 else 2

    @staticmethod
    def _position(row: Sequence[str], wanted: str) -> int:
        return next((j for j, c in enumerate(row) if key(c) == wanted), 0)

    def columns(self, header: list[list[str]]) -> tuple[list[str], list[tuple[str, ...]]]:
        row0 = [c.strip() for c in header[0]]
        if len(header) < 2:
            return row0, [(c,) for c in row0]
        row1 = [c.strip() for c in header[1]]
        legacy = sum(bool(_LEGACY.match(key(c))) for c in row0[:3]) == 3
        if is_import_id(row1[0] if row1 else "") or sum(map(is_import_id, row1)) >= 2:
            return row0, [(c,) for c in row0]  # two rows: names, then ImportIds
        headers, texts = [], []
        for name, question in zip(row0, row1):
            if legacy:
                headers.append(question or name)
                texts.append((question or name,))
            elif self.is_metadata(key(name)) or not question:
                headers.append(name)
                texts.append((name,))
            else:
                headers.append(question)
                texts.append((question, name))
        return headers, texts

    def tool_set_aside(
        self, headers: Sequence[str], texts: Sequence[tuple[str, ...]], rows
    ) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        names = [key(t[-1]) for t in texts]
        if "status" in names:
            j = names.index("status")
            values = rows[j].map(key).to_numpy()
            for code, reason in _NOT_RESPONSES.items():
                out += [(int(i), j, reason) for i in np.flatnonzero(values == code)]
        if "finished" in names:
            j = names.index("finished")
            values = rows[j].str.strip().str.lower().to_numpy()
            unfinished = np.isin(values, list(_UNFINISHED))
            out += [(int(i), j, "the response was not finished (Finished is False in "
                     "Qualtrics): only finished responses are stored")
                    for i in np.flatnonzero(unfinished)]
        return out


LAYOUT = Qualtrics(
    "qualtrics", "a Qualtrics export",
    metadata=_OWN,
    completion=("recordeddate", "enddate"),
    reference=("externalreference", "externaldatareference"),
)
