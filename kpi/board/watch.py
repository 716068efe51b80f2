"""The watch list: large changes on small bases that cannot yet be told from chance.

Why: a small scheme's board page is otherwise "all clear" every quarter. With about
20 answers a quarter nothing reaches the 95% level, so anxiety rising from 11% to
30% would go unmentioned. The watch list names such changes as worth a look, and
never as real: only changes the change test did *not* call real are on it.

The rule (published on the Definitions page, :data:`RULE`): a change since last
quarter or since the same quarter last year is on the watch list when

* both quarters are shown (never a hidden cell, on either side);
* the change test did not call it real (it "could be chance", or a quarter had too
  few answers to test);
* it is large: at least :data:`MIN_POINTS` percentage points for a percentage, at
  least :data:`MIN_SD` of a standard deviation (the two quarters' pooled SD) for an
  average: Cohen's "medium" effect, the size a board would act on were it real;
* the base is small: the smaller quarter had fewer than :data:`SMALL_BASE` answers.

Why 100: at 100 answers a quarter the 95% interval for a difference of two
percentages near 50% is about ±14 points, so a 10-point change can still be chance;
above it a 10-point change is mostly called real or not by the test itself, and a
larger base that still leaves a large change untested is not "too few to tell".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kpi.board.pack import PeriodChange
from kpi.catalogue import KHI
from kpi.wording import format_value

#: A percentage must change by at least this many points.
MIN_POINTS = 10.0
#: An average must change by at least this fraction of its standard deviation.
MIN_SD = 0.5
#: The smaller of the two quarters' bases must be below this.
SMALL_BASE = 100

RULE = (
    "**Worth a look (too few to tell).** A change since last quarter or since the same "
    f"quarter last year is listed when it is large (at least {MIN_POINTS:.0f} percentage "
    f"points, or for an average at least {MIN_SD} of a standard deviation), the smaller "
    f"of the two quarters had fewer than {SMALL_BASE} answers, and the change test did not "
    "find it unlikely to be chance. With so few answers a change this large can still be "
    "chance: the list says what to look at, not what has changed. Both quarters must be "
    "shown; a hidden number is never used."
)


@dataclass(frozen=True)
class WatchItem:
    """One change on the watch list, and the line that says it."""

    code: str
    name: str
    period: str
    before: float
    after: float
    base: int
    line: str


def watch_item(
    khi: KHI,
    change: PeriodChange,
    value: float | None,
    n_now: float | None,
    n_then: float | None,
    sd_now: float | None = None,
    sd_then: float | None = None,
) -> WatchItem | None:
    """The change on the watch list, or None when the rule leaves it off."""
    if change.significant or change.verdict not in ("could be chance", "too few answers"):
        return None
    if change.previous_hidden or change.previous is None or value is None:
        return None
    if n_now is None or n_then is None:
        return None
    base = min(n_now, n_then)
    if base >= SMALL_BASE:
        return None
    delta = value - change.previous
    if khi.is_proportion:
        large = abs(delta) >= MIN_POINTS
    else:
        if sd_now is None or sd_then is None:
            return None
        pooled = math.sqrt((sd_now**2 + sd_then**2) / 2)
        large = pooled > 0 and abs(delta) >= MIN_SD * pooled
    if not large:
        return None
    line = (
        f"{khi.name}: {format_value(change.previous, khi)} → {format_value(value, khi)} "
        f"since {change.period} on {int(round(n_now))} answers this quarter: too few to "
        "tell, worth a look."
    )
    return WatchItem(khi.code, khi.name, change.period, change.previous, value,
                     int(round(n_now)), line)
