"""A KHI table's view and benchmark summed from the finest cells over England equal
what is read directly: each counted response's scores summed in pandas (scored
KHIs), the change pass of the chosen area (``change_cells``), for every kind of
area, scope, support type, respondents and breakdown a page can ask for.

Why it matters: the KHI table now reads the responses once, into the finest cells
the disclosure lattice needs anyway, and sums each area's view from them
(``kpi.indicators.protection.finest_cells``); a difference here would be a wrong
number on a page, not only a slow one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpi.catalogue import catalogue
from kpi.indicators import Filters
from kpi.indicators.cells import (
    as_dates,
    change_cells,
    change_cells_from_finest,
    khi_cells_from_finest,
)
from kpi.indicators.protection import finest_cells, lattice_dims
from kpi.store import Store
from kpi.store.queries import one_quarter, quarters, region_names

SCORED = [k for k in catalogue() if k.measure != "change"]
CHANGES = [k for k in catalogue() if k.measure == "change"]


def asks(store: Store) -> list[tuple[str, list[str], list[str], Filters]]:
    """(name, by, benchmark keys, filters): the requests the pages make."""
    register = store.schemes()
    first = register.iloc[0]
    region = str(first["region"])
    in_region = list(register.loc[register["region"] == region, "scheme_id"])
    elsewhere = str(register.loc[register["region"] != region, "scheme_id"].iloc[0])
    return [
        ("england", [], [], Filters()),
        ("by scheme", ["scheme", "region"], [], Filters()),
        ("one scheme", [], [], Filters(scheme_ids=(str(first["scheme_id"]),))),
        ("a region by scheme", ["scheme", "region"], ["region"], Filters(regions=(region,))),
        ("a scope across regions", ["scheme", "region"], [],
         Filters(scope=(in_region[0], elsewhere))),
        ("an empty scope", [], [], Filters(scope=())),
        ("support types by age", ["age_band"], [],
         Filters(support_types=("long_term", "short_break"))),
        ("by support type against its own", ["support_type"], ["support_type"],
         Filters(regions=(region,))),
        ("carers only, by gender", ["gender"], [], Filters(respondent_types=("carer",))),
    ]


def counted_answers(store: Store, quarter) -> pd.DataFrame:
    """Every response that counts (not replaced by a later one), with its keys and each
    scored KHI's score (``v_k``) and, for proportions, hit (``h_k``)."""
    scores = ", ".join(
        f"CAST({k.score_sql} AS DOUBLE) AS v_{i}"
        + (f", CAST({k.hit_sql} AS BOOLEAN) AS h_{i}" if k.is_proportion else "")
        for i, k in enumerate(SCORED))
    with store.connect() as con:
        frame = con.execute(
            f"""SELECT r.quarter_start AS quarter, s.region, r.scheme_id AS scheme,
                       r.support_type, r.respondent_type, r.age_band, r.gender, {scores}
                FROM responses r JOIN schemes s USING (scheme_id)
                ANTI JOIN superseded x ON r.response_id = x.response_id
                WHERE ? IS NULL OR r.quarter_start = ?""", [quarter, quarter]).df()
    frame["quarter"] = as_dates(frame["quarter"])
    return frame


def summed_by_hand(answers: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """khi, the keys, n, x, total, total_sq: each KHI over its own population."""
    parts = []
    for i, khi in enumerate(SCORED):
        own = answers[answers["respondent_type"] == khi.population]
        values = own[f"v_{i}"]
        sums = pd.DataFrame({
            **{key: own[key] for key in keys},
            "n": values.notna().astype(int),
            "x": own[f"h_{i}"].fillna(False).astype(int) if khi.is_proportion else np.nan,
            "total": np.nan if khi.is_proportion else values,
            "total_sq": np.nan if khi.is_proportion else values * values,
        })
        part = (sums.groupby(keys, dropna=False, as_index=False).sum(min_count=1) if keys
                else sums.sum(min_count=1).to_frame().T)
        parts.append(part.assign(khi=khi.code))
    out = pd.concat(parts, ignore_index=True)[["khi", *keys, "n", "x", "total", "total_sq"]]
    return out[out["n"].fillna(0) > 0]


def direct(answers: pd.DataFrame, keys: list[str], bench_keys: list[str],
           filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The view (the chosen area) and the benchmark (England), straight from the answers."""
    keep = pd.Series(True, index=answers.index)
    if filters.respondent_types is not None:
        keep &= answers["respondent_type"].isin(filters.respondent_types)
    if filters.support_types is not None:
        keep &= answers["support_type"].isin(filters.support_types)
    area = keep.copy()
    if filters.regions is not None:
        area &= answers["region"].isin(region_names(filters.regions))
    for ids in (filters.scheme_ids, filters.scope):
        if ids is not None:
            area &= answers["scheme"].isin(list(ids))
    return summed_by_hand(answers[area], keys), summed_by_hand(answers[keep], bench_keys)


def same(one: pd.DataFrame, other: pd.DataFrame, keys: list[str]) -> None:
    """Equal rows whatever their order (a hash aggregate has none)."""
    assert sorted(one.columns) == sorted(other.columns)
    order = ["khi", *keys]
    one = one.sort_values(order, key=lambda s: s.astype(str)).reset_index(drop=True)
    other = other.sort_values(order, key=lambda s: s.astype(str)).reset_index(drop=True)
    assert len(one) == len(other), (len(one), len(other))
    for column in one.columns:
        left, right = one[column], other[column]
        if column in ("n", "x", "total", "total_sq", "better", "same", "worse"):
            assert np.allclose(left.astype(float), right.astype(float), rtol=1e-12,
                               equal_nan=True), column
        else:
            assert left.astype(object).tolist() == right.astype(object).tolist(), column


@pytest.mark.parametrize("ask", range(9))
def test_scored_view_and_benchmark_are_the_sums_of_the_finest_cells(
    demo_store: Store, ask: int
) -> None:
    name, by, bench_keys, filters = asks(demo_store)[ask]
    with demo_store.connect() as con:
        latest = quarters(con)[-1]
    for quarter in (latest, None):  # one quarter, and every quarter by quarter
        keys = list(by) if quarter is not None else [*by, "quarter"]
        bench = list(bench_keys) if quarter is not None else [*bench_keys, "quarter"]
        with demo_store.connect() as con:
            finest = finest_cells(con, SCORED, [], lattice_dims(keys, filters),
                                  one_quarter(quarter), None, filters)
        view, benchmark = khi_cells_from_finest(finest.scored, SCORED, keys, bench, filters)
        expected = direct(counted_answers(demo_store, quarter), keys, bench, filters)
        assert len(expected[0]) or name == "an empty scope", name
        if not keys:  # ungrouped, every KHI has its row, answered or not
            assert set(view["khi"]) == {k.code for k in SCORED}
        same(view[view["n"] > 0], expected[0], keys)
        same(benchmark[benchmark["n"] > 0], expected[1], bench)


@pytest.mark.parametrize("ask", range(9))
def test_change_view_and_benchmark_are_the_sums_of_the_finest_cells(
    demo_store: Store, ask: int
) -> None:
    name, by, bench_keys, filters = asks(demo_store)[ask]
    with demo_store.connect() as con:
        every = quarters(con)
        for ends in (every[-1:], every):  # one end (a grouped pass), several (a window)
            finest = finest_cells(con, [], CHANGES, lattice_dims(by, filters),
                                  one_quarter(None), ends, filters)
            summed = change_cells_from_finest(finest.changes, CHANGES, by, bench_keys, ends,
                                              filters)
            scanned = change_cells(con, CHANGES, by, ends, filters, bench_keys)
            # The change KHIs are the people's own: a carers-only view has none.
            asked = filters.respondent_types is None or "person" in filters.respondent_types
            assert scanned[0]["n"].sum() > 0 or name == "an empty scope" or not asked, name
            groups = ["quarter", *[k for k in by if k != "quarter"]]
            same(summed[0], scanned[0], groups)
            same(summed[1], scanned[1], ["quarter", *bench_keys])
