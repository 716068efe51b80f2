"""The quarterly board pack as a PDF: the public entry ``python -m kpi report`` uses.

The pack lives in :mod:`kpi.board` (its PDF in :mod:`kpi.board.pdf`, its layouts in
:mod:`kpi.board.pack_html` and :mod:`kpi.board.pack_fpdf`, what they share in
:mod:`kpi.board.layout`) and the cell words in :mod:`kpi.wording.board`. This module
only names them, so callers written before the move keep working; it imports
nothing that imports it back.
"""

from __future__ import annotations

from kpi.board.layout import (
    COLUMNS,
    FONT_DIR,
    METHODS,
    WATCH_HEADING,
    FlagList,
    chart_pngs,
    domain_pngs,
    flag_lists,
    flags_text,
)
from kpi.board.pdf import build_report, render_pdf, render_untagged_pdf
from kpi.charts.palette import BLUE, GREY, VERMILLION
from kpi.charts.render import ChartRenderer, renderer
from kpi.charts.run import domain_chart
from kpi.wording.board import (
    benchmark_words,
    change_words,
    control_words,
    tone,
    trend_words,
    value_words,
)

__all__ = [
    "BLUE",
    "COLUMNS",
    "ChartRenderer",
    "FONT_DIR",
    "FlagList",
    "GREY",
    "METHODS",
    "VERMILLION",
    "WATCH_HEADING",
    "benchmark_words",
    "build_report",
    "change_words",
    "chart_pngs",
    "control_words",
    "domain_chart",
    "domain_pngs",
    "flag_lists",
    "flags_text",
    "render_pdf",
    "render_untagged_pdf",
    "renderer",
    "tone",
    "trend_words",
    "value_words",
]
