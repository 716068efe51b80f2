"""How people answered one question, protected as one cell of the lattice."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kpi.indicators.filters import Filters, Settings, default_settings
from kpi.indicators.protection import ProtectedCount, count_decisions
from kpi.items import bank
from kpi.store import Store, one_read_batch, queries


@one_read_batch
def answer_distribution(
    store: Store,
    item: str,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """How people answered one question: label, value, count, percent (0-100).

    The distribution is one cell (area, period, population, question) decided by
    the same rules as the KHIs: shown whole with its cell or not at all, so it
    agrees with the KHI's published base and count in every view.
    """
    entry = bank().item(item)  # raises on an unknown item
    filters = filters or Filters()
    settings = settings or default_settings()
    column = entry.code  # from the item bank, not from input
    with store.connect() as con:
        period_sql, period_params, _ = queries.period(con, quarter)
        frame = queries.answer_counts(
            con, column, entry.audience, period_sql, period_params, filters
        )
        out = _answer_options(entry.scale, frame)
        total = int(out["count"].sum())
        if total == 0:
            return out.iloc[0:0].assign(percent=[], suppressed=[])
        # The cell is the question's answers in this area, period and population,
        # decided on the same lattice and rules as the KHIs (its base is the KHI's).
        populations = ("person", "carer") if entry.audience == "all" else (entry.audience,)
        counts = [ProtectedCount(f"{item}:{p}", column, p) for p in populations]
        hidden = count_decisions(con, counts, (period_sql, period_params), filters, settings,
                                 store_version=store.version())
    out["percent"] = 100.0 * out["count"] / total
    # Shown or hidden with its cell, whole: the KHI already publishes the cell's base
    # and its count that agree, so hiding a small answer inside a shown cell would
    # protect nothing (and a hidden answer beside shown ones would be a difference).
    out["suppressed"] = bool(hidden.any())
    out["count"] = out["count"].astype("float64").mask(out["suppressed"]).astype("Int64")
    out["percent"] = out["percent"].mask(out["suppressed"])
    return out[["value", "label", "count", "percent", "suppressed"]]


# A long numeric scale (friends 0-99) is shown as its first values and "N or more".
LONG_SCALE_SHOWN = 10


def _answer_options(scale: object, counts: pd.DataFrame) -> pd.DataFrame:
    """Every answer option in the scale's order with its count (0 when nobody gave it).

    Why not only the scale's labels: a count or 0-10 scale labels just some
    values ("None" = 0), and the rest are answers too.
    """
    labels = {int(v): str(label) for v, label in scale.values}
    low, high = int(scale.min), int(scale.max)
    given = dict(zip(counts["value"].astype(int), counts["count"].astype(int)))
    if high - low <= LONG_SCALE_SHOWN:
        values = list(range(low, high + 1))
        rows = [(v, labels.get(v, str(v)), given.get(v, 0)) for v in values]
    else:
        top = low + LONG_SCALE_SHOWN
        rows = [(v, labels.get(v, str(v)), given.get(v, 0)) for v in range(low, top)]
        rows.append((top, f"{top} or more", sum(c for v, c in given.items() if v >= top)))
    out = pd.DataFrame(rows, columns=["value", "label", "count"])
    out["count"] = out["count"].astype("int64")
    return out
