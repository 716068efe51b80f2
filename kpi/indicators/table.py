"""The KHI table: every indicator for any grouping and period, with intervals,
benchmark comparisons and disclosure control applied.

Every other view of a scored KHI (trend, equity, funnel) is built on
:func:`indicator_table`, so they all show the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kpi import stats
from kpi.catalogue import KHI
from kpi.errors import BadRequest, UnknownCode
from kpi.indicators.cells import (
    change_cells,
    change_cells_from_finest,
    khi_cells_from_finest,
)
from kpi.indicators.filters import (
    BENCHMARKS,
    LIMITS,
    VALUE_COLUMNS,
    Filters,
    Settings,
    check_by,
    default_settings,
    khis_for,
)
from kpi.indicators.protection import finest_cells, lattice_dims, protect_table
from kpi.periods import quarter_label
from kpi.store import Store, one_read_batch, queries


def _finish(cells: pd.DataFrame, khis: Sequence[KHI]) -> pd.DataFrame:
    """Values and intervals from the aggregates (proportions as percentages)."""
    out = cells.copy()
    n = out["n"].to_numpy(dtype="float64")
    x = pd.to_numeric(out["x"], errors="coerce").to_numpy(dtype="float64")
    total = pd.to_numeric(out["total"], errors="coerce").to_numpy(dtype="float64")
    total_sq = pd.to_numeric(out["total_sq"], errors="coerce").to_numpy(dtype="float64")
    is_prop = out["khi"].isin([k.code for k in khis if k.is_proportion]).to_numpy()
    columns = {c: np.full(len(out), np.nan) for c in ("count", "value", "sd", *LIMITS)}
    if is_prop.any():
        ci = stats.proportion_with_intervals(x[is_prop], n[is_prop])
        columns["count"][is_prop] = x[is_prop]
        for column in ("value", *LIMITS):
            columns[column][is_prop] = 100.0 * ci[column].to_numpy()
    means = ~is_prop
    if means.any():
        ci = stats.mean_intervals_from_moments(
            n[means], np.nan_to_num(total[means]), np.nan_to_num(total_sq[means])
        )
        for column in ("value", "sd", *LIMITS):
            columns[column][means] = ci[column].to_numpy()
    out["x"], out["total"], out["total_sq"] = x, total, total_sq
    for column, values in columns.items():
        out[column] = values
    return out


def _compare(table: pd.DataFrame, khis: Sequence[KHI], settings: Settings) -> pd.DataFrame:
    """Benchmark comparison and the 99.8% flag, by each KHI's polarity."""
    table["comparison"] = "not compared"
    table["outside998"] = False
    polarity = table["khi"].map({k.code: k.polarity for k in khis})
    hidden = table["suppressed"].to_numpy(dtype=bool)
    for direction in ("high", "low"):
        rows = (polarity == direction).to_numpy()
        if not rows.any():
            continue
        part = table.loc[rows]
        limits = [np.where(hidden[rows], np.nan, part[c].to_numpy(dtype=float)) for c in LIMITS]
        comparison, outside = stats.compare_with_benchmark(
            *limits,
            benchmark=part["benchmark"].to_numpy(dtype=float),
            polarity=direction,
            n=np.where(hidden[rows], np.nan, part["n"].to_numpy(dtype=float)),
            min_n=settings.min_compare,
        )
        table.loc[rows, "comparison"] = comparison
        table.loc[rows, "outside998"] = outside
    return table


def _describe(table: pd.DataFrame, khis: Sequence[KHI], by: Sequence[str]) -> pd.DataFrame:
    """Final column order, types and the catalogue's words beside the numbers."""
    # Position of each row's KHI in the catalogue: words and order by array lookup.
    position = pd.Categorical(table["khi"], categories=[k.code for k in khis]).codes
    for field in ("name", "domain", "measure", "polarity"):
        table[field] = np.array([getattr(k, field) for k in khis], dtype=object)[position]
    table["n"] = table["n"].round().astype("Int64")
    table["count"] = table["count"].round().astype("Int64")
    table["suppressed"] = table["suppressed"].astype(bool)
    if "quarter" in by:
        # Few distinct quarters: convert each once, not per row.
        # (Scored KHIs bring Timestamps from DuckDB, change KHIs dates: one type.)
        codes, uniques = pd.factorize(table["quarter"])
        starts = [pd.Timestamp(q).date() for q in uniques]
        table["quarter"] = np.array([*starts, None], dtype=object)[codes]
        table["quarter_label"] = np.array(
            [*(quarter_label(q) for q in starts), None], dtype=object
        )[codes]
    extra = ["name", "domain", "measure", "polarity", "outside998", "sd"]
    if "quarter" in by:
        extra.append("quarter_label")
    # Catalogue order, then each group's codes (missing last), by integer sort keys.
    sort_keys = [position]
    for column in by:
        codes, _ = pd.factorize(table[column], sort=True)
        sort_keys.append(np.where(codes < 0, np.iinfo(np.int64).max, codes))
    ordered = np.lexsort(tuple(reversed(sort_keys)))
    return table.iloc[ordered][["khi", *by, *VALUE_COLUMNS, *extra]].reset_index(drop=True)


def _hide(table: pd.DataFrame, hidden: np.ndarray) -> pd.DataFrame:
    """Disclosure control: nothing of a hidden cell leaves the engine."""
    table["suppressed"] = np.asarray(hidden, dtype=bool)
    hidden = table["suppressed"]
    for column in ("n", "count", "value", "sd", *LIMITS):
        table[column] = table[column].astype("float64").mask(hidden)
    return table


@one_read_batch
def indicator_table(
    store: Store,
    khis: list[str] | None = None,
    by: list[str] | tuple[str, ...] = (),
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
    benchmark: str = "england",
    change_since: dt.date | None = None,
) -> pd.DataFrame:
    """One row per KHI and group: khi, the ``by`` columns, then VALUE_COLUMNS.

    Proportions are percentages 0-100; ``count`` is empty (NA) for means.
    ``quarter`` None = latest quarter with data; "all" = every quarter.
    Suppressed rows have n, count, value and limits NA. ``benchmark`` is
    "england" (same period, all schemes, same respondent filters), "region"
    (the region of each row's area) or "support_type" (England's schemes for the
    same support type: by support type, or with one support type chosen). Extra
    columns after VALUE_COLUMNS: name, domain, measure, polarity, outside998
    (bool), sd (means), quarter_label when grouping by quarter. Change KHIs give
    the mean change (see :func:`change`); with ``quarter="all"`` by quarter,
    ``change_since`` skips the change of quarters before it.
    """
    by = check_by(by)
    filters = filters or Filters()
    settings = settings or default_settings()
    if benchmark not in BENCHMARKS:
        raise UnknownCode(f"Unknown benchmark {benchmark!r}: use one of {', '.join(BENCHMARKS)}.")
    chosen = khis_for(khis)
    scored = [k for k in chosen if k.measure != "change"]
    changes = [k for k in chosen if k.measure == "change"]
    bench_keys = [d for d in ("quarter",) if d in by]
    if benchmark == "region":
        bench_keys.append("region")
    if benchmark == "support_type":
        if "support_type" in by:
            bench_keys.append("support_type")
        elif not filters.support_types or len(filters.support_types) != 1:
            raise BadRequest(
                "Comparing with schemes of the same support type needs one support type: "
                "break down by support_type, or choose one support type."
            )
        # With one support type chosen, England under the same filter is that benchmark.
    dims = lattice_dims(by, filters)
    with store.connect() as con:
        period_sql, period_params, start = queries.period(con, quarter)
        version = store.version()
        # A scheme's region (its benchmark, and its nesting for disclosure control)
        # rides along as a key: one scheme lies in one region, so no group splits.
        extra_region = "region" not in by and ("scheme" in by or benchmark == "region")
        keys = [*by, "region"] if extra_region else list(by)
        parts, benches = [], []
        change_ends: list[dt.date] | None = None
        if changes:
            # Change is "up to the period's end": every quarter's end when broken
            # down by quarter, else the end of the latest quarter.
            ends = [start] if start is not None else queries.quarters(con)
            if start is None and "quarter" not in by:
                ends = ends[-1:]
            if change_since is not None:
                ends = [q for q in ends if q >= change_since]
            change_ends = ends
        # The finest cells over England, read once (and kept for this store version):
        # the view, its benchmark and the disclosure lattice are all sums of them.
        finest = finest_cells(con, scored, changes, dims, (period_sql, period_params),
                              change_ends, filters, version)
        if finest.scored is not None:
            view, bench = khi_cells_from_finest(finest.scored, scored, keys, bench_keys, filters)
            parts.append(view)
            benches.append(bench)
        if changes:
            if finest.changes is not None:
                view, bench = change_cells_from_finest(
                    finest.changes, changes, keys, bench_keys, change_ends or [], filters)
            else:  # no period end: nothing to pair
                view, bench = change_cells(con, changes, keys, [], filters, bench_keys)
            if "quarter" not in by:  # one period end: its date is not a column
                view, bench = view.drop(columns="quarter"), bench.drop(columns="quarter")
            parts.append(view)
            benches.append(bench)
    if not parts:
        return _empty_table(by)
    cells = pd.concat(parts, ignore_index=True)
    if extra_region and "scheme" not in by:
        cells = _collapse_region(cells, by)
    table = _finish(cells, chosen)
    bench = _finish(pd.concat(benches, ignore_index=True), chosen)
    bench = bench[["khi", *bench_keys, "value"]].rename(columns={"value": "benchmark"})
    with store.connect() as con:
        hidden, bench_hidden = protect_table(
            con, table, bench, scored, changes, by, bench_keys,
            (period_sql, period_params), change_ends, filters, settings,
            store_version=version, finest=finest,
        )
    # No benchmark from a hidden cell (a base below the minimum, or a region that
    # is one hidden scheme), and none beside a hidden row.
    bench["benchmark"] = bench["benchmark"].mask(bench_hidden)
    table = table.merge(bench, on=["khi", *bench_keys], how="left")
    table = _hide(table, hidden)
    table["benchmark"] = table["benchmark"].mask(table["suppressed"])
    if by:  # a group without answers to a KHI has no row for it (nothing to show)
        table = table[table["suppressed"] | (table["n"].fillna(0) > 0)].reset_index(drop=True)
    table = _compare(table, chosen, settings)
    if _is_its_own_benchmark(filters, by, benchmark):
        # All of England by quarter is the benchmark itself: nothing to compare.
        table["comparison"] = "not compared"
        table["outside998"] = False
    if extra_region:
        table = table.drop(columns="region")
    return _describe(table, chosen, by)


def _is_its_own_benchmark(filters: Filters, by: Sequence[str], benchmark: str) -> bool:
    """True when every row is the very value it would be compared with."""
    whole = filters.regions is None and filters.scheme_ids is None and filters.scope is None
    if benchmark == "region":
        return set(by) <= {"quarter", "region"} and (whole or filters.regions is not None)
    if benchmark == "support_type":
        return whole and set(by) <= {"quarter", "support_type"}
    return whole and set(by) <= {"quarter"}


def _empty_table(by: Sequence[str]) -> pd.DataFrame:
    extra = ["name", "domain", "measure", "polarity", "outside998", "sd"]
    return pd.DataFrame(columns=["khi", *by, *VALUE_COLUMNS, *extra])


def _collapse_region(cells: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Keep the region split only where the area is one region (else no benchmark)."""
    keys = ["khi", *by]
    regions = cells.groupby(keys, dropna=False)["region"].transform("nunique")
    one = cells[regions <= 1]
    many = cells[regions > 1]
    if many.empty:
        return cells
    summed = many.groupby(keys, dropna=False, as_index=False)[["n", "x", "total", "total_sq"]].sum(
        min_count=1
    )
    summed["region"] = None
    return pd.concat([one, summed], ignore_index=True)
