"""What pages draw with, besides charts: text made safe for Markdown, tables as
Markdown, cards, the KHIs' words, messages, downloads and the page's CSS.

Plain drawing helpers: nothing here reads the store, the filters or the
session's access, so every other helper module can use them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from kpi import charts
from kpi.catalogue import KHI, catalogue
from kpi.wording import comparison_words, polarity_words

# One palette and one set of comparison words for pages and charts alike.
PALETTE, SEQUENCE, COMPARISON_STYLE = charts.PALETTE, charts.SEQUENCE, charts.COMPARISON_STYLE


# ---------------------------------------------------------------------- text ---
# The characters Markdown (or the HTML it lets through) would act on.
MARKDOWN_SPECIALS = r"[\\`*_\[\]$<>#|~]"


def md(text: str) -> str:
    """Plain text safe inside st.markdown, captions, messages and widget labels: what
    a user typed (scheme names, file names, column headers) is shown as typed, never
    drawn as Markdown or HTML."""
    return re.sub(f"({MARKDOWN_SPECIALS})", r"\\\1", text)


def markdown_table(
    table: pd.DataFrame,
    cell: Callable[[object], str] | None = None,
    *,
    html_columns: Collection[str] = (),
) -> str:
    """A table as Markdown; each cell through ``cell`` (default: escaped text).

    Why Markdown and not st.table: a heading and its table are then one element,
    drawn without an Arrow conversion, and cells can carry Markdown colour.
    ``html_columns``: columns whose cells are HTML built by the code (a chart's
    ``<img>``), put in as they are; draw such a table with ``unsafe_allow_html``.
    Every other cell is escaped, so nothing a user typed can become HTML.
    """
    cell = cell or (lambda value: md(str(value)))
    raw = [column in html_columns for column in table.columns]
    lines = [
        "| " + " | ".join(md(str(h)) for h in table.columns) + " |",
        "| " + " | ".join("---" for _ in table.columns) + " |",
    ]
    lines += [
        "| " + " | ".join(str(v) if r else cell(v) for v, r in zip(row, raw)) + " |"
        for row in table.itertuples(index=False)
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------- cards ---
def html_table(
    table: pd.DataFrame,
    *,
    placeholder: str = "–",
    cell: Callable[[object], str] | None = None,
    html_columns: Collection[str] = (),
) -> str:
    """A table as an HTML ``<table>``: a header row of column headings (``th
    scope="col"``), then a row per row. Every heading and cell is escaped text, so
    nothing a user typed can become HTML; a gap reads ``placeholder``, a whole
    number has no ".0" (a count beside a gap is a float). ``cell``: each cell's HTML
    instead (it escapes what it puts in); ``html_columns``: columns whose cells are
    HTML built by the code (a chart's ``<img>``), put in as they are."""
    head = "".join(f'<th scope="col">{html.escape(str(h))}</th>' for h in table.columns)
    raw = [column in html_columns for column in table.columns]
    rows = []
    for row in table.itertuples(index=False):
        cells = []
        for value, as_is in zip(row, raw):
            if as_is or cell is not None:
                cells.append(f"<td>{value if as_is else cell(value)}</td>")
                continue
            if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                value = placeholder
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            cells.append(f"<td>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def static_table(frame: pd.DataFrame, label: str, *, placeholder: str = "–") -> None:
    """A table people read rather than sort, as one HTML table (``STATIC_TABLE``).

    Why not ``st.dataframe``: its grid is drawn on a canvas, and in
    ``benchmarks/browser_benchmark.py`` the Equity and Data quality pages' grids
    (two of them folded away, unseen) cost a visit more than their charts. Why
    not ``st.table`` either: it draws each cell as a Markdown element of its own,
    and a table of 150 schemes by 8 quarters took longer still. Why not one
    Markdown table (as before): the browser parsed each as Markdown and then, for
    the region around it, as HTML in JavaScript; a warm Data quality visit cost
    Chromium 1,040 ms of CPU with them and 775 ms as HTML (paired clicks, the same
    run). Screen readers read it as a table, its columns headed. Long tables that
    people sort (schemes, uploads) stay grids. Every cell is escaped, so pass names
    as registered, not already escaped.

    A table wider than the page (six columns in an 800 px window) scrolls
    sideways inside a region named ``label`` that takes the keyboard's focus,
    so the page itself never does (WCAG 1.4.10; axe-core's
    "scrollable-region-focusable").
    """
    table = html_table(frame, placeholder=placeholder)
    st.html(
        f'<div class="{STATIC_TABLE}" role="region" aria-label="{html.escape(label)}" '
        f'tabindex="0" style="overflow-x:auto">{table}</div>'
    )


CARD_STYLE = (
    "border:1px solid rgba(128,128,128,.35);border-radius:.5rem;padding:.75rem 1rem;"
    "display:flex;flex-direction:column;gap:.3rem"
)
# Muted text that reads on a light or a dark theme (inherits the theme's colour).
MUTED = "font-size:.875rem;opacity:.9;margin:0"


def card(label: str, body: str) -> str:
    """One card of a ``card_grid``: a group named ``label`` for screen readers (and
    for tests: ``get_by_role("group", name=...)``). ``body`` is HTML, escaped by
    the caller."""
    return f'<div role="group" aria-label="{html.escape(label)}" style="{CARD_STYLE}">{body}</div>'


def card_grid(cards: list[str], min_width: str = "15rem", heading: str | None = None) -> None:
    """Cards in a grid that wraps to the page's width, drawn as one element.

    Why HTML in one Markdown element, not a bordered container per card: a page
    of tiles stays one element to send and draw, not several per tile, and a CSS
    grid fits as many cards as the width allows, where fixed columns squeeze at a
    laptop's width. ``heading`` (Markdown, drawn as a subheader) goes in the same
    element.
    """
    st.markdown(
        (f"### {heading}\n\n" if heading else "")
        + '<div style="display:grid;gap:.75rem;margin:0 0 1rem;'
        f'grid-template-columns:repeat(auto-fill,minmax({min_width},1fr))">'
        + "".join(cards)
        + "</div>",
        unsafe_allow_html=True,
    )


# ------------------------------------------------------------ the KHIs' words ---
def scored_khis() -> list[str]:
    """The KHIs the tiles and profiles show: every one but the change KHIs, which
    have their own page."""
    return [k.code for k in catalogue() if k.measure != "change"]


def value_axis(khi: KHI) -> dict[str, Any]:
    """A chart's value axis for a KHI (spread into a chart builder's arguments):
    per cent for proportions, else the KHI's own scale, named after it."""
    return {"value_title": "Per cent" if khi.is_proportion else khi.name,
            "percent": khi.is_proportion}


def khi_explained(khi: KHI) -> str:
    """The KHI's definition and which direction is good, as the pages say it."""
    return f"{khi.definition} {polarity_words(khi).capitalize()}."


# ------------------------------------------------------------------ messages ---
def empty_store_message() -> None:
    """What an empty store shows: a way in, not an error."""
    st.info(
        "There is no survey data yet. Upload a survey export on the **Upload** page, "
        "or load the demo sector with `python -m kpi demo`."
    )


def suppressed_note(min_base: int) -> str:
    return (
        f"Cells with fewer than {min_base} answers are hidden to protect privacy, and where "
        "one cell of a breakdown is hidden a second one is too."
    )


# ----------------------------------------------------------------- downloads ---
@dataclass(frozen=True)
class Download:
    """One download button: ``data`` is called when the button is clicked."""

    label: str
    data: Callable[[], bytes | str]
    file_name: str
    mime: str
    key: str
    icon: str
    help: str | None = None


def download_row(downloads: list[Download]) -> None:
    """Download buttons side by side. Each file is built only when its button is
    clicked, and a click does not rerun the page (``on_click="ignore"``): so each is
    built only if the person still has the role and scope the page was drawn with."""
    from pages.views.access import checked_when_run

    row = st.container(horizontal=True, vertical_alignment="bottom")
    for item in downloads:
        row.download_button(
            item.label,
            data=checked_when_run(item.data),
            file_name=item.file_name,
            mime=item.mime,
            key=item.key,
            help=item.help,
            icon=item.icon,
            on_click="ignore",
        )


def csv_download(
    frame: pd.DataFrame, stem: str, key: str, *, label: str = "Download (CSV)"
) -> None:
    """A visible CSV download of exactly the table the page shows (hidden cells
    already empty: the engine's disclosure control), spreadsheet-safe."""
    from kpi.export import safe_csv

    stem = stem.removesuffix(".csv")  # a name from kpi.downloads.file_name
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") + ".csv"
    download_row([
        Download(label, lambda: safe_csv(frame), name, "text/csv", key, ":material/download:")
    ])


# What a download of a KHI table keeps: the numbers the page shows, by name.
TABLE_COLUMNS = {
    "group": "Group", "quarter_label": "Quarter", "n": "Base (answers)", "count": "Count",
    "value": "Value", "lower95": "95% interval from", "upper95": "95% interval to",
    "benchmark": "England", "comparison": "Compared with England",
    "mean_change": "Average change", "share_better": "Share better (%)",
    "share_same": "Share the same (%)", "share_worse": "Share worse (%)",
    "label": "Answer", "percent": "Per cent", "khi": "Indicator code",
}


def shown_columns(frame: pd.DataFrame, first: dict[str, str] | None = None) -> pd.DataFrame:
    """The engine's table cut to the columns a page shows, with readable headings
    (``first``: extra columns to lead with). Hidden cells are already empty."""
    names = {**(first or {}), **TABLE_COLUMNS}
    if "comparison" in frame.columns:  # the comparison in words, with its level
        flags = frame["outside998"] if "outside998" in frame.columns else [False] * len(frame)
        frame = frame.assign(comparison=[
            comparison_words(word, outside998=flag)
            for word, flag in zip(frame["comparison"].astype(str), flags)
        ])
    kept = [column for column in names if column in frame.columns]
    return frame[kept].rename(columns=names)


# ------------------------------------------------------------- accessibility ---
# The class of the blocks holding an HTML table (``static_table``'s, the board's),
# styled in PAGE_CSS as Streamlit styles a Markdown table.
STATIC_TABLE = "khi-table"
# WCAG 2.2 AA where Streamlit's defaults fall short: captions and muted text at
# 4.5:1 or more (Streamlit draws them at about 3.8:1), a focus ring on everything
# a keyboard reaches (2.4.7, 2.4.11), and a print stylesheet that leaves out the
# sidebar, the tool bars and the buttons so the page prints as a report.
TABLE_CSS = f"""
.{STATIC_TABLE} table {{ border-collapse: collapse; font-size: .875rem; margin: 0 0 1rem; }}
.{STATIC_TABLE} th, .{STATIC_TABLE} td {{
  border: 1px solid rgba(128, 128, 128, .35); padding: .25rem .375rem;
  text-align: left; vertical-align: top;
}}
.{STATIC_TABLE} th {{ font-weight: 600; }}"""
# Containers whose columns stand one under another where the main column is narrow:
# two charts side by side in an 800 px window were 230 px wide each, their titles and
# labels cut off. A container query (the column's width, not the window's): the
# sidebar may be open or closed.
SIDE_BY_SIDE = "khi_side_"
STACK_BELOW_PX = 700
STACK_CSS = f"""
[class*="st-key-{SIDE_BY_SIDE}"] {{ container: khi-side / inline-size; }}
@container khi-side (max-width: {STACK_BELOW_PX}px) {{
  [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; }}
  [data-testid="stColumn"] {{ flex: 1 1 100% !important; min-width: 100% !important; }}
}}
"""


def side_by_side(key: str):
    """A container whose ``st.columns`` stack in a narrow main column (``STACK_BELOW_PX``):
    ``with c.side_by_side("regions_map"): left, right = st.columns(widths)``, each
    chart then drawn with ``share=`` from ``charts.column_shares(widths)``."""
    return st.container(key=f"{SIDE_BY_SIDE}{key}")


PAGE_CSS = "\n<style>" + TABLE_CSS + STACK_CSS + """
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] [data-testid="stTooltipIcon"],
[data-testid="stSidebar"] [data-testid="stCaptionContainer"] {
  color: #4b4e5a !important; opacity: 1 !important;
}
:is(a, button, input, select, textarea, summary, [tabindex]):focus-visible,
[data-baseweb="select"]:focus-within, [data-baseweb="input"]:focus-within {
  outline: 3px solid #0b5394 !important; outline-offset: 2px !important;
}
.js-plotly-plot .modebar-btn { min-width: 28px; min-height: 28px; padding: 4px !important; }
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stDownloadButton"], .modebar-container { display: none !important; }
  [data-testid="stMain"] { margin-left: 0 !important; }
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0 1rem !important; }
}
</style>
"""


def page_style() -> None:
    """The dashboard's own CSS (see PAGE_CSS), sent with every page."""
    st.html(PAGE_CSS)
