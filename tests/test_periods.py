"""UK financial quarters (Q1 = April-June), as boards use them."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.periods import parse_quarter, quarter_end, quarter_label, quarter_start, shift_quarter


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(2026, 4, 1), "2026/27 Q1"),
        (dt.date(2026, 6, 30), "2026/27 Q1"),
        (dt.date(2026, 7, 1), "2026/27 Q2"),
        (dt.date(2026, 12, 31), "2026/27 Q3"),
        (dt.date(2027, 1, 1), "2026/27 Q4"),
        (dt.date(2027, 3, 31), "2026/27 Q4"),
        (dt.date(1999, 2, 14), "1998/99 Q4"),
    ],
)
def test_label_of_a_day(day: dt.date, label: str) -> None:
    assert quarter_label(day) == label


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("2026/27 Q1", dt.date(2026, 4, 1)),
        ("2026/2027 q4", dt.date(2027, 1, 1)),
        (" 2025/26 Q3 ", dt.date(2025, 10, 1)),
        ("2026-05-14", dt.date(2026, 4, 1)),
        (dt.date(2026, 2, 3), dt.date(2026, 1, 1)),
    ],
)
def test_parse_quarter_accepts_labels_and_dates(text, start: dt.date) -> None:
    assert parse_quarter(text) == start


def test_parse_quarter_says_what_to_type() -> None:
    with pytest.raises(ValueError, match="write it like '2026/27 Q1'"):
        parse_quarter("spring")
    with pytest.raises(ValueError, match="two years must follow each other"):
        parse_quarter("2026/28 Q1")


def test_quarter_end_and_shift() -> None:
    assert quarter_end(dt.date(2026, 5, 5)) == dt.date(2026, 6, 30)
    assert shift_quarter(dt.date(2026, 1, 1), -1) == dt.date(2025, 10, 1)
    assert shift_quarter(dt.date(2026, 11, 20), 5) == dt.date(2028, 1, 1)


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_label_round_trips(day: dt.date) -> None:
    start = quarter_start(day)
    assert start <= day <= quarter_end(day)
    assert parse_quarter(quarter_label(day)) == start
