"""Microsoft Forms: the xlsx download, and the CSV/xlsx Excel makes when it is re-saved.

ID, Start time, Completion time, Email, Name, then the questions; rows in
submission order. A re-save in Excel writes dates in that PC's locale, so the
US habit of the download is not trusted: evidence or the user decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpi.readers.base import Layout, keys_of


@dataclass(frozen=True)
class MicrosoftForms(Layout):
    def recognise(self, rows: list[list[str]], source: str) -> int | None:
        keys = keys_of(rows[0])
        return 1 if {"id", "completiontime"} <= keys and keys & {"starttime", "email"} else None


LAYOUT = MicrosoftForms(
    "microsoft_forms", "a Microsoft Forms export",
    metadata=frozenset({
        "id", "starttime", "completiontime", "email", "name", "lastmodifiedtime",
        "totalpoints", "quizfeedback", "gradepostedtolearners", "gradetime",
    }),
    completion=("completiontime",),
    submission_order=True,
)
