"""Schemes: compare schemes fairly, and see one scheme across every KHI.

Schemes range from a handful of people to several hundred, so a league table
would rank chance. This page shows a funnel plot (proportion KHIs: each scheme
against limits that widen for small schemes), a ranked chart with every
scheme's 95% interval and the England line, and one scheme's profile across all
KHIs relative to England and the range of schemes, with its CQC rating. All
values come from the engine (``funnel``, ``indicator_table`` by scheme);
hidden schemes are simply not plotted.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import charts, wording
from kpi.catalogue import KHI, catalogue
from kpi.catalogue import khi as khi_by_code
from kpi.items import bank
from pages.views import _common as c

HIDDEN = "Too few answers to show"


def with_names(table: pd.DataFrame, region: str | None = None) -> pd.DataFrame:
    """The engine's by-scheme table with each scheme's name, region and CQC rating
    beside its id, and ``in_area`` (in ``region``; every scheme when None)."""
    register = c.schemes().set_index("scheme_id")
    names = c.scheme_choices().names
    out = table.copy()
    ids = out["scheme"].astype(str)
    out["name"] = [names.get(s, s) for s in ids]
    out["region"] = [register["region"].get(s, "") for s in ids]
    ratings = dict(bank().cqc_ratings)
    out["cqc"] = [
        ratings.get(str(register["cqc_rating"].get(s)), "Not recorded") for s in ids
    ]
    out["in_area"] = True if region is None else out["region"] == region
    return out


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
    )
    c.keep_in_url("show", shown)
    return shown


def area_of(sidebar: c.Filters) -> str | None:
    return sidebar.regions[0] if sidebar.regions else None


def chosen_name(sidebar: c.Filters) -> str | None:
    return c.scheme_choices().names.get(sidebar.scheme_ids[0]) if sidebar.scheme_ids else None


def is_hidden(row: pd.Series) -> bool:
    flag = row.get("suppressed", False)
    return bool(flag) and not pd.isna(flag)


# ----------------------------------------------------------------- comparison ---
def funnel_section(khi: KHI, label: str, sidebar: c.Filters, show: str) -> None:
    """Proportions: the engine's funnel plot (95% and 99.8% limits, pooled line),
    England's limits whether the area's schemes are highlighted or shown alone."""
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
            f"{words[r['position']]} than expected "
            f"({wording.direction(khi, 1 if r['position'] == 'above998' else -1)})"
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
BENCHMARK_WORDS = {"england": "England", "region": "its region"}


def benchmark_choice() -> str:
    """England, or the scheme's own region (kept in the URL as ``vs``)."""
    c.url_choice("schemes_benchmark", "vs", list(BENCHMARK_WORDS))
    chosen = st.radio(
        "Compare each scheme with",
        list(BENCHMARK_WORDS),
        format_func=lambda b: BENCHMARK_WORDS[b].capitalize(),
        horizontal=True,
        key="schemes_benchmark",
        help="With a support type chosen in the sidebar, England means England's "
        "schemes for that support type.",
    )
    c.keep_in_url("vs", chosen)
    return chosen


@c.per_revision
def ranked_section(label: str, code: str, sidebar: c.Filters, benchmark: str, show: str) -> None:
    """Every scheme with its 95% interval, ranked, against the benchmark chosen just
    above the chart (the England line when that is England: a region's value
    differs by scheme)."""
    khi = khi_by_code(code)
    england, highlight = benchmark_line(label, code, sidebar)
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
    hidden = int(table.apply(is_hidden, axis=1).sum()) if len(table) else 0
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


def scheme_table(table: pd.DataFrame, khi: KHI, against: str) -> pd.DataFrame:
    """One row per scheme as the page shows it: numbers stay numbers (so the table
    sorts by value), hidden schemes carry no value, interval or base."""
    hidden = table.apply(is_hidden, axis=1) if len(table) else pd.Series(dtype=bool)

    def shown(column: str) -> pd.Series:
        values = pd.to_numeric(table[column], errors="coerce").round(1)
        return values.mask(hidden)

    return pd.DataFrame(
        {
            "Scheme": table["name"],
            "Region": table["region"],
            "Value" + (" (%)" if khi.is_proportion else ""): shown("value"),
            "95% interval from": shown("lower95"),
            "95% interval to": shown("upper95"),
            "Base (answers)": shown("n").astype("Int64"),
            f"Compared with {against}": [
                HIDDEN if h else c.comparison_words(r)
                for h, r in zip(hidden, table["comparison"].astype(str))
            ],
            "CQC rating": table["cqc"],
        }
    ).reset_index(drop=True)


def table_section(label: str, code: str, sidebar: c.Filters, benchmark: str, show: str) -> None:
    """The schemes as a sortable table (click a column heading) and its CSV."""
    khi = khi_by_code(code)
    against = BENCHMARK_WORDS[benchmark]
    frame = scheme_table(scheme_rows(label, code, sidebar, benchmark, show), khi, against)
    area = area_of(sidebar)
    st.subheader(
        f"Schemes{' in ' + area if area and show == 'alone' else ''} as a table"
    )
    if area and show == "highlight":
        frame = frame.sort_values("Region", key=lambda r: r != area, kind="stable")
    st.dataframe(frame, hide_index=True, key="schemes_table")
    c.csv_download(
        frame, f"schemes_{code}_{label}", "schemes_table_csv", label="Table (CSV)"
    )


# -------------------------------------------------------------------- profile ---
def profile_choice(label: str, sidebar: c.Filters) -> str | None:
    """The heading and the scheme to profile (the sidebar's, when one is chosen)."""
    st.subheader("One scheme across every indicator")
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
        default = most_shown(label, sidebar, tuple(ids))
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
    )
    c.keep_in_url("profile", scheme)
    return scheme


def most_shown(label: str, sidebar: c.Filters, ids: tuple[str, ...]) -> str | None:
    """The scheme of ``ids`` with the most indicators shown (not hidden for too few
    answers) in the quarter, then the most answers: the first scheme in the register
    is often a small one whose profile is all gaps."""
    table = c.indicator_table(
        khis=c.scored_khis(), by=["scheme"], quarter=label,
        filters=c.without_area(sidebar), settings=c.settings(),
    )
    table = table[table["scheme"].isin(ids)]
    if table.empty:
        return None
    shown = table.assign(shown=table["value"].notna(), answers=table["n"].fillna(0))
    ranked = shown.groupby("scheme")[["shown", "answers"]].sum()
    return str(ranked.sort_values(["shown", "answers"], ascending=False).index[0])


@c.per_revision
def profile_section(label: str, sidebar: c.Filters, scheme: str, who: str) -> None:
    """One scheme across every KHI: value vs England and the range of schemes."""
    filters = c.without_area(sidebar)
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
    settings = c.settings()
    by_scheme = c.indicator_table(
        khis=c.scored_khis(), by=["scheme"], quarter=label,
        filters=filters, settings=settings,
    )
    england = c.indicator_table(
        khis=c.scored_khis(), quarter=label, filters=filters,
        settings=settings,
    )
    khis = [k for k in catalogue() if k.measure != "change" and who in ("both", k.population)]
    frame = charts.spine_frame(by_scheme, england, scheme, khis)
    if frame.empty or not (frame["value"].notna().any() or frame["suppressed"].any()):
        st.info(f"{names[scheme]} has no answers with these filters in {label}.")
        return
    if not frame["value"].notna().any():  # a chart of gaps would say nothing
        st.info(
            f"{names[scheme]} has too few answers with these filters in {label} for any "
            f"indicator to be shown (fewer than {settings.min_base} each). Choose another "
            "scheme or quarter."
        )
        return
    c.chart(
        charts.spine_chart(frame, title=f"{names[scheme]} compared with England, {label}"),
        "schemes_spine",
    )
    st.dataframe(
        profile_table(frame, khis),
        hide_index=True,
        key="schemes_profile_table",
        height=35 * (len(frame) + 1) + 3,
    )


def profile_table(frame: pd.DataFrame, khis: list[KHI]) -> pd.DataFrame:
    """The profile in words and numbers, for those who prefer a table."""
    rows = []
    for khi, (_, r) in zip(khis, frame.iterrows()):
        hidden = bool(r["suppressed"])
        rows.append(
            {
                "Indicator": khi.name,
                "This scheme": HIDDEN if hidden else c.format_value(r["value"], khi),
                "95% interval": ""
                if hidden
                else c.format_interval(r["lower95"], r["upper95"], khi),
                "England": c.format_value(r["benchmark"], khi),
                "Range of schemes": ""
                if pd.isna(r["lowest"])
                else f"{c.format_value(r['lowest'], khi)} to {c.format_value(r['highest'], khi)}",
                "Compared with England": c.comparison_words(
                    "not compared" if hidden else r["comparison"]
                ),
            }
        )
    return pd.DataFrame(rows)


def render() -> None:
    """Draw the page for the sidebar's quarter, support type and respondents."""
    label = c.start_page("Schemes")
    if label is None:
        return
    code = c.khi_picker("schemes_khi")
    sidebar = c.current_filters()
    show = show_choice(sidebar)
    if comparison_section(label, code, sidebar, show):
        benchmark = benchmark_choice()
        ranked_section(label, code, sidebar, benchmark, show)
        table_section(label, code, sidebar, benchmark, show)
    scheme = profile_choice(label, sidebar)
    if scheme is not None:
        profile_section(label, sidebar, scheme, st.session_state.get("f_who", "both"))


def benchmark_line(label: str, code: str, sidebar: c.Filters) -> tuple[float | None, str | None]:
    """England's value (the ranked chart's line) and the sidebar's scheme, by name."""
    filters = c.without_area(sidebar)
    total = c.indicator_table(
        khis=[code], quarter=label, filters=filters, settings=c.settings()
    )
    england = float(total["value"].iloc[0]) if len(total) and total["value"].notna().any() else None
    highlight = c.scheme_choices().names.get(sidebar.scheme_ids[0]) if sidebar.scheme_ids else None
    return england, highlight


@c.per_revision
def comparison_section(label: str, code: str, sidebar: c.Filters, show: str) -> bool:
    """The indicator in words and, for proportions, the funnel plot; False when no
    scheme has answers to compare (then only the profile follows)."""
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
    if khi.is_proportion:
        funnel_section(khi, label, sidebar, show)
    return True
