"""Values with their 95% intervals against England: bars of groups or places, and
the caterpillar of schemes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kpi.charts.palette import (
    COMPARISON_STYLE,
    COMPARISON_SYMBOL,
    INK,
    PALETTE,
)
from kpi.charts.style import (
    HIDDEN_TEXT,
    SUBTITLE_WIDTH,
    as_numbers,
    comparison_series,
    empty_figure,
    fmt,
    hidden_mask,
    hover_text,
    percent_range,
    style_figure,
    top_down,
    value_axis,
    wrap,
)


# ------------------------------------------------------------ interval charts ---
def interval_chart(
    frame: pd.DataFrame,
    label: str,
    *,
    title: str,
    value_title: str,
    percent: bool,
    benchmark: float | None = None,
    benchmark_label: str = "England",
    subtitle: str | None = None,
    colour_by_comparison: bool = False,
    height: int | None = None,
    narrow: bool = False,
    benchmark_value_shown: bool = True,
) -> go.Figure:
    """Groups down the y axis, each a point with its 95% interval as an error bar.

    ``frame`` has ``label``, value, lower95, upper95 and optionally suppressed,
    n and comparison. Rows are drawn in the order given (top to bottom). Hidden
    rows keep their place with "(too few answers)" after the label and no point.
    ``narrow``: the chart shares the page width, so labels and subtitle wrap sooner.
    ``benchmark_value_shown``: False for a line whose value goes without saying
    (e.g. "No change" at 0).
    """
    if frame.empty:
        return empty_figure("No answers for this choice.")
    data = frame.reset_index(drop=True)
    hidden = hidden_mask(data)
    labels = [
        wrap(f"{name} ({HIDDEN_TEXT})" if h else str(name), 20 if narrow else 34)
        for name, h in zip(data[label], hidden)
    ]
    value, low, up = (as_numbers(data, c) for c in ("value", "lower95", "upper95"))
    value, low, up = value.mask(hidden), low.mask(hidden), up.mask(hidden)
    n = as_numbers(data, "n").mask(hidden)
    comparisons = comparison_series(data)
    fig = go.Figure()
    groups = (
        [(key, comparisons == key) for key in COMPARISON_STYLE]
        if colour_by_comparison
        else [("", pd.Series(True, index=data.index))]
    )
    for key, mask in groups:
        if not mask.any():
            continue
        icon, words, colour = COMPARISON_STYLE.get(key, ("", "Value", PALETTE["blue"]))
        idx = np.flatnonzero(mask.to_numpy())
        hover = [
            hover_text(
                data[label].iloc[i],
                hidden.iloc[i],
                value.iloc[i],
                low.iloc[i],
                up.iloc[i],
                n.iloc[i],
                percent,
                f"{icon} {words}" if key else "",
            )
            for i in idx
        ]
        fig.add_trace(
            go.Scatter(
                x=value.iloc[idx],
                y=[labels[i] for i in idx],
                mode="markers",
                name=words if key else "Value",
                marker={
                    "color": colour if key else PALETTE["blue"],
                    "size": 11,
                    "symbol": COMPARISON_SYMBOL.get(key, "circle") if key else "circle",
                    "line": {"width": 1, "color": "white"},
                },
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (up - value).iloc[idx],
                    "arrayminus": (value - low).iloc[idx],
                    "color": colour if key else PALETTE["blue"],
                    "thickness": 2,
                    "width": 5,
                },
                hovertext=hover,
                hoverinfo="text",
                showlegend=bool(key),
            )
        )
    if benchmark is not None and not pd.isna(benchmark):
        fig.add_vline(
            x=float(benchmark),
            line={"color": INK, "dash": "dash", "width": 1.5},
            annotation={
                "text": f"{benchmark_label} {fmt(benchmark, percent)}"
                if benchmark_value_shown
                else benchmark_label,
                "font": {"size": 12},
                "yanchor": "bottom",
            },
            annotation_position="top",
        )
    top_down(fig, labels)
    fig.update_yaxes(showgrid=True, gridcolor="#eeeeee")
    fig.update_xaxes(
        **value_axis(percent, value_title),
        range=percent_range(data, percent, "lower95", "upper95"),
    )
    rows = len(labels)
    return style_figure(
        fig,
        title,
        height or max(260, 110 + 30 * rows),
        legend=colour_by_comparison,
        subtitle_width=60 if narrow else SUBTITLE_WIDTH,
        subtitle=subtitle
        or "Dots are values; lines are 95% intervals (the range the true value "
        "is likely to be in).",
    )


def caterpillar_chart(
    frame: pd.DataFrame,
    label: str,
    *,
    title: str,
    value_title: str,
    percent: bool,
    benchmark: float | None = None,
    benchmark_label: str = "England",
    highlight: str | None = None,
    against: str = "England",
    area: str | None = None,
) -> go.Figure:
    """Every group ranked by value with its 95% interval: overlapping intervals say
    "no real difference", which a league table hides.

    ``against`` names what the ``comparison`` column compared with ("England",
    "its region", ...), for the legend and hover words.

    Groups run along the x axis (no labels, too many to read); hover names them,
    colour and shape give the comparison with the benchmark, and ``highlight``
    (a label) is marked so one scheme can find itself.
    """
    data = frame.loc[~hidden_mask(frame)].copy()
    if data.empty:
        return empty_figure("Every group has too few answers to show.")
    data = data.sort_values("value", kind="stable").reset_index(drop=True)
    data["rank"] = np.arange(1, len(data) + 1)
    value, low, up = (as_numbers(data, c) for c in ("value", "lower95", "upper95"))
    n = as_numbers(data, "n")
    comparisons = comparison_series(data)
    in_area = (
        data["in_area"].astype(bool).to_numpy()
        if area is not None and "in_area" in data
        else np.ones(len(data), dtype=bool)
    )
    where = (
        [f" ({r})" for r in data["region"].astype(str)] if "region" in data else [""] * len(data)
    )
    fig = go.Figure()
    for key, (icon, words, colour) in COMPARISON_STYLE.items():
        mask = (comparisons == key).to_numpy()
        if not mask.any():
            continue
        words = words.replace("England", against)
        fig.add_trace(
            go.Scatter(
                x=data["rank"][mask],
                y=value[mask],
                mode="markers",
                name=words,
                marker={"color": colour, "size": 7, "symbol": COMPARISON_SYMBOL[key],
                        "opacity": np.where(in_area[mask], 1.0, 0.3)},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (up - value)[mask],
                    "arrayminus": (value - low)[mask],
                    "color": colour,
                    "thickness": 1.2,
                    "width": 0,
                },
                hovertext=[
                    hover_text(
                        f"{data[label].iloc[i]}{where[i]}",
                        False,
                        value.iloc[i],
                        low.iloc[i],
                        up.iloc[i],
                        n.iloc[i],
                        percent,
                        f"{icon} {words}",
                    )
                    for i in np.flatnonzero(mask)
                ],
                hoverinfo="text",
            )
        )
    if highlight is not None and (data[label] == highlight).any():
        i = int(np.flatnonzero((data[label] == highlight).to_numpy())[0])
        fig.add_annotation(
            x=data["rank"].iloc[i],
            y=up.iloc[i] if pd.notna(up.iloc[i]) else value.iloc[i],
            text=f"<b>{highlight}</b>",
            showarrow=True,
            arrowhead=2,
            ay=-40,
            font={"size": 13},
            bgcolor="rgba(255,255,255,0.85)",
        )
    if benchmark is not None and not pd.isna(benchmark):
        fig.add_hline(
            y=float(benchmark),
            line={"color": INK, "dash": "dash", "width": 1.5},
            annotation={"text": f"{benchmark_label} {fmt(benchmark, percent)}"},
            annotation_position="top left",
        )
    fig.update_xaxes(
        title={"text": f"Ranked from lowest to highest ({len(data)} shown)"},
        showticklabels=False,
        showgrid=False,
    )
    fig.update_yaxes(**value_axis(percent, value_title))
    return style_figure(
        fig,
        title,
        440,
        subtitle="Each mark is one scheme with its 95% interval. Where intervals overlap, "
        "the difference may be chance.",
    )
