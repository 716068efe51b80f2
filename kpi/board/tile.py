"""The Overview tile's verdicts: its change since an earlier quarter and its count of
comparisons with England, decided by the board's own test and words.

Why in ``kpi``: the Overview drew these itself, so the PDF and the command line
could not say the same; the change test is :func:`kpi.board.period_change` (the
board page's, with the same minimums and hidden cells) and the words are
:mod:`kpi.wording`'s, so a tile, a board row and the PDF never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from kpi.board.build import period_change
from kpi.catalogue import KHI
from kpi.indicators import Filters, Settings
from kpi.tables import HIDDEN_WORDS
from kpi.wording import (
    as_number,
    change_since_words,
    comparison_words,
    format_interval,
    format_value,
)

__all__ = [
    "LAST_QUARTER",
    "LAST_YEAR",
    "benchmark_applies",
    "comparison_counts",
    "comparison_headline",
    "comparison_parts",
    "is_hidden",
    "rows_by_code",
    "tile_change",
    "tile_changes",
    "tile_lines",
]

LAST_QUARTER, LAST_YEAR = "last quarter", "the same quarter last year"


def is_hidden(row: pd.Series | None) -> bool:
    """True when the engine hid this cell (disclosure control)."""
    if row is None:
        return False
    flag = row.get("suppressed", False)
    return bool(flag) and not pd.isna(flag)


def tile_change(
    khi: KHI, now: pd.Series | None, before: pd.Series | None, previous: dt.date,
    settings: Settings, since: str = LAST_QUARTER,
) -> str:
    """Since an earlier quarter (``since``: last quarter, or the same quarter last
    year), in words: the difference and whether it could be chance. Never says
    anything about a hidden quarter."""
    none = f"No answers {since if since == LAST_QUARTER else 'in ' + since} to compare with."
    value_now = None if now is None else as_number(now.get("value"))
    if now is None or (value_now is None and not is_hidden(now)):
        return none
    change = period_change(khi, now, before, since, previous, settings)
    if change.verdict == "no data":
        return none
    if change.verdict == "too few answers":
        return f"Too few answers to say whether it changed since {since}."
    if value_now is None or change.previous is None:
        return none
    return change_since_words(
        khi, value_now, change.previous, change.test.significant, change.test.level, since
    )


def comparison_counts(comparisons: Iterable[object]) -> str:
    """"Compared with England: 3 ▲ better, 20 ● similar, 5 ▼ worse (of the indicators
    shown)." from the engine's comparison per KHI."""
    counts = pd.Series([str(c) for c in comparisons], dtype=object).value_counts()
    parts = [
        f"{counts.get(key, 0)} {words.lower()}"
        for key, words in (("better", "▲ Better"), ("similar", "● Similar"), ("worse", "▼ Worse"))
    ]
    return "Compared with England: " + ", ".join(parts) + " (of the indicators shown)."


def benchmark_applies(filters: Filters) -> bool:
    """England is compared with a region or scheme, not with itself.

    The engine's England benchmark keeps the support-type and respondent filters
    (same people, all schemes), so only an area makes the comparison meaningful.
    """
    return bool(filters.regions or filters.scheme_ids) or filters.scope is not None


def comparison_headline(table: pd.DataFrame | None, applies: bool) -> str | None:
    """One sentence: how many KHIs are better, similar or worse than England (None
    when England is not compared, or nothing is)."""
    if not applies or table is None or table.empty or "comparison" not in table:
        return None
    return comparison_counts(table["comparison"])


def rows_by_code(table: pd.DataFrame | None) -> dict[str, pd.Series]:
    """The engine's table keyed by KHI code (one row per KHI: no grouping)."""
    if table is None or table.empty:
        return {}
    return {str(r["khi"]): r for _, r in table.iterrows()}


def tile_changes(
    khis: Iterable[KHI], now: dict[str, pd.Series], before: pd.DataFrame | None,
    previous: dt.date, settings: Settings, since: str = LAST_QUARTER,
) -> dict[str, str]:
    """Every tile's change since an earlier quarter in words, from this quarter's
    rows (``rows_by_code``) and that quarter's table, for each KHI but change KHIs."""
    then = rows_by_code(before)
    return {
        k.code: tile_change(k, now.get(k.code), then.get(k.code), previous, settings, since)
        for k in khis
        if k.measure != "change"
    }


def tile_lines(khi: KHI, now: pd.Series | None) -> tuple[str, str]:
    """A tile's value as shown and the line under it: why nothing is shown (hidden,
    no answers), or the 95% interval and base. Why here: the tile's words are the
    same on any surface that draws one."""
    if is_hidden(now):
        return HIDDEN_WORDS, "Fewer answers than the privacy minimum, so nothing is shown."
    value = None if now is None else as_number(now.get("value"))
    if value is None:
        return "–", "No answers this quarter."
    interval = format_interval(now.get("lower95"), now.get("upper95"), khi)
    n = as_number(now.get("n"))
    base = f"{int(n):,} answered" if n is not None else ""
    details = " · ".join(p for p in (f"95% interval {interval}" if interval else "", base) if p)
    return format_value(value, khi), details


def comparison_parts(row: pd.Series | None, khi: KHI) -> tuple[str, str, str]:
    """The comparison with England for a tile: the engine's comparison ("better",
    "similar", "worse" or "not compared": a hidden cell is never compared), its
    words, and England's value (" · England 42%", or "" when there is none)."""
    comparison = str(row.get("comparison", "not compared")) if row is not None else "not compared"
    if is_hidden(row) or comparison in ("", "nan", "None"):
        comparison = "not compared"
    outside998 = row.get("outside998", False) if row is not None else False
    words = comparison_words(comparison, outside998=outside998)
    bench = None if row is None else as_number(row.get("benchmark"))
    england = f" · England {format_value(bench, khi)}" if bench is not None else ""
    return comparison, words, england
