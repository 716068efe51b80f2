"""Equity in words: which groups a gap may be named between, and when to warn.

Pure (no streamlit). The engine's :func:`kpi.indicators.equity` gives every group's
value, interval and base, already disclosure-controlled. A gap between two groups
of 16 and 17 people can be 29 points by chance, so here a gap is named only
between groups with at least ``Settings.min_compare`` answers (the same minimum
as a benchmark comparison), the test is run on those groups only, and the page
warns about the groups left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from kpi import stats
from kpi.catalogue import KHI
from kpi.indicators import Settings
from kpi.wording import format_value, gap_answer, gap_verdict, points_words

__all__ = ["EquityView", "equity_view", "gap_row", "gap_table", "gap_words",
           "group_bases"]


@dataclass(frozen=True)
class EquityView:
    """What the Equity page says about one KHI by one grouping."""

    gap: float | None  # percentage points or the measure's units; None: not named
    highest: str | None  # group label
    lowest: str | None
    highest_n: int | None
    lowest_n: int | None
    p_value: float | None
    significant: bool
    compared: tuple[str, ...]  # groups with enough answers
    small: tuple[str, ...]  # shown, but too few answers to be part of the gap
    hidden: tuple[str, ...]  # too few to show at all
    min_compare: int

    def sentences(self, khi: KHI) -> list[str]:
        """The gap and the test in plain words, then the warning about small groups."""
        out = []
        if self.gap is None:
            out.append(
                f"Fewer than two groups have {self.min_compare} or more answers, so no gap "
                "between groups is named."
            )
        else:
            digits = 0 if khi.is_proportion else 1
            size = f"{self.gap:.{digits}f}"
            out.append(
                f"The gap is {points_words(size, percentage=True) if khi.is_proportion else size}"
                f", between {self.lowest} "
                f"({self.lowest_n:,} answered) and {self.highest} ({self.highest_n:,} "
                "answered)."
            )
            out.append(gap_verdict(self.significant))
        if self.small:
            out.append(
                f"Small groups: {', '.join(self.small)} had fewer than {self.min_compare} "
                "answers, so their values are uncertain (see their wide intervals) and they "
                "are left out of the gap."
            )
        if self.hidden:
            out.append(f"Hidden (too few answers to show): {', '.join(self.hidden)}.")
        return out


def equity_view(
    groups: pd.DataFrame, khi: KHI, dimension: str, settings: Settings
) -> EquityView:
    """The gap between groups with enough answers, and which groups are small.

    Parameters
    ----------
    groups : DataFrame
        The engine's equity table with a readable ``group`` column (value, n,
        count, sd, suppressed, and the ``dimension`` code column).
    khi : KHI
        The indicator.
    dimension : str
        The grouping's code column ("not recorded" rows, with no code, are not a
        group of people and are never part of a gap).
    settings : Settings
        ``min_compare`` is the least a group needs to be part of the gap.
    """
    hidden_mask = groups["suppressed"].fillna(False).astype(bool)
    people = groups[dimension].notna()
    shown = groups[~hidden_mask & people].dropna(subset=["value"])
    n = pd.to_numeric(shown["n"], errors="coerce").fillna(0)
    enough = shown[n >= settings.min_compare]
    small = shown[n < settings.min_compare]
    hidden = groups[hidden_mask & people]
    common = dict(
        compared=tuple(str(g) for g in enough["group"]),
        small=tuple(str(g) for g in small["group"]),
        hidden=tuple(str(g) for g in hidden["group"]),
        min_compare=settings.min_compare,
    )
    if len(enough) < 2:
        return EquityView(None, None, None, None, None, None, False, **common)
    if khi.is_proportion:
        result = stats.equity_gap_test(enough["count"].astype(float), enough["n"].astype(float))
    else:
        result = stats.equity_gap_test_means(
            enough["value"].astype(float), enough["sd"].astype(float),
            enough["n"].astype(float)
        )
    top = enough.loc[enough["value"].astype(float).idxmax()]
    bottom = enough.loc[enough["value"].astype(float).idxmin()]
    p = None if result.p_value is None or math.isnan(result.p_value) else float(result.p_value)
    return EquityView(
        gap=float(top["value"]) - float(bottom["value"]),
        highest=str(top["group"]),
        lowest=str(bottom["group"]),
        highest_n=int(top["n"]),
        lowest_n=int(bottom["n"]),
        p_value=p,
        significant=bool(result.significant),
        **common,
    )


def group_table(groups: pd.DataFrame, khi: KHI, min_base: int) -> pd.DataFrame:
    """Each group's value, 95% interval and base side by side; hidden groups say so
    and show no number."""
    rows = []
    for _, g in groups.iterrows():
        hidden = bool(g.get("suppressed", False)) and not pd.isna(g.get("suppressed"))
        if hidden:
            rows.append({"Group": g["group"], "Value": f"Hidden (fewer than {min_base})",
                         "95% interval": "", "Answered": ""})
            continue
        lo, up = g.get("lower95"), g.get("upper95")
        interval = "" if pd.isna(lo) or pd.isna(up) else (
            f"{format_value(float(lo), khi)} to {format_value(float(up), khi)}")
        rows.append({
            "Group": g["group"],
            "Value": format_value(None if pd.isna(g["value"]) else float(g["value"]), khi),
            "95% interval": interval,
            "Answered": "" if pd.isna(g["n"]) else f"{int(g['n']):,}",
        })
    return pd.DataFrame(rows, columns=["Group", "Value", "95% interval", "Answered"])


def group_bases(frame: pd.DataFrame) -> pd.DataFrame:
    """Each group's label with its base beside it ("Man · 123 answered"); hidden
    groups keep their name only (their base is never shown)."""
    out = frame.copy()
    hidden = out["suppressed"].fillna(False).astype(bool)
    out["group"] = [
        str(g) if h or pd.isna(n) else f"{g} · {int(n):,} answered"
        for g, n, h in zip(out["group"], out["n"], hidden)
    ]
    return out


def gap_row(grouping: str, khi: KHI, view: EquityView | None) -> dict[str, object]:
    """One line of the Equity page's table of every grouping's gap, with the test in
    words (``Gap``, a number, only to sort by: the page drops it)."""
    gap = None if view is None else view.gap
    has_gap = gap is not None
    return {
        "Grouping": grouping,
        "Gap": gap if has_gap else None,
        "Gap (highest − lowest)": (
            (points_words(f"{gap:.0f}") if khi.is_proportion else f"{gap:.1f}")
            if has_gap
            else "Too few answers"
        ),
        "Between": (f"{view.lowest} ({view.lowest_n:,}) and {view.highest} "
                    f"({view.highest_n:,})" if has_gap else "–"),
        "Real difference?": gap_answer(has_gap, has_gap and view.significant),
        "Small groups left out": ", ".join(view.small) if view else "",
    }


def gap_words(
    khi: KHI, groups: pd.DataFrame, dimension: str, settings: Settings
) -> tuple[str, list[str]]:
    """The gap between groups with enough answers, in words (``equity_view``
    decides), and apart from it the warnings about small or hidden groups: the page
    shows them as warnings, a report as sentences."""
    sentences = equity_view(groups, khi, dimension, settings).sentences(khi)
    warnings = [s for s in sentences if s.startswith(("Small groups", "Hidden"))]
    text = " ".join(s for s in sentences if s not in warnings)
    return text, warnings


def gap_table(khi: KHI, views: Iterable[tuple[str, EquityView | None]]) -> pd.DataFrame:
    """The gap for every grouping (``views``: its label and its view, None when no
    answers), largest first, with the test in words."""
    rows = [gap_row(grouping, khi, view) for grouping, view in views]
    frame = pd.DataFrame(rows).sort_values("Gap", ascending=False, na_position="last")
    return frame.drop(columns="Gap")
