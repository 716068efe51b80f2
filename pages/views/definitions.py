"""Definitions: every KHI, every survey question and the statistics, in plain English.

Generated from the same catalogue (kpi/bank/catalogue.toml) and item bank
(kpi/bank/items.toml) that the engine computes from, so what users read here is
what is computed; a test checks every catalogue code appears. Needs no survey
data, so it reads the same on an empty store.
"""

from __future__ import annotations

from html import escape

import streamlit as st

from kpi.board import watch
from kpi.catalogue import KHI, catalogue, domains
from kpi.disclosure import PROTECTION_TEXT
from kpi.items import bank
from kpi.wording.definitions import definitions_csv, item_table, khi_details
from pages.views import _common as c

METHODS_TEXT = """
**Percentages and their intervals (Wilson score interval).** A percentage from a
survey is an estimate. The 95% interval is the range the true value is likely to be
in; the 99.8% interval is wider and used to flag very clear differences. The Wilson
method stays accurate for small numbers and for values near 0% or 100%.

**Averages (Student's t interval).** Averages such as the number of friends or the
wellbeing score (SWEMWBS) get an interval from the t distribution, which allows for
small groups.

**Comparison with a benchmark.** A value is *similar* to England when England's value
lies inside its 95% interval, and *better* or *worse* (by which direction is good)
when it lies outside. Outside the 99.8% interval it is flagged again as a very clear
difference. Groups with fewer than {min_compare} answers are *not compared*.

**Funnel plots.** Schemes of very different sizes are compared on a funnel plot, not
a league table: small schemes vary more by chance, so the 95% and 99.8% limits
around the value for all schemes together are wider for them. A scheme outside the
99.8% limits is very unlikely to differ by chance alone.

**Trend over quarters.** Run charts show each quarter with its 95% band and the
median of the quarters shown. A test for a linear trend (chi-square test for trend
for percentages, a weighted regression test for averages) says whether the change
over time is more than chance. The Indicator detail page tests the last eight
quarters at 95%. The board page and pack show the *recent trend*, Public Health
England's Fingertips method, so a board reads what Fingertips users read: the same
test over the last five quarters at 99.8%, called a trend only when all five quarters
have numbers and the slope keeps its direction with each quarter left out in turn.

**Gaps between groups (equity).** The gap is the highest group minus the lowest. A
chi-square test (percentages) or an F test (averages) says whether the groups
really differ or the gap could be chance.

**Change for the same people.** For people with two or more responses, their latest
minus their first answer: the average change with a paired t interval, and the
shares who got better, stayed the same or got worse.

**What goes with better outcomes (odds ratios).** A logistic regression of the
outcome on the factor, allowing for age band, main support need and support type,
over each person's latest answer in the quarter; the odds ratio has a 95% Wald
interval. Covariate groups of fewer than 30 people are put together; a group still
that small, or one where everyone or no one has the outcome (it would stop the model
for every group), is counted with its covariate's largest group, and the page says
which. An association, not proof of cause.

**Changes on the board page.** A change since last quarter or since the same quarter
last year is called real when the interval for the difference between the two quarters
leaves out zero: Newcombe's score method for percentages, Welch's t for averages (two
quarters' answers are different surveys). The change KHIs (change in mental wellbeing,
change in number of friends) are different: each quarter counts everyone with two
answers up to its end, so last year's people are mostly this year's too. They are
compared person by person, with the partially overlapping samples t-test (Derrick and
others, 2017): the paired t-test for the people in both quarters, allowing for the
people in one only.

**Control charts (Making Data Count).** The board page and Indicator detail read each
KHI's series, every quarter so far, as NHS England's *Making Data Count* does: an XmR
chart (a p-chart for percentages whose quarterly bases differ) with its mean and
process limits. A special cause is a point beyond a limit, a run of 7 on one side of
the mean, 7 rising or falling in a row, or 2 of 3 near a limit; the latest quarter's
is the verdict, improving or concerning by the KHI's polarity. With fewer than 6
quarters there is no verdict ("not enough quarters yet"); with fewer than 12 the
limits are trial limits. Hidden quarters are gaps.

""" + watch.RULE + """

**Protecting privacy (disclosure control).** A cell based on fewer than {min_base}
answers shows no value, interval or count anywhere: pages, charts, tables and
exports. Where one group of a breakdown is hidden, a second one is hidden too, so
the hidden value cannot be worked out by subtraction from the total.

**A scheme's own answer words.** Some schemes ask our questions with their own answer
words ("Yes, often / Sometimes / No"). When such a file is uploaded, the person
uploading says which of our answers each of theirs is (or that it is missing); nothing
is guessed. Those answers then count as the answer chosen, and every upload read this
way is listed, with its words, on the Data quality page.

**Who counts.** Unless a definition says otherwise, a KHI counts people using Shared
Lives who answered the question in the quarter; carer KHIs count family carers.
Each person counts once per quarter, by their latest response. Quarters are UK
financial quarters: Q1 is April to June, shown as "2026/27 Q1".
"""


def khi_card(khi: KHI) -> str:
    """One KHI as a short readable card (HTML for ``card_grid``): name and code,
    the definition, then who, direction, method and the question it is built from."""
    who, direction, method, built_from = khi_details(khi)
    details = (
        f"{escape(who)} · <b>{escape(direction)}</b> · {escape(method)} · Built from: "
        f"{escape(built_from)}"
    )
    return c.card(
        khi.name,
        f'<p style="margin:0"><b>{escape(khi.name)}</b> · <code>{escape(khi.code)}</code></p>'
        f'<p style="margin:0">{escape(khi.definition)}</p>'
        f'<p style="{c.MUTED}">{details}</p>',
    )


def indicators() -> None:
    """Every KHI by domain."""
    for domain in domains():
        c.card_grid(
            [khi_card(k) for k in catalogue() if k.domain == domain], "22rem", heading=domain
        )
    st.caption(
        "“Agree” means Agree or Strongly agree. Answers of “Don't know” or “Not "
        "applicable” count as no answer."
    )


def questions() -> None:
    """Every survey question with its answer scale, by domain."""
    items = list(bank().items)
    for domain in dict.fromkeys(i.domain for i in items):
        table = c.markdown_table(item_table([i for i in items if i.domain == domain]))
        st.markdown(f"### {c.md(domain)}\n\n{table}")
    st.caption(
        "Answers that mean no answer, for any question: " + ", ".join(bank().missing_labels)
    )
    st.caption(
        "The questionnaire people answer online or on paper asks these questions in easy "
        "read by default (the standard words on request), one question at a time, with a "
        "picture for every answer and “I don't want to answer” on every question. Either "
        "wording stores the same answer codes, and each answer records which it was."
    )


def render() -> None:
    """Draw the page: KHIs by domain, then the questions, then the methods."""
    st.title("Definitions")
    st.caption(
        "Every Key Human Indicator, the survey questions behind them and how the numbers "
        "are worked out. This page is generated from the same catalogue that computes "
        "the indicators."
    )
    khi_tab, item_tab, methods_tab = st.tabs(
        ["Indicators", "Survey questions", "How the statistics work"]
    )
    with khi_tab:
        indicators()
        st.download_button(
            "Download every definition (CSV)",
            definitions_csv(),
            file_name="khi_definitions.csv",
            mime="text/csv",
            key="definitions_download",
        )
    with item_tab:
        questions()
    with methods_tab:
        s = c.settings()
        st.markdown(METHODS_TEXT.format(min_base=s.min_base, min_compare=s.min_compare))
        st.markdown(PROTECTION_TEXT.format(min_base=s.min_base, below=s.min_base - 1))

