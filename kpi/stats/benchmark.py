"""Benchmarking: is an area better, similar or worse than a benchmark (Fingertips).

Reference: PHE Fingertips technical guidance, "Comparing with a benchmark".
"""

from __future__ import annotations

import numpy as np

from kpi.errors import BadArgument
from kpi.stats._args import ArrayLike, check_min_n, check_polarity, numbers


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
    check_polarity(polarity)
    check_min_n(min_n)
    lo95 = numbers("lower95", lower95)
    up95 = numbers("upper95", upper95)
    lo998 = numbers("lower998", lower998)
    up998 = numbers("upper998", upper998)
    bench = numbers("benchmark", benchmark)
    n_arr = None if n is None else numbers("n", n, minimum=0)
    arrays = [lo95, up95, lo998, up998, bench] + ([] if n_arr is None else [n_arr])
    try:
        arrays = np.broadcast_arrays(*arrays)
    except ValueError as exc:
        raise BadArgument("limits, benchmark and n must have compatible shapes") from exc
    lo95, up95, lo998, up998, bench = arrays[:5]
    if np.any(lo95 > up95):
        raise BadArgument("lower95 must be less than or equal to upper95")
    if np.any(lo998 > lo95) or np.any(up998 < up95):
        raise BadArgument("the 99.8% interval (lower998, upper998) must contain the 95% interval")

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
