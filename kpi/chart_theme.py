"""Plotly templates that carry only what our charts use.

Why: a figure embeds its whole template in the JSON sent to the browser.
Plotly's own ``plotly_white`` holds defaults for every trace type (3D surfaces,
maps, carpets...): 7-9 kB in every chart, often half its size, sent on every
rerun. These keep the template's layout (colours, grid, axes) and the trace
defaults of the two trace types we draw (scatter, bar), so charts look the same.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

USED_TRACES = ("scatter", "bar")
# 3D scenes, polar, ternary and geographic axes, and colour scales: never drawn here.
UNUSED_LAYOUT = ("scene", "polar", "ternary", "geo", "coloraxis", "colorscale", "mapbox")


def lean(name: str) -> go.layout.Template:
    """Plotly's template ``name`` without the parts no chart here uses."""
    full = pio.templates[name]
    layout = {k: v for k, v in full.layout.to_plotly_json().items() if k not in UNUSED_LAYOUT}
    data = full.data.to_plotly_json()
    return go.layout.Template(
        layout=layout, data={trace: data[trace] for trace in USED_TRACES if trace in data}
    )


pio.templates["khi_white"] = lean("plotly_white")
pio.templates["khi_simple"] = lean("simple_white")
WHITE = "khi_white"  # the dashboard's charts
SIMPLE = "khi_simple"  # the board pack's run charts (PDF, PNG and board page)
