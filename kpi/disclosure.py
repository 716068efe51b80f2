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

import numpy as np
import pandas as pd

from kpi.errors import BadArgument


def primary(n: pd.Series, min_base: int) -> pd.Series:
    """Cells with a base from 1 to ``min_base - 1``."""
    if min_base < 1:
        raise BadArgument("min_base must be at least 1")
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
    base_arr = base.to_numpy(dtype=float)
    state = hidden.to_numpy(dtype=bool)
    # Each breakdown's cells (group ids) and, for a nested one, which cells lie in a
    # parent hidden in the parents' own table: both depend only on the bases.
    plans = []
    for dimension in by:
        partition = [c for c in within if c != dimension]
        parent = nest.get(dimension)
        if parent is not None and parent not in partition:
            partition.append(parent)
        group = _group_ids(keys, partition)
        in_hidden_parent = (
            None if parent is None
            else _in_hidden_parent(keys, partition, parent, base, min_base, rank[parent])
        )
        plans.append((group, rank[dimension].to_numpy(), in_hidden_parent))
    changed = True
    while changed:
        changed = False
        for group, order, in_hidden_parent in plans:
            hidden_in_group = np.bincount(group, weights=state)[group]
            if in_hidden_parent is not None:
                # A hidden parent must not be the sum of children all shown.
                extra = _smallest(group, base_arr, order,
                                  in_hidden_parent & (hidden_in_group == 0) & ~state)
                if extra.any():
                    state = state | extra
                    changed = True
                    hidden_in_group = np.bincount(group, weights=state)[group]
            extra = _smallest(group, base_arr, order, (hidden_in_group == 1) & ~state)
            if extra.any():
                state = state | extra
                changed = True
    return pd.Series(state, index=frame.index)


def _group_ids(keys: pd.DataFrame, partition: list[str]) -> np.ndarray:
    if not partition:
        return np.zeros(len(keys), dtype=np.int64)
    return keys.groupby(partition, sort=False).ngroup().to_numpy()


def _smallest(
    group: np.ndarray, base: np.ndarray, order: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """The candidate with answers and the smallest base in each group (ties: by code)."""
    candidates = candidates & (base > 0)
    extra = np.zeros(len(group), dtype=bool)
    where = np.flatnonzero(candidates)
    if len(where):
        ranked = where[np.lexsort((order[where], base[where], group[where]))]
        first = np.ones(len(ranked), dtype=bool)
        first[1:] = group[ranked][1:] != group[ranked][:-1]
        extra[ranked[first]] = True
    return extra


def _in_hidden_parent(
    keys: pd.DataFrame,
    partition: list[str],
    parent: str,
    base: pd.Series,
    min_base: int,
    parent_rank: pd.Series,
) -> np.ndarray:
    """Which cells lie in a parent (region) that the parents' own table hides.

    The parents are published in a table of their own, with the same primary and
    secondary suppression. A parent hidden there must not be recoverable here as
    the sum of its children, so where every child of a hidden parent is shown, its
    smallest child is hidden (and the lone-cell rule then hides a second beside
    it). Otherwise one small scheme alone in its region could be read off the
    England total minus the other regions.
    """
    outer = [c for c in partition if c != parent]
    cell_parent = _group_ids(keys, partition)
    totals = np.bincount(cell_parent, weights=base.to_numpy(dtype=float))
    first_cell = np.unique(cell_parent, return_index=True)[1]
    parent_hidden = np.array(primary(pd.Series(totals), min_base), dtype=bool)
    if not parent_hidden.any():
        return np.zeros(len(keys), dtype=bool)
    # The parents' own secondary suppression: one more parent beside a lone one.
    outer_group = _group_ids(keys.iloc[first_cell], outer)
    order = parent_rank.to_numpy()[first_cell]
    count = np.bincount(outer_group, weights=parent_hidden)[outer_group]
    parent_hidden |= _smallest(outer_group, totals, order, (count == 1) & ~parent_hidden)
    return parent_hidden[cell_parent]


def _rank(values: pd.Series) -> pd.Series:
    """A stable order of a column's codes (missing last), for breaking ties."""
    codes, _ = pd.factorize(values, sort=True)  # missing: -1
    codes = np.where(codes < 0, codes.max() + 1, codes)
    return pd.Series(codes, index=values.index)


# ------------------------------------------------------- linked tables (#12) ---
# A cell's value in a dimension when the cell is that dimension's total.
TOTAL = "\u03a3 total"
# Area levels: England is (TOTAL, TOTAL), a region (region, TOTAL), a scheme
# (region, scheme).
AREA = ("region", "scheme")


def suppress_linked(
    frame: pd.DataFrame,
    dims: Sequence[str],
    within: Sequence[str],
    min_base: int,
    n: str = "n",
) -> pd.Series:
    """One decision per cell across every linked table a user can ask for.

    ``frame`` holds every cell of the lattice: the area (columns ``region`` and
    ``scheme``, :data:`TOTAL` for England or a region's own total) and each
    dimension of ``dims`` (its value, or :data:`TOTAL`), separately for each
    combination of ``within`` (e.g. KHI and quarter). Every cell that is the sum
    of others is a *parent*: England of the regions, a region of its schemes, a
    dimension's total of its values. In every parent's breakdown:

    - a lone hidden child hides the smallest other child with answers;
    - a hidden parent with every child shown hides its smallest child (and the
      first rule then a second);

    repeated until stable. Hiding only ever moves from a cell to a finer one,
    so a cell's decision depends only on the cells it is made of and their
    totals: the same whichever table, filter or page asks for it.

    Returns a boolean Series aligned with ``frame`` (True = hidden).
    """
    needed = [n, *AREA, *dims, *within]
    missing = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"suppress_linked: columns missing from the frame: {', '.join(missing)}"
        )
    base = pd.to_numeric(frame[n], errors="coerce").fillna(0).to_numpy(dtype=float)
    state = np.array(primary(pd.Series(base), min_base), dtype=bool)
    if not state.any():
        return pd.Series(state, index=frame.index)
    columns = list(dict.fromkeys([*within, *AREA, *dims]))
    # Integer code per key column (TOTAL gets its own code), mixed into one id.
    codes, total_code, ranks = {}, {}, {}
    for c in columns:
        values = frame[c]
        values = values.astype(object)
        is_total = values.to_numpy() == TOTAL
        code, _ = pd.factorize(values.where(~is_total, None) if is_total.any() else values,
                               sort=False, use_na_sentinel=False)
        code = code.astype(np.int64)
        # A NaN value ("not recorded") is a value like any other; TOTAL is separate.
        # Rows that were TOTAL got the code of None, which can clash with a real
        # missing value: give TOTAL a code of its own.
        top = int(code.max()) + 1 if len(code) else 0
        code = np.where(is_total, top, code)
        codes[c], total_code[c] = code, top
        rank, _ = pd.factorize(values.where(~is_total, None), sort=True)
        ranks[c] = np.where(rank < 0, np.iinfo(np.int32).max, rank)
    radix = {c: int(codes[c].max()) + 2 for c in columns}
    mult, m = {}, 1
    for c in columns:
        mult[c] = m
        m *= radix[c]
    ids = np.zeros(len(frame), dtype=np.int64)
    for c in columns:
        ids += codes[c] * mult[c]
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]

    def row_of(wanted: np.ndarray) -> np.ndarray:
        at = np.searchsorted(sorted_ids, wanted)
        at = np.minimum(at, len(sorted_ids) - 1)
        found = sorted_ids[at] == wanted
        return np.where(found, order[at], -1)

    is_total = {c: codes[c] == total_code[c] for c in (*AREA, *dims)}
    # (children rows, their parent's id as a group, tie-break order)
    relations = []
    for d in dims:
        relations.append((np.flatnonzero(~is_total[d]), d, False))
    relations.append((np.flatnonzero(~is_total["scheme"]), "scheme", True))
    relations.append((np.flatnonzero(is_total["scheme"] & ~is_total["region"]), "region", True))
    plans = []
    pinned = np.zeros(len(frame), dtype=bool)
    same = []  # (child rows, parent rows): an area cell with one child holding every answer
    copies = []  # the same for a breakdown: the child is its total, and follows it
    for children, d, is_area in relations:
        if not len(children):
            continue
        parent_ids = ids[children] + (total_code[d] - codes[d][children]) * mult[d]
        group, uniques = pd.factorize(parent_ids)
        parent_row = row_of(uniques)
        parents = parent_row[group]
        sole = (parents >= 0) & (base[children] > 0) & (
            base[children] == base[np.maximum(parents, 0)])
        if is_area:
            same.append((children[sole], parents[sole]))
        else:
            # A cell that holds every answer of its total IS that total, published at
            # a coarser level: hiding it would protect nothing.
            pinned[children[sole]] = True
            copies.append((children[sole], parents[sole]))
        plans.append((children, group, parent_row, ranks[d][children], is_area))
    # Cells that are the same people (a region of one scheme) share their fate.
    for _ in range(4):
        for child, parent in same:
            pinned[child] |= pinned[parent]
            pinned[parent] |= pinned[child]
    # Hiding a total instead of a sibling (below) is the last resort: only once
    # every other rule has settled.
    changed, last_resort = True, False
    while changed or not last_resort:
        last_resort = not changed
        changed = False
        for child, parent in same:
            both = state[child] | state[parent]
            if (both != state[child]).any() or (both != state[parent]).any():
                state[child] = both
                state[parent] = both
                changed = True
        for child, parent in copies:
            follow = state[parent] & ~state[child]
            if follow.any():
                state[child[follow]] = True
                changed = True
        for children, group, parent_row, rank, is_area in plans:
            size = len(parent_row)
            hidden = state[children]
            free = ~hidden & ~pinned[children]
            count = np.bincount(group, weights=hidden, minlength=size)
            parent_hidden = np.where(parent_row >= 0, state[np.maximum(parent_row, 0)], False)
            lone_parent = parent_hidden & (count == 0)
            if lone_parent.any():
                extra = _smallest(group, base[children], rank, lone_parent[group] & free)
                if extra.any():
                    state[children[extra]] = True
                    changed = True
                    hidden = state[children]
                    free = ~hidden & ~pinned[children]
                    count = np.bincount(group, weights=hidden, minlength=size)
            extra = _smallest(group, base[children], rank, (count == 1)[group] & free)
            if extra.any():
                state[children[extra]] = True
                changed = True
                count = np.bincount(group, weights=state[children], minlength=size)
            if is_area and last_resort:
                # A lone hidden child with no sibling to hide beside it: its total
                # (a region, or England) is hidden instead.
                lone = (count == 1) & (parent_row >= 0)
                up = parent_row[lone]
                up = up[~state[up]]
                if len(up):
                    state[up] = True
                    changed = True
    return pd.Series(state, index=frame.index)


# The published rule (Definitions page; the README says the same): one text, so the
# page cannot drift from what the engine does.
PROTECTION_TEXT = """
### How small numbers are protected

**The rule.** A number about fewer than **{min_base} people** (1 to {below}) is
never shown: not its value, interval, count, base or benchmark, in any page, chart,
table, CSV, PDF or command-line answer. A group with nobody in it shows nothing
and reveals nothing.

**Second cells.** Where one cell is hidden, others are hidden with it so that it
cannot be worked out by subtraction. The tables a user can reach are linked: all
of England is the sum of the nations and regions, a region the sum of its
schemes, a group's total the sum of its support types (or ages, genders...), all
quarters the sum of the quarters. In every such sum, a lone hidden cell hides the
smallest other one with answers; a hidden total hides one of its parts; a cell
that holds all of its total's people shares the total's fate; where nothing
else can be hidden, the total is. This repeats until nothing changes.

**One decision per cell.** Each cell is decided once, over all of England, and
every view shows it the same way: a region picked in the sidebar, the same region
in a table of regions, or a scheme asked for alone. Views that add up several
cells (a scope of several schemes) are shown only when every cell they add up is.

**The cheaper cell.** A small quarter hides the all-quarters total, not a second
quarter, so the latest quarter stays visible.

**What is never shown.** Respondent references (pseudonymised on upload); any
number from a hidden cell; a benchmark from a base below {min_base} or from a hidden
cell (a scheme alone in its region); "asked" and "answered" counts, response
counts and answer distributions of hidden cells (a distribution is its cell's
answers: shown whole with the cell, or not at all).

**Counts beside the tables.** Every other count is one of these cells or a sum of
shown ones, or it is not shown. On *What goes with better outcomes* a group's
number of people is the outcome's cell for that group (support type, who filled in
the form), and the base is shown only when the area's total and its "not recorded"
cell both are; groups of a question (involved in planning or not) are in no table,
so their counts and the base are not shown. The board pack's response rate adds up
schemes' surveys and people supported: it is shown only when every scheme in it is.
Upload lists show row counts only to people who may upload for that scheme.

**Activity returns.** People supported (by support type), approved carers and
arrangements begun and ended are counts of people too: the same rule on their own
linked tables (England, regions, schemes; a total and its support types), decided
once per quarter. Growth over a year is shown only between two shown totals.

**Not offered.** More than three breakdowns besides area and quarter at once (the
support-type filter counts as one): too many linked tables to protect.

**Known limits.** Shown numbers are exact (no rounding or noise), so hidden cells
can sometimes be bounded (for example "between 5 and 9") though not worked out.
Change over time counts people with two answers up to a quarter's end, so two
quarters' counts differ by the people who gained a second answer.
"""
