"""The quarterly board pack as a PDF, and the run charts it shares with the Board page.

``build_report(store, quarter=..., region=..., scheme=...)`` returns the PDF bytes
(``python -m kpi report`` writes them to a file). The content is exactly the
:class:`kpi.board.BoardPack` the Board page shows: the same numbers, sentences,
exceptions and caveats, so the two can never disagree.

Charts: one small-multiple run chart per domain (:func:`domain_chart`), drawn
with plotly and turned into PNGs by kaleido, which drives a headless Chromium.
Starting Chromium costs about a second and a half, so one browser session is
kept per process (:class:`ChartRenderer`) and every chart of a report is
rendered in one batch. MathJax is switched off (no network fetch). If no
browser can be started the PDF is still built, with a note instead of charts.

Fonts: DejaVu Sans (Debian's ``fonts-dejavu-core``) for full Unicode (the ▲ ▼ ●
icons); without it, core Helvetica with text reduced to Latin-1.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import io
import logging
import math
import statistics
import subprocess
import textwrap
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos
from plotly.subplots import make_subplots

from kpi import chart_theme
from kpi.board import BoardPack, BoardRow, Flag, area_filters, board_summary, group_flags
from kpi.catalogue import catalogue
from kpi.periods import parse_quarter, quarter_end
from kpi.store import Store
from kpi.wording import (
    GLOSSARY,
    chance_words,
    format_interval,
    format_value,
    is_improvement,
    polarity_words,
    value_pair,
)

__all__ = [
    "ChartRenderer",
    "benchmark_words",
    "build_report",
    "change_words",
    "chart_pngs",
    "domain_chart",
    "tone",
    "FlagList",
    "flag_lists",
    "render_pdf",
    "render_untagged_pdf",
    "renderer",
    "trend_words",
    "value_words",
]

log = logging.getLogger(__name__)

# Okabe-Ito (the same palette as pages/views/_common.py; kpi never imports pages).
BLUE = "#0072B2"
SKY = "#56B4E9"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
GREY = "#999999"
INK = "#222222"
YELLOW = "#F0E442"

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
CHART_WIDTH = 900  # layout pixels; the PDF shows it 180 mm wide
CHART_SCALE = 1.5  # ~190 dpi on the page: sharp, and a PDF of about 1 MB
ROW_HEIGHT = 150  # layout pixels per row of small multiples


# --------------------------------------------------------------------------------------
# run charts
# --------------------------------------------------------------------------------------


def _short(label: str, sep: str = "<br>") -> str:
    """ "2025/26 Q3" -> "Q3<br>25/26" (two short lines fit eight ticks)."""
    year, q = label.split(" ")
    return f"{q}{sep}{year[2:]}"


def _wrap(text: str, width: int = 34) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text


def _run_chart_traces(
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
                marker={"color": ORANGE, "size": 9 * size, "line": {"color": INK, "width": 1}},
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
    domain: str, rows: Sequence[BoardRow], columns: int = 5, *, fit_width: bool = False
) -> go.Figure:
    """Small-multiple run charts for one domain: each KHI over the last eight quarters.

    Each panel shows the value with its 95% interval, the median of the quarters
    shown (dashed: the run chart's centre line) and this quarter's point in orange.
    Hidden quarters are gaps. Nothing here computes a statistic: the values come
    from the board pack (the engine's disclosure-controlled series).

    ``fit_width``: for a page, as wide as the page instead of the PDF's fixed
    width; the panels may then be narrow, so only the first and last quarter are
    labelled (every other quarter's labels would run into each other).
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
        labels = [_short(str(q)) for q in row.series["quarter_label"]]
        traces, y_range = _run_chart_traces(row, labels)
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
                font={"color": GREY, "size": 12},
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
            tickvals=[labels[0], labels[-1]] if fit_width else labels[::-2][::-1],
            row=r,
            col=c,
        )
    fig.update_annotations(font_size=12)
    fig.update_layout(
        template=chart_theme.SIMPLE,
        showlegend=False,
        width=None if fit_width else CHART_WIDTH,
        **({"autosize": True} if fit_width else {}),
        height=60 + ROW_HEIGHT * nrows,
        margin={"l": 45, "r": 15, "t": 45, "b": 20},
        font={"family": "DejaVu Sans, Arial, sans-serif", "size": 11, "color": INK},
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
        labels = [_short(str(q), " ") for q in row.series["quarter_label"]]
        traces, y_range = _run_chart_traces(row, labels, size=1.4)
        data.extend({**trace, "xaxis": f"x{axis}", "yaxis": f"y{axis}"} for trace in traces)
        axis_style = {"showline": True, "ticks": "outside", "showgrid": False,
                      "tickfont": {"size": 17}, "zeroline": False, "linecolor": INK}
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
                 "font": {"color": GREY, "size": 20}}
            )
    layout.update(
        showlegend=False,
        width=SPARK_W,
        height=total,
        margin={"l": 0, "r": 0, "t": 0, "b": 0, "pad": 0},
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": "DejaVu Sans, Arial, sans-serif", "size": 10, "color": INK},
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
    number = _num(value)
    return None if number is None else round(number, 3)


def _num(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


class ChartRenderer:
    """One headless Chromium (via kaleido) per process, reused for every batch.

    Kaleido is asynchronous; it runs on a private event loop in a daemon thread, so
    callers (the CLI, Streamlit's script and download threads) just call
    :meth:`render`, which is serialised by a lock. If the browser has died the
    session is restarted once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None

    def _start(self) -> None:
        import kaleido

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kaleido", daemon=True)
        thread.start()

        async def open_browser() -> Any:
            session = kaleido.Kaleido(n=1, mathjax=False, timeout=60)
            await session.open()
            return session

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(open_browser(), loop).result(60)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            raise
        self._loop, self._thread = loop, thread

    def warm_up(self) -> None:
        """Start the browser now (e.g. while the engine works); errors surface later."""
        with self._lock:
            if self._loop is None:
                try:
                    self._start()
                except Exception:  # noqa: BLE001 - render() retries and reports
                    log.debug("kaleido warm-up failed", exc_info=True)

    def close(self) -> None:
        """Close the browser (registered at exit)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        loop, session = self._loop, self._kaleido
        self._loop = self._thread = self._kaleido = None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(session.close(), loop).result(15)
        except Exception:  # noqa: BLE001 - closing a dead browser is not an error
            log.debug("kaleido session did not close cleanly", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)

    def render(
        self, figures: Sequence[go.Figure | dict[str, Any]], scale: float = CHART_SCALE
    ) -> list[bytes]:
        """PNG bytes for each figure (a plotly Figure or figure dict), in one batch."""
        specs = []
        for fig in figures:
            spec = fig if isinstance(fig, dict) else fig.to_dict()
            layout = spec.get("layout", {})
            size = {"width": layout.get("width") or CHART_WIDTH,
                    "height": layout.get("height") or 400}
            specs.append((spec, {"format": "png", "scale": scale, **size}))
        with self._lock:
            for attempt in (1, 2):
                if self._loop is None:
                    self._start()
                try:
                    return self._batch(specs)
                except Exception:
                    self._close()
                    if attempt == 2:
                        raise
                    log.warning("chart rendering failed; restarting the browser", exc_info=True)
        raise AssertionError("unreachable")

    def _batch(self, specs: list[tuple[dict, dict]]) -> list[bytes]:
        session = self._kaleido

        async def run() -> list[bytes]:
            return list(
                await asyncio.gather(*(session.calc_fig(f, opts=o) for f, o in specs))
            )

        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(120)


_renderer: ChartRenderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> ChartRenderer:
    """The process's chart renderer (started on first use, closed at exit)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = ChartRenderer()
            atexit.register(_renderer.close)
        return _renderer


def chart_pngs(pack: BoardPack) -> dict[str, bytes]:
    """Every KHI's run chart as a small PNG, keyed by KHI code, from one render."""
    rows = list(pack.rows)
    sheet = renderer().render([sparkline_sheet(rows)])[0]
    return {row.code: image for row, image in zip(rows, split_sheet(sheet, len(rows)))}


def domain_pngs(pack: BoardPack) -> dict[str, bytes]:
    """Each domain's small-multiple run chart as PNG bytes, keyed by domain."""
    domains = pack.domains()
    images = renderer().render([domain_chart(name, rows) for name, rows in domains])
    return {name: image for (name, _), image in zip(domains, images)}


# --------------------------------------------------------------------------------------
# the PDF
# --------------------------------------------------------------------------------------

_ASCII = str.maketrans(
    {
        "▲": "^", "▼": "v", "✓": "+", "●": "=", "○": "o", "–": "-", "—": "-", "→": "->",
        "’": "'", "‘": "'", "“": '"', "”": '"', "·": "-", "…": "...", "≥": ">=",
    }
)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class _BoardPDF(FPDF):
    """A4 portrait with a running header and footer."""

    def __init__(self, pack: BoardPack) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.pack = pack
        self.unicode = (FONT_DIR / "DejaVuSans.ttf").exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_title(f"Key Human Indicators: {pack.area_label}, {pack.quarter_label}")
        self.set_author("Key Human Indicators dashboard")
        self.set_creator("kpi.report")

    def t(self, text: str) -> str:
        """Text the current font can show."""
        if self.unicode:
            return text
        return text.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, style: str = "", colour: str = INK) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*_rgb(colour))

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.font(8, colour="#555555")
        text = f"Key Human Indicators · {self.pack.area_label} · {self.pack.quarter_label}"
        if self.pack.is_demo:
            text += " · DEMO DATA"
        self.cell(0, 5, self.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.font(8, colour="#555555")
        left = f"Generated {dt.date.today():%d %B %Y}"
        if self.pack.is_demo:
            left += " · demo data: a synthetic sector, not real schemes"
        self.cell(130, 5, self.t(left))
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    # ---------------------------------------------------------------- blocks ---
    def heading(self, text: str, size: float = 14, space: float = 4) -> None:
        self.ln(space)
        self.font(size, "B")
        self.multi_cell(0, size * 0.5, self.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 10, colour: str = INK, style: str = "") -> None:
        self.font(size, style, colour)
        self.multi_cell(
            0, size * 0.48, self.t(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def bullet(self, icon: str, text: str, colour: str, size: float = 10) -> None:
        self.font(size, "B", colour)
        self.cell(6, size * 0.48, self.t(icon))
        self.font(size, "", INK)
        self.multi_cell(
            0, size * 0.48, self.t(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.ln(0.8)

    def banner(self, text: str) -> None:
        self.set_fill_color(*_rgb(YELLOW))
        self.font(10, "B")
        self.multi_cell(
            0, 6, self.t(text), fill=True, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.set_fill_color(255, 255, 255)  # tables fill with the current colour

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit on this one."""
        if self.get_y() + height > self.h - self.b_margin:
            self.add_page()


def _arrow(later: float | None, earlier: float | None) -> str:
    """▲ when the line goes up, ▼ when it goes down: the arrow follows the line, the
    words and colour say whether that is good (lower is better for some KHIs)."""
    if later is None or earlier is None or later == earlier:
        return "●"
    return "▲" if later > earlier else "▼"


def change_words(row: BoardRow, period: str) -> tuple[str, str]:
    """Icon, words and colour for a change ("quarter" or "year"); lines split by newline."""
    change = row.since_last_quarter if period == "quarter" else row.since_last_year
    if row.suppressed:
        return "–", GREY
    if change.verdict == "no data":
        return f"– No answers in {change.quarter_label}", GREY
    if change.verdict == "too few answers" or change.previous is None:
        return "– Too few answers to say", GREY
    before, after = value_pair(change.previous, row.value, row.khi)  # type: ignore[arg-type]
    moved = f"{before} → {after}"
    icon = _arrow(row.value, change.previous)
    verb = "Rose" if icon == "▲" else "Fell"
    if change.verdict == "improved":
        return f"{icon} {verb}: an improvement\n{moved}\n{chance_words(change.test.level)}", BLUE
    if change.verdict == "worsened":
        return (f"{icon} {verb}: a worsening\n{moved}\n{chance_words(change.test.level)}",
                VERMILLION)
    return f"● Could be chance\n{moved}", INK


def value_words(row: BoardRow, min_base: int) -> str:
    """This quarter's value, interval and base; hidden cells show no number."""
    if row.suppressed:
        return f"Hidden\n(fewer than {min_base} answers)"
    if row.value is None:
        return "No answers"
    text = format_value(row.value, row.khi)
    interval = format_interval(row.lower95, row.upper95, row.khi)
    if interval:
        text += f"\n{interval}"
    if row.n is not None:
        text += f"\n{row.n:,} answered"
    return text


def benchmark_words(row: BoardRow, pack: BoardPack) -> tuple[str, str]:
    """The comparison with England in icon and words (never colour alone), and a colour.

    The arrow says whether the area is above or below England; the word says
    whether that is better or worse.
    """
    if not pack.benchmark_applies:
        return "n/a (this is the benchmark)", GREY
    england = format_value(row.benchmark, row.khi) if row.benchmark is not None else "–"
    if row.comparison in ("better", "worse"):
        icon = _arrow(row.value, row.benchmark)
        side = "higher" if icon == "▲" else "lower"
        strength = "Clearly " if row.outside998 else ""
        word = row.comparison if strength else row.comparison.capitalize()
        colour = BLUE if row.comparison == "better" else VERMILLION
        return f"{icon} {strength}{word}: {side}\nEngland {england}", colour
    if row.comparison == "similar":
        return f"● Similar\nEngland {england}", INK
    return "○ Too few to compare", GREY


def trend_words(row: BoardRow) -> tuple[str, str]:
    """The eight-quarter trend test in icon and words, and a colour; the arrow is
    the line's direction (a falling line improves a KHI where lower is better)."""
    rising = is_improvement(row.khi, row.trend == "improving")
    icon, verb = ("▲", "Rising") if rising else ("▼", "Falling")
    if row.trend == "improving":
        return f"{icon} {verb}: improving", BLUE
    if row.trend == "worsening":
        return f"{icon} {verb}: worsening", VERMILLION
    if row.trend == "no significant trend":
        return "No clear trend", INK
    return "–", GREY


def tone(text: str) -> str:
    """"good", "bad" or "" for one of the words above: the page colours by it."""
    if not text.startswith(("▲", "▼")):
        return ""  # an indicator's name, a value, a "could be chance"
    first = text.split("\n")[0].lower()
    if any(w in first for w in ("improvement", "improving", "better")):
        return "good"
    if any(w in first for w in ("worsening", "worse")):
        return "bad"
    return ""


COLUMNS = (
    ("Indicator", 32),
    ("This quarter (95% interval)", 25),
    ("Since last quarter", 27),
    ("Since last year", 25),
    ("Trend", 20),
    ("Compared with England", 23),
    ("Last 8 quarters", 28),
)


def _domain_table(
    pdf: _BoardPDF, rows: Sequence[BoardRow], pack: BoardPack, charts: dict[str, bytes]
) -> None:
    """One table per domain; the last column is each KHI's run chart."""
    pdf.font(7.5)
    heading = FontFace(emphasis="BOLD", color=_rgb(INK), fill_color=(235, 235, 235))
    with pdf.table(
        col_widths=tuple(w for _, w in COLUMNS),
        text_align="LEFT",
        v_align="TOP",
        line_height=3.4,
        padding=(1.2, 1.0, 1.0, 1.0),
        headings_style=heading,
        borders_layout="HORIZONTAL_LINES",
        width=sum(w for _, w in COLUMNS),
        align="LEFT",
    ) as table:
        head = table.row()
        for title, _ in COLUMNS:
            head.cell(pdf.t(title))
        for row in rows:
            cells = table.row()
            name = row.name + ("\n! needs attention" if row.flag == "attention" else "")
            cells.cell(pdf.t(name), style=FontFace(emphasis="BOLD"))
            cells.cell(pdf.t(value_words(row, pack.settings.min_base)))
            for text, colour in (
                change_words(row, "quarter"),
                change_words(row, "year"),
                trend_words(row),
                benchmark_words(row, pack),
            ):
                cells.cell(pdf.t(text), style=FontFace(color=_rgb(colour)))
            image = charts.get(row.code)
            if image:
                cells.cell(img=io.BytesIO(image), padding=(0.6, 0.5, 0.6, 0.5))
            else:
                cells.cell("")


def _domain_section(
    pdf: _BoardPDF, domain: str, rows: Sequence[BoardRow], pack: BoardPack,
    charts: dict[str, bytes],
) -> None:
    """Heading and table of one domain."""
    pdf.need(40)
    pdf.heading(domain, size=13, space=4)
    _domain_table(pdf, rows, pack, charts)


def _section_height(rows: Sequence[BoardRow]) -> float:
    """Estimated height (mm) of a domain's heading and table.

    A row is 3 lines (value, interval, base) unless the name wraps to more: about
    17 characters a line in the 32 mm column at 7.5 pt, plus "needs attention".
    """
    height = 22.0  # heading and the table's header row
    for row in rows:
        lines = max(3, math.ceil(len(row.name) / 17) + (row.flag == "attention"))
        height += 2.2 + 3.4 * lines
    return height


def _quarter_span(pack: BoardPack) -> str:
    end = quarter_end(pack.quarter)
    return f"{pack.quarter:%-d %B %Y} to {end:%-d %B %Y}"


METHODS = (
    "How to read this page. Each value has a 95% interval: the range the true value is "
    "likely to lie in, given how many people answered (Wilson intervals for percentages, "
    "Student's t for averages). 'Compared with England' says better or worse only when "
    "England's value lies outside that interval, and 'clearly' better or worse when it lies "
    "outside the wider 99.8% interval too. A change since an earlier quarter is called "
    "unlikely to be chance only when the interval for the difference between the two "
    "quarters (Newcombe's score method for percentages, Welch's t for averages) leaves out "
    "zero; 'very unlikely to be chance' means chance alone would do this about once in 500 "
    "comparisons, 'unlikely' about once in 20, so with 28 indicators expect the odd "
    "'unlikely' result by chance. The trend is a test for a steady rise or fall over the "
    "last eight quarters. Arrows show whether the line went up or down; the words and "
    "colour say whether that is good. Run charts show each quarter with its 95% interval, "
    "the median of the quarters shown (dashed) and this quarter in orange."
)


def render_pdf(pack: BoardPack, charts: dict[str, bytes] | None = None) -> bytes:
    """The board pack as a tagged PDF (Chromium printing :func:`kpi.pack_html.pack_html`).

    A screen reader can read it: headings, table headers, reading order, alternative
    text for every run chart, title and language (``pdfinfo`` says "Tagged: yes").
    Without Chromium, or if it fails, the untagged fpdf2 layout is built instead
    (``charts`` are its run-chart PNGs) so a board still gets its numbers.
    """
    from kpi import pack_html

    browser = pack_html.chromium()
    if browser is not None:
        try:
            return pack_html.print_pdf(pack_html.pack_html(pack), browser)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            log.warning("Chromium could not print the tagged pack, using fpdf2: %s", exc)
    return render_untagged_pdf(pack, charts)


def render_untagged_pdf(pack: BoardPack, charts: dict[str, bytes] | None = None) -> bytes:
    """The board pack as PDF bytes, laid out by fpdf2 (no structure tags).

    Parameters
    ----------
    pack : BoardPack
        From :func:`kpi.board.board_summary`.
    charts : dict of str to bytes, optional
        Run-chart PNGs by KHI code; rendered with :func:`chart_pngs` when omitted. When
        rendering fails (no browser) the PDF says so instead of showing charts.

    Returns
    -------
    bytes
        A PDF document (A4).
    """
    chart_note = ""
    if charts is None:
        try:
            charts = chart_pngs(pack)
        except Exception as exc:  # noqa: BLE001 - the numbers matter more than pictures
            log.warning("run charts left out of the PDF: %s", exc)
            charts = {}
            chart_note = (
                "Run charts are not included: the chart renderer (Chromium) could not "
                "be started on this computer."
            )

    pdf = _BoardPDF(pack)
    pdf.alias_nb_pages()
    pdf.add_page()

    # ---- title
    pdf.font(9, colour="#555555")
    pdf.cell(0, 5, pdf.t("Key Human Indicators · Quarterly board page"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(20, "B")
    pdf.multi_cell(0, 9, pdf.t(pack.area_label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(13)
    pdf.cell(0, 7, pdf.t(f"{pack.quarter_label}  ({_quarter_span(pack)})"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    if pack.is_demo:
        pdf.banner("DEMO DATA: a synthetic sector made up for demonstration, not real schemes.")

    # ---- summary
    pdf.heading("Summary")
    for sentence in pack.summary:
        pdf.bullet("•", sentence, INK, size=10)

    # ---- exceptions
    for flags in flag_lists(pack):
        pdf.heading(flags.heading, size=12)
        for line in flags.lines:
            pdf.bullet(flags.mark, line, flags.colour)
        if not flags.lines:
            pdf.paragraph(flags.none)

    # ---- caveats
    pdf.heading("About these numbers", size=12)
    for sentence in pack.caveats.sentences():
        pdf.bullet("•", sentence, "#555555", size=9.5)
    if chart_note:
        pdf.bullet("•", chart_note, "#555555", size=9.5)

    # ---- glossary
    pdf.heading("Words used in this pack", size=12)
    for term, meaning in GLOSSARY:
        pdf.bullet("•", f"{term}: {meaning}", "#555555", size=9.5)

    # ---- one section per domain
    for domain, rows in pack.domains():
        # Keep a domain's heading and table on one page when they fit one. An
        # estimate (rows are 3-4 lines or a 12 mm chart): fpdf2's offset_rendering
        # would measure exactly but deep-copies the document, ~0.1 s per domain.
        if pdf.get_y() + _section_height(rows) > pdf.h - pdf.b_margin:
            pdf.add_page()
        _domain_section(pdf, domain, rows, pack, charts)

    # ---- definitions
    pdf.add_page()
    pdf.heading("Definitions and methods", size=13, space=0)
    pdf.paragraph(METHODS, size=8.5)
    pdf.ln(2)
    shown = {r.code for r in pack.rows}
    pdf.font(7.5)
    with pdf.text_columns(ncols=2, gutter=6, text_align="LEFT", line_height=1.15) as cols:
        for khi in catalogue():
            if khi.code not in shown:
                continue
            good = polarity_words(khi)
            with cols.paragraph(bottom_margin=1.6) as par:
                pdf.font(7.5, "B")
                par.write(pdf.t(f"{khi.name} "))
                pdf.font(7.5, colour="#555555")
                par.write(pdf.t(f"({khi.code}, {khi.domain}; {good})\n"))
                pdf.font(7.5)
                par.write(pdf.t(khi.definition))
    return bytes(pdf.output())


def build_report(
    store: Store,
    quarter: dt.date | str | None = None,
    region: str | None = None,
    scheme: str | None = None,
) -> bytes:
    """The quarterly board page as PDF bytes (``python -m kpi report``).

    Parameters
    ----------
    store : Store
        The store to read.
    quarter : date, str or None
        "2026/27 Q1", a date inside it, or None for the latest quarter with data.
    region : str, optional
        A region or nation, by name or code.
    scheme : str, optional
        A scheme id (not with ``region``).

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    ValueError
        For an unknown quarter, region or scheme, or a store without data.
    """
    began = time.perf_counter()
    if quarter is not None and str(quarter).strip():
        parse_quarter(quarter)  # refuse a bad request before starting a browser
    area_filters(store, region, scheme, None)
    from kpi import pack_html

    if pack_html.chromium() is None:  # the untagged layout's charts need kaleido
        # Start the browser while the engine works: the two overlap (about 1.5 s saved).
        threading.Thread(target=renderer().warm_up, name="kaleido-warm-up",
                         daemon=True).start()
    pack = board_summary(store, quarter=quarter, region=region, scheme=scheme)
    summarised = time.perf_counter()
    pdf = render_pdf(pack)
    log.info(
        "board report %s %s: summary %.2fs, charts and PDF %.2fs",
        pack.area_label,
        pack.quarter_label,
        summarised - began,
        time.perf_counter() - summarised,
    )
    return pdf


@dataclass(frozen=True)
class FlagList:
    """One of the board's two exception lists, as the page and the PDF draw it."""

    heading: str
    mark: str  # before each line, in ``colour``
    colour: str
    lines: list[str]  # empty when there are none
    none: str  # the sentence that then says so


def flag_lists(pack: BoardPack) -> list[FlagList]:
    """"Needs attention" and "Improved", for the page and the PDF alike."""
    what = (
        "worse than England or getting worse by more than chance would explain"
        if pack.benchmark_applies
        else "getting worse by more than chance would explain"
    )
    good = ("better than England or improved" if pack.benchmark_applies else "improved")
    return [
        FlagList("Needs attention", "!", VERMILLION, flags_text(pack.attention),
                 f"No indicator is {what}."),
        FlagList("Improved", "✓", BLUE, flags_text(pack.improved),
                 f"No indicator is {good} by more than chance would explain."),
    ]


def flags_text(flags: Sequence[Flag]) -> list[str]:
    """Exceptions as plain lines, KHIs with the same reason on one line.

    The Board page and the PDF share them, e.g. "Often or always lonely, Feels part
    of the local community: improving over the last quarters (significant trend)."
    """
    lines = []
    for reason, names in group_flags(list(flags)):
        if len(names) == 1:
            lines.append(f"{names[0]}: {reason}.")
        else:
            lines.append(f"{reason[0].upper()}{reason[1:]}: {', '.join(names)}.")
    return lines
