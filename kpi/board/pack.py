"""The board pack's types: one row per KHI, its changes, flags and caveats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from kpi.board.changes import ChangeTest
from kpi.catalogue import KHI
from kpi.indicators import Settings
from kpi.stats import spc as spc_

if TYPE_CHECKING:
    from kpi.board.carry import LastQuarter
    from kpi.board.notes import Note
    from kpi.board.watch import WatchItem
from kpi.errors import UnknownCode
from kpi.wording import (
    as_number,
)

# --------------------------------------------------------------------------------------
# the board pack
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodChange:
    """This quarter against an earlier one, for one KHI.

    ``verdict`` is one of ``"improved"``, ``"worsened"`` (a real change, by polarity),
    ``"could be chance"``, ``"too few answers"`` (either quarter hidden or below the
    comparison minimum) or ``"no data"`` (no answers in the earlier quarter).
    ``previous`` is None whenever the earlier value is hidden or missing.
    """

    period: str  # "last quarter" / "the same quarter last year"
    quarter: dt.date
    quarter_label: str
    previous: float | None
    previous_hidden: bool
    test: ChangeTest
    verdict: str

    @property
    def significant(self) -> bool:
        return self.verdict in ("improved", "worsened")


@dataclass(frozen=True)
class BoardRow:
    """One KHI on the board page. Values are None when hidden or missing."""

    khi: KHI
    n: int | None
    count: int | None
    value: float | None
    lower95: float | None
    upper95: float | None
    lower998: float | None
    upper998: float | None
    suppressed: bool
    since_last_quarter: PeriodChange
    since_last_year: PeriodChange
    benchmark: float | None
    comparison: str  # better / similar / worse / not compared / n/a
    outside998: bool
    # Fingertips' recent trend (last five quarters, 99.8%, holds without any one):
    # improving / worsening / no significant trend / not tested.
    trend: str
    trend_p_value: float | None
    series: pd.DataFrame
    sentence: str
    flag: str = ""  # "attention", "improved" or ""
    # The linear trend test over eight quarters at 95%, in the same words (CSV only).
    trend_8_quarters: str = ""
    # The control chart over every quarter up to this one (Making Data Count); None
    # when there is no value this quarter (no verdict about an older quarter).
    spc: spc_.SpcResult | None = None

    @property
    def special_cause(self) -> str:
        """The variation icon's type when it is a special cause, else ""."""
        if self.spc is None or not self.spc.variation.startswith("special_cause"):
            return ""
        return self.spc.variation

    def control_words(self) -> tuple[str, str]:
        """The control chart's verdict: the variation icon's words and its one sentence."""
        if self.suppressed or self.value is None:
            return "No control chart", "No value this quarter, so no verdict."
        if self.spc is None or not self.spc.verdict:
            k = 0 if self.spc is None else self.spc.points
            return ("Not enough quarters yet",
                    f"{k} of the {spc_.MIN_POINTS} quarters a control chart needs.")
        return spc_.VARIATION_WORDS[self.spc.variation], self.spc.sentence

    @property
    def code(self) -> str:
        return self.khi.code

    @property
    def name(self) -> str:
        return self.khi.name

    @property
    def domain(self) -> str:
        return self.khi.domain


@dataclass(frozen=True)
class Flag:
    """An exception for the board: needs attention, or improved."""

    code: str
    name: str
    kind: str  # "attention" or "improved"
    reason: str


@dataclass(frozen=True)
class Caveats:
    """How much to trust this quarter's numbers.

    ``responses`` and ``response_rate`` are None when fewer than ``min_base``
    responses were made (the base of every hidden cell is never shown).
    """

    responses: int | None
    responses_hidden: bool
    people_supported: int | None  # by the schemes that sent an activity return
    responses_with_return: int | None  # surveys from those schemes
    response_rate: float | None  # percent: responses_with_return / people_supported
    rate_withheld: bool  # not shown: it would reveal a small scheme's number of surveys
    schemes: int
    schemes_missing_return: tuple[str, ...]
    min_base: int
    min_compare: int

    def sentences(self) -> list[str]:
        out = []
        if self.responses_hidden:
            out.append(
                f"Fewer than {self.min_base} surveys were returned this quarter, so "
                "every number is hidden to protect privacy."
            )
        elif self.responses is not None:
            out.append(f"{self.responses:,} surveys were returned this quarter.")
        if self.response_rate is not None:
            out.append(
                f"Response rate {self.response_rate:.0f}%: {self.responses_with_return:,} "
                f"surveys for the {self.people_supported:,} people supported by the schemes "
                "that sent an activity return."
            )
        elif self.rate_withheld:
            out.append("The response rate is not shown: it would give away a number that "
                       "is hidden elsewhere (a scheme's surveys or people supported: fewer "
                       f"than {self.min_base}, or hidden beside such a number).")
        elif not self.responses_hidden:
            out.append("No activity return gives the number of people supported, so there "
                       "is no response rate.")
        missing = self.schemes_missing_return
        if missing:
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more"
                                              if len(missing) > 8 else "")
            noun = "scheme has" if len(missing) == 1 else "schemes have"
            out.append(
                f"{len(missing)} {noun} not sent an activity return for this quarter "
                f"({shown}); the response rate leaves them out."
            )
        out.append(
            f"Numbers based on fewer than {self.min_base} answers are hidden; below "
            f"{self.min_compare} answers a number is shown but not compared."
        )
        return out


@dataclass(frozen=True)
class BoardPack:
    """Everything the board page shows for one quarter and area."""

    quarter: dt.date
    quarter_label: str
    previous_label: str
    last_year_label: str
    area_label: str
    area_kind: str  # "all", "region" or "scheme"
    region: str | None
    scheme: str | None
    rows: tuple[BoardRow, ...]
    attention: tuple[Flag, ...]
    improved: tuple[Flag, ...]
    summary: tuple[str, ...]
    caveats: Caveats
    is_demo: bool
    settings: Settings = field(default_factory=Settings)
    # Large changes on small bases that cannot yet be told from chance (kpi.board.watch).
    watch: tuple[WatchItem, ...] = ()
    # The notes of this quarter and area, and the "Last quarter" section, as one reader
    # may see them (kpi.board.carry.with_notes); empty from board_summary alone.
    notes: tuple[Note, ...] = ()
    last_quarter: LastQuarter | None = None

    def notes_on(self, code: str) -> list[Note]:
        """This quarter's notes on one KHI, oldest first."""
        return [n for n in self.notes if n.khi_code == code]

    @property
    def benchmark_applies(self) -> bool:
        return self.area_kind != "all"

    def domains(self) -> list[tuple[str, list[BoardRow]]]:
        """Rows grouped by domain, in catalogue order."""
        grouped: dict[str, list[BoardRow]] = {}
        for row in self.rows:
            grouped.setdefault(row.domain, []).append(row)
        return list(grouped.items())

    def row(self, code: str) -> BoardRow:
        for row in self.rows:
            if row.code == code:
                return row
        raise UnknownCode(f"The board pack has no KHI {code!r}")

    def to_frame(self) -> pd.DataFrame:
        """The numbers as a tidy table (one row per KHI) for the CSV download.

        Hidden cells are empty (never a number); flags and sentences are included.
        """
        records = []
        for r in self.rows:
            lq, ly = r.since_last_quarter, r.since_last_year
            records.append(
                {
                    "quarter": self.quarter_label,
                    "area": self.area_label,
                    "domain": r.domain,
                    "khi": r.code,
                    "name": r.name,
                    "measure": r.khi.measure,
                    "unit": "percent" if r.khi.is_proportion else "mean",
                    "polarity": r.khi.polarity,
                    "n": r.n,
                    "count": r.count,
                    "value": r.value,
                    "lower95": r.lower95,
                    "upper95": r.upper95,
                    "lower998": r.lower998,
                    "upper998": r.upper998,
                    "suppressed": r.suppressed,
                    "previous_quarter": lq.quarter_label,
                    "previous_value": lq.previous,
                    "change_since_previous": as_number(lq.test.difference),
                    "change_since_previous_lower95": as_number(lq.test.lower95),
                    "change_since_previous_upper95": as_number(lq.test.upper95),
                    "change_since_previous_level": lq.test.level,
                    "change_since_previous_verdict": lq.verdict,
                    "last_year_quarter": ly.quarter_label,
                    "last_year_value": ly.previous,
                    "change_since_last_year": as_number(ly.test.difference),
                    "change_since_last_year_lower95": as_number(ly.test.lower95),
                    "change_since_last_year_upper95": as_number(ly.test.upper95),
                    "change_since_last_year_level": ly.test.level,
                    "change_since_last_year_verdict": ly.verdict,
                    "benchmark": r.benchmark,
                    "comparison": r.comparison,
                    "outside998": r.outside998,
                    "recent_trend": r.trend,
                    "recent_trend_p_value": r.trend_p_value,
                    "trend_8_quarters": r.trend_8_quarters,
                    "flag": r.flag,
                    "control_chart": r.control_words()[0],
                    "control_chart_sentence": r.control_words()[1],
                    "watch": " ".join(w.line for w in self.watch if w.code == r.code),
                    "summary": r.sentence,
                }
            )
        frame = pd.DataFrame.from_records(records)
        for column in ("n", "count"):
            frame[column] = pd.array(frame[column], dtype="Int64")
        return frame


def group_flags(flags: tuple[Flag, ...] | list[Flag]) -> list[tuple[str, list[str]]]:
    """Flags that share a reason, together: [(reason, [names...]), ...] in first-seen order.

    Fourteen KHIs "improving over the last quarters" read better as one line.
    """
    grouped: dict[str, list[str]] = {}
    for flag in flags:
        grouped.setdefault(flag.reason, []).append(flag.name)
    return list(grouped.items())
