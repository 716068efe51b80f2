"""Control charts (Making Data Count): the series, its mean and process limits, and
each point marked by the engine's special-cause verdict.

Draws a :class:`kpi.stats.SpcResult` and the trend series it was built from; it
computes nothing. Special-cause points carry a shape and a legend name as well as
a colour (improving: blue triangle up; concerning: vermillion triangle down), and
the variation and assurance verdicts are written in the subtitle.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from kpi.charts.palette import COMPARISON_SYMBOL, GREY, INK, PALETTE, VERMILLION
from kpi.charts.style import HIDDEN_TEXT, empty_figure, fmt, style_figure
from kpi.stats import SpcResult, spc

#: Legend name, colour and marker of each kind of point.
POINT_STYLE = {
    spc.COMMON: ("Common cause", GREY, "circle"),
    spc.IMPROVEMENT: ("Special cause: improving", PALETTE["blue"], COMPARISON_SYMBOL["better"]),
    spc.CONCERN: ("Special cause: concerning", VERMILLION, COMPARISON_SYMBOL["worse"]),
    spc.NEUTRAL_HIGH: ("Special cause: higher", PALETTE["purple"], "triangle-up"),
    spc.NEUTRAL_LOW: ("Special cause: lower", PALETTE["purple"], "triangle-down"),
    spc.TOO_FEW: ("Value", GREY, "circle"),
}
CHART_NAMES = {"xmr": "XmR chart", "p": "p-chart"}


def _nan(value: float) -> float | None:
    return None if value is None or math.isnan(value) else value


def control_chart(
    series: pd.DataFrame,
    result: SpcResult,
    *,
    title: str,
    value_title: str,
    percent: bool,
) -> go.Figure:
    """The control chart of ``series`` (quarter_label per row) as ``result`` reads it."""
    if series.empty:
        return empty_figure("No quarters with answers yet.")
    x = series["quarter_label"].astype(str).tolist()
    if len(x) != len(result.values):
        raise ValueError("series and result must have one row per point")
    values = [_nan(v) for v in result.values]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=x, y=values, mode="lines", name="Value", line={"color": GREY, "width": 1.5},
        connectgaps=False, hoverinfo="skip", showlegend=False,
    ))
    for kind, (name, colour, symbol) in POINT_STYLE.items():
        rows = [i for i, t in enumerate(result.point_type) if t == kind]
        if not rows:
            continue
        fig.add_trace(go.Scatter(
            x=[x[i] for i in rows], y=[values[i] for i in rows], mode="markers", name=name,
            marker={"color": colour, "symbol": symbol, "size": 11,
                    "line": {"color": INK, "width": 0.5}},
            hovertext=[
                f"<b>{x[i]}</b><br>{fmt(values[i], percent)}<br>{name}"
                + (f" ({result.special[i]})" if kind not in (spc.COMMON, spc.TOO_FEW) else "")
                for i in rows
            ],
            hoverinfo="text",
        ))
    if result.verdict:
        fig.add_trace(go.Scatter(
            x=x, y=[_nan(v) for v in result.upper], mode="lines", name="Process limits",
            line={"color": INK, "dash": "dash", "width": 1, "shape": "hvh"},
            hovertemplate=f"Upper process limit %{{y:.{0 if percent else 1}f}}"
            f"{'%' if percent else ''}<extra></extra>",
        ))
        fig.add_trace(go.Scatter(
            x=x, y=[_nan(v) for v in result.lower], mode="lines", name="Lower process limit",
            line={"color": INK, "dash": "dash", "width": 1, "shape": "hvh"},
            showlegend=False,
            hovertemplate=f"Lower process limit %{{y:.{0 if percent else 1}f}}"
            f"{'%' if percent else ''}<extra></extra>",
        ))
        fig.add_hline(
            y=result.mean, line={"color": PALETTE["orange"], "width": 2},
            annotation={"text": f"Mean {fmt(result.mean, percent)}"},
            annotation_position="bottom right",
        )
    if result.target is not None and not math.isnan(result.target):
        fig.add_hline(
            y=result.target, line={"color": PALETTE["green"], "dash": "dot", "width": 2},
            annotation={"text": f"Target {fmt(result.target, percent)}"},
            annotation_position="top left",
        )
    hidden = series["suppressed"].astype("boolean").fillna(False).astype(bool) \
        if "suppressed" in series else pd.Series(False, index=series.index)
    for q, h in zip(x, hidden, strict=True):
        if h:
            fig.add_annotation(
                x=q, y=0, yref="paper", yanchor="bottom", text=HIDDEN_TEXT,
                showarrow=False, font={"size": 11, "color": PALETTE["grey"]},
            )
    fig.update_xaxes(title={"text": "Quarter (UK financial year)"}, type="category")
    axis: dict = {"title": {"text": value_title}, "zeroline": False}
    if percent:
        axis["ticksuffix"] = "%"
    fig.update_yaxes(**axis)
    return style_figure(fig, title, 400, subtitle=subtitle(result))


def subtitle(result: SpcResult) -> str:
    """The chart's kind, its points and its icons in words."""
    points = f"{result.points} points" + (", trial limits" if result.trial and result.verdict
                                           else "")
    words = [f"{CHART_NAMES.get(result.chart, result.chart)}, {points}",
             spc.VARIATION_WORDS[result.variation]]
    if result.assurance is not None:
        words.append(spc.ASSURANCE_WORDS[result.assurance])
    return " · ".join(words)
