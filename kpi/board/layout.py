"""What the board pack shows, shared by the Board page and both PDF layouts: its
columns, the methods paragraph, the exception lists and the run-chart PNGs.

Why a module of its own: the tagged HTML (:mod:`kpi.board.pack_html`), the fpdf2
layout (:mod:`kpi.board.pack_fpdf`) and the PDF entry (:mod:`kpi.board.pdf`) all
read these; when they lived with the entry, the layouts imported it back (a cycle).
The cell words are :mod:`kpi.wording.board`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kpi.board import BoardPack, Flag, group_flags
from kpi.charts.palette import BLUE, PRINT_INK, VERMILLION
from kpi.charts.render import renderer
from kpi.charts.run import domain_chart, sparkline_sheet, split_sheet
from kpi.periods import quarter_end

__all__ = [
    "COLUMNS",
    "FONT_DIR",
    "METHODS",
    "WATCH_HEADING",
    "FlagList",
    "chart_pngs",
    "domain_pngs",
    "flag_lists",
    "flags_text",
    "quarter_span",
]

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


COLUMNS = (
    ("Indicator", 32),
    ("This quarter (95% interval)", 25),
    ("Since last quarter", 27),
    ("Since last year", 25),
    ("Recent trend", 20),
    ("Compared with England", 23),
    ("Last 8 quarters", 28),
)


def quarter_span(pack: BoardPack) -> str:
    """"1 April 2026 to 30 June 2026": the quarter's dates, under the title."""
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
