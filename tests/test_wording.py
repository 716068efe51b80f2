"""The one wording module: polarity, better / worse, and the pages' number formats.

The pages, the board pack and the PDF all read these; a test here fails when one
of them would call a rise in loneliness an improvement.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from kpi import wording
from kpi.catalogue import khi

LONELY = khi("lonely_often")  # lower is better
FRIEND = khi("friends_any")  # higher is better


def test_which_direction_is_good_follows_polarity() -> None:
    assert wording.is_improvement(FRIEND, rising=True)
    assert not wording.is_improvement(FRIEND, rising=False)
    assert not wording.is_improvement(LONELY, rising=True)
    assert wording.is_improvement(LONELY, rising=False)
    assert wording.polarity_words(FRIEND) == "higher is better"
    assert wording.polarity_words(LONELY) == "lower is better"


@pytest.mark.parametrize(
    ("code", "difference", "significant", "words"),
    [
        ("friends_any", 3.0, True, "better"),
        ("friends_any", -3.0, True, "worse"),
        ("lonely_often", 3.0, True, "worse"),
        ("lonely_often", -3.0, True, "better"),
        ("lonely_often", -3.0, False, "no clear change"),
        ("friends_any", 0.0, True, "no clear change"),
        ("friends_any", math.nan, True, "no clear change"),
    ],
)
def test_direction_words(code: str, difference: float, significant: bool, words: str) -> None:
    assert wording.direction(khi(code), difference, significant) == words


def test_the_board_and_the_indicator_page_agree_on_a_trend() -> None:
    falling = SimpleNamespace(direction="decreasing", p_value=0.002, periods=8)
    assert wording.trend_verdict(falling, LONELY) == ("improving", 0.002)
    assert wording.trend_verdict(falling, FRIEND) == ("worsening", 0.002)
    assert "it is improving" in wording.trend_sentence(falling, LONELY, 8)
    assert "it is getting worse" in wording.trend_sentence(falling, FRIEND, 8)
    untested = SimpleNamespace(direction=None, p_value=math.nan, periods=8)
    assert wording.trend_verdict(untested, FRIEND) == ("not tested", None)
    assert wording.trend_sentence(untested, FRIEND, 8).startswith("There are too few quarters")


def test_the_overview_calls_a_fall_in_loneliness_an_improvement() -> None:
    words = wording.change_since_words(LONELY, 10.0, 14.0, True, wording.LEVEL_998)
    assert words == "Down 4 points since last quarter: an improvement, a real change (99.8% level)."
    words = wording.change_since_words(FRIEND, 86.0, 90.0, True, wording.LEVEL_95)
    assert words.startswith("Down 4 points since last quarter: a worsening, likely a real")
    assert wording.change_since_words(FRIEND, 90.2, 90.0, False, wording.LEVEL_NONE) == (
        "No change since last quarter."
    )


def test_one_number_format_for_pages_and_pack() -> None:
    # The pages' copy printed "-0%"; a value that rounds to nothing is 0.
    assert wording.format_value(-0.3, LONELY) == "0%"
    assert wording.format_value(14.4, LONELY) == "14%"
    assert wording.format_value(None, LONELY) == "–"
    assert wording.format_value(math.nan, FRIEND) == "–"
    assert wording.format_interval(12.2, 18.6, LONELY) == "12% to 19%"
    assert wording.format_interval(None, 18.6, LONELY) == ""
    assert wording.format_base(1234.0) == "1,234"
    assert wording.fmt(67.4, True) == "67%" and wording.fmt(None, False) == ""


def test_pages_and_board_use_the_wording_module() -> None:
    from kpi import board
    from pages.views import _common as c

    assert c.format_value is wording.format_value
    assert c.format_interval is wording.format_interval
    assert board.format_value is wording.format_value
    assert board.change_sentence is wording.change_sentence


@pytest.mark.parametrize(
    ("comparison", "outside998", "level", "words"),
    [
        ("worse", True, wording.LEVEL_998, "▼ Clearly worse than England (99.8% level)"),
        ("worse", False, wording.LEVEL_95, "▼ Worse than England (95% level)"),
        ("better", True, wording.LEVEL_998, "▲ Clearly better than England (99.8% level)"),
        ("better", float("nan"), wording.LEVEL_95, "▲ Better than England (95% level)"),
        ("similar", True, wording.LEVEL_NONE, "● Similar to England"),
        ("not compared", True, wording.LEVEL_UNTESTED, "○ Not compared (too few answers)"),
    ],
)
def test_every_comparison_says_its_level_by_one_rule(
    comparison: str, outside998: object, level: str, words: str
) -> None:
    assert wording.comparison_level(comparison, outside998) == level
    assert wording.comparison_words(comparison, outside998=outside998) == words


def test_a_regions_comparison_keeps_its_level() -> None:
    assert (wording.comparison_words("worse", "region", outside998=True)
            == "▼ Clearly worse than its region (99.8% level)")


def test_one_point_is_singular_in_every_gap_and_change() -> None:
    """"1 points" was printed on the Equity page's table of gaps."""
    from kpi.catalogue import khi
    from kpi.equity import EquityView, gap_row
    from kpi.wording import points_words

    assert points_words("1") == "1 point" and points_words("6") == "6 points"
    assert points_words("1", percentage=True) == "1 percentage point"
    assert points_words("-1") == "-1 point"

    view = EquityView(gap=1.2, highest="Woman", lowest="Man", highest_n=531, lowest_n=700,
                      p_value=0.5, significant=False, compared=("Man", "Woman"), small=(),
                      hidden=(), min_compare=30)
    row = gap_row("Gender", khi("friends_any"), view)
    assert view.sentences(khi("friends_any"))[0].startswith("The gap is 1 percentage point,")
    assert row["Gap (highest − lowest)"] == "1 point"
