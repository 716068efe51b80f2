"""Control charts (kpi.stats.spc) against NHSRplotthedots' documented cases.

Cases are taken from nhs-r-community/NHSRplotthedots (MIT), commit 050b07d7; each
test names the file it reproduces. The series ``RNORM_123`` is R's
``set.seed(123); rnorm(20)``, printed in tests/testthat/_snaps/ptd_spc_standard.md
(the first values) and used by tests/testthat/test-ptd_spc_standard.R and
test-ptd_spc.R.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta

from kpi import charts
from kpi import indicators as engine
from kpi.indicators import Filters, Settings, control_chart, control_charts
from kpi.stats import spc
from kpi.store import Store
from tests.builders import make_store
from tests.test_indicators import agree, people, upload

SETTINGS = Settings(min_base=5, min_compare=10)

RNORM_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499,
    0.46091621, -1.26506123, -0.68685285, -0.44566197, 1.22408180, 0.35981383,
    0.40077145, 0.11068272, -0.55584113, 1.78691314, 0.49785048, -1.96661716,
    0.70135590, -0.47279141,
]


# --- tests/testthat/_snaps/ptd_spc_standard.md ("it returns expected values") ---

def test_xmr_limits_match_snapshot_r1():
    r = spc.xmr_chart(RNORM_123)
    assert r.mean == pytest.approx(0.1416238, abs=1e-7)
    assert r.lower[0] == pytest.approx(-3.01138, abs=1e-5)
    assert r.upper[0] == pytest.approx(3.294627, abs=1e-6)
    # relative_to_mean, first 15 as the snapshot prints them
    signs = np.sign(np.array(RNORM_123) - r.mean)[:15]
    assert list(signs) == [-1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1]


def test_xmr_outlier_screening_matches_snapshots_r2_r3():
    y = list(RNORM_123)
    y[14] = 10  # data$y[15] <- 10
    screened = spc.xmr_chart(y)
    assert screened.mean == pytest.approx(0.6694159, abs=1e-7)
    assert screened.lower[0] == pytest.approx(-2.383666, abs=1e-6)
    assert screened.upper[0] == pytest.approx(3.722497, abs=1e-6)
    unscreened = spc.xmr_chart(y, screen_outliers=False)
    assert unscreened.lower[0] == pytest.approx(-4.596625, abs=1e-6)
    assert unscreened.upper[0] == pytest.approx(5.935457, abs=1e-6)


# --- tests/testthat/_snaps/ptd_spc.md ("it outputs expected content") ---

def test_summary_snapshot_all_common_cause():
    r = spc.xmr_chart(RNORM_123)
    assert r.point_type.count(spc.COMMON) == 20
    assert r.variation == spc.COMMON
    assert not r.trial


def test_summary_snapshot_facets_of_ten():
    first, second = spc.xmr_chart(RNORM_123[:10]), spc.xmr_chart(RNORM_123[10:])
    assert (round(first.mean, 4), round(first.lower[0], 2), round(first.upper[0], 2)) == (
        0.0746, -2.60, 2.75)
    assert (round(second.mean, 3), round(second.lower[0], 2), round(second.upper[0], 2)) == (
        0.209, -3.28, 3.70)
    assert first.trial and second.trial  # 10 < 12: the package warns "trial limits"
    assert "trial limits" in first.sentence


# --- tests/testthat/test-ptd_spc_standard.R ("only reports special cause for 2of3
# points close to limits when they are on the same side of the mean") ---

def test_two_close_points_on_opposite_sides_are_common_cause():
    data = [1.0, -1.0] * 8
    data[14], data[15] = 5.5, -5.5
    r = spc.xmr_chart(data)
    assert r.point_type[-2:] == (spc.COMMON, spc.COMMON)


# --- tests/testthat/test-ptd_calculate_point_type.R ---

def test_seven_point_one_side_mean():
    assert list(spc.seven_point_one_side_mean([])) == []
    assert list(spc.seven_point_one_side_mean([1] * 6)) == [0] * 6
    assert list(spc.seven_point_one_side_mean([1] * 6 + [-1])) == [0] * 7
    assert list(spc.seven_point_one_side_mean([1] * 8 + [-1])) == [0] * 6 + [1, 1, 0]
    assert list(spc.seven_point_one_side_mean([-1] * 8 + [1])) == [0] * 6 + [1, 1, 0]


def test_part_of_seven_trend():
    assert list(spc.part_of_seven([])) == []
    assert list(spc.part_of_seven([0] * 6)) == [0] * 6
    assert list(spc.part_of_seven([0] * 6 + [1, 0])) == [1] * 7 + [0]
    assert list(spc.part_of_seven([0] * 7 + [1, 0])) == [0] + [1] * 7 + [0]
    assert list(spc.part_of_seven([0] * 6 + [-1, 0])) == [1] * 7 + [0]
    assert list(spc.part_of_seven([0] * 7 + [-1, 0])) == [0] + [1] * 7 + [0]


def test_seven_point_trend():
    assert list(spc.seven_point_trend([])) == []
    assert list(spc.seven_point_trend(range(1, 7))) == [0] * 6
    assert list(spc.seven_point_trend([1, 2, 3, 3, 4, 5, 6])) == [0] * 7
    assert list(spc.seven_point_trend(range(1, 8))) == [0] * 6 + [1]
    assert list(spc.seven_point_trend([2, *range(1, 8), 3])) == [0] * 7 + [1, 0]
    assert list(spc.seven_point_trend(range(7, 0, -1))) == [0] * 6 + [-1]
    assert list(spc.seven_point_trend([2, *range(7, 0, -1), 3])) == [0] * 7 + [-1, 0]


def test_two_in_three():
    assert list(spc.two_in_three([], [])) == []
    for v in ([1, 0, 1], [0, 1, 1], [1, 1, 0]):
        assert list(spc.two_in_three(v, [1, 1, 1])) == [1, 1, 1]
        assert list(spc.two_in_three(v, [1, -1, 1])) == [0, 0, 0]
    assert list(spc.two_in_three([0, 0, 1, 0, 1, 0, 0], [1] * 7)) == [0, 0, 1, 1, 1, 0, 0]
    assert list(spc.two_in_three([0, 0, 1, 1, 0, 0, 0], [1] * 7)) == [0, 1, 1, 1, 1, 0, 0]
    assert list(spc.two_in_three([0, 0, 1, 0, 1, 0, 0], [1, -1] * 3 + [1])) == [0] * 7
    assert list(spc.two_in_three([0, 0, 1, 1, 0, 0, 0], [-1, 1] * 3 + [-1])) == [0] * 7


def test_part_of_two_in_three_needs_the_point_itself_close():
    # ptd_part_of_two_in_three: case "iv" — only the close points in the window count
    v = [1, 0, 0, 1, 1]
    assert list((spc.two_in_three(v, [1] * 5) == 1) & (np.array(v) == 1)) == [
        False, False, False, True, True]
    assert list(spc.two_in_three([1, 0, 0, 1], [1] * 4)) == [0, 0, 0, 0]


def test_point_type_orientation():
    # ptd_point_type: Above/Increasing is +1, Below/Decreasing -1, times the direction
    assert spc.point_type("Above UCL", 1) == spc.IMPROVEMENT
    assert spc.point_type("Above UCL", -1) == spc.CONCERN
    assert spc.point_type("7 Point Trend (Decreasing)", 1) == spc.CONCERN
    assert spc.point_type("7 Points Below CL", -1) == spc.IMPROVEMENT
    assert spc.point_type("2 in 3 Above CL", 0) == spc.NEUTRAL_HIGH
    assert spc.point_type("Common Cause", 1) == spc.COMMON


def test_rule_precedence_in_a_series():
    # beyond the limits beats a trend, a trend beats a run (ptd_special_cause_type order)
    y = [10.0, 10.2, 9.8, 10.1, 9.9, 10.0, 10.1, 9.9, 10.0, 10.1,
         10.3, 10.4, 10.5, 10.6, 10.7, 10.8, 14.0]
    r = spc.xmr_chart(y, polarity="low")
    assert r.special[-1] == "Above UCL"
    assert r.special[-2] == "7 Point Trend (Increasing)"
    assert r.variation == spc.CONCERN  # higher is worse here
    assert spc.xmr_chart(y, polarity="high").variation == spc.IMPROVEMENT


def test_run_of_seven_below_the_mean():
    y = [5.0, 7.0, 4.0, 6.0, 5.0, 7.0, 4.0, 6.0, 5.5, 4.8, 4.7, 4.9, 4.6, 4.8, 4.7, 4.9]
    r = spc.xmr_chart(y)
    assert r.special[-7:] == ("7 Points Below CL",) * 7
    assert r.special[-8] == "Common Cause"
    assert spc.xmr_chart(y[:-1]).special[-1] == "Common Cause"  # 6 are not a run
    assert r.variation == spc.CONCERN
    assert "run of 7 below the mean" in r.sentence


# --- tests/testthat/test-ptd_calculate_assurance_type.R ---

@pytest.mark.parametrize(
    ("lower", "upper", "increase", "decrease"),
    [(1, 3, spc.FAIL, spc.PASS), (5, 7, spc.PASS, spc.FAIL), (1, 5, spc.INCONSISTENT,
                                                              spc.INCONSISTENT)],
)
def test_assurance_against_target_four(lower, upper, increase, decrease):
    assert spc.assurance_type(4, lower, upper, 1) == increase
    assert spc.assurance_type(4, lower, upper, -1) == decrease


def test_assurance_only_with_a_target_and_a_direction():
    assert spc.xmr_chart(RNORM_123).assurance is None
    assert spc.xmr_chart(RNORM_123, target=1, polarity="neutral").assurance is None
    r = spc.xmr_chart(RNORM_123, target=5)  # above the upper limit 3.29, higher is better
    assert r.assurance == spc.FAIL
    assert "consistently miss" in r.assurance_sentence
    assert r.sentences == f"{r.sentence} {r.assurance_sentence}"


# --- this project's own rules ---

def test_too_few_points_gives_no_verdict():
    r = spc.xmr_chart([1.0, 2.0, None, 3.0, 2.0, float("nan"), 1.5], target=2)
    assert r.points == 5 and not r.verdict
    assert r.variation == spc.TOO_FEW and r.assurance is None
    assert r.sentence.startswith("Only 5 points")
    assert r.point_type[2] == spc.GAP
    assert spc.xmr_chart([1.0, 2.0, 3.0, 2.0, 1.5, 2.5]).verdict


def test_gaps_take_no_part_in_limits_or_rules():
    y = list(RNORM_123)
    with_gaps = y[:5] + [None] + y[5:12] + [float("nan")] + y[12:]
    a, b = spc.xmr_chart(y), spc.xmr_chart(with_gaps)
    assert b.mean == a.mean and b.lower[0] == a.lower[0] and b.points == 20
    assert b.point_type[5] == spc.GAP and b.special[5] == ""
    assert math.isnan(b.values[5])


def test_p_chart_limits_vary_with_the_base():
    counts = [50, 55, 48, 52, 60, 45, 51, 49]
    bases = [100, 100, 100, 100, 400, 100, 100, 100]
    counts[4] = 200
    r = spc.p_chart(counts, bases)
    p = sum(counts) / sum(bases)
    assert r.mean == pytest.approx(100 * p)
    for i, n in enumerate(bases):
        half = 300 * math.sqrt(p * (1 - p) / n)
        assert r.upper[i] == pytest.approx(100 * p + half)
        assert r.lower[i] == pytest.approx(100 * p - half)
    assert r.upper[4] - r.lower[4] == pytest.approx((r.upper[0] - r.lower[0]) / 2)
    assert r.chart == "p" and r.variation == spc.COMMON


def test_p_chart_flags_a_point_beyond_its_own_limit():
    counts = [500, 510, 495, 505, 498, 502, 640]
    bases = [1000] * 6 + [1000]
    r = spc.p_chart(counts, bases, polarity="low")
    assert r.special[-1] == "Above UCL" and r.variation == spc.CONCERN
    with pytest.raises(ValueError, match="bases"):
        spc.p_chart([5, 6], [4, 10])


# --- the engine: one KHI for an area over its quarters (kpi.indicators.control_chart) ---

QUARTERS = [dt.date(2024, 7, 1) + relativedelta(months=3 * i) for i in range(8)]
BASES = [20, 24, 3, 22, 20, 26, 21, 25]  # the third quarter (3 people) is hidden
AGREE = [14, 16, 2, 15, 14, 18, 15, 24]


@pytest.fixture(scope="module")
def eight_quarters(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = make_store(tmp_path_factory.mktemp("spc") / "khi.duckdb",
                       [("A", "Ash Shared Lives", "London")])
    for i, (quarter, n, yes) in enumerate(zip(QUARTERS, BASES, AGREE, strict=True)):
        upload(store, "A", people(f"q{i}-", warm_kind=agree(yes, n),
                                  on=quarter + dt.timedelta(days=10)))
    return store


def test_control_chart_is_a_p_chart_over_every_shown_quarter(eight_quarters: Store) -> None:
    series, result = control_chart(eight_quarters, "warm_kind", settings=SETTINGS)
    assert list(series["quarter"]) == QUARTERS
    assert result.chart == "p"  # bases differ
    assert result.points == 7
    # The hidden quarter is a gap: its 2 of 3 never enter the mean (118/161 would).
    shown = [i for i in range(8) if i != 2]
    p = sum(AGREE[i] for i in shown) / sum(BASES[i] for i in shown)
    assert result.mean == pytest.approx(100 * p)
    assert result.point_type[2] == spc.GAP and math.isnan(result.values[2])
    assert bool(series.iloc[2]["suppressed"]) and pd.isna(series.iloc[2]["count"])
    # Limits follow each quarter's own base.
    half = 300 * math.sqrt(p * (1 - p) / 25)
    assert result.upper[7] == pytest.approx(100 * p + half)
    assert result.values[7] == pytest.approx(96.0)
    assert result.trial and result.verdict


def test_control_chart_with_too_few_quarters_says_so(eight_quarters: Store) -> None:
    _, result = control_chart(eight_quarters, "warm_kind", end=QUARTERS[4],
                              settings=SETTINGS)
    assert result.points == 4 and not result.verdict
    assert result.sentence.startswith("Only 4 points")


def test_control_chart_of_nothing_says_so(eight_quarters: Store,
                                         fresh_store: Store) -> None:
    series, result = control_chart(eight_quarters, "warm_kind",
                                   Filters(regions=("North East",)), settings=SETTINGS)
    assert len(series) == 0 and result.points == 0 and not result.verdict
    _, result = control_chart(fresh_store, "warm_kind", settings=SETTINGS)
    assert result.points == 0 and not result.verdict


def test_control_chart_assurance_with_a_target(eight_quarters: Store) -> None:
    _, result = control_chart(eight_quarters, "warm_kind", settings=SETTINGS, target=40.0)
    assert result.assurance == spc.PASS  # 40% is below every limit; higher is better


def test_control_charts_gives_every_khi_from_one_pass(eight_quarters: Store) -> None:
    many = control_charts(eight_quarters, ["warm_kind", "swemwbs_mean"], settings=SETTINGS,
                          targets={"warm_kind": 40.0})
    series, result = control_chart(eight_quarters, "warm_kind", settings=SETTINGS,
                                   target=40.0)
    assert repr(many["warm_kind"][1]) == repr(result)  # NaN gaps: compare as printed
    assert many["swemwbs_mean"][1].chart == "xmr" and many["swemwbs_mean"][1].points == 0


@pytest.mark.parametrize("window", [8, 5, 3])
def test_trends_and_control_charts_are_the_two_calls_from_one_pass(
    eight_quarters: Store, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    """The board's one pass gives what trends() and control_charts() give apart,
    also when the trend's window is shorter than the chart (the hidden third
    quarter inside and outside the window)."""
    codes = ["warm_kind", "swemwbs_mean", "swemwbs_change"]
    end = QUARTERS[-1]
    trends = engine.trends(eight_quarters, codes, None, window, end, SETTINGS)
    charts_apart = control_charts(eight_quarters, codes, None, end, SETTINGS)
    passes = []
    table = engine.series.indicator_table

    def counted(*args, **kwargs):
        passes.append(kwargs.get("change_since"))
        return table(*args, **kwargs)

    monkeypatch.setattr(engine.series, "indicator_table", counted)
    both, charts_once = engine.trends_and_control_charts(
        eight_quarters, codes, None, window, end, SETTINGS)
    assert passes == [QUARTERS[0]]
    for code in codes:
        pd.testing.assert_frame_equal(both[code][0], trends[code][0])
        assert repr(both[code][1]) == repr(trends[code][1])
        pd.testing.assert_frame_equal(charts_once[code][0], charts_apart[code][0])
        assert repr(charts_once[code][1]) == repr(charts_apart[code][1])
    assert len(both["warm_kind"][0]) == window
    assert both["warm_kind"][1].periods == window - (window >= 6)  # the hidden one


# --- the chart builder (kpi.charts.control_chart) ---

def test_chart_marks_special_cause_points_by_shape_and_name_and_leaves_gaps() -> None:
    y = [5.0, 7.0, 4.0, 6.0, 5.0, 7.0, 4.0, 6.0, 5.5, 4.8, 4.7, 4.9, 4.6, 4.8, 4.7, 4.9]
    values = [*y[:3], None, *y[3:]]
    result = spc.xmr_chart(values)  # higher is better: the run below the mean concerns
    frame = pd.DataFrame({"quarter_label": [f"Q{i}" for i in range(len(values))],
                          "suppressed": [i == 3 for i in range(len(values))]})
    fig = charts.control_chart(frame, result, title="Warm", value_title="Per cent",
                               percent=False)
    traces = {t.name: t for t in fig.data}
    concern = traces["Special cause: concerning"]
    assert list(concern.x) == [f"Q{i}" for i in range(10, 17)]
    assert concern.marker.symbol == "triangle-down"
    assert len(traces["Common cause"].x) == 9
    assert traces["Value"].y[3] is None  # the hidden quarter is a gap, not a value
    assert traces["Process limits"].y[0] == pytest.approx(result.upper[0])
    assert any(a.text == charts.HIDDEN_TEXT for a in fig.layout.annotations)
    assert "Special cause variation: concerning" in fig.layout.title.subtitle.text
    assert "16 points" in fig.layout.title.subtitle.text


def test_chart_with_too_few_points_draws_no_limits() -> None:
    result = spc.xmr_chart([1.0, 2.0, 3.0])
    frame = pd.DataFrame({"quarter_label": ["a", "b", "c"]})
    fig = charts.control_chart(frame, result, title="T", value_title="V", percent=False)
    assert "Process limits" not in {t.name for t in fig.data}
    assert "Too few points" in fig.layout.title.subtitle.text
