"""kpi.charts.margins: the room a chart's labels take, worked out before plotly draws.

The widths are checked against fpdf2's Helvetica table (Arial's metrics); the tick
choices against what plotly.js 4 chose in Chromium for the same ranges (recorded
from the dashboard's own charts); the margins by hand. That the browser then draws
each chart once is proved in the real browser (tests/browser/test_accessibility.py).
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from kpi import charts
from kpi.charts import margins
from kpi.charts.bars import share_bars
from kpi.charts.margins import (
    LABEL_GAP,
    SLACK,
    TITLE_LINE,
    char_width,
    legend_rows,
    reserve_label_room,
    text_width,
    tick_labels,
)


def test_the_widths_are_helveticas_for_every_printable_ascii_character() -> None:
    from fpdf.fonts import CORE_FONTS_CHARWIDTHS

    helvetica = CORE_FONTS_CHARWIDTHS["helvetica"]
    printable = [chr(c) for c in range(32, 127)]
    assert [char_width(c) for c in printable] == [helvetica[c] for c in printable]
    assert char_width("é") == helvetica["e"] and char_width("Ŵ") == helvetica["W"]
    assert char_width("−") == helvetica["+"]  # the minus plotly writes is as wide as a plus


def test_a_texts_width_is_its_widest_line_without_its_tags() -> None:
    assert text_width("100%", 13) == pytest.approx((3 * 556 + 889) * 13 / 1000)
    assert text_width("<b>Wales</b><br>and the North", 10) == pytest.approx(
        text_width("and the North", 10))


@pytest.mark.parametrize(
    ("low", "high", "length", "labels"),
    [  # plotly.js 4 in Chromium, on the dashboard's charts (y axes, suffix "%" but one)
        (0, 100, 238, ["0%", "20%", "40%", "60%", "80%", "100%"]),
        (75, 101.5, 276, ["75%", "80%", "85%", "90%", "95%", "100%"]),
        (88.4534, 91.2247, 258, ["88.5%", "89%", "89.5%", "90%", "90.5%", "91%"]),
        (-2, 102, 354.8, ["0%", "20%", "40%", "60%", "80%", "100%"]),
        (32.2729, 104.6836, 298, ["40%", "50%", "60%", "70%", "80%", "90%", "100%"]),
    ],
)
def test_the_ticks_are_the_ones_plotly_chooses(low, high, length, labels) -> None:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[low, high]), layout={"height": 400})
    fig.update_yaxes(range=[low, high], ticksuffix="%")
    assert tick_labels(fig, "y", length) == labels


def test_negative_ticks_carry_plotlys_minus_sign() -> None:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[-5.55, -0.45]))
    fig.update_yaxes(range=[-5.55, -0.45])
    assert tick_labels(fig, "y", 428) == ["\u22125", "\u22124", "\u22123", "\u22122", "\u22121"]


def test_a_category_axis_is_labelled_with_its_categories_once_each() -> None:
    fig = go.Figure([go.Bar(y=["Wales", "London"], x=[1, 2], orientation="h"),
                     go.Bar(y=["Wales"], x=[3], orientation="h")])
    assert tick_labels(fig, "y", 300) == ["Wales", "London"]
    fig.update_yaxes(showticklabels=False)
    assert tick_labels(fig, "y", 300) == []


def test_an_axis_it_cannot_read_is_left_to_plotly() -> None:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 10]))
    fig.update_yaxes(type="log")
    assert tick_labels(fig, "y", 300) is None
    fig.update_yaxes(type="linear", tickformat=".1%")
    assert tick_labels(fig, "y", 300) is None


def test_the_left_margin_is_the_widest_label_the_gap_and_the_title() -> None:
    fig = charts.style_figure(go.Figure(go.Scatter(x=[1, 2], y=[0, 100])), "A title", 400)
    fig.update_yaxes(range=[0, 100], ticksuffix="%", title={"text": "Per cent"})
    reserve_label_room(fig)
    title = 15 + TITLE_LINE * 13  # the template's standoff, one line at 13 px
    assert fig.layout.margin.l == math.ceil(text_width("100%", 13) + LABEL_GAP + title + SLACK)


def test_a_long_category_name_widens_the_left_margin() -> None:
    def bars(labels: list[str]) -> go.Figure:
        return share_bars(labels, pd.Series([10.0, 20.0]), title="t", axis_title="x",
                                 x_max=100, height=300)

    short, long = bars(["A", "B"]), bars(["A", "A much longer name of a group of people"])
    reserve_label_room(short), reserve_label_room(long)
    assert long.layout.margin.l - short.layout.margin.l == pytest.approx(
        text_width("A much longer name of a group of people", 13) - text_width("B", 13), abs=1)


def test_a_legend_under_the_chart_is_given_its_rows() -> None:
    assert legend_rows(["One", "Two"], 13, 800) == 1
    names = [f"An entry called number {k}" for k in range(8)]
    widest = margins.LEGEND_SYMBOL + text_width(names[0], 13) + margins.LEGEND_GAP
    assert legend_rows(names, 13, 3 * widest) == 3  # three columns, eight entries
    assert legend_rows([], 13, 800) == 0


def test_a_funnel_plot_gets_the_room_plotly_measured_for_it() -> None:
    """The Schemes page's funnel: plotly.js pushed its margins to left 70.45 px and
    bottom 103.2 px (tick labels, title, two legend rows) at 820 px wide."""
    points = pd.DataFrame({"name": ["A", "B", "C"], "n": [20, 80, 200],
                           "value": [50.0, 80.0, 95.0], "position": ["within"] * 3})
    limits = pd.DataFrame({"n": [10, 100, 300], "lower95": [40.0, 70, 80],
                           "upper95": [99.0, 95, 92], "lower998": [30.0, 60, 75],
                           "upper998": [100.0, 98, 95]})
    fig = charts.funnel_chart(points, limits, 80.0, title="t", value_title="Per cent",
                              percent=True)
    fig.update_layout(margin={"r": 44})
    reserve_label_room(fig)
    assert 70.45 <= fig.layout.margin.l <= 70.45 + 5
    rows = legend_rows([t.name for t in fig.data if t.showlegend is not False and t.name], 13,
                       margins.REFERENCE_WIDTH - fig.layout.margin.l - 44)
    assert fig.layout.margin.b >= 53.2 + 10 + 20 * rows


def test_it_never_narrows_a_margin_and_leaves_subplots_alone() -> None:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 2]), layout={"margin": {"l": 400, "b": 300}})
    reserve_label_room(fig)
    assert (fig.layout.margin.l, fig.layout.margin.b) == (400, 300)
    grid = make_subplots(rows=1, cols=2)
    grid.add_trace(go.Scatter(x=[1], y=[1]), row=1, col=2)
    before = grid.to_plotly_json()["layout"]
    reserve_label_room(grid)
    assert grid.to_plotly_json()["layout"] == before


def test_a_columns_share_is_its_width_over_the_rows() -> None:
    """``st.columns([5, 4])``: the map takes five ninths of the row, the chart four."""
    from kpi.charts import column_shares

    assert column_shares([5, 4]) == [5 / 9, 4 / 9]
    assert column_shares([1, 1]) == [0.5, 0.5]
