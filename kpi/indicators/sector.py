"""The sector's benchmarks, the same for every viewer.

Why here, once: a benchmark (England, a region, schemes of the same support type)
is a published figure about the whole sector. Worked out on the viewer's own
rows it becomes their own value under the word "England" (a scheme worker's
"England" was their scheme; a commissioner's funnel was centred on their region).
These functions lift the viewer's area *and* scope before they ask the engine,
so the disclosure decision is the one made over all of England, and the viewer's
scope decides only which schemes are named — never what a benchmark means.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pandas as pd

from kpi.indicators.filters import Filters, Settings
from kpi.indicators.table import indicator_table
from kpi.store import Store, one_read_batch


def sector_filters(filters: Filters | None) -> Filters:
    """The same people (support type, respondents) over every scheme in England:
    region, scheme and scope lifted."""
    return dataclasses.replace(filters or Filters(), regions=None, scheme_ids=None, scope=None)


@one_read_batch
def england_table(
    store: Store,
    khis: list[str] | None = None,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """England's value of each KHI (by quarter when asked), whoever asks: the
    engine's table over :func:`sector_filters`. A hidden England cell stays hidden
    (say so); it is never replaced by the viewer's own rows."""
    return indicator_table(
        store, khis=khis, by=list(by), quarter=quarter,
        filters=sector_filters(filters), settings=settings,
    )


SPREAD_COLUMNS = ("khi", "schemes", "lowest", "q25", "q75", "highest")


@one_read_batch
def scheme_spread(
    store: Store,
    khis: list[str] | None = None,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """The range and middle half of England's schemes for each KHI, naming none.

    Over the values the engine shows for every scheme (hidden schemes are left
    out, so nothing hidden can be read off it): khi, schemes (how many shown),
    lowest, q25, q75, highest.
    """
    table = indicator_table(
        store, khis=khis, by=["scheme"], quarter=quarter,
        filters=sector_filters(filters), settings=settings,
    )
    shown = table[~table["suppressed"].astype(bool) & table["value"].notna()]
    rows = []
    for code, part in shown.groupby("khi", sort=False):
        values = part["value"].astype(float)
        rows.append({
            "khi": code, "schemes": int(len(values)), "lowest": values.min(),
            "q25": values.quantile(0.25), "q75": values.quantile(0.75),
            "highest": values.max(),
        })
    return pd.DataFrame(rows, columns=list(SPREAD_COLUMNS))
