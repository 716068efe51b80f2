"""Which way round a date is: decided on the file's evidence, or asked, never guessed wrong."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.ingest import parse_date_values

TODAY = dt.date(2026, 11, 30)
_PAST = st.dates(min_value=dt.date(2015, 1, 1), max_value=TODAY)


def _write(day: dt.date, order: str, sep: str, pad: bool) -> str:
    a, b = (day.day, day.month) if order == "day_first" else (day.month, day.day)
    f = "{:02d}" if pad else "{}"
    return f"{f.format(a)}{sep}{f.format(b)}{sep}{day.year}"


@settings(max_examples=400, deadline=None)
@given(
    days=st.lists(_PAST, min_size=1, max_size=12),
    order=st.sampled_from(["day_first", "month_first"]),
    sep=st.sampled_from(["/", "-", "."]),
    pad=st.booleans(),
    submission_order=st.booleans(),
)
def test_every_date_is_right_or_asked_never_wrong(
    days: list[dt.date], order: str, sep: str, pad: bool, submission_order: bool
) -> None:
    if submission_order:
        days = sorted(days)  # a tool that appends rows as they are submitted
    values = [_write(d, order, sep, pad) for d in days]
    sequence = list(range(len(values))) if submission_order else None
    parsed = parse_date_values(values, today=TODAY, sequence=sequence)
    assert parsed.undecided or parsed.dates == days
    if any(d.day > 12 for d in days):
        assert not parsed.undecided  # a day above 12 always settles it


def test_a_reading_that_puts_dates_in_the_future_loses() -> None:
    # 11/12/2026 read month-first is 12 November (past); day-first 11 December (future).
    parsed = parse_date_values(["11/12/2026", "03/04/2026"], today=TODAY)
    assert not parsed.undecided and parsed.order == "month_first"
    assert parsed.dates == [dt.date(2026, 11, 12), dt.date(2026, 3, 4)]


def test_out_of_order_tool_timestamps_leave_the_question_open() -> None:
    # Both readings run in order for a single date: nothing to go on, so ask.
    assert parse_date_values(["03/04/2026"], today=TODAY, sequence=[0]).undecided


def test_the_users_choice_settles_only_what_the_file_does_not() -> None:
    assert parse_date_values(["03/04/2026"], today=TODAY, choice="month_first").dates == [
        dt.date(2026, 3, 4)]
    proven = parse_date_values(["03/04/2026", "14/05/2026"], today=TODAY, choice="month_first")
    assert proven.order == "day_first"
