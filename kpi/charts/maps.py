"""The tile map of regions and nations.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from kpi.charts.palette import (
    COMPARISON_STYLE,
    INK,
    SEQUENTIAL,
)
from kpi.charts.style import (
    as_numbers,
    fmt,
    hidden_mask,
    style_figure,
    wrap,
)


# ------------------------------------------------------------------- tile map ---
def _text_colour(colour: str) -> str:
    """Black or white text, whichever reads better on the tile colour."""
    colour = colour.strip()
    if colour.startswith("rgb"):
        parts = [float(p) for p in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3]]
    else:
        hexa = colour.lstrip("#")
        parts = [int(hexa[i : i + 2], 16) for i in (0, 2, 4)]
    r, g, b = (p / 255 for p in parts)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if luminance > 0.45 else "#ffffff"


def tile_map(
    frame: pd.DataFrame,
    *,
    title: str,
    value_title: str,
    percent: bool,
    subtitle: str | None = None,
) -> go.Figure:
    """The 12 nations and regions as equal squares on a schematic UK grid.

    ``frame``: region, col, row, value (optionally suppressed, comparison, lower95,
    upper95, n). Colour is the value on a colour-blind-safe sequential scale; each
    tile is labelled with its name and value (and the comparison icon), so the
    map reads without the colour. No map server, no boundaries to download.
    """
    data = frame.reset_index(drop=True)
    hidden = hidden_mask(data)
    value = as_numbers(data, "value").mask(hidden)
    shown = value.dropna()
    low, high = (float(shown.min()), float(shown.max())) if not shown.empty else (0.0, 1.0)
    # A minimum colour span, so that regions a point or two apart do not look like
    # opposite ends of the country: 20 percentage points, or 20% of an average.
    span = 20.0 if percent else max(abs(high), abs(low), 1e-9) * 0.2
    if high - low < span:
        centre = (high + low) / 2
        low, high = centre - span / 2, centre + span / 2
        if percent:
            low, high = max(0.0, low), min(100.0, high)
    fig = go.Figure()
    centres_x, centres_y, texts, hovers, colours = [], [], [], [], []
    for i, row in data.iterrows():
        x, y = float(row["col"]), -float(row["row"])
        if hidden.iloc[i]:
            fill = "#eeeeee"
        else:
            fill = sample_colorscale(SEQUENTIAL, [(value.iloc[i] - low) / (high - low)])[0]
        fig.add_shape(
            type="rect",
            x0=x - 0.47,
            x1=x + 0.47,
            y0=y - 0.47,
            y1=y + 0.47,
            fillcolor=fill,
            line={"color": "white", "width": 2},
            layer="below",
        )
        comparison = "" if hidden.iloc[i] else str(row.get("comparison", "") or "")
        icon = COMPARISON_STYLE.get(comparison, ("",))[0]
        number = "too few<br>answers" if hidden.iloc[i] else fmt(value.iloc[i], percent)
        centres_x.append(x)
        centres_y.append(y)
        texts.append(f"{wrap(str(row['region']), 10)}<br><b>{number}</b> {icon}".strip())
        colours.append(INK if hidden.iloc[i] else _text_colour(fill))
        interval = ""
        if not hidden.iloc[i] and "lower95" in data:
            interval = (
                f"<br>95% interval {fmt(data['lower95'].iloc[i], percent)} to "
                f"{fmt(data['upper95'].iloc[i], percent)}"
            )
        words = COMPARISON_STYLE.get(comparison, ("", "", ""))[1]
        hovers.append(
            f"<b>{row['region']}</b><br>"
            + ("Too few answers to show" if hidden.iloc[i] else fmt(value.iloc[i], percent))
            + interval
            + (f"<br>{icon} {words}" if words else "")
        )
    fig.add_trace(
        go.Scatter(
            x=centres_x,
            y=centres_y,
            mode="text",
            text=texts,
            textfont={"color": colours, "size": 11},
            hovertext=hovers,
            hoverinfo="text",
            showlegend=False,
        )
    )
    # An invisible trace carries the colour bar (the key to the colours).
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            showlegend=False,
            hoverinfo="skip",
            marker={
                "colorscale": SEQUENTIAL,
                "cmin": low,
                "cmax": high,
                "color": [low],
                "showscale": True,
                # Under the map, so the tiles get the whole width.
                "colorbar": {
                    "title": {"text": value_title, "side": "top"},
                    "ticksuffix": "%" if percent else "",
                    "orientation": "h",
                    "thickness": 12,
                    "len": 0.7,
                    "x": 0.5,
                    "xanchor": "center",
                    "y": -0.02,
                    "yanchor": "top",
                },
            },
        )
    )
    cols, rows = as_numbers(data, "col"), as_numbers(data, "row")
    fig.update_xaxes(visible=False, range=[cols.min() - 0.55, cols.max() + 0.55])
    fig.update_yaxes(
        visible=False, range=[-rows.max() - 0.55, -rows.min() + 0.55], scaleanchor="x", scaleratio=1
    )
    fig = style_figure(fig, title, 600, legend=False, subtitle=subtitle, subtitle_width=60)
    fig.update_layout(margin={"l": 4, "r": 4, "b": 90})
    return fig
