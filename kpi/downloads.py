"""Tidy downloads: every KHI CSV reads alone, with one fixed set of columns.

Why: a per-chart CSV carried no quarter, indicator, benchmark value or level, so
a file opened a week later could not say what its numbers were. Every CSV of a
KHI table now leads with the same columns (``TIDY_COLUMNS``: the indicator, the
area, the quarter, the value with its base, count and both intervals, the
benchmark and the comparison with its level, the trend, whether the cell is
hidden, and when the data last changed), then any numbers a page adds. Its file
name says what it holds.

Nothing is computed here: every number is the engine's, already
disclosure-controlled (a hidden cell arrives empty and leaves empty; the
"hidden" column says why). The words are :mod:`kpi.wording`'s, so a CSV says
what the page says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from kpi.catalogue import khi as khi_by_code
from kpi.errors import KhiError, UnknownCode
from kpi.wording import (
    BENCHMARK_NAMES,
    comparison_level,
    level_words,
    trend_verdict,
)

if TYPE_CHECKING:  # kpi.board imports the engine; only its types are needed here
    from kpi.board import BoardPack
    from kpi.store import Store

__all__ = [
    "TIDY_COLUMNS", "HiddenNumber", "board_download", "data_as_of", "file_name", "part_slug",
    "tidy_frame",
]


class HiddenNumber(KhiError, ValueError):
    """A hidden row reached a download with a number: refused, never written."""

# The fixed columns, in order, with their headings (the file reads alone).
TIDY_COLUMNS = {
    "khi": "Indicator code",
    "khi_name": "Indicator",
    "area": "Area",
    "breakdown": "Breakdown",
    "group": "Group",
    "quarter": "Quarter",
    "unit": "Unit",
    "value": "Value",
    "n": "Base (answers)",
    "count": "Count",
    "lower95": "95% interval from",
    "upper95": "95% interval to",
    "lower998": "99.8% interval from",
    "upper998": "99.8% interval to",
    "benchmark_name": "Benchmark",
    "benchmark": "Benchmark value",
    "comparison": "Compared with the benchmark",
    "level": "Level (99.8%; 95%; none = could be chance; untested)",
    "trend": "Trend",
    "suppressed": "Hidden (too few answers)",
    "data_as_of": "Data as of",
}

# Breakdowns whose groups are places: their rows are areas, not groups of people
# ("area": the overview grid's column of regions or schemes).
_PLACES = ("region", "scheme", "area")
_NUMBERS = ("n", "count", "value", "lower95", "upper95", "lower998", "upper998", "benchmark")


def data_as_of(store: Store) -> str:
    """When the store's answers last changed, as a CSV prints it ("" for none)."""
    when = store.data_as_of()
    return "" if when is None else when.strftime("%Y-%m-%d %H:%M")


def _unit(code: str) -> str:
    entry = khi_by_code(code)
    if entry.measure == "change":
        return "mean change"
    return "per cent" if entry.is_proportion else "mean score"


def _column(table: pd.DataFrame, name: str, default: object = None) -> list:
    return list(table[name]) if name in table.columns else [default] * len(table)


def tidy_frame(
    table: pd.DataFrame,
    *,
    area: str,
    quarter: str | None = None,
    by: str | None = None,
    names: Mapping[str, str] | None = None,
    benchmark: str = "england",
    khi: str | None = None,
    trends: Mapping[str, object] | None = None,
    as_of: str = "",
    extra: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The engine's ``table`` as the tidy download: ``TIDY_COLUMNS``, then ``extra``
    (engine column -> heading) for numbers only this page has.

    ``area``: the view's area ("England", a region, a scheme); where the table is
    broken down ``by`` region or scheme, each row's own area instead (``names``:
    code -> name). Any other ``by`` is a breakdown of people: its group's label is
    the table's ``group`` column (``charts.label_groups``), else ``names``.
    ``quarter``: the period, unless rows carry their own ``quarter_label``.
    ``khi``: for a table without a ``khi`` column (paired change). ``trends``: the
    engine's trend test per KHI code, where the page has one (else empty).
    A paired-change table's ``mean_change`` is its value.
    """
    names = names or {}
    rows = len(table)
    codes = [str(k) for k in _column(table, "khi", khi)]
    if any(c == "None" for c in codes):
        raise UnknownCode("A table without a khi column needs the khi it holds.")
    out = pd.DataFrame(index=range(rows))
    out["khi"] = codes
    out["khi_name"] = [khi_by_code(c).name for c in codes]
    keys = [None if pd.isna(v) else str(v) for v in _column(table, by)] if by else [None] * rows
    labels = _column(table, "group") if "group" in table.columns else [
        None if k is None else names.get(k, k) for k in keys
    ]
    if by in _PLACES:
        out["area"] = [names.get(k, k) if k is not None else "" for k in keys]
        out["breakdown"], out["group"] = "", ""
    elif by and by != "quarter":
        out["area"], out["breakdown"] = area, by
        out["group"] = ["Not recorded" if g is None else str(g) for g in labels]
    else:
        out["area"], out["breakdown"], out["group"] = area, "", ""
    out["quarter"] = (
        list(table["quarter_label"]) if "quarter_label" in table.columns else quarter or ""
    )
    out["unit"] = [_unit(c) for c in codes]
    value = "value" if "value" in table.columns else "mean_change"
    for column in _NUMBERS:
        source = value if column == "value" else column
        out[column] = pd.to_numeric(pd.Series(_column(table, source), dtype=object),
                                    errors="coerce").to_numpy()
    for column in ("n", "count"):
        out[column] = pd.array(out[column].round(), dtype="Int64")
    hidden = [bool(h) and not pd.isna(h) for h in _column(table, "suppressed", False)]
    out["benchmark_name"] = _benchmark_names(table, benchmark)
    comparisons = [
        "not compared" if pd.isna(c) else str(c)
        for c in _column(table, "comparison", "not compared")
    ]
    levels = [comparison_level(c, o) for c, o in
              zip(comparisons, _column(table, "outside998", False))]
    out["comparison"] = [level_words(c, lv) for c, lv in zip(comparisons, levels)]
    out["level"] = levels
    out["trend"] = [
        trend_verdict(trends[c], khi_by_code(c))[0] if trends and c in trends else ""
        for c in codes
    ]
    out["suppressed"] = hidden
    out["data_as_of"] = as_of
    # Disclosure control is the engine's; a hidden row that arrived with a number
    # would be a bug upstream, and it must not reach a file.
    mask = pd.Series(hidden, index=out.index)
    for column in _NUMBERS:
        if mask.any() and out.loc[mask, column].notna().any():
            raise HiddenNumber(f"A hidden row carries a {column}: disclosure control failed.")
    tidy = out[list(TIDY_COLUMNS)].rename(columns=TIDY_COLUMNS)
    for column, heading in (extra or {}).items():
        if column in table.columns:
            tidy[heading] = list(table[column])
    return tidy


def _benchmark_names(table: pd.DataFrame, benchmark: str) -> list[str]:
    """What each row is compared with, by name: England, the row's region, or the
    schemes of its support type."""
    if "benchmark_name" in table.columns:  # the engine named it (the overview grid)
        return [str(n) for n in table["benchmark_name"]]
    if benchmark == "region" and "region" in table.columns:
        return [str(r) if isinstance(r, str) and r else BENCHMARK_NAMES["region"]
                for r in table["region"]]
    return [BENCHMARK_NAMES.get(benchmark, benchmark)] * len(table)


def board_download(
    pack: BoardPack, as_of: str = "", board: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The board pack's CSV: the tidy columns for each KHI, then everything the pack
    adds (changes since last quarter and last year, flags, the control chart's
    verdict, the watch list, the sentence), as ``board`` (default
    ``BoardPack.to_frame``; a frame with more columns, such as notes, keeps them) names
    them."""
    board = pack.to_frame() if board is None else board
    table = board.assign(
        comparison=[c if c != "n/a" else "not compared" for c in board["comparison"]],
        quarter_label=pack.quarter_label,
    )
    tidy = tidy_frame(
        table, area=pack.area_label, benchmark="england", as_of=as_of,
    )
    if not pack.benchmark_applies:  # England is its own benchmark: nothing compared
        tidy["Benchmark"] = ""
    tidy["Trend"] = list(board["recent_trend"])
    shared = {"quarter", "area", "khi", "name", "unit", "n", "count", "value", "lower95", "upper95",
              "lower998", "upper998", "suppressed", "benchmark", "comparison", "outside998",
              "recent_trend"}
    for column in board.columns:
        if column not in shared:
            tidy[column] = list(board[column])
    return tidy


def _slug(text: str) -> str:
    """A file name's part: "2026/27 Q3" -> "2026-27_Q3", "North West" -> "North_West"."""
    text = str(text).replace("/", "-").replace("&", "and")
    return re.sub(r"[^A-Za-z0-9-]+", "_", text).strip("_")


def file_name(
    what: str | Sequence[str],
    *,
    area: str,
    quarter: str,
    as_of: str = "",
    khi: str | None = None,
    ext: str = "csv",
) -> str:
    """A file name that says what the file holds: ``khi_<code>_<what>_<area>_<quarter>
    _as_of_<date>.<ext>``, e.g. ``khi_warm_kind_by_scheme_North_West_2026-27_Q3_as_of_
    2026-12-05.csv`` (no code for a file of every KHI; no date for an empty store)."""
    parts = ["khi", khi or "", *([what] if isinstance(what, str) else what), area, quarter]
    stem = "_".join(p for p in (_slug(p) for p in parts) if p)
    if as_of:
        stem += f"_as_of_{as_of[:10]}"
    return f"{stem}.{ext}"



def part_slug(text: str) -> str:
    """A part of a downloaded file's name in lower case, words joined by "_" ("North
    East" -> "north_east"): the board's chart PNGs and the You said, we did PDF name
    their area and quarter the same way."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
