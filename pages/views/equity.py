"""Equity: does a KHI differ between groups of people, and is the gap real?

Commissioners must show they looked for inequality. For any KHI and any of the
six groupings the survey records, the page draws each group with its 95%
interval, states the gap (highest minus lowest group) and whether the groups
really differ (the engine's test), and lists the gap for every grouping so the
largest inequalities are found in one look. Every number comes from the
engine's ``equity``; hidden groups are never part of a stated gap.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import charts
from kpi.catalogue import KHI
from kpi.catalogue import khi as khi_by_code
from kpi.equity import (
    equity_view,
    gap_table,
    gap_words,
    group_bases,
    group_table,
)
from kpi.tables import england_value
from pages.views import _common as c

# Groups of people, then how they answered (a gap there is the channel's, not theirs).
GROUPINGS = (*c.GROUPS_OF_PEOPLE, "channel", "wording")


def all_gaps(khi: KHI, label: str, filters: c.Filters) -> pd.DataFrame:
    """The gap for every grouping, largest first (``kpi.equity.gap_table``)."""
    views = []
    for dimension in GROUPINGS:
        groups, _ = c.equity(
            khi.code, dimension, quarter=label, filters=filters, settings=c.settings()
        )
        view = equity_view(
            charts.label_groups(groups, dimension, c.dimension_codes(dimension)),
            khi, dimension, c.settings(),
        ) if groups is not None and len(groups) else None
        views.append((c.DIMENSION_LABELS[dimension], view))
    return gap_table(khi, views)


def render() -> None:
    """Draw the page for the sidebar's filters."""
    label = c.start_page("Equity")
    if label is None:
        return
    filters = c.current_filters()
    left, right = st.columns(2)
    with left:
        code = c.khi_picker("equity_khi")
    with right:
        c.url_choice("equity_by", "by", GROUPINGS)
        dimension = st.selectbox(
            "Compare groups by", GROUPINGS, format_func=c.DIMENSION_LABELS.get, key="equity_by"
        )
        c.keep_in_url("by", dimension)
    draw(label, code, dimension, filters)


@c.per_revision
def draw(label: str, code: str, dimension: str, filters: c.Filters) -> None:
    """Everything under the two choices."""
    khi = khi_by_code(code)
    st.caption(
        f"{c.area_label(filters)} · {label}. {c.khi_explained(khi)} "
        + c.suppressed_note(c.settings().min_base)
    )
    groups, result = c.equity(
        code, dimension, quarter=label, filters=filters, settings=c.settings()
    )
    if (
        groups is None
        or len(groups) == 0
        or not (groups["value"].notna().any() or groups["suppressed"].fillna(False).any())
    ):
        st.info(
            "No answers match these filters in this quarter. Try another quarter, or widen "
            "the region, scheme, support type or respondents."
        )
        return
    frame = charts.label_groups(groups, dimension, c.dimension_codes(dimension))
    text, warnings = gap_words(khi, frame, dimension, c.settings())
    st.markdown(c.md(text))
    for warning in warnings:
        st.warning(warning, icon=":material/group:")
    benchmark, benchmark_label = england_value(c.england_table(
        khis=[code], quarter=label, filters=filters, settings=c.settings()
    )), "England"  # the sector's, whoever looks
    c.chart(
        charts.interval_chart(
            group_bases(frame),
            "group",
            title=f"{khi.name} by {c.DIMENSION_LABELS[dimension].lower()}, {label}",
            benchmark=benchmark,
            benchmark_label=benchmark_label,
            **c.value_axis(khi),
        ),
        "equity_chart",
    )
    c.static_table(
        group_table(frame, khi, c.settings().min_base),
        f"{khi.name} by {c.DIMENSION_LABELS[dimension].lower()}",
    )
    st.subheader(f"Gaps in “{khi.name}” for every grouping")
    c.static_table(all_gaps(khi, label, filters), f"Gaps in {khi.name} for every grouping")
    st.caption(
        "Each test has a one in twenty chance of calling a gap real when it is not, so "
        "with many groupings and indicators some will by chance: look for gaps that are "
        "large, real, and there quarter after quarter."
    )

