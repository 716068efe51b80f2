"""Run charts: one KHI quarter by quarter with its 95% interval and median line.

:func:`run_chart` is the indicator page's; :func:`run_chart_traces` is the board
pack's: drawn as SVG on the board page and in the tagged PDF (:func:`sparkline_svg`),
by plotly in the PNG downloads (:func:`domain_chart`) and the untagged PDF
(:func:`sparkline_sheet`).
"""

from __future__ import annotations

import base64
import html
import io
import math
import statistics
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kpi import chart_theme
from kpi.charts.palette import (
    BAND,
    BLUE,
    GREY,
    INK,
    MUTED,
    ORANGE,
    PALETTE,
    PRINT_FONT,
    PRINT_INK,
    SKY,
)
from kpi.charts.style import (
    HIDDEN_TEXT,
    as_numbers,
    empty_figure,
    fmt,
    hidden_mask,
    hover_text,
    percent_range,
    style_figure,
    value_axis,
    wrap,
)
from kpi.wording import as_number, format_value

if TYPE_CHECKING:
    from kpi.board import BoardRow

CHART_WIDTH = 900  # layout pixels; the PDF shows it 180 mm wide
ROW_HEIGHT = 150  # layout pixels per row of small multiples


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
    hidden = hidden_mask(data)
    x = data["quarter_label"].astype(str).tolist()
    value = as_numbers(data, "value").mask(hidden)
    low, up = as_numbers(data, "lower95").mask(hidden), as_numbers(data, "upper95").mask(hidden)
    n = as_numbers(data, "n").mask(hidden)
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
                hover_text(q, h, v, lo, hi, k, percent)
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
        **value_axis(percent, value_title),
        range=percent_range(data.assign(lower95=low, upper95=up), percent, "lower95", "upper95"),
    )
    return style_figure(fig, title, 400)


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
    hidden = hidden_mask(data)
    for column in ("value", "lower95", "upper95"):
        data[column] = as_numbers(data, column).mask(hidden)
    groups = list(order) if order else list(dict.fromkeys(data[facet]))
    groups = [g for g in groups if (data[facet] == g).any()]
    rows = math.ceil(len(groups) / columns)
    fig = make_subplots(
        rows=rows,
        cols=columns,
        # Short lines: four panels a row are about 110 px each in an 800 px window.
        subplot_titles=[wrap(g, 14) for g in groups],
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
    # Only the first and last quarter are labelled (on two lines, "Q3 24/25"): the shape
    # is what matters, and full labels of neighbouring charts would run together.
    ticks = [quarters[0], quarters[-1]] if len(quarters) > 1 else quarters
    fig.update_xaxes(
        tickvals=ticks, ticktext=[short_quarter(t) for t in ticks], tickfont={"size": 10},
        type="category",
    )
    fig.update_yaxes(ticksuffix="%" if percent else "", tickfont={"size": 10})
    fig.update_yaxes(title={"text": value_title, "font": {"size": 12}}, col=1)
    fig.update_annotations(font={"size": 12})
    return style_figure(fig, title, 170 * rows + 110)


# ----------------------------------------------------- the board pack's run charts ---
def short_quarter(label: str, sep: str = "<br>") -> str:
    """ "2025/26 Q3" -> "Q3<br>25/26" (two short lines fit eight ticks)."""
    year, q = label.split(" ")
    return f"{q}{sep}{year[2:]}"


def _wrap(text: str, width: int = 34) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text


def run_chart_traces(
    row: BoardRow, labels: list[str], size: float = 1.0
) -> tuple[list[dict[str, Any]], tuple[float, float] | None]:
    """One KHI's run chart: value with 95% interval, median line, this quarter in orange.

    Returns plain trace dicts (plotly's validation of 80 objects costs ~0.2 s, and
    kaleido takes dicts) and the y range (None when every quarter is hidden or empty).
    The range never spans less than 10 points (percentages) or 1 unit (means), so
    noise is not magnified into a trend.
    """
    series = row.series
    # To a thousandth: hover shows one decimal, and 16 digits a number made each
    # chart's JSON, sent to the browser on every rerun, half as large again.
    values = [_drawn(v) for v in series["value"]]
    lower = [_drawn(v) for v in series["lower95"]]
    upper = [_drawn(v) for v in series["upper95"]]
    unit = "%" if row.khi.is_proportion else ""
    traces = [
        dict(
            type="scatter",
            x=labels,
            y=values,
            mode="lines+markers",
            line={"color": BLUE, "width": 2 * size},
            marker={"color": BLUE, "size": 6 * size},
            connectgaps=False,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [
                    round(u - v, 3) if None not in (u, v) else None for u, v in zip(upper, values)
                ],
                "arrayminus": [
                    round(v - lo, 3) if None not in (lo, v) else None
                    for lo, v in zip(lower, values)
                ],
                "color": SKY,
                "thickness": 1.2 * size,
                "width": 2 * size,
            },
            hovertemplate="%{x}: %{y:.1f}" + unit + "<extra></extra>",
            name=row.name,
        )
    ]
    shown = [v for v in values if v is not None]
    if len(shown) >= 2:
        centre = statistics.median(shown)  # the run chart's centre line
        traces.append(
            dict(
                type="scatter",
                x=[labels[0], labels[-1]],
                y=[centre, centre],
                mode="lines",
                line={"color": GREY, "width": 1 * size, "dash": "dash"},
                hoverinfo="skip",
                name="median",
            )
        )
    if values and values[-1] is not None:
        traces.append(
            dict(
                type="scatter",
                x=[labels[-1]],
                y=[values[-1]],
                mode="markers",
                marker={"color": ORANGE, "size": 9 * size,
                        "line": {"color": PRINT_INK, "width": 1}},
                hoverinfo="skip",
                name="this quarter",
            )
        )
    low = [v for v in lower + values if v is not None]
    high = [v for v in upper + values if v is not None]
    if not (low and high):
        return traces, None
    lo, hi = min(low), max(high)
    span = 10.0 if row.khi.is_proportion else 1.0
    if hi - lo < span:
        middle = (hi + lo) / 2
        lo, hi = middle - span / 2, middle + span / 2
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    if row.khi.is_proportion:
        lo, hi = max(lo, 0.0), min(hi, 100.0)
    return traces, (lo, hi)


def domain_chart(
    domain: str, rows: Sequence[BoardRow], columns: int = 5
) -> go.Figure:
    """Small-multiple run charts for one domain: each KHI over the last eight quarters.

    Each panel shows the value with its 95% interval, the median of the quarters
    shown (dashed: the run chart's centre line) and this quarter's point in orange.
    Hidden quarters are gaps. Nothing here computes a statistic: the values come
    from the board pack (the engine's disclosure-controlled series).
    """
    count = max(len(rows), 1)
    cols = columns  # the same panel size in every domain, so charts compare at a glance
    nrows = math.ceil(count / cols)
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        subplot_titles=[_wrap(r.name, 24) for r in rows],
        horizontal_spacing=0.06,
        vertical_spacing=min(0.32, 0.55 / nrows) if nrows > 1 else 0.1,
    )
    for i, row in enumerate(rows):
        r, c = i // cols + 1, i % cols + 1
        labels = [short_quarter(str(q)) for q in row.series["quarter_label"]]
        traces, y_range = run_chart_traces(row, labels)
        for trace in traces:
            fig.add_trace(trace, row=r, col=c)
        if y_range is None:
            fig.add_annotation(
                text="Too few answers",
                showarrow=False,
                xref=f"x{i + 1 if i else ''} domain",
                yref=f"y{i + 1 if i else ''} domain",
                x=0.5,
                y=0.5,
                font={"color": MUTED, "size": 12},
            )
            fig.update_yaxes(showticklabels=False, row=r, col=c)
        else:
            fig.update_yaxes(range=list(y_range), row=r, col=c)
        fig.update_yaxes(ticksuffix="%" if row.khi.is_proportion else "", nticks=4, row=r, col=c)
        fig.update_xaxes(
            tickfont={"size": 9},
            tickangle=0,
            tickmode="array",
            # Every other quarter, ending with this one; or the two ends.
            tickvals=labels[::-2][::-1],
            row=r,
            col=c,
        )
    fig.update_annotations(font_size=12)
    fig.update_layout(
        template=chart_theme.SIMPLE,
        showlegend=False,
        width=CHART_WIDTH,
        height=60 + ROW_HEIGHT * nrows,
        margin={"l": 45, "r": 15, "t": 45, "b": 20},
        font={"family": PRINT_FONT, "size": 11, "color": PRINT_INK},
        title=None,
    )
    return fig


# A sparkline band: layout pixels (shown 28 mm wide in a table cell).
SPARK_W, SPARK_H = 300, 130
SPARK_PLOT = {"l": 62, "r": 40, "t": 10, "b": 34}  # the plot area inside each band


def sparkline_sheet(rows: Sequence[BoardRow]) -> dict[str, Any]:
    """Every KHI's run chart as one tall figure (a plotly figure dict).

    Band ``i`` is exactly ``SPARK_H`` layout pixels tall with its own axes, so
    :func:`split_sheet` can cut the rendered PNG into one image per KHI. Rendering
    one figure is several times faster than one per KHI (each render reloads a
    browser tab).
    """
    count = max(len(rows), 1)
    total = SPARK_H * count
    data: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    layout: dict[str, Any] = {}
    for i, row in enumerate(rows):
        axis = "" if i == 0 else str(i + 1)
        top = (i * SPARK_H + SPARK_PLOT["t"]) / total
        bottom = ((i + 1) * SPARK_H - SPARK_PLOT["b"]) / total
        labels = [short_quarter(str(q), " ") for q in row.series["quarter_label"]]
        traces, y_range = run_chart_traces(row, labels, size=1.4)
        data.extend({**trace, "xaxis": f"x{axis}", "yaxis": f"y{axis}"} for trace in traces)
        axis_style = {"showline": True, "ticks": "outside", "showgrid": False,
                      "tickfont": {"size": 17}, "zeroline": False, "linecolor": PRINT_INK}
        layout[f"xaxis{axis}"] = {
            **axis_style,
            "domain": [SPARK_PLOT["l"] / SPARK_W, 1 - SPARK_PLOT["r"] / SPARK_W],
            "anchor": f"y{axis}",
            "type": "category",
            "tickmode": "array",
            "tickvals": [labels[0], labels[-1]] if labels else [],
            "tickangle": 0,
            "categoryorder": "array",
            "categoryarray": labels,
        }
        layout[f"yaxis{axis}"] = {
            **axis_style,
            "domain": [1 - bottom, 1 - top],
            "anchor": f"x{axis}",
            "nticks": 3,
            "ticksuffix": "%" if row.khi.is_proportion else "",
            "showticklabels": y_range is not None,
            **({"range": list(y_range)} if y_range else {}),
        }
        if y_range is None:
            annotations.append(
                {"text": "Too few answers", "showarrow": False, "x": 0.5, "y": 0.5,
                 "xref": f"x{axis} domain", "yref": f"y{axis} domain",
                 "font": {"color": MUTED, "size": 20}}
            )
    layout.update(
        showlegend=False,
        width=SPARK_W,
        height=total,
        margin={"l": 0, "r": 0, "t": 0, "b": 0, "pad": 0},
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": PRINT_FONT, "size": 10, "color": PRINT_INK},
        annotations=annotations,
    )
    return {"data": data, "layout": layout}


def split_sheet(png: bytes, count: int) -> list[bytes]:
    """Cut a rendered :func:`sparkline_sheet` into ``count`` equal bands (PNG bytes)."""
    from PIL import Image

    sheet = Image.open(io.BytesIO(png))
    band = sheet.height / count
    pieces = []
    for i in range(count):
        crop = sheet.crop((0, round(i * band), sheet.width, round((i + 1) * band)))
        out = io.BytesIO()
        crop.save(out, format="PNG", optimize=False)
        pieces.append(out.getvalue())
    return pieces


def _drawn(value: object) -> float | None:
    """A value as a chart draws it: to a thousandth (None when missing)."""
    number = as_number(value)
    return None if number is None else round(number, 3)


def sparkline_svg(
    row: BoardRow, width: float = 150.0, height: float = 60.0, *, labelled: bool = False
) -> str:
    """:func:`run_chart_traces` drawn as a small SVG: the board page's and the tagged
    PDF's run chart.

    The same traces, range and colours as the PNGs' run charts (each quarter with
    its 95% interval, the median dashed, this quarter in orange, hidden quarters
    as gaps), without plotly: a browser draws an SVG at once, where a page of
    plotly small multiples kept a board member waiting about a second
    (``benchmarks/browser_benchmark.py``), and the PDF's Chromium prints it as it is.

    ``labelled``: the value axis's two ends and the first and last quarter written
    beside the plot (for the page, drawn at its own size; the PDF's 28 mm cell is
    too small for such text, and its table says the values).
    """
    labels = [short_quarter(str(q), " ") for q in row.series["quarter_label"]]
    traces, y_range = run_chart_traces(row, labels)
    w, h, pad = width, height, 4.0
    font = f'font-family="{PRINT_FONT}" font-size="10" fill="{MUTED}"'
    if y_range is None:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}">'
                f'<text x="{w / 2}" y="{h / 2 + 4}" text-anchor="middle" font-size="11" '
                f'font-family="{PRINT_FONT}" fill="{MUTED}">Too few answers</text></svg>')
    lo, hi = y_range
    count = max(len(labels), 1)
    # The plot area: room on the left for the axis's values, below for the quarters.
    left, top = (38.0, 6.0) if labelled else (pad, pad)
    right, bottom = (w - 6.0, h - 16.0) if labelled else (w - pad, h - pad)

    def x(i: int) -> float:
        return left + (right - left) * (i + 0.5) / count

    def y(v: float) -> float:
        return top + (bottom - top) * (1 - (v - lo) / ((hi - lo) or 1))

    by_name = {trace["name"]: trace for trace in traces}
    main = traces[0]
    values, bars = main["y"], main["error_y"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}">',
             f'<rect x="0" y="0" width="{w}" height="{h}" fill="white" stroke="#DDDDDD"/>']
    if labelled:
        unit = "%" if row.khi.is_proportion else ""
        digits = 0 if row.khi.is_proportion else 1
        parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="#BBBBBB"/>')
        for value, level in ((hi, top + 7), (lo, bottom)):
            parts.append(f'<text x="{left - 4}" y="{level:.1f}" text-anchor="end" {font}>'
                         f"{value:.{digits}f}{unit}</text>")
        for i, anchor in ((0, "start"), (count - 1, "end")):
            if i < len(labels):
                edge = left if anchor == "start" else right
                parts.append(f'<text x="{edge:.1f}" y="{h - 4}" text-anchor="{anchor}" {font}>'
                             f"{labels[i]}</text>")
    if "median" in by_name:
        median = by_name["median"]
        level = y(median["y"][0])
        parts.append(f'<line x1="{left}" x2="{right}" y1="{level:.1f}" y2="{level:.1f}" '
                     f'stroke="{median["line"]["color"]}" stroke-dasharray="3 2"/>')
    for i, (v, up, down) in enumerate(zip(values, bars["array"], bars["arrayminus"])):
        if v is None or up is None or down is None:
            continue
        parts.append(f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(v - down):.1f}" '
                     f'y2="{y(v + up):.1f}" stroke="{bars["color"]}" stroke-width="1.5"/>')
    path, pen = [], "M"
    for i, v in enumerate(values):
        if v is None:
            pen = "M"
            continue
        path.append(f"{pen}{x(i):.1f},{y(v):.1f}")
        pen = "L"
    if path:
        parts.append(f'<path d="{" ".join(path)}" fill="none" '
                     f'stroke="{main["line"]["color"]}" stroke-width="2"/>')
    last = by_name.get("this quarter")
    for i, v in enumerate(values):
        if v is None or (last is not None and i == len(values) - 1):
            continue
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.8" '
                     f'fill="{main["marker"]["color"]}"/>')
    if last is not None:
        marker = last["marker"]
        parts.append(f'<circle cx="{x(len(values) - 1):.1f}" cy="{y(last["y"][0]):.1f}" '
                     f'r="4.5" fill="{marker["color"]}" stroke="{marker["line"]["color"]}"/>')
    parts.append("</svg>")
    return "".join(parts)


def chart_alt(row: BoardRow) -> str:
    """What a run chart shows, in one sentence (the chart's alternative text)."""
    series = row.series
    shown = [(str(q), as_number(v)) for q, v, h in
             zip(series["quarter_label"], series["value"], series["suppressed"])
             if not h and as_number(v) is not None]
    hidden = int(series["suppressed"].sum())
    quarters = len(series)
    if not shown:
        return (f"Run chart of {row.name} over the last {quarters} quarters: too few "
                "answers in every quarter to show a value.")
    first, last = shown[0], shown[-1]
    low = min(shown, key=lambda p: p[1])
    high = max(shown, key=lambda p: p[1])
    text = (f"Run chart of {row.name} over the last {quarters} quarters: "
            f"{format_value(first[1], row.khi)} in {first[0]}")
    if len(shown) > 1:
        text += (f", {format_value(last[1], row.khi)} in {last[0]}; lowest "
                 f"{format_value(low[1], row.khi)} ({low[0]}), highest "
                 f"{format_value(high[1], row.khi)} ({high[0]})")
    text += "."
    if hidden:
        noun = "quarter is" if hidden == 1 else "quarters are"
        text += f" {hidden} {noun} hidden (too few answers)."
    return text


def sparkline_img(
    row: BoardRow, width: float = 150.0, height: float = 60.0, *, labelled: bool = False
) -> str:
    """:func:`sparkline_svg` as an HTML image with :func:`chart_alt` as its text
    alternative (WCAG 1.1.1): what the board page and the tagged PDF put in a cell."""
    svg = sparkline_svg(row, width, height, labelled=labelled)
    data = base64.b64encode(svg.encode()).decode()
    # At its own size on a page (a table's column may not squeeze it); the PDF's
    # stylesheet sizes its cell's image.
    size = (f' width="{width:.0f}" height="{height:.0f}" style="min-width:{width:.0f}px"'
            if labelled else "")
    return (f'<img src="data:image/svg+xml;base64,{data}"{size} '
            f'alt="{html.escape(chart_alt(row), quote=True)}">')
