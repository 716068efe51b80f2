"""The KHI engine: every indicator of the catalogue, for any grouping and period.

Why this shape: DuckDB does the heavy work (one scan of the responses computes
the base, numerator, sum and sum of squares of every KHI for every group), and
Python only finishes intervals, benchmark comparisons and disclosure control on
the small aggregated result. Each person counts once per period by their latest
response in it. Disclosure control (:mod:`kpi.disclosure`) is applied
here, before anything leaves the engine, so every page, chart and export
inherits it.

Every read is a query of :mod:`kpi.store.queries` (values as parameters, names
from the code, quoted): this package holds no SQL of its own.

One module per concern, in the order a KHI goes through them: ``filters`` (what a
request may ask for: Filters, Settings, breakdowns, benchmarks), ``quarters``
(which quarters have data), ``cells`` (the sums read from the store, scored and
change KHIs), ``protection`` (the disclosure lattice: one decision per cell across
every linked table), ``table`` (:func:`indicator_table`), then the views built on
it: ``changes`` (paired change), ``series`` (trend and its test), ``compare``
(equity gaps, funnel plots), ``answers`` (one question's answers) and ``quality``
(response rates, missing returns, item completeness, activity). Import the names
from ``kpi.indicators``.
"""

from __future__ import annotations

from kpi.indicators.answers import LONG_SCALE_SHOWN, answer_distribution
from kpi.indicators.changes import change
from kpi.indicators.compare import equity, funnel
from kpi.indicators.filters import (
    BENCHMARKS,
    DIMENSIONS,
    VALUE_COLUMNS,
    Filters,
    Settings,
    default_settings,
)
from kpi.indicators.protection import MAX_BREAKDOWNS
from kpi.indicators.quality import (
    SharedReads,
    activity_summary,
    item_completeness,
    missing_returns,
    response_rates,
    response_totals,
)
from kpi.indicators.quarters import available_quarters, latest_quarter, latest_shown_quarter
from kpi.indicators.sector import england_table, scheme_spread, sector_filters
from kpi.indicators.series import (
    control_chart,
    control_charts,
    trend,
    trends,
    trends_and_control_charts,
    trends_and_control_charts_at,
)
from kpi.indicators.table import indicator_table

__all__ = [
    "BENCHMARKS",
    "DIMENSIONS",
    "LONG_SCALE_SHOWN",
    "MAX_BREAKDOWNS",
    "VALUE_COLUMNS",
    "Filters",
    "Settings",
    "SharedReads",
    "activity_summary",
    "answer_distribution",
    "available_quarters",
    "change",
    "control_chart",
    "control_charts",
    "default_settings",
    "england_table",
    "equity",
    "funnel",
    "indicator_table",
    "item_completeness",
    "latest_quarter",
    "latest_shown_quarter",
    "missing_returns",
    "response_rates",
    "response_totals",
    "scheme_spread",
    "sector_filters",
    "trend",
    "trends",
    "trends_and_control_charts",
    "trends_and_control_charts_at",
]
