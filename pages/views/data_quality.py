"""Data quality: is there enough data, from enough people, to trust the numbers?

Three questions a scheme worker or commissioner asks before reading a KHI:
how many of the people supported answered (response rate), which schemes have
not sent their quarterly activity return, and which questions people skip
(item completeness). Every number comes from the engine
(``kpi.indicators.response_rates``, ``missing_returns``, ``item_completeness``),
which has already hidden small cells; this page only arranges and draws them.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kpi import charts, tables
from kpi.catalogue import khi as khi_by_code
from kpi.indicators import Filters
from kpi.ingest import answers
from kpi.periods import quarter_label
from pages.views import _common as c


# ----------------------------------------------------------- response rates ---
# The two tables of every scheme's rates open on demand: 150 schemes gave 300 rows
# of HTML that the browser built on every visit, closed or not (a third of the
# page's drawing time); an expander that tracks its state is left empty while closed.
class OnDemand(NamedTuple):
    """A table in an expander: the expander's words, its key, the table's caption."""

    words: str
    key: str
    caption: str


EVERY_SCHEME = OnDemand("Response rate of every scheme, lowest first", "dq_every_scheme",
                        "Response rate of every scheme")
EVERY_QUARTER = OnDemand("Response rates in every quarter", "dq_every_quarter",
                         "Response rates in every quarter")


@c.per_revision
def response_rates_section(label: str, filters: Filters) -> bool:
    """The heading and the chart; False when there are no rates yet."""
    st.caption(f"{c.area_label(filters)} · {label}")
    st.subheader("Response rates")
    st.caption(
        "Surveys returned ÷ people supported (from the scheme's quarterly activity return). "
        "A low rate means the indicators may not speak for everyone the scheme supports."
    )
    rates = c.response_rates(filters)
    if rates.empty:
        st.info("No response rates yet: they need survey responses and activity returns.")
        return False
    c.chart(charts.rates_chart(rates, label, c.scheme_choices().names), "dq_rates_chart")
    return True


def rates_tables(label: str, filters: Filters) -> None:
    """The tables behind the chart, each in an expander filled only while open."""
    builds = {
        EVERY_SCHEME: lambda rates, names: tables.rates_table(rates, label, names),
        EVERY_QUARTER: tables.rates_by_quarter,
    }
    for part, build in builds.items():
        box = st.expander(part.words, key=part.key, on_change="rerun")
        if box.open:
            with box:
                c.static_table(build(c.response_rates(filters), c.scheme_choices().plain),
                               part.caption)


# ---------------------------------------------------------- missing returns ---
def missing_returns_section(label: str, filters: Filters) -> None:
    st.subheader(f"Activity returns missing for {label}")
    missing = c.missing_returns(label, filters)  # the engine keeps the view's schemes
    if missing.empty:
        st.success(
            f"Every scheme shown has sent its activity return for {label}.",
            icon=":material/check_circle:",
        )
        return
    st.markdown(
        f"**{len(missing)} {'scheme has' if len(missing) == 1 else 'schemes have'} not sent "
        f"an activity return for {label}**, so their response rate cannot be worked out. "
        "Upload the return on the **Upload** page (kind: quarterly activity return)."
    )
    c.static_table(tables.missing_table(missing, c.scheme_choices().plain),
                   "Schemes without an activity return")


# -------------------------------------------------------- item completeness ---


def completeness_view(label: str, filters: Filters) -> tuple[go.Figure, pd.DataFrame] | None:
    """Chart and table of item completeness; None when no responses match."""
    items = c.item_completeness(label, filters)
    if not isinstance(items, pd.DataFrame) or items.empty:
        return None
    return charts.completeness_chart(items, label), tables.completeness_table(items)


def completeness_section(label: str, filters: Filters) -> None:
    st.subheader("Item completeness")
    st.caption(
        "Of the people asked each question, the share who answered it (\u201cDon't know\u201d "
        "and blanks count as not answered). Questions often skipped may be hard to answer "
        "or missing from a scheme's own form."
    )
    view = completeness_view(label, filters)
    if view is None:
        st.info(f"No survey responses match these filters in {label}.")
        return
    figure, table = view
    c.chart(figure, "dq_items_chart")
    with st.expander("The numbers behind the chart"):
        c.static_table(table, "Share who answered each question")


# --------------------------------------------------------------------- page ---
def render() -> None:
    st.title("Data quality")
    st.caption(
        "Is there enough data, from enough people, to trust the indicators? Response rates, "
        "missing activity returns and the questions people skip."
    )
    quarters = c.available_quarters()
    if not quarters:
        c.empty_store_message()
        return
    # The sidebar's quarter; the latest when the page runs without the sidebar.
    label = c.current_quarter() or quarter_label(quarters[-1])
    filters = c.current_filters()
    draw(label, filters)
    provenance_section(label, filters)
    rounds_section()


def provenance_section(label: str, filters: Filters) -> None:
    """One KHI by how people answered and by the wording asked (the engine's table,
    small groups already hidden): a gap here is the channel's, not the people's."""
    st.subheader("How people answered")
    st.caption("The same indicator from a survey tool's export, the online form and paper "
               "forms, and in standard or easy-read wording. A large gap may mean the way "
               "of asking changes the answers.")
    code = c.khi_picker("dq_khi")
    for dimension in ("channel", "wording"):
        table = c.indicator_table(khis=[code], by=[dimension], quarter=label, filters=filters)
        if table.empty:
            continue
        table = charts.label_groups(table, dimension, c.dimension_codes(dimension))
        title = c.DIMENSION_LABELS[dimension]
        c.static_table(tables.group_table(table, khi_by_code(code), title), title)


def rounds_section() -> None:
    """Response rates per survey round (``kpi.collect.round_rates``): for those who run
    rounds only, as the counts are their schemes' own people."""
    from kpi import collect

    rates = collect.rates_of_rounds(c.current_scope(), c.survey_rounds(c.user_reach()))
    if rates.empty:
        return
    st.subheader("Survey rounds")
    st.caption("Answers to the rounds your schemes opened (Survey rounds page): personal "
               "links answered of those sent, and answers of the people supported that "
               "quarter (the activity return).")
    c.static_table(tables.round_rates_table(rates, c.scheme_choices().plain),
                   "Response rates of survey rounds")


def draw(label: str, filters: Filters) -> None:
    """The whole page under its title: kept parts, and between them the rates'
    expanders (widgets, which a kept part cannot hold)."""
    if response_rates_section(label, filters):
        rates_tables(label, filters)
    rest_of_page(label, filters)


@c.per_revision
def rest_of_page(label: str, filters: Filters) -> None:
    """Missing returns, item completeness and answers read with a scheme's own words."""
    missing_returns_section(label, filters)
    completeness_section(label, filters)
    own_answers_section(filters)
    st.caption(c.suppressed_note(c.settings().min_base))


def own_answers_section(filters: Filters) -> None:
    """Uploads whose answers were read with a scheme's own words (every quarter), so
    a KHI built from a mapped scale can be told apart; the viewer's schemes only (the
    filters' scope: this part is cached by its arguments)."""
    reach = c.Reach.everything() if filters.scope is None else c.Reach.only(filters.scope)
    mapped = answers.own_answer_uploads(c.uploads(reach))
    if mapped.empty:
        return
    st.subheader("Answers read with a scheme's own words")
    st.caption(
        "These uploads asked a question with the scheme's own answer words; the person "
        "uploading said which of our answers each one is. The indicators built on those "
        "questions count them as that answer."
    )
    frame = pd.DataFrame({
        "Scheme": mapped["scheme_name"].fillna(mapped["scheme_id"]),
        "File": mapped["file_name"],
        "Uploaded": [f"{pd.Timestamp(t):%d %b %Y}" for t in mapped["uploaded_at"]],
        "Column": mapped["column"],
        "Read as": mapped["read_as"],
    })
    c.static_table(frame, "Answers read with a scheme's own words")

