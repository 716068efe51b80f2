""""You said, we did": for the people who answered, a few results in easy-read
words and pictures, and the actions the board recorded, for the sidebar's scheme
(or region) and quarter; a large-print tagged PDF to hand out.

Everything shown comes from one ``kpi.yousaid.YouSaid`` (the PDF reads the same),
so the page and the PDF say the same; this page only draws it. The area is the
board page's (``area_of``): the same area key the board's notes are kept under.
"""

from __future__ import annotations

import streamlit as st

from kpi import yousaid
from kpi.downloads import part_slug
from kpi.errors import KhiError
from kpi.scope import Scope
from kpi.store import Store
from pages.views import _common as c
from pages.views.board import area_page


def _sheet(store: Store, scope: Scope, quarter: str, area: str) -> yousaid.YouSaid:
    return yousaid.you_said(
        store, scope, area=area, quarter=quarter, reach=c.user_reach(), settings=c.settings()
    )


def _pdf(store: Store, scope: Scope, quarter: str, area: str) -> bytes:
    return yousaid.render_pdf(sheet(scope, quarter, area))


# Cached until the store changes (a new note is a write, so it shows at once).
sheet = c.on_store(_sheet, spinner="Preparing the sheet…")
sheet_pdf = c.on_store(_pdf)


def draw(found: yousaid.YouSaid) -> None:
    """The sheet as the PDF has it: the thanks, what people said, what is being done."""
    st.markdown(f"**{c.md(found.area_label)}, {c.md(found.quarter_label)}**")
    if found.is_demo:
        st.warning(c.md(yousaid.DEMO), icon=":material/science:")
    st.markdown(c.md(yousaid.THANKS))
    st.markdown(f"## :material/record_voice_over: {yousaid.SAID}")
    if found.results:
        # HTML for the pictures: every word in it is escaped by kpi.yousaid.
        st.markdown(yousaid.list_html(yousaid.said_items(found), page=True),
                    unsafe_allow_html=True)
    else:
        st.markdown(c.md(yousaid.NO_RESULTS))
    st.caption(c.md(found.privacy_line()))
    st.markdown(f"## :material/task_alt: {yousaid.DOING}")
    if found.actions:
        st.markdown(yousaid.list_html(yousaid.action_items(found), page=True),
                    unsafe_allow_html=True)
    else:
        st.markdown(c.md(yousaid.NO_ACTIONS))


def render() -> None:
    chosen = area_page(
        yousaid.TITLE,
        "For the people who answered: a few results in easy-read words and the actions "
        "the board recorded, for the quarter and scheme (or region) chosen in the sidebar. "
        "Hand it out as a large-print PDF.",
        "sheet",
    )
    if chosen is None:
        return
    quarter, filters, area = chosen
    scope = c.current_scope()
    try:
        found = sheet(scope, quarter, area)
    except KhiError as exc:  # anything else is a bug, and shows as one
        st.warning(c.md(str(exc)))
        return
    if filters.support_types or filters.respondent_types:
        st.caption(
            "The sheet covers every support type, and both people using Shared Lives and "
            "family carers, whatever the sidebar's support type and respondents say."
        )
    c.download_row([
        c.Download(
            "Easy-read sheet (PDF)",
            lambda: sheet_pdf(scope, quarter, area),
            f"you_said_we_did_{part_slug(found.area_label)}_{part_slug(found.quarter_label)}.pdf",
            "application/pdf",
            "yousaid_pdf",
            ":material/picture_as_pdf:",
            help="Large print, tagged for screen readers: ready to print or send.",
        )
    ])
    draw(found)
