"""Disclosure control: which cells of a table must not be shown.

Primary suppression hides a cell whose base is 1 to ``min_base - 1``. Secondary
suppression stops a hidden cell being worked out by subtraction: in every
breakdown (the cells that differ only in one dimension, and so add up to a
published total) where exactly one cell is hidden, the next-smallest cell with
answers is hidden too; this repeats until no breakdown has a lone hidden cell,
because hiding a cell in one dimension can leave a lone one in another.

A cell with no answers (n = 0) is not hidden: it reveals nothing, and hiding it
would protect nothing. Schemes nest in regions, so for a breakdown by scheme the
region is part of the breakdown (``nest``): otherwise one hidden scheme could
be read off its region's published total.

References
----------
ONS (2022) "Statistical disclosure control for tables"; Office for Statistics
Regulation, Code of Practice T6.4; NHS Digital "Disclosure control method for
ASCOF/SALT" (suppress below 5, secondary suppression of the next-smallest cell).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd


def primary(n: pd.Series, min_base: int) -> pd.Series:
    """Cells with a base from 1 to ``min_base - 1``."""
    if min_base < 1:
        raise ValueError("min_base must be at least 1")
    base = pd.to_numeric(n, errors="coerce").fillna(0)
    return (base > 0) & (base < min_base)


def suppress(
    frame: pd.DataFrame,
    by: Sequence[str],
    within: Sequence[str],
    min_base: int,
    nest: Mapping[str, str] | None = None,
    n: str = "n",
) -> pd.Series:
    """Which rows of ``frame`` to hide: primary, then secondary suppression.

    Parameters
    ----------
    frame : DataFrame
        One row per cell, with the base in column ``n``.
    by : sequence of str
        Dimensions along which cells add up to a published total (each one a
        breakdown for secondary suppression).
    within : sequence of str
        Columns that identify a cell (e.g. ``["khi", "region", "quarter"]``);
        cells that share all of them but one dimension of ``by`` form a breakdown.
    min_base : int
        Smallest base shown.
    nest : mapping, optional
        Dimension -> column of its parent (``{"scheme": "region"}``): a breakdown
        along the dimension is taken within each parent.
    n : str, default "n"
        Column of the base.

    Returns
    -------
    Series of bool, aligned with ``frame``.

    Raises
    ------
    ValueError
        If a column named in ``by``, ``within``, ``nest`` or ``n`` is missing.
    """
    nest = dict(nest or {})
    needed = [n, *by, *within, *nest.values()]
    missing = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if missing:
        raise ValueError(f"suppress: columns missing from the frame: {', '.join(missing)}")
    base = pd.to_numeric(frame[n], errors="coerce").fillna(0)
    hidden = primary(base, min_base)
    if not hidden.any() or not by:
        return hidden.astype(bool)
    # Integer codes per key column (a missing code, "not recorded", is a cell like
    # any other): grouping on integers is what keeps this fast on big tables.
    keys = pd.DataFrame(
        {
            c: pd.factorize(frame[c], use_na_sentinel=False)[0]
            for c in dict.fromkeys([*within, *nest.values()])
        },
        index=frame.index,
    )
    # Ties are broken by the group's own code, so a cell hidden in one table is the
    # one hidden in every other table of the same cells, whatever the row order.
    rank = {c: _rank(frame[c]) for c in dict.fromkeys([*by, *nest.values()])}
    changed = True
    while changed:
        changed = False
        for dimension in by:
            partition = [c for c in within if c != dimension]
            if dimension in nest:
                partition.append(nest[dimension])
                extra = _hidden_parent(
                    keys, partition, nest[dimension], base, hidden, min_base,
                    rank[dimension], rank[nest[dimension]],
                )
                if extra.any():
                    hidden = hidden | extra
                    changed = True
            extra = _next_smallest(keys, partition, base, hidden, rank[dimension])
            if extra.any():
                hidden = hidden | extra
                changed = True
    return hidden.astype(bool)


def _rank(values: pd.Series) -> pd.Series:
    """A stable order of a column's codes (missing last), for breaking ties."""
    text = values.astype(object).where(values.notna(), "\uffff").astype(str)
    return text.rank(method="dense")


def _hidden_parent(
    keys: pd.DataFrame,
    partition: list[str],
    parent: str,
    base: pd.Series,
    hidden: pd.Series,
    min_base: int,
    rank: pd.Series,
    parent_rank: pd.Series,
) -> pd.Series:
    """Keep a nested breakdown consistent with its parents' own table.

    The parents (regions) are published in a table of their own, with the same
    primary and secondary suppression. A parent hidden there must not be
    recoverable here as the sum of its children, so where every child of a
    hidden parent is shown, its smallest child is hidden (and the next pass
    hides a second child beside it). Otherwise one small scheme alone in its
    region could be read off the England total minus the other regions.
    """
    outer = [c for c in partition if c != parent]
    parents = pd.DataFrame({"base": base, "rank": parent_rank})
    parents[partition] = keys[partition]
    totals = parents.groupby(partition, sort=False).agg(
        base=("base", "sum"), rank=("rank", "first")
    ).reset_index()
    totals_hidden = primary(totals["base"], min_base)
    if not totals_hidden.any():
        return pd.Series(False, index=keys.index)
    # The parents' own secondary suppression: one more parent beside a lone one.
    group = (
        totals.groupby(outer, sort=False).ngroup() if outer else pd.Series(0, index=totals.index)
    )
    totals_hidden |= _lone_extra(group, totals["base"], totals_hidden, totals["rank"])
    hidden_parents = totals.loc[totals_hidden, partition]
    cell_parent = keys[partition].merge(
        hidden_parents.assign(_hidden_parent=True), on=partition, how="left"
    )["_hidden_parent"].fillna(False).to_numpy(dtype=bool)
    cell_parent = pd.Series(cell_parent, index=keys.index)
    group_cells = keys.groupby(partition, sort=False).ngroup()
    none_hidden = hidden.groupby(group_cells).transform("sum") == 0
    candidates = cell_parent & none_hidden & ~hidden & (base > 0)
    return _smallest_per_group(group_cells, base, rank, candidates)


def _lone_extra(
    group: pd.Series, base: pd.Series, hidden: pd.Series, rank: pd.Series
) -> pd.Series:
    lone = hidden.groupby(group).transform("sum") == 1
    return _smallest_per_group(group, base, rank, lone & ~hidden & (base > 0))


def _smallest_per_group(
    group: pd.Series, base: pd.Series, rank: pd.Series, candidates: pd.Series
) -> pd.Series:
    """The candidate with the smallest base in each group (ties: by code)."""
    extra = pd.Series(False, index=group.index)
    if candidates.any():
        pool = pd.DataFrame(
            {"group": group[candidates], "base": base[candidates], "rank": rank[candidates]}
        )
        first = pool.sort_values(["base", "rank"], kind="stable").groupby("group").head(1)
        extra.loc[first.index] = True
    return extra


def _next_smallest(
    keys: pd.DataFrame,
    partition: list[str],
    base: pd.Series,
    hidden: pd.Series,
    rank: pd.Series,
) -> pd.Series:
    """In each breakdown with exactly one hidden cell, its smallest shown cell."""
    if partition:
        group = keys.groupby(partition, sort=False).ngroup()
    else:
        group = pd.Series(0, index=keys.index)
    return _lone_extra(group, base, hidden, rank)
