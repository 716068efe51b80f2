"""Funnel plots: control limits around a pooled proportion and where each area falls.

References: Spiegelhalter DJ (2005) Stat Med 24:1185-1202; PHEindicatormethods
``phe_funnels`` and ``phe_funnel_significance``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kpi.stats._args import ArrayLike, not_above, numbers
from kpi.stats.normal import z_for

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
    p = numbers("pooled_p", pooled_p, unit=True)
    n = numbers("denominators", denominators, positive=True)
    lower, upper = _raw_funnel_limits(p, n, z)
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


def _funnel_levels(
    x: ArrayLike, n: ArrayLike, pooled_p: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray]:
    """Level index into FUNNEL_LABELS per element (-1 where missing) and a missing mask."""
    x_arr = numbers("x", x, minimum=0)
    n_arr = numbers("n", n, positive=True)
    x_arr, n_arr = np.broadcast_arrays(x_arr, n_arr)
    not_above(x_arr, n_arr)
    missing = np.isnan(x_arr) | np.isnan(n_arr)
    if pooled_p is None:
        if np.all(missing):
            p = np.array(np.nan)
        else:
            p = np.array(x_arr[~missing].sum() / n_arr[~missing].sum())
    else:
        p = numbers("pooled_p", pooled_p, unit=True)
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
