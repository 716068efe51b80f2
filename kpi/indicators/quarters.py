"""Which quarters have survey data: the default period of every page."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kpi.store import Store, queries


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
