"""The quarterly board pack as a PDF.

``build_report(store, quarter=..., region=..., scheme=...)`` returns the PDF bytes
(``python -m kpi report`` writes them to a file). The content is exactly the
:class:`kpi.board.BoardPack` the Board page shows: the same numbers, sentences,
exceptions and caveats, so the two can never disagree.

Charts are :mod:`kpi.charts.run`'s, in :mod:`kpi.charts.palette`'s colours: the
board page draws the same run charts. The tagged PDF (:mod:`kpi.pack_html`)
draws them as SVG; the untagged fallback and the PNG downloads render them with
kaleido (:mod:`kpi.charts.render`). If no browser can be started the PDF is
still built, with a note instead of charts.

Fonts: DejaVu Sans (Debian's ``fonts-dejavu-core``) for full Unicode (the ▲ ▼ ●
icons); without it, core Helvetica with text reduced to Latin-1.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kpi.board import BoardPack, BoardRow, Flag, area_filters, board_summary, group_flags
from kpi.charts.palette import BLUE, GREY, PRINT_INK, VERMILLION
from kpi.charts.render import ChartRenderer, renderer
from kpi.charts.run import domain_chart, sparkline_sheet, split_sheet
from kpi.periods import parse_quarter, quarter_end
from kpi.stats.spc import MIN_POINTS
from kpi.store import Store
from kpi.wording import (
    chance_words,
    format_interval,
    format_value,
    is_improvement,
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
    "control_words",
    "value_words",
]

log = logging.getLogger(__name__)

INK = PRINT_INK
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


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
    """The recent trend (Fingertips' method) in icon and words, and a colour; the arrow is
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


def control_words(row: BoardRow) -> tuple[str, str]:
    """The control chart's verdict in one line, and a colour by its variation icon.

    The sentence already opens with the icon's words ("Special cause variation,
    concerning (8 points, trial limits): …"), so they are not said twice."""
    words, sentence = row.control_words()
    if row.spc is not None and row.spc.verdict and not row.suppressed:
        text = sentence
    elif words == "Not enough quarters yet":
        k = 0 if row.spc is None else row.spc.points
        text = f"not enough quarters yet ({k} of the {MIN_POINTS} a control chart needs)."
    else:
        text = "no value this quarter, so no verdict."
    colour = {"special_cause_concern": VERMILLION,
              "special_cause_improvement": BLUE}.get(row.special_cause, INK)
    return f"Control chart: {text}", colour


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
    ("Recent trend", 20),
    ("Compared with England", 23),
    ("Last 8 quarters", 28),
)


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
    "quarters (Newcombe's score method for percentages, Welch's t for averages; for the "
    "change KHIs, whose quarters share most of their people, the partially overlapping "
    "samples t-test, pairing each person with themself) leaves out "
    "zero; 'very unlikely to be chance' means chance alone would do this about once in 500 "
    "comparisons, 'unlikely' about once in 20, so with 28 indicators expect the odd "
    "'unlikely' result by chance. The recent trend is Fingertips' method: a test for a "
    "steady rise or fall over the last five quarters, called a trend only when very "
    "unlikely to be chance (99.8%) and still rising or falling with any one of the five "
    "quarters left out. Arrows show whether the line went up or down; the words and "
    "colour say whether that is good. Run charts show each quarter with its 95% interval, "
    "the median of the quarters shown (dashed) and this quarter in orange. Under each "
    "indicator, its control chart (NHS England's Making Data Count, over every quarter "
    "so far) says whether the latest quarter is common cause variation or a special "
    "cause (beyond the process limits, a run of 7 on one side of the mean, 7 rising or "
    "falling, or 2 of 3 near a limit); with fewer than 6 quarters it gives no verdict. "
    "'Worth a look' lists large changes on small bases that cannot yet be told from "
    "chance: at least 10 percentage points (or half a standard deviation for an average), "
    "fewer than 100 answers in the smaller quarter, and not found unlikely to be chance."
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

    from kpi import pack_fpdf  # fpdf2 only when it is needed: it is slow to import

    return pack_fpdf.layout(pack, charts, chart_note, FONT_DIR)


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
        FlagList(WATCH_HEADING, "?", INK, [w.line for w in pack.watch],
                 "No large change on a small base this quarter."),
    ]


#: The watch list's heading (kpi.board.watch: its rule).
WATCH_HEADING = "Worth a look (too few to tell)"


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
