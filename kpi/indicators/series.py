"""A KHI quarter by quarter, whether it trends, and its control chart (the Indicator
and Board pages)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kpi import stats
from kpi.catalogue import KHI
from kpi.catalogue import khi as khi_by_code
from kpi.indicators.filters import VALUE_COLUMNS, Filters, Settings, default_settings
from kpi.indicators.quarters import available_quarters, latest_quarter
from kpi.indicators.table import indicator_table
from kpi.periods import parse_quarter, shift_quarter
from kpi.store import Store, one_read_batch


def trend(
    store: Store,
    khi: str,
    filters: Filters | None = None,
    quarters: int = 8,
    end: dt.date | str | None = None,
    settings: Settings | None = None,
) -> tuple[pd.DataFrame, stats.TrendResult]:
    """The KHI quarter by quarter (the ``quarters`` ending ``end``) and a trend test.

    Quarters without answers are left out of the series; hidden quarters stay in it
    (marked, without numbers) and are left out of the test, so the test's result
    tells nothing about a hidden cell. The test is the chi-square test for linear
    trend in proportions (Cochran-Armitage) or a weighted regression for means,
    with quarters scored by their position, so gaps keep their spacing.
    """
    return trends(store, [khi], filters, quarters, end, settings)[khi]


@one_read_batch
def trends(
    store: Store,
    khis: Sequence[str],
    filters: Filters | None = None,
    quarters: int = 8,
    end: dt.date | str | None = None,
    settings: Settings | None = None,
) -> dict[str, tuple[pd.DataFrame, stats.TrendResult]]:
    """:func:`trend` for several KHIs from one engine pass (the board page needs all)."""
    settings = settings or default_settings()
    last = parse_quarter(end) if end is not None else latest_quarter(store)
    if last is None:
        return _no_trends([khi_by_code(code) for code in khis])
    return _trends_and_spans(store, khis, filters, quarters, [last], settings,
                             span=False)[last][0]


@one_read_batch
def trends_and_control_charts(
    store: Store,
    khis: Sequence[str],
    filters: Filters | None = None,
    quarters: int = 8,
    end: dt.date | str | None = None,
    settings: Settings | None = None,
) -> tuple[dict[str, tuple[pd.DataFrame, stats.TrendResult]],
           dict[str, tuple[pd.DataFrame, stats.SpcResult]]]:
    """:func:`trends` and :func:`control_charts` from one engine pass (the board page
    shows both): the control charts' quarters hold the trend's window, and each
    quarter's disclosure decision is its own (the lattice is taken within a quarter),
    so the trend is a slice of the same table, not a second pass over the store."""
    settings = settings or default_settings()
    last = parse_quarter(end) if end is not None else latest_quarter(store)
    if last is None:
        entries = [khi_by_code(code) for code in khis]
        return _no_trends(entries), control_charts(store, khis, filters, end, settings)
    return trends_and_control_charts_at(store, khis, filters, quarters, [last], settings)[last]


@one_read_batch
def trends_and_control_charts_at(
    store: Store,
    khis: Sequence[str],
    filters: Filters | None,
    quarters: int,
    ends: Sequence[dt.date],
    settings: Settings | None = None,
) -> dict[dt.date, tuple[dict[str, tuple[pd.DataFrame, stats.TrendResult]],
                         dict[str, tuple[pd.DataFrame, stats.SpcResult]]]]:
    """:func:`trends_and_control_charts` as of each of ``ends`` (quarter starts), from
    one engine pass: the board pack of this quarter carries last quarter's.

    Each end's series is cut at that end, and its control chart's limits are computed
    from its own quarters only (later quarters never move an earlier quarter's limits).
    """
    spans = _trends_and_spans(store, khis, filters, quarters, ends, settings, span=True)
    return {
        end: (out_trends, {code: (series, _spc(khi_by_code(code), series, None))
                           for code, (series, _) in in_span.items()})
        for end, (out_trends, in_span) in spans.items()
    }


def _trends_and_spans(
    store: Store, khis: Sequence[str], filters: Filters | None, quarters: int,
    ends: Sequence[dt.date], settings: Settings | None, *, span: bool,
) -> dict[dt.date, tuple[dict[str, tuple[pd.DataFrame, stats.TrendResult]],
                         dict[str, tuple[pd.DataFrame, stats.TrendResult]]]]:
    """For each of ``ends``: the trends over ``quarters`` quarters ending there and,
    with ``span``, each KHI's series over every quarter with data up to it (untested:
    the control charts'), all from one by-quarter table.

    Why one table serves every end: the by-quarter table covers every quarter whatever
    the window (``_series_table``), and each quarter's disclosure decision is its own
    (the lattice is taken within a quarter), so a table reaching further back holds
    the same rows."""
    entries = [khi_by_code(code) for code in khis]
    settings = settings or default_settings()
    windows = {end: shift_quarter(end, -(quarters - 1)) for end in ends}
    starts = {end: _span_first(store, end) if span else windows[end] for end in ends}
    first = min(min(windows[end], starts[end]) for end in ends)
    table = _series_table(store, entries, filters, first, max(ends), settings)
    out = {}
    for end in ends:
        upto = table[table["quarter"] <= end] if len(table) else table
        out[end] = (
            _trends_from(entries, _since(upto, windows[end]), windows[end]),
            _trends_from(entries, _since(upto, starts[end]), starts[end], test=False)
            if span else {},
        )
    return out


def _since(table: pd.DataFrame, first: dt.date) -> pd.DataFrame:
    return table[table["quarter"] >= first] if len(table) else table


def _no_trends(entries: Sequence[KHI]) -> dict[str, tuple[pd.DataFrame, stats.TrendResult]]:
    empty = pd.DataFrame(columns=["quarter", "quarter_label", *VALUE_COLUMNS])
    return {k.code: (empty, _UNTESTED) for k in entries}


def _series_table(
    store: Store, entries: Sequence[KHI], filters: Filters | None, first: dt.date,
    last: dt.date, settings: Settings,
) -> pd.DataFrame:
    """The KHIs by quarter from ``first`` to ``last`` (one engine pass)."""
    # Every quarter, not only the window: the quarters' secondary suppression must
    # hold against the all-quarters total, whatever window a page shows.
    table = indicator_table(
        store, khis=[k.code for k in entries], by=["quarter"], quarter="all",
        filters=filters, settings=settings, change_since=first,
    )
    if len(table):
        keep = (table["quarter"] >= first) & (table["quarter"] <= last)
        table = table[keep & (table["suppressed"] | (table["n"].fillna(0) > 0))]
    return table


def _trends_from(
    entries: Sequence[KHI], table: pd.DataFrame, first: dt.date, test: bool = True
) -> dict[str, tuple[pd.DataFrame, stats.TrendResult]]:
    """Each KHI's series from the by-quarter table, with its trend test (``test``)."""
    out = {}
    # The rows put in KHI order once (a stable sort keeps each KHI's rows in table
    # order, as a groupby would), then each KHI's series is a slice of them: a take
    # (a copy of every column) per KHI cost more, and a groupby more still.
    codes, names = pd.factorize(table["khi"])
    order = np.argsort(codes, kind="stable")
    body = table.drop(columns="khi").take(order)
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    spans = {name: (bounds[i], bounds[i + 1]) for i, name in enumerate(names)}
    for entry in entries:
        start, stop = spans.get(entry.code, (0, 0))
        series = body.iloc[start:stop].reset_index(drop=True)
        result = _trend_test(entry, series, first, _UNTESTED) if test else _UNTESTED
        out[entry.code] = (series, result)
    return out


_UNTESTED = stats.TrendResult(float("nan"), float("nan"), "no significant trend",
                              float("nan"), 0)


def _trend_test(
    entry: KHI, series: pd.DataFrame, first: dt.date, untested: stats.TrendResult
) -> stats.TrendResult:
    shown = series[~series["suppressed"].astype(bool)]
    if len(shown) < 3:
        return dataclasses.replace(untested, periods=len(shown))
    scores = [_quarter_index(q, first) for q in shown["quarter"]]
    if entry.is_proportion:
        result = stats.trend_test_proportions(
            shown["count"].astype(float), shown["n"].astype(float), scores=scores
        )
        return dataclasses.replace(result, slope=result.slope * 100.0)
    return stats.trend_test_means(
        shown["value"].astype(float), shown["sd"].astype(float), shown["n"].astype(float),
        scores=scores,
    )


def _quarter_index(quarter: dt.date, first: dt.date) -> int:
    return ((quarter.year - first.year) * 12 + quarter.month - first.month) // 3


@one_read_batch
def control_chart(
    store: Store,
    khi: str,
    filters: Filters | None = None,
    end: dt.date | str | None = None,
    settings: Settings | None = None,
    target: float | None = None,
) -> tuple[pd.DataFrame, stats.SpcResult]:
    """The KHI's control chart over every quarter up to ``end`` (Making Data Count).

    Built on :func:`trend` (so on ``indicator_table(by=["quarter"], quarter="all")``
    and its disclosure control): a hidden quarter is a gap, its numbers are never
    read, and quarters without answers are left out. Proportions get a p-chart
    when their quarterly bases differ (limits follow each base), else an XmR chart;
    means an XmR chart. The frame is the trend series; the result's per-point
    tuples align with its rows.
    """
    targets = None if target is None else {khi: target}
    return control_charts(store, [khi], filters, end, settings, targets)[khi]


@one_read_batch
def control_charts(
    store: Store,
    khis: Sequence[str],
    filters: Filters | None = None,
    end: dt.date | str | None = None,
    settings: Settings | None = None,
    targets: dict[str, float] | None = None,
) -> dict[str, tuple[pd.DataFrame, stats.SpcResult]]:
    """:func:`control_chart` for several KHIs from one engine pass (the board's)."""
    last = parse_quarter(end) if end is not None else latest_quarter(store)
    span = _quarter_index(last, _span_first(store, last)) + 1 if last is not None else 1
    out = {}
    for code, (series, _) in trends(store, khis, filters, max(span, 1), last, settings).items():
        target = (targets or {}).get(code)
        out[code] = (series, _spc(khi_by_code(code), series, target))
    return out


def _span_first(store: Store, last: dt.date) -> dt.date:
    """The control chart's first quarter: the first with data (``last`` without any)."""
    quarters = available_quarters(store)
    return quarters[0] if quarters else last


def _spc(entry: KHI, series: pd.DataFrame, target: float | None) -> stats.SpcResult:
    flags = series["suppressed"] if "suppressed" in series else pd.Series(False, series.index)
    hidden = flags.astype("boolean").fillna(False).astype(bool)
    polarity = entry.polarity
    if entry.is_proportion:
        counts = pd.to_numeric(series["count"], errors="coerce").mask(hidden)
        bases = pd.to_numeric(series["n"], errors="coerce").mask(hidden)
        if bases.dropna().nunique() > 1:
            return stats.p_chart(counts, bases, polarity=polarity, target=target)
    values = pd.to_numeric(series["value"], errors="coerce").mask(hidden)
    unit = "%" if entry.is_proportion else ""
    return stats.xmr_chart(values, polarity=polarity, target=target, unit=unit)
