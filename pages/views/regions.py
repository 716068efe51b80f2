"""Regions: where in the UK a KHI is higher or lower, and how each region is moving.

A commissioner's first look at variation, in four views, one at a time in tabs:
a tile map of the twelve nations and regions (equal squares, so London is as
visible as the South West) beside the regions ranked with their intervals; a
table of values with intervals and the comparison with England; one small trend
chart per region; and the sector's size and growth from the activity returns.
All numbers come from the engine (``indicator_table`` by region,
``activity_summary``).

Why tabs: drawn together, the five charts and the table kept the browser busy
for five times as long as an empty page (the browser benchmark); one view at a
time, as England's public-health profiles (Fingertips) show them, and only the
open tab is worked out and drawn. The map and the ranked chart stay side by
side in the first tab: the map says where, the ranking says how sure.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import charts, tables
from kpi.catalogue import khi as khi_by_code
from kpi.downloads import file_name, tidy_frame
from kpi.items import bank
from kpi.periods import quarter_label
from pages.views import _common as c

ACTIVITY_PARTS = ("long_term", "short_break", "day_support", "home_from_hospital")


# The page's views, one tab each; the open one is kept in the URL as
# ``regions_view`` (its label; the first tab leaves the URL clean).
MAP, TABLE, TRENDS, SECTOR = "Map", "Table", "Trend in each region", "Sector size and growth"
VIEWS = (MAP, TABLE, TRENDS, SECTOR)
VIEWS_KEY = "regions_view"


@c.per_revision
def activity_section(label: str, filters: c.Filters) -> None:
    """Sector size and growth by region, from the quarterly activity returns (the
    tab's label is its heading)."""
    activity = c.activity_summary(quarter=label, filters=filters)
    if activity is None or len(activity) == 0:
        st.info("No activity returns for this quarter yet.")
        return
    parts = {code: words for code, words in bank().activity_columns if code in ACTIVITY_PARTS}
    # Regions in the register's order, the same in both charts.
    order = {name: k for k, name in enumerate(bank().region_names)}
    activity = activity.sort_values("region", key=lambda r: r.map(order))
    widths = [1, 1]
    with c.side_by_side("regions_activity"):
        left, right = st.columns(widths)
    left_share, right_share = charts.column_shares(widths)
    with left:
        c.chart(
            charts.people_supported_bars(
                activity, "region", parts, title=f"People supported in {label}, by region"
            ),
            "regions_people",
            share=left_share,
        )
    with right:
        growth = "growth_pct" if "growth_pct" in activity else None
        if growth:
            c.chart(
                charts.growth_bars(
                    activity,
                    "region",
                    growth,
                    title="Growth in people supported over a year",
                    value_title="Change since a year earlier",
                ),
                "regions_growth",
                share=right_share,
            )


def render() -> None:
    """Draw the page for the sidebar's quarter, support type and respondents: the
    indicator in words, then the open tab only. The tabs are a widget, so they stay
    outside the cached parts; each tab calls its own part."""
    label = c.start_page("Regions")
    if label is None:
        return
    code = c.khi_picker("regions_khi")
    sidebar = c.current_filters()
    if not intro(label, code, sidebar):
        return
    parts = {
        MAP: map_view,
        TABLE: table_view,
        TRENDS: trends_view,
        SECTOR: sector_view,
    }
    for view, tab in zip(VIEWS, st.tabs(VIEWS, key=VIEWS_KEY, bind="query-params")):
        if tab.open:
            with tab:
                parts[view](label, code, sidebar)
    # Below the tabs, so the regions' numbers can be taken whichever view is open.
    table = region_rows(label, code, sidebar)
    if table is not None and len(table):
        area, as_of = c.area_label(c.without_area(sidebar)), c.data_as_of()
        c.csv_download(
            tidy_frame(table, area=area, quarter=label, by="region", as_of=as_of),
            file_name("by_region", khi=code, area=area, quarter=label, as_of=as_of),
            "regions_csv", label="Regions table (CSV)",
        )


def sector_view(label: str, code: str, sidebar: c.Filters) -> None:
    """The activity returns' tab: the same for every KHI, so cached without it."""
    activity_section(label, sidebar)


def region_rows(label: str, code: str, sidebar: c.Filters) -> pd.DataFrame:
    """The engine's by-region table for the KHI (every region, whatever the sidebar's
    area), under the sidebar's support type and respondents."""
    return c.indicator_table(
        khis=[code], by=["region"], quarter=label,
        filters=c.without_area(sidebar), settings=c.settings(),
    )


@c.per_revision
def intro(label: str, code: str, sidebar: c.Filters) -> bool:
    """The indicator in words; False (and said so) when no region has answers."""
    khi = khi_by_code(code)
    st.caption(
        f"{c.khi_explained(khi)} "
        "All regions are shown whatever region or scheme is chosen in the sidebar. "
        + c.suppressed_note(c.settings().min_base)
    )
    frame = tables.region_tiles(region_rows(label, code, sidebar))
    if not (frame["value"].notna().any() or frame.get("suppressed", pd.Series()).any()):
        st.info(
            "No answers match these filters in this quarter. Try another quarter, "
            "support type or respondents."
        )
        return False
    return True


@c.per_revision
def map_view(label: str, code: str, sidebar: c.Filters) -> None:
    """The tile map beside the regions ranked with their 95% intervals."""
    khi = khi_by_code(code)
    table = region_rows(label, code, sidebar)
    frame = tables.region_tiles(table)
    axis = c.value_axis(khi)
    widths = [5, 4]
    with c.side_by_side("regions_map"):
        map_col, chart_col = st.columns(widths)
    map_share, chart_share = charts.column_shares(widths)
    with map_col:
        c.chart(
            charts.tile_map(
                frame,
                title=f"{khi.name}, {label}",
                **axis,
                subtitle="Colour shows the value (lighter is higher).<br>"
                "▲ better, ▼ worse, ● similar to England.",
            ),
            "regions_map",
            share=map_share,
        )
    with chart_col:
        ranked = frame.assign(_v=pd.to_numeric(frame["value"], errors="coerce"))
        ranked = ranked.sort_values("_v", ascending=False, na_position="last")
        bench = table["benchmark"].dropna() if "benchmark" in table else pd.Series(dtype=float)
        c.chart(
            charts.interval_chart(
                ranked,
                "region",
                title="Highest to lowest, with 95% intervals",
                **axis,
                benchmark=float(bench.iloc[0]) if len(bench) else None,
                colour_by_comparison=True,
                subtitle="Lines are 95% intervals. Where they cross the England line, the "
                "region is similar to England.",
                height=560,
                narrow=True,
            ),
            "regions_ranked",
            share=chart_share,
        )


@c.per_revision
def table_view(label: str, code: str, sidebar: c.Filters) -> None:
    """Every region's value, interval, base and comparison with England."""
    frame = tables.region_tiles(region_rows(label, code, sidebar))
    st.dataframe(
        tables.region_table(frame, khi_by_code(code)),
        hide_index=True,
        key="regions_table",
        height=35 * (len(frame) + 1) + 3,
    )


@c.per_revision
def trends_view(label: str, code: str, sidebar: c.Filters) -> None:
    """One small trend chart per region, every quarter with data."""
    khi = khi_by_code(code)
    series = c.indicator_table(
        khis=[code],
        by=["region", "quarter"],
        quarter="all",
        filters=c.without_area(sidebar),
        settings=c.settings(),
    )
    if series is None or not len(series):
        st.info("No quarter has answers with these filters.")
        return
    series = series.sort_values("quarter")
    if "quarter_label" not in series:
        series = series.assign(
            quarter_label=[quarter_label(q) for q in pd.to_datetime(series["quarter"])]
        )
    c.chart(
        charts.small_multiples(
            series,
            "region",
            title=f"{khi.name}: trend in each region",
            value_title="Per cent" if khi.is_proportion else "",
            percent=khi.is_proportion,
            order=list(bank().region_names),
        ),
        "regions_trends",
    )
