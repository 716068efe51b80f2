"""One look for every chart: title and legend placement, axes, hover text, wrapping,
and the text alternative drawn under each chart.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kpi import chart_theme
from kpi.charts.palette import FONT, INK, PALETTE
from kpi.wording import fmt

HIDDEN_TEXT = "too few answers"
# Characters per title and subtitle line. A figure does not know how wide it will be
# drawn, so lines are as long as fit the narrowest full-width chart: an 800 px window
# beside the open sidebar (about 430 px left of the camera button) at 17 and 13 px.
TITLE_WIDTH = 46
SUBTITLE_WIDTH = 66
TITLE_LINE, SUBTITLE_LINE = 22, 18  # pixels per line


# ------------------------------------------------------------------- helpers ---
def hidden_mask(frame: pd.DataFrame, value: str = "value") -> pd.Series:
    """True where a row must not show a number (suppressed, or no value)."""
    flag = frame["suppressed"] if "suppressed" in frame else pd.Series(False, index=frame.index)
    flag = flag.astype("boolean").fillna(False).astype(bool)
    values = pd.to_numeric(frame[value], errors="coerce") if value in frame else np.nan
    return flag | pd.Series(pd.isna(values), index=frame.index)


def comparison_series(frame: pd.DataFrame) -> pd.Series:
    """The engine's comparison words per row ("" where the frame has none)."""
    if "comparison" in frame:
        return frame["comparison"].astype(str)
    return pd.Series("", index=frame.index)


def as_numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def hover_text(
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


def style_figure(
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

    Long titles and subtitles wrap at word boundaries (``TITLE_WIDTH``,
    ``subtitle_width`` characters a line: smaller for a chart in half a page), so
    nothing is cut off in a narrow window; the top margin grows with the lines.
    """
    title = wrap(title, TITLE_WIDTH) if title else ""
    subtitle = wrap(subtitle, min(subtitle_width, SUBTITLE_WIDTH)) if subtitle else None
    title_lines = title.count("<br>") + 1 if title else 0
    lines = subtitle.count("<br>") + 1 if subtitle else 0
    top = 22 + TITLE_LINE * title_lines + SUBTITLE_LINE * lines if title else 16
    fig.update_layout(
        template=chart_theme.WHITE,
        title={
            "text": title,
            "subtitle": {
                "text": subtitle or "",
                "font": {"size": 13, "color": "#555555"},
            },
            "x": 0.0,
            "xanchor": "left",
            "xref": "container",
            "y": 1.0,
            "yanchor": "top",
            "yref": "container",
            # Plotly anchors a wrapped title by its last line: push the first down too.
            "pad": {"t": 10 + TITLE_LINE * (title_lines - 1), "l": 4},
            "font": {"size": 17},
        },
        font={"family": FONT, "size": 13, "color": INK},
        # Wrapped lines add to the height, so the plot keeps its room.
        height=height + (40 if legend else 0) + TITLE_LINE * max(title_lines - 1, 0)
        + SUBTITLE_LINE * max(lines - 1, 0),
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


def value_axis(percent: bool, title: str) -> dict:
    axis: dict = {"title": {"text": title}, "zeroline": False}
    if percent:
        axis["ticksuffix"] = "%"
    return axis


def percent_range(frame: pd.DataFrame, percent: bool, *columns: str) -> list[float] | None:
    """0-100 with a little room, or None for means (plotly chooses)."""
    if not percent:
        return None
    values = pd.concat([as_numbers(frame, c) for c in columns if c in frame]).dropna()
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
    return style_figure(fig, "", height, legend=False)


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
    # Titles and subtitles wrapped to fit the chart read as running text here.
    heading = _plain(title.text.replace("<br>", " ")) if title and title.text else "Chart"
    subtitle = (_plain(str(title.subtitle.text or "").replace("<br>", " "))
                if title and title.subtitle else "")
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


# The old private names, importable for one round while other branches merge.
_style, _hidden, _num, _hover = style_figure, hidden_mask, as_numbers, hover_text
_value_axis, _percent_range, _comparisons = value_axis, percent_range, comparison_series


def top_down(fig: go.Figure, labels: list[str]) -> None:
    """Horizontal bars' rows in ``labels`` order, top to bottom (plotly draws the
    first category at the bottom), each label given the room it needs."""
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(labels)),
                     type="category", automargin=True)
