"""Paired change: the same people on two occasions (paired t interval and test).

Reference: Altman DG (1991) Practical Statistics for Medical Research, section 9.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kpi.stats._args import ArrayLike, check_polarity, numbers, same_length
from kpi.stats.means import mean_zero_p_value, t_interval


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
    check_polarity(polarity)
    a = numbers("first", first, one_d=True)
    b = numbers("latest", latest, one_d=True)
    same_length(first=a, latest=b)
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
