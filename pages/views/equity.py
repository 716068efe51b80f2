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

from kpi.catalogue import KHI
from kpi.catalogue import khi as khi_by_code
from pages.views import _common as c
from pages.views import charts

GROUPINGS = c.GROUPS_OF_PEOPLE


def gap_words(khi: KHI, groups: pd.DataFrame, result: object, dimension: str) -> str:
    """The gap between the highest and lowest shown group, and whether it is real.

    ``groups`` is the engine's table with a readable ``group`` column. As in the
    engine's test, "not recorded" is not a group of people and is left out.
    """
    gap = getattr(result, "gap", None)
    if gap is None or pd.isna(gap) or getattr(result, "groups", 0) < 2:
        return "Fewer than two groups have enough answers to compare."
    shown = groups[~groups["suppressed"].fillna(False).astype(bool) & groups[dimension].notna()]
    shown = shown.dropna(subset=["value"])
    top = shown.loc[shown["value"].idxmax()]
    bottom = shown.loc[shown["value"].idxmin()]
    unit = " percentage points" if khi.is_proportion else ""
    digits = 0 if khi.is_proportion else 1
    text = (
        f"The gap is **{gap:.{digits}f}{unit}**: from {c.format_value(bottom['value'], khi)} "
        f"({bottom['group']}) to "
        f"{c.format_value(top['value'], khi)} ({top['group']})."
    )
    if getattr(result, "significant", False):
        return (
            text + f" **The groups really differ** (p = {result.p_value:.3f}): a gap this "
            "large is unlikely to be chance."
        )
    p_value = getattr(result, "p_value", None)
    tested = "" if p_value is None or pd.isna(p_value) else f" (p = {p_value:.2f})"
    return text + f" The difference **could be chance**{tested}."


def all_gaps(khi: KHI, label: str, filters: c.Filters) -> pd.DataFrame:
    """The gap for every grouping, largest first, with the test in words."""
    rows = []
    for dimension in GROUPINGS:
        groups, result = c.engine_call(
            "equity", khi.code, dimension, quarter=label, filters=filters, settings=c.settings()
        )
        gap = getattr(result, "gap", None)
        has_gap = gap is not None and not pd.isna(gap) and getattr(result, "groups", 0) >= 2
        rows.append(
            {
                "Grouping": c.DIMENSION_LABELS[dimension],
                "Gap": gap if has_gap else None,
                "Gap (highest − lowest)": (
                    (f"{gap:.0f} points" if khi.is_proportion else f"{gap:.1f}")
                    if has_gap
                    else "Too few answers"
                ),
                "Real difference?": (
                    "Yes: unlikely to be chance"
                    if getattr(result, "significant", False)
                    else ("No: could be chance" if has_gap else "–")
                ),
            }
        )
    frame = pd.DataFrame(rows).sort_values("Gap", ascending=False, na_position="last")
    return frame.drop(columns="Gap")


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
        dimension = st.selectbox(
            "Compare groups by", GROUPINGS, format_func=c.DIMENSION_LABELS.get, key="equity_by"
        )
    draw(label, code, dimension, filters)


@c.replayed
def draw(label: str, code: str, dimension: str, filters: c.Filters) -> None:
    """Everything under the two choices (no widgets: drawn once per view)."""
    khi = khi_by_code(code)
    st.caption(
        f"{c.area_label(filters)} · {label}. {c.khi_explained(khi)} "
        + c.suppressed_note(c.settings().min_base)
    )
    groups, result = c.engine_call(
        "equity", code, dimension, quarter=label, filters=filters, settings=c.settings()
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
    st.markdown(gap_words(khi, frame, result, dimension))
    c.chart(
        charts.interval_chart(
            frame,
            "group",
            title=f"{khi.name} by {c.DIMENSION_LABELS[dimension].lower()}, {label}",
            **c.value_axis(khi),
        ),
        "equity_chart",
    )
    st.subheader(f"Gaps in “{khi.name}” for every grouping")
    st.dataframe(all_gaps(khi, label, filters), hide_index=True, key="equity_gaps")
    st.caption(
        "Each test has a one in twenty chance of calling a gap real when it is not, so "
        "with many groupings and indicators some will by chance: look for gaps that are "
        "large, real, and there quarter after quarter."
    )

