"""Whether a change between two quarters is real: the difference of two independent
samples (or, for the change KHIs, of two samples sharing most of their people), and
its level."""

from __future__ import annotations

import math
from dataclasses import dataclass

# scipy.special, not scipy.stats: the same t quantile (stats.t.ppf calls stdtrit),
# without a second of importing scipy.stats in every report.
import numpy as np
import pandas as pd
from scipy.special import stdtrit

from kpi import stats as st_
from kpi.errors import BadArgument
from kpi.wording import (
    LEVEL_95,
    LEVEL_998,
    LEVEL_NONE,
    LEVEL_UNTESTED,
)

# --------------------------------------------------------------------------------------
# statistics: difference between two independent periods
# --------------------------------------------------------------------------------------


def _finite(name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise BadArgument(f"{name} must be a number") from exc
    if math.isinf(number):
        raise BadArgument(f"{name} must be finite")
    return number


def difference_of_proportions(
    x1: float, n1: float, x2: float, n2: float, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Newcombe's hybrid score interval for a difference of two independent proportions.

    With ``p1 = x1/n1``, ``p2 = x2/n2`` and Wilson limits ``(l1, u1)``, ``(l2, u2)``
    at the same confidence level, the interval for ``D = p1 - p2`` is

    .. math::

        D - \\sqrt{(p_1 - l_1)^2 + (u_2 - p_2)^2}, \\qquad
        D + \\sqrt{(u_1 - p_1)^2 + (p_2 - l_2)^2}

    (Newcombe 1998, method 10). It keeps within [-1, 1], needs no continuity
    correction, and agrees with the Wilson intervals shown beside each value.

    Parameters
    ----------
    x1, n1 : float
        Events and base in the later period.
    x2, n2 : float
        Events and base in the earlier period.
    confidence : float, default 0.95
        Two-sided level, strictly between 0 and 1 (0.95 or 0.998 here).

    Returns
    -------
    difference, lower, upper : float
        ``p1 - p2`` and its limits, as proportions (-1 to 1). All NaN when an input
        is missing (NaN) or a base is 0.

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1, an input is infinite or
        negative, or a count exceeds its base.

    References
    ----------
    Newcombe RG. Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med. 1998;17:873-890 (method 10).
    Wilson EB. J Am Stat Assoc. 1927;22:209-212.
    """
    values = {name: _finite(name, v) for name, v in (("x1", x1), ("n1", n1), ("x2", x2),
                                                      ("n2", n2))}
    for name, number in values.items():
        if number < 0:
            raise BadArgument(f"{name} must be greater than or equal to 0")
    if values["x1"] > values["n1"]:
        raise BadArgument("x1 must be less than or equal to n1")
    if values["x2"] > values["n2"]:
        raise BadArgument("x2 must be less than or equal to n2")
    l1, u1 = st_.wilson_interval(values["x1"], values["n1"], confidence)
    l2, u2 = st_.wilson_interval(values["x2"], values["n2"], confidence)
    nan = float("nan")
    if any(math.isnan(float(v)) for v in (l1, u1, l2, u2)):
        return nan, nan, nan
    p1 = values["x1"] / values["n1"]
    p2 = values["x2"] / values["n2"]
    d = p1 - p2
    lower = d - math.sqrt((p1 - float(l1)) ** 2 + (float(u2) - p2) ** 2)
    upper = d + math.sqrt((float(u1) - p1) ** 2 + (p2 - float(l2)) ** 2)
    return d, lower, upper


def difference_of_means(
    mean1: float,
    sd1: float,
    n1: float,
    mean2: float,
    sd2: float,
    n2: float,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """Welch's t interval for a difference of two independent means, from summaries.

    .. math::

        D = m_1 - m_2, \\quad
        SE = \\sqrt{s_1^2/n_1 + s_2^2/n_2}, \\quad
        \\nu = \\frac{SE^4}{\\frac{(s_1^2/n_1)^2}{n_1 - 1} + \\frac{(s_2^2/n_2)^2}{n_2 - 1}}

    and the interval is ``D -/+ t(confidence, nu) * SE`` (Welch-Satterthwaite degrees
    of freedom; the interval excludes 0 exactly when ``scipy.stats.ttest_ind_from_stats``
    with ``equal_var=False`` gives ``p < 1 - confidence``).

    Parameters
    ----------
    mean1, sd1, n1 : float
        Mean, sample SD and size in the later period.
    mean2, sd2, n2 : float
        The same for the earlier period.
    confidence : float, default 0.95
        Two-sided level, strictly between 0 and 1.

    Returns
    -------
    difference, lower, upper : float
        ``mean1 - mean2`` and its limits. Limits are NaN when an input is missing,
        a size is below 2, or both SDs are 0 (no sampling variation to test against).

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1, an input is infinite, or an
        SD or size is negative.

    References
    ----------
    Welch BL. The generalization of "Student's" problem when several different population
    variances are involved. Biometrika. 1947;34:28-35. Satterthwaite FE. Biometrics
    Bulletin. 1946;2:110-114.
    """
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise BadArgument(f"confidence must be between 0 and 1 (exclusive); got {confidence}")
    m1, s1, k1 = _finite("mean1", mean1), _finite("sd1", sd1), _finite("n1", n1)
    m2, s2, k2 = _finite("mean2", mean2), _finite("sd2", sd2), _finite("n2", n2)
    for name, number in (("sd1", s1), ("sd2", s2), ("n1", k1), ("n2", k2)):
        if number < 0:
            raise BadArgument(f"{name} must be greater than or equal to 0")
    nan = float("nan")
    d = m1 - m2
    if any(math.isnan(v) for v in (m1, s1, k1, m2, s2, k2)) or k1 < 2 or k2 < 2:
        return d, nan, nan
    v1, v2 = s1 * s1 / k1, s2 * s2 / k2
    se2 = v1 + v2
    if se2 <= 0:
        return d, nan, nan
    dof = se2**2 / (v1**2 / (k1 - 1) + v2**2 / (k2 - 1))
    half = float(stdtrit(dof, 0.5 + confidence / 2.0)) * math.sqrt(se2)
    return d, d - half, d + half


@dataclass(frozen=True)
class ChangeTest:
    """The difference between two periods, in the KHI's display units, and its level.

    ``difference`` and the limits are percentage points for proportions and the
    measure's own units for means. ``level`` is ``"99.8%"`` or ``"95%"`` when that
    interval excludes 0, ``"none"`` when tested and it could be chance, and
    ``"untested"`` when the test could not be run (limits NaN).
    """

    difference: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    level: str

    @property
    def significant(self) -> bool:
        return self.level in (LEVEL_998, LEVEL_95)

    @classmethod
    def untested(cls) -> ChangeTest:
        nan = float("nan")
        return cls(nan, nan, nan, nan, nan, LEVEL_UNTESTED)


def _level(lo95: float, up95: float, lo998: float, up998: float) -> str:
    if any(math.isnan(v) for v in (lo95, up95, lo998, up998)):
        return LEVEL_UNTESTED
    if lo998 > 0 or up998 < 0:
        return LEVEL_998
    if lo95 > 0 or up95 < 0:
        return LEVEL_95
    return LEVEL_NONE


def change_test_proportions(x1: float, n1: float, x2: float, n2: float) -> ChangeTest:
    """Test a change in a proportion between two periods (Newcombe method 10).

    Parameters
    ----------
    x1, n1 : float
        Count and base in the later period.
    x2, n2 : float
        Count and base in the earlier period.

    Returns
    -------
    ChangeTest
        Difference and limits in percentage points; the level reached.

    Raises
    ------
    ValueError
        As :func:`difference_of_proportions`.

    References
    ----------
    Newcombe RG. Stat Med. 1998;17:873-890 (method 10).
    """
    d, lo95, up95 = difference_of_proportions(x1, n1, x2, n2, 0.95)
    _, lo998, up998 = difference_of_proportions(x1, n1, x2, n2, 0.998)
    values = [100.0 * v for v in (d, lo95, up95, lo998, up998)]
    return ChangeTest(*values, _level(*values[1:]))


def change_test_means(
    mean1: float, sd1: float, n1: float, mean2: float, sd2: float, n2: float
) -> ChangeTest:
    """Test a change in a mean between two periods (Welch's t).

    Parameters
    ----------
    mean1, sd1, n1 : float
        Later period.
    mean2, sd2, n2 : float
        Earlier period.

    Returns
    -------
    ChangeTest
        Difference and limits in the measure's units; the level reached.

    Raises
    ------
    ValueError
        As :func:`difference_of_means`.

    References
    ----------
    Welch BL. Biometrika. 1947;34:28-35.
    """
    d, lo95, up95 = difference_of_means(mean1, sd1, n1, mean2, sd2, n2, 0.95)
    _, lo998, up998 = difference_of_means(mean1, sd1, n1, mean2, sd2, n2, 0.998)
    return ChangeTest(d, lo95, up95, lo998, up998, _level(lo95, up95, lo998, up998))


def difference_of_overlapping_means(
    now: pd.Series, then: pd.Series, confidence: float = 0.95,
) -> tuple[float, float, float, int]:
    """Derrick's partially overlapping samples t interval for ``mean(now) - mean(then)``.

    ``now`` and ``then`` are values indexed by person; a person in both is paired
    with themself. With sizes ``n1``, ``n2``, ``nc`` people in both (``na``, ``nb``
    in one only), sample SDs ``s1``, ``s2`` and ``r`` the correlation of the paired
    values,

    .. math::

        SE^2 = s_1^2/n_1 + s_2^2/n_2 - 2 r s_1 s_2 n_c / (n_1 n_2), \\\\
        \\nu = (n_c - 1) + \\frac{\\gamma - n_c + 1}{n_a + n_b + 2 n_c}(n_a + n_b)

    with ``gamma`` Welch's degrees of freedom, and the interval is
    ``D -/+ t(confidence, nu) * SE``. With everyone in both it is the paired t
    interval (``scipy.stats.ttest_rel``); with no one in both, Welch's
    (``ttest_ind(equal_var=False)``).

    Returns
    -------
    difference, lower, upper, paired
        Limits NaN with fewer than two values on a side; ``paired`` = ``nc``.

    References
    ----------
    Derrick B, Russ B, Toher D, White P. Test statistics for the comparison of means
    for two samples that include both paired and independent observations. J Mod Appl
    Stat Methods. 2017;16(1):137-157 (T_new2). Derrick B, Toher D, White P. How to
    compare the means of two samples that include paired observations and independent
    observations. Quant Methods Psychol. 2017;13(2):120-126.
    """
    return _overlapping_intervals(now, then, (confidence,))[0]


def _overlapping_intervals(
    now: pd.Series, then: pd.Series, confidences: tuple[float, ...],
) -> list[tuple[float, float, float, int]]:
    """:func:`difference_of_overlapping_means` at each of ``confidences``, the people
    matched and the moments worked out once (the board tests every change KHI at
    95% and 99.8%)."""
    a = pd.to_numeric(now, errors="coerce").dropna().astype(float)
    b = pd.to_numeric(then, errors="coerce").dropna().astype(float)
    nan = float("nan")
    n1, n2 = len(a), len(b)
    both = a.index.intersection(b.index)
    nc = len(both)
    if n1 < 2 or n2 < 2:
        return [((float(a.mean() - b.mean()) if n1 and n2 else nan), nan, nan, nc)
                for _ in confidences]
    d = float(a.mean() - b.mean())
    s1, s2 = float(a.std(ddof=1)), float(b.std(ddof=1))
    r = 0.0
    if nc >= 2:
        x, y = a.loc[both].to_numpy(), b.loc[both].to_numpy()
        if x.std() > 0 and y.std() > 0:
            r = float(np.corrcoef(x, y)[0, 1])
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    se2 = v1 + v2 - 2.0 * r * s1 * s2 * nc / (n1 * n2)
    if se2 <= 1e-15 * max(v1 + v2, 1e-300):
        # No sampling variation left (the same people, the same answers).
        return [(d, d, d, nc) if d == 0 else (d, nan, nan, nc) for _ in confidences]
    welch = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1)) if v1 + v2 > 0 else 0.0
    na, nb = n1 - nc, n2 - nc
    dof = (nc - 1) + (welch - nc + 1) / (na + nb + 2 * nc) * (na + nb)
    out = []
    for confidence in confidences:
        half = float(stdtrit(dof, 0.5 + confidence / 2.0)) * math.sqrt(se2)
        out.append((d, d - half, d + half, nc))
    return out


def change_test_same_people(now: pd.Series, then: pd.Series) -> ChangeTest:
    """Test a change KHI between two period ends whose people overlap (Derrick's
    partially overlapping samples t; see :func:`difference_of_overlapping_means`).

    Parameters
    ----------
    now, then : Series
        Each person's change up to the later and the earlier period end, indexed by
        person.
    """
    (d, lo95, up95, _), (_, lo998, up998, _) = _overlapping_intervals(
        now, then, (0.95, 0.998))
    return ChangeTest(d, lo95, up95, lo998, up998, _level(lo95, up95, lo998, up998))


def sd_from_interval(lower95: float, upper95: float, n: float) -> float:
    """The sample SD behind a Student's t 95% interval (the engine's mean interval).

    Inverts ``half = t(0.975, n - 1) * sd / sqrt(n)``; used when the engine's table
    has no ``sd`` column.
    """
    if n < 2 or any(math.isnan(v) for v in (lower95, upper95)):
        return float("nan")
    half = (upper95 - lower95) / 2.0
    return half * math.sqrt(n) / float(stdtrit(n - 1, 0.975))
