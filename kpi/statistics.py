"""Indicator statistics: intervals, funnel limits, benchmarking, trend and equity tests.

Pure functions on numbers (numpy and scipy only; never streamlit or duckdb), modelled on
DHSC's PHStatsMethods and the PHEindicatormethods R package, whose methods produce the
indicators published on England's Fingertips profiles. The project's golden tests check
these functions against that package's own test data.

Conventions, for every function here:

* Arguments are validated first; an invalid argument raises ``ValueError`` with a
  message naming the argument and the rule it breaks.
* Numeric arguments may be scalars, sequences, numpy arrays or pandas Series (nullable
  pandas dtypes included). Results are numpy arrays of the broadcast shape (0-d for
  scalar inputs) or, where documented, a pandas DataFrame or a small frozen dataclass.
* A missing input (NaN, ``None`` or ``pd.NA``) gives a missing result, never an error.
* Proportions are on the 0-1 scale; multiply by 100 for percentages.
* Confidence levels are two-sided and written as fractions: 0.95 and 0.998 (the 95%
  "2 sigma" and 99.8% "3 sigma" levels used by Fingertips).

References
----------
.. [1] Wilson EB. Probable inference, the law of succession, and statistical inference.
   J Am Stat Assoc. 1927;22:209-212.
.. [2] Newcombe RG. Two-sided confidence intervals for the single proportion: comparison
   of seven methods. Stat Med. 1998;17:857-872.
.. [3] Public Health England. Technical Guide: Confidence Intervals. Fingertips guidance,
   https://fingertips.phe.org.uk/profile/guidance
.. [4] Breslow NE, Day NE. Statistical Methods in Cancer Research, Volume II: The Design
   and Analysis of Cohort Studies. IARC Scientific Publications No. 82; 1987 (Byars'
   approximation to the Poisson interval).
.. [5] Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med.
   2005;24:1185-1202.
.. [6] Armitage P. Tests for linear trends in proportions and frequencies. Biometrics.
   1955;11:375-386. Cochran WG. Some methods for strengthening the common chi-squared
   tests. Biometrics. 1954;10:417-451.
.. [7] PHEindicatormethods R package (UKHSA / PHE), functions ``phe_proportion``,
   ``phe_mean``, ``byars_lower``, ``byars_upper``, ``phe_funnels``,
   ``phe_funnel_significance``. https://github.com/ukhsa-collaboration/PHEindicatormethods
.. [8] Department of Health and Social Care. PHStatsMethods (Python package).
   https://github.com/dhsc-govuk/PHStatsMethods
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

__all__ = [
    "EquityResult",
    "PairedChange",
    "TrendResult",
    "FUNNEL_LABELS",
    "FUNNEL_POSITIONS",
    "byars_interval",
    "compare_with_benchmark",
    "equity_gap_test",
    "equity_gap_test_means",
    "funnel_limits_proportion",
    "funnel_position",
    "funnel_significance",
    "mean_zero_p_value",
    "mean_intervals_from_moments",
    "paired_change",
    "proportion_with_intervals",
    "t_interval",
    "trend_test_means",
    "trend_test_proportions",
    "wilson_interval",
    "z_for",
]

ArrayLike = Any  # scalar, sequence, numpy array or pandas Series of numbers

#: Funnel significance labels, exactly as ``phe_funnel_significance`` writes them.
FUNNEL_LABELS: tuple[str, ...] = (
    "High (0.001)",
    "High (0.025)",
    "Not significant",
    "Low (0.025)",
    "Low (0.001)",
)

#: Plain-words funnel positions returned by :func:`funnel_position`, same order.
FUNNEL_POSITIONS: tuple[str, ...] = (
    "above 99.8% limit",
    "above 95% limit",
    "within limits",
    "below 95% limit",
    "below 99.8% limit",
)

_POLARITIES = ("high", "low")


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _as_float(name: str, value: ArrayLike) -> np.ndarray:
    """Convert ``value`` to a float array; missing values become NaN; infinities fail."""
    if value is None:
        raise ValueError(f"{name} is required")
    try:
        if isinstance(value, pd.Series | pd.Index):
            arr = value.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric") from exc
    if np.any(np.isinf(arr)):
        raise ValueError(f"{name} must be finite (NaN is allowed for missing values)")
    return arr


def _as_1d(name: str, value: ArrayLike) -> np.ndarray:
    arr = _as_float(name, value)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return arr


def _same_length(**arrays: np.ndarray) -> None:
    names = list(arrays)
    first = arrays[names[0]]
    for name in names[1:]:
        if arrays[name].shape != first.shape:
            raise ValueError(f"{', '.join(names)} must have the same length")


def _check_confidence(confidence: float) -> float:
    numeric = int | float | np.integer | np.floating
    if isinstance(confidence, bool) or not isinstance(confidence, numeric):
        raise ValueError("confidence must be a number between 0 and 1 (exclusive)")
    confidence = float(confidence)
    if not (0.0 < confidence < 1.0):
        raise ValueError(
            f"confidence must be between 0 and 1 (exclusive), e.g. 0.95; got {confidence}"
        )
    return confidence


def _check_polarity(polarity: str) -> str:
    if polarity not in _POLARITIES:
        raise ValueError(f'polarity must be "high" or "low"; got {polarity!r}')
    return polarity


def _index_of(value: ArrayLike) -> pd.Index | None:
    return value.index if isinstance(value, pd.Series) else None


# --------------------------------------------------------------------------------------
# normal quantile
# --------------------------------------------------------------------------------------


def z_for(confidence: float) -> float:
    """Two-sided standard normal quantile for a confidence level.

    Parameters
    ----------
    confidence : float
        Two-sided confidence level as a fraction, strictly between 0 and 1.

    Returns
    -------
    float
        ``z`` such that ``P(-z < Z < z) = confidence`` for a standard normal ``Z``:
        1.959964 for 0.95 and 3.090232 for 0.998.

    Raises
    ------
    ValueError
        If ``confidence`` is not a number strictly between 0 and 1.

    References
    ----------
    PHE, "Technical Guide: Confidence Intervals" (Fingertips guidance).
    """
    return _z(_check_confidence(confidence))


@functools.lru_cache(maxsize=64)
def _z(confidence: float) -> float:
    # Why cached: every interval asks for z at 95% or 99.8%, and scipy's ppf costs
    # far more than the interval arithmetic itself (pages compute hundreds a rerun).
    return float(special.ndtri(0.5 + confidence / 2.0))


# --------------------------------------------------------------------------------------
# proportions
# --------------------------------------------------------------------------------------


def _wilson_roots(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson limits without cancellation.

    The limits are the roots of ``(n + z²)q² - (2x + z²)q + x²/n = 0``. The upper root
    ``centre + half`` is a sum of positive terms; the lower root is the product of the
    roots, ``x² / (n (n + z²))``, divided by the upper root.
    """
    z2 = z * z
    centre = (x + z2 / 2.0) / (n + z2)
    half = z * np.sqrt(np.maximum(x * (1.0 - x / n), 0.0) + z2 / 4.0) / (n + z2)
    upper = centre + half
    lower = x * x / (n * (n + z2) * upper)
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


def wilson_interval(
    x: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score confidence interval for a proportion.

    With ``z`` the two-sided normal quantile, the limits are

    .. math:: \\frac{2x + z^2 \\mp z\\sqrt{z^2 + 4x(1 - x/n)}}{2(n + z^2)}

    computed without cancellation (the limit nearer 0 from the product of the two roots
    of the Wilson quadratic; for ``x > n/2`` via the mirror image ``n - x``).
    The lower limit is exactly 0 when ``x == 0`` and the upper limit exactly 1 when
    ``x == n``.

    Parameters
    ----------
    x : array_like
        Numerators (events). Need not be whole numbers (e.g. weighted counts).
    n : array_like
        Denominators. ``n == 0`` gives NaN limits.
    confidence : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits as proportions (0-1), broadcast shape of ``x`` and ``n``. NaN where ``x``
        or ``n`` is missing or ``n == 0``.

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1, if any ``x`` or ``n`` is
        negative or infinite, or if any ``x`` exceeds its ``n``.

    References
    ----------
    Wilson EB (1927); Newcombe RG (1998), method 3; PHE "Technical Guide: Confidence
    Intervals"; PHEindicatormethods ``wilson_lower`` / ``wilson_upper``.
    """
    z = z_for(confidence)
    x_arr = _as_float("x", x)
    n_arr = _as_float("n", n)
    if np.any(x_arr < 0):
        raise ValueError("x must be greater than or equal to 0")
    if np.any(n_arr < 0):
        raise ValueError("n must be greater than or equal to 0")
    x_arr, n_arr = np.broadcast_arrays(x_arr, n_arr)
    if np.any(x_arr > n_arr):
        raise ValueError("x must be less than or equal to n")

    valid = n_arr > 0  # False for NaN too
    with np.errstate(all="ignore"):
        # Work from whichever end is nearer, so limits near 0 and near 1 are both
        # accurate (and nested across confidence levels): the interval for n - x is
        # the mirror image of the interval for x.
        low_side = x_arr <= n_arr / 2.0
        x_near = np.where(low_side, x_arr, n_arr - x_arr)
        lo_near, up_near = _wilson_roots(x_near, n_arr, z)
        lower = np.where(low_side, lo_near, 1.0 - up_near)
        upper = np.where(low_side, up_near, 1.0 - lo_near)
    lower = np.where(x_arr == 0, 0.0, lower)
    upper = np.where(x_arr == n_arr, 1.0, upper)
    lower = np.where(valid, lower, np.nan)
    upper = np.where(valid, upper, np.nan)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def proportion_with_intervals(x: ArrayLike, n: ArrayLike) -> pd.DataFrame:
    """Proportion with Wilson 95% and 99.8% confidence limits.

    Parameters
    ----------
    x : array_like
        Numerators.
    n : array_like
        Denominators (``n == 0`` gives missing results).

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``lower95``, ``upper95``, ``lower998``, ``upper998``, all as
        proportions (0-1); one row per element (a scalar input gives one row). The index
        is ``x``'s index when ``x`` is a pandas Series, else a RangeIndex.

    Raises
    ------
    ValueError
        As :func:`wilson_interval`.

    References
    ----------
    Wilson EB (1927); PHE "Technical Guide: Confidence Intervals"; PHEindicatormethods
    ``phe_proportion``.
    """
    x_arr = _as_float("x", x)
    n_arr = _as_float("n", n)
    lower95, upper95 = wilson_interval(x_arr, n_arr, 0.95)
    lower998, upper998 = wilson_interval(x_arr, n_arr, 0.998)
    x_b, n_b = np.broadcast_arrays(x_arr, n_arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n_b > 0, x_b / n_b, np.nan)
    index = _index_of(x)
    data = {
        "value": np.atleast_1d(value),
        "lower95": np.atleast_1d(lower95),
        "upper95": np.atleast_1d(upper95),
        "lower998": np.atleast_1d(lower998),
        "upper998": np.atleast_1d(upper998),
    }
    if index is not None and len(index) != len(data["value"]):
        index = None
    return pd.DataFrame(data, index=index)


# --------------------------------------------------------------------------------------
# means
# --------------------------------------------------------------------------------------


def t_interval(
    mean: ArrayLike, sd: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Student's t confidence interval for a mean.

    ``mean -/+ t(confidence, n - 1) * sd / sqrt(n)``.

    Parameters
    ----------
    mean : array_like
        Sample means.
    sd : array_like
        Sample standard deviations (denominator ``n - 1``).
    n : array_like
        Sample sizes. ``n < 2`` gives NaN limits (no degrees of freedom).
    confidence : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits, broadcast shape of the inputs; NaN where an input is missing or ``n < 2``.

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1, or any ``sd`` or ``n`` is
        negative, or any input is infinite.

    References
    ----------
    Student (1908) The probable error of a mean. Biometrika 6:1-25; PHE "Technical Guide:
    Confidence Intervals"; PHEindicatormethods ``phe_mean``.
    """
    confidence = _check_confidence(confidence)
    mean_arr = _as_float("mean", mean)
    sd_arr = _as_float("sd", sd)
    n_arr = _as_float("n", n)
    if np.any(sd_arr < 0):
        raise ValueError("sd must be greater than or equal to 0")
    if np.any(n_arr < 0):
        raise ValueError("n must be greater than or equal to 0")
    mean_arr, sd_arr, n_arr = np.broadcast_arrays(mean_arr, sd_arr, n_arr)
    ok = n_arr >= 2
    df = np.where(ok, n_arr - 1.0, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = special.stdtrit(df, 0.5 + confidence / 2.0)
        half = t * sd_arr / np.sqrt(np.where(ok, n_arr, np.nan))
    lower = np.where(ok, mean_arr - half, np.nan)
    upper = np.where(ok, mean_arr + half, np.nan)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def mean_intervals_from_moments(
    n: ArrayLike, total: ArrayLike, total_sq: ArrayLike
) -> pd.DataFrame:
    """Mean, sample SD and t intervals from count, sum and sum of squares.

    This is how aggregates arrive from the SQL engine (``count(v)``, ``sum(v)``,
    ``sum(v*v)``). The sample variance is ``(total_sq - total**2 / n) / (n - 1)``; the
    subtraction can cancel catastrophically when the spread is tiny against the mean, so
    a slightly negative result from rounding is clipped to 0.

    Parameters
    ----------
    n : array_like
        Number of values per group.
    total : array_like
        Sum of the values per group.
    total_sq : array_like
        Sum of the squared values per group.

    Returns
    -------
    pandas.DataFrame
        Columns ``value`` (mean; NaN when ``n == 0``), ``sd`` (NaN when ``n < 2``),
        ``lower95``, ``upper95``, ``lower998``, ``upper998`` (Student's t, NaN when
        ``n < 2``). Index follows ``n`` when it is a pandas Series.

    Raises
    ------
    ValueError
        If any ``n`` or ``total_sq`` is negative, or any input is infinite.

    References
    ----------
    Chan TF, Golub GH, LeVeque RJ. Algorithms for computing the sample variance. Am Stat.
    1983;37:242-247 (on cancellation); PHEindicatormethods ``phe_mean``.
    """
    n_arr = _as_float("n", n)
    total_arr = _as_float("total", total)
    sq_arr = _as_float("total_sq", total_sq)
    if np.any(n_arr < 0):
        raise ValueError("n must be greater than or equal to 0")
    if np.any(sq_arr < 0):
        raise ValueError("total_sq must be greater than or equal to 0")
    n_arr, total_arr, sq_arr = np.broadcast_arrays(n_arr, total_arr, sq_arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n_arr > 0, total_arr / n_arr, np.nan)
        ss = sq_arr - total_arr * mean  # sum of squared deviations
        var = np.where(n_arr >= 2, np.maximum(ss, 0.0) / (n_arr - 1.0), np.nan)
    sd = np.sqrt(var)
    lower95, upper95 = t_interval(mean, sd, n_arr, 0.95)
    lower998, upper998 = t_interval(mean, sd, n_arr, 0.998)
    data = {
        "value": mean,
        "sd": sd,
        "lower95": lower95,
        "upper95": upper95,
        "lower998": lower998,
        "upper998": upper998,
    }
    data = {k: np.atleast_1d(v) for k, v in data.items()}
    index = _index_of(n)
    if index is not None and len(index) != len(data["value"]):
        index = None
    return pd.DataFrame(data, index=index)


# --------------------------------------------------------------------------------------
# counts
# --------------------------------------------------------------------------------------


def byars_interval(x: ArrayLike, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byars' approximation to the exact Poisson confidence interval for a count.

    .. math::

        L = x\\left(1 - \\frac{1}{9x} - \\frac{z}{3\\sqrt{x}}\\right)^3, \\qquad
        U = (x+1)\\left(1 - \\frac{1}{9(x+1)} + \\frac{z}{3\\sqrt{x+1}}\\right)^3

    The lower limit is 0 when ``x == 0``. For very small counts at high confidence the
    bracket in ``L`` is negative (e.g. ``x = 1`` at 99.8%): the approximation has broken
    down and the lower limit is returned as NaN, as in the PHEindicatormethods reference
    data. Fingertips uses exact Poisson limits for counts below 10.

    Parameters
    ----------
    x : array_like
        Observed counts (need not be whole numbers).
    confidence : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits for the count; NaN where ``x`` is missing.

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1 or any ``x`` is negative or
        infinite.

    References
    ----------
    Breslow NE, Day NE (1987), Statistical Methods in Cancer Research Vol. II, p. 69;
    PHE "Technical Guide: Confidence Intervals"; PHEindicatormethods ``byars_lower`` and
    ``byars_upper``.
    """
    z = z_for(confidence)
    x_arr = _as_float("x", x)
    if np.any(x_arr < 0):
        raise ValueError("x must be greater than or equal to 0")
    with np.errstate(all="ignore"):
        bracket = 1.0 - 1.0 / (9.0 * x_arr) - z / (3.0 * np.sqrt(x_arr))
        lower = np.where(bracket >= 0, x_arr * bracket**3, np.nan)
        upper = (x_arr + 1.0) * (
            1.0 - 1.0 / (9.0 * (x_arr + 1.0)) + z / (3.0 * np.sqrt(x_arr + 1.0))
        ) ** 3
    lower = np.where(x_arr == 0, 0.0, lower)
    lower = np.where(np.isnan(x_arr), np.nan, lower)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


# --------------------------------------------------------------------------------------
# funnel plots
# --------------------------------------------------------------------------------------


def _check_pooled(pooled_p: ArrayLike) -> np.ndarray:
    p = _as_float("pooled_p", pooled_p)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("pooled_p must be between 0 and 1")
    return p


def _raw_funnel_limits(p: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(p * (1.0 - p) / n)
    return p - half, p + half


def funnel_limits_proportion(
    pooled_p: ArrayLike, denominators: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Funnel plot control limits for a proportion.

    For a denominator ``n`` the PHE limit is the observed proportion whose Wilson score
    interval just touches the pooled proportion ``p``. The Wilson interval is the set of
    ``p`` not rejected by the score test ``|q - p| <= z * sqrt(p(1 - p)/n)`` at observed
    proportion ``q``, so solving for ``q`` gives the closed form

    .. math:: q_{\\pm} = p \\pm z\\sqrt{p(1 - p)/n},

    clipped to [0, 1]. This is algebraically identical to ``sigma_adjustment`` in
    PHEindicatormethods ``phe_funnels`` (which expands the same quadratic).

    Parameters
    ----------
    pooled_p : array_like
        The average proportion (usually ``sum(x) / sum(n)``), between 0 and 1.
    denominators : array_like
        Denominators at which to draw the limits; must be greater than 0.
    confidence : float, default 0.95
        Two-sided level: 0.95 gives the "2s" limits (0.025 each side), 0.998 the "3s"
        limits (0.001 each side).

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits as proportions in [0, 1]; NaN where a denominator is missing.

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1, ``pooled_p`` is outside
        [0, 1], or any denominator is zero or negative.

    References
    ----------
    Spiegelhalter DJ (2005) Funnel plots for comparing institutional performance, Stat Med
    24:1185-1202; Wilson EB (1927); PHE Fingertips technical guidance; PHEindicatormethods
    ``phe_funnels``.
    """
    z = z_for(confidence)
    p = _check_pooled(pooled_p)
    n = _as_float("denominators", denominators)
    if np.any(n <= 0):
        raise ValueError("denominators must be greater than 0")
    lower, upper = _raw_funnel_limits(p, n, z)
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


def _funnel_levels(
    x: ArrayLike, n: ArrayLike, pooled_p: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray]:
    """Level index into FUNNEL_LABELS per element (-1 where missing) and a missing mask."""
    x_arr = _as_float("x", x)
    n_arr = _as_float("n", n)
    if np.any(x_arr < 0):
        raise ValueError("x must be greater than or equal to 0")
    if np.any(n_arr <= 0):
        raise ValueError("n must be greater than 0")
    x_arr, n_arr = np.broadcast_arrays(x_arr, n_arr)
    if np.any(x_arr > n_arr):
        raise ValueError("x must be less than or equal to n")
    missing = np.isnan(x_arr) | np.isnan(n_arr)
    if pooled_p is None:
        if np.all(missing):
            p = np.array(np.nan)
        else:
            p = np.array(x_arr[~missing].sum() / n_arr[~missing].sum())
    else:
        p = _check_pooled(pooled_p)
    missing = missing | np.broadcast_to(np.isnan(p), x_arr.shape)

    with np.errstate(divide="ignore", invalid="ignore"):
        observed = x_arr / n_arr
    lo3, hi3 = _raw_funnel_limits(p, n_arr, z_for(0.998))
    lo2, hi2 = _raw_funnel_limits(p, n_arr, z_for(0.95))
    # Same precedence as phe_funnel_significance: Low 0.001, Low 0.025, High 0.001,
    # High 0.025, otherwise not significant.
    level = np.select(
        [observed < lo3, observed < lo2, observed > hi3, observed > hi2],
        [4, 3, 0, 1],
        default=2,
    )
    level = np.where(missing, -1, level)
    return np.asarray(level), missing


def _labels(level: np.ndarray, words: Sequence[str]) -> np.ndarray:
    """Map level indices to words; -1 (missing) maps to None."""
    return np.asarray(np.array([*words, None], dtype=object)[level], dtype=object)


def funnel_significance(
    x: ArrayLike, n: ArrayLike, pooled_p: ArrayLike | None = None
) -> np.ndarray:
    """Funnel plot significance labels, as PHEindicatormethods ``phe_funnel_significance``.

    An area is ``Low``/``High`` at a level when its proportion ``x/n`` lies strictly
    below/above that level's funnel limit for its own denominator (see
    :func:`funnel_limits_proportion`); the 99.8% ("0.001") label takes precedence over the
    95% ("0.025") label. Equivalently, the area's Wilson interval excludes ``pooled_p``.

    Parameters
    ----------
    x : array_like
        Numerators.
    n : array_like
        Denominators (greater than 0).
    pooled_p : array_like, optional
        Average proportion to compare against; defaults to ``sum(x) / sum(n)`` over the
        areas where both are present.

    Returns
    -------
    numpy.ndarray of object
        One of ``"High (0.001)"``, ``"High (0.025)"``, ``"Low (0.001)"``,
        ``"Low (0.025)"``, ``"Not significant"`` (see :data:`FUNNEL_LABELS`); ``None``
        where ``x`` or ``n`` is missing.

    Raises
    ------
    ValueError
        If any ``x`` is negative, any ``n`` is not greater than 0, any ``x`` exceeds its
        ``n``, any input is infinite, or ``pooled_p`` is outside [0, 1].

    References
    ----------
    Spiegelhalter DJ (2005); PHE Fingertips technical guidance; PHEindicatormethods
    ``phe_funnel_significance``.
    """
    level, _ = _funnel_levels(x, n, pooled_p)
    return _labels(level, FUNNEL_LABELS)


def funnel_position(x: ArrayLike, n: ArrayLike, pooled_p: ArrayLike | None = None) -> np.ndarray:
    """Funnel plot position in plain words for users.

    Same test as :func:`funnel_significance`, worded for people reading the dashboard:

    ============================ =====================
    ``funnel_significance``      ``funnel_position``
    ============================ =====================
    ``"High (0.001)"``           ``"above 99.8% limit"``
    ``"High (0.025)"``           ``"above 95% limit"``
    ``"Not significant"``        ``"within limits"``
    ``"Low (0.025)"``            ``"below 95% limit"``
    ``"Low (0.001)"``            ``"below 99.8% limit"``
    ============================ =====================

    "above 95% limit" means above the 95% limit but not above the 99.8% limit.

    Parameters
    ----------
    x, n, pooled_p
        As :func:`funnel_significance`.

    Returns
    -------
    numpy.ndarray of object
        Words from :data:`FUNNEL_POSITIONS`; ``None`` where ``x`` or ``n`` is missing.

    Raises
    ------
    ValueError
        As :func:`funnel_significance`.

    References
    ----------
    Spiegelhalter DJ (2005); PHEindicatormethods ``phe_funnel_significance``.
    """
    level, _ = _funnel_levels(x, n, pooled_p)
    return _labels(level, FUNNEL_POSITIONS)


# --------------------------------------------------------------------------------------
# benchmarking
# --------------------------------------------------------------------------------------


def compare_with_benchmark(
    lower95: ArrayLike,
    upper95: ArrayLike,
    lower998: ArrayLike,
    upper998: ArrayLike,
    benchmark: ArrayLike,
    polarity: str,
    n: ArrayLike | None = None,
    min_n: float = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """Compare an indicator's confidence interval with a benchmark (Fingertips style).

    * ``"similar"`` when the benchmark lies inside ``[lower95, upper95]`` (ends included);
    * otherwise ``"better"`` or ``"worse"`` by ``polarity``: with ``"high"`` (high is
      good) an interval entirely above the benchmark is ``"better"`` and entirely below
      is ``"worse"``; ``"low"`` (low is good) reverses this;
    * ``"not compared"`` when a 95% limit or the benchmark is missing, or when ``n`` is
      given and is missing or below ``min_n``.

    Parameters
    ----------
    lower95, upper95 : array_like
        95% confidence limits.
    lower998, upper998 : array_like
        99.8% confidence limits.
    benchmark : array_like
        Benchmark value(s) on the same scale as the limits (e.g. the national value).
    polarity : {"high", "low"}
        Whether a high value is good (``"high"``) or a low value is good (``"low"``).
    n : array_like, optional
        Denominators; rows with ``n < min_n`` are not compared.
    min_n : float, default 10
        Smallest denominator that is compared.

    Returns
    -------
    comparison : numpy.ndarray of str
        ``"better"``, ``"similar"``, ``"worse"`` or ``"not compared"``.
    outside998 : numpy.ndarray of bool
        True where the benchmark lies outside the 99.8% interval (always False for
        ``"not compared"`` rows).

    Raises
    ------
    ValueError
        If ``polarity`` is not ``"high"`` or ``"low"``, ``min_n`` is negative, any ``n`` is
        negative, any ``lower95`` exceeds its ``upper95``, or any 99.8% interval does not
        contain its 95% interval.

    References
    ----------
    PHE Fingertips technical guidance, "Comparing with a benchmark"; PHE "Technical
    Guide: Confidence Intervals".
    """
    _check_polarity(polarity)
    if not isinstance(min_n, int | float | np.integer | np.floating) or min_n < 0:
        raise ValueError("min_n must be a number greater than or equal to 0")
    lo95 = _as_float("lower95", lower95)
    up95 = _as_float("upper95", upper95)
    lo998 = _as_float("lower998", lower998)
    up998 = _as_float("upper998", upper998)
    bench = _as_float("benchmark", benchmark)
    n_arr = None if n is None else _as_float("n", n)
    if n_arr is not None and np.any(n_arr < 0):
        raise ValueError("n must be greater than or equal to 0")
    arrays = [lo95, up95, lo998, up998, bench] + ([] if n_arr is None else [n_arr])
    try:
        arrays = np.broadcast_arrays(*arrays)
    except ValueError as exc:
        raise ValueError("limits, benchmark and n must have compatible shapes") from exc
    lo95, up95, lo998, up998, bench = arrays[:5]
    if np.any(lo95 > up95):
        raise ValueError("lower95 must be less than or equal to upper95")
    if np.any(lo998 > lo95) or np.any(up998 < up95):
        raise ValueError("the 99.8% interval (lower998, upper998) must contain the 95% interval")

    not_compared = np.isnan(lo95) | np.isnan(up95) | np.isnan(bench)
    if n_arr is not None:
        n_b = arrays[5]
        not_compared |= np.isnan(n_b) | (n_b < min_n)
    above = lo95 > bench
    below = up95 < bench
    good, bad = ("better", "worse") if polarity == "high" else ("worse", "better")
    comparison = np.select(
        [not_compared, above, below], ["not compared", good, bad], default="similar"
    ).astype(object)
    outside998 = ~not_compared & ((lo998 > bench) | (up998 < bench))
    return comparison, np.asarray(outside998, dtype=bool)


# --------------------------------------------------------------------------------------
# trend tests
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendResult:
    """Result of a test for linear trend over ordered periods.

    Attributes
    ----------
    statistic : float
        Chi-square statistic on 1 degree of freedom (NaN when the test is undefined).
    p_value : float
        Two-sided p-value (NaN when undefined).
    direction : str
        ``"increasing"``, ``"decreasing"`` or ``"no significant trend"``.
    slope : float
        Estimated change per period (proportion or mean units; NaN when undefined).
    periods : int
        Number of periods used (periods with missing data are left out).
    """

    statistic: float
    p_value: float
    direction: str
    slope: float
    periods: int


def _direction(slope: float, p_value: float, confidence: float) -> str:
    if not math.isnan(p_value) and p_value < 1.0 - confidence and slope != 0:
        return "increasing" if slope > 0 else "decreasing"
    return "no significant trend"


def _scores_for(k: int, scores: ArrayLike | None) -> np.ndarray:
    if scores is None:
        return np.arange(k, dtype=float)
    s = _as_1d("scores", scores)
    if s.shape != (k,):
        raise ValueError("scores must have one value per period")
    if np.any(np.isnan(s)):
        raise ValueError("scores must not be missing")
    return s


def trend_test_proportions(
    x: ArrayLike,
    n: ArrayLike,
    confidence: float = 0.95,
    scores: ArrayLike | None = None,
) -> TrendResult:
    """Chi-square test for linear trend in proportions (Cochran-Armitage).

    With periods scored ``t_i`` (default 0, 1, 2, ...), totals ``X = sum(x)``,
    ``N = sum(n)`` and ``P = X / N``:

    .. math::

        \\chi^2_1 = \\frac{\\left(\\sum x_i t_i - X \\sum n_i t_i / N\\right)^2}
                         {P(1-P)\\left(\\sum n_i t_i^2 - (\\sum n_i t_i)^2 / N\\right)}

    which equals ``N r^2`` with ``r`` the correlation between the 0/1 outcome and the
    period score over all individuals. The slope is the least-squares change in
    proportion per period. Periods with a missing ``x`` or ``n``, or ``n == 0``, are left
    out (the other periods keep their scores).

    Parameters
    ----------
    x : array_like
        Numerators per period, in time order.
    n : array_like
        Denominators per period.
    confidence : float, default 0.95
        A trend is reported as ``"increasing"``/``"decreasing"`` when
        ``p_value < 1 - confidence``.
    scores : array_like, optional
        Period scores (e.g. quarter numbers when a quarter is skipped).

    Returns
    -------
    TrendResult
        ``statistic``, ``p_value``, ``direction``, ``slope``, ``periods``. Statistic and
        p-value are NaN, and the direction ``"no significant trend"``, when fewer than two
        periods remain or there is no variation (all events or none).

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1; ``x`` and ``n`` are not
        one-dimensional with the same length; any ``x`` or ``n`` is negative; any ``x``
        exceeds its ``n``; or ``scores`` has the wrong length or missing values.

    References
    ----------
    Armitage P (1955) Biometrics 11:375-386; Cochran WG (1954) Biometrics 10:417-451;
    Altman DG (1991) Practical Statistics for Medical Research, section 10.7.4.
    """
    confidence = _check_confidence(confidence)
    x_arr = _as_1d("x", x)
    n_arr = _as_1d("n", n)
    _same_length(x=x_arr, n=n_arr)
    if np.any(x_arr < 0):
        raise ValueError("x must be greater than or equal to 0")
    if np.any(n_arr < 0):
        raise ValueError("n must be greater than or equal to 0")
    if np.any(x_arr > n_arr):
        raise ValueError("x must be less than or equal to n")
    t = _scores_for(len(x_arr), scores)

    use = ~np.isnan(x_arr) & ~np.isnan(n_arr) & (n_arr > 0)
    x_u, n_u, t_u = x_arr[use], n_arr[use], t[use]
    periods = int(use.sum())
    nan = float("nan")
    if periods < 2:
        return TrendResult(nan, nan, "no significant trend", nan, periods)
    big_x, big_n = x_u.sum(), n_u.sum()
    p = big_x / big_n
    s_nt = np.sum(n_u * t_u)
    sxx = np.sum(n_u * t_u**2) - s_nt**2 / big_n
    sxy = np.sum(x_u * t_u) - big_x * s_nt / big_n
    if sxx <= 0:
        return TrendResult(nan, nan, "no significant trend", nan, periods)
    slope = float(sxy / sxx)
    if p <= 0 or p >= 1:
        return TrendResult(nan, nan, "no significant trend", slope, periods)
    statistic = float(sxy**2 / (p * (1 - p) * sxx))
    p_value = float(special.chdtrc(1, statistic))
    return TrendResult(statistic, p_value, _direction(slope, p_value, confidence), slope, periods)


def trend_test_means(
    means: ArrayLike,
    sds: ArrayLike,
    ns: ArrayLike,
    confidence: float = 0.95,
    scores: ArrayLike | None = None,
) -> TrendResult:
    """Test for linear trend in means over ordered periods (inverse-variance weighted).

    Method: a weighted least-squares regression of the period means ``m_i`` on the
    period scores ``t_i`` (default 0, 1, 2, ...), with weights ``w_i = n_i / sd_i^2``,
    the inverse of each mean's sampling variance. Treating those variances as known
    (as in a fixed-effect meta-regression), the slope is

    .. math:: b = \\frac{\\sum w_i (t_i - \\bar t_w)(m_i - \\bar m_w)}
                        {\\sum w_i (t_i - \\bar t_w)^2},
              \\qquad \\operatorname{SE}(b) = \\left(\\sum w_i (t_i - \\bar t_w)^2
              \\right)^{-1/2}

    and ``(b / SE(b))^2`` is referred to chi-square on 1 degree of freedom, like the
    proportions test. Periods with a missing value, ``n < 2`` or ``sd <= 0`` (no usable
    variance) are left out.

    Parameters
    ----------
    means, sds, ns : array_like
        Mean, sample standard deviation and count per period, in time order.
    confidence : float, default 0.95
        A trend is reported when ``p_value < 1 - confidence``.
    scores : array_like, optional
        Period scores.

    Returns
    -------
    TrendResult
        ``statistic`` (chi-square, 1 df), ``p_value``, ``direction``, ``slope`` (change in
        mean per period), ``periods``. NaN statistic when fewer than two periods remain or
        all remaining periods share one score.

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1; the inputs are not
        one-dimensional with the same length; any ``sds`` or ``ns`` is negative; or
        ``scores`` has the wrong length or missing values.

    References
    ----------
    Hedges LV, Olkin I (1985) Statistical Methods for Meta-Analysis, ch. 8 (weighted
    regression with known variances); Draper NR, Smith H (1998) Applied Regression
    Analysis, 3rd ed., section 9.2 (weighted least squares).
    """
    confidence = _check_confidence(confidence)
    m = _as_1d("means", means)
    s = _as_1d("sds", sds)
    k = _as_1d("ns", ns)
    _same_length(means=m, sds=s, ns=k)
    if np.any(s < 0):
        raise ValueError("sds must be greater than or equal to 0")
    if np.any(k < 0):
        raise ValueError("ns must be greater than or equal to 0")
    t = _scores_for(len(m), scores)

    use = ~np.isnan(m) & ~np.isnan(s) & ~np.isnan(k) & (k >= 2) & (s > 0)
    periods = int(use.sum())
    nan = float("nan")
    if periods < 2:
        return TrendResult(nan, nan, "no significant trend", nan, periods)
    w = k[use] / s[use] ** 2
    t_u, m_u = t[use], m[use]
    t_bar = np.sum(w * t_u) / np.sum(w)
    m_bar = np.sum(w * m_u) / np.sum(w)
    sxx = np.sum(w * (t_u - t_bar) ** 2)
    if sxx <= 0:
        return TrendResult(nan, nan, "no significant trend", nan, periods)
    slope = float(np.sum(w * (t_u - t_bar) * (m_u - m_bar)) / sxx)
    statistic = float(slope**2 * sxx)
    p_value = float(special.chdtrc(1, statistic))
    return TrendResult(statistic, p_value, _direction(slope, p_value, confidence), slope, periods)


# --------------------------------------------------------------------------------------
# equity (differences between groups)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EquityResult:
    """Result of a test of differences between groups.

    Attributes
    ----------
    statistic : float
        Chi-square (proportions) or F (means) statistic; NaN when undefined.
    p_value : float
        P-value; NaN when undefined.
    dof : float
        Degrees of freedom (between groups, ``k - 1``).
    gap : float
        Highest minus lowest group value (proportion or mean); NaN with no groups.
    highest : int | None
        Position in the input of the group with the highest value.
    lowest : int | None
        Position in the input of the group with the lowest value.
    significant : bool
        ``p_value < 1 - confidence`` (False when the p-value is undefined).
    groups : int
        Number of groups used (groups with missing data are left out).
    dof_within : float | None
        Within-group degrees of freedom (``N - k``) for the F test; None for chi-square.
    """

    statistic: float
    p_value: float
    dof: float
    gap: float
    highest: int | None
    lowest: int | None
    significant: bool
    groups: int
    dof_within: float | None = None


def _extremes(values: np.ndarray, positions: np.ndarray) -> tuple[float, int | None, int | None]:
    if len(values) == 0:
        return float("nan"), None, None
    hi, lo = int(np.argmax(values)), int(np.argmin(values))
    return float(values[hi] - values[lo]), int(positions[hi]), int(positions[lo])


def equity_gap_test(x: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> EquityResult:
    """Chi-square test of homogeneity of proportions across groups, and the gap.

    Builds the 2 x k table (events, non-events) and applies Pearson's chi-square test
    via ``scipy.stats.chi2_contingency`` **without** Yates' continuity correction (so two
    groups give the square of the usual two-proportion z statistic). Groups with a
    missing ``x`` or ``n``, or ``n == 0``, are left out; ``highest`` and ``lowest`` refer
    to positions in the original input.

    Parameters
    ----------
    x : array_like
        Numerators per group.
    n : array_like
        Denominators per group.
    confidence : float, default 0.95
        ``significant`` is ``p_value < 1 - confidence``.

    Returns
    -------
    EquityResult
        ``statistic``, ``p_value``, ``dof`` (``k - 1``), ``gap`` (highest minus lowest
        proportion), ``highest``, ``lowest``, ``significant``, ``groups``. Statistic and
        p-value are NaN when fewer than two groups remain or every group has all or none
        of its members counted (no variation to test).

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1; ``x`` and ``n`` are not
        one-dimensional with the same length; any ``x`` or ``n`` is negative; or any
        ``x`` exceeds its ``n``.

    References
    ----------
    Pearson K (1900) Philos Mag 50:157-175; Altman DG (1991) Practical Statistics for
    Medical Research, section 10.7; ``scipy.stats.chi2_contingency``.
    """
    confidence = _check_confidence(confidence)
    x_arr = _as_1d("x", x)
    n_arr = _as_1d("n", n)
    _same_length(x=x_arr, n=n_arr)
    if np.any(x_arr < 0):
        raise ValueError("x must be greater than or equal to 0")
    if np.any(n_arr < 0):
        raise ValueError("n must be greater than or equal to 0")
    if np.any(x_arr > n_arr):
        raise ValueError("x must be less than or equal to n")
    use = ~np.isnan(x_arr) & ~np.isnan(n_arr) & (n_arr > 0)
    positions = np.flatnonzero(use)
    x_u, n_u = x_arr[use], n_arr[use]
    groups = len(x_u)
    gap, highest, lowest = _extremes(x_u / n_u if groups else x_u, positions)
    nan = float("nan")
    dof = float(groups - 1) if groups else nan
    total_x, total_n = x_u.sum(), n_u.sum()
    if groups < 2 or total_x <= 0 or total_x >= total_n:
        return EquityResult(nan, nan, dof, gap, highest, lowest, False, groups)
    table = np.vstack([x_u, n_u - x_u])
    from scipy.stats import chi2_contingency  # here only: slow to import, rarely needed

    res = chi2_contingency(table, correction=False)
    statistic, p_value = float(res.statistic), float(res.pvalue)
    return EquityResult(
        statistic,
        p_value,
        float(res.dof),
        gap,
        highest,
        lowest,
        bool(p_value < 1.0 - confidence),
        groups,
    )


def equity_gap_test_means(
    means: ArrayLike, sds: ArrayLike, ns: ArrayLike, confidence: float = 0.95
) -> EquityResult:
    """One-way analysis of variance across groups from summary statistics, and the gap.

    With group means ``m_i``, sample SDs ``s_i`` and sizes ``n_i`` (``N = sum n_i``,
    ``k`` groups, grand mean ``M = sum n_i m_i / N``):

    .. math::

        F = \\frac{\\sum n_i (m_i - M)^2 / (k - 1)}{\\sum (n_i - 1) s_i^2 / (N - k)}

    on ``(k - 1, N - k)`` degrees of freedom; identical to ``scipy.stats.f_oneway`` on
    the raw values. Groups with a missing mean or size, ``n < 1``, or (for ``n >= 2``) a
    missing SD are left out; a group of one contributes no within-group variance.

    Parameters
    ----------
    means, sds, ns : array_like
        Mean, sample standard deviation and count per group.
    confidence : float, default 0.95
        ``significant`` is ``p_value < 1 - confidence``.

    Returns
    -------
    EquityResult
        ``statistic`` (F), ``p_value``, ``dof`` (``k - 1``), ``dof_within`` (``N - k``),
        ``gap`` (highest minus lowest mean), ``highest``, ``lowest``, ``significant``,
        ``groups``. NaN statistic when fewer than two groups remain, ``N - k < 1``, or
        there is no within-group variation.

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1; the inputs are not
        one-dimensional with the same length; or any ``sds`` or ``ns`` is negative.

    References
    ----------
    Fisher RA (1925) Statistical Methods for Research Workers; Armitage P, Berry G,
    Matthews JNS (2002) Statistical Methods in Medical Research, 4th ed., section 8.1;
    ``scipy.stats.f_oneway``.
    """
    confidence = _check_confidence(confidence)
    m = _as_1d("means", means)
    s = _as_1d("sds", sds)
    k = _as_1d("ns", ns)
    _same_length(means=m, sds=s, ns=k)
    if np.any(s < 0):
        raise ValueError("sds must be greater than or equal to 0")
    if np.any(k < 0):
        raise ValueError("ns must be greater than or equal to 0")
    use = ~np.isnan(m) & ~np.isnan(k) & (k >= 1) & ((k < 2) | ~np.isnan(s))
    positions = np.flatnonzero(use)
    m_u, s_u, k_u = m[use], s[use], k[use]
    groups = len(m_u)
    gap, highest, lowest = _extremes(m_u, positions)
    nan = float("nan")
    dof_b = float(groups - 1) if groups else nan
    big_n = k_u.sum()
    dof_w = float(big_n - groups)
    if groups < 2 or dof_w < 1:
        return EquityResult(nan, nan, dof_b, gap, highest, lowest, False, groups, dof_w)
    grand = np.sum(k_u * m_u) / big_n
    ss_between = float(np.sum(k_u * (m_u - grand) ** 2))
    ss_within = float(np.sum(np.where(k_u >= 2, (k_u - 1) * np.nan_to_num(s_u) ** 2, 0.0)))
    if ss_within <= 0:
        return EquityResult(nan, nan, dof_b, gap, highest, lowest, False, groups, dof_w)
    statistic = (ss_between / dof_b) / (ss_within / dof_w)
    p_value = float(special.fdtrc(dof_b, dof_w, statistic))
    return EquityResult(
        float(statistic),
        p_value,
        dof_b,
        gap,
        highest,
        lowest,
        bool(p_value < 1.0 - confidence),
        groups,
        dof_w,
    )


# --------------------------------------------------------------------------------------
# paired change (same people, two occasions)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedChange:
    """Change between two occasions for the same people.

    Attributes
    ----------
    n : int
        Number of complete pairs.
    mean_change : float
        Mean of ``latest - first`` (in the measure's own direction, whatever the
        polarity); NaN with no pairs.
    sd_change : float
        Sample SD of the changes; NaN with fewer than two pairs.
    lower95, upper95, lower998, upper998 : float
        Student's t limits for the mean change; NaN with fewer than two pairs.
    p_value : float
        Two-sided paired t-test p-value (mean change 0); NaN when undefined (fewer than
        two pairs, or every change identical).
    share_better, share_same, share_worse : float
        Fractions of pairs that got better, stayed the same or got worse (by polarity);
        NaN with no pairs.
    """

    n: int
    mean_change: float
    sd_change: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    p_value: float
    share_better: float
    share_same: float
    share_worse: float


def mean_zero_p_value(mean: ArrayLike, sd: ArrayLike, n: ArrayLike) -> np.ndarray:
    """Two-sided one-sample t-test p-value of a zero mean, from summary statistics.

    ``t = mean / (sd / sqrt(n))`` on ``n - 1`` degrees of freedom; applied to
    latest-minus-first changes it is the paired t-test. NaN where it is undefined
    (fewer than two values, or no spread).

    Parameters
    ----------
    mean, sd, n : array_like
        Mean, sample standard deviation and number of values per group.

    Returns
    -------
    numpy.ndarray
        P-values.

    References
    ----------
    Student (1908) Biometrika 6:1-25; Altman DG (1991) Practical Statistics for Medical
    Research, section 9.5 (paired data).
    """
    m, s, k = (_as_float(name, v) for name, v in (("mean", mean), ("sd", sd), ("n", n)))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = m / (s / np.sqrt(k))
        p = 2.0 * special.stdtr(k - 1, -np.abs(t))
    return np.where((k >= 2) & (s > 0), p, np.nan)


def paired_change(first: ArrayLike, latest: ArrayLike, polarity: str = "high") -> PairedChange:
    """Summarise change per person between a first and a latest measurement.

    Pairs with either value missing are left out. The mean change has Student's t
    limits on ``n - 1`` degrees of freedom (the paired t interval), and the p-value is
    the paired t-test of no mean change.

    Parameters
    ----------
    first : array_like
        Each person's first value.
    latest : array_like
        The same people's latest values, in the same order.
    polarity : {"high", "low"}, default "high"
        ``"high"``: a person is better when ``latest > first``; ``"low"``: when
        ``latest < first``.

    Returns
    -------
    PairedChange
        ``n``, ``mean_change``, ``sd_change``, ``lower95``, ``upper95``, ``lower998``,
        ``upper998``, ``p_value``, ``share_better``, ``share_same``, ``share_worse``.

    Raises
    ------
    ValueError
        If ``polarity`` is not ``"high"`` or ``"low"``, or ``first`` and ``latest`` are
        not one-dimensional with the same length.

    References
    ----------
    Student (1908) Biometrika 6:1-25; Altman DG (1991) Practical Statistics for Medical
    Research, section 9.5 (paired data).
    """
    _check_polarity(polarity)
    a = _as_1d("first", first)
    b = _as_1d("latest", latest)
    _same_length(first=a, latest=b)
    use = ~np.isnan(a) & ~np.isnan(b)
    d = b[use] - a[use]
    n = len(d)
    nan = float("nan")
    if n == 0:
        return PairedChange(0, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan)
    mean = float(d.mean())
    sd = float(d.std(ddof=1)) if n >= 2 else nan
    lo95, up95 = t_interval(mean, sd, n, 0.95)
    lo998, up998 = t_interval(mean, sd, n, 0.998)
    p_value = float(mean_zero_p_value(mean, sd, n)) if n >= 2 else nan
    up, down = float(np.mean(d > 0)), float(np.mean(d < 0))
    better, worse = (up, down) if polarity == "high" else (down, up)
    return PairedChange(
        n=n,
        mean_change=mean,
        sd_change=sd,
        lower95=float(lo95),
        upper95=float(up95),
        lower998=float(lo998),
        upper998=float(up998),
        p_value=p_value,
        share_better=better,
        share_same=float(np.mean(d == 0)),
        share_worse=worse,
    )
