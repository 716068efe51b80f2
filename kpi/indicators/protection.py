"""Disclosure control across linked tables: the engine's use of :mod:`kpi.disclosure`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from kpi.catalogue import KHI
from kpi.disclosure import TOTAL, suppress_linked
from kpi.errors import BadRequest
from kpi.indicators.cells import as_dates, change_cells
from kpi.indicators.filters import Filters, Settings
from kpi.store import queries

# Why here: a cell must be hidden in the same way whichever table,
# filter or page asks for it, so the decision is taken on the lattice of every
# table a user can reach from the request (England, regions and schemes; each
# breakdown dimension and its total; each quarter) over all of England, and each
# row of the answer looks its decision up there. Areas and support types chosen
# together (several regions, a scope of schemes, several support types) are sums
# of lattice cells: shown only when every cell they add up is shown, so they add
# nothing to what is already published. "All quarters" is such a sum of quarters,
# so a small quarter hides the all-quarters total, not a second quarter.


# Breakdown dimensions besides area and quarter, beyond which no table is offered:
# each more doubles the linked tables to protect.
MAX_BREAKDOWNS = 3


def lattice_dims(by: Sequence[str], filters: Filters) -> list[str]:
    """The breakdown dimensions of the lattice: the request's, and support type
    when it is filtered (a filtered view is a cell of the support-type table)."""
    dims = [d for d in by if d not in ("region", "scheme", "quarter")]
    if filters.support_types is not None and "support_type" not in dims:
        dims.append("support_type")
    if len(dims) > MAX_BREAKDOWNS:
        raise BadRequest(
            f"At most {MAX_BREAKDOWNS} breakdowns besides region, scheme and quarter "
            "(the support-type filter counts as one): small groups could not be "
            "protected across so many tables."
        )
    return dims


def _everyone(filters: Filters) -> Filters:
    """``filters`` without what chooses an area or support type: the lattice's."""
    return dataclasses.replace(
        filters, regions=None, scheme_ids=None, scope=None, support_types=None
    )


@dataclass(frozen=True)
class Finest:
    """The finest cells over England of one request kind: the scored KHIs' sums
    (wide, ``queries.finest_sums``) and the change KHIs' (long, ``change_cells`` by
    region, scheme and the breakdowns), each None when the request has none. Every
    view, benchmark and lattice of that kind is a sum of them."""

    scored: pd.DataFrame | None
    changes: pd.DataFrame | None


def finest_cells(
    con: duckdb.DuckDBPyConnection,
    scored: Sequence[KHI],
    changes: Sequence[KHI],
    dims: Sequence[str],
    period: tuple[str, list],
    ends: Sequence[dt.date] | None,
    filters: Filters,
    store_version: Hashable | None = None,
) -> Finest:
    """The finest cells for a KHI table (one scan a population kind), kept in
    ``LATTICES`` by store version like the lattice made from them: the tables of
    any area, scope or breakdown by area of one period share them. Why: a cold KHI
    table scanned the responses once for its view and benchmark and again for its
    lattice; the Quarterly board page's by-quarter table made the change pass twice."""
    everyone = _everyone(filters)
    keys = ["region", "scheme", "quarter", *dims]

    def scored_sums() -> pd.DataFrame:
        return _plain_keys(queries.finest_sums(con, scored, keys, *period, everyone),
                           [*keys, "respondent_type"])

    def change_sums() -> pd.DataFrame:
        cells, _ = change_cells(con, changes, ["region", "scheme", *dims], ends or [], everyone)
        return _plain_keys(cells, ["khi", "quarter", "region", "scheme", *dims])

    def kept(kind: str, khis: Sequence[KHI], extra: Hashable,
             build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        key = None if store_version is None else (
            kind, store_version, tuple(k.code for k in khis), tuple(dims), extra, everyone)
        return LATTICES.get(key, build)

    return Finest(
        scored=kept("sums", scored, (period[0], tuple(period[1])), scored_sums)
        if scored else None,
        changes=kept("change sums", changes, None if ends is None else tuple(ends), change_sums)
        if changes and ends else None,
    )


def _plain_keys(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """``frame`` with its key columns as Python objects (quarters as dates), once:
    DuckDB's strings come as Arrow arrays, and every sum, mask and lattice taken from
    kept cells converted them again (a fifth of a cold board page's table, py-spy)."""
    out = frame.copy(deep=False)
    for key in dict.fromkeys(keys):
        values = frame[key]
        out[key] = pd.Series(
            as_dates(values) if key == "quarter" else values.to_numpy(dtype=object),
            index=frame.index, dtype=object,
        )
    return out


def _lattice_finest(
    con: duckdb.DuckDBPyConnection,
    scored: Sequence[KHI],
    changes: Sequence[KHI],
    dims: Sequence[str],
    period_sql: str,
    period_params: list,
    ends: Sequence[dt.date] | None,
    filters: Filters,
    finest: Finest | None = None,
) -> pd.DataFrame:
    """Bases of the finest lattice cells over England: khi, quarter, region,
    scheme, the dims, n (cells without answers left out). ``finest``: the cells
    already read for the table (else read here: the counts' lattices).

    Built column by column from arrays, keys as Python objects (what the lattice
    works on): frames sliced, copied and concatenated per KHI, with DuckDB's
    timestamps turned into dates row by row, were a third of a cold board page's
    lattice (cProfile, /tmp/bcp.py in the commit)."""
    everyone = _everyone(filters)
    columns = ["khi", "quarter", "region", "scheme", *dims, "n"]
    parts: list[dict[str, np.ndarray]] = []
    if scored:
        keys = ["region", "scheme", "quarter", *dims]
        wide = finest.scored if finest is not None else queries.finest_bases(
            con, scored, keys, period_sql, period_params, everyone
        )
        parts += _finest_of_each(wide, scored, keys)
    if changes and ends:
        cells = finest.changes if finest is not None else change_cells(
            con, changes, ["region", "scheme", *dims], ends, everyone)[0]
        parts.append({c: cells[c].to_numpy(dtype=None if c == "n" else object)
                      for c in columns})
    if not parts:
        return pd.DataFrame(columns=columns)
    data = {c: np.concatenate([part[c] for part in parts]) for c in columns}
    keep = pd.to_numeric(pd.Series(data["n"])).fillna(0).to_numpy() > 0
    return pd.DataFrame({
        c: values[keep] if c == "n" else pd.Series(values[keep], dtype=object)
        for c, values in data.items()
    })


def _finest_of_each(
    wide: pd.DataFrame, scored: Sequence[KHI], keys: Sequence[str]
) -> list[dict[str, np.ndarray]]:
    """Each KHI's finest cells (in ``scored`` order) from the wide bases (``n_i``),
    over its own population, as arrays: the key columns are read once per population."""
    by_population: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    parts = []
    for i, k in enumerate(scored):
        if k.population not in by_population:
            mask = (wide["respondent_type"] == k.population).to_numpy()
            rows = {key: wide[key].to_numpy(dtype=object)[mask] for key in keys}
            rows["quarter"] = as_dates(wide["quarter"][mask])
            by_population[k.population] = (mask, rows)
        mask, rows = by_population[k.population]
        n = wide[f"n_{i}"].to_numpy()[mask]
        parts.append({"khi": np.full(len(n), k.code, dtype=object), **rows, "n": n})
    return parts


class _LatticeMemo:
    """The lattices worked out lately, by store version and request.

    Why: a lattice is over all of England, whatever area, scope or breakdown by
    area asks, so the tables of one page (the Overview's England, region and
    scheme tiles), the same page for another role, and the next page share it;
    it was over half of a KHI table's time. Keyed on the store's change stamp
    (:meth:`kpi.store.Store.change_stamp`), read inside the caller's read batch,
    where no write can land, so a lattice never outlives the data it came from.
    Bounded by rows, not entries: a lattice of three breakdowns on a large sector
    has hundreds of thousands of rows. Callers never change a lattice in place."""

    max_rows = 1_000_000

    def __init__(self) -> None:
        self._lattices: OrderedDict[Hashable, pd.DataFrame] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable | None, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        if key is None:
            return build()
        with self._lock:
            found = self._lattices.get(key)
            if found is not None:
                self._lattices.move_to_end(key)
                return found
        lattice = build()  # outside the lock: another thread may build it too
        if len(lattice) <= self.max_rows:
            with self._lock:
                if key not in self._lattices:
                    self._lattices[key] = lattice
                    self._rows += len(lattice)
                while self._rows > self.max_rows:
                    _, old = self._lattices.popitem(last=False)
                    self._rows -= len(old)
        return lattice


LATTICES = _LatticeMemo()


def _lattice(finest: pd.DataFrame, dims: Sequence[str], min_base: int) -> pd.DataFrame:
    """Every linked cell (sums of the finest ones, TOTAL marking a total) and its
    decision (``hidden``)."""
    levels = []
    inner = ["khi", "quarter"]
    for size in range(len(dims) + 1):
        for subset in _subsets(dims, size):
            for area in (["region", "scheme"], ["region"], []):
                keys = [*inner, *area, *subset]
                level = finest.groupby(keys, dropna=False, sort=False, as_index=False)[
                    "n"].sum()
                for c in ("region", "scheme", *dims):
                    if c not in keys:
                        level[c] = TOTAL
                levels.append(level)
    cells = pd.concat(levels, ignore_index=True)
    for c in ("region", "scheme", *dims):
        cells[c] = cells[c].astype(object)
    cells["hidden"] = suppress_linked(
        cells, dims=list(dims), within=inner, min_base=min_base
    ).to_numpy()
    return cells


def _subsets(items: Sequence[str], size: int) -> list[list[str]]:
    import itertools

    return [list(c) for c in itertools.combinations(items, size)]


def _area_parts(
    con: duckdb.DuckDBPyConnection, filters: Filters
) -> tuple[dict[str, list[tuple]], list[tuple]]:
    """What the filtered area is made of, in lattice cells: per region (a whole
    region, or its chosen schemes) and for the whole view (England when nothing
    is left out)."""
    register = queries.scheme_regions(con).itertuples(index=False, name=None)
    chosen = set(queries.region_names(filters.regions)) if filters.regions is not None else None
    per_region: dict[str, list[tuple]] = {}
    whole = True
    by_region: dict[str, list[str]] = {}
    for scheme_id, region in register:
        by_region.setdefault(region, []).append(scheme_id)
    for region, ids in by_region.items():
        keep = [
            s for s in ids
            if (chosen is None or region in chosen)
            and (filters.scheme_ids is None or s in filters.scheme_ids)
            and (filters.scope is None or s in filters.scope)
        ]
        if len(keep) == len(ids):
            per_region[region] = [(region, TOTAL)]
        else:
            whole = False
            per_region[region] = [(region, s) for s in keep]
    view = [(TOTAL, TOTAL)] if whole else [c for parts in per_region.values() for c in parts]
    return per_region, view


def _decisions(
    rows: pd.DataFrame,
    lattice: pd.DataFrame,
    dims: Sequence[str],
    area: str | list[tuple],
    per_region: dict[str, list[tuple]],
    support: list | None,
) -> np.ndarray:
    """Hidden or not, per row of ``rows`` (khi and key columns), from the lattice.

    ``area``: "scheme" (the row's own scheme), "region" (the row's region, as the
    filters leave it) or a fixed list of (region, scheme) lattice cells. A row made
    of several lattice cells is hidden when any of them is. ``support``: the
    support-type cells when the rows have no support_type column.
    """
    if rows.empty:
        return np.zeros(0, dtype=bool)
    base = pd.DataFrame({"_row": np.arange(len(rows)), "khi": rows["khi"].to_numpy()})
    for d in dims:
        if d in rows.columns:
            base[d] = rows[d].to_numpy(dtype=object)
    if "quarter" in rows.columns:
        base["quarter"] = as_dates(rows["quarter"])
    if area == "scheme":
        base["region"] = rows["region"].to_numpy(dtype=object)
        base["scheme"] = rows["scheme"].to_numpy(dtype=object)
    elif area == "region":
        parts = pd.DataFrame(
            [(r, r2, s) for r, cells in per_region.items() for r2, s in cells],
            columns=["_region", "region", "scheme"],
        )
        base["_region"] = rows["region"].to_numpy(dtype=object)
        base = base.merge(parts, on="_region", how="inner").drop(columns="_region")
    else:
        base = base.merge(pd.DataFrame(area, columns=["region", "scheme"]), how="cross")
    if "support_type" in dims and "support_type" not in base.columns:
        base = base.merge(
            pd.DataFrame({"support_type": [TOTAL] if support is None else list(support)},
                         dtype=object),
            how="cross",
        )
    for d in dims:
        if d not in base.columns:
            base[d] = TOTAL
    if "quarter" not in base.columns:
        base = base.merge(lattice[["khi", "quarter"]].drop_duplicates(), on="khi")
    keys = ["khi", "quarter", "region", "scheme", *dims]
    for c in ("region", "scheme", *dims):
        base[c] = base[c].astype(object)
    found = base.merge(lattice[[*keys, "hidden"]], on=keys, how="left")
    hidden = found["hidden"].fillna(False).astype(bool)
    out = np.zeros(len(rows), dtype=bool)
    hit = found.loc[hidden.to_numpy(), "_row"].to_numpy()
    out[hit] = True
    return out


def protect_table(
    con: duckdb.DuckDBPyConnection,
    table: pd.DataFrame,
    bench: pd.DataFrame,
    scored: Sequence[KHI],
    changes: Sequence[KHI],
    by: Sequence[str],
    bench_keys: Sequence[str],
    period: tuple[str, list],
    ends: Sequence[dt.date] | None,
    filters: Filters,
    settings: Settings,
    store_version: Hashable | None = None,
    finest: Finest | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of the view and of the benchmarks are hidden (one decision per
    cell across every linked table). ``store_version`` (:meth:`kpi.store.Store.version`,
    read in the caller's read batch) lets the lattice be shared (``LATTICES``);
    ``finest``: the table's :func:`finest_cells` (else they are read here)."""
    dims = lattice_dims(by, filters)

    def build() -> pd.DataFrame:
        cells = _lattice_finest(con, scored, changes, dims, *period, ends, filters, finest)
        return cells if cells.empty else _lattice(cells, dims, settings.min_base)

    key = None if store_version is None else (
        store_version, tuple(k.code for k in scored), tuple(k.code for k in changes),
        tuple(dims), period[0], tuple(period[1]), None if ends is None else tuple(ends),
        _everyone(filters), settings.min_base,
    )
    lattice = LATTICES.get(key, build)
    if lattice.empty:
        return np.zeros(len(table), dtype=bool), np.zeros(len(bench), dtype=bool)
    per_region, view_area = _area_parts(con, filters)
    support = list(filters.support_types) if filters.support_types is not None else None
    if "scheme" in by:
        area: str | list[tuple] = "scheme"
    elif "region" in by:
        area = "region"
    else:
        area = view_area
    hidden = _decisions(table, lattice, dims, area, per_region, support)
    # Benchmarks are England (or the region) under the same support filter.
    if "region" in bench_keys:
        whole = {r: [(r, TOTAL)] for r in per_region}
        bench_area: str | list[tuple] = "region"
        bench_rows = bench[bench["region"].notna()] if "region" in bench else bench
    else:
        whole, bench_area, bench_rows = per_region, [(TOTAL, TOTAL)], bench
    bench_hidden = np.zeros(len(bench), dtype=bool)
    if len(bench_rows):
        keep = bench.index.get_indexer(bench_rows.index)
        bench_hidden[keep] = _decisions(
            bench_rows, lattice, dims, bench_area, whole,
            None if "support_type" in bench_keys else support,
        )
    return hidden, bench_hidden


@dataclass(frozen=True)
class ProtectedCount:
    """A count protected like a KHI's base: people of ``population`` in a cell
    with ``score_sql`` not null (``"1"``: everyone)."""

    code: str
    score_sql: str
    population: str


def count_lattice(
    con: duckdb.DuckDBPyConnection,
    counts: Sequence[ProtectedCount],
    period: tuple[str, list],
    filters: Filters,
    settings: Settings,
    by: Sequence[str] = (),
    store_version: Hashable | None = None,
) -> pd.DataFrame:
    """The lattice and decisions :func:`count_decisions` looks its rows up in (empty
    without answers). It depends on ``by`` only through its breakdowns besides
    region, scheme and quarter, and on the filters only through what they keep of
    England (not the area): so a caller asking several areas or groupings of one
    period builds it once, and with ``store_version`` (:meth:`kpi.store.Store.version`,
    read in the caller's read batch) it is kept in ``LATTICES`` like a KHI's."""
    dims = lattice_dims(by, filters)

    def build() -> pd.DataFrame:
        finest = _lattice_finest(con, counts, [], dims, *period, None, filters)
        if finest.empty:
            return pd.DataFrame()
        return _lattice(finest, dims, settings.min_base)

    key = None if store_version is None else (
        "counts", store_version, tuple((c.code, c.score_sql, c.population) for c in counts),
        tuple(dims), period[0], tuple(period[1]), _everyone(filters), settings.min_base,
    )
    return LATTICES.get(key, build)


def count_decisions(
    con: duckdb.DuckDBPyConnection,
    counts: Sequence[ProtectedCount],
    period: tuple[str, list],
    filters: Filters,
    settings: Settings,
    by: Sequence[str] = (),
    rows: pd.DataFrame | None = None,
    lattice: pd.DataFrame | None = None,
    store_version: Hashable | None = None,
) -> np.ndarray:
    """Hidden or not for counts shown outside the KHI table (answers, asked,
    answered, responses), from the same lattice and rules as the KHIs: one row
    per count (or per row of ``rows``, with khi = the count's code). ``lattice``:
    :func:`count_lattice` of the same arguments, when the caller has built it;
    ``store_version``: as :func:`count_lattice`'s."""
    dims = lattice_dims(by, filters)
    if lattice is None:
        lattice = count_lattice(con, counts, period, filters, settings, by, store_version)
    if rows is None:
        rows = pd.DataFrame({"khi": [c.code for c in counts]})
    if lattice.empty:
        return np.zeros(len(rows), dtype=bool)
    per_region, view_area = _area_parts(con, filters)
    support = list(filters.support_types) if filters.support_types is not None else None
    area: str | list[tuple] = (
        "scheme" if "scheme" in by else "region" if "region" in by else view_area
    )
    return _decisions(rows, lattice, dims, area, per_region, support)


# ------------------------------------------------------------ activity returns ---
# Activity returns count people too (people supported by support type, approved
# carers, arrangements begun and ended): the same rule, on their own linked tables
# (England = regions = schemes; a total = its support types), decided once over
# England per quarter. "activity:people" is split by support type; every other
# count is one cell per scheme.
ACTIVITY_PEOPLE = "activity:people"
ACTIVITY_ALL = "all"  # the support "type" of a count not split by support type


def activity_lattice(returns: pd.DataFrame, min_base: int) -> pd.DataFrame:
    """The activity counts' lattice and decisions, from the stored returns (one row
    per scheme and quarter: scheme_id, region, quarter_start, the counts)."""
    from kpi.store import ACTIVITY_COUNTS
    from kpi.store.queries import SUPPORT_COLUMNS

    frames = []
    # The same keys for every count: converted once, not once per count.
    quarters = as_dates(returns["quarter_start"])
    regions = returns["region"].to_numpy(dtype=object)
    schemes = returns["scheme_id"].to_numpy(dtype=object)
    for column in ACTIVITY_COUNTS:
        split = column in SUPPORT_COLUMNS
        frames.append(pd.DataFrame({
            "khi": ACTIVITY_PEOPLE if split else f"activity:{column}",
            "quarter": quarters,
            "region": regions,
            "scheme": schemes,
            "support_type": column if split else ACTIVITY_ALL,
            "n": pd.to_numeric(returns[column], errors="coerce").fillna(0).to_numpy(),
        }))
    finest = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    finest = finest[finest["n"] > 0].reset_index(drop=True)
    if finest.empty:
        return finest.assign(hidden=pd.Series(dtype=bool))
    return _lattice(finest, ["support_type"], min_base)


def activity_decisions(
    con: duckdb.DuckDBPyConnection,
    returns: pd.DataFrame,
    rows: pd.DataFrame,
    by: str,
    filters: Filters,
    min_base: int,
    lattice: pd.DataFrame | None = None,
) -> np.ndarray:
    """Hidden or not per row of ``rows`` (khi, quarter, support_type, and region or
    scheme and region as ``by`` says): a region's row under a scope is the sum of
    its schemes in scope, hidden when any of them is. ``lattice``: the returns'
    lattice when the caller has built it already."""
    if rows.empty:
        return np.zeros(0, dtype=bool)
    if lattice is None:
        lattice = activity_lattice(returns, min_base)
    if lattice.empty:
        return np.zeros(len(rows), dtype=bool)
    per_region, _ = _area_parts(con, filters)
    rows = rows.copy()
    rows["support_type"] = rows["support_type"].map(
        lambda v: TOTAL if v in (None, TOTAL) else v).astype(object)
    return _decisions(rows, lattice, ["support_type"], by, per_region, None)
