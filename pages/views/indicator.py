"""Indicator detail: one KHI over time, by group, and the answers behind it.

For the board member who asks "is this real?", one tab each: a run chart (each
quarter with its 95% band and the median line) with the engine's trend test in
words; a control chart (Making Data Count) with its variation verdict in words;
the KHI broken down by a chosen group with intervals against England; and how
people answered the question the KHI is built from. Every number comes from the
engine (``trend``, ``control_chart``, ``indicator_table``, ``answer_distribution``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import charts, wording
from kpi.board.tile import LAST_QUARTER, LAST_YEAR, benchmark_applies, rows_by_code, tile_change
from kpi.catalogue import KHI, khi_items
from kpi.catalogue import khi as khi_by_code
from kpi.downloads import file_name, tidy_frame
from kpi.items import bank
from kpi.periods import parse_quarter, quarter_label, shift_quarter
from pages.views import _common as c

TREND_QUARTERS = 8
BREAKDOWNS = (*c.GROUPS_OF_PEOPLE, "region")


@c.per_revision
def trend_section(code: str, label: str, filters: c.Filters) -> None:
    """Run chart and the trend test in words."""
    khi = khi_by_code(code)
    series, result = c.trend(khi.code, filters, TREND_QUARTERS, label, c.settings())
    if series is None or len(series) == 0:
        st.info("No quarters with answers for these filters.")
        return
    england = None
    if benchmark_applies(filters):  # England against itself says nothing
        england = c.england_table(
            khis=[khi.code], quarter="all", filters=filters, settings=c.settings(),
            by=["quarter"],
        )
    c.chart(
        charts.run_chart(
            series,
            title=f"{khi.name}: quarter by quarter, {c.area_label(filters)}",
            **c.value_axis(khi),
            benchmark=england,
        ),
        "indicator_trend",
    )
    changes_section(khi, label, filters)
    st.markdown(wording.trend_sentence(result, khi, TREND_QUARTERS))
    st.caption(
        "The shaded band is the 95% interval for each quarter; the dotted line is the "
        "median of the quarters shown."
    )


def changes_section(khi: KHI, label: str, filters: c.Filters) -> None:
    """The change since last quarter and since the same quarter last year, in the
    Overview tile's words from the same decision (``kpi.board.period_change``)."""
    if khi.measure == "change":  # same people over time: the Change page's
        return
    quarter = parse_quarter(label)
    lines = []
    for shift, since in ((-1, LAST_QUARTER), (-4, LAST_YEAR)):
        earlier = shift_quarter(quarter, shift)
        now, before = (
            rows_by_code(c.indicator_table(
                khis=[khi.code], quarter=q, filters=filters, settings=c.settings()
            )).get(khi.code)
            for q in (label, quarter_label(earlier))
        )
        lines.append(f"- {tile_change(khi, now, before, earlier, c.settings(), since)}")
    st.markdown("\n".join(lines))


@c.per_revision
def control_section(code: str, label: str, filters: c.Filters) -> None:
    """The control chart over every quarter up to ``label``, and its verdicts in words."""
    khi = khi_by_code(code)
    series, result = c.control_chart(khi.code, filters, label, c.settings())
    if series is None or len(series) == 0:
        st.info("No quarters with answers for these filters.")
        return
    c.chart(
        charts.control_chart(
            series, result,
            title=f"{khi.name}: control chart, {c.area_label(filters)}",
            **c.value_axis(khi),
        ),
        "indicator_control",
    )
    st.markdown(result.sentences)
    st.caption(
        "Read as NHS England's Making Data Count advises: the orange line is the mean "
        "of every quarter shown and the dashed lines are the process limits, where "
        "nearly all quarters fall while nothing changes. A marked point is special "
        "cause: beyond a limit, part of 7 rising or falling, part of 7 on one side of "
        "the mean, or 2 of 3 close to a limit. Hidden quarters are gaps."
    )


@c.per_revision
def breakdown_section(code: str, label: str, filters: c.Filters, dimension: str) -> None:
    """The KHI by a chosen group, each with its interval, against England."""
    khi = khi_by_code(code)
    settings = c.settings()
    table = c.indicator_table(
        khis=[khi.code],
        by=[dimension],
        quarter=label,
        filters=filters,
        settings=settings,
    )
    if table is None or table.empty:
        st.info("No answers for this breakdown with these filters.")
        return
    frame = charts.label_groups(table, dimension, c.dimension_codes(dimension))
    bench = frame["benchmark"].dropna() if "benchmark" in frame else pd.Series(dtype=float)
    c.chart(
        charts.interval_chart(
            frame,
            "group",
            title=f"{khi.name} by {c.DIMENSION_LABELS[dimension].lower()}, {label}",
            **c.value_axis(khi),
            benchmark=float(bench.iloc[0]) if len(bench) else None,
            colour_by_comparison=True,
        ),
        "indicator_breakdown",
    )


@c.per_revision
def distribution_section(item: str, label: str, filters: c.Filters) -> None:
    """How people answered one question behind the KHI."""
    frame = c.answer_distribution(
        item, quarter=label, filters=filters, settings=c.settings()
    )
    if frame is None or len(frame) == 0:
        st.info("No answers to this question with these filters.")
        return
    c.chart(
        charts.answer_bars(frame, title=f"“{bank().item(item).text}” — answers, {label}"),
        "indicator_answers",
    )


# The page's views, one tab each; the open one is kept in the URL as
# ``indicator_view`` (its label; the first tab leaves the URL clean). Only the open
# tab is worked out and drawn: four charts and three downloads on one page kept a
# warm visit at 4-6x the empty page (benchmarks/browser_benchmark.py).
TREND, CONTROL, BY_GROUP, ANSWERS = (
    "Over time", "Control chart", "By group", "How people answered",
)
VIEWS = (TREND, CONTROL, BY_GROUP, ANSWERS)
VIEWS_KEY = "indicator_view"


def breakdown_choice(filters: c.Filters) -> str:
    """The group to break down by, from the URL's ``by`` on a shared link. Within a
    region its schemes can be compared too (only that region's schemes)."""
    options = [*BREAKDOWNS, "scheme"] if filters.regions and not filters.scheme_ids else BREAKDOWNS
    c.url_choice("indicator_by", "by", options)
    if st.session_state.get("indicator_by") not in options:
        st.session_state.pop("indicator_by", None)
    dimension = st.selectbox(
        "Break down by",
        options,
        format_func=lambda d: "Scheme (in this region)" if d == "scheme" else
        c.DIMENSION_LABELS[d],
        key="indicator_by",
        persist_state="page",  # kept while another tab is open
    )
    c.keep_in_url("by", dimension)
    return dimension


def render() -> None:
    """Draw the page for the sidebar's filters: the KHI, then its open tab (each
    tab's chart, then its CSV: a download is a widget, so outside the kept part)."""
    label = c.start_page("Indicator detail")
    if label is None:
        return
    filters = c.current_filters()
    khi = khi_by_code(c.khi_picker("indicator_khi"))
    settings = c.settings()
    st.caption(f"{c.khi_explained(khi)} " + c.suppressed_note(settings.min_base))
    area, as_of = c.area_label(filters), c.data_as_of()
    tabs = dict(zip(VIEWS, st.tabs(VIEWS, key=VIEWS_KEY, bind="query-params")))
    if tabs[TREND].open:
        with tabs[TREND]:
            trend_section(khi.code, label, filters)
            series, result = c.trend(khi.code, filters, TREND_QUARTERS, label, settings)
            if series is not None and len(series):
                c.csv_download(
                    tidy_frame(series, khi=khi.code, area=area, by="quarter",
                               trends={khi.code: result}, as_of=as_of),
                    file_name(f"trend_{TREND_QUARTERS}_quarters_to", khi=khi.code,
                              area=area, quarter=label, as_of=as_of),
                    "indicator_trend_csv", label="Trend (CSV)",
                )
    if tabs[CONTROL].open:
        with tabs[CONTROL]:
            control_section(khi.code, label, filters)
    if tabs[BY_GROUP].open:
        with tabs[BY_GROUP]:
            dimension = breakdown_choice(filters)
            breakdown_section(khi.code, label, filters, dimension)
            table = c.indicator_table(khis=[khi.code], by=[dimension], quarter=label,
                                      filters=filters, settings=settings)
            if table is not None and len(table):
                frame = charts.label_groups(table, dimension, c.dimension_codes(dimension))
                c.csv_download(
                    tidy_frame(frame, area=area, quarter=label, by=dimension, as_of=as_of,
                               names=c.scheme_choices().names),
                    file_name(f"by_{dimension}", khi=khi.code, area=area, quarter=label,
                              as_of=as_of),
                    "indicator_by_csv", label="Breakdown (CSV)",
                )
    if tabs[ANSWERS].open:
        with tabs[ANSWERS]:
            answers_part(khi, label, filters, area, as_of)


def answers_part(khi: KHI, label: str, filters: c.Filters, area: str, as_of: str) -> None:
    """How people answered a question behind the KHI (a choice when it has several),
    and those answers' CSV (``area`` and ``as_of`` name the file, as the other tabs')."""
    items = khi_items(khi)
    if not items:
        return
    item = items[0]
    if len(items) > 1:
        c.url_choice("indicator_item", "question", items)
        item = st.selectbox(
            "Question",
            items,
            format_func=lambda code: bank().item(code).text,
            key="indicator_item",
            persist_state="page",  # kept while another tab is open
        )
        c.keep_in_url("question", item)
    distribution_section(item, label, filters)
    answers = c.answer_distribution(item, quarter=label, filters=filters, settings=c.settings())
    if answers is not None and len(answers):
        c.csv_download(  # one question's answers, not a KHI: its own columns
            answers,
            file_name(("question", item, "answers"), area=area, quarter=label, as_of=as_of),
            "indicator_answers_csv", label="Answers (CSV)",
        )
