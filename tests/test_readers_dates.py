"""Which way round a date is: each row on its own evidence, or asked, never guessed wrong.

Issue 26: day-first rows typed by hand with month-first rows pasted under them
from Microsoft Forms share one column; one day above 12 must not read every
pasted 1st-12th of November as another month.
"""

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
    if all(d.day > 12 or d.day == d.month for d in days):
        assert not parsed.undecided  # every row settled by its own day above 12
    # The scheme's choice, the right way round, settles what the file does not.
    chosen = parse_date_values(values, today=TODAY, sequence=sequence, choice=order)
    assert not chosen.undecided and chosen.dates == days


def _either(day: dt.date, order: str, time: bool) -> str:
    """One row as a hand-typed sheet (zero-padded) or Microsoft Forms (time, no padding)."""
    return _write(day, order, "/", pad=not time) + (" 10:32" if time else "")


@settings(max_examples=500, deadline=None)
@given(
    rows=st.lists(
        st.tuples(_PAST, st.sampled_from(["day_first", "month_first"]), st.booleans()),
        min_size=1, max_size=14,
    ),
    submission_order=st.booleans(),
    hint_of_open=st.sampled_from([None, "day_first", "month_first"]),
)
def test_any_mix_of_day_first_and_month_first_rows_is_right_or_asked_never_wrong(
    rows: list[tuple[dt.date, str, bool]], submission_order: bool, hint_of_open: str | None
) -> None:
    if submission_order:
        rows = sorted(rows)
    days = [d for d, _, _ in rows]
    values = [_either(d, order, time) for d, order, time in rows]
    sequence = list(range(len(values))) if submission_order else None
    parsed = parse_date_values(values, today=TODAY, sequence=sequence)
    assert parsed.undecided or parsed.dates == days
    # A choice (or a tool's habit) that is right for every row it would settle
    # may settle them; a row it is wrong about is never read by it.
    open_orders = {o for (d, o, _), is_open in zip(rows, parsed.open) if is_open}
    if hint_of_open and open_orders <= {hint_of_open}:
        for how in ({"choice": hint_of_open}, {"hint": hint_of_open}):
            again = parse_date_values(values, today=TODAY, sequence=sequence, **how)
            assert again.undecided or again.dates == days
    # Rows that prove both ways round with rows left open: always asked.
    ways = {o for o in parsed.orient if o}
    if len(ways) == 2 and any(parsed.open):
        assert parse_date_values(values, today=TODAY, sequence=sequence,
                                 choice="day_first").undecided


def test_a_day_above_12_does_not_settle_its_neighbours() -> None:
    # 14/05 is day-first; 11/05/2026 may be a pasted Microsoft Forms 5 November.
    parsed = parse_date_values(["14/05/2026", "11/05/2026"], today=TODAY)
    assert parsed.undecided and parsed.orient == ("day_first", None)
    assert parsed.open == (False, True)


def test_rows_proving_both_ways_are_each_read_their_own_way() -> None:
    parsed = parse_date_values(["14/05/2026", "11/13/2026 10:32"], today=TODAY)
    assert not parsed.undecided and parsed.mixed
    assert parsed.dates == [dt.date(2026, 5, 14), dt.date(2026, 11, 13)]


def test_rows_proving_both_ways_and_an_open_row_are_asked_whatever_was_chosen() -> None:
    values = ["14/05/2026", "11/13/2026 10:32", "11/5/2026 09:10"]
    for choice in (None, "day_first", "month_first"):
        assert parse_date_values(values, today=TODAY, choice=choice).undecided


def test_a_choice_the_file_contradicts_is_not_used() -> None:
    parsed = parse_date_values(["11/13/2026", "03/04/2026"], today=TODAY, choice="day_first")
    assert parsed.undecided
    assert parse_date_values(["11/13/2026", "03/04/2026"], today=TODAY,
                             choice="month_first").dates == [dt.date(2026, 11, 13),
                                                             dt.date(2026, 3, 4)]


def test_utc_times_become_the_uk_date_before_the_quarter() -> None:
    # 23:20 UTC on 30 September 2026 is 00:20 BST on 1 October: quarter 3, not 2.
    assert parse_date_values(["2026-09-30 23:20:00"], utc=True).dates == [dt.date(2026, 10, 1)]
    assert parse_date_values(["2026-09-30 23:20:00"]).dates == [dt.date(2026, 9, 30)]
    # In winter the UK is on UTC: no change.
    assert parse_date_values(["2026-01-31 23:20:00"], utc=True).dates == [dt.date(2026, 1, 31)]
    assert parse_date_values(["09/30/2026 11:20 PM"], utc=True).dates == [dt.date(2026, 10, 1)]


def test_a_reading_that_puts_dates_in_the_future_loses() -> None:
    # 11/12/2026 read month-first is 12 November (past); day-first 11 December (future).
    parsed = parse_date_values(["11/12/2026"], today=TODAY)
    assert not parsed.undecided and parsed.dates == [dt.date(2026, 11, 12)]
    # ... and settles that row only: 03/04/2026 beside it is still asked.
    both = parse_date_values(["11/12/2026", "03/04/2026"], today=TODAY)
    assert both.undecided and both.open == (False, True)


def test_tool_order_settles_each_row_it_can_and_leaves_the_rest_open() -> None:
    # Submitted 3 April?, 1 June, 2 July: 06/01 and 07/02 only run in order month-first;
    # 04/03 could be 4 March or 3 April and still run in order, so it stays open.
    parsed = parse_date_values(["04/03/2026", "06/01/2026", "07/02/2026"], today=TODAY,
                               sequence=[0, 1, 2])
    assert parsed.open == (True, False, False) and parsed.undecided
    assert parsed.dates[1:] == [dt.date(2026, 6, 1), dt.date(2026, 7, 2)]


def test_out_of_order_tool_timestamps_leave_the_question_open() -> None:
    # Both readings run in order for a single date: nothing to go on, so ask.
    assert parse_date_values(["03/04/2026"], today=TODAY, sequence=[0]).undecided


def test_the_users_choice_settles_only_what_the_file_does_not() -> None:
    assert parse_date_values(["03/04/2026"], today=TODAY, choice="month_first").dates == [
        dt.date(2026, 3, 4)]
    proven = parse_date_values(["03/04/2026", "14/05/2026"], today=TODAY, choice="month_first")
    assert proven.order == "day_first"


# ------------------------------------------------- the whole upload, asked ---
PASTED = (
    b"Your reference,Date completed,Who is answering?,How often do you feel lonely?\r\n"
    b"R1,14/10/2026,I use Shared Lives,Never\r\n"  # typed day-first: 14 October
    b"R2,03/10/2026,I use Shared Lives,Never\r\n"  # typed: 3 October (or 10 March)
    b"R3,11/13/2026 10:32,I use Shared Lives,Never\r\n"  # pasted from Microsoft Forms
    b"R4,11/5/2026 09:10,I use Shared Lives,Never\r\n"  # pasted: 5 November (or 11 May)
)


def test_typed_day_first_with_pasted_month_first_rows_is_asked_showing_the_rows(
    fresh_store,
) -> None:
    from kpi.ingest import ingest_bytes, load_schemes

    store = fresh_store
    assert not load_schemes(store, b"scheme_id,name,region\nSL001,A,North West\n").refused
    for dates in (None, "day-first", "month-first"):
        result = ingest_bytes(store, PASTED, "typed and pasted.csv", "SL001", dates=dates)
        assert result.refused and store.is_empty(), result.message
        question = result.date_question
        assert question["mixed"] and question["open_rows"] == [3, 5]
        assert (question["day_first_rows"], question["month_first_rows"]) == ([2], [4])
        assert "written both ways round" in result.message
        assert "row 2 ('14/10/2026') can only be day/month/year" in result.message
        assert "row 4 ('11/13/2026 10:32') can only be month/day/year" in result.message


def test_rows_each_settled_their_own_way_are_stored_with_a_warning(fresh_store) -> None:
    from kpi.ingest import ingest_bytes, load_schemes

    store = fresh_store
    assert not load_schemes(store, b"scheme_id,name,region\nSL001,A,North West\n").refused
    data = PASTED.replace(b"R2,03/10/2026", b"R2,23/10/2026").replace(b"11/5/2026", b"11/25/2026")
    result = ingest_bytes(store, data, "typed and pasted.csv", "SL001")
    assert not result.refused, result.message
    stored = store.query("SELECT completed_on FROM responses ORDER BY source_row")
    assert [d.date() for d in stored["completed_on"]] == [
        dt.date(2026, 10, 14), dt.date(2026, 10, 23), dt.date(2026, 11, 13),
        dt.date(2026, 11, 25)]
    assert any("both ways round" in w for w in result.warnings)
