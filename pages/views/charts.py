"""Drawing a chart on a page: what needs streamlit, and nothing else.

The figures are :mod:`kpi.charts`' (plain plotly, shared with the board pack and
its PDF); this draws one with the dashboard's chart settings and puts its text
alternative under it. Pages call it as ``c.chart(figure, key)``.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from kpi.charts import figure_text, reserve_label_room

# The tool bar always in sight (not only on hover): its camera downloads the PNG.
CHART_CONFIG = {
    "displaylogo": False,
    "displayModeBar": True,
    # Only the camera: plotly's zoom buttons are 20 px targets (WCAG 2.5.8 asks 24).
    "modeBarButtons": [["toImage"]],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def draw(figure: go.Figure, key: str, *, share: float = 1.0) -> None:
    """A plotly chart as every page draws it: in our palette and type (``theme=None``:
    Streamlit's theme would restyle them) and without plotly's logo; under it, the
    chart as text (its text alternative, WCAG 1.1.1), folded away. ``share``: the
    part of the page's width its column takes (a legend's rows depend on it)."""
    # The tool bar (always shown) stands down the right edge, off the title.
    right = figure.layout.margin.r if figure.layout.margin.r is not None else 20
    figure.update_layout(modebar={"orientation": "v"}, margin={"r": max(right, 44)})
    # Room for the labels before plotly measures them: one drawing, not two.
    reserve_label_room(figure, share)
    st.plotly_chart(figure, key=key, theme=None, config=CHART_CONFIG)
    heading, lines = figure_text(figure)
    with st.expander(f"Chart as text: {heading[:90]}"):
        # Plain text, never Markdown: the labels may carry names a user typed.
        st.text(heading + "\n\n" + "\n".join(f"- {line}" for line in lines))
