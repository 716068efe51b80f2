"""Data quality and sector size: response rates and totals, missing activity returns,
item completeness and the activity summary (the Data quality page).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from kpi.disclosure import primary
from kpi.errors import BadArgument
from kpi.indicators.filters import Filters, Settings, default_settings
from kpi.indicators.protection import (
    ACTIVITY_PEOPLE,
    LATTICES,
    ProtectedCount,
    activity_decisions,
    activity_lattice,
    count_decisions,
    count_lattice,
)
from kpi.indicators.quarters import latest_quarter
from kpi.items import bank
from kpi.periods import parse_quarter, shift_quarter
from kpi.store import Store, one_read_batch, queries

_RESPONSES = ProtectedCount("asked:person", "1", "person")  # each scheme's responses


class SharedReads:
    """What the data-quality figures read and build, kept for reuse within one batch
    of reads of an unchanging store (``Store.reading``): the activity returns and
    their lattice (every quarter, each decided within itself), each quarter's rate
    cells and its responses' lattice. Why: the board pack asks two quarters'
    totals and rates, which read these four times over; with one of these each is
    read or built once. Results are as without it."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._returns: pd.DataFrame | None = None
        self._lattices: dict[int, pd.DataFrame] = {}
        self._rates: dict[tuple, pd.DataFrame] = {}
        self._responses: dict[tuple, pd.DataFrame] = {}

    def activity_returns(self) -> pd.DataFrame:
        """``Store.activity()``, read on first use (and kept with the lattices until
        the store changes: ``LATTICES``)."""
        if self._returns is None:
            self._returns = LATTICES.get(("activity returns", self._store.version()),
                                         self._store.activity)
        return self._returns

    def activity_lattice(self, min_base: int) -> pd.DataFrame:
        """``activity_lattice`` of the returns at ``min_base``, built on first use.
        Kept until the store changes (``LATTICES``): every area, quarter and page
        decides on the same one, as the KHIs' lattices are shared."""
        if min_base not in self._lattices:
            returns = self.activity_returns()
            self._lattices[min_base] = LATTICES.get(
                ("activity lattice", self._store.version(), min_base),
                lambda: activity_lattice(returns, min_base))
        return self._lattices[min_base]

    def rate_cells(self, filters: Filters | None, start: dt.date | None) -> pd.DataFrame:
        """:func:`_rate_cells`, read once per area and quarter (a copy: callers add
        columns)."""
        key = (filters, start)
        if key not in self._rates:
            self._rates[key] = _rate_cells(self._store, filters, start)
        return self._rates[key].copy()

    def responses_lattice(
        self, con: duckdb.DuckDBPyConnection, start: dt.date | None, filters: Filters,
        settings: Settings,
    ) -> pd.DataFrame:
        """The responses' ``count_lattice`` for the quarter (every quarter for None):
        the same for the area's total and its schemes' rows, so built once."""
        key = (start, filters, settings.min_base)
        if key not in self._responses:
            self._responses[key] = count_lattice(
                con, [_RESPONSES], queries.one_quarter(start), filters, settings,
                store_version=self._store.version())
        return self._responses[key]


def _rate_cells(
    store: Store, filters: Filters | None, quarter: dt.date | str | None
) -> pd.DataFrame:
    """Responses and people supported per scheme and quarter, before disclosure control."""
    filters = filters or Filters()
    start = None if quarter is None else parse_quarter(quarter)
    if not store.exists():
        return pd.DataFrame(columns=["scheme_id", "region", "quarter", "responses",
                                     "people_supported", "rate", "suppressed"])
    with store.connect() as con:
        frame = queries.rate_cells(con, filters, start)
        regions = queries.scheme_regions(con)
    frame = frame.merge(regions, on="scheme_id", how="left")
    frame["quarter"] = pd.to_datetime(frame["quarter"]).dt.date
    frame["responses"] = frame["responses"].astype("int64")
    frame["people_supported"] = frame["people_supported"].astype("float64")
    return frame


@one_read_batch
def response_rates(
    store: Store,
    filters: Filters | None = None,
    quarter: dt.date | str | None = None,
    shared: SharedReads | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Responses ÷ people supported, per scheme and quarter (every quarter by default).

    Columns: scheme_id, region, quarter (date), responses (people using Shared Lives
    who answered, once each), people_supported (the activity return; NA without
    one), rate (0-100), suppressed (responses hidden, with the rate, below the
    minimum base; a second scheme of the region is hidden with a lone one, so the
    region's total does not give it away), people_suppressed (people supported
    hidden, with the rate, by the same rule on the activity returns). A
    support-type filter uses that column of the return. ``shared``: reads the
    caller shares with other figures of the same batch (:class:`SharedReads`);
    ``settings``: the minimum base, as the caller's other figures use it (the
    register's by default).
    """
    shared = shared or SharedReads(store)
    start = None if quarter is None else parse_quarter(quarter)
    frame = shared.rate_cells(filters, start)
    settings = settings or default_settings()
    people = frame["people_supported"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["rate"] = np.where(people > 0, 100.0 * frame["responses"] / people, np.nan)
    # Responses are each scheme's count of people: the same lattice and rules as
    # a KHI's base, so a filtered view hides what the whole one hides.
    rows = pd.DataFrame({"khi": "asked:person", "region": frame["region"].to_numpy(),
                         "scheme": frame["scheme_id"].to_numpy(),
                         "quarter": frame["quarter"].to_numpy()})
    if len(frame) and store.exists():
        counted = dataclasses.replace(filters or Filters(), respondent_types=None)
        with store.connect() as con:
            hidden = count_decisions(
                con, [_RESPONSES], queries.one_quarter(start), counted,
                settings, by=["scheme", "quarter"], rows=rows,
                lattice=shared.responses_lattice(con, start, counted, settings),
            )
    else:
        hidden = np.zeros(len(frame), dtype=bool)
    frame["suppressed"] = hidden | primary(frame["responses"], settings.min_base).to_numpy()
    hidden = frame["suppressed"]
    # People supported are an activity count: hidden as the activity tables hide it
    # (with the rate, which would give it back).
    people_hidden = _people_hidden(store, frame, filters or Filters(), settings.min_base,
                                   shared)
    frame["responses"] = frame["responses"].astype("float64").mask(hidden).astype("Int64")
    frame["rate"] = frame["rate"].mask(hidden | people_hidden)
    frame["people_supported"] = people.mask(people_hidden).astype("Int64")
    frame["people_suppressed"] = people_hidden
    return frame[["scheme_id", "region", "quarter", "responses", "people_supported", "rate",
                  "suppressed", "people_suppressed"]]


def _people_hidden(
    store: Store, frame: pd.DataFrame, filters: Filters, min_base: int,
    shared: SharedReads | None = None,
) -> np.ndarray:
    """Per scheme and quarter of ``frame``, whether its people supported are hidden
    (with a support-type filter: when any chosen type's count is)."""
    has = frame["people_supported"].notna().to_numpy()
    out = np.zeros(len(frame), dtype=bool)
    if not has.any() or not store.exists():
        return out
    shared = shared or SharedReads(store)
    returns = shared.activity_returns()
    lattice = shared.activity_lattice(min_base)
    types = list(filters.support_types) if filters.support_types is not None else [None]
    with store.connect() as con:
        for support in types:
            rows = pd.DataFrame({
                "khi": ACTIVITY_PEOPLE, "scheme": frame["scheme_id"].to_numpy(dtype=object),
                "region": frame["region"].to_numpy(dtype=object),
                "quarter": frame["quarter"].to_numpy(), "support_type": support})
            out |= activity_decisions(con, returns, rows, "scheme", filters, min_base,
                                       lattice)
    return out & has


@one_read_batch
def response_totals(
    store: Store,
    quarter: dt.date | str,
    filters: Filters | None = None,
    settings: Settings | None = None,
    shared: SharedReads | None = None,
) -> dict[str, int]:
    """The area's totals for one quarter: responses, people_supported (None when the
    activity tables hide it) and
    responses_with_return (over the schemes that sent an activity return), schemes,
    and hidden (1 when the area's responses are a cell the KHIs' rules hide: below
    the minimum, or hidden beside a small one, as on the Data quality page).
    ``shared``: reads the caller shares with other figures of the same batch
    (:class:`SharedReads`)."""
    shared = shared or SharedReads(store)
    settings = settings or default_settings()
    start = parse_quarter(quarter)
    frame = shared.rate_cells(filters, start)
    has_return = frame["people_supported"].fillna(0) > 0
    responses = int(frame["responses"].sum())
    hidden = False
    if responses and store.exists():
        counted = dataclasses.replace(filters or Filters(), respondent_types=None)
        with store.connect() as con:
            hidden = bool(count_decisions(
                con, [_RESPONSES], queries.one_quarter(start), counted, settings,
                lattice=shared.responses_lattice(con, start, counted, settings),
            ).any())
    people = int(frame.loc[has_return, "people_supported"].sum())
    # The schemes with a return are all the area's activity: its people supported
    # are the activity tables' cells for the area (by region), shown as they are.
    if people and store.exists() and _area_people_hidden(
        store, start, filters or Filters(), settings.min_base, shared
    ):
        people = None
    return {
        "responses": responses,
        "people_supported": people,
        "responses_with_return": int(frame.loc[has_return, "responses"].sum()),
        "schemes": int(len(frame)),
        "hidden": int(hidden),
    }


def _area_people_hidden(
    store: Store, start: dt.date, filters: Filters, min_base: int,
    shared: SharedReads | None = None,
) -> bool:
    """Whether :func:`activity_summary` by region hides (or lacks) people supported
    for any of the area's regions at ``min_base`` (the caller's, as its other
    figures): that column's decision alone, not the other counts' ten (the board
    page asks only this)."""
    with store.connect() as con:
        frame = queries.activity_sums(con, start, shift_quarter(start, -4), filters, "region")
        if frame.empty:
            return True
        rows = pd.DataFrame({"khi": ACTIVITY_PEOPLE,
                             "region": frame["region"].to_numpy(dtype=object),
                             "quarter": start, "support_type": None})
        shared = shared or SharedReads(store)
        hidden = activity_decisions(con, shared.activity_returns(), rows, "region",
                                     filters, min_base, shared.activity_lattice(min_base))
    return bool(hidden.any() or frame["people_supported"].isna().any())


@one_read_batch
def missing_returns(
    store: Store, quarter: dt.date | str | None = None, filters: Filters | None = None
) -> pd.DataFrame:
    """Registered schemes in the view with no activity return for the quarter.

    Columns: scheme_id, name, region, last_return (the latest quarter they sent
    a return for, or empty).
    """
    filters = filters or Filters()
    if not store.exists():
        return pd.DataFrame(columns=["scheme_id", "name", "region", "last_return"])
    start = parse_quarter(quarter) if quarter is not None else latest_quarter(store)
    if start is None:
        return pd.DataFrame(columns=["scheme_id", "name", "region", "last_return"])
    with store.connect() as con:
        frame = queries.missing_returns(con, start, filters)
    frame["last_return"] = [
        None if pd.isna(v) else pd.Timestamp(v).date() for v in frame["last_return"]
    ]
    return frame


@one_read_batch
def item_completeness(
    store: Store, quarter: dt.date | str | None = None, filters: Filters | None = None
) -> pd.DataFrame:
    """For each survey item: asked (responses of its audience), answered, share (0-100).

    "Asked" counts each person once (latest response in the quarter) of the
    item's audience; a question asked of fewer than the minimum base is hidden.
    """
    filters = filters or Filters()
    settings = default_settings()
    items = bank().items
    with store.connect() as con:
        period_sql, period_params, _ = queries.period(con, quarter)
        row = queries.item_counts(con, items, period_sql, period_params, filters)
        # "Asked" and "answered" are cells like a KHI's base, one per respondent
        # type: an item asked of everyone is shown only when both are (else
        # everyone minus people would give the carers).
        types = ("person", "carer")
        counts = [ProtectedCount(f"asked:{t}", "1", t) for t in types] + [
            ProtectedCount(f"{i.code}:{t}", i.code, t) for i in items for t in types]
        hidden = dict(zip((c.code for c in counts), count_decisions(
            con, counts, (period_sql, period_params), filters, settings,
            store_version=store.version())))
    asked = [int(row[f"asked_{k}"] or 0) for k in range(len(items))]
    answered = [int(row[f"answered_{k}"] or 0) for k in range(len(items))]
    frame = pd.DataFrame({"item": [i.code for i in items], "asked": asked, "answered": answered})
    frame = frame[frame["asked"] > 0].reset_index(drop=True)
    if frame.empty:
        return frame.assign(share=[], suppressed=[])
    frame["share"] = 100.0 * frame["answered"] / frame["asked"]
    audience = {i.code: (("person", "carer") if i.audience == "all" else (i.audience,))
                for i in items}
    frame["suppressed"] = (frame["asked"] < settings.min_base) | np.array([
        any(hidden[f"asked:{t}"] or hidden[f"{code}:{t}"] for t in audience[code])
        for code in frame["item"]], dtype=bool)
    hidden = frame["suppressed"]
    for column in ("asked", "answered"):
        frame[column] = frame[column].astype("float64").mask(hidden).astype("Int64")
    frame["share"] = frame["share"].mask(hidden)
    return frame


@one_read_batch
def activity_summary(
    store: Store,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    by: str = "region",
) -> pd.DataFrame:
    """Sector size from the activity returns, per region (or scheme) for the quarter.

    Columns: the ``by`` column, schemes (returns counted), the activity counts,
    people_supported (the four support types), people_year_before (same schemes'
    returns a year earlier) and growth_pct (change since a year earlier, 0-100,
    over schemes that sent both returns, so a late return is not read as growth).
    """
    if by not in ("region", "scheme"):
        raise BadArgument("activity_summary: by must be 'region' or 'scheme'")
    filters = filters or Filters()
    if not store.exists():
        return pd.DataFrame()
    start = parse_quarter(quarter) if quarter is not None else latest_quarter(store)
    if start is None:
        return pd.DataFrame()
    year_before = shift_quarter(start, -4)
    settings = default_settings()
    shared = SharedReads(store)
    returns = shared.activity_returns()
    with store.connect() as con:
        frame = queries.activity_sums(con, start, year_before, filters, by)
        hidden = _activity_hidden(con, returns, frame, by, filters, start, year_before,
                                  shared.activity_lattice(settings.min_base), settings.min_base)
    with np.errstate(divide="ignore", invalid="ignore"):
        before = frame["people_year_before"].astype("float64")
        current = frame["people_now"].astype("float64")
        frame["growth_pct"] = np.where(before > 0, 100.0 * (current - before) / before, np.nan)
    for column, mask in hidden.items():
        frame[column] = frame[column].astype("float64").mask(mask)
    return frame.drop(columns="people_now")


def _activity_hidden(
    con, returns: pd.DataFrame, frame: pd.DataFrame, by: str, filters: Filters,
    start: dt.date, year_before: dt.date, lattice: pd.DataFrame, min_base: int,
) -> dict[str, np.ndarray]:
    """Which counts of the activity summary are hidden: the KHIs' rule on the
    activity returns' own linked tables (see ``activity_lattice``). Growth is shown
    only when it is the change between two shown totals of the same schemes (every
    scheme of the row sent both returns), so it gives away no hidden count."""
    from kpi.store import ACTIVITY_COUNTS

    if frame.empty:
        return {}
    # ``lattice``: the returns' (SharedReads.activity_lattice), once for every count below.
    keys = {"region": frame["region"].to_numpy(dtype=object)} if by == "region" else {
        "scheme": frame["scheme"].to_numpy(dtype=object),
        "region": frame["scheme"].map(
            dict(zip(returns["scheme_id"], returns["region"]))).to_numpy(dtype=object)}

    def decide(khi: str, support: str | None, quarter: dt.date) -> np.ndarray:
        rows = pd.DataFrame({"khi": khi, **keys, "quarter": quarter, "support_type": support})
        return activity_decisions(con, returns, rows, by, filters, min_base, lattice)

    out = {}
    for column in ACTIVITY_COUNTS:
        if column in queries.SUPPORT_COLUMNS:
            out[column] = decide(ACTIVITY_PEOPLE, column, start)
        else:
            out[column] = decide(f"activity:{column}", None, start)
    now = decide(ACTIVITY_PEOPLE, None, start)
    out["people_supported"] = now
    before = decide(ACTIVITY_PEOPLE, None, year_before)
    same = (frame["people_now"].astype("float64").to_numpy()
            == frame["people_supported"].astype("float64").to_numpy())
    # Or: every scheme in the row shown in both quarters (then any sum of them is).
    parts = returns[returns["quarter_start"].map(lambda q: pd.Timestamp(q).date()).isin(
        [start, year_before])]
    if filters.scope is not None:
        parts = parts[parts["scheme_id"].isin(filters.scope)]
    if filters.scheme_ids is not None:
        parts = parts[parts["scheme_id"].isin(filters.scheme_ids)]
    scheme_hidden = activity_decisions(
        con, returns, pd.DataFrame({
            "khi": ACTIVITY_PEOPLE, "scheme": parts["scheme_id"].to_numpy(dtype=object),
            "region": parts["region"].to_numpy(dtype=object),
            "quarter": [pd.Timestamp(q).date() for q in parts["quarter_start"]],
            "support_type": None}), "scheme", filters, min_base, lattice)
    broken = set(parts.loc[scheme_hidden, "region" if by == "region" else "scheme_id"])
    all_shown = ~pd.Series(keys[by]).isin(broken).to_numpy()
    out["people_year_before"] = before | now | ~(same | all_shown)
    out["growth_pct"] = out["people_year_before"]
    return out
