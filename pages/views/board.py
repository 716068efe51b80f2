"""Quarterly board page: one quarter, one area; what changed, is it real, what needs attention.

Everything shown comes from one ``kpi.board.BoardPack`` (the PDF reads the same
pack), so the page, the PDF and the CSV always agree.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from kpi import report
from kpi.board import BoardPack, BoardRow, board_summary
from kpi.export import safe_csv
from kpi.items import bank
from kpi.periods import quarter_label
from kpi.store import Store
from pages import _common as c

ALL = "all"


# ------------------------------------------------------------------- cached work ---
@st.cache_resource(show_spinner="Preparing the board page…", max_entries=32)
def _pack(
    path: str, rev: int, quarter: str, area: str, scope: tuple[str, ...] | None
) -> BoardPack:
    kind, _, value = area.partition(":")
    return board_summary(
        Store(path),
        quarter=quarter,
        region=value if kind == "region" else None,
        scheme=value if kind == "scheme" else None,
        settings=c.settings(),
        scope=scope,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _csv(path: str, rev: int, quarter: str, area: str, scope: tuple[str, ...] | None) -> str:
    return safe_csv(_pack(path, rev, quarter, area, scope).to_frame())


@st.cache_data(show_spinner=False, max_entries=8)
def _pdf(path: str, rev: int, quarter: str, area: str, scope: tuple[str, ...] | None) -> bytes:
    return report.render_pdf(_pack(path, rev, quarter, area, scope))


@st.cache_data(show_spinner=False, max_entries=32)
def _png(
    path: str, rev: int, quarter: str, area: str, scope: tuple[str, ...] | None, domain: str
) -> bytes:
    pack = _pack(path, rev, quarter, area, scope)
    rows = dict(pack.domains())[domain]
    return report.renderer().render([report.domain_chart(domain, rows)])[0]


# ------------------------------------------------------------------- choices ---
def area_options() -> dict[str, str]:
    """Area key -> label: England and the nations, each region, each scheme in scope."""
    return _area_options(str(c.db_path()), c.revision(), c.user_scope())


@st.cache_resource(show_spinner=False, max_entries=8)
def _area_options(path: str, rev: int, scope: tuple[str, ...] | None) -> dict[str, str]:
    options: dict[str, str] = {}
    if scope is None:
        options[ALL] = "England and the nations"
        options |= {f"region:{r.name}": r.name for r in bank().regions}
    register = c.schemes()
    for scheme_id, name, region in zip(register["scheme_id"], register["name"], register["region"]):
        options[f"scheme:{scheme_id}"] = f"{name} ({region})"
    return options


def _default_area(options: dict[str, str]) -> str:
    """The sidebar's scheme or region when set, else everything."""
    filters = c.current_filters()
    for key in (
        f"scheme:{filters.scheme_ids[0]}" if filters.scheme_ids else None,
        f"region:{filters.regions[0]}" if filters.regions else None,
    ):
        if key in options:
            return key
    return next(iter(options))


def md(text: str) -> str:
    """Plain text safe inside st.markdown (scheme names come from uploaded registers)."""
    return re.sub(r"([\\`*_\[\]$<>#|~])", r"\\\1", text)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# ------------------------------------------------------------------- drawing ---
def domain_table(rows: list[BoardRow], pack: BoardPack) -> pd.DataFrame:
    """One line per KHI, in the same words as the PDF."""

    def line(text: str) -> str:
        return text.replace("\n", " · ")

    return pd.DataFrame(
        {
            "Indicator": [r.name for r in rows],
            "This quarter": [
                line(report.value_words(r, pack.settings.min_base)) for r in rows
            ],
            "Since last quarter": [line(report.change_words(r, "quarter")[0]) for r in rows],
            "Since last year": [line(report.change_words(r, "year")[0]) for r in rows],
            "Trend (8 quarters)": [report.trend_words(r)[0] for r in rows],
            "Compared with England": [
                line(report.benchmark_words(r, pack)[0]) for r in rows
            ],
        }
    )


def coloured(cell: object) -> str:
    """Blue for better, orange for worse (st.table cells are Markdown): the icon and
    words already say it. Why not a pandas Styler: Streamlit restyles it on every
    rerun, which cost more than the rest of the page."""
    text = str(cell)
    if text.startswith("▲"):
        return f":blue[{text}]"
    if text.startswith("▼"):
        return f":orange[{text}]"
    return text


def _flags(pack: BoardPack) -> None:
    left, right = st.columns(2)
    with left:
        st.markdown("#### :material/warning: Needs attention")
        if pack.attention:
            st.markdown("\n".join(f"- ▼ {md(line)}" for line in report.flags_text(pack.attention)))
        else:
            what = (
                "worse than England and getting worse"
                if pack.benchmark_applies
                else "getting significantly worse"
            )
            st.markdown(f"No indicator is {what}.")
    with right:
        st.markdown("#### :material/thumb_up: Improved")
        if pack.improved:
            st.markdown("\n".join(f"- ▲ {md(line)}" for line in report.flags_text(pack.improved)))
        else:
            st.markdown("No indicator improved by more than chance would explain.")


@c.replayed
def body(quarter: str, area: str, scope: tuple[str, ...] | None) -> None:
    """Everything under the downloads: the summary, the flags, what to know about
    the numbers, then each domain's table (in the PDF's words) and run charts.

    Cells are coloured with Markdown, not a pandas Styler (see ``coloured``).
    """
    pack = _pack(str(c.db_path()), c.revision(), quarter, area, scope)
    st.markdown("### Summary")
    st.markdown("\n".join(f"- {md(sentence)}" for sentence in pack.summary))
    _flags(pack)
    st.markdown("#### :material/info: About these numbers")
    st.markdown("\n".join(f"- {md(s)}" for s in pack.caveats.sentences()))
    with st.expander("How to read this page"):
        st.markdown(md(report.METHODS))
    for domain, rows in pack.domains():
        st.markdown(f"### {domain}")
        st.table(domain_table(rows, pack).set_index("Indicator").map(coloured))
        figure = report.domain_chart(domain, rows)
        figure.update_layout(width=None, autosize=True)
        st.plotly_chart(
            figure,
            key=f"board_chart_{_slug(domain)}",
            config={"displaylogo": False},
            theme=None,
        )
    st.caption(c.suppressed_note(pack.settings.min_base))


def downloads(pack: BoardPack, quarter: str, area: str) -> None:
    """The take-aways in one row: the PDF, the numbers, and one domain's run charts
    as PNG (as the PDF draws them), each built only when clicked."""
    path, rev, scope = str(c.db_path()), c.revision(), c.user_scope()
    stem = f"khi_board_{_slug(pack.area_label)}_{_slug(pack.quarter_label)}"
    row = st.container(horizontal=True, vertical_alignment="bottom")
    row.download_button(
        "Board pack (PDF)",
        data=lambda: _pdf(path, rev, quarter, area, scope),
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        key="board_pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
    )
    row.download_button(
        "Numbers (CSV)",
        data=lambda: _csv(path, rev, quarter, area, scope),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="board_csv",
        icon=":material/table:",
        on_click="ignore",
    )
    domains = [domain for domain, _ in pack.domains()]
    if st.session_state.get("board_png_domain") not in domains:
        st.session_state.pop("board_png_domain", None)
    domain = row.selectbox("Run charts of", domains, key="board_png_domain", width=260)
    row.download_button(
        "Run charts (PNG)",
        data=lambda: _png(path, rev, quarter, area, scope, domain),
        file_name=f"{stem}_{_slug(domain)}.png",
        mime="image/png",
        key="board_png",
        icon=":material/image:",
        on_click="ignore",
    )


def render() -> None:
    st.title("Quarterly board page")
    st.caption(
        "One page per quarter and area: what changed, whether it is real, what needs "
        "attention. Take it away as PDF, the numbers as CSV, the charts as PNG."
    )
    quarters = c.available_quarters()
    if not quarters:
        c.empty_store_message()
        return
    labels = [quarter_label(q) for q in reversed(quarters)]
    options = area_options()
    if not options:
        st.info("No schemes are in your scope.")
        return
    if st.session_state.get("board_quarter") not in labels:
        current = c.current_quarter()
        st.session_state["board_quarter"] = current if current in labels else labels[0]
    if st.session_state.get("board_area") not in options:
        st.session_state["board_area"] = _default_area(options)
    left, right = st.columns([1, 2])
    quarter = left.selectbox("Quarter", labels, key="board_quarter")
    area = right.selectbox("Area", list(options), format_func=options.get, key="board_area")

    path, rev, scope = str(c.db_path()), c.revision(), c.user_scope()
    try:
        pack = _pack(path, rev, quarter, area, scope)
    except ValueError as exc:
        st.warning(str(exc))
        return

    st.subheader(f"{pack.area_label} · {pack.quarter_label}")
    if pack.is_demo:
        st.warning(
            "**Demo data**: a synthetic sector, not real schemes.", icon=":material/science:"
        )
    downloads(pack, quarter, area)
    body(quarter, area, scope)
