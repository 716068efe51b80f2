"""The drivers' odds ratios as a forest plot: each group's estimate with its 95%
interval on a log scale, and the line of no difference at 1.

Why here: the figure decides what is drawn (groups without an estimate get no
point) and belongs with the other figures, usable without streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from kpi.charts.palette import MUTED, PALETTE

if TYPE_CHECKING:
    from kpi.drivers import Driver

__all__ = ["forest_chart"]


def forest_chart(found: Sequence[Driver], title: str) -> go.Figure:
    """Odds ratios on a log scale with their 95% intervals and the line of no
    difference at 1."""
    shown = [d for d in found if d.estimated]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[d.odds_ratio for d in shown], y=[d.group for d in shown], mode="markers",
        marker={"color": PALETTE["blue"], "size": 10},
        error_x={"type": "data", "symmetric": False,
                 "array": [d.upper95 - d.odds_ratio for d in shown],
                 "arrayminus": [d.odds_ratio - d.lower95 for d in shown]},
        hovertemplate="%{y}: odds ratio %{x:.2f}<extra></extra>", name="odds ratio",
    ))
    # The line of no difference as a trace on its own 0-1 axis: shapes on a log axis
    # are placed differently by plotly.js versions (Streamlit's and kaleido's).
    fig.add_trace(go.Scatter(x=[1, 1], y=[0, 1], yaxis="y2", mode="lines",
                             line={"color": MUTED, "dash": "dash"}, hoverinfo="skip",
                             name="no difference"))
    fig.update_layout(yaxis2={"overlaying": "y", "range": [0, 1], "visible": False})
    values = [v for d in shown for v in (d.lower95, d.upper95)] or [0.5, 2]
    span = max(abs(math.log10(min(values))), abs(math.log10(max(values))), 0.3) * 1.1
    fig.update_xaxes(type="log", range=[-span, span],
                     title="Odds ratio (log scale; dashed line at 1: no difference)")
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(title=title, height=140 + 60 * max(len(shown), 1),
                      margin={"l": 10, "r": 20, "t": 60, "b": 50}, showlegend=False,
                      template="simple_white")
    return fig
