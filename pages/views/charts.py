"""Plotly figure builders shared by the explore pages and the board report.

Pure functions from DataFrames to figures: no streamlit, no store, no statistics.
The engine has already computed every value and interval and hidden small cells;
these builders only draw what they are given. Hidden rows (``suppressed`` true or
no value) are drawn as a labelled gap ("too few answers"), never as a number.

Conventions, so every chart reads the same at a laptop width (1280px):

* Okabe-Ito colours (safe for every common colour-vision deficiency); comparison
  results always carry an icon and words as well as a colour;
* intervals are error bars or bands, labelled "95% interval";
* titles and axes in plain English, proportions with a ``%`` unit;
* categories with long names (schemes, groups) run down the y axis so their
  labels never overlap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from kpi import chart_theme

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    # Okabe-Ito vermillion (#D55E00) darkened to 5:1 on white: it is also text ("worse").
    "vermillion": "#B84F00",
    "purple": "#CC79A7",
    "grey": "#999999",
    "black": "#000000",
}
SEQUENCE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky")]
# Benchmark results always carry an icon and words, never colour alone.
COMPARISON_STYLE = {
    "better": ("▲", "Better than England", PALETTE["blue"]),
    "similar": ("●", "Similar to England", PALETTE["grey"]),
    "worse": ("▼", "Worse than England", PALETTE["vermillion"]),
    "not compared": ("○", "Not compared (too few answers)", PALETTE["grey"]),
}
# Plotly marker symbols that echo the icons above (shape, not only colour).
COMPARISON_SYMBOL = {
    "better": "triangle-up",
    "similar": "circle",
    "worse": "triangle-down",
    "not compared": "circle-open",
}
# A perceptually uniform scale designed for colour-vision deficiency.
SEQUENTIAL = "Cividis"
HIDDEN_TEXT = "too few answers"
FONT = "Source Sans Pro, Arial, sans-serif"
INK = "#262730"
BAND = "rgba(0, 114, 178, 0.18)"
# Characters per subtitle line: fits a full-width chart at 1280px beside the sidebar.
SUBTITLE_WIDTH = 110


# ------------------------------------------------------------------- helpers ---
def _hidden(frame: pd.DataFrame, value: str = "value") -> pd.Series:
    """True where a row must not show a number (suppressed, or no value)."""
    flag = frame["suppressed"] if "suppressed" in frame else pd.Series(False, index=frame.index)
    flag = flag.astype("boolean").fillna(False).astype(bool)
    values = pd.to_numeric(frame[value], errors="coerce") if value in frame else np.nan
    return flag | pd.Series(pd.isna(values), index=frame.index)


def _comparisons(frame: pd.DataFrame) -> pd.Series:
    """The engine's comparison words per row ("" where the frame has none)."""
    if "comparison" in frame:
        return frame["comparison"].astype(str)
    return pd.Series("", index=frame.index)


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def fmt(value: object, percent: bool, digits: int | None = None) -> str:
    """A value as text: ``67%`` or ``23.4``; empty for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return ""
    places = (0 if percent else 1) if digits is None else digits
    return f"{float(value):.{places}f}{'%' if percent else ''}"


def _hover(
    name: object,
    hidden: bool,
    value: float,
    low: float,
    up: float,
    n: float,
    percent: bool,
    extra: str = "",
) -> str:
    """Hover text for one cell: value, interval and base, or that it is hidden."""
    if hidden:
        return f"<b>{name}</b><br>Too few answers to show"
    base = f"{int(n):,}" if n is not None and pd.notna(n) else "–"
    text = (
        f"<b>{name}</b><br>{fmt(value, percent)} (95% interval {fmt(low, percent)} to "
        f"{fmt(up, percent)})<br>Answers: {base}"
    )
    return f"{text}<br>{extra}" if extra else text


def _style(
    fig: go.Figure,
    title: str,
    height: int,
    *,
    legend: bool = True,
    subtitle: str | None = None,
    subtitle_width: int = SUBTITLE_WIDTH,
) -> go.Figure:
    """One look for every chart: white, readable type, title and subtitle on the left,
    the legend under the chart (where it can never cover the title or the data).

    ``subtitle_width`` is characters per line: smaller for a chart in half a page.
    """
    lines = wrap(subtitle, subtitle_width).count("<br>") + 1 if subtitle else 0
    top = (44 + 18 * lines if subtitle else 44) if title else 16
    fig.update_layout(
        template=chart_theme.WHITE,
        title={
            "text": title,
            "subtitle": {
                "text": wrap(subtitle, subtitle_width) if subtitle else "",
                "font": {"size": 13, "color": "#555555"},
            },
            "x": 0.0,
            "xanchor": "left",
            "xref": "container",
            "y": 1.0,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": 10, "l": 4},
            "font": {"size": 17},
        },
        font={"family": FONT, "size": 13, "color": INK},
        height=height + (40 if legend else 0),
        margin={"l": 10, "r": 20, "t": top + 20, "b": 60 + (40 if legend else 0)},
        showlegend=legend,
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0.0,
            "yanchor": "bottom",
            "x": 0.0,
            "xanchor": "left",
            "traceorder": "normal",
        },
        hoverlabel={"font": {"family": FONT, "size": 13}},
    )
    return fig


def _value_axis(percent: bool, title: str) -> dict:
    axis: dict = {"title": {"text": title}, "zeroline": False}
    if percent:
        axis["ticksuffix"] = "%"
    return axis


def _percent_range(frame: pd.DataFrame, percent: bool, *columns: str) -> list[float] | None:
    """0-100 with a little room, or None for means (plotly chooses)."""
    if not percent:
        return None
    values = pd.concat([_num(frame, c) for c in columns if c in frame]).dropna()
    if values.empty:
        return [0, 100]
    # A little room beyond 0% and 100% so points there are not cut in half, but no
    # tick beyond them: a percentage axis never shows 105%.
    low = max(-1.5, math.floor(values.min() / 10) * 10 - 5)
    high = min(101.5, math.ceil(values.max() / 10) * 10 + 5)
    return [low, high]


def empty_figure(message: str, height: int = 200) -> go.Figure:
    """A blank figure that says why it is blank (never an empty grid)."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 15, "color": PALETTE["grey"]},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _style(fig, "", height, legend=False)


def wrap(text: str, width: int = 28) -> str:
    """Break a long label into lines with <br> so axis labels stay readable.

    Line breaks already in the text (``<br>``) are kept.
    """
    if "<br>" in str(text):
        return "<br>".join(wrap(part, width) for part in str(text).split("<br>"))
    words, lines, line = str(text).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines) if lines else str(text)


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
    hidden = _hidden(data)
    labels = [
        wrap(f"{name} ({HIDDEN_TEXT})" if h else str(name), 20 if narrow else 34)
        for name, h in zip(data[label], hidden)
    ]
    value, low, up = _num(data, "value"), _num(data, "lower95"), _num(data, "upper95")
    value, low, up = value.mask(hidden), low.mask(hidden), up.mask(hidden)
    n = _num(data, "n").mask(hidden)
    comparisons = _comparisons(data)
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
            _hover(
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
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=list(reversed(labels)),
        type="category",
        automargin=True,
        showgrid=True,
        gridcolor="#eeeeee",
    )
    fig.update_xaxes(
        **_value_axis(percent, value_title),
        range=_percent_range(data, percent, "lower95", "upper95"),
    )
    rows = len(labels)
    return _style(
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
    data = frame.loc[~_hidden(frame)].copy()
    if data.empty:
        return empty_figure("Every group has too few answers to show.")
    data = data.sort_values("value", kind="stable").reset_index(drop=True)
    data["rank"] = np.arange(1, len(data) + 1)
    value, low, up = _num(data, "value"), _num(data, "lower95"), _num(data, "upper95")
    n = _num(data, "n")
    comparisons = _comparisons(data)
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
                    _hover(
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
    fig.update_yaxes(**_value_axis(percent, value_title))
    return _style(
        fig,
        title,
        440,
        subtitle="Each mark is one scheme with its 95% interval. Where intervals overlap, "
        "the difference may be chance.",
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
    data = points.loc[~_hidden(points)].copy()
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
    n = _num(data, "n")
    value = _num(data, "value")
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
    values = pd.concat([value, _num(lim, "lower998"), _num(lim, "upper998")]).dropna()
    y_range = None
    if percent and not values.empty:
        y_range = [max(-2.0, values.min() - 5), min(102.0, values.max() + 5)]
    fig.update_yaxes(**_value_axis(percent, value_title), range=y_range)
    return _style(
        fig,
        title,
        500,
        subtitle="Schemes with few answers vary more by chance, so the limits are wider on "
        "the left. A scheme outside the 99.8% limits is very unlikely to differ by chance.",
    )


# ------------------------------------------------------------------ run chart ---
def run_chart(
    series: pd.DataFrame,
    *,
    title: str,
    value_title: str,
    percent: bool,
    median: float | None = None,
    benchmark: pd.DataFrame | None = None,
    benchmark_label: str = "England",
) -> go.Figure:
    """Value per quarter with its 95% band and the median of the quarters shown.

    ``series``: quarter_label, value, lower95, upper95, optionally suppressed and n,
    in time order. ``median`` defaults to the median of the visible values (the
    centre line of a run chart). ``benchmark`` (quarter_label, value) adds a
    dashed comparison line.
    """
    if series.empty:
        return empty_figure("No quarters with answers yet.")
    data = series.reset_index(drop=True)
    hidden = _hidden(data)
    x = data["quarter_label"].astype(str).tolist()
    value = _num(data, "value").mask(hidden)
    low, up = _num(data, "lower95").mask(hidden), _num(data, "upper95").mask(hidden)
    n = _num(data, "n").mask(hidden)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=up,
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            connectgaps=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=low,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=BAND,
            name="95% interval",
            hoverinfo="skip",
            connectgaps=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=value,
            mode="lines+markers",
            name="Value",
            line={"color": PALETTE["blue"], "width": 2.5},
            marker={"size": 8},
            hovertext=[
                _hover(q, h, v, lo, hi, k, percent)
                for q, h, v, lo, hi, k in zip(x, hidden, value, low, up, n)
            ],
            hoverinfo="text",
        )
    )
    if benchmark is not None and not benchmark.empty:
        bench = benchmark.set_index(benchmark["quarter_label"].astype(str))["value"]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[bench.get(q, np.nan) for q in x],
                mode="lines",
                name=benchmark_label,
                line={"color": INK, "dash": "dash", "width": 1.5},
                hovertemplate=f"{benchmark_label} %{{y:.{0 if percent else 1}f}}"
                f"{'%' if percent else ''}<extra></extra>",
            )
        )
    centre = median if median is not None else (value.median() if value.notna().any() else None)
    if centre is not None and not pd.isna(centre):
        fig.add_hline(
            y=float(centre),
            line={"color": PALETTE["orange"], "dash": "dot", "width": 2},
            annotation={"text": f"Median {fmt(centre, percent)}"},
            annotation_position="bottom right",
        )
    for q, h in zip(x, hidden):
        if h:
            fig.add_annotation(
                x=q,
                y=0,
                yref="paper",
                yanchor="bottom",
                text=HIDDEN_TEXT,
                showarrow=False,
                font={"size": 11, "color": PALETTE["grey"]},
            )
    fig.update_xaxes(title={"text": "Quarter (UK financial year)"}, type="category")
    fig.update_yaxes(
        **_value_axis(percent, value_title),
        range=_percent_range(data.assign(lower95=low, upper95=up), percent, "lower95", "upper95"),
    )
    return _style(fig, title, 400)


def small_multiples(
    frame: pd.DataFrame,
    facet: str,
    *,
    title: str,
    value_title: str,
    percent: bool,
    columns: int = 4,
    order: Sequence[str] | None = None,
) -> go.Figure:
    """One small trend chart per group (e.g. region), same axes, 95% bands.

    ``frame``: ``facet``, quarter_label, value, lower95, upper95 (suppressed
    optional), in time order within each group.
    """
    data = frame.copy()
    if data.empty:
        return empty_figure("No quarters with answers yet.")
    hidden = _hidden(data)
    for column in ("value", "lower95", "upper95"):
        data[column] = _num(data, column).mask(hidden)
    groups = list(order) if order else list(dict.fromkeys(data[facet]))
    groups = [g for g in groups if (data[facet] == g).any()]
    rows = math.ceil(len(groups) / columns)
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[wrap(g, 26) for g in groups],
        shared_yaxes=True,
        shared_xaxes=True,
        vertical_spacing=0.16 / max(rows, 1) * 2 if rows > 1 else 0.1,
        horizontal_spacing=0.05,
    )
    quarters = list(dict.fromkeys(data["quarter_label"].astype(str)))
    for k, group in enumerate(groups):
        row, col = k // columns + 1, k % columns + 1
        part = data[data[facet] == group].set_index(
            data.loc[data[facet] == group, "quarter_label"].astype(str)
        )
        part = part.reindex(quarters)
        fig.add_trace(
            go.Scatter(
                x=quarters,
                y=part["upper95"],
                mode="lines",
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            ),
            row=row,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=quarters,
                y=part["lower95"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=BAND,
                hoverinfo="skip",
                name="95% interval",
                showlegend=k == 0,
            ),
            row=row,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=quarters,
                y=part["value"],
                mode="lines+markers",
                name="Value",
                line={"color": PALETTE["blue"], "width": 2},
                marker={"size": 5},
                showlegend=k == 0,
                hovertemplate=f"<b>{group}</b><br>%{{x}}: %{{y:.{0 if percent else 1}f}}"
                f"{'%' if percent else ''}<extra></extra>",
            ),
            row=row,
            col=col,
        )
    # Only the first and last quarter are labelled (shortened, "24/25 Q3"): the shape
    # is what matters, and full labels of neighbouring charts would run together.
    ticks = [quarters[0], quarters[-1]] if len(quarters) > 1 else quarters
    fig.update_xaxes(
        tickvals=ticks, ticktext=[t[2:] for t in ticks], tickfont={"size": 10}, type="category"
    )
    fig.update_yaxes(ticksuffix="%" if percent else "", tickfont={"size": 10})
    fig.update_yaxes(title={"text": value_title, "font": {"size": 12}}, col=1)
    fig.update_annotations(font={"size": 12})
    return _style(fig, title, 170 * rows + 110)


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
    hidden = _hidden(data)
    value = _num(data, "value").mask(hidden)
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
    cols, rows = _num(data, "col"), _num(data, "row")
    fig.update_xaxes(visible=False, range=[cols.min() - 0.55, cols.max() + 0.55])
    fig.update_yaxes(
        visible=False, range=[-rows.max() - 0.55, -rows.min() + 0.55], scaleanchor="x", scaleratio=1
    )
    fig = _style(fig, title, 600, legend=False, subtitle=subtitle, subtitle_width=60)
    fig.update_layout(margin={"l": 4, "r": 4, "b": 90})
    return fig


# ---------------------------------------------------------------- spine chart ---
def spine_frame(
    by_scheme: pd.DataFrame,
    england: pd.DataFrame,
    scheme: str,
    khis: Sequence,
) -> pd.DataFrame:
    """Arrange the engine's tables for :func:`spine_chart`: one row per KHI.

    ``by_scheme`` is ``indicator_table(by=["scheme"])`` (khi, scheme, value,
    limits, suppressed, comparison), ``england`` the same without grouping and
    ``khis`` the catalogue entries to show, in order. The range and middle half of
    schemes are taken over the values the engine shows (hidden schemes are not
    in it, so nothing hidden can be read off the chart).
    """
    columns = [
        "label",
        "value",
        "lower95",
        "upper95",
        "benchmark",
        "lowest",
        "q25",
        "q75",
        "highest",
        "polarity",
        "percent",
        "comparison",
        "suppressed",
    ]
    rows = []
    for khi in khis:
        part = by_scheme[by_scheme["khi"] == khi.code] if len(by_scheme) else by_scheme
        shown = _num(part.loc[~_hidden(part)], "value").dropna() if len(part) else pd.Series()
        mine = part[part["scheme"] == scheme] if len(part) else part
        row = mine.iloc[0] if len(mine) else None
        hidden = row is not None and _is_suppressed(row)
        bench = england[england["khi"] == khi.code]["value"] if len(england) else pd.Series()
        rows.append(
            {
                "label": khi.name,
                "value": np.nan if row is None or hidden else row.get("value"),
                "lower95": np.nan if row is None or hidden else row.get("lower95"),
                "upper95": np.nan if row is None or hidden else row.get("upper95"),
                "benchmark": float(bench.iloc[0])
                if len(bench) and pd.notna(bench.iloc[0])
                else np.nan,
                "lowest": shown.min() if len(shown) else np.nan,
                "q25": shown.quantile(0.25) if len(shown) else np.nan,
                "q75": shown.quantile(0.75) if len(shown) else np.nan,
                "highest": shown.max() if len(shown) else np.nan,
                "polarity": khi.polarity,
                "percent": khi.is_proportion,
                "comparison": "not compared"
                if row is None or hidden
                else str(row.get("comparison") or "not compared"),
                "suppressed": hidden,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _is_suppressed(row: pd.Series) -> bool:
    flag = row.get("suppressed", False)
    return bool(flag) and not pd.isna(flag)


def spine_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    subtitle: str | None = None,
) -> go.Figure:
    """One scheme across every KHI, each drawn relative to England.

    ``frame``: one row per KHI with label, value, benchmark (England), lowest,
    q25, q75, highest (of the schemes' shown values), polarity ("high"/"low"),
    percent (bool), comparison, suppressed. Each row is scaled so England sits
    in the middle and the furthest scheme at the edge; rows where low is good are
    flipped, so right is always better. The grey bar is the range of schemes,
    the darker bar the middle half, the mark this scheme.
    """
    if frame.empty:
        return empty_figure("No indicators to show.")
    data = frame.reset_index(drop=True)
    hidden = _hidden(data)
    labels = [wrap(str(v), 40) for v in data["label"]]
    fig = go.Figure()

    def scaled(column: str, i: int) -> float:
        raw = data[column].iloc[i]
        if raw is None or pd.isna(raw):
            return np.nan
        centre = float(data["benchmark"].iloc[i])
        spread = max(
            abs(float(v) - centre)
            for v in (
                data["lowest"].iloc[i],
                data["highest"].iloc[i],
                data["value"].iloc[i],
                centre + 1e-9,
            )
            if v is not None and not pd.isna(v)
        )
        position = (float(raw) - centre) / spread if spread > 0 else 0.0
        return -position if data["polarity"].iloc[i] == "low" else position

    for i, name in enumerate(labels):
        if pd.isna(data["benchmark"].iloc[i]):
            continue
        ends = sorted([scaled("lowest", i), scaled("highest", i)])
        middle = sorted([scaled("q25", i), scaled("q75", i)])
        for (a, b), colour, width in ((ends, "#d9d9d9", 16), (middle, "#a6a6a6", 16)):
            if not any(pd.isna([a, b])):
                fig.add_trace(
                    go.Scatter(
                        x=[a, b],
                        y=[name, name],
                        mode="lines",
                        line={"color": colour, "width": width},
                        hoverinfo="skip",
                        showlegend=False,
                    )
                )
    percent_flags = data["percent"].astype(bool)
    comparisons = data["comparison"].astype(str) if "comparison" in data else None
    for key, (icon, words, colour) in COMPARISON_STYLE.items():
        idx = [
            i
            for i in range(len(data))
            if not hidden.iloc[i]
            and (comparisons is None or comparisons.iloc[i] == key)
            and not pd.isna(data["benchmark"].iloc[i])
        ]
        if not idx:
            continue
        fig.add_trace(
            go.Scatter(
                x=[scaled("value", i) for i in idx],
                y=[labels[i] for i in idx],
                mode="markers",
                name=words,
                marker={
                    "color": PALETTE["black"] if key in ("similar", "not compared") else colour,
                    "size": 13,
                    "symbol": COMPARISON_SYMBOL[key],
                    "line": {
                        "width": 2 if key == "not compared" else 1,
                        "color": PALETTE["black"] if key == "not compared" else "white",
                    },
                },
                hovertext=[
                    f"<b>{data['label'].iloc[i]}</b><br>This scheme "
                    f"{fmt(data['value'].iloc[i], percent_flags.iloc[i])}"
                    f"<br>England {fmt(data['benchmark'].iloc[i], percent_flags.iloc[i])}"
                    f"<br>Schemes range {fmt(data['lowest'].iloc[i], percent_flags.iloc[i])} to "
                    f"{fmt(data['highest'].iloc[i], percent_flags.iloc[i])}<br>{icon} {words}"
                    for i in idx
                ],
                hoverinfo="text",
            )
        )
    for i in np.flatnonzero(hidden.to_numpy()):
        fig.add_annotation(
            x=0,
            y=labels[i],
            text=HIDDEN_TEXT,
            showarrow=False,
            font={"size": 11, "color": PALETTE["grey"]},
            bgcolor="rgba(255,255,255,0.8)",
        )
    fig.add_vline(x=0, line={"color": INK, "width": 2})
    fig.update_xaxes(
        range=[-1.12, 1.12],
        tickvals=[-1, 0, 1],
        ticktext=["◀ Worse", "England", "Better ▶"],
        showgrid=False,
        zeroline=False,
    )
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=list(reversed(labels)),
        type="category",
        automargin=True,
    )
    return _style(
        fig,
        title,
        max(320, 120 + 34 * len(labels)),
        subtitle=subtitle
        or "Light grey: range of all schemes; dark grey: the middle half of schemes; "
        "the mark is this scheme. Right is always better.",
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
    hidden = _hidden(data, percent_column)
    share = _num(data, percent_column).mask(hidden)
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
        return _style(fig, title, 380, legend=False)
    labels = [
        wrap(f"{v} ({HIDDEN_TEXT})" if h else str(v), 40) for v, h in zip(data[label], hidden)
    ]
    fig = go.Figure(
        go.Bar(
            x=share,
            y=labels,
            orientation="h",
            marker={"color": PALETTE["blue"]},
            text=[share_text(v) for v in share],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        )
    )
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=list(reversed(labels)),
        type="category",
        automargin=True,
    )
    fig.update_xaxes(
        title={"text": "Share of answers"}, ticksuffix="%", range=[0, min(110, top * 1.15 + 5)]
    )
    return _style(fig, title, max(240, 110 + 40 * len(labels)), legend=False)


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
    hidden = _hidden(data, "share_better")
    labels = [
        wrap(f"{v} ({HIDDEN_TEXT})" if h else str(v), 34) for v, h in zip(data[label], hidden)
    ]
    fig = go.Figure()
    for key, (words, colour) in CHANGE_COLOURS.items():
        share = _num(data, f"share_{key}").mask(hidden)
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
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=list(reversed(labels)),
        type="category",
        automargin=True,
    )
    fig.update_xaxes(title={"text": "Share of people"}, ticksuffix="%", range=[0, 100])
    return _style(fig, title, max(220, 120 + 38 * len(labels)))


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
                x=_num(data, column),
                y=labels,
                orientation="h",
                name=words,
                marker={"color": SEQUENCE[k % len(SEQUENCE)]},
                hovertemplate=f"%{{y}}<br>{words}: %{{x:,.0f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=list(reversed(labels)),
        type="category",
        automargin=True,
    )
    fig.update_xaxes(title={"text": value_title}, tickformat=",")
    return _style(fig, title, max(280, 120 + 30 * len(labels)))


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
    values = _num(data, column)
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
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=list(reversed(labels)),
        type="category",
        automargin=True,
    )
    span = max(5.0, float(values.abs().max()) * 1.25)
    fig.update_xaxes(title={"text": value_title}, ticksuffix="%", range=[-span, span])
    return _style(fig, title, max(280, 120 + 30 * len(labels)), legend=False)


# ------------------------------------------------------- text alternative ---
def _plain(text: object) -> str:
    """Plotly's HTML-ish text as plain words."""
    words = re.sub(r"<br\s*/?>", " · ", str(text or ""))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", words)).strip(" ·")


def figure_text(fig: go.Figure, limit: int = 300) -> tuple[str, list[str]]:
    """A chart's text alternative: its title and subtitle, then one line per point it
    draws (the same words as its hover labels, so hidden cells read "too few
    answers" here too). Drawn under every chart for people who cannot see it."""
    title = fig.layout.title
    heading = _plain(title.text) if title and title.text else "Chart"
    subtitle = _plain(title.subtitle.text) if title and title.subtitle else ""
    lines: list[str] = []
    for trace in fig.data:
        name = _plain(getattr(trace, "name", "") or "")
        hover = getattr(trace, "hovertext", None)
        if hover is not None and not isinstance(hover, str):
            lines += [f"{_plain(h)}" + (f" ({name})" if name else "") for h in hover if h]
        elif getattr(trace, "hoverinfo", None) != "skip" and getattr(trace, "x", None) is not None:
            xs, ys = list(trace.x), list(trace.y if trace.y is not None else [])
            if not xs or all(x is None for x in xs):
                continue
            pairs = [f"{_plain(x)}: {fmt(y, False, 1) if isinstance(y, float) else y}"
                     for x, y in zip(xs, ys) if y is not None and not pd.isna(y)]
            if pairs:
                lines.append((f"{name}: " if name else "") + "; ".join(pairs))
    for annotation in fig.layout.annotations or ():
        if annotation.text:
            lines.append(f"Marked: {_plain(annotation.text)}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"… and {len(lines) - limit} more"]
    return (f"{heading}. {subtitle}".strip() if subtitle else heading), lines
