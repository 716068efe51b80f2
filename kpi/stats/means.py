"""Means: Student's t intervals, from raw summaries or from SQL moments, and the
one-sample t-test of a zero mean.

References: Student (1908) Biometrika 6:1-25; Chan, Golub and LeVeque (1983) Am Stat
37:242-247; PHEindicatormethods ``phe_mean``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi.stats._args import ArrayLike, check_confidence, index_of, numbers


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
    from scipy import special  # here, not at the top: 0.2 s to import; ingest never needs it
    confidence = check_confidence(confidence)
    mean_arr = numbers("mean", mean)
    sd_arr = numbers("sd", sd, minimum=0)
    n_arr = numbers("n", n, minimum=0)
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
    n_arr = numbers("n", n, minimum=0)
    total_arr = numbers("total", total)
    sq_arr = numbers("total_sq", total_sq, minimum=0)
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
    index = index_of(n)
    if index is not None and len(index) != len(data["value"]):
        index = None
    return pd.DataFrame(data, index=index)


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
    from scipy import special  # here, not at the top: 0.2 s to import; ingest never needs it
    m, s, k = (numbers(name, v) for name, v in (("mean", mean), ("sd", sd), ("n", n)))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = m / (s / np.sqrt(k))
        p = 2.0 * special.stdtr(k - 1, -np.abs(t))
    return np.where((k >= 2) & (s > 0), p, np.nan)
