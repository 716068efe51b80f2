"""All indicators at a glance: every KHI (rows) by every area the viewer may see
(columns), each cell marked by its comparison with the chosen benchmark.

For the commissioner's first question, "where should I look?": the engine's
``overview_grid`` decides the rows, the columns and each cell's words (within the
viewer's scope, hidden cells marked); this page only draws them. Each cell carries
an icon and words as well as its colour (never colour alone), names itself in
full for screen readers, and links to Indicator detail for that KHI and area.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from kpi.catalogue import catalogue
from kpi.downloads import file_name
from kpi.indicators import grid as engine_grid
from kpi.wording import BENCHMARK_NAMES
from pages.views import _common as c

grid_of = c.on_store(engine_grid.overview_grid)

COLUMN_WORDS = {"region": "Regions", "scheme": "Schemes"}
BENCHMARK_WORDS = {"england": "England", "region": "Each scheme's region"}
ORDER_WORDS = {
    "register": "Region, then name",
    "worse": "Most indicators worse first",
    "better": "Most indicators better first",
}
# A cell's colour by status, tints under dark ink (contrast above 4.5:1 on each):
# the palette's blue for better and vermillion for worse, as on every other page.
INK = "#262730"
TINT = {
    "better": "#cfe4f2",
    "similar": "#f2f2f2",
    "worse": "#f6dccb",
    "not compared": "#ffffff",
    engine_grid.HIDDEN: "#ffffff",
    engine_grid.NO_ANSWERS: "#ffffff",
}
TINT_WORDS = {"better": "blue", "similar": "grey", "worse": "orange"}
TABLE_CSS = (
    "border-collapse:collapse;font-size:.875rem;margin:0;"
)
CELL_CSS = "border:1px solid #c8c8cc;padding:.25rem .4rem;text-align:center;white-space:nowrap"
HEAD_CSS = (
    "border:1px solid #c8c8cc;padding:.25rem .4rem;font-weight:600;vertical-align:bottom;"
    "position:sticky;top:0;z-index:1;"
    "min-width:4.75rem;max-width:8rem;white-space:normal;background:#ffffff;color:" + INK
)
ROW_HEAD_CSS = (
    "border:1px solid #c8c8cc;padding:.25rem .4rem;text-align:left;font-weight:400;"
    "position:sticky;left:0;background:#ffffff;min-width:11rem;max-width:15rem;"
    "white-space:normal;color:" + INK
)


def legend(benchmark: str) -> str:
    """What each mark means (Markdown): icon, words and colour."""
    bench = BENCHMARK_NAMES["england"] if benchmark == "england" else "the scheme's region"
    parts = [
        f"{engine_grid.MARKS[s]} {engine_grid.STATUS_WORDS[s].format(bench=bench)}"
        + (f" ({TINT_WORDS[s]})" if s in TINT_WORDS else "")
        for s in engine_grid.STATUSES
    ]
    return "Each cell: " + " · ".join(c.md(p) for p in parts) + "."


def cell_link(row: pd.Series, label: str) -> str:
    """Indicator detail for this KHI and area, with the sidebar's other choices, as
    a relative address (works under any base path)."""
    state = st.session_state
    scheme = row["area"] if row["area"] != row["region"] else "All schemes"
    params = {
        "khi": row["khi"],
        "quarter": label,
        "region": row["region"],
        "scheme": scheme,
        "support": state.get("f_support", "All support types"),
        "who": state.get("f_who", "both"),
    }
    return "indicator?" + urlencode(params)


def cell_text(row: pd.Series) -> str:
    """A cell's text (escaped HTML): its mark a little larger, so the shapes tell
    apart at a glance, then the rest of the engine's words."""
    mark, rest = str(row["mark"]), str(row["cell"])[len(str(row["mark"])):]
    return f'<span style="font-size:1.2em">{escape(mark)}</span>{escape(rest)}'


def grid_html(grid: pd.DataFrame, label: str, caption: str) -> str:
    """The grid as one HTML table, every text escaped here: KHIs down (grouped by
    domain), areas across; each cell a link named by its words in full."""
    areas = grid.drop_duplicates("area")[["area", "area_name"]]
    head = "".join(
        f'<th scope="col" style="{HEAD_CSS}">{escape(str(name))}</th>'
        for name in areas["area_name"]
    )
    body: list[str] = []
    domain = None
    for _, rows in grid.groupby("khi", sort=False):
        first = rows.iloc[0]
        if first["domain"] != domain:
            domain = first["domain"]
            body.append(
                f'<tr><th scope="rowgroup" colspan="{len(areas) + 1}" '
                f'style="{ROW_HEAD_CSS};font-weight:700;background:#e8e8ec">'
                f"{escape(str(domain))}</th></tr>"
            )
        cells = "".join(
            f'<td style="{CELL_CSS};background:{TINT[r["status"]]}">'
            f'<a href="{escape(cell_link(r, label))}" target="_self" '
            f'aria-label="{escape(r["words"])}" title="{escape(r["words"])}" '
            f'style="color:{INK};text-decoration:underline">{cell_text(r)}</a></td>'
            for _, r in rows.iterrows()
        )
        body.append(
            f'<tr><th scope="row" style="{ROW_HEAD_CSS}">{escape(str(first["name"]))}</th>'
            f"{cells}</tr>"
        )
    return (
        f'<div role="region" aria-label="{escape(caption)}" tabindex="0" '
        'style="overflow:auto;max-height:80vh">'
        f'<table style="{TABLE_CSS}"><caption style="text-align:left;caption-side:top">'
        f"{escape(caption)}</caption>"
        f'<thead><tr><th scope="col" style="{ROW_HEAD_CSS};top:0;z-index:2">Indicator</th>'
        f"{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def one_of(label: str, options: list[str], words: dict[str, str], key: str, param: str) -> str:
    """A choice kept in the URL: radio buttons, or the one option said in words (a
    lone radio button offers nothing to choose)."""
    if len(options) == 1:
        st.markdown(f"**{c.md(label)}**  \n{c.md(words[options[0]])}")
        return options[0]
    c.url_choice(key, param, options)
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    chosen = st.radio(label, options, format_func=words.get, key=key, horizontal=True)
    c.keep_in_url(param, chosen)
    return chosen


def choices(filters: c.Filters) -> tuple[str, str, str]:
    """The page's own choices (columns, benchmark, order), kept in the URL."""
    kinds = engine_grid.grid_column_kinds(filters)
    row = st.columns(3)
    with row[0]:
        columns = one_of("Columns", list(kinds), COLUMN_WORDS, "grid_columns", "columns")
    benches = engine_grid.GRID_BENCHMARKS[columns]
    with row[1]:
        benchmark = one_of(
            "Compare with", list(benches), BENCHMARK_WORDS, "grid_bench", "bench"
        )
    with row[2]:
        c.url_choice("grid_order", "order", list(engine_grid.ORDERS))
        order = st.selectbox(
            "Order the columns", list(engine_grid.ORDERS), format_func=ORDER_WORDS.get,
            key="grid_order",
        )
        c.keep_in_url("order", order)
    return columns, benchmark, order


def render() -> None:
    """Draw the page for the sidebar's quarter and filters."""
    label = c.start_page("All indicators at a glance")
    if label is None:
        return
    filters = c.current_filters()
    columns, benchmark, order = choices(filters)
    if "region" in engine_grid.grid_column_kinds(filters) and not (
        filters.regions or filters.scheme_ids
    ):
        st.caption("Choose a region in the sidebar to see its schemes side by side.")
    who = st.session_state.get("f_who", "both")
    khis = [
        k.code for k in catalogue() if k.measure != "change" and who in ("both", k.population)
    ]
    grid = grid_of(
        label, filters, c.settings(), columns=columns, benchmark=benchmark, khis=khis
    )
    if grid.empty:
        st.info("No areas to show with these filters. Try another region or scheme.")
        return
    if (grid["status"] == engine_grid.NO_ANSWERS).all():
        st.info(
            "No answers match these filters in this quarter. Try another quarter, "
            "or widen the region, scheme, support type or respondents."
        )
        return
    grid = engine_grid.order_areas(grid, order)
    versus = "England" if benchmark == "england" else "each scheme's region"
    area = (
        c.scheme_choices().plain.get(filters.scheme_ids[0], filters.scheme_ids[0])
        if filters.scheme_ids else c.area_label(filters)
    )
    caption = f"Every indicator by {columns}, {area}, {label}, against {versus}"
    st.caption(
        legend(benchmark) + " Open a cell for that indicator in that area. "
        + c.suppressed_note(c.settings().min_base)
    )
    st.markdown(grid_html(grid, label, caption), unsafe_allow_html=True)
    with st.expander("The grid in words: how many indicators of each kind, by area"):
        counts = engine_grid.grid_counts(grid).rename(
            columns={"area_name": COLUMN_WORDS[columns][:-1],
                     **{s: s.capitalize() for s in engine_grid.STATUSES}}
        )
        c.static_table(counts, f"How many indicators of each kind, by {columns}")
    as_of = c.data_as_of()
    c.csv_download(
        engine_grid.grid_download(grid, label, as_of),
        file_name(("every_indicator_by", columns), area=area, quarter=label, as_of=as_of),
        "grid_csv", label="The grid (CSV)",
    )
