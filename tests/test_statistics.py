"""Unit tests for kpi.stats on small hand-checked data.

Expected numbers come from arithmetic worked in the comments, published examples
(Newcombe 1998) or an independent scipy/numpy computation, never from the function
under test. The PHEindicatormethods golden values are in test_reference_conformance.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from kpi import stats as ks
from kpi.stats import (
    FUNNEL_LABELS,
    FUNNEL_POSITIONS,
    byars_interval,
    compare_with_benchmark,
    equity_gap_test,
    equity_gap_test_means,
    funnel_limits_proportion,
    funnel_position,
    funnel_significance,
    mean_intervals_from_moments,
    paired_change,
    proportion_with_intervals,
    t_interval,
    trend_test_means,
    trend_test_proportions,
    wilson_interval,
    z_for,
)

Z95 = 1.959963984540054
Z998 = 3.090232306167813


def test_module_never_imports_streamlit_or_duckdb() -> None:
    modules = sorted(Path(ks.__file__).parent.glob("*.py"))
    assert len(modules) > 1  # the package, not only its __init__
    for module in modules:
        source = module.read_text(encoding="utf-8")
        assert "import streamlit" not in source, module.name
        assert "import duckdb" not in source, module.name


# --------------------------------------------------------------------------------------
# z_for
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [(0.95, 1.959964), (0.998, 3.090232), (0.90, 1.644854), (0.99, 2.575829)],
)
def test_z_for_known_quantiles(confidence: float, expected: float) -> None:
    assert z_for(confidence) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("bad", [0, 1, 0.0, 1.0, -0.5, 95, 99.8, float("nan")])
def test_z_for_rejects_levels_outside_zero_one(bad: float) -> None:
    with pytest.raises(ValueError, match=r"confidence must be between 0 and 1 \(exclusive\)"):
        z_for(bad)


@pytest.mark.parametrize("bad", ["0.95", None, True, [0.95]])
def test_z_for_rejects_non_numbers(bad: object) -> None:
    with pytest.raises(ValueError, match="confidence must be a number between 0 and 1"):
        z_for(bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Wilson
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "lower", "upper"),
    [
        # Newcombe RG (1998) Stat Med 17:857-872, Table II, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998(x: int, n: int, lower: float, upper: float) -> None:
    lo, up = wilson_interval(x, n)
    assert float(lo) == pytest.approx(lower, abs=5e-5)
    assert float(up) == pytest.approx(upper, abs=5e-5)


def test_wilson_hand_checked_half() -> None:
    # x=5, n=10: centre (5 + z²/2)/(10 + z²) = 0.5; half = z*sqrt(2.5 + z²/4)/(10 + z²)
    z2 = Z95**2
    half = Z95 * math.sqrt(2.5 + z2 / 4) / (10 + z2)  # 0.263414...
    lo, up = wilson_interval(5, 10)
    assert float(lo) == pytest.approx(0.5 - half, abs=1e-12)
    assert float(up) == pytest.approx(0.5 + half, abs=1e-12)
    assert half == pytest.approx(0.263407, abs=1e-6)


def test_wilson_extremes_are_exact() -> None:
    # x=0: lower exactly 0, upper z²/(n+z²); x=n: upper exactly 1, lower n/(n+z²).
    lo, up = wilson_interval([0, 10], [10, 10])
    assert lo[0] == 0.0
    assert up[1] == 1.0
    assert up[0] == pytest.approx(Z95**2 / (10 + Z95**2), abs=1e-12)
    assert lo[1] == pytest.approx(10 / (10 + Z95**2), abs=1e-12)


def test_wilson_accepts_non_integer_numerators() -> None:
    lo, up = wilson_interval(0.445, 1.0)
    assert 0 < float(lo) < 0.445 < float(up) < 1


def test_wilson_vectorised_and_missing_values() -> None:
    lo, up = wilson_interval([1, np.nan, 3, 0], [10, 10, np.nan, 0])
    assert lo.shape == (4,)
    assert np.isnan(lo[1:]).all()
    assert np.isnan(up[1:]).all()
    assert not np.isnan(lo[0])


def test_wilson_scalar_input_gives_zero_d_array() -> None:
    lo, up = wilson_interval(3, 10)
    assert isinstance(lo, np.ndarray)
    assert lo.shape == ()


def test_wilson_accepts_nullable_pandas_series() -> None:
    x = pd.Series([1, None, 3], dtype="Int64")
    n = pd.Series([10, 10, 10], dtype="Int64")
    lo, _ = wilson_interval(x, n)
    assert np.isnan(lo[1])
    assert lo[0] == pytest.approx(float(wilson_interval(1, 10)[0]))


def test_wilson_broadcasts_scalar_denominator() -> None:
    lo, _ = wilson_interval([1, 2, 3], 10)
    assert lo.shape == (3,)


def test_wilson_rejects_negative_x() -> None:
    with pytest.raises(ValueError, match="x must be greater than or equal to 0"):
        wilson_interval([-1, 2], [10, 10])


def test_wilson_rejects_negative_n() -> None:
    with pytest.raises(ValueError, match="n must be greater than or equal to 0"):
        wilson_interval(0, -1)


def test_wilson_rejects_x_above_n() -> None:
    with pytest.raises(ValueError, match="x must be less than or equal to n"):
        wilson_interval([11, 1], 10)


def test_wilson_rejects_bad_confidence() -> None:
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        wilson_interval(1, 10, confidence=95)


def test_wilson_rejects_infinite_values() -> None:
    with pytest.raises(ValueError, match="n must be finite"):
        wilson_interval(1, np.inf)


def test_wilson_rejects_text() -> None:
    with pytest.raises(ValueError, match="x must be numeric"):
        wilson_interval(["a"], [10])


def test_wilson_requires_values() -> None:
    with pytest.raises(ValueError, match="x is required"):
        wilson_interval(None, 10)


def test_proportion_with_intervals_columns_and_values() -> None:
    df = proportion_with_intervals([5, 0, np.nan], [10, 0, 10])
    assert list(df.columns) == ["value", "lower95", "upper95", "lower998", "upper998"]
    assert df.loc[0, "value"] == 0.5
    lo95, up95 = wilson_interval(5, 10, 0.95)
    lo998, up998 = wilson_interval(5, 10, 0.998)
    assert df.loc[0, "lower95"] == pytest.approx(float(lo95))
    assert df.loc[0, "upper998"] == pytest.approx(float(up998))
    assert df.loc[0, "lower998"] < df.loc[0, "lower95"]
    assert df.iloc[1:].isna().all().all()


def test_proportion_with_intervals_keeps_series_index_and_scalars() -> None:
    x = pd.Series([1, 2], index=["a", "b"])
    df = proportion_with_intervals(x, pd.Series([10, 10], index=["a", "b"]))
    assert list(df.index) == ["a", "b"]
    assert len(proportion_with_intervals(1, 10)) == 1


# --------------------------------------------------------------------------------------
# t intervals and means from moments
# --------------------------------------------------------------------------------------


def test_t_interval_hand_checked() -> None:
    # mean 10, sd 2, n 4: se = 1, t(0.975, 3) = 3.182446
    lo, up = t_interval(10, 2, 4)
    assert float(lo) == pytest.approx(10 - 3.182446, abs=1e-6)
    assert float(up) == pytest.approx(10 + 3.182446, abs=1e-6)
    # t(0.999, 3) = 10.214532
    lo, up = t_interval(10, 2, 4, confidence=0.998)
    assert float(up) == pytest.approx(10 + 10.214532, abs=1e-6)


def test_t_interval_matches_scipy_interval() -> None:
    lo, up = t_interval([5.0, 7.0], [1.5, 3.0], [12, 30])
    expected = stats.t.interval(0.95, [11, 29], loc=[5.0, 7.0], scale=[1.5 / 12**0.5, 3 / 30**0.5])
    np.testing.assert_allclose(lo, expected[0], rtol=1e-12)
    np.testing.assert_allclose(up, expected[1], rtol=1e-12)


def test_t_interval_needs_two_values() -> None:
    lo, up = t_interval([5, 5, 5, np.nan], [1, 1, 1, 1], [0, 1, 2, 5])
    assert np.isnan(lo[[0, 1, 3]]).all()
    assert np.isnan(up[[0, 1, 3]]).all()
    assert not np.isnan(lo[2])


def test_t_interval_rejects_negative_sd() -> None:
    with pytest.raises(ValueError, match="sd must be greater than or equal to 0"):
        t_interval(1, -1, 5)


def test_t_interval_rejects_negative_n() -> None:
    with pytest.raises(ValueError, match="n must be greater than or equal to 0"):
        t_interval(1, 1, -5)


def test_t_interval_rejects_bad_confidence() -> None:
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        t_interval(1, 1, 5, confidence=1.5)


def test_mean_intervals_from_moments_hand_checked() -> None:
    values = np.array([2, 4, 4, 4, 5, 5, 7, 9], dtype=float)
    # n 8, sum 40, sum of squares 232: mean 5, SS = 232 - 40²/8 = 32, sd = sqrt(32/7)
    df = mean_intervals_from_moments(8, 40, 232)
    assert list(df.columns) == ["value", "sd", "lower95", "upper95", "lower998", "upper998"]
    assert df.loc[0, "value"] == 5.0
    assert df.loc[0, "sd"] == pytest.approx(math.sqrt(32 / 7), abs=1e-12)
    assert df.loc[0, "sd"] == pytest.approx(values.std(ddof=1), abs=1e-12)
    se = math.sqrt(32 / 7) / math.sqrt(8)
    assert df.loc[0, "lower95"] == pytest.approx(5 - stats.t.ppf(0.975, 7) * se, abs=1e-12)
    assert df.loc[0, "upper998"] == pytest.approx(5 + stats.t.ppf(0.999, 7) * se, abs=1e-12)


def test_mean_intervals_from_moments_small_and_missing_groups() -> None:
    df = mean_intervals_from_moments([0, 1, np.nan, 3], [0, 4, 1, 6], [0, 16, 1, np.nan])
    assert np.isnan(df.loc[0]).all()
    assert df.loc[1, "value"] == 4.0
    assert np.isnan(df.loc[1, ["sd", "lower95", "upper95", "lower998", "upper998"]]).all()
    assert np.isnan(df.loc[2]).all()
    assert df.loc[3, "value"] == 2.0
    assert np.isnan(df.loc[3, "sd"])


def test_mean_intervals_from_moments_clips_negative_variance() -> None:
    # Three identical values 0.1: rounding in sum of squares can give a tiny negative SS.
    total, total_sq = 0.1 + 0.1 + 0.1, 0.1 * 0.1 * 3 - 1e-15
    df = mean_intervals_from_moments(3, total, total_sq)
    assert df.loc[0, "sd"] == 0.0
    assert df.loc[0, "lower95"] == pytest.approx(0.1)
    assert df.loc[0, "upper95"] == pytest.approx(0.1)


def test_mean_intervals_from_moments_large_values_stay_accurate() -> None:
    rng = np.random.default_rng(3)
    values = 1e4 + rng.normal(0, 3, size=500)
    df = mean_intervals_from_moments(len(values), values.sum(), (values**2).sum())
    assert df.loc[0, "sd"] == pytest.approx(values.std(ddof=1), rel=1e-6)


def test_mean_intervals_from_moments_keeps_series_index() -> None:
    n = pd.Series([2, 3], index=["x", "y"])
    df = mean_intervals_from_moments(n, pd.Series([2, 3], index=["x", "y"]), [2, 3])
    assert list(df.index) == ["x", "y"]


def test_mean_intervals_from_moments_rejects_negative_n() -> None:
    with pytest.raises(ValueError, match="n must be greater than or equal to 0"):
        mean_intervals_from_moments(-1, 0, 0)


def test_mean_intervals_from_moments_rejects_negative_total_sq() -> None:
    with pytest.raises(ValueError, match="total_sq must be greater than or equal to 0"):
        mean_intervals_from_moments(2, 0, -1)


# --------------------------------------------------------------------------------------
# Byars
# --------------------------------------------------------------------------------------


def test_byars_hand_checked_zero_and_ten() -> None:
    lo, up = byars_interval([0, 10], confidence=0.95)
    # x=0: lower 0; upper = 1 * (1 - 1/9 + z/3)^3 = 3.668012
    assert lo[0] == 0.0
    assert up[0] == pytest.approx((1 - 1 / 9 + Z95 / 3) ** 3, abs=1e-12)
    assert up[0] == pytest.approx(3.668012, abs=1e-6)
    # x=10: lower = 10 * (1 - 1/90 - z/(3*sqrt(10)))^3
    assert lo[1] == pytest.approx(10 * (1 - 1 / 90 - Z95 / (3 * math.sqrt(10))) ** 3)


@pytest.mark.parametrize("x", [10, 65, 1045])
@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_byars_close_to_exact_poisson(x: int, confidence: float) -> None:
    alpha = 1 - confidence
    exact_lo = stats.chi2.ppf(alpha / 2, 2 * x) / 2
    exact_up = stats.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    lo, up = byars_interval(x, confidence)
    # Byars is within 2% of the exact Poisson limits from x = 10 (Breslow & Day 1987)
    assert float(lo) == pytest.approx(exact_lo, rel=0.02)
    assert float(up) == pytest.approx(exact_up, rel=0.02)


def test_byars_lower_missing_where_approximation_breaks_down() -> None:
    # x=1 at 99.8%: 1 - 1/9 - 3.090232/3 < 0, so the approximation gives no lower limit.
    lo, up = byars_interval([1, np.nan], confidence=0.998)
    assert np.isnan(lo).all()
    assert up[0] == pytest.approx(2 * (1 - 1 / 18 + Z998 / (3 * math.sqrt(2))) ** 3)
    assert np.isnan(up[1])


def test_byars_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="x must be greater than or equal to 0"):
        byars_interval([65, 0, -4])


def test_byars_rejects_bad_confidence() -> None:
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        byars_interval(65, confidence=99.8)


# --------------------------------------------------------------------------------------
# funnels
# --------------------------------------------------------------------------------------


def test_funnel_limits_hand_checked() -> None:
    # p = 0.5, n = 100: 0.5 -/+ 1.959964 * 0.05
    lo, up = funnel_limits_proportion(0.5, 100, 0.95)
    assert float(lo) == pytest.approx(0.5 - Z95 * 0.05, abs=1e-12)
    assert float(up) == pytest.approx(0.5 + Z95 * 0.05, abs=1e-12)
    lo, up = funnel_limits_proportion(0.5, 100, 0.998)
    assert float(lo) == pytest.approx(0.5 - Z998 * 0.05, abs=1e-12)


@pytest.mark.parametrize("n", [50, 400, 12345])
@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_funnel_limit_is_where_wilson_interval_touches_pooled_p(n: int, confidence: float) -> None:
    p = 0.3
    lo, up = funnel_limits_proportion(p, n, confidence)
    # The Wilson interval of an area sitting on the lower limit has its upper end at p,
    # and one on the upper limit has its lower end at p.
    _, wilson_up = wilson_interval(float(lo) * n, n, confidence)
    wilson_lo, _ = wilson_interval(float(up) * n, n, confidence)
    assert float(wilson_up) == pytest.approx(p, abs=1e-12)
    assert float(wilson_lo) == pytest.approx(p, abs=1e-12)


def test_funnel_limits_clip_to_zero_one() -> None:
    lo, up = funnel_limits_proportion(0.8, [1, np.nan], 0.998)
    assert lo[0] == 0.0
    assert up[0] == 1.0
    assert np.isnan(lo[1])


def test_funnel_limits_reject_pooled_p_out_of_range() -> None:
    with pytest.raises(ValueError, match="pooled_p must be between 0 and 1"):
        funnel_limits_proportion(1.2, 100)


def test_funnel_limits_reject_zero_denominator() -> None:
    with pytest.raises(ValueError, match="denominators must be greater than 0"):
        funnel_limits_proportion(0.5, [100, 0])


def test_funnel_limits_reject_bad_confidence() -> None:
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        funnel_limits_proportion(0.5, 100, 0)


def test_funnel_significance_all_five_labels() -> None:
    # p = 0.5, n = 100: 95% limits 0.5 -/+ 0.098, 99.8% limits 0.5 -/+ 0.1545
    x = [70, 62, 50, 39, 30]
    labels = funnel_significance(x, 100, pooled_p=0.5)
    assert list(labels) == [
        "High (0.001)",
        "High (0.025)",
        "Not significant",
        "Low (0.025)",
        "Low (0.001)",
    ]
    assert list(funnel_position(x, 100, pooled_p=0.5)) == list(FUNNEL_POSITIONS)
    assert list(labels) == list(FUNNEL_LABELS)


def test_funnel_significance_defaults_to_pooled_average_and_skips_missing() -> None:
    # pooled = (10 + 30) / (100 + 100) = 0.2; the missing row neither counts nor errors.
    labels = funnel_significance([10, 30, np.nan], [100, 100, 100])
    explicit = funnel_significance([10, 30], [100, 100], pooled_p=0.2)
    assert list(labels[:2]) == list(explicit)
    assert labels[2] is None
    assert funnel_position([np.nan], [10])[0] is None


def test_funnel_significance_all_missing() -> None:
    assert list(funnel_significance([np.nan, np.nan], [10, 10])) == [None, None]


def test_funnel_significance_rejects_negative_x() -> None:
    with pytest.raises(ValueError, match="x must be greater than or equal to 0"):
        funnel_significance([-1], [10])


def test_funnel_significance_rejects_zero_n() -> None:
    with pytest.raises(ValueError, match="n must be greater than 0"):
        funnel_significance([0], [0])


def test_funnel_significance_rejects_x_above_n() -> None:
    with pytest.raises(ValueError, match="x must be less than or equal to n"):
        funnel_significance([11], [10])


def test_funnel_position_rejects_pooled_p_out_of_range() -> None:
    with pytest.raises(ValueError, match="pooled_p must be between 0 and 1"):
        funnel_position([1], [10], pooled_p=-0.1)


# --------------------------------------------------------------------------------------
# benchmark comparison
# --------------------------------------------------------------------------------------


def _intervals() -> dict[str, list[float]]:
    # rows: above benchmark 0.5 (outside 99.8% too), above (inside 99.8%), straddling,
    # below, missing limits
    return {
        "lower95": [0.60, 0.52, 0.45, 0.30, np.nan],
        "upper95": [0.70, 0.60, 0.55, 0.40, np.nan],
        "lower998": [0.55, 0.48, 0.40, 0.25, np.nan],
        "upper998": [0.75, 0.65, 0.60, 0.45, np.nan],
    }


def test_compare_with_benchmark_high_is_good() -> None:
    comparison, outside = compare_with_benchmark(**_intervals(), benchmark=0.5, polarity="high")
    assert list(comparison) == ["better", "better", "similar", "worse", "not compared"]
    assert list(outside) == [True, False, False, True, False]


def test_compare_with_benchmark_low_is_good() -> None:
    comparison, _ = compare_with_benchmark(**_intervals(), benchmark=0.5, polarity="low")
    assert list(comparison) == ["worse", "worse", "similar", "better", "not compared"]


def test_compare_with_benchmark_end_points_are_similar() -> None:
    comparison, outside = compare_with_benchmark(0.5, 0.6, 0.5, 0.7, 0.5, "high")
    assert comparison.item() == "similar"
    assert not outside.item()


def test_compare_with_benchmark_small_or_missing_n_not_compared() -> None:
    comparison, outside = compare_with_benchmark(
        **_intervals(), benchmark=0.5, polarity="high", n=[9, 10, 50, np.nan, 50]
    )
    assert list(comparison) == ["not compared", "better", "similar", "not compared", "not compared"]
    assert not outside[0]
    comparison, _ = compare_with_benchmark(
        **_intervals(), benchmark=0.5, polarity="high", n=[9, 9, 9, 9, 9], min_n=5
    )
    assert comparison[0] == "better"


def test_compare_with_benchmark_per_row_and_missing_benchmarks() -> None:
    comparison, _ = compare_with_benchmark(
        [0.1, 0.1], [0.2, 0.2], [0.05, 0.05], [0.25, 0.25], [0.15, np.nan], "high"
    )
    assert list(comparison) == ["similar", "not compared"]


def test_compare_with_benchmark_rejects_polarity() -> None:
    with pytest.raises(ValueError, match='polarity must be "high" or "low"'):
        compare_with_benchmark(0.1, 0.2, 0.05, 0.25, 0.15, "up")


def test_compare_with_benchmark_rejects_negative_min_n() -> None:
    with pytest.raises(ValueError, match="min_n must be a number greater than or equal to 0"):
        compare_with_benchmark(0.1, 0.2, 0.05, 0.25, 0.15, "high", min_n=-1)


def test_compare_with_benchmark_rejects_negative_n() -> None:
    with pytest.raises(ValueError, match="n must be greater than or equal to 0"):
        compare_with_benchmark(0.1, 0.2, 0.05, 0.25, 0.15, "high", n=-3)


def test_compare_with_benchmark_rejects_reversed_limits() -> None:
    with pytest.raises(ValueError, match="lower95 must be less than or equal to upper95"):
        compare_with_benchmark(0.3, 0.2, 0.05, 0.35, 0.15, "high")


def test_compare_with_benchmark_rejects_narrow_998_interval() -> None:
    with pytest.raises(ValueError, match=r"the 99\.8% interval .* must contain the 95% interval"):
        compare_with_benchmark(0.1, 0.2, 0.12, 0.25, 0.15, "high")


def test_compare_with_benchmark_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="limits, benchmark and n must have compatible shapes"):
        compare_with_benchmark([0.1, 0.1], [0.2, 0.2, 0.2], 0.05, 0.25, 0.15, "high")


# --------------------------------------------------------------------------------------
# trend tests
# --------------------------------------------------------------------------------------


def test_trend_proportions_hand_checked() -> None:
    # x = 10, 20, 30 of 100 each, scores 0, 1, 2. X = 60, N = 300, P = 0.2.
    # Sxx = 500 - 300²/300 = 200; Sxy = 80 - 60*300/300 = 20.
    # chi² = 20² / (0.2 * 0.8 * 200) = 12.5; slope = 20/200 = 0.1
    result = trend_test_proportions([10, 20, 30], [100, 100, 100])
    assert result.statistic == pytest.approx(12.5, abs=1e-12)
    assert result.p_value == pytest.approx(stats.chi2.sf(12.5, 1), rel=1e-12)
    assert result.p_value == pytest.approx(0.000407, abs=1e-6)
    assert result.slope == pytest.approx(0.1)
    assert result.direction == "increasing"
    assert result.periods == 3


def _expand(x: list[int], n: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Individual-level data: one row per person, period score and 0/1 outcome."""
    score = np.concatenate([np.full(ni, i, dtype=float) for i, ni in enumerate(n)])
    outcome = np.concatenate(
        [np.r_[np.ones(xi), np.zeros(ni - xi)] for xi, ni in zip(x, n, strict=True)]
    )
    return score, outcome


@pytest.mark.parametrize(
    ("x", "n"),
    [
        ([15, 22, 19, 31, 35], [80, 90, 70, 85, 88]),
        ([40, 38, 30, 25], [100, 120, 110, 105]),
        ([5, 6, 5, 7, 5, 6], [50, 50, 50, 50, 50, 50]),
    ],
)
def test_trend_proportions_equals_n_r_squared_on_expanded_data(x: list[int], n: list[int]) -> None:
    # Cochran-Armitage chi-square = N r², r the Pearson correlation of 0/1 outcome with score
    # over all individuals (Armitage 1955); the regression slope is the trend in proportion.
    score, outcome = _expand(x, n)
    fit = stats.linregress(score, outcome)
    expected_stat = len(score) * fit.rvalue**2
    result = trend_test_proportions(x, n)
    assert result.statistic == pytest.approx(expected_stat, rel=1e-9)
    assert result.p_value == pytest.approx(stats.chi2.sf(expected_stat, 1), rel=1e-9)
    assert result.slope == pytest.approx(fit.slope, rel=1e-9)


def test_trend_proportions_decreasing_and_not_significant() -> None:
    assert trend_test_proportions([40, 38, 30, 25], [100, 120, 110, 105]).direction == "decreasing"
    flat = trend_test_proportions([5, 6, 5, 7, 5, 6], [50] * 6)
    assert flat.direction == "no significant trend"
    assert flat.p_value > 0.05


def test_trend_proportions_confidence_changes_the_verdict() -> None:
    # 10/100 then 20/100: with two periods the trend chi² is Pearson's chi² for the 2x2
    # table, 3.921569 (see test_equity_gap_two_groups_hand_checked), p = 0.0477:
    # significant at 95% but not at 99.8%.
    result = trend_test_proportions([10, 20], [100, 100])
    assert result.statistic == pytest.approx(200 * 1000**2 / (30 * 170 * 100 * 100))
    assert result.direction == "increasing"
    strict = trend_test_proportions([10, 20], [100, 100], confidence=0.998)
    assert strict.direction == "no significant trend"


def test_trend_proportions_drops_missing_periods_and_keeps_scores() -> None:
    with_gap = trend_test_proportions([10, np.nan, 30], [100, 100, 100])
    explicit = trend_test_proportions([10, 30], [100, 100], scores=[0, 2])
    assert with_gap.periods == 2
    assert with_gap.statistic == pytest.approx(explicit.statistic)
    assert with_gap.slope == pytest.approx(0.1)


def test_trend_proportions_undefined_cases() -> None:
    single = trend_test_proportions([5, np.nan], [10, 10])
    assert math.isnan(single.statistic) and single.direction == "no significant trend"
    none = trend_test_proportions([0, 0, 0], [10, 10, 10])
    assert math.isnan(none.p_value) and none.slope == 0.0
    same_score = trend_test_proportions([1, 2], [10, 10], scores=[1, 1])
    assert math.isnan(same_score.statistic)


def test_trend_proportions_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="x, n must have the same length"):
        trend_test_proportions([1, 2], [10, 10, 10])


def test_trend_proportions_rejects_negative_x() -> None:
    with pytest.raises(ValueError, match="x must be greater than or equal to 0"):
        trend_test_proportions([-1, 2], [10, 10])


def test_trend_proportions_rejects_negative_n() -> None:
    with pytest.raises(ValueError, match="n must be greater than or equal to 0"):
        trend_test_proportions([0, 2], [-10, 10])


def test_trend_proportions_rejects_x_above_n() -> None:
    with pytest.raises(ValueError, match="x must be less than or equal to n"):
        trend_test_proportions([11, 2], [10, 10])


def test_trend_proportions_rejects_two_dimensional_input() -> None:
    with pytest.raises(ValueError, match="x must be one-dimensional"):
        trend_test_proportions([[1, 2]], [[10, 10]])


def test_trend_proportions_rejects_bad_scores() -> None:
    with pytest.raises(ValueError, match="scores must have one value per period"):
        trend_test_proportions([1, 2], [10, 10], scores=[0, 1, 2])
    with pytest.raises(ValueError, match="scores must not be missing"):
        trend_test_proportions([1, 2], [10, 10], scores=[0, np.nan])


def test_trend_proportions_rejects_bad_confidence() -> None:
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        trend_test_proportions([1, 2], [10, 10], confidence=95)


def test_trend_means_hand_checked() -> None:
    # Equal weights n/sd² = 4/4 = 1; scores 0,1,2 (mean 1); means 10,11,12 (mean 11).
    # slope = (1*1 + 1*1) / 2 = 1; SE = 1/sqrt(2); chi² = 1 * 2 = 2.
    result = trend_test_means([10, 11, 12], [2, 2, 2], [4, 4, 4])
    assert result.slope == pytest.approx(1.0)
    assert result.statistic == pytest.approx(2.0)
    assert result.p_value == pytest.approx(stats.chi2.sf(2.0, 1))
    assert result.direction == "no significant trend"


def test_trend_means_matches_weighted_least_squares_by_matrix_algebra() -> None:
    means = np.array([3.1, 3.3, 3.2, 3.6, 3.8])
    sds = np.array([1.0, 1.2, 0.9, 1.1, 1.0])
    ns = np.array([120, 90, 150, 110, 130])
    w = ns / sds**2
    design = np.column_stack([np.ones(5), np.arange(5.0)])
    xtwx = design.T @ (w[:, None] * design)
    beta = np.linalg.solve(xtwx, design.T @ (w * means))
    se_slope = math.sqrt(np.linalg.inv(xtwx)[1, 1])
    z = beta[1] / se_slope
    result = trend_test_means(means, sds, ns)
    assert result.slope == pytest.approx(beta[1], rel=1e-10)
    assert result.statistic == pytest.approx(z**2, rel=1e-10)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-8)
    assert result.direction == "increasing"


def test_trend_means_decreasing_and_skips_unusable_periods() -> None:
    result = trend_test_means(
        [5.0, 4.5, np.nan, 4.0, 3.5, 9.9], [1, 1, 1, 1, 0, 1], [100, 100, 100, 100, 100, 1]
    )
    # periods 2 (missing), 4 (sd 0) and 5 (n 1) are left out
    assert result.periods == 3
    assert result.direction == "decreasing"
    empty = trend_test_means([1.0], [1.0], [10])
    assert math.isnan(empty.statistic)


def test_trend_means_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="means, sds, ns must have the same length"):
        trend_test_means([1, 2], [1, 1], [10])


def test_trend_means_rejects_negative_sds() -> None:
    with pytest.raises(ValueError, match="sds must be greater than or equal to 0"):
        trend_test_means([1, 2], [1, -1], [10, 10])


def test_trend_means_rejects_negative_ns() -> None:
    with pytest.raises(ValueError, match="ns must be greater than or equal to 0"):
        trend_test_means([1, 2], [1, 1], [10, -10])


# --------------------------------------------------------------------------------------
# equity
# --------------------------------------------------------------------------------------


def test_equity_gap_two_groups_hand_checked() -> None:
    # 10/100 vs 20/100: chi² = N(ad - bc)² / (r1 r2 c1 c2)
    #   = 200 * (10*80 - 20*90)² / (30 * 170 * 100 * 100) = 3.921569
    result = equity_gap_test([10, 20], [100, 100])
    assert result.statistic == pytest.approx(200 * 1000**2 / (30 * 170 * 100 * 100))
    assert result.dof == 1
    assert result.gap == pytest.approx(0.1)
    assert (result.highest, result.lowest) == (1, 0)
    assert result.significant  # p = 0.0477
    # equals the squared two-proportion z statistic (no continuity correction)
    z = 0.1 / math.sqrt(0.15 * 0.85 * (1 / 100 + 1 / 100))
    assert result.statistic == pytest.approx(z**2)


def test_equity_gap_matches_chi2_contingency_and_skips_missing_groups() -> None:
    x = [30, np.nan, 45, 20, 0]
    n = [100, 100, 120, 90, 0]
    result = equity_gap_test(x, n)
    expected = stats.chi2_contingency(np.array([[30, 45, 20], [70, 75, 70]]), correction=False)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.dof == 2
    assert result.groups == 3
    assert result.highest == 2  # 45/120 = 0.375
    assert result.lowest == 3  # 20/90 = 0.222
    assert result.gap == pytest.approx(45 / 120 - 20 / 90)


def test_equity_gap_undefined_cases() -> None:
    none = equity_gap_test([0, 0], [10, 20])
    assert math.isnan(none.statistic) and not none.significant and none.gap == 0
    one = equity_gap_test([3, np.nan], [10, 10])
    assert math.isnan(one.p_value) and one.groups == 1 and one.highest == 0
    empty = equity_gap_test([np.nan], [np.nan])
    assert empty.highest is None and math.isnan(empty.gap)


def test_equity_gap_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="x, n must have the same length"):
        equity_gap_test([1], [10, 10])


def test_equity_gap_rejects_negative_x() -> None:
    with pytest.raises(ValueError, match="x must be greater than or equal to 0"):
        equity_gap_test([-1, 1], [10, 10])


def test_equity_gap_rejects_negative_n() -> None:
    with pytest.raises(ValueError, match="n must be greater than or equal to 0"):
        equity_gap_test([0, 1], [-10, 10])


def test_equity_gap_rejects_x_above_n() -> None:
    with pytest.raises(ValueError, match="x must be less than or equal to n"):
        equity_gap_test([20, 1], [10, 10])


def test_equity_gap_rejects_bad_confidence() -> None:
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        equity_gap_test([1, 2], [10, 10], confidence=0)


def test_equity_gap_means_matches_f_oneway_on_raw_data() -> None:
    rng = np.random.default_rng(11)
    groups = [rng.normal(loc, 2.0, size) for loc, size in [(10, 12), (11.5, 20), (9.0, 7)]]
    expected = stats.f_oneway(*groups)
    result = equity_gap_test_means(
        [g.mean() for g in groups], [g.std(ddof=1) for g in groups], [len(g) for g in groups]
    )
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-8)
    assert (result.dof, result.dof_within) == (2, 36)
    assert result.highest == 1 and result.lowest == 2
    assert result.gap == pytest.approx(groups[1].mean() - groups[2].mean())
    assert result.significant == (expected.pvalue < 0.05)


def test_equity_gap_means_group_of_one_and_missing_groups() -> None:
    raw = [np.array([1.0, 2.0, 3.0]), np.array([4.0, 6.0]), np.array([8.0])]
    expected = stats.f_oneway(*raw)
    result = equity_gap_test_means(
        [2.0, 5.0, 8.0, np.nan], [1.0, math.sqrt(2), np.nan, 1.0], [3, 2, 1, 5]
    )
    assert result.groups == 3
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)


def test_equity_gap_means_undefined_cases() -> None:
    no_spread = equity_gap_test_means([1.0, 2.0], [0.0, 0.0], [5, 5])
    assert math.isnan(no_spread.statistic) and not no_spread.significant
    too_small = equity_gap_test_means([1.0, 2.0], [np.nan, np.nan], [1, 1])
    assert math.isnan(too_small.p_value) and too_small.dof_within == 0


def test_equity_gap_means_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="means, sds, ns must have the same length"):
        equity_gap_test_means([1, 2], [1], [5, 5])


def test_equity_gap_means_rejects_negative_sds() -> None:
    with pytest.raises(ValueError, match="sds must be greater than or equal to 0"):
        equity_gap_test_means([1, 2], [1, -1], [5, 5])


def test_equity_gap_means_rejects_negative_ns() -> None:
    with pytest.raises(ValueError, match="ns must be greater than or equal to 0"):
        equity_gap_test_means([1, 2], [1, 1], [5, -5])


# --------------------------------------------------------------------------------------
# paired change
# --------------------------------------------------------------------------------------


def test_paired_change_matches_ttest_rel_and_t_interval() -> None:
    first = np.array([3, 4, 2, 5, 3, 4, 3, 2, 4, 3], dtype=float)
    latest = np.array([4, 4, 3, 5, 4, 3, 5, 3, 4, 4], dtype=float)
    d = latest - first
    result = paired_change(first, latest)
    ttest = stats.ttest_rel(latest, first)
    sem = d.std(ddof=1) / math.sqrt(len(d))
    ci95 = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=sem)
    ci998 = stats.t.interval(0.998, len(d) - 1, loc=d.mean(), scale=sem)
    assert result.n == 10
    assert result.mean_change == pytest.approx(0.6)
    assert result.sd_change == pytest.approx(d.std(ddof=1))
    assert (result.lower95, result.upper95) == pytest.approx(ci95)
    assert (result.lower998, result.upper998) == pytest.approx(ci998)
    assert result.p_value == pytest.approx(ttest.pvalue)
    # changes: +1 x6, 0 x3, -1 x1
    assert (result.share_better, result.share_same, result.share_worse) == pytest.approx(
        (0.6, 0.3, 0.1)
    )


def test_paired_change_low_polarity_and_missing_pairs() -> None:
    result = paired_change([5, 5, np.nan, 5], [3, 6, 1, np.nan], polarity="low")
    assert result.n == 2
    assert result.mean_change == pytest.approx(-0.5)
    assert result.share_better == 0.5 and result.share_worse == 0.5 and result.share_same == 0


def test_paired_change_too_few_pairs() -> None:
    none = paired_change([np.nan], [1])
    assert none.n == 0 and math.isnan(none.mean_change) and math.isnan(none.share_better)
    one = paired_change([1], [3])
    assert one.n == 1 and one.mean_change == 2 and math.isnan(one.lower95)
    assert one.share_better == 1.0
    constant = paired_change([1, 2], [2, 3])
    assert math.isnan(constant.p_value) and constant.lower95 == pytest.approx(1.0)


def test_paired_change_rejects_polarity() -> None:
    with pytest.raises(ValueError, match='polarity must be "high" or "low"'):
        paired_change([1], [2], polarity="higher")


def test_paired_change_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="first, latest must have the same length"):
        paired_change([1, 2], [2])


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------

denominators = st.integers(min_value=1, max_value=10**7)
fractions = st.floats(min_value=0, max_value=1, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(n=denominators, share=fractions)
def test_property_wilson_contains_observed_and_nests(n: int, share: float) -> None:
    x = min(float(n), share * n)
    lo95, up95 = wilson_interval(x, n, 0.95)
    lo998, up998 = wilson_interval(x, n, 0.998)
    p = x / n
    assert 0.0 <= lo998 <= lo95 <= p + 1e-12
    assert p - 1e-12 <= up95 <= up998 <= 1.0


@settings(max_examples=200, deadline=None)
@given(p=fractions, n=st.floats(min_value=0.5, max_value=1e8))
def test_property_funnel_limits_within_zero_one_and_nested(p: float, n: float) -> None:
    lo95, up95 = funnel_limits_proportion(p, n, 0.95)
    lo998, up998 = funnel_limits_proportion(p, n, 0.998)
    assert 0.0 <= lo998 <= lo95 <= p + 1e-12
    assert p - 1e-12 <= up95 <= up998 <= 1.0


@settings(max_examples=200, deadline=None)
@given(x=st.floats(min_value=0, max_value=1e6))
def test_property_byars_brackets_count(x: float) -> None:
    lo, up = byars_interval(x, 0.95)
    lo998, up998 = byars_interval(x, 0.998)
    assert up >= x and up998 >= up
    if not np.isnan(lo998):
        assert lo998 <= lo <= x


@settings(max_examples=200, deadline=None)
@given(n=denominators, share=fractions, benchmark=fractions)
def test_property_benchmark_similar_iff_inside_95(n: int, share: float, benchmark: float) -> None:
    x = min(float(n), share * n)
    lo95, up95 = wilson_interval(x, n, 0.95)
    lo998, up998 = wilson_interval(x, n, 0.998)
    comparison, outside = compare_with_benchmark(lo95, up95, lo998, up998, benchmark, "high")
    inside = bool(lo95 <= benchmark <= up95)
    assert (comparison.item() == "similar") == inside
    if outside.item():
        assert comparison.item() != "similar"


def test_mean_zero_p_value_is_scipys_one_sample_t_test() -> None:
    from scipy import stats as scipy_stats

    from kpi.stats import mean_zero_p_value

    rng = np.random.default_rng(3)
    groups = [rng.normal(0.4, 2.0, size) for size in (5, 12, 40)]
    means = [g.mean() for g in groups]
    sds = [g.std(ddof=1) for g in groups]
    expected = [scipy_stats.ttest_1samp(g, 0.0).pvalue for g in groups]
    got = mean_zero_p_value(means, sds, [len(g) for g in groups])
    assert got == pytest.approx(expected)
    # Undefined without spread or with one value.
    assert np.isnan(mean_zero_p_value([1.0, 1.0], [0.0, np.nan], [5, 1])).all()


# ---------------------------------------------------------------------------
# Fingertips' recent trend (the board's trend marker)
# ---------------------------------------------------------------------------
def _chi_square_for_trend(x: list[int], n: list[int]) -> float:
    """N r^2 over the individuals (Armitage 1955), from scipy's correlation."""
    y = np.concatenate([[1] * a + [0] * (b - a) for a, b in zip(x, n)])
    t = np.concatenate([[i] * b for i, b in enumerate(n)])
    return len(y) * stats.pearsonr(t, y).statistic ** 2


def test_recent_trend_uses_the_last_five_points_at_998() -> None:
    # Eight quarters, the first three far lower: over eight the rise is clear at 95%;
    # over the last five (40, 41, 44, 45, 48 of 200) p is about 0.24: no trend.
    x, n = [10, 12, 14, 40, 41, 44, 45, 48], [200] * 8
    assert trend_test_proportions(x, n).direction == "increasing"
    recent = ks.recent_trend("proportions", x, n)
    assert recent.periods == 5 and recent.direction == "no significant trend"
    expected = stats.chi2.sf(_chi_square_for_trend(x[-5:], n[-5:]), 1)
    assert recent.p_value == pytest.approx(expected, rel=1e-9)
    # Significant at 95% but not at 99.8% (p about 0.01): no trend either.
    x = [40, 44, 48, 52, 60]
    p = stats.chi2.sf(_chi_square_for_trend(x, [200] * 5), 1)
    assert 0.002 < p < 0.05
    assert trend_test_proportions(x, [200] * 5).direction == "increasing"
    assert ks.recent_trend("proportions", x, [200] * 5).direction == "no significant trend"
    # A steady rise, p < 0.002, and every slope without one quarter rising: a trend.
    x = [40, 55, 70, 85, 100]
    result = ks.recent_trend("proportions", x, [200] * 5)
    assert result.direction == "increasing"
    assert result.p_value == pytest.approx(
        stats.chi2.sf(_chi_square_for_trend(x, [200] * 5), 1), rel=1e-9)


def test_recent_trend_needs_the_direction_without_any_one_quarter() -> None:
    # Flat, then one quarter far higher: p < 0.002 over five, but without the last
    # quarter the slope falls (60, 58, 56, 54): no recent trend.
    x, n = [60, 58, 56, 54, 150], [300] * 5
    assert trend_test_proportions(x, n, confidence=0.998).direction == "increasing"
    assert trend_test_proportions(x[:4], n[:4]).slope < 0
    assert ks.recent_trend("proportions", x, n).direction == "no significant trend"


def test_recent_trend_is_not_tested_without_five_quarters_and_tests_means() -> None:
    nan = float("nan")
    hidden = ks.recent_trend("proportions", [40, 55, nan, 85, 100], [200, 200, nan, 200, 200])
    assert math.isnan(hidden.p_value) and hidden.direction == "no significant trend"
    # Means: the weighted regression over the last five, at 99.8%.
    means, sds, ns = [20, 20.5, 21, 21.5, 22, 22.5], [3] * 6, [400] * 6
    result = ks.recent_trend("means", means, sds, ns)
    assert result.direction == "increasing" and result.periods == 5
    assert result.slope == pytest.approx(0.5)
    with pytest.raises(ValueError, match="proportions"):
        ks.recent_trend("counts", [1], [2])
