"""SmartSurvey: UserNo (or UserID), Started, Ended, then the questions.

SmartSurvey is a UK service and writes dd/mm/yyyy: its known convention.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpi.readers.base import Layout, keys_of


@dataclass(frozen=True)
class SmartSurvey(Layout):
    def recognise(self, rows: list[list[str]], source: str) -> int | None:
        keys = keys_of(rows[0])
        return 1 if keys & {"userid", "userno"} and {"started", "ended"} <= keys else None


LAYOUT = SmartSurvey(
    "smartsurvey", "a SmartSurvey export",
    metadata=frozenset({"userid", "userno", "started", "ended", "ipaddress", "uniqueid",
                        "trackinglink", "status"}),
    completion=("ended",),
    date_hint="day_first",
)
