"""Schemes: compare schemes fairly, and see one scheme across every KHI.

Schemes range from a handful of people to several hundred, so a league table
would rank chance. This page compares the schemes in three views, one at a
time in tabs: a funnel plot (proportion KHIs: each scheme against limits that
widen for small schemes), a ranked chart with every scheme's 95% interval and
the England line, and the same schemes as a sortable table with its CSV. A
last tab shows one scheme's profile across all KHIs relative to England and
the range of schemes, with its CQC rating. All values come from the engine
(``funnel``, ``indicator_table`` by scheme); hidden schemes are simply not
plotted.

Why tabs: drawn together, the funnel, the ranked chart and the table of every
scheme kept the browser busy for five times as long as an empty page (the
browser benchmark); one view at a time, as England's public-health profiles
(Fingertips) show them, and only the open tab is worked out and drawn. The
profile had its own place below the comparison at first; with the funnel
above it the page still took over three times as long as an empty one to draw
(ten times after an upload), so it is a tab too, as Fingertips' "Area
profiles" is.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import charts, tables, wording
from kpi.catalogue import KHI, catalogue
from kpi.catalogue import khi as khi_by_code
from kpi.downloads import file_name, tidy_frame
from kpi.items import bank
from pages.views import _common as c


def with_names(table: pd.DataFrame, region: str | None = None) -> pd.DataFrame:
    """``kpi.tables.with_names`` on the viewer's scheme register and names."""
    return tables.with_names(table, c.schemes(), c.scheme_choices().names, region)


# How the sidebar's region shows on this page: its schemes among England's, or alone.
SHOW_WORDS = {"highlight": "Highlighted among England's schemes", "alone": "Only this region's"}


def show_choice(sidebar: c.Filters) -> str:
    """With a region in the sidebar: its schemes highlighted among England's, or alone."""
    if not sidebar.regions:
        return "highlight"
    options = list(SHOW_WORDS)
    c.url_choice("schemes_show", "show", options)
    shown = st.radio(
        f"Schemes in {sidebar.regions[0]}",
        options,
        format_func=SHOW_WORDS.get,
        horizontal=True,
        key="schemes_show",
        help="Either way the limits and the England line are England's, so the "
        "comparison stays fair.",
        persist_state="page",  # kept while the profile's tab is open
    )
    c.keep_in_url("show", shown)
    return shown


def area_of(sidebar: c.Filters) -> str | None:
    return sidebar.regions[0] if sidebar.regions else None


def chosen_name(sidebar: c.Filters) -> str | None:
    return c.scheme_choices().names.get(sidebar.scheme_ids[0]) if sidebar.scheme_ids else None


# ----------------------------------------------------------------------- tabs ---
# The page's views, one tab each; the open one is kept in the URL as
# ``schemes_view`` (its label; the first tab leaves the URL clean). The profile's
# name stands apart from the comparison's "Table": a screen reader reads a tab's
# name alone.
FUNNEL, RANKED, TABLE = "Funnel plot", "Ranked with intervals", "Table"
PROFILE = "One scheme's profile"
VIEWS_KEY = "schemes_view"


def views(code: str) -> tuple[str, ...]:
    """The tabs for a KHI: a funnel plot only for proportions (a mean has no
    funnel limits), so a mean KHI opens on the ranked chart; the profile last."""
    comparison = (FUNNEL, RANKED, TABLE) if khi_by_code(code).is_proportion else (RANKED, TABLE)
    return (*comparison, PROFILE)


def page_tabs(label: str, code: str, sidebar: c.Filters) -> None:
    """The views in tabs; only the open tab is worked out and drawn. The tabs are a
    widget, so they stay outside the cached parts; each tab calls its own part."""
    shown = views(code)
    for view, tab in zip(shown, st.tabs(shown, key=VIEWS_KEY, bind="query-params")):
        if not tab.open:
            continue
        with tab:
            if view == PROFILE:
                profile_tab(label, sidebar, st.session_state.get("f_who", "both"))
            else:
                comparison_tab(view, label, code, sidebar)


# ----------------------------------------------------------------- comparison ---
def comparison_tab(view: str, label: str, code: str, sidebar: c.Filters) -> None:
    """One of the comparison's views, under the indicator in words (nothing but
    that when no scheme has answers to compare)."""
    show = show_choice(sidebar)
    if not comparison_section(label, code, sidebar, show):
        return
    if view == FUNNEL:
        funnel_section(label, code, sidebar, show)
        return
    # The benchmark changes the ranked chart and the table, not the funnel (its
    # limits are England's), so it is asked for beside them.
    benchmark = benchmark_choice()
    if view == RANKED:
        ranked_section(label, code, sidebar, benchmark, show)
    else:
        table_section(label, code, sidebar, benchmark, show)


@c.per_revision
def funnel_section(label: str, code: str, sidebar: c.Filters, show: str) -> None:
    """Proportions: the engine's funnel plot (95% and 99.8% limits, pooled line),
    England's limits whether the area's schemes are highlighted or shown alone."""
    khi = khi_by_code(code)
    filters = c.without_area(sidebar)
    area = area_of(sidebar)
    result = c.funnel(
        khi.code, quarter=label, filters=filters, settings=c.settings()
    )
    points, limits, pooled = result
    if points is None or len(points) == 0:
        st.info("No scheme has enough answers for a funnel plot with these filters.")
        return
    points = with_names(points, area)
    if show == "alone":
        points = points[points["in_area"]]
        if points.empty:
            st.info(f"No scheme in {area} has enough answers for the funnel plot.")
            return
    where = f" in {area}" if area and show == "alone" else ""
    c.chart(
        charts.funnel_chart(
            points,
            limits,
            pooled,
            title=f"{khi.name}: each scheme{where} against England's funnel limits, {label}",
            value_title="Per cent",
            percent=True,
            area=area if show == "highlight" else None,
            chosen=chosen_name(sidebar),
        ),
        "schemes_funnel",
    )
    outside = points[points.get("position", pd.Series(dtype=str)).isin(["above998", "below998"])]
    outside = outside[outside["in_area"]] if area else outside
    if len(outside):
        words = {"above998": "higher", "below998": "lower"}
        lines = [
            f"- **{c.md(r['name'])}** ({r['region']}): {c.format_value(r['value'], khi)} of "
            f"{int(r['n']):,} answers, "
            f"{words[r['position']]} than expected ("
            + wording.level_words(
                wording.direction(khi, 1 if r["position"] == "above998" else -1),
                wording.LEVEL_998,
            )
            + ", 99.8% level)"
            for _, r in outside[outside["in_area"]].sort_values("value", ascending=False).iterrows()
        ]
        st.markdown(
            "**Outside the 99.8% limits** (very unlikely to be chance):\n" + "\n".join(lines)
        )
    else:
        st.markdown(
            f"No scheme{' in ' + area if area else ''} is outside the 99.8% limits: the "
            "differences could be chance."
        )


# What each scheme can be compared with (the engine's benchmarks, spec §4). The
# engine's third, schemes of the same support type, is England itself here: the
# sidebar's support type already narrows England to it.
BENCHMARK_WORDS = {b: wording.BENCHMARK_NAMES[b] for b in ("england", "region")}


def benchmark_choice() -> str:
    """England, or the scheme's own region (kept in the URL as ``vs``). Drawn in the
    ranked and the table tab alike; kept while the funnel's tab is open (a widget
    not drawn would otherwise lose its value), so both tabs compare the same way."""
    c.url_choice("schemes_benchmark", "vs", list(BENCHMARK_WORDS))
    chosen = st.radio(
        "Compare each scheme with",
        list(BENCHMARK_WORDS),
        format_func=lambda b: BENCHMARK_WORDS[b].capitalize(),
        horizontal=True,
        key="schemes_benchmark",
        help="With a support type chosen in the sidebar, England means England's "
        "schemes for that support type.",
        persist_state="page",
    )
    c.keep_in_url("vs", chosen)
    return chosen


@c.per_revision
def ranked_section(label: str, code: str, sidebar: c.Filters, benchmark: str, show: str) -> None:
    """Every scheme with its 95% interval, ranked, against the benchmark chosen just
    above the chart (the England line when that is England: a region's value
    differs by scheme)."""
    khi = khi_by_code(code)
    england = tables.england_value(  # the sector's line, whoever looks
        c.england_table(khis=[code], quarter=label, filters=sidebar, settings=c.settings())
    )
    highlight = chosen_name(sidebar)
    area = area_of(sidebar)
    table = scheme_rows(label, code, sidebar, benchmark, show)
    where = f" in {area}" if area and show == "alone" else ""
    c.chart(
        charts.caterpillar_chart(
            table,
            "name",
            title=f"{khi.name}: schemes{where} ranked, with 95% intervals, {label}",
            area=area if show == "highlight" else None,
            **c.value_axis(khi),
            benchmark=england if benchmark == "england" else None,
            highlight=highlight,
            against=BENCHMARK_WORDS[benchmark],
        ),
        "schemes_ranked",
    )
    hidden = int(table.apply(tables.is_hidden, axis=1).sum()) if len(table) else 0
    if hidden:
        schemes = "scheme has" if hidden == 1 else "schemes have"
        st.caption(f"{hidden} {schemes} too few answers to show and are left out.")


def scheme_rows(
    label: str, code: str, sidebar: c.Filters, benchmark: str, show: str
) -> pd.DataFrame:
    """The engine's by-scheme table for the KHI (England's schemes, the sidebar's
    support type and respondents), named; only the area's when ``show`` is alone."""
    table = with_names(
        c.indicator_table(
            khis=[code], by=["scheme"], quarter=label,
            filters=c.without_area(sidebar), settings=c.settings(), benchmark=benchmark,
        ),
        area_of(sidebar),
    )
    return table[table["in_area"]] if show == "alone" else table


def table_section(label: str, code: str, sidebar: c.Filters, benchmark: str, show: str) -> None:
    """The schemes as a sortable table (click a column heading) and its CSV."""
    khi = khi_by_code(code)
    rows = scheme_rows(label, code, sidebar, benchmark, show)
    area = area_of(sidebar)
    if area and show == "highlight":  # the region's schemes first, in table and CSV
        rows = rows.sort_values("region", key=lambda r: r != area, kind="stable")
    frame = tables.scheme_table(rows, khi, benchmark)
    st.subheader(
        f"Schemes{' in ' + area if area and show == 'alone' else ''} as a table"
    )
    st.dataframe(frame, hide_index=True, key="schemes_table")
    place = area if area and show == "alone" else c.area_label(c.without_area(sidebar))
    as_of = c.data_as_of()
    c.csv_download(
        tidy_frame(rows, area=place, quarter=label, by="scheme", benchmark=benchmark,
                   names=c.scheme_choices().names, as_of=as_of,
                   extra={"region": "Region", "cqc": "CQC rating"}),
        file_name("by_scheme", khi=code, area=place, quarter=label, as_of=as_of),
        "schemes_table_csv", label="Table (CSV)",
    )


# -------------------------------------------------------------------- profile ---
def profile_choice(label: str, sidebar: c.Filters) -> str | None:
    """The scheme to profile (the sidebar's, when one is chosen)."""
    choices = c.scheme_choices()
    if not choices.ids:
        st.info("No schemes are registered yet.")
        return None
    ids = list(choices.by_region.get(sidebar.regions[0], ()) if sidebar.regions else choices.ids)
    if not ids:
        st.info(f"No schemes are registered in {sidebar.regions[0]}.")  # type: ignore[index]
        return None
    if sidebar.scheme_ids and sidebar.scheme_ids[0] in ids:
        default = sidebar.scheme_ids[0]
    else:
        default = tables.most_shown(c.indicator_table(
            khis=c.scored_khis(), by=["scheme"], quarter=label,
            filters=c.without_area(sidebar), settings=c.settings(),
        ), tuple(ids))
    c.url_choice("schemes_profile", "profile", ids)
    if st.session_state.get("schemes_profile") not in ids:
        st.session_state["schemes_profile"] = default if default in ids else ids[0]
    scheme = st.selectbox(
        "Scheme",
        ids,
        format_func=choices.plain.get,
        key="schemes_profile",
        help="Opens on the sidebar's scheme, else on the scheme with the most "
        "indicators shown this quarter.",
        persist_state="page",  # kept while a comparison's tab is open
    )
    c.keep_in_url("profile", scheme)
    return scheme


def profile_tab(label: str, sidebar: c.Filters, who: str) -> None:
    """One scheme across every KHI: a line on the scheme, then its profile as a
    chart and, for those who prefer one, as a table."""
    scheme = profile_choice(label, sidebar)
    if scheme is None or not profile_head(label, sidebar, scheme, who):
        return
    profile_views(label, sidebar, scheme, who)


def profile_frame(
    label: str, sidebar: c.Filters, scheme: str, who: str
) -> tuple[pd.DataFrame, list[KHI]]:
    """The scheme's row per KHI (value, interval, England, range of schemes) and the
    KHIs in that order: the sidebar's respondents', change KHIs left out."""
    filters = c.without_area(sidebar)
    settings = c.settings()
    by_scheme = c.indicator_table(
        khis=c.scored_khis(), by=["scheme"], quarter=label,
        filters=filters, settings=settings,
    )
    # England and the range of schemes are the sector's, whoever looks (kpi decides).
    england = c.england_table(
        khis=c.scored_khis(), quarter=label, filters=filters, settings=settings
    )
    spread = c.scheme_spread(
        khis=c.scored_khis(), quarter=label, filters=filters, settings=settings
    )
    khis = [k for k in catalogue() if k.measure != "change" and who in ("both", k.population)]
    return charts.spine_frame(by_scheme, england, spread, scheme, khis), khis


@c.per_revision
def profile_head(label: str, sidebar: c.Filters, scheme: str, who: str) -> bool:
    """The scheme in one line (region, local authority, CQC rating); False, and said
    so, when it has nothing to show with these filters."""
    register = c.schemes()
    names = c.scheme_choices().names
    info = register[register["scheme_id"] == scheme].iloc[0]
    rating = dict(bank().cqc_ratings).get(str(info.get("cqc_rating")), "Not recorded")
    when = info.get("cqc_rating_date")
    dated = f" (rated {pd.Timestamp(when):%B %Y})" if when is not None and not pd.isna(when) else ""
    st.markdown(
        f"**{names[scheme]}** · {info['region']}"
        + (f" · {c.md(str(info['local_authority']))}" if info.get("local_authority") else "")
        + f" · CQC rating: **{rating}**{dated}"
    )
    frame, _ = profile_frame(label, sidebar, scheme, who)
    if frame.empty or not (frame["value"].notna().any() or frame["suppressed"].any()):
        st.info(f"{names[scheme]} has no answers with these filters in {label}.")
        return False
    if not frame["value"].notna().any():  # a chart of gaps would say nothing
        st.info(
            f"{names[scheme]} has too few answers with these filters in {label} for any "
            f"indicator to be shown (fewer than {c.settings().min_base} each). Choose "
            "another scheme or quarter."
        )
        return False
    return True


@c.per_revision
def profile_views(label: str, sidebar: c.Filters, scheme: str, who: str) -> None:
    """One scheme across every KHI: value vs England and the range of schemes, as
    a chart and then in words and numbers (read, not sorted: a static table)."""
    frame, khis = profile_frame(label, sidebar, scheme, who)
    name = c.scheme_choices().names[scheme]
    c.chart(
        charts.spine_chart(frame, title=f"{name} compared with England, {label}"),
        "schemes_spine",
    )
    # The table's region is named without the scheme's name: a name is the scheme's
    # to choose, and its escapes for Markdown would be read out in an attribute.
    c.static_table(tables.profile_table(frame, khis),
                   f"The profile across every indicator, {label}")


def render() -> None:
    """Draw the page for the sidebar's quarter, support type and respondents."""
    label = c.start_page("Schemes")
    if label is None:
        return
    code = c.khi_picker("schemes_khi")
    page_tabs(label, code, c.current_filters())


@c.per_revision
def comparison_section(label: str, code: str, sidebar: c.Filters, show: str) -> bool:
    """The indicator in words, over a comparison's view; False when no scheme has
    answers to compare (then said so, and no view)."""
    filters = c.without_area(sidebar)
    settings = c.settings()
    khi = khi_by_code(code)
    area = area_of(sidebar)
    if area is None:
        where = "Every scheme in England and the nations is shown; choose a region in the "
        where += "sidebar to pick out its schemes."
    elif show == "alone":
        where = f"Only the schemes in {area} are shown, against England's limits."
    else:
        where = f"The schemes in {area} are outlined; the others are faded."
    st.caption(
        f"{c.khi_explained(khi)} {where} The sidebar's scheme is marked. "
        + c.suppressed_note(settings.min_base)
    )
    table = c.indicator_table(
        khis=[code],
        by=["scheme"],
        quarter=label,
        filters=filters,
        settings=settings,
    )
    if table is None or table.empty or not table["value"].notna().any():
        st.info(
            "No scheme has enough answers with these filters in this quarter. Try "
            "another quarter, support type or respondents."
        )
        return False
    return True
