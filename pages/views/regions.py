"""Regions: where in the UK a KHI is higher or lower, and how each region is moving.

A commissioner's first look at variation: a tile map of the twelve nations and
regions (equal squares, so London is as visible as the South West), a table of
values with intervals and the comparison with England, one small trend chart per
region, and the sector's size and growth from the activity returns. All numbers
come from the engine (``indicator_table`` by region, ``activity_summary``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import charts
from kpi.catalogue import khi as khi_by_code
from kpi.items import bank
from kpi.periods import quarter_label
from pages.views import _common as c

HIDDEN = "Too few answers to show"
ACTIVITY_PARTS = ("long_term", "short_break", "day_support", "home_from_hospital")


def region_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The engine's by-region table on the register's twelve tiles (absent = no answers)."""
    tiles = pd.DataFrame(
        [(r.name, r.col, r.row) for r in bank().regions], columns=["region", "col", "row"]
    )
    if table is None or table.empty:
        return tiles.assign(value=pd.NA, suppressed=False)
    return tiles.merge(table, on="region", how="left")


def region_table(frame: pd.DataFrame, khi: object) -> pd.DataFrame:
    """The table under the map: value, interval, base and comparison in words."""
    rows = []
    for _, r in frame.iterrows():
        hidden = bool(r.get("suppressed", False)) and not pd.isna(r.get("suppressed"))
        no_data = not hidden and pd.isna(r.get("value"))
        rows.append(
            {
                "Region": r["region"],
                "Value": HIDDEN
                if hidden
                else ("No answers" if no_data else c.format_value(r["value"], khi)),
                "95% interval": ""
                if hidden or no_data
                else c.format_interval(r.get("lower95"), r.get("upper95"), khi),
                "Answers": "" if hidden or no_data or pd.isna(r.get("n")) else f"{int(r['n']):,}",
                "Compared with England": ""
                if no_data
                else c.comparison_words("not compared" if hidden else r.get("comparison")),
            }
        )
    return pd.DataFrame(rows)


def activity_section(label: str, filters: c.Filters) -> None:
    """Sector size and growth by region, from the quarterly activity returns."""
    st.subheader("Sector size and growth")
    activity = c.activity_summary(quarter=label, filters=filters)
    if activity is None or len(activity) == 0:
        st.info("No activity returns for this quarter yet.")
        return
    parts = {code: words for code, words in bank().activity_columns if code in ACTIVITY_PARTS}
    # Regions in the register's order, the same in both charts.
    order = {name: k for k, name in enumerate(bank().region_names)}
    activity = activity.sort_values("region", key=lambda r: r.map(order))
    left, right = st.columns(2)
    with left:
        c.chart(
            charts.people_supported_bars(
                activity, "region", parts, title=f"People supported in {label}, by region"
            ),
            "regions_people",
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
            )


def render() -> None:
    """Draw the page for the sidebar's quarter, support type and respondents."""
    label = c.start_page("Regions")
    if label is None:
        return
    code = c.khi_picker("regions_khi")
    sidebar = c.current_filters()
    draw(label, code, sidebar)
    table = c.indicator_table(
        khis=[code], by=["region"], quarter=label,
        filters=c.without_area(sidebar), settings=c.settings(),
    )
    if table is not None and len(table):
        c.csv_download(
            c.shown_columns(table, {"region": "Region"}), f"regions_{code}_{label}",
            "regions_csv", label="Regions table (CSV)",
        )


@c.per_revision
def draw(label: str, code: str, sidebar: c.Filters) -> None:
    """Everything under the indicator choice."""
    filters = c.without_area(sidebar)
    settings = c.settings()
    khi = khi_by_code(code)
    st.caption(
        f"{c.khi_explained(khi)} "
        "All regions are shown whatever region or scheme is chosen in the sidebar. "
        + c.suppressed_note(settings.min_base)
    )
    table = c.indicator_table(
        khis=[code],
        by=["region"],
        quarter=label,
        filters=filters,
        settings=settings,
    )
    frame = region_frame(table)
    if not (frame["value"].notna().any() or frame.get("suppressed", pd.Series()).any()):
        st.info(
            "No answers match these filters in this quarter. Try another quarter, "
            "support type or respondents."
        )
        return
    axis = c.value_axis(khi)
    map_col, chart_col = st.columns([5, 4])
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
        )
    st.dataframe(
        region_table(frame, khi),
        hide_index=True,
        key="regions_table",
        height=35 * (len(frame) + 1) + 3,
    )
    series = c.indicator_table(
        khis=[code],
        by=["region", "quarter"],
        quarter="all",
        filters=filters,
        settings=settings,
    )
    if series is not None and len(series):
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
    activity_section(label, sidebar)

