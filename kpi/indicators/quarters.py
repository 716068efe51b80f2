"""Which quarters have survey data: the default period of every page."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kpi.catalogue import catalogue
from kpi.indicators.filters import Filters, Settings
from kpi.indicators.table import indicator_table
from kpi.store import Store, one_read_batch, queries


@one_read_batch
def available_quarters(store: Store) -> list[dt.date]:
    """Quarter starts that have survey responses, oldest first."""
    if not store.exists():
        return []
    with store.connect() as con:
        return [pd.Timestamp(q).date() for q in queries.quarters(con)]


def latest_quarter(store: Store) -> dt.date | None:
    """The latest quarter with survey data (the default period), or None."""
    quarters = available_quarters(store)
    return quarters[-1] if quarters else None


@one_read_batch
def latest_shown_quarter(
    store: Store, filters: Filters | None = None, settings: Settings | None = None
) -> dt.date | None:
    """The latest quarter in which the view (``filters``, scope included) has at
    least one scored KHI shown, else the latest with data.

    Why: the default period of every page. A lone upload dated in a new quarter
    made that quarter everyone's default, and every tile of every other scheme
    read "Too few answers to show"; each viewer now opens on the latest quarter
    their own area can show.
    """
    if not store.exists():
        return None
    scored = [k.code for k in catalogue() if k.measure != "change"]
    latest = latest_quarter(store)
    # The latest quarter alone first: each quarter's disclosure decision is its own
    # (kpi.indicators.protection decides within a quarter), so its one-quarter table
    # says what the all-quarters one would, and most views show it (a third less
    # work at every session's start, measured on the demo store).
    if latest is not None:
        table = indicator_table(
            store, khis=scored, quarter=latest, filters=filters, settings=settings
        )
        if (~table["suppressed"].astype(bool) & table["value"].notna()).any():
            return latest
    table = indicator_table(
        store, khis=scored, by=["quarter"], quarter="all", filters=filters, settings=settings
    )
    shown = table.loc[~table["suppressed"].astype(bool) & table["value"].notna(), "quarter"]
    if len(shown):
        return max(pd.Timestamp(q).date() for q in shown)
    return latest
