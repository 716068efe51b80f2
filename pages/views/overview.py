"""Overview: one tile per headline KHI, grouped by domain.

Each tile answers a commissioner's first three questions in one glance: what is
the value (with its 95% interval and base), is it different from England (icon
and words, never colour alone), and did it move since last quarter (and could
that be chance). Every number is the engine's: ``indicator_table`` for this and
last quarter; the change test is the board page's own (``kpi.board``), so the
Overview and the board page never disagree about whether a change is real.
"""

from __future__ import annotations

from html import escape

import pandas as pd
import streamlit as st

from kpi.board.tile import (
    LAST_QUARTER,
    LAST_YEAR,
    benchmark_applies,
    comparison_headline,
    comparison_parts,
    is_hidden,
    rows_by_code,
    tile_changes,
    tile_lines,
)
from kpi.catalogue import KHI, catalogue, domains
from kpi.downloads import file_name, tidy_frame
from kpi.indicators import Filters
from kpi.periods import parse_quarter, quarter_label, shift_quarter
from kpi.wording import as_number
from pages.views import _common as c

# Colours for the comparison words (the icon and words carry the meaning; similar
# and not compared keep the text's own colour, which reads on any theme).
WORD_COLOUR = {"better": c.PALETTE["blue"], "worse": c.PALETTE["vermillion"]}


def comparison_html(row: pd.Series | None, khi: KHI) -> str:
    """Icon and words for the comparison with England, with England's value (HTML;
    ``kpi.board.tile.comparison_parts`` decides)."""
    comparison, words, england = comparison_parts(row, khi)
    colour = WORD_COLOUR.get(comparison)
    style = f"color:{colour};font-weight:600" if colour else "font-weight:600"
    return (
        f'<p style="margin:0"><span style="{style}">{escape(words)}</span>'
        f"{escape(england)}</p>"
    )


def tile(
    khi: KHI, now: pd.Series | None, change: str, applies: bool, year: str = ""
) -> str:
    """One KHI tile (HTML for ``card_grid``): value, interval and base, comparison
    with England, change since last quarter and (``year``) since the same quarter
    last year (``kpi.board.tile`` words them). The name carries the definition as
    its tooltip; the value is marked ``data-part="value"`` for tests."""
    hidden = is_hidden(now)
    shown, under = tile_lines(khi, now)
    size = "1.1rem" if hidden else "2rem"
    parts = [
        f'<p style="margin:0;font-weight:600" title="{escape(c.khi_explained(khi))}">'
        f"{escape(khi.name)}</p>",
        f'<p data-part="value" style="margin:0;font-size:{size};line-height:1.2">'
        f"{escape(shown)}</p>",
        f'<p style="{c.MUTED}">{escape(under)}</p>',
    ]
    if not hidden and shown != "–":
        if applies:
            parts.append(comparison_html(now, khi))
        parts.append(f'<p style="margin:0">{escape(change)}</p>')
        if year:
            parts.append(f'<p style="margin:0">{escape(year)}</p>')
    return c.card(khi.name, "".join(parts))


def render() -> None:
    """Draw the page for the sidebar's quarter and filters."""
    label = c.start_page("Overview")
    if label is None:
        return
    filters = c.current_filters()
    tiles(label, filters, st.session_state.get("f_who", "both"))
    table = c.indicator_table(
        khis=c.scored_khis(), quarter=label, filters=filters,
        settings=c.settings(),
    )
    if table is not None and len(table) and table["value"].notna().any():
        area, as_of = c.area_label(filters), c.data_as_of()
        c.csv_download(
            tidy_frame(table, area=area, quarter=label, as_of=as_of),
            file_name("every_indicator", area=area, quarter=label, as_of=as_of),
            "overview_csv", label="Every tile (CSV)",
        )


@c.per_revision
def tiles(label: str, filters: Filters, who: str) -> None:
    """Everything under the title: the tiles by domain, with a sentence on how
    the area compares with England."""
    settings = c.settings()
    quarter = parse_quarter(label)
    previous = quarter_label(shift_quarter(quarter, -1))
    year_ago = quarter_label(shift_quarter(quarter, -4))
    table = c.indicator_table(
        khis=c.scored_khis(), quarter=label, filters=filters,
        settings=settings,
    )
    st.caption(
        f"{c.area_label(filters)} · {label} · change compared with {previous} and with "
        f"{year_ago}. "
        + c.suppressed_note(settings.min_base)
    )
    now_rows = rows_by_code(table)
    changes, yearly = (
        tile_changes(
            catalogue(), now_rows,
            c.indicator_table(khis=c.scored_khis(), quarter=earlier, filters=filters,
                              settings=settings),
            parse_quarter(earlier), settings, since,
        )
        for earlier, since in ((previous, LAST_QUARTER), (year_ago, LAST_YEAR))
    )
    if not any(as_number(r.get("value")) is not None or is_hidden(r)
               for r in now_rows.values()):
        st.info(
            "No answers match these filters in this quarter. Try another quarter, "
            "or widen the region, scheme, support type or respondents."
        )
        return
    applies = benchmark_applies(filters)
    sentence = comparison_headline(table, applies)
    if sentence:
        st.markdown(sentence)
    else:
        st.markdown(
            "These are the values for all of England and the nations: the benchmark the "
            "other views are compared with. Choose a region or scheme in the sidebar to see "
            "how it compares."
        )
    for domain in domains():
        khis = [
            k
            for k in catalogue()
            if k.domain == domain and k.measure != "change" and who in ("both", k.population)
        ]
        if not khis:
            continue
        c.card_grid(
            [
                tile(k, now_rows.get(k.code), changes[k.code], applies, yearly[k.code])
                for k in khis
            ],
            heading=domain,
        )
    st.caption(
        "Change for the same people over time (wellbeing and friends) is on the "
        "**Change over time** page."
    )

