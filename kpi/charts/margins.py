"""Room for a chart's axis labels and legend, set before the browser draws it.

Why: plotly's ``automargin`` measures the tick labels, axis titles and a legend
under the chart once they are drawn; where they need more room than the layout's
margins give (every chart here starts at a left margin of 10 px), plotly.js draws
the whole chart a second time (``Plots.doAutoMargin``). Measured in Chromium on
the Schemes page's funnel plot: 85 ms a drawing with the second pass, 45 ms
without it (``benchmarks/chart_margins.py``). :func:`reserve_label_room`
works out that room from the figure alone and sets the margins to it, so the
first drawing is the last.

How: tick labels, titles and legend entries are measured in Arial's widths
(Adobe's Helvetica metrics, which Arial and Liberation Sans share): the charts'
font, ``Source Sans Pro, Arial, sans-serif``, is Arial in a browser, because
Streamlit's own Source Sans is named "Source Sans". The offsets (11 px beside
tick labels, 26 px for a one-line axis title, 20 px a legend row) are plotly.js
4's, measured in Chromium. An estimate a little large leaves a few pixels blank;
one too small costs the second drawing, as before. ``automargin`` stays on, so a
label is never cut off whatever the estimate.

The legend's rows depend on the chart's width, which the server does not know:
rows are counted for ``REFERENCE_WIDTH``, a chart beside the open sidebar in a
1280 px window. A narrower window may still draw twice.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

import plotly.graph_objects as go

from kpi.wording import as_number

# Arial (= Helvetica) advance widths in 1/1000 em of the printable ASCII characters,
# " " (32) to "~" (126); tests/test_chart_margins.py checks them against fpdf2's
# Helvetica table. Others: below, or their base letter's ("é" as "e").
_ASCII_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)
_OTHER_WIDTHS = {
    "\u00b7": 278, "\u2013": 556, "\u2014": 1000, "\u2018": 222, "\u2019": 222,
    "\u201c": 333, "\u201d": 333, "\u2022": 350, "\u2026": 1000, "\u2212": 584,
    "\u00a3": 556, "\u20ac": 556, "\u00a0": 278, "\u00d7": 584,
}
_UNKNOWN = 1000  # a character of no known width is taken as wide as a square
TAG = re.compile(r"<[^>]+>")
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)

REFERENCE_WIDTH = 820  # px: a chart beside the open sidebar in a 1280 px window
LABEL_GAP = 11.1  # px between the plot area's edge and its tick labels' far side, beyond them
TITLE_LINE = 0.87  # an axis title's depth per line, in font sizes, beyond its standoff
TICK_HEIGHT = 1.31  # an x axis's tick labels' depth, in font sizes
BOTTOM_GAP = 10  # px under an x axis's labels and title
LEGEND_ROW, LEGEND_PAD = 20, 10  # px a row of a horizontal legend under the chart, and below it
LEGEND_SYMBOL, LEGEND_GAP = 43, 3  # px before an entry's text, and between entries
SLACK = 2  # px more than the estimate, for rounding
UNKNOWN_LABELS = 6  # px more under an axis whose labels this cannot tell (a log scale's)
PLOTLY_FONT_SIZE = 12  # plotly's own default


def char_width(char: str) -> int:
    """Arial's width of one character, in 1/1000 em."""
    code = ord(char)
    if 32 <= code <= 126:
        return _ASCII_WIDTHS[code - 32]
    if char in _OTHER_WIDTHS:
        return _OTHER_WIDTHS[char]
    base = unicodedata.normalize("NFKD", char)[:1]
    if base and 32 <= ord(base) <= 126:
        return _ASCII_WIDTHS[ord(base) - 32]
    return _UNKNOWN


def text_width(text: str, size: float) -> float:
    """Pixels of ``text`` in Arial at ``size`` px: its widest line (plotly's ``<br>``),
    tags left out."""
    lines = BREAK.split(str(text))
    return max(sum(char_width(c) for c in TAG.sub("", line)) for line in lines) * size / 1000


# --------------------------------------------------------------- the figure ---
def _setting(fig: go.Figure, axis: str, *path: str) -> object:
    """An axis setting as plotly will use it: the figure's, else its template's."""
    for owner in (fig.layout, fig.layout.template.layout):
        value = owner[axis]  # plotly's own names: an unset one reads as None
        for key in path:
            if value is None:
                break
            value = value[key]
        if value is not None:
            return value
    return None


def _font_size(fig: go.Figure, axis: str, *path: str) -> float:
    size = _setting(fig, axis, *path, "size")
    if size is None:
        size = fig.layout.font.size or fig.layout.template.layout.font.size
    return float(size or PLOTLY_FONT_SIZE)


def _shown(fig: go.Figure, axis: str) -> bool:
    return _setting(fig, axis, "visible") is not False


def _title_room(fig: go.Figure, axis: str) -> float:
    title = _setting(fig, axis, "title", "text")
    if not title:
        return 0.0
    standoff = _setting(fig, axis, "title", "standoff")
    size = _font_size(fig, axis, "title", "font")
    lines = len(BREAK.split(str(title)))
    return float(standoff or 0) + TITLE_LINE * size + 1.3 * size * (lines - 1)


def _tick_room(fig: go.Figure, axis: str) -> float:
    """The tick marks' length where they stand outside the plot area."""
    if _setting(fig, axis, "ticks") != "outside":
        return 0.0
    return float(_setting(fig, axis, "ticklen") or 5) + 2.5


def _values(fig: go.Figure, letter: str) -> list[object]:
    """Every value the traces on the first ``letter`` axis put along it."""
    found: list[object] = []
    for trace in fig.data:
        if (getattr(trace, f"{letter}axis", None) or letter) != letter:
            continue
        values = getattr(trace, letter, None)
        if values is None:
            continue
        values = list(values)
        found.extend(values)
        error = getattr(trace, f"error_{letter}", None)
        if error is not None and error.visible is not False and error.array is not None:
            down = error.arrayminus if error.arrayminus is not None else error.array
            for value, above, below in zip(values, error.array, down, strict=False):
                centre = _number(value)
                if centre is not None:  # each bar's ends; an end of no number adds nothing
                    found.extend((centre + (_number(above) or 0), centre - (_number(below) or 0)))
        horizontal = getattr(trace, "orientation", None) == "h"
        if trace.type == "bar" and horizontal == (letter == "x"):
            found.append(0.0)  # a bar starts at zero on its value axis
    for shape in fig.layout.shapes:
        if shape[f"{letter}ref"] == letter:
            found.extend(v for v in (shape[f"{letter}0"], shape[f"{letter}1"]) if v is not None)
    return found


def _number(value: object) -> float | None:
    """``as_number``, but text is no number here: the charts' template reads numbers
    written as text as categories (``autotypenumbers: strict``); nor is infinity."""
    number = None if isinstance(value, str | bool) else as_number(value)
    return number if number is not None and math.isfinite(number) else None


def _number_labels(low: float, high: float, length: float) -> list[float] | None:
    """The tick values plotly.js chooses on a linear axis of ``length`` px
    (``Axes.prepTicks`` and ``autoTicks``: 4 to 9 steps of at least 40 px, each
    1, 2 or 5 times a power of ten)."""
    span = abs(high - low)
    if span == 0 or length <= 0:
        return None
    steps = min(max(length / 40, 4), 9) + 1
    rough = span / steps
    base = 10 ** math.floor(math.log10(rough))
    step = base * next(m for m in (2, 5, 10) if m >= rough / base - 1e-9)
    low, high = min(low, high), max(low, high)
    first = math.ceil(low / step - 1e-9)
    return [k * step for k in range(first, math.floor(high / step + 1e-9) + 1)]


def _number_text(value: float, step_decimals: int) -> str:
    text = f"{abs(value):.{step_decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("\u2212" if value < 0 and text != "0" else "") + text


def tick_labels(fig: go.Figure, letter: str, length: float) -> list[str] | None:
    """The tick labels plotly will write on the first ``letter`` axis, or None where
    this cannot tell (dates, logs, formats of its own)."""
    axis = f"{letter}axis"
    if _setting(fig, axis, "showticklabels") is False or not _shown(fig, axis):
        return []
    text = _setting(fig, axis, "ticktext")
    if text is not None:
        return [str(t) for t in text]
    values = _values(fig, letter)
    kind = _setting(fig, axis, "type")
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    words = [v for v in values if isinstance(v, str)]
    if kind == "category" or (kind in (None, "-") and words and not numbers):
        return list(dict.fromkeys(str(v) for v in values if v is not None))
    if kind not in (None, "-", "linear") or _setting(fig, axis, "tickformat"):
        return None
    given = _setting(fig, axis, "range")
    if given is not None and all(_number(v) is not None for v in given):
        low, high = float(given[0]), float(given[1])
    elif numbers:
        pad = 0.06 * ((max(numbers) - min(numbers)) or abs(max(numbers)) or 1)
        low, high = min(numbers) - pad, max(numbers) + pad
        if _setting(fig, axis, "rangemode") == "tozero":
            low, high = min(low, 0.0), max(high, 0.0)
    else:
        return None
    ticks = _number_labels(low, high, length)
    if ticks is None or max(abs(low), abs(high)) >= 10_000:
        return None
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    prefix = str(_setting(fig, axis, "tickprefix") or "")
    suffix = str(_setting(fig, axis, "ticksuffix") or "")
    return [f"{prefix}{_number_text(v, decimals)}{suffix}" for v in ticks]


def _legend_names(fig: go.Figure) -> list[str]:
    if fig.layout.showlegend is False:
        return []
    return [str(t.name) for t in fig.data if t.showlegend is not False and t.name]


def legend_rows(names: Sequence[str], size: float, width: float) -> int:
    """Rows of a horizontal legend in ``width`` px: one if every entry fits, else a
    grid of columns as wide as the widest entry (plotly.js's legend layout)."""
    if not names:
        return 0
    entries = [LEGEND_SYMBOL + text_width(name, size) for name in names]
    if sum(entries) + LEGEND_GAP * (len(entries) - 1) <= width:
        return 1
    columns = max(1, int((width + LEGEND_GAP) // (max(entries) + LEGEND_GAP)))
    return math.ceil(len(entries) / columns)


def _legend_under(fig: go.Figure) -> bool:
    legend = fig.layout.legend
    return legend.orientation == "h" and legend.yref == "container" and legend.yanchor == "bottom"


def _single_pair(fig: go.Figure) -> bool:
    """Only the first x and y axes are drawn (others hidden, as the forest plot's)."""
    for name in fig.layout:
        if re.fullmatch(r"[xy]axis\d+", name) and fig.layout[name].visible is not False:
            return False
    return all((getattr(t, "xaxis", None) or "x") == "x" for t in fig.data if t.visible is not False
               and getattr(t, "yaxis", None) in (None, "y"))


def _left_room(fig: go.Figure, length: float) -> float:
    """Pixels the y axis's tick labels and title take left of the plot area."""
    labels = tick_labels(fig, "y", length)
    if labels is None or not _shown(fig, "yaxis") or not _setting(fig, "yaxis", "automargin"):
        return 0.0
    size = _font_size(fig, "yaxis", "tickfont")
    widest = max((text_width(t, size) for t in labels), default=0.0)
    return math.ceil(widest + LABEL_GAP + _tick_room(fig, "yaxis") + _title_room(fig, "yaxis")
                     + SLACK)


def _bottom_room(fig: go.Figure, width: float) -> float:
    """Pixels the x axis's tick labels and title, and a legend under the chart, take
    below the plot area (plotly adds the legend's room to the axis's)."""
    room = 0.0
    if _legend_under(fig):
        rows = legend_rows(_legend_names(fig), _font_size(fig, "legend", "font"), width)
        room += LEGEND_PAD + LEGEND_ROW * rows if rows else 0.0
    if _shown(fig, "xaxis") and _setting(fig, "xaxis", "automargin"):
        room += BOTTOM_GAP + _title_room(fig, "xaxis")
        labels = tick_labels(fig, "x", width)
        if labels is None:  # logs and dates: plotly's own labels, some two lines deep
            room += UNKNOWN_LABELS
        if labels is None or labels:
            room += TICK_HEIGHT * _font_size(fig, "xaxis", "tickfont") + _tick_room(fig, "xaxis")
    return math.ceil(room + SLACK) if room else 0.0


def column_shares(widths: Sequence[float]) -> list[float]:
    """Each of ``st.columns(widths)``'s part of the row: the ``share`` a chart in it
    passes to :func:`reserve_label_room`, from the same widths the columns are made of."""
    return [width / sum(widths) for width in widths]


def reserve_label_room(fig: go.Figure, share: float = 1.0) -> go.Figure:
    """Widen the left and bottom margins to what the y axis's labels and title, the
    x axis's and a legend under the chart will take, so that plotly draws the chart
    once (module docstring). ``share``: the part of ``REFERENCE_WIDTH`` the chart's
    column takes. Never narrows a margin; leaves a figure it cannot read (subplots,
    dates, logs on the y axis) as it is."""
    if not fig.data or not _single_pair(fig):
        return fig
    margin = fig.layout.margin
    left, right = float(margin.l or 0), float(margin.r or 0)
    top, bottom = float(margin.t or 0), float(margin.b or 0)
    height = float(fig.layout.height or 450)
    width = REFERENCE_WIDTH * share
    # The y labels' room sets the legend's width, whose rows set the y axis's length,
    # which may change its ticks: the left side, the bottom, the left side again.
    left = max(left, _left_room(fig, height - top - bottom))
    bottom = max(bottom, _bottom_room(fig, width - left - right))
    left = max(left, _left_room(fig, height - top - bottom))
    fig.update_layout(margin={"l": left, "b": bottom})
    return fig

