"""Change over time: are the same people doing better than when they started?

Quarter-on-quarter values compare different people; this page follows people
who answered two or more times (up to the end of the chosen quarter) and shows
their latest minus their first answer for wellbeing (SWEMWBS) and number of
friends: the average change with its 95% interval, and the shares who got
better, stayed the same or got worse, overall and by a chosen group. Every
number is the engine's ``change``; hidden groups show no numbers.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import charts, wording
from kpi.catalogue import change_khis
from kpi.catalogue import khi as khi_by_code
from kpi.downloads import file_name, tidy_frame
from pages.views import _common as c

BREAKDOWNS = (None, *c.GROUPS_OF_PEOPLE, "region")


def render() -> None:
    """Draw the page for the sidebar's filters."""
    label = c.start_page("Change over time")
    if label is None:
        return
    filters = c.current_filters()
    options = change_khis()
    c.url_choice("change_khi", "khi", list(options))
    c.url_choice("change_by", "by", list(BREAKDOWNS))
    left, right = st.columns(2)
    with left:
        code = st.radio(
            "Change in", list(options), format_func=options.get, key="change_khi", horizontal=True
        )
    with right:
        dimension = st.selectbox(
            "Break down by",
            BREAKDOWNS,
            format_func=lambda d: "No breakdown" if d is None else c.DIMENSION_LABELS[d],
            key="change_by",
        )
    c.keep_in_url("khi", code)
    c.keep_in_url("by", dimension)
    draw(label, code, dimension, filters)
    download(label, code, dimension, filters)


def change_frame(
    label: str, code: str, dimension: str | None, filters: c.Filters
) -> pd.DataFrame | None:
    """Everyone's change (first row, group "Everyone"), then each group's when
    ``dimension`` is given: what the charts draw and the CSV holds. None when
    nobody has answered twice."""
    settings = c.settings()
    overall = c.change(code, quarter=label, filters=filters, settings=settings)
    if overall is None or len(overall) == 0:
        return None
    frame = overall.assign(group="Everyone")
    if dimension is None:
        return frame
    groups = c.change(
        code, by=[dimension], quarter=label, filters=filters, settings=settings
    )
    groups = charts.label_groups(groups, dimension, c.dimension_codes(dimension))
    return pd.concat([frame, groups], ignore_index=True)


def download(label: str, code: str, dimension: str | None, filters: c.Filters) -> None:
    """The numbers behind both charts as CSV (the engine's, hidden groups empty)."""
    frame = change_frame(label, code, dimension, filters)
    if frame is None:
        return
    area, as_of = c.area_label(filters), c.data_as_of()
    c.csv_download(
        tidy_frame(frame, khi=code, area=area, quarter=label, by=dimension, as_of=as_of,
                   names=c.scheme_choices().names, extra=CHANGE_EXTRA),
        file_name(f"by_{dimension}" if dimension else "everyone", khi=code, area=area,
                  quarter=label, as_of=as_of),
        "change_csv", label="Change (CSV)",
    )


# What a paired change adds to the tidy columns (its value is the mean change).
CHANGE_EXTRA = {
    "p_value": "p-value (paired t-test of no change)", "sd_change": "SD of the change",
    "share_better": "Share better (%)", "share_same": "Share the same (%)",
    "share_worse": "Share worse (%)",
}


@c.per_revision
def draw(label: str, code: str, dimension: str | None, filters: c.Filters) -> None:
    """Everything under the two choices."""
    khi = khi_by_code(code)
    st.caption(
        f"{c.area_label(filters)} · up to the end of {label}. {khi.definition} "
        + c.suppressed_note(c.settings().min_base)
    )
    frame = change_frame(label, code, dimension, filters)
    if frame is None:
        st.info(
            "Nobody has answered two or more times with these filters yet. Change shows once "
            "people have answered in at least two quarters."
        )
        return
    st.markdown(wording.change_row_headline(khi, frame.iloc[0]))
    shares = frame.copy()
    for key in ("better", "same", "worse"):
        shares[f"share_{key}"] = pd.to_numeric(shares[f"share_{key}"], errors="coerce")
    c.chart(
        charts.interval_chart(frame.rename(columns={"mean_change": "value"}),
            "group",
            title=f"Average change in {wording.unit_words(khi)}",
            value_title=f"Latest minus first ({wording.unit_words(khi)})",
            percent=False,
            benchmark=0.0,
            benchmark_label="No change",
            benchmark_value_shown=False,
        ),
        "change_mean",
    )
    c.chart(
        charts.better_same_worse(
            shares, "group", title="Who got better, stayed the same or got worse"
        ),
        "change_shares",
    )

