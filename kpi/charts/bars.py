"""Distributions and activity: how people answered a question, better / same /
worse, and people supported and growth by region.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from kpi.charts.palette import (
    INK,
    PALETTE,
    SEQUENCE,
)
from kpi.charts.style import (
    HIDDEN_TEXT,
    as_numbers,
    empty_figure,
    fmt,
    hidden_mask,
    style_figure,
    top_down,
    wrap,
)


# -------------------------------------------------------------- distributions ---
def share_text(value: object) -> str:
    """A share as a bar label: ``42%``, ``<1%`` for small non-zero shares."""
    if value is None or pd.isna(value):
        return ""
    return "<1%" if 0 < float(value) < 0.5 else f"{float(value):.0f}%"


def answer_bars(
    frame: pd.DataFrame,
    *,
    title: str,
    label: str = "label",
    percent_column: str = "percent",
) -> go.Figure:
    """Share of answers per answer option, in the scale's order.

    ``frame``: ``label``, ``percent_column`` (0-100), optionally count and
    suppressed; hidden options keep their place, marked "too few answers".
    Up to eight options run down the page (long labels stay readable); longer
    numeric scales (0-10, counts) run across it as columns.
    """
    if frame.empty:
        return empty_figure("No answers for this choice.")
    data = frame.reset_index(drop=True)
    hidden = hidden_mask(data, percent_column)
    share = as_numbers(data, percent_column).mask(hidden)
    top = share.max() if share.notna().any() else 100
    across = len(data) > 8
    if across:
        labels = [str(v) for v in data[label]]
        fig = go.Figure(
            go.Bar(
                x=labels,
                y=share,
                marker={"color": PALETTE["blue"]},
                text=[HIDDEN_TEXT if h else share_text(v) for v, h in zip(share, hidden)],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{x}: %{y:.1f}%<extra></extra>",
            )
        )
        fig.update_xaxes(type="category", title={"text": "Answer"})
        fig.update_yaxes(
            title={"text": "Share of answers"}, ticksuffix="%", range=[0, min(110, top * 1.2 + 3)]
        )
        return style_figure(fig, title, 380, legend=False)
    labels = [
        wrap(f"{v} ({HIDDEN_TEXT})" if h else str(v), 40) for v, h in zip(data[label], hidden)
    ]
    return share_bars(labels, share, title=title, axis_title="Share of answers",
                      x_max=min(110, top * 1.15 + 5), height=max(240, 110 + 40 * len(labels)))


def share_bars(
    labels: list[str],
    share: pd.Series,
    *,
    title: str,
    axis_title: str,
    x_max: float,
    height: int,
    hover: str = "",
) -> go.Figure:
    """Shares (0-100) as horizontal bars, one row per label, top to bottom in order
    (answers per option; the share who answered each question). A missing share (a
    hidden cell) keeps its row with no bar and no number: its label says why."""
    fig = go.Figure(
        go.Bar(
            x=share,
            y=labels,
            orientation="h",
            marker={"color": PALETTE["blue"]},
            text=[share_text(v) for v in share],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"%{{y}}: %{{x:.1f}}%{hover}<extra></extra>",
        )
    )
    top_down(fig, labels)
    fig.update_xaxes(title={"text": axis_title}, ticksuffix="%", range=[0, x_max])
    return style_figure(fig, title, height, legend=False)


def label_groups(
    frame: pd.DataFrame,
    column: str,
    labels: Sequence[tuple[str, str]] = (),
    missing: str = "Not recorded",
) -> pd.DataFrame:
    """Add a ``group`` column of readable labels and order rows as the code list.

    ``labels`` is the attribute's (code, label) list from the item bank; codes
    not in it keep their own text, and a missing code reads "Not recorded" and
    goes last. With no labels (e.g. regions) the rows keep the given order.
    """
    names = dict(labels)
    order = {code: k for k, (code, _) in enumerate(labels)}
    out = frame.copy()
    codes = out[column]
    out["group"] = [missing if pd.isna(v) else names.get(v, str(v)) for v in codes]
    out["_order"] = [len(order) + 1 if pd.isna(v) else order.get(v, len(order)) for v in codes]
    out = out.sort_values("_order", kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


CHANGE_COLOURS = {
    "better": ("Better", PALETTE["blue"]),
    "same": ("The same", "#bbbbbb"),
    "worse": ("Worse", PALETTE["vermillion"]),
}


def better_same_worse(
    frame: pd.DataFrame,
    label: str,
    *,
    title: str,
) -> go.Figure:
    """Shares of people who got better, stayed the same or got worse, per group.

    ``frame``: ``label``, share_better, share_same, share_worse (0-100), optionally
    suppressed. Stacked horizontal 100% bars with the shares written inside.
    """
    if frame.empty:
        return empty_figure("No people with two or more answers for this choice.")
    data = frame.reset_index(drop=True)
    hidden = hidden_mask(data, "share_better")
    labels = [
        wrap(f"{v} ({HIDDEN_TEXT})" if h else str(v), 34) for v, h in zip(data[label], hidden)
    ]
    fig = go.Figure()
    for key, (words, colour) in CHANGE_COLOURS.items():
        share = as_numbers(data, f"share_{key}").mask(hidden)
        fig.add_trace(
            go.Bar(
                x=share,
                y=labels,
                orientation="h",
                name=words,
                marker={"color": colour, "line": {"color": "white", "width": 1}},
                text=[fmt(v, True) if pd.notna(v) and v >= 6 else "" for v in share],
                textposition="inside",
                insidetextanchor="middle",
                textfont={"color": "white" if key != "same" else INK},
                hovertemplate=f"%{{y}}<br>{words}: %{{x:.0f}}%<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    top_down(fig, labels)
    fig.update_xaxes(title={"text": "Share of people"}, ticksuffix="%", range=[0, 100])
    return style_figure(fig, title, max(220, 120 + 38 * len(labels)))


# ------------------------------------------------------------------- activity ---
def people_supported_bars(
    frame: pd.DataFrame,
    label: str,
    parts: dict[str, str],
    *,
    title: str,
    value_title: str = "People supported",
) -> go.Figure:
    """People supported per group, stacked by support type (``parts``: column -> label)."""
    if frame.empty:
        return empty_figure("No activity returns for this choice.")
    data = frame.reset_index(drop=True)
    labels = [wrap(str(v), 30) for v in data[label]]
    fig = go.Figure()
    for k, (column, words) in enumerate(parts.items()):
        if column not in data:
            continue
        fig.add_trace(
            go.Bar(
                x=as_numbers(data, column),
                y=labels,
                orientation="h",
                name=words,
                marker={"color": SEQUENCE[k % len(SEQUENCE)]},
                hovertemplate=f"%{{y}}<br>{words}: %{{x:,.0f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    top_down(fig, labels)
    fig.update_xaxes(title={"text": value_title}, tickformat=",")
    return style_figure(fig, title, max(280, 120 + 30 * len(labels)))


def growth_bars(
    frame: pd.DataFrame,
    label: str,
    column: str,
    *,
    title: str,
    value_title: str,
) -> go.Figure:
    """A signed change per group (e.g. growth in people supported), zero line marked.

    Growth is blue, decline vermillion, and the number is written on each bar.
    """
    data = frame.reset_index(drop=True)
    values = as_numbers(data, column)
    if values.dropna().empty:
        return empty_figure(
            "Growth compares a quarter with the same quarter a year before:<br>"
            "no scheme has activity returns for both yet."
        )
    labels = [wrap(str(v), 30) for v in data[label]]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker={
                "color": [
                    PALETTE["blue"] if v >= 0 else PALETTE["vermillion"] for v in values.fillna(0)
                ]
            },
            text=[f"{v:+.0f}%" if pd.notna(v) else "no return" for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:+.1f}%<extra></extra>",
        )
    )
    fig.add_vline(x=0, line={"color": INK, "width": 1})
    top_down(fig, labels)
    span = max(5.0, float(values.abs().max()) * 1.25)
    fig.update_xaxes(title={"text": value_title}, ticksuffix="%", range=[-span, span])
    return style_figure(fig, title, max(280, 120 + 30 * len(labels)), legend=False)
