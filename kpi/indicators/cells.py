"""The aggregates behind every KHI: sums per KHI and group.

Change KHIs are read from the store (:func:`change_cells`, one pass every period
end); a KHI table's view and benchmark are summed from the finest cells over England
(:func:`khi_cells_from_finest`, :func:`change_cells_from_finest`). The table, the
change page and the disclosure lattice all start from them, so they sit below each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from kpi.catalogue import KHI
from kpi.indicators.filters import Filters
from kpi.store import queries


def khi_cells_from_finest(
    finest: pd.DataFrame,
    khis: Sequence[KHI],
    keys: Sequence[str],
    bench_keys: Sequence[str],
    filters: Filters,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The view's cells and the benchmark's (England: no area), summed from the finest
    cells (``queries.finest_sums`` over England, keyed by region, scheme, quarter and
    every breakdown in ``keys`` or the support-type filter): the view is the sum of
    the chosen area's cells, the benchmark of every cell. Long frames: khi, the key
    columns, n, x (proportions), total, total_sq, each KHI over its own population.

    Why: each sum is additive over people, so the scan the disclosure lattice needs
    anyway serves every area's table (kept per store version:
    ``kpi.indicators.protection.finest_cells``) and no second scan is made."""
    measures = queries.sum_columns(khis)
    support = _support_mask(finest, filters)
    in_area = support & _area_mask(finest, filters)
    view = _long(_sum_by(finest[in_area], [*keys, "respondent_type"], measures), khis, keys)
    bench = _long(
        _sum_by(finest[support], [*bench_keys, "respondent_type"], measures), khis, bench_keys
    )
    if not keys:
        view = _one_row_each(view, khis)
    return view, bench


def change_cells_from_finest(
    finest: pd.DataFrame,
    khis: Sequence[KHI],
    keys: Sequence[str],
    bench_keys: Sequence[str],
    ends: Sequence[dt.date],
    filters: Filters,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`change_cells` (with a benchmark) summed from the finest change cells
    (``change_cells`` by region, scheme and the breakdowns, over England): a person
    counts in the group of their latest scored answer up to each end, in both."""
    measures = ["n", "total", "total_sq", "better", "same", "worse"]
    support = _support_mask(finest, filters)
    in_area = support & _area_mask(finest, filters)

    def summed(rows: pd.DataFrame, by: Sequence[str]) -> list[pd.DataFrame]:
        groups = ["khi", "quarter", *[k for k in by if k != "quarter"]]
        return [_sum_by(rows, groups, measures)]

    return (
        _change_long(summed(finest[in_area], keys), khis, keys, ends),
        _change_long(summed(finest[support], bench_keys), khis, bench_keys, ends),
    )


def _support_mask(finest: pd.DataFrame, filters: Filters) -> np.ndarray:
    if filters.support_types is None:
        return np.ones(len(finest), dtype=bool)
    return finest["support_type"].isin(list(filters.support_types)).to_numpy()


def _area_mask(finest: pd.DataFrame, filters: Filters) -> np.ndarray:
    """The finest cells inside the chosen area (regions, schemes, scope), as
    ``queries._area_sql`` chooses responses."""
    mask = np.ones(len(finest), dtype=bool)
    if filters.regions is not None:
        names = queries.region_names(filters.regions)
        mask &= finest["region"].isin(names).to_numpy()
    for ids in (filters.scheme_ids, filters.scope):
        if ids is not None:
            mask &= finest["scheme"].isin(list(ids)).to_numpy()
    return mask


def _sum_by(rows: pd.DataFrame, groups: Sequence[str], measures: Sequence[str]) -> pd.DataFrame:
    """Sums per group as SQL's ``sum`` gives them: empty (NaN) where every value is."""
    groups = list(dict.fromkeys(groups))
    if rows.empty:
        return pd.DataFrame(columns=[*groups, *measures])
    return rows.groupby(groups, dropna=False, sort=False, as_index=False)[list(measures)].sum(
        min_count=1)


def _long(wide: pd.DataFrame, khis: Sequence[KHI], keys: Sequence[str]) -> pd.DataFrame:
    """One row per KHI and group from the wide sums, each KHI over its population."""
    frames = []
    for population in dict.fromkeys(k.population for k in khis):
        rows = wide[(wide["respondent_type"] == population).to_numpy()]
        chosen = [(k, khi) for k, khi in enumerate(khis) if khi.population == population]
        if rows.empty or not chosen:
            continue
        size = len(rows)

        def stack(names: list[str | None], rows: pd.DataFrame = rows) -> np.ndarray:
            """Column after column, NaN where a KHI has no such sum (rows x KHIs)."""
            nan = np.full(len(rows), np.nan)
            return np.concatenate(
                [nan if c is None else rows[c].to_numpy(dtype="float64") for c in names]
            )

        part = {"khi": np.repeat([khi.code for _, khi in chosen], size)}
        for key in keys:
            values = rows[key].to_numpy(dtype=object)
            if key == "quarter":
                values = as_dates(values)
            part[key] = np.tile(values, len(chosen))
        part["n"] = stack([f"n_{k}" for k, _ in chosen])
        part["x"] = stack([f"x_{k}" if khi.is_proportion else None for k, khi in chosen])
        part["total"] = stack([None if khi.is_proportion else f"s_{k}" for k, khi in chosen])
        part["total_sq"] = stack(
            [None if khi.is_proportion else f"q_{k}" for k, khi in chosen]
        )
        frames.append(pd.DataFrame(part))
    columns = ["khi", *keys, "n", "x", "total", "total_sq"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    out["n"] = out["n"].fillna(0).astype("int64")
    is_prop = out["khi"].isin([k.code for k in khis if k.is_proportion])
    out.loc[is_prop, "x"] = out.loc[is_prop, "x"].fillna(0)
    return out[columns]


def _one_row_each(view: pd.DataFrame, khis: Sequence[KHI]) -> pd.DataFrame:
    """Without grouping, every KHI has its row (n = 0 when the view has no answers)."""
    present = set(view["khi"])
    missing = [k.code for k in khis if k.code not in present]
    if not missing:
        return view
    empty = pd.DataFrame({"khi": missing, "n": 0, "x": np.nan, "total": np.nan,
                          "total_sq": np.nan})
    return pd.concat([view, empty], ignore_index=True)


_CHANGE_COLUMNS = ("n", "x", "total", "total_sq", "better", "same", "worse")


def change_cells(
    con: duckdb.DuckDBPyConnection,
    khis: Sequence[KHI],
    keys: Sequence[str],
    ends: Sequence[dt.date],
    filters: Filters,
    bench_keys: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Long frames of change aggregates (the view's, and the benchmark's when
    ``bench_keys`` is given, else None): khi, quarter (the period end), the keys,
    n, x (empty), total, total_sq, better, same, worse. One pass per population,
    every period end at once (see :func:`kpi.store.queries.change_sums`)."""
    wanted = [
        k for k in khis
        if filters.respondent_types is None or k.population in filters.respondent_types
    ]
    views, benches = [], []
    for population in dict.fromkeys(k.population for k in wanted) if ends else ():
        group = [k for k in wanted if k.population == population]
        wide = queries.change_sums(con, group, keys, bench_keys, filters, list(ends))
        wide.insert(0, "khi", np.array([k.code for k in group], dtype=object)[
            wide["k"].to_numpy(dtype=np.int64)])
        wide["quarter"] = np.array(list(ends), dtype=object)[wide["e"].to_numpy(dtype=np.int64)]
        is_bench = wide["is_benchmark"].astype(bool).to_numpy()
        in_area = wide["in_area"].fillna(False).astype(bool).to_numpy()
        views.append(wide[~is_bench & in_area])
        benches.append(wide[is_bench])
    view = _change_long(views, khis, keys, ends)
    if bench_keys is None:
        return view, None
    return view, _change_long(benches, khis, bench_keys, ends)


def _change_long(
    frames: list[pd.DataFrame], khis: Sequence[KHI], keys: Sequence[str], ends: Sequence[dt.date]
) -> pd.DataFrame:
    """One frame in the columns of :func:`change_cells`; ungrouped, every KHI has a
    row for every period end (n = 0 without pairs)."""
    groups = [k for k in keys if k != "quarter"]
    columns = ["khi", "quarter", *groups, *_CHANGE_COLUMNS]
    frames = [f for f in frames if len(f)]
    out = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    )
    out["x"] = np.nan
    out = out[columns]
    if not groups:
        full = pd.DataFrame(
            [(k.code, end) for k in khis for end in ends], columns=["khi", "quarter"]
        )
        out = full.merge(out, on=["khi", "quarter"], how="left")
        for column in ("n", "better", "same", "worse"):
            out[column] = out[column].fillna(0)
    out["n"] = out["n"].fillna(0).astype("int64")
    out["quarter"] = as_dates(out["quarter"])
    return out


def as_dates(values: pd.Series | np.ndarray) -> np.ndarray:
    """Quarter starts as ``datetime.date``: DuckDB gives Timestamps, the engine speaks
    dates. Each distinct value is converted once (a table has few quarters and many
    rows); a missing one stays missing (None)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return np.array([*(pd.Timestamp(q).date() for q in uniques), None], dtype=object)[codes]
