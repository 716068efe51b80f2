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
    changed = True
    while changed:
        changed = False
        for dimension in by:
            partition = [c for c in within if c != dimension]
            if dimension in nest:
                partition.append(nest[dimension])
            extra = _next_smallest(keys, partition, base, hidden)
            if extra.any():
                hidden = hidden | extra
                changed = True
    return hidden.astype(bool)


def _next_smallest(
    keys: pd.DataFrame, partition: list[str], base: pd.Series, hidden: pd.Series
) -> pd.Series:
    """In each breakdown with exactly one hidden cell, its smallest shown cell."""
    if partition:
        group = keys.groupby(partition, sort=False).ngroup()
    else:
        group = pd.Series(0, index=keys.index)
    lone = hidden.groupby(group).transform("sum") == 1
    candidates = lone & ~hidden & (base > 0)
    extra = pd.Series(False, index=keys.index)
    if candidates.any():
        pool = pd.DataFrame({"group": group[candidates], "base": base[candidates]})
        first = pool.sort_values("base", kind="stable").groupby("group", sort=False).head(1)
        extra.loc[first.index] = True
    return extra
