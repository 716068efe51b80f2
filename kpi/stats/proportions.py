"""Proportions: Wilson score intervals (PHE's method for every percentage KHI).

References: Wilson EB (1927) J Am Stat Assoc 22:209-212; Newcombe RG (1998) Stat
Med 17:857-872; PHE "Technical Guide: Confidence Intervals"; PHEindicatormethods
``phe_proportion``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi.stats._args import ArrayLike, index_of, not_above, numbers
from kpi.stats.normal import z_for


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
    x_arr = numbers("x", x, minimum=0)
    n_arr = numbers("n", n, minimum=0)
    x_arr, n_arr = np.broadcast_arrays(x_arr, n_arr)
    not_above(x_arr, n_arr)

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
    x_arr = numbers("x", x)
    n_arr = numbers("n", n)
    lower95, upper95 = wilson_interval(x_arr, n_arr, 0.95)
    lower998, upper998 = wilson_interval(x_arr, n_arr, 0.998)
    x_b, n_b = np.broadcast_arrays(x_arr, n_arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n_b > 0, x_b / n_b, np.nan)
    index = index_of(x)
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
