"""The funnel plot: each scheme against the limits chance would allow for its size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kpi.charts.palette import (
    INK,
    PALETTE,
)
from kpi.charts.style import (
    as_numbers,
    empty_figure,
    fmt,
    hidden_mask,
    style_figure,
    value_axis,
)

# --------------------------------------------------------------------- funnel ---
FUNNEL_WORDS = {
    "above998": "Above the 99.8% limit",
    "above95": "Above the 95% limit",
    "within": "Within the limits",
    "below95": "Below the 95% limit",
    "below998": "Below the 99.8% limit",
}


def funnel_chart(
    points: pd.DataFrame,
    limits: pd.DataFrame,
    pooled: float,
    *,
    title: str,
    value_title: str,
    percent: bool,
    label: str = "name",
    name_outliers: bool = True,
    max_named: int = 8,
    area: str | None = None,
    chosen: str | None = None,
) -> go.Figure:
    """A funnel plot: each group's value against its number of answers, inside
    control limits that narrow as the base grows.

    ``points``: ``label``, n, value and ``position`` (one of FUNNEL_WORDS keys;
    missing = "within"). ``limits``: n, lower95, upper95, lower998, upper998 on a
    grid of bases (the engine's curves). Points outside 99.8% are named on the
    chart (the most extreme ``max_named``, so labels stay readable); all are
    named on hover.

    ``area`` (a region's name): points with a true ``in_area`` column are drawn
    solid with a dark outline, the others faded, so the area's schemes stand out
    among England's. ``chosen`` (a label) is marked with a star and named. A
    ``region`` column is named on hover.
    """
    data = points.loc[~hidden_mask(points)].copy()
    if data.empty:
        return empty_figure("Every group has too few answers to show.")
    position = (
        data["position"].fillna("within").astype(str)
        if "position" in data
        else pd.Series("within", index=data.index)
    )
    fig = go.Figure()
    lim = limits.sort_values("n") if not limits.empty else limits
    lines = (
        ("lower998", "upper998", "99.8% limits", "dot", PALETTE["vermillion"]),
        ("lower95", "upper95", "95% limits", "dash", PALETTE["orange"]),
    )
    for low, up, name, dash, colour in lines:
        if lim.empty or low not in lim:
            continue
        for column, show in ((up, True), (low, False)):
            fig.add_trace(
                go.Scatter(
                    x=lim["n"],
                    y=lim[column],
                    mode="lines",
                    name=name,
                    line={"color": colour, "dash": dash, "width": 1.6},
                    hoverinfo="skip",
                    showlegend=show,
                    legendgroup=name,
                )
            )
    if pooled is not None and not pd.isna(pooled):
        fig.add_hline(
            y=float(pooled),
            line={"color": INK, "width": 1.3},
            annotation={"text": f"All schemes {fmt(pooled, percent, 1 if percent else 2)}"},
            annotation_position="top right",
        )
        fig.add_trace(  # legend entry for the pooled line
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name="All schemes together",
                line={"color": INK, "width": 1.3},
            )
        )
    styles = {
        "within": ("Within the limits", PALETTE["grey"], "circle"),
        "above95": ("Above the 95% limit", PALETTE["sky"], "triangle-up"),
        "above998": ("Above the 99.8% limit", PALETTE["blue"], "triangle-up"),
        "below95": ("Below the 95% limit", PALETTE["orange"], "triangle-down"),
        "below998": ("Below the 99.8% limit", PALETTE["vermillion"], "triangle-down"),
    }
    n = as_numbers(data, "n")
    value = as_numbers(data, "value")
    in_area = (
        data["in_area"].astype(bool).to_numpy()
        if area is not None and "in_area" in data
        else np.ones(len(data), dtype=bool)
    )
    regions = data["region"].astype(str).to_numpy() if "region" in data else None
    for key, (words, colour, symbol) in styles.items():
        mask = (position == key).to_numpy()
        if not mask.any():
            continue
        fig.add_trace(
            go.Scatter(
                x=n[mask],
                y=value[mask],
                mode="markers",
                name=words,
                marker={
                    "color": colour,
                    "size": 9 if key == "within" else 11,
                    "symbol": symbol,
                    "opacity": np.where(in_area[mask], 1.0, 0.3),
                    "line": {
                        "width": np.where(in_area[mask], 1.5 if area else 1, 1),
                        "color": np.where(in_area[mask] & (area is not None), INK, "white"),
                    },
                },
                hovertext=[
                    f"<b>{data[label].iloc[i]}</b>"
                    + (f" ({regions[i]})" if regions is not None else "")
                    + f"<br>{fmt(value.iloc[i], percent)} of {int(n.iloc[i])} answers<br>{words}"
                    for i in np.flatnonzero(mask)
                ],
                hoverinfo="text",
            )
        )
    if area is not None and not in_area.all():
        fig.add_trace(  # legend entry saying what the outline means
            go.Scatter(
                x=[None], y=[None], mode="markers", name=f"Schemes in {area} (outlined)",
                marker={"color": "white", "size": 10, "line": {"width": 1.5, "color": INK}},
            )
        )
    if chosen is not None and (data[label] == chosen).any():
        i = int(np.flatnonzero((data[label] == chosen).to_numpy())[0])
        fig.add_trace(
            go.Scatter(
                x=[n.iloc[i]], y=[value.iloc[i]], mode="markers", name=f"Chosen: {chosen}",
                marker={"color": INK, "size": 16, "symbol": "star",
                        "line": {"width": 1, "color": "white"}},
                hovertext=[f"<b>{chosen}</b><br>{fmt(value.iloc[i], percent)} of "
                           f"{int(n.iloc[i])} answers"],
                hoverinfo="text",
            )
        )
        fig.add_annotation(
            x=n.iloc[i], y=value.iloc[i], text=f"<b>{chosen}</b>", showarrow=True,
            arrowhead=2, ax=-30, ay=-40, font={"size": 13}, bgcolor="rgba(255,255,255,0.85)",
        )
    if name_outliers:
        outside = data.assign(_pos=position.to_numpy(), _v=value.to_numpy(), _n=n.to_numpy())
        outside = outside[outside["_pos"].isin(["above998", "below998"])]
        if pooled is not None and not pd.isna(pooled):
            outside = outside.reindex(
                (outside["_v"] - float(pooled)).abs().sort_values(ascending=False).index
            )
        named = outside.head(max_named).sort_values("_n")
        for k, (_, row) in enumerate(named.iterrows()):
            # Labels point away from the funnel and alternate in height so that
            # neighbours do not sit on each other.
            above = row["_pos"] == "above998"
            step = 18 * (k % 3)
            fig.add_annotation(
                x=row["_n"],
                y=row["_v"],
                text=str(row[label]),
                showarrow=True,
                arrowhead=0,
                arrowwidth=1,
                arrowcolor=PALETTE["grey"],
                ax=20,
                ay=-(20 + step) if above else 20 + step,
                xanchor="left",
                font={"size": 11},
                bgcolor="rgba(255,255,255,0.85)",
            )
    fig.update_xaxes(title={"text": "Number of people who answered (the base)"}, rangemode="tozero")
    values = pd.concat([value, as_numbers(lim, "lower998"), as_numbers(lim, "upper998")]).dropna()
    y_range = None
    if percent and not values.empty:
        y_range = [max(-2.0, values.min() - 5), min(102.0, values.max() + 5)]
    fig.update_yaxes(**value_axis(percent, value_title), range=y_range)
    return style_figure(
        fig,
        title,
        500,
        subtitle="Schemes with few answers vary more by chance, so the limits are wider on "
        "the left. A scheme outside the 99.8% limits is very unlikely to differ by chance.",
    )
