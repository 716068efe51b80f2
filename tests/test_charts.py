"""kpi.charts: one palette, titles that fit a narrow window, one run chart for page and PDF."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd

from kpi import charts
from kpi.board import layout
from kpi.charts import palette, style

LONG_TITLE = "Has at least one friend: quarter by quarter, Shared Lives South West and the nations"


def contrast(colour: str, background: str = "#FFFFFF") -> float:
    """WCAG 2.2 contrast ratio of two sRGB colours."""

    def luminance(hexa: str) -> float:
        channels = [int(hexa.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def series() -> pd.DataFrame:
    return pd.DataFrame({
        "quarter_label": ["2025/26 Q1", "2025/26 Q2", "2025/26 Q3"],
        "value": [50.0, 52.0, 51.0], "lower95": [45.0, 47.0, 46.0],
        "upper95": [55.0, 57.0, 56.0], "n": [100, 100, 100],
    })


def test_long_titles_wrap_to_fit_an_800_px_window() -> None:
    fig = charts.run_chart(series(), title=LONG_TITLE, value_title="Per cent", percent=True)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) > 1 and all(len(line) <= style.TITLE_WIDTH for line in lines)
    assert " ".join(lines) == LONG_TITLE  # at word boundaries, nothing lost
    short = charts.run_chart(series(), title="Short", value_title="Per cent", percent=True)
    assert fig.layout.margin.t > short.layout.margin.t  # room for the second line
    assert fig.layout.height > short.layout.height  # and the plot keeps its own
    heading, _ = charts.figure_text(fig)
    assert heading == LONG_TITLE  # the text alternative reads the title as one line


def test_subtitles_wrap_narrower_than_the_old_full_width() -> None:
    words = "Dots are values; lines are 95% intervals (the range the true value is likely in)."
    fig = style.style_figure(charts.empty_figure("x"), "Title", 300, subtitle=words + " " + words)
    lines = fig.layout.title.subtitle.text.split("<br>")
    assert all(len(line) <= style.SUBTITLE_WIDTH for line in lines)


def test_words_and_marks_in_colour_read_at_4_5_to_1() -> None:
    pack = SimpleNamespace(benchmark_applies=True, attention=(), improved=(), watch=())
    for flags in layout.flag_lists(pack):  # the board page's "!" and "✓"
        assert contrast(flags.colour) >= 4.5, flags.heading
    for key in ("better", "worse"):
        assert contrast(palette.COMPARISON_STYLE[key][2]) >= 4.5
    assert contrast(palette.GOOD_TEXT) >= 4.5 and contrast(palette.BAD_TEXT) >= 4.5


def test_the_tagged_pdf_draws_the_board_pages_run_chart() -> None:
    row = SimpleNamespace(
        series=series().assign(suppressed=False), khi=SimpleNamespace(is_proportion=True),
        name="Has at least one friend",
    )
    labels = [charts.short_quarter(q) for q in row.series["quarter_label"]]
    traces, _ = charts.run_chart_traces(row, labels)
    svg = charts.run.sparkline_svg(row)
    # The same colours as the plotly traces, hence as the board page and the PNGs.
    assert f'stroke="{traces[0]["line"]["color"]}"' in svg
    assert f'stroke="{traces[0]["error_y"]["color"]}"' in svg
    assert f'fill="{traces[-1]["marker"]["color"]}"' in svg  # this quarter, orange
    assert len(re.findall(r"<circle", svg)) == 3  # one point per quarter


def test_one_palette() -> None:
    from pages.views import _common as c

    assert c.PALETTE is palette.PALETTE
    assert palette.VERMILLION in palette.PALETTE.values()  # no copied colours


def test_the_board_pages_run_chart_writes_its_axis_ends_and_quarters() -> None:
    row = SimpleNamespace(
        series=series().assign(suppressed=False), khi=SimpleNamespace(is_proportion=True),
        name="Has at least one friend",
    )
    labels = [charts.short_quarter(q, " ") for q in row.series["quarter_label"]]
    _, (low, high) = charts.run_chart_traces(row, labels)
    page = charts.sparkline_svg(row, 190, 80, labelled=True)
    written = re.findall(r"<text[^>]*>([^<]+)</text>", page)
    assert written == [f"{high:.0f}%", f"{low:.0f}%", "Q1 25/26", "Q3 25/26"]
    assert "<text" not in charts.sparkline_svg(row)  # the PDF's cell says the values
    image = charts.sparkline_img(row, 190, 80, labelled=True)
    assert 'width="190" height="80"' in image  # at its own size on the page
    assert f'alt="{charts.chart_alt(row)}"' in image


def test_too_few_answers_reads_at_4_5_to_1_in_every_run_chart() -> None:
    """The words a hidden KHI's panel shows are text (WCAG 1.4.3), in the PNGs'
    and the untagged PDF's run charts as on the page."""
    row = SimpleNamespace(
        series=series().assign(value=None, lower95=None, upper95=None, suppressed=True),
        khi=SimpleNamespace(is_proportion=True), name="Has at least one friend",
    )
    figure = charts.domain_chart("Friendship", [row])
    sheet = charts.sparkline_sheet([row])
    colours = [a.font.color for a in figure.layout.annotations if a.text == "Too few answers"]
    colours += [a["font"]["color"] for a in sheet["layout"]["annotations"]]
    assert len(colours) == 2 and all(contrast(colour) >= 4.5 for colour in colours)


def spine_rows() -> pd.DataFrame:
    """Three KHIs: one where high is good, one where low is good, one hidden."""
    base = {"benchmark": 50.0, "lowest": 30.0, "q25": 45.0, "q75": 60.0, "highest": 70.0,
            "percent": True, "lower95": float("nan"), "upper95": float("nan")}
    return pd.DataFrame([
        {**base, "label": "Feels happy", "value": 60.0, "polarity": "high",
         "comparison": "better", "suppressed": False},
        {**base, "label": "Feels lonely", "value": 60.0, "polarity": "low",
         "comparison": "worse", "suppressed": False},
        {**base, "label": "Has a friend", "value": float("nan"), "polarity": "high",
         "comparison": "not compared", "suppressed": True},
    ])


def test_the_spine_chart_draws_each_kind_of_bar_as_one_trace_scaled_right_is_better() -> None:
    fig = charts.spine_chart(spine_rows(), title="A scheme compared with England")
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 2  # the range of schemes, the middle half: one trace each
    by_row = {}
    for trace in lines:
        xs, ys = list(trace.x), list(trace.y)
        for i in range(0, len(xs), 3):  # a segment, then a gap
            assert xs[i + 2] is None and ys[i + 2] is None
            by_row.setdefault(ys[i], []).append((xs[i], xs[i + 1]))
    # England in the middle, the furthest scheme (70, 20 away) at the edge.
    assert by_row["Feels happy"] == [(-1.0, 1.0), (-0.25, 0.5)]
    assert by_row["Feels lonely"] == [(-1.0, 1.0), (-0.5, 0.25)]  # flipped
    marks = {t.name: (list(t.x), list(t.y)) for t in fig.data if t.mode == "markers"}
    assert marks["Better than England"] == ([0.5], ["Feels happy"])
    assert marks["Worse than England"] == ([-0.5], ["Feels lonely"])
    assert [a.text for a in fig.layout.annotations if a.y == "Has a friend"] == [
        style.HIDDEN_TEXT
    ]


def test_data_quality_figures_never_draw_a_hidden_cell() -> None:
    """The Data quality page's figures (kpi.charts.quality): a hidden question keeps
    its row, named "too few to show", with no bar; a hidden rate is no dot."""
    from kpi.items import bank

    codes = [i.code for i in bank().items][:2]
    items = pd.DataFrame({"item": codes, "answered": [40, None], "asked": [50, None],
                          "share": [80.0, 99.0], "suppressed": [False, True]})
    bars = charts.completeness_chart(items, "2025/26 Q2").data[0]
    assert list(bars.x[:1]) == [80.0] and pd.isna(bars.x[1])
    assert bars.y[1].endswith("(too few to show)") and bars.text[1] == ""
    rates = pd.DataFrame({"quarter": ["2025/26 Q2"] * 2, "scheme_id": ["S1", "S2"],
                          "rate": [60.0, 90.0], "people_supported": [100, 4],
                          "responses": [60, 4], "suppressed": [False, True]})
    dots = charts.rates_chart(rates, "2025/26 Q2", {"S1": "Tynemere"}).data[0]
    assert list(dots.y) == [60.0] and list(dots.text) == ["Tynemere"]


def test_the_completeness_charts_questions_take_two_lines_at_most_each_row_fitting() -> None:
    """Every question of the bank wrapped to QUESTION_WIDTH characters a line takes
    one or two lines, and every row is as tall as the tallest label (plotly gives each
    category the same room, so a shorter row let two-line labels run into each other)."""
    from kpi.charts.quality import LINE_PX, QUESTION_WIDTH, ROW_PX
    from kpi.items import bank

    items = pd.DataFrame({"item": [i.code for i in bank().items], "answered": 40,
                          "asked": 50, "share": 80.0, "suppressed": False})
    fig = charts.completeness_chart(items, "2025/26 Q2")
    lines = [label.split("<br>") for label in fig.data[0].y]
    assert max(len(line) for label in lines for line in label) <= QUESTION_WIDTH
    tallest = max(len(label) for label in lines)
    assert tallest == 2
    assert fig.layout.height >= 120 + len(items) * max(ROW_PX, LINE_PX * tallest + 4)
