"""The KHI engine: every indicator of the catalogue, for any grouping and period.

CONTRACT (being implemented): the signatures and column names below are fixed;
pages, the board report and the CLI are written against them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from kpi.store import Store

# Dimensions a KHI can be broken down by (CLI --by names = output column names).
DIMENSIONS = (
    "region",
    "scheme",
    "quarter",
    "support_type",
    "respondent_type",
    "age_band",
    "gender",
    "ethnicity",
    "primary_need",
    "completed_by",
)

# Columns of indicator_table(), in order, after khi and the --by columns.
VALUE_COLUMNS = (
    "n",
    "count",
    "value",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "suppressed",
    "benchmark",
    "comparison",
)


@dataclass(frozen=True)
class Filters:
    """Which responses count. ``None`` means no restriction.

    ``scope`` is the set of scheme ids the user may see (roles): it restricts
    every result, and benchmarks too are computed over England (all schemes)
    regardless of scope — a benchmark is public information.
    """

    regions: tuple[str, ...] | None = None  # region names as in register.toml
    scheme_ids: tuple[str, ...] | None = None
    support_types: tuple[str, ...] | None = None
    respondent_types: tuple[str, ...] | None = None
    scope: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Settings:
    min_base: int = 5  # disclosure control: hide cells with n below this
    min_compare: int = 10  # below this, comparison is "not compared"


def indicator_table(
    store: Store,
    khis: list[str] | None = None,
    by: list[str] | tuple[str, ...] = (),
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
    benchmark: str = "england",
) -> pd.DataFrame:
    """One row per KHI and group: khi, the ``by`` columns, then VALUE_COLUMNS.

    Proportions are percentages 0-100; ``count`` is empty (NA) for means.
    ``quarter`` None = latest quarter with data; "all" = every quarter.
    Suppressed rows have n, count, value and limits NA. ``benchmark`` is
    "england" (same period, all schemes, same respondent filters) or "region".
    Extra columns after VALUE_COLUMNS: name, domain, measure, polarity,
    outside998 (bool), quarter_label when grouping by quarter.
    """
    raise NotImplementedError
