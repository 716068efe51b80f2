"""Overview: one tile per headline KHI, grouped by domain.

Each tile answers a commissioner's first three questions in one glance: what is
the value (with its 95% interval and base), is it different from England (icon
and words, never colour alone), and did it move since last quarter (and could
that be chance). Every number is the engine's: ``indicator_table`` for this and
last quarter; the change test is the board page's own (``kpi.board``), so the
Overview and the board page never disagree about whether a change is real.
"""

from __future__ import annotations

import datetime as dt
from html import escape

import pandas as pd
import streamlit as st

from kpi.board.tile import LAST_QUARTER, LAST_YEAR, comparison_counts, is_hidden, tile_change
from kpi.catalogue import KHI, catalogue, domains
from kpi.downloads import file_name, tidy_frame
from kpi.indicators import Filters
from kpi.periods import parse_quarter, quarter_label, shift_quarter
from pages.views import _common as c

HIDDEN = "Too few answers to show"
# Colours for the comparison words (the icon and words carry the meaning; similar
# and not compared keep the text's own colour, which reads on any theme).
WORD_COLOUR = {"better": c.PALETTE["blue"], "worse": c.PALETTE["vermillion"]}


def _number(row: pd.Series | None, column: str) -> float | None:
    if row is None or column not in row or pd.isna(row[column]):
        return None
    return float(row[column])


def benchmark_applies(filters: Filters) -> bool:
    """England is compared with a region or scheme, not with itself.

    The engine's England benchmark keeps the support-type and respondent filters
    (same people, all schemes), so only an area makes the comparison meaningful.
    """
    return bool(filters.regions or filters.scheme_ids) or filters.scope is not None




def change_since(
    khi: KHI, now: pd.Series | None, before: pd.Series | None, previous: dt.date,
    since: str = LAST_QUARTER,
) -> str:
    """Since an earlier quarter, in words (``kpi.board.tile_change`` decides: the
    board page's own test and words, so a tile and the board never disagree)."""
    return tile_change(khi, now, before, previous, c.settings(), since)


def comparison_html(row: pd.Series | None, khi: KHI) -> str:
    """Icon and words for the comparison with England, with England's value (HTML)."""
    comparison = str(row.get("comparison", "not compared")) if row is not None else "not compared"
    if is_hidden(row) or comparison in ("", "nan", "None"):
        comparison = "not compared"
    outside998 = row.get("outside998", False) if row is not None else False
    words = c.comparison_words(comparison, outside998=outside998)
    bench = _number(row, "benchmark")
    england = f" · England {c.format_value(bench, khi)}" if bench is not None else ""
    colour = WORD_COLOUR.get(comparison)
    style = f"color:{colour};font-weight:600" if colour else "font-weight:600"
    return (
        f'<p style="margin:0"><span style="{style}">{escape(words)}</span>'
        f"{escape(england)}</p>"
    )


def change_lines(
    now: dict[str, pd.Series], previous: str, filters: Filters, settings: c.Settings,
    since: str = LAST_QUARTER,
) -> dict[str, str]:
    """Every tile's change since an earlier quarter (``previous``), in words, from
    this quarter's rows and that quarter's table (drawn once per view: see ``tiles``)."""
    before = rows_by_code(
        c.indicator_table(
            khis=c.scored_khis(), quarter=previous, filters=filters,
            settings=settings,
        )
    )
    return {
        k.code: change_since(
            k, now.get(k.code), before.get(k.code), parse_quarter(previous), since
        )
        for k in catalogue()
        if k.measure != "change"
    }


def tile(
    khi: KHI, now: pd.Series | None, change: str, applies: bool, year: str = ""
) -> str:
    """One KHI tile (HTML for ``card_grid``): value, interval and base, comparison
    with England, change since last quarter and (``year``) since the same quarter
    last year. The name carries the definition as its tooltip; the value is marked
    ``data-part="value"`` for tests."""
    hidden = is_hidden(now)
    value = _number(now, "value")
    shown = HIDDEN if hidden else (c.format_value(value, khi) if value is not None else "–")
    size = "1.1rem" if hidden else "2rem"
    parts = [
        f'<p style="margin:0;font-weight:600" title="{escape(c.khi_explained(khi))}">'
        f"{escape(khi.name)}</p>",
        f'<p data-part="value" style="margin:0;font-size:{size};line-height:1.2">'
        f"{escape(shown)}</p>",
    ]
    if hidden:
        parts.append(f'<p style="{c.MUTED}">Fewer answers than the privacy minimum, so '
                     "nothing is shown.</p>")
    elif value is None:
        parts.append(f'<p style="{c.MUTED}">No answers this quarter.</p>')
    else:
        interval = c.format_interval(_number(now, "lower95"), _number(now, "upper95"), khi)
        n = _number(now, "n")
        base = f"{int(n):,} answered" if n is not None else ""
        details = " · ".join(p for p in (f"95% interval {interval}" if interval else "", base) if p)
        parts.append(f'<p style="{c.MUTED}">{escape(details)}</p>')
        if applies:
            parts.append(comparison_html(now, khi))
        parts.append(f'<p style="margin:0">{escape(change)}</p>')
        if year:
            parts.append(f'<p style="margin:0">{escape(year)}</p>')
    return c.card(khi.name, "".join(parts))


def headline(table: pd.DataFrame, applies: bool) -> str | None:
    """One sentence: how many KHIs are better, similar or worse than England."""
    if not applies or table.empty or "comparison" not in table:
        return None
    return comparison_counts(table["comparison"])


def rows_by_code(table: pd.DataFrame) -> dict[str, pd.Series]:
    """The engine's table keyed by KHI code (one row per KHI: no grouping)."""
    if table is None or table.empty:
        return {}
    return {str(r["khi"]): r for _, r in table.iterrows()}


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
    changes = change_lines(now_rows, previous, filters, settings)
    yearly = change_lines(now_rows, year_ago, filters, settings, LAST_YEAR)
    if not any(_number(r, "value") is not None or is_hidden(r) for r in now_rows.values()):
        st.info(
            "No answers match these filters in this quarter. Try another quarter, "
            "or widen the region, scheme, support type or respondents."
        )
        return
    applies = benchmark_applies(filters)
    sentence = headline(table, applies)
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

