"""The two-sided normal quantile every interval and funnel limit uses."""

from __future__ import annotations

import functools

from kpi.stats._args import check_confidence


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
    return _z(check_confidence(confidence))


@functools.lru_cache(maxsize=64)
def _z(confidence: float) -> float:
    from scipy import special  # here, not at the top: 0.2 s to import; ingest never needs it
    # Why cached: every interval asks for z at 95% or 99.8%, and scipy's ppf costs
    # far more than the interval arithmetic itself (pages compute hundreds a rerun).
    return float(special.ndtri(0.5 + confidence / 2.0))
