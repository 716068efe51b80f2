"""The dashboard's pages and how one is reached: the menu (``MENU``, listed by
role), the sidebar every page shows, and the guard each page script runs first
(``through_navigation``: through dashboard.py, and only a page its role may open).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from kpi.scope import LANDING, LOCAL_ADMIN, Scope
from pages.views.access import current_scope
from pages.views.cache import is_demo
from pages.views.elements import page_style
from pages.views.filters import filter_bar
from pages.views.privacy import sidebar_notice

# The dashboard's pages by menu section: (script, title, icon), the first the
# default. dashboard.py builds the navigation from it; the browser tests and the
# page benchmark read it, so a new page is tested and timed too.
MENU: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Explore": (
        ("pages/overview.py", "Overview", ":material/dashboard:"),
        ("pages/grid.py", "All indicators at a glance", ":material/grid_on:"),
        ("pages/regions.py", "Regions", ":material/map:"),
        ("pages/schemes.py", "Schemes", ":material/scatter_plot:"),
        ("pages/indicator.py", "Indicator detail", ":material/insights:"),
        ("pages/equity.py", "Equity", ":material/balance:"),
        ("pages/change.py", "Change over time", ":material/trending_up:"),
        ("pages/drivers.py", "What goes with better outcomes", ":material/hub:"),
    ),
    "Report": (
        ("pages/board.py", "Quarterly board page", ":material/summarize:"),
        ("pages/yousaid.py", "You said, we did", ":material/campaign:"),
    ),
    "Data": (
        ("pages/upload.py", "Upload", ":material/upload_file:"),
        ("pages/rounds.py", "Survey rounds", ":material/how_to_vote:"),
        ("pages/data_quality.py", "Data quality", ":material/fact_check:"),
        ("pages/definitions.py", "Definitions", ":material/menu_book:"),
    ),
    "Administer": (("pages/admin.py", "Admin", ":material/admin_panel_settings:"),),
}


def menu_pages() -> list[tuple[str, str, str]]:
    """Every page of the menu, in menu order."""
    return [page for pages in MENU.values() for page in pages]


def menu(scope: Scope | None = None) -> dict[str, list[Any]]:
    """``st.navigation``'s pages for ``scope``'s role, by menu section.

    Only the pages the role may open are listed, so a page left out cannot be
    reached by its URL either (Streamlit serves only listed pages).
    """
    allowed = (scope or LOCAL_ADMIN).pages
    default = f"pages/{allowed[0]}.py" if allowed else None
    pages = {
        section: [
            st.Page(script, title=title, icon=icon, default=script == default)
            for script, title, icon in listed
            if _page_name(script) in allowed
        ]
        for section, listed in MENU.items()
    }
    return {section: listed for section, listed in pages.items() if listed}


def _page_name(script: str) -> str:
    return script.removeprefix("pages/").removesuffix(".py")


# Where Streamlit draws its own menu: hidden, because its sidebar menu's markup
# (list items outside a list, a list holding other elements) fails WCAG 1.3.1
# (axe-core "list", "listitem"); ``own_menu`` draws the same pages as links.
NAV_POSITION = "hidden"


def own_menu(pages: dict[str, list[Any]]) -> None:
    """The menu in the sidebar: each section's name, then its pages as links (the
    pages ``st.navigation`` was given, so whatever it is given is what is listed)."""
    box = st.sidebar.container(key="khi_menu", gap="small")
    for section, listed in pages.items():
        box.markdown(f"**{section}**")
        for page in listed:
            box.page_link(page, label=page.title, icon=page.icon)


def sidebar(pages: dict[str, list[Any]]) -> None:
    """What every page's sidebar shows: the menu of ``pages``, demo data said so,
    the filters, the privacy notice."""
    page_style()
    own_menu(pages)
    if is_demo():
        st.sidebar.caption("Showing **demo data**: a synthetic sector, not real schemes.")
    filter_bar()
    sidebar_notice()


def through_navigation(script: str) -> None:
    """Make sure this page runs inside dashboard.py's navigation and sidebar
    (``script``: the page's ``__file__``; its role may have to be refused it).

    Why: while no session of the process has run dashboard.py's ``st.navigation``
    yet, Streamlit treats a ``pages/`` folder as an old-style multipage app, so a
    shared link opened first after a restart (``/schemes?region=London``) would run
    the page alone: no store set-up, no filters, every file of ``pages/`` listed.
    Such a run never went through dashboard.py (which marks the session), so it
    keeps the link's page and query and switches to dashboard.py, with Streamlit's
    public ``st.switch_page`` only; dashboard.py's navigation then opens the link
    (``open_landing``). tests/browser/test_deep_link.py fails without it.
    """
    # Before the role check: a signed-out visitor has no pages, so checking first
    # stopped the run and left a blank page instead of the sign-in page
    # (tests/browser/test_deep_link.py, sign-in on). Only a session that has never
    # been through dashboard.py: under AppTest every run starts there.
    if not st.session_state.get(ENTRY_RAN):
        st.session_state[DEEP_LINK] = (Path(script).stem, st.query_params.to_dict())
        st.switch_page(ENTRY_SCRIPT)
    _page_allowed(script)


ENTRY_SCRIPT = "dashboard.py"
DEEP_LINK = "_khi_deep_link"
ENTRY_RAN = "_khi_entry_ran"


def _page_allowed(script: str) -> None:
    """Stop a page script its role may not open, however it was reached (a second
    guard behind ``st.navigation``, which lists only the role's pages)."""
    if Path(script).stem not in current_scope().pages:
        st.stop()


def open_landing(scope: Scope, navigation: Any) -> None:
    """A bare address ("/", no view named) opens where the role lands
    (``kpi.scope.LANDING``: a board member's board page), once per session; a
    link that names a page or a view opens that, for every role alike (also one
    that first ran its page alone: ``through_navigation`` kept it).

    An address naming a page the role has not (typed by hand, an old bookmark)
    stays on the default page under Streamlit's "Page not found" notice: a
    switch to the landing page would rerun over that notice and, depending on
    timing, close it before the person has read it."""
    link = st.session_state.pop(DEEP_LINK, None)
    if link is not None and link[0] in scope.pages:  # a link a page run alone kept
        st.switch_page(f"pages/{link[0]}.py", query_params=link[1])
    landing = LANDING.get(scope.role or "")
    if (
        landing is None
        or st.session_state.get(ENTRY_RAN)
        or st.query_params
        or navigation.url_path != ""  # the default page's address is the bare "/"
        or _asked_for_another_page()
    ):
        return
    st.switch_page(f"pages/{landing}.py")


def _asked_for_another_page() -> bool:
    """The address named a page (``/admin``) that this navigation did not serve:
    Streamlit fell back to the default page and said "Page not found".

    Read from the browser's address (``st.context.url``, public), which keeps a
    path the navigation did not know; the served root (``server.baseUrlPath``)
    is taken off first."""
    url = st.context.url
    if not url:
        return False
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    path = urlsplit(url).path.strip("/")
    return path.removeprefix(base).strip("/") != ""


def entry_ran() -> None:
    """dashboard.py marks the session: it has been through the navigation."""
    st.session_state[ENTRY_RAN] = True
