"""Differences between groups: chi-square for proportions, one-way ANOVA for means.

References: Pearson K (1900) Philos Mag 50:157-175; Fisher RA (1925) Statistical
Methods for Research Workers; ``scipy.stats.chi2_contingency`` / ``f_oneway``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kpi.stats._args import ArrayLike, check_confidence, not_above, numbers, same_length


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
    confidence = check_confidence(confidence)
    x_arr = numbers("x", x, one_d=True, minimum=0)
    n_arr = numbers("n", n, one_d=True, minimum=0)
    same_length(x=x_arr, n=n_arr)
    not_above(x_arr, n_arr)
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
    from scipy import special  # here, not at the top: 0.2 s to import; ingest never needs it
    confidence = check_confidence(confidence)
    m = numbers("means", means, one_d=True)
    s = numbers("sds", sds, one_d=True, minimum=0)
    k = numbers("ns", ns, one_d=True, minimum=0)
    same_length(means=m, sds=s, ns=k)
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
