"""Groups and schemes compared: the equity gap between groups, and funnel plots."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from kpi import stats
from kpi.catalogue import khi as khi_by_code
from kpi.errors import BadRequest
from kpi.indicators.filters import LIMITS, Filters, Settings
from kpi.indicators.sector import sector_filters
from kpi.indicators.table import indicator_table
from kpi.store import Store, one_read_batch


@one_read_batch
def equity(
    store: Store,
    khi: str,
    dimension: str,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> tuple[pd.DataFrame, stats.EquityResult]:
    """A KHI by one grouping, with the gap between groups and whether it is real.

    The test uses only the groups shown (hidden groups and "not recorded" are left
    out), so it reveals nothing about a hidden cell: Pearson's chi-square test of
    homogeneity for proportions, one-way ANOVA for means. The gap is in
    percentage points for proportions.
    """
    entry = khi_by_code(khi)
    if entry.measure == "change":
        raise BadRequest(f"{khi!r} is a change KHI: see the Change over time page.")
    groups = indicator_table(
        store, khis=[khi], by=[dimension], quarter=quarter, filters=filters, settings=settings
    )
    use = groups[
        ~groups["suppressed"].astype(bool)
        & groups[dimension].notna()
        & (groups["n"].fillna(0) > 0)
    ]
    if entry.is_proportion:
        result = stats.equity_gap_test(use["count"].astype(float), use["n"].astype(float))
        result = dataclasses.replace(result, gap=result.gap * 100.0)
    else:
        result = stats.equity_gap_test_means(
            use["value"].astype(float), use["sd"].astype(float), use["n"].astype(float)
        )
    positions = list(use.index)
    result = dataclasses.replace(
        result,
        highest=None if result.highest is None else int(positions[result.highest]),
        lowest=None if result.lowest is None else int(positions[result.lowest]),
    )
    return groups.drop(columns="khi"), result


@one_read_batch
def funnel(
    store: Store,
    khi: str,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
    grid: int = 200,
) -> tuple[pd.DataFrame, pd.DataFrame, float | None]:
    """Each scheme against funnel limits around the pooled value (PHE method).

    Returns (points, limits, pooled): points has scheme, n, count, value,
    position ("above998", "above95", "within", "below95", "below998");
    limits has n, lower95, upper95, lower998, upper998 on a grid of bases;
    pooled is England's value (every scheme, the filters' support type and
    respondents: the same for every viewer, whatever area or scope narrows the
    points), in percentages. Hidden schemes are left out of the points.

    References
    ----------
    Spiegelhalter DJ (2005) Funnel plots for comparing institutional performance.
    Stat Med 24:1185-1202; PHE "Technical Guide: Funnel plots" (2018).
    """
    entry = khi_by_code(khi)
    if not entry.is_proportion:
        raise BadRequest(f"{khi!r} is a {entry.measure}: funnel plots here are for proportions.")
    table = indicator_table(
        store, khis=[khi], by=["scheme"], quarter=quarter, filters=filters, settings=settings
    )
    empty_limits = pd.DataFrame(columns=["n", *LIMITS])
    if table.empty:
        return table, empty_limits, None
    # The centre line is England's (every scheme, the same people), whoever looks
    # and whichever schemes are plotted: a viewer's own rows are not a benchmark.
    total = indicator_table(
        store, khis=[khi], quarter=quarter,
        filters=sector_filters(filters), settings=settings,
    )
    x, n = _pooled_counts(table, total)
    if not n:
        return table.iloc[0:0], empty_limits, None
    pooled = x / n
    points = table[~table["suppressed"].astype(bool) & (table["n"].fillna(0) > 0)].copy()
    if points.empty:
        return points, empty_limits, 100.0 * pooled
    words = stats.funnel_position(
        points["count"].astype(float), points["n"].astype(float), pooled
    )
    short = {
        "above 99.8% limit": "above998",
        "above 95% limit": "above95",
        "within limits": "within",
        "below 95% limit": "below95",
        "below 99.8% limit": "below998",
    }
    points["position"] = [short.get(w, "within") if w is not None else None for w in words]
    top = max(float(points["n"].max()) * 1.1, 20.0)
    bases = np.unique(np.geomspace(1, top, grid).round(2))
    limits = pd.DataFrame({"n": bases})
    for level, (lo, up) in (("95", LIMITS[:2]), ("998", LIMITS[2:])):
        lower, upper = stats.funnel_limits_proportion(
            pooled, bases, 0.95 if level == "95" else 0.998
        )
        limits[lo], limits[up] = 100.0 * lower, 100.0 * upper
    return points.drop(columns="khi").reset_index(drop=True), limits, 100.0 * pooled


def _pooled_counts(table: pd.DataFrame, total: pd.DataFrame) -> tuple[float, float]:
    """The pooled numerator and base: the view's total (published, so not hidden
    unless the whole view is small)."""
    if len(total) and not bool(total["suppressed"].iloc[0]):
        n = total["n"].iloc[0]
        x = total["count"].iloc[0]
        if pd.notna(n) and pd.notna(x) and n > 0:
            return float(x), float(n)
    return 0.0, 0.0
