"""Plotly figure builders for the pages, the board page, its PNGs and the PDF.

Pure functions from DataFrames to figures: no streamlit, no store, no statistics.
The engine has already computed every value and interval and hidden small cells;
these builders only draw what they are given. Hidden rows (``suppressed`` true or
no value) are drawn as a labelled gap ("too few answers"), never as a number.

Conventions, so every chart reads the same from an 800 px window to a laptop:

* Okabe-Ito colours (:mod:`kpi.charts.palette`, the only palette); comparison
  results always carry an icon and words as well as a colour;
* intervals are error bars or bands, labelled "95% interval";
* titles and axes in plain English, proportions with a ``%`` unit; long titles
  wrap (:func:`kpi.charts.style.style_figure`);
* categories with long names (schemes, groups) run down the y axis so their
  labels never overlap.

One module per kind of chart; every public name is importable from here.
"""

from kpi.charts.bars import (
    CHANGE_COLOURS,
    answer_bars,
    better_same_worse,
    growth_bars,
    label_groups,
    people_supported_bars,
    share_text,
)
from kpi.charts.control import control_chart
from kpi.charts.forest import forest_chart
from kpi.charts.funnel import FUNNEL_WORDS, funnel_chart
from kpi.charts.intervals import caterpillar_chart, interval_chart
from kpi.charts.maps import tile_map
from kpi.charts.margins import column_shares, reserve_label_room
from kpi.charts.palette import (
    BAND,
    COMPARISON_STYLE,
    COMPARISON_SYMBOL,
    FONT,
    INK,
    PALETTE,
    SEQUENCE,
    SEQUENTIAL,
)
from kpi.charts.quality import completeness_chart, rates_chart
from kpi.charts.run import (
    chart_alt,
    domain_chart,
    run_chart,
    run_chart_traces,
    short_quarter,
    small_multiples,
    sparkline_img,
    sparkline_sheet,
    sparkline_svg,
    split_sheet,
)
from kpi.charts.spine import spine_chart, spine_frame
from kpi.charts.style import (
    HIDDEN_TEXT,
    empty_figure,
    figure_text,
    fmt,
    style_figure,
    wrap,
)

__all__ = [
    "BAND",
    "CHANGE_COLOURS",
    "COMPARISON_STYLE",
    "COMPARISON_SYMBOL",
    "FONT",
    "FUNNEL_WORDS",
    "HIDDEN_TEXT",
    "INK",
    "PALETTE",
    "SEQUENCE",
    "SEQUENTIAL",
    "answer_bars",
    "better_same_worse",
    "caterpillar_chart",
    "column_shares",
    "completeness_chart",
    "chart_alt",
    "control_chart",
    "domain_chart",
    "empty_figure",
    "figure_text",
    "fmt",
    "forest_chart",
    "funnel_chart",
    "growth_bars",
    "interval_chart",
    "label_groups",
    "people_supported_bars",
    "rates_chart",
    "reserve_label_room",
    "run_chart",
    "run_chart_traces",
    "share_text",
    "short_quarter",
    "small_multiples",
    "sparkline_img",
    "sparkline_sheet",
    "sparkline_svg",
    "spine_chart",
    "spine_frame",
    "split_sheet",
    "style_figure",
    "tile_map",
    "wrap",
]

_style = style_figure  # the old name, importable for one round
