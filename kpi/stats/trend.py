"""Trend over ordered periods: Cochran-Armitage for proportions, weighted regression
for means.

References: Armitage P (1955) Biometrics 11:375-386; Cochran WG (1954) Biometrics
10:417-451; Hedges LV, Olkin I (1985) Statistical Methods for Meta-Analysis, ch. 8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kpi.errors import BadArgument
from kpi.stats._args import ArrayLike, check_confidence, not_above, numbers, same_length


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
    s = numbers("scores", scores, one_d=True)
    if s.shape != (k,):
        raise BadArgument("scores must have one value per period")
    if np.any(np.isnan(s)):
        raise BadArgument("scores must not be missing")
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
    from scipy import special  # here, not at the top: 0.2 s to import; ingest never needs it
    confidence = check_confidence(confidence)
    x_arr = numbers("x", x, one_d=True, minimum=0)
    n_arr = numbers("n", n, one_d=True, minimum=0)
    same_length(x=x_arr, n=n_arr)
    not_above(x_arr, n_arr)
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
    from scipy import special  # here, not at the top: 0.2 s to import; ingest never needs it
    confidence = check_confidence(confidence)
    m = numbers("means", means, one_d=True)
    s = numbers("sds", sds, one_d=True, minimum=0)
    k = numbers("ns", ns, one_d=True, minimum=0)
    same_length(means=m, sds=s, ns=k)
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


RECENT_POINTS = 5
RECENT_CONFIDENCE = 0.998


def recent_trend(
    test: str,
    *columns: ArrayLike,
    points: int = RECENT_POINTS,
    confidence: float = RECENT_CONFIDENCE,
) -> TrendResult:
    """Fingertips' recent trend: the last ``points`` periods, tested at 99.8%, and
    called a trend only when it holds without any one of them.

    The test (``"proportions"``: :func:`trend_test_proportions` on ``x, n``;
    ``"means"``: :func:`trend_test_means` on ``means, sds, ns``) is run on the last
    five periods. It is reported as increasing or decreasing only when all five have
    data, its p-value is below ``1 - confidence``, and each of the five slopes with
    one period left out has the same sign as the slope over all five (so no single
    quarter makes the trend). Otherwise ``"no significant trend"``; with fewer than
    five periods with data the statistic and p-value are NaN (not tested).

    Parameters
    ----------
    test : {"proportions", "means"}
    *columns : array_like
        The test's own arguments, in time order; only the last ``points`` are used.

    Returns
    -------
    TrendResult

    References
    ----------
    Office for Health Improvement and Disparities. Fingertips: recent trends
    (technical guidance: chi-squared test for trend on the most recent five points,
    99.8% level; the direction checked with each point removed in turn).
    """
    run = {"proportions": trend_test_proportions, "means": trend_test_means}.get(test)
    if run is None:
        raise BadArgument('test must be "proportions" or "means"')
    last = [numbers("column", c, one_d=True)[-points:] for c in columns]
    nan = float("nan")
    whole = run(*last, confidence=confidence)
    if whole.periods < points or len(last[0]) < points:
        return TrendResult(nan, nan, "no significant trend", whole.slope, whole.periods)
    if whole.direction == "no significant trend":
        return whole
    scores = np.arange(points, dtype=float)
    for left_out in range(points):
        keep = np.arange(points) != left_out
        part = run(*(c[keep] for c in last), confidence=confidence, scores=scores[keep])
        if not part.slope * whole.slope > 0:
            return TrendResult(whole.statistic, whole.p_value, "no significant trend",
                               whole.slope, whole.periods)
    return whole
