"""Jisc Online Surveys (formerly BOS): Analyse > Export responses, CSV or Excel.

With the export's options ticked ("include unique response number", "date
and time response started / submitted"), the first columns are "URN",
"StartDate" and "CompletionDate" (or "Start date" / "Completion date"),
then one column per question: headed by its number ("Q1", "Q7_1" when the
responses are coded) or by number and text ("1. Your reference", grid rows
as "7.1. I've been feeling useful"). Coded responses (numbers in place of
the answers) are Jisc's own codes and carry no meaning we can check. Jisc is
a UK service and writes dd/mm/yyyy. Column names as in public analysis
scripts of Online Surveys exports.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpi.readers.base import Layout, keys_of

_OWN = frozenset({"urn", "startdate", "completiondate", "responseid", "started", "completed",
                  "timetaken"})


@dataclass(frozen=True)
class JiscOnlineSurveys(Layout):
    def recognise(self, rows: list[list[str]], source: str) -> int | None:
        keys = keys_of(rows[0])
        return 1 if "urn" in keys and "completiondate" in keys else None


LAYOUT = JiscOnlineSurveys(
    "jisc", "a Jisc Online Surveys export",
    metadata=_OWN,
    completion=("completiondate",),
    date_hint="day_first",
)
