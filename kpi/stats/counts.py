"""Counts: Byars' approximation to the Poisson interval.

Reference: Breslow NE, Day NE (1987) Statistical Methods in Cancer Research Vol. II
(IARC No. 82); PHEindicatormethods ``byars_lower`` / ``byars_upper``.
"""

from __future__ import annotations

import numpy as np

from kpi.stats._args import ArrayLike, numbers
from kpi.stats.normal import z_for


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
    x_arr = numbers("x", x, minimum=0)
    with np.errstate(all="ignore"):
        bracket = 1.0 - 1.0 / (9.0 * x_arr) - z / (3.0 * np.sqrt(x_arr))
        lower = np.where(bracket >= 0, x_arr * bracket**3, np.nan)
        upper = (x_arr + 1.0) * (
            1.0 - 1.0 / (9.0 * (x_arr + 1.0)) + z / (3.0 * np.sqrt(x_arr + 1.0))
        ) ** 3
    lower = np.where(x_arr == 0, 0.0, lower)
    lower = np.where(np.isnan(x_arr), np.nan, lower)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
