"""Dates as survey tools write them: ISO, UK or US order, text months, Excel serials.

A column is read one way round for every row (the order that reads all of them, or
the one the scheme chose), never guessed row by row."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

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
    """Dates read from one column, which way round its numeric dates are, and why.

    ``undecided`` is True when some value could be read either way and nothing
    in the file (nor the user's choice) settles it: the upload must ask.
    ``evidence`` says in plain words what settled it.
    """

    dates: list[dt.date | None]
    reasons: list[str | None]
    order: str  # "day_first" or "month_first"
    proven: bool  # True when some value could only be read one way
    ambiguous: bool  # True when some value could be read either way
    undecided: bool = False
    evidence: str = ""


def _uk(day: dt.date) -> str:
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


def _reading(p: tuple[str, int, int, int] | None, order: str) -> dt.date | None:
    """The date ``p`` gives read one way round, or None when it is not a real date."""
    if p is None:
        return None
    try:
        if p[0] == "ab":
            a, b, year = p[1], p[2], p[3]
            return dt.date(year, b, a) if order == DAY_FIRST else dt.date(year, a, b)
        return dt.date(p[1], p[2], p[3])
    except ValueError:
        return None


def _in_order(days: Sequence[dt.date | None]) -> bool:
    known = [d for d in days if d is not None]
    return all(a <= b for a, b in zip(known, known[1:]))


def parse_date_values(
    values: Sequence[str],
    hint: str | None = None,
    *,
    excel_serials: bool = False,
    today: dt.date | None = None,
    sequence: Sequence[int] | None = None,
    choice: str | None = None,
) -> DateParse:
    """Read dates, and decide which way round nn/nn/yyyy is only on evidence.

    ISO (2026-05-14, Google's 2026/05/14 10:32:11 GMT+1) and written months are
    never ambiguous. For nn/nn/yyyy, in this order: a value that can only be
    read one way (a field above 12) settles the column; then a reading that
    would put dates in the future loses to one that does not; then, for a
    tool that appends rows as they are submitted (``sequence``: the row order
    as indices into ``values``), the reading under which the dates run in
    order wins; then the user's ``choice``; then the tool's known convention
    (``hint``). If none settles it the column is ``undecided`` (the caller
    asks) and is read day-first only to show the question. Times are dropped;
    empty values give ``None`` and no reason.
    """
    today = today or dt.date.today()
    parts = [_parts(str(v).strip(), excel_serials) for v in values]
    day_proof = any(p and p[0] == "ab" and p[1] > 12 for p in parts)
    month_proof = any(p and p[0] == "ab" and p[2] > 12 for p in parts)
    ambiguous = any(p and p[0] == "ab" and p[1] <= 12 and p[2] <= 12 and p[1] != p[2]
                    for p in parts)
    undecided = False
    evidence = ""
    if day_proof:
        order, evidence = DAY_FIRST, "a date in the file can only be day/month/year"
    elif month_proof:
        order, evidence = MONTH_FIRST, "a date in the file can only be month/day/year"
    elif not ambiguous:
        order = DAY_FIRST
    else:
        readings = {o: [_reading(p, o) for p in parts] for o in DATE_ORDERS}
        future = {o: any(d is not None and d > today for d in readings[o]) for o in DATE_ORDERS}
        # Order is evidence only over three or more different dates: with two, a
        # file sorted some other way would run in order by chance half the time.
        usable = sequence is not None and len(set(sequence)) >= 3
        ordered = {o: usable and _in_order([readings[o][i] for i in sequence])
                   for o in DATE_ORDERS}
        if future[DAY_FIRST] != future[MONTH_FIRST]:
            order = MONTH_FIRST if future[DAY_FIRST] else DAY_FIRST
            evidence = "the other way round some dates would be in the future"
        elif ordered[DAY_FIRST] != ordered[MONTH_FIRST]:
            order = DAY_FIRST if ordered[DAY_FIRST] else MONTH_FIRST
            evidence = "only this way round do the survey tool's timestamps run in order"
        elif choice in DATE_ORDERS:
            order, evidence = choice, "you chose it"
        elif hint in DATE_ORDERS:
            order, evidence = hint, "the survey tool writes dates this way"
        else:
            order, undecided = DAY_FIRST, True
    shape = "day/month/year" if order == DAY_FIRST else "month/day/year"
    dates: list[dt.date | None] = []
    reasons: list[str | None] = []
    for value, p in zip(values, parts):
        text = str(value).strip()
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
        if p[0] == "ab":
            a, b = p[1], p[2]
            day, month = (a, b) if order == DAY_FIRST else (b, a)
            if month > 12 and day <= 12:
                dates.append(None)
                reasons.append(
                    f"'{text}' does not fit the other dates in this column, which are "
                    f"{shape}: check which way round it is written"
                )
                continue
        day_read = _reading(p, order)
        dates.append(day_read)
        reasons.append(None if day_read else f"'{text}' is not a real date (read as {shape})")
    return DateParse(dates, reasons, order, day_proof or month_proof, ambiguous, undecided,
                     evidence)


def date_examples(values: Sequence[str], limit: int = 4) -> list[tuple[str, str, str]]:
    """A few dates that read differently either way round: (as written, day-first, month-first)."""
    out: list[tuple[str, str, str]] = []
    for value in values:
        p = _parts(str(value).strip(), False)
        if p and p[0] == "ab" and p[1] <= 12 and p[2] <= 12 and p[1] != p[2]:
            first, second = _reading(p, DAY_FIRST), _reading(p, MONTH_FIRST)
            if first and second:
                out.append((str(value).strip(), _uk(first), _uk(second)))
        if len(out) >= limit:
            break
    return out


def _date_column(
    series: pd.Series, hint: str | None, excel_serials: bool, today: dt.date,
    in_submission_order: bool = False, choice: str | None = None,
) -> tuple[np.ndarray, np.ndarray, DateParse]:
    """Dates (datetime64[D], NaT when none) and reasons per row, each distinct text parsed once."""
    codes, uniques = pd.factorize(series)
    if len(uniques) > 2000:
        # Survey tools stamp every row to the second: parse dates, not timestamps.
        codes, uniques = pd.factorize(series.str.replace(_TIME_PART, "", regex=True))
    sequence = None
    if in_submission_order:
        # Row order as unique indices, repeats of the same date dropped.
        change = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.array([], bool)
        sequence = codes[change].tolist()
    parsed = parse_date_values([str(u) for u in uniques], hint, excel_serials=excel_serials,
                               today=today, sequence=sequence, choice=choice)
    reasons = np.array(parsed.reasons, dtype=object)
    for i, day in enumerate(parsed.dates):
        if day is not None and day > today:
            reasons[i] = f"date is in the future ({_uk(day)}): check the year and month"
    stamps = np.array(
        [np.datetime64(d, "D") if d is not None else np.datetime64("NaT") for d in parsed.dates],
        dtype="datetime64[D]",
    )
    return stamps[codes], reasons[codes], parsed


DATES_KEY = "dates:"


def dates_key(layout: str) -> str:
    """The saved-mapping key remembering a scheme's date order for one survey tool."""
    return DATES_KEY + layout


def _date_choice(text: str | None) -> str | None:
    """ "day-first" / "day_first" / "month-first" -> the code, None when not given."""
    if not text:
        return None
    code = text.strip().lower().replace("-", "_")
    if code not in DATE_ORDERS:
        raise ValueError(f"dates must be day-first or month-first, not {text!r}")
    return code
