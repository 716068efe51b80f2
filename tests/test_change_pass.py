"""The change KHIs' grouped pass equals a straightforward computation: for every
period end, each person's scored answers up to it in date order, latest minus first
for people with two or more, grouped by the latest answer's attributes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpi.catalogue import catalogue
from kpi.indicators import Filters
from kpi.indicators.cells import change_cells
from kpi.store import Store
from kpi.store.queries import quarters

CHANGES = [k for k in catalogue() if k.measure == "change"]


def reference(store: Store, khi, end, keys: list[str], regions=None) -> pd.DataFrame:
    """Pandas, one person at a time in spirit: sort, first, last, count."""
    with store.connect() as con:
        frame = con.execute(
            f"""SELECT r.response_id, r.scheme_id, r.person_key, r.completed_on,
                       r.quarter_start, r.support_type, r.respondent_type, s.region,
                       CAST({khi.score_sql} AS DOUBLE) AS v
                FROM responses r JOIN schemes s USING (scheme_id)"""
        ).df()
    frame = frame[(frame["respondent_type"] == khi.population) & frame["v"].notna()]
    frame = frame[pd.to_datetime(frame["quarter_start"]) <= pd.Timestamp(end)]
    if regions is not None:
        frame = frame[frame["region"].isin(regions)]
    frame = frame.sort_values(["completed_on", "response_id"])
    people = frame.groupby(["scheme_id", "person_key"]).agg(
        first=("v", "first"), last=("v", "last"), k=("v", "size"),
        # the latest answer's own support type, "not recorded" included
        support_type=("support_type", lambda s: s.iloc[-1]), region=("region", "first"),
    ).reset_index()
    people = people[people["k"] >= 2]
    people["d"] = people["last"] - people["first"]
    people = people.rename(columns={"scheme_id": "scheme"})
    sign = 1 if khi.polarity == "high" else -1
    rows = []
    for key, part in people.groupby(keys, dropna=False) if keys else [((), people)]:
        d = part["d"].to_numpy()
        rows.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,))),
                     "n": len(d), "total": d.sum(), "total_sq": (d * d).sum(),
                     "better": int((sign * d > 0).sum()), "same": int((d == 0).sum()),
                     "worse": int((sign * d < 0).sum())})
    return pd.DataFrame(rows)


def compare(engine: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    engine = engine[engine["n"] > 0]
    assert len(engine) == len(expected)
    if expected.empty:
        return
    both = engine.merge(expected, on=keys, suffixes=("", "_ref"), how="outer", indicator=True)
    assert (both["_merge"] == "both").all()
    for column in ("n", "better", "same", "worse"):
        assert (both[column].astype(int) == both[f"{column}_ref"].astype(int)).all(), column
    for column in ("total", "total_sq"):
        assert np.allclose(both[column].astype(float), both[f"{column}_ref"], rtol=1e-9)


@pytest.mark.parametrize("khi", CHANGES, ids=lambda k: k.code)
def test_every_period_end_by_scheme_and_support_type(demo_store: Store, khi) -> None:
    keys = ["scheme", "support_type"]
    with demo_store.connect() as con:
        ends = quarters(con)
        view, bench = change_cells(con, [khi], keys, ends, Filters(), bench_keys=[])
    assert len(ends) >= 3
    assert (view["n"] > 0).sum() > 20  # people with two answers in many groups
    for end in ends:
        compare(view[view["quarter"] == end].drop(columns=["khi", "quarter"]),
                reference(demo_store, khi, end, keys), keys)
        england = bench[(bench["quarter"] == end)]
        expected = reference(demo_store, khi, end, [])
        if expected.empty:
            assert int(england["n"].sum()) == 0
            continue
        assert int(england["n"].iloc[0]) == int(expected["n"].iloc[0])
        total = np.nan_to_num(float(england["total"].iloc[0]))  # NaN: nobody yet
        assert np.isclose(total, expected["total"].iloc[0])


def test_both_change_khis_in_one_pass_with_an_area(demo_store: Store) -> None:
    region = demo_store.schemes()["region"].iloc[0]
    with demo_store.connect() as con:
        end = quarters(con)[-1]
        view, _ = change_cells(con, CHANGES, ["scheme"], [end], Filters(regions=(region,)))
    for khi in CHANGES:
        part = view[view["khi"] == khi.code].drop(columns=["khi", "quarter"])
        compare(part, reference(demo_store, khi, end, ["scheme"], regions=[region]), ["scheme"])


def test_one_end_and_many_ends_give_the_same_cells(demo_store: Store) -> None:
    """change_sums has two plans (a grouped pass for one end, a running window for
    several): at every end, with an area, a support-type filter and a benchmark,
    they give the same cells."""
    region = demo_store.schemes()["region"].iloc[0]
    filters = Filters(regions=(region,), support_types=("long_term", "short_break"))
    keys = ["scheme", "support_type"]
    with demo_store.connect() as con:
        ends = quarters(con)
        many, many_bench = change_cells(con, CHANGES, keys, ends, filters, bench_keys=[])
        assert int(many["n"].sum()) > 50 and int(many_bench["n"].sum()) > 200
        for end in ends:
            one, one_bench = change_cells(con, CHANGES, keys, [end], filters, bench_keys=[])
            for mine, theirs, by in ((one, many, ["khi", *keys]), (one_bench, many_bench, ["khi"])):
                theirs = theirs[theirs["quarter"] == end]
                pd.testing.assert_frame_equal(
                    mine[mine["n"] > 0].sort_values(by).reset_index(drop=True),
                    theirs[theirs["n"] > 0].sort_values(by).reset_index(drop=True),
                    check_dtype=False,
                )
