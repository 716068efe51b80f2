"""Dates as survey tools write them: ISO, UK or US order, text months, Excel serials.

Each value is read on its own evidence; a value that could be read either way
round is read the scheme's chosen way (or its tool's) only when no value in
the column proves the other way, and asked about otherwise."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from kpi.errors import BadRequest

# ------------------------------------------------------------------ dates ---
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[ T,])")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:$|[ T,])")
_WEEKDAY = r"(?:[a-z]+,?\s+)?"
_TEXT_DMY = re.compile(
    rf"^{_WEEKDAY}(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/]+([a-z]{{3,9}})\.?[\s\-/,]+(\d{{4}})(?:$|[\s,T])",
    re.I,
)
_TEXT_MDY = re.compile(
    rf"^{_WEEKDAY}([a-z]{{3,9}})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?:$|[\s,T])", re.I
)
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_MONTHS = {name.lower()[:3]: i for i, name in enumerate(calendar.month_name) if name}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_TIME_PART = r"[ T]+\d{1,2}:\d{2}.*$"


DAY_FIRST, MONTH_FIRST = "day_first", "month_first"
DATE_ORDERS = (DAY_FIRST, MONTH_FIRST)


@dataclass(frozen=True)
class DateParse:
    """Dates read from one column, each row on its own evidence, and why.

    ``undecided`` is True when some value could be read either way and nothing
    about that value (nor the user's choice, nor the tool's habit, when no row
    contradicts them) settles it: the upload must ask. ``mixed`` is True when
    some values can only be day/month/year and others only month/day/year.
    ``orient[i]`` is "day_first" / "month_first" for a value only one reading
    fits, None otherwise; ``open[i]`` is True for a value still read either way
    round. ``evidence`` says in plain words what settled the open values.
    """

    dates: list[dt.date | None]
    reasons: list[str | None]
    order: str  # the way round open values were read ("day_first" or "month_first")
    proven: bool  # True when some value could only be read one way
    ambiguous: bool  # True when some value could be read either way
    undecided: bool = False
    evidence: str = ""
    mixed: bool = False
    orient: tuple[str | None, ...] = ()
    open: tuple[bool, ...] = ()
    utc: bool = False


def uk_date(day: dt.date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def _parts(text: str, excel_serials: bool) -> tuple[str, int, int, int] | None:
    """("ymd", y, m, d) for unambiguous forms, ("ab", a, b, y) for nn/nn/yyyy."""
    if m := _ISO.match(text):
        return "ymd", int(m[1]), int(m[2]), int(m[3])
    if m := _NUMERIC.match(text):
        year = int(m[3])
        return "ab", int(m[1]), int(m[2]), year + 2000 if year < 100 else year
    if (m := _TEXT_DMY.match(text)) and m[2].lower()[:3] in _MONTHS:
        return "ymd", int(m[3]), _MONTHS[m[2].lower()[:3]], int(m[1])
    if (m := _TEXT_MDY.match(text)) and m[1].lower()[:3] in _MONTHS:
        return "ymd", int(m[3]), _MONTHS[m[1].lower()[:3]], int(m[2])
    if excel_serials and _SERIAL.match(text):
        day = _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
        return "ymd", day.year, day.month, day.day
    return None


_CLOCK = re.compile(r"[ T,]+(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*([AaPp][Mm])?")
_LONDON = ZoneInfo("Europe/London")


def _clock(text: str) -> dt.time | None:
    """The time of day written after the date, if any (12-hour clocks included)."""
    m = _CLOCK.search(text)
    if not m:
        return None
    hour, minute = int(m[1]), int(m[2])
    if m[3]:
        hour = hour % 12 + (12 if m[3].lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _reading(p: tuple[str, int, int, int] | None, order: str,
             clock: dt.time | None = None) -> dt.date | None:
    """The date ``p`` gives read one way round, or None when it is not a real date.

    With ``clock`` (a time written in UTC) the date is the UK date at that moment.
    """
    if p is None:
        return None
    try:
        if p[0] == "ab":
            a, b, year = p[1], p[2], p[3]
            day = dt.date(year, b, a) if order == DAY_FIRST else dt.date(year, a, b)
        else:
            day = dt.date(p[1], p[2], p[3])
    except ValueError:
        return None
    if clock is not None:
        moment = dt.datetime.combine(day, clock, tzinfo=dt.UTC)
        day = moment.astimezone(_LONDON).date()
    return day


def _feasible(readings: list[set[dt.date]], sequence: Sequence[int]) -> list[set[dt.date]] | None:
    """Per value, the readings that some in-order reading of the whole sequence uses.

    Why per value: a tool that appends rows as they are submitted writes dates
    that never go back; a reading is kept only when the rows before can be
    read no later and the rows after no earlier. None when no reading runs in
    order (the file was sorted some other way: order is then no evidence).
    """
    chain = [readings[i] for i in sequence]
    if any(not r for r in chain):
        return None
    low: list[dt.date] = []
    floor = dt.date.min
    for options in chain:
        fits = [d for d in options if d >= floor]
        if not fits:
            return None
        floor = min(fits)
        low.append(floor)
    high: list[dt.date] = [dt.date.max] * len(chain)
    ceiling = dt.date.max
    for k in range(len(chain) - 1, -1, -1):
        fits = [d for d in chain[k] if d <= ceiling]
        if not fits:
            return None
        ceiling = max(fits)
        high[k] = ceiling
    kept = [set(r) for r in readings]
    for k, i in enumerate(sequence):
        before = low[k - 1] if k else dt.date.min
        after = high[k + 1] if k + 1 < len(chain) else dt.date.max
        kept[i] &= {d for d in chain[k] if before <= d <= after}
    return kept


def parse_date_values(
    values: Sequence[str],
    hint: str | None = None,
    *,
    excel_serials: bool = False,
    today: dt.date | None = None,
    sequence: Sequence[int] | None = None,
    choice: str | None = None,
    utc: bool = False,
) -> DateParse:
    """Read dates, each value on its own evidence; ask rather than guess.

    ISO (2026-05-14, Google's 2026/05/14 10:32:11 GMT+1) and written months are
    never ambiguous. A value nn/nn/yyyy is settled by what is true of it alone:
    a field above 12; a reading in the future losing to one that is not; for
    a tool that appends rows as submitted (``sequence``: the row order as
    indices into ``values``, three or more dates), only one of its readings
    running in order with the rest. Why not by its neighbours: typed day-first
    rows with month-first rows pasted under them share a column, and one day
    above 12 would otherwise put every pasted 1st-12th in another month.
    Values still open are read the user's ``choice`` way, else the tool's
    known convention (``hint``), but only when no value in the column proves
    the other way round; otherwise the column is ``undecided`` and the caller
    asks (open values are read day-first only to show the question).
    ``utc``: times are UTC, so each date is the UK date at that moment.
    Empty values give ``None`` and no reason.
    """
    today = today or dt.date.today()
    texts = [str(v).strip() for v in values]
    parts = [_parts(t, excel_serials) for t in texts]
    clocks = [_clock(t) if utc and p else None for t, p in zip(texts, parts)]
    readings: list[set[dt.date]] = []
    by_order: list[dict[str, dt.date | None]] = []
    for p, clock in zip(parts, clocks):
        both = {o: _reading(p, o, clock) for o in DATE_ORDERS}
        by_order.append(both)
        readings.append({d for d in both.values() if d is not None})
    # A reading in the future loses to one that is not.
    for r in readings:
        if len(r) == 2 and sum(d > today for d in r) == 1:
            r.intersection_update({d for d in r if d <= today})
    late = [len(r) == 2 and all(d > today for d in r) for r in readings]
    by_time = ""
    if sequence is not None and len(set(sequence)) >= 3:
        kept = _feasible(readings, [i for i in sequence if readings[i]])
        if kept is not None:
            by_time = "only this way round do the survey tool's timestamps run in order"
            readings = kept
    orient: list[str | None] = []
    opened: list[bool] = []
    for p, both, r, future in zip(parts, by_order, readings, late):
        two_ways = p is not None and p[0] == "ab" and both[DAY_FIRST] != both[MONTH_FIRST] \
            and both[DAY_FIRST] is not None and both[MONTH_FIRST] is not None
        if p is None or p[0] != "ab" or p[1] == p[2]:
            orient.append(None)
            opened.append(False)
        elif len(r) == 1 and (both[DAY_FIRST] in r) != (both[MONTH_FIRST] in r):
            orient.append(DAY_FIRST if both[DAY_FIRST] in r else MONTH_FIRST)
            opened.append(False)
        else:
            orient.append(None)
            # Both readings in the future: set aside either way, nothing to ask.
            opened.append(two_ways and len(r) == 2 and not future)
    ways = {o for o in orient if o}
    mixed = len(ways) == 2
    undecided = False
    evidence = ""
    if not any(opened):
        order = next(iter(ways)) if len(ways) == 1 else DAY_FIRST
        if any(o and max(parts[i][1], parts[i][2]) <= 12 for i, o in enumerate(orient)):
            evidence = by_time or "the other way round some dates would be in the future"
    elif choice in DATE_ORDERS and not (ways - {choice}):
        order, evidence = choice, "you chose it"
    elif hint in DATE_ORDERS and not (ways - {hint}):
        order, evidence = hint, "the survey tool writes dates this way"
    else:
        order, undecided = DAY_FIRST, True
    dates: list[dt.date | None] = []
    reasons: list[str | None] = []
    for text, p, both, r, way, is_open in zip(texts, parts, by_order, readings, orient, opened):
        if not text:
            dates.append(None)
            reasons.append(None)
            continue
        if p is None:
            dates.append(None)
            reasons.append(
                f"'{text}' is not a date we can read: write it like 14/05/2026 or 2026-05-14"
            )
            continue
        if is_open:
            day = both[order]
        elif way:
            day = both[way]
        elif len(r) == 1:
            day = next(iter(r))
        else:
            day = both[DAY_FIRST] or both[MONTH_FIRST]
        dates.append(day)
        reasons.append(None if day else f"'{text}' is not a real date")
    return DateParse(dates, reasons, order, bool(ways), any(opened), undecided, evidence,
                     mixed, tuple(orient), tuple(opened), utc)


def date_examples(values: Sequence[str], limit: int = 4) -> list[tuple[str, str, str]]:
    """A few dates that read differently either way round: (as written, day-first, month-first)."""
    out: list[tuple[str, str, str]] = []
    for value in values:
        p = _parts(str(value).strip(), False)
        if p and p[0] == "ab" and p[1] <= 12 and p[2] <= 12 and p[1] != p[2]:
            first, second = _reading(p, DAY_FIRST), _reading(p, MONTH_FIRST)
            if first and second:
                out.append((str(value).strip(), uk_date(first), uk_date(second)))
        if len(out) >= limit:
            break
    return out


def date_column(
    series: pd.Series, hint: str | None, excel_serials: bool, today: dt.date,
    in_submission_order: bool = False, choice: str | None = None, utc: bool = False,
) -> tuple[np.ndarray, np.ndarray, DateParse, np.ndarray]:
    """Dates (datetime64[D], NaT when none) and reasons per row, each distinct text parsed
    once; with the parse and each row's index into it."""
    codes, uniques = pd.factorize(series)
    if len(uniques) > 2000:
        # Survey tools stamp every row to the second: parse dates, not timestamps
        # (in UTC the hour is kept: it decides the UK date).
        if utc:
            shortened = series.str.replace(r"([ T]+\d{1,2}):\d{2}(?::\d{2})?(?:\.\d+)?",
                                           r"\1:00", regex=True)
        else:
            shortened = series.str.replace(_TIME_PART, "", regex=True)
        codes, uniques = pd.factorize(shortened)
    sequence = None
    if in_submission_order:
        # Row order as unique indices, repeats of the same date dropped.
        change = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.array([], bool)
        sequence = [int(c) for c in codes[change] if c >= 0]
    parsed = parse_date_values([str(u) for u in uniques], hint, excel_serials=excel_serials,
                               today=today, sequence=sequence, choice=choice, utc=utc)
    reasons = np.array(parsed.reasons + [None], dtype=object)[:-1]
    for i, day in enumerate(parsed.dates):
        if day is not None and day > today:
            reasons[i] = f"date is in the future ({uk_date(day)}): check the year and month"
    stamps = np.array(
        [np.datetime64(d, "D") if d is not None else np.datetime64("NaT") for d in parsed.dates],
        dtype="datetime64[D]",
    )
    return stamps[codes], reasons[codes], parsed, codes


DATES_KEY = "dates:"


def dates_key(layout: str) -> str:
    """The saved-mapping key remembering a scheme's date order for one survey tool."""
    return DATES_KEY + layout


def date_choice(text: str | None) -> str | None:
    """ "day-first" / "day_first" / "month-first" -> the code, None when not given."""
    if not text:
        return None
    code = text.strip().lower().replace("-", "_")
    if code not in DATE_ORDERS:
        raise BadRequest(f"dates must be day-first or month-first, not {text!r}")
    return code
