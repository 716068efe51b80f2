"""UK financial quarters: Q1 is April to June, shown as "2026/27 Q1"."""

from __future__ import annotations

import datetime as dt
import re

from kpi.errors import BadRequest

_LABEL = re.compile(r"^\s*(\d{4})\s*/\s*(\d{2}|\d{4})\s*Q([1-4])\s*$", re.IGNORECASE)


def quarter_start(day: dt.date) -> dt.date:
    """First day of the financial quarter that contains ``day``."""
    month = ((day.month - 1) // 3) * 3 + 1
    return dt.date(day.year, month, 1)


def quarter_label(start: dt.date) -> str:
    """``2026-04-01`` -> ``"2026/27 Q1"``; any date inside the quarter works."""
    start = quarter_start(start)
    fy = start.year if start.month >= 4 else start.year - 1
    q = {4: 1, 7: 2, 10: 3, 1: 4}[start.month]
    return f"{fy}/{(fy + 1) % 100:02d} Q{q}"


def quarter_end(start: dt.date) -> dt.date:
    """Last day of the quarter that contains ``start``."""
    return shift_quarter(quarter_start(start), 1) - dt.timedelta(days=1)


def shift_quarter(start: dt.date, by: int) -> dt.date:
    """The quarter ``by`` quarters after (negative: before) the one holding ``start``."""
    start = quarter_start(start)
    months = start.year * 12 + (start.month - 1) + 3 * by
    return dt.date(months // 12, months % 12 + 1, 1)


def parse_quarter(text: str | dt.date) -> dt.date:
    """Accept "2026/27 Q1", "2026/2027 Q1" or any ISO date inside the quarter.

    Returns the quarter's first day. Raises BadRequest (a ValueError too) with what to type instead.
    """
    if isinstance(text, dt.date):
        return quarter_start(text)
    match = _LABEL.match(str(text))
    if match:
        fy, nxt, q = int(match.group(1)), match.group(2), int(match.group(3))
        if int(nxt) % 100 != (fy + 1) % 100:
            raise BadRequest(
                f"Quarter {text!r}: the two years must follow each other, e.g. '{fy}/"
                f"{(fy + 1) % 100:02d} Q{q}'."
            )
        month = {1: 4, 2: 7, 3: 10, 4: 1}[q]
        return dt.date(fy + (1 if q == 4 else 0), month, 1)
    try:
        return quarter_start(dt.date.fromisoformat(str(text).strip()))
    except ValueError:
        raise BadRequest(
            f"Quarter {text!r} is not recognised: write it like '2026/27 Q1' "
            "(Q1 is April to June) or give a date inside it, like 2026-05-14."
        ) from None
