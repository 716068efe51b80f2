"""Streamlit glue shared by every page: the store, the filter bar, cached engine
calls, the palette and small formatting helpers.

Pages stay thin: read the filters from here, call `kpi`, draw. Nothing here
computes an indicator; the engine applies disclosure control and the pages
must never recompute around it.
"""

from __future__ import annotations

import functools
import html
import os
import re
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import pandas as pd
import streamlit as st

from kpi import charts
from kpi import indicators as engine
from kpi.catalogue import KHI, catalogue
from kpi.indicators import Filters, Settings
from kpi.items import bank
from kpi.paths import default_db_path
from kpi.periods import quarter_label
from kpi.scope import LOCAL_ADMIN, Scope, scope_for
from kpi.store import Store
from kpi.wording import (  # noqa: F401 - the pages' words, as c.format_value etc.
    comparison_words,
    format_interval,
    format_value,
    polarity_words,
)
from pages.views.charts import draw as chart  # noqa: F401 - pages draw with c.chart

# One palette and one set of comparison words for pages and charts alike.
PALETTE, SEQUENCE, COMPARISON_STYLE = charts.PALETTE, charts.SEQUENCE, charts.COMPARISON_STYLE

# The groups of people every KHI can be broken down by (spec §4, equity), in the
# order the pages offer them; a page adds "region" where places are compared too.
GROUPS_OF_PEOPLE = (
    "support_type", "primary_need", "age_band", "gender", "ethnicity", "completed_by"
)

DIMENSION_LABELS = {
    "region": "Region",
    "scheme": "Scheme",
    "quarter": "Quarter",
    "support_type": "Support type",
    "respondent_type": "Respondent type",
    "age_band": "Age band",
    "gender": "Gender",
    "ethnicity": "Ethnic group",
    "primary_need": "Main support need",
    "completed_by": "Who filled in the form",
}


# The dashboard's pages by menu section: (script, title, icon), the first the
# default. dashboard.py builds the navigation from it; the browser tests and the
# page benchmark read it, so a new page is tested and timed too.
MENU: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Explore": (
        ("pages/overview.py", "Overview", ":material/dashboard:"),
        ("pages/regions.py", "Regions", ":material/map:"),
        ("pages/schemes.py", "Schemes", ":material/scatter_plot:"),
        ("pages/indicator.py", "Indicator detail", ":material/insights:"),
        ("pages/equity.py", "Equity", ":material/balance:"),
        ("pages/change.py", "Change over time", ":material/trending_up:"),
        ("pages/drivers.py", "What goes with better outcomes", ":material/hub:"),
    ),
    "Report": (("pages/board.py", "Quarterly board page", ":material/summarize:"),),
    "Data": (
        ("pages/upload.py", "Upload", ":material/upload_file:"),
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
    the filters."""
    page_style()
    own_menu(pages)
    if is_demo():
        st.sidebar.caption("Showing **demo data**: a synthetic sector, not real schemes.")
    filter_bar()


def through_navigation() -> None:
    """Make sure this page runs inside dashboard.py's navigation and sidebar.

    Why: while no session of the process has run dashboard.py's ``st.navigation``
    yet, Streamlit treats a ``pages/`` folder as an old-style multipage app, so a
    shared link opened first after a restart (``/schemes?region=London``) would run
    the page alone: no store set-up, no filters, every file of ``pages/`` listed.
    Leave that mode and rerun: the rerun goes through dashboard.py, which opens the
    page the link names, with its query string. (Streamlit 1.67's
    ``PagesManager.uses_pages_directory``; ``st.navigation`` clears it the same way.)
    """
    _page_allowed(sys._getframe(1).f_code.co_filename)
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a later Streamlit without the old mode: nothing to undo
        return
    # Only a session that has never been through dashboard.py: AppTest puts every
    # rerun in that mode, and rerouting a rerun would drop the click behind it.
    if getattr(PagesManager, "uses_pages_directory", False) and not st.session_state.get(
        ENTRY_RAN
    ):
        PagesManager.uses_pages_directory = False
        st.rerun()


ENTRY_RAN = "_khi_entry_ran"


def _page_allowed(script: str) -> None:
    """Stop a page script its role may not open, however it was reached (a second
    guard behind ``st.navigation``, which lists only the role's pages)."""
    if Path(script).stem not in current_scope().pages:
        st.stop()


def entry_ran() -> None:
    """dashboard.py marks the session: it has been through the navigation."""
    st.session_state[ENTRY_RAN] = True


def db_path() -> Path:
    """The store this dashboard shows: ``KHI_DB`` when set, else data/khi.duckdb."""
    return default_db_path()


def store() -> Store:
    return Store(db_path())


def prepare_store() -> None:
    """Create or upgrade the store once per process; load the demo when it is empty
    (unless ``KHI_NO_DEMO=1``: tests use that to see the empty-store welcome)."""
    _prepare_store(str(db_path()))


# Defined here, not in dashboard.py: a cached function defined in the entry script
# is set up again on every rerun (Streamlit reads its source to key the cache).
@st.cache_resource(show_spinner="Preparing the store…")
def _prepare_store(path: str) -> str:
    store = Store(path)
    store.ensure()
    if store.is_empty() and os.environ.get("KHI_NO_DEMO", "") not in ("1", "true"):
        from kpi.demo import load_demo

        load_demo(store)
    return path


# ---------------------------------------------------------- sign-in, roles ---
# With an [auth] section in secrets.toml nothing but the sign-in page is
# served before sign-in; without it the dashboard is in local mode (the person at
# the machine is the administrator). What each role may reach is kpi.scope's.
def auth_configured() -> bool:
    """Whether sign-in is on: an ``[auth]`` section in the secrets file Streamlit reads
    (.streamlit/secrets.toml, or ``--secrets.files PATH``)."""
    return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)


def signed_in_email() -> str | None:
    """The signed-in person's email claim (None before sign-in, or without one)."""
    if not st.user.is_logged_in:
        return None
    if st.user.get("email_verified") is False:  # a provider that says it is unchecked
        return None
    email = st.user.get("email")
    return str(email).strip().lower() if email else None


def current_scope() -> Scope:
    """What the person using this session may reach (kpi.scope decides).

    Local mode: the administrator, or, with ``KHI_AS=EMAIL`` set, that user's scope
    (to check what they see, as ``python -m kpi --as`` does).
    """
    if not auth_configured():
        acting = os.environ.get("KHI_AS", "").strip()
        if not acting:
            return LOCAL_ADMIN
        return _cached_scope_for(acting)
    email = signed_in_email()
    if email is None:
        return Scope(role=None)
    return _cached_scope_for(email)


def user_scope() -> tuple[str, ...] | None:
    """The scheme ids this session may see; None = all (``kpi.scope.Scope.allowed``)."""
    scope = current_scope()
    if scope.sees_all:
        return None
    return _cached_allowed(scope)


def is_admin() -> bool:
    """Administrators may roll back uploads, keep users and the register."""
    return current_scope().may_roll_back


def acting_as() -> str:
    """Who to record for a change: the signed-in email, else the local user."""
    scope = current_scope()
    if scope.email:
        return scope.email
    import getpass

    try:
        return f"{getpass.getuser()} (local mode)"
    except (KeyError, OSError):
        return "local mode"


def sign_in_page() -> None:
    """The only page served before sign-in: no KHI, no scheme, a Sign in button."""
    st.title("Key Human Indicators")
    st.markdown("Sign in with your work account to see the dashboard.")
    if st.button("Sign in", type="primary", key="sign_in", icon=":material/login:"):
        st.login()


def no_role_page() -> None:
    """A signed-in person the users table does not know: whom to ask, and sign out."""
    st.title("Key Human Indicators")
    email = signed_in_email() or "this account"
    st.info(
        f"You are signed in as {md(email)}, but no role has been given to you yet: ask your "
        "Shared Lives administrator to add you on the Admin page.",
        icon=":material/person_off:",
    )


def access_gate() -> Scope | None:
    """Before anything else runs: the sign-in or no-role page when that is all this
    session may see (then None, and nothing else is drawn), else the session's Scope."""
    if not auth_configured():
        return current_scope()
    if not st.user.is_logged_in:
        st.navigation([st.Page(sign_in_page, title="Sign in", url_path="sign_in")]).run()
        return None
    scope = current_scope()
    if scope.role is None:
        sign_out_button()
        st.navigation([st.Page(no_role_page, title="No access", url_path="no_access")]).run()
        return None
    return scope


def sign_out_button() -> None:
    """Sign out, in the sidebar of every page once signed in."""
    email = signed_in_email()
    if email:
        st.sidebar.text(f"Signed in as {email}")  # text, never Markdown
    if st.sidebar.button("Sign out", key="sign_out", icon=":material/logout:"):
        st.logout()


def access_banner(scope: Scope) -> None:
    """Local mode says so, and how to turn sign-in on; sign-in shows who and Sign out."""
    if auth_configured():
        sign_out_button()
        return
    who = f"as {md(scope.email)} ({scope.role or 'no role'})" if scope.email else (
        "the person at this machine is the **administrator**"
    )
    st.sidebar.info(
        f"**Local mode**: no sign-in, {who}. To turn sign-in on, add an `[auth]` section "
        "to `.streamlit/secrets.toml` (see the README).",
        icon=":material/lock_open:",
    )


def revision() -> int:
    """The dashboard's one revision counter: it changes on every write, so cached
    results refresh after an upload.

    Why the store file's size and time, not ``Store.revision`` (the count kept in
    the store): every cached call keys on this, and opening the database for each
    would add a wait to every page. A committed write always changes the store file
    or its write-ahead log (``.wal``); a change without new data (a checkpoint)
    only costs one cache miss.
    """
    path = str(db_path())
    stamp: list[int] = []
    for file in (path, path + ".wal"):
        try:
            info = os.stat(file)
        except OSError:
            stamp += [0, 0]
        else:
            stamp += [info.st_mtime_ns, info.st_size]
    return hash(tuple(stamp))


# ------------------------------------------------------------- cached calls ---
P = ParamSpec("P")
R = TypeVar("R")


def per_revision(fn: Callable[P, R], *, spinner: str | bool = False) -> Callable[P, R]:
    """``fn`` cached until the store changes: the dashboard's one cache.

    ``st.cache_resource`` keyed on the store's path, its ``revision()`` and the
    arguments (Streamlit hashes them), so an upload or any other write shows at
    once. ``spinner``: words to show while a result is worked out (never on a
    cached one).

    Two uses. An engine call (through ``on_store``) keeps its result: shared
    between sessions, not copied for each, so pages and chart builders never
    change it in place (they copy first). A part of a page keeps what it draws:
    Streamlit records the elements a cached function draws and replays them on a
    hit, so a warm visit does not build its charts again. Such a part holds no
    widget (no button, input or download), and every input is an argument.

    Why parts are kept: drawn afresh on every visit, they kept people waiting.
    In ``benchmarks/browser_benchmark.py`` (Chromium, a click in the menu to the
    page drawn, 20,000-person demo, a loaded machine) a warm visit took 0.3-0.4 s
    longer on Overview, Indicator detail and Change over time, 1.0-1.3 s on Equity,
    Regions and the board page and 1.6 s on Schemes, most of it building plotly
    figures again; a kept part costs only sending its elements. The Data quality
    page's rerun took a quarter of a second longer (under AppTest). The pages that
    showed no difference keep nothing.

    Each ``fn`` needs a name of its own (no lambda): Streamlit keeps one cache per
    function name.
    """
    if "<" in fn.__qualname__:
        raise TypeError(f"per_revision needs a named module-level function: {fn.__qualname__}")

    def run(path: str, rev: int, *args: P.args, **kwargs: P.kwargs) -> R:
        return fn(*args, **kwargs)

    # Streamlit names a cache after its function: this one after ``fn``.
    run.__module__, run.__qualname__, run.__name__ = fn.__module__, fn.__qualname__, fn.__name__
    cached = st.cache_resource(show_spinner=spinner, max_entries=256)(run)

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return cached(str(db_path()), revision(), *args, **kwargs)

    return call


def on_store(
    fn: Callable[Concatenate[Store, P], R], *, spinner: str | bool = False
) -> Callable[P, R]:
    """``fn(store, ...)`` on the dashboard's store, as ``fn(...)``: typed as the engine's
    own function, cached until the store changes (``per_revision``)."""

    @functools.wraps(fn)
    def on_the_store(*args: P.args, **kwargs: P.kwargs) -> R:
        return fn(Store(db_path()), *args, **kwargs)

    return per_revision(on_the_store, spinner=spinner)


def _schemes_in_scope(store: Store, scope: tuple[str, ...] | None) -> pd.DataFrame:
    frame = store.schemes()
    return frame[frame["scheme_id"].isin(scope)] if scope else frame


@dataclass(frozen=True)
class SchemeChoices:
    """The register as the select boxes need it, built once per store revision."""

    names: dict[str, str]  # scheme id -> name, safe in Markdown (what pages write)
    plain: dict[str, str]  # scheme id -> name as registered (for widgets' options only)
    ids: tuple[str, ...]  # in the register's order (region, then name)
    by_region: dict[str, tuple[str, ...]]  # region -> its scheme ids


def _scheme_choices(store: Store, scope: tuple[str, ...] | None) -> SchemeChoices:
    frame = _schemes_in_scope(store, scope)
    ids = tuple(frame["scheme_id"])
    by_region: dict[str, list[str]] = {}
    for scheme_id, region in zip(ids, frame["region"]):
        by_region.setdefault(region, []).append(scheme_id)
    return SchemeChoices(
        # The one place a registered name meets the pages: escaped once for Markdown,
        # so a name can never draw an image, a link or a colour.
        names={i: md(str(n)) for i, n in zip(ids, frame["name"])},
        plain=dict(zip(ids, frame["name"])),
        ids=ids,
        by_region={region: tuple(found) for region, found in by_region.items()},
    )


def _allowed(store: Store, scope: Scope) -> tuple[str, ...] | None:
    return scope.allowed(store)


# The engine's reads and the register, as the pages call them.
available_quarters = on_store(engine.available_quarters)
indicator_table = on_store(engine.indicator_table)
change = on_store(engine.change)
trend = on_store(engine.trend)
equity = on_store(engine.equity)
funnel = on_store(engine.funnel)
answer_distribution = on_store(engine.answer_distribution)
response_rates = on_store(engine.response_rates)
missing_returns = on_store(engine.missing_returns)
item_completeness = on_store(engine.item_completeness)
activity_summary = on_store(engine.activity_summary)
is_demo = on_store(Store.is_demo)
uploads = on_store(Store.uploads)
set_aside = on_store(Store.set_aside)
saved_mappings = on_store(Store.saved_mappings)
_cached_scope_for = on_store(scope_for)
_cached_allowed = on_store(_allowed)
_cached_schemes_in_scope = on_store(_schemes_in_scope)
_cached_scheme_choices = on_store(_scheme_choices)


def schemes() -> pd.DataFrame:
    """The scheme register, restricted to the user's scope."""
    return _cached_schemes_in_scope(user_scope())


def scheme_choices() -> SchemeChoices:
    """The schemes in the user's scope, for select boxes and labels (shared: read only)."""
    return _cached_scheme_choices(user_scope())


# ------------------------------------------------------------------ filters ---
_FILTER_KEYS = ("quarter", "region", "scheme", "support", "who")


def _param(key: str) -> str | None:
    value = st.query_params.get(key)
    return value or None


def filter_bar() -> None:
    """The shared filters, drawn once in the sidebar by dashboard.py.

    Values persist across pages (session state) and live in the URL query
    string, so a view can be shared as a link.
    """
    quarters = available_quarters()
    labels = [quarter_label(q) for q in reversed(quarters)]
    regions = [r.name for r in bank().regions]
    choices = scheme_choices()
    support_codes = bank().attribute("support_type").labels
    state = st.session_state

    def seed(key: str, options: list[str], default: str) -> None:
        if key not in state:
            # The URL names filters without the "f_" prefix (see the end of this function).
            wanted = _param(key.removeprefix("f_"))
            state[key] = wanted if wanted in options else default

    with st.sidebar:
        st.markdown("**Filters**")
        if labels:
            seed("f_quarter", labels, labels[0])
            st.selectbox("Quarter", labels, key="f_quarter")
        region_options = ["All of England and nations", *regions]
        seed("f_region", region_options, region_options[0])
        st.selectbox("Region", region_options, key="f_region")
        in_region = (
            choices.ids
            if state["f_region"] == region_options[0]
            else choices.by_region.get(state["f_region"], ())
        )
        scheme_options = ["All schemes", *in_region]
        # Seed from the URL first, then drop a scheme outside the chosen region.
        seed("f_scheme", scheme_options, "All schemes")
        if state.get("f_scheme") not in scheme_options:
            state["f_scheme"] = "All schemes"
        st.selectbox(
            "Scheme",
            scheme_options,
            key="f_scheme",
            format_func=lambda s: choices.plain.get(s, s),
        )
        support_options = ["All support types", *[c for c, _ in support_codes]]
        support_labels = dict(support_codes)
        seed("f_support", support_options, support_options[0])
        st.selectbox(
            "Support type",
            support_options,
            key="f_support",
            format_func=lambda s: support_labels.get(s, s),
        )
        who_options = ["person", "carer", "both"]
        seed("f_who", who_options, "both")
        st.radio(
            "Respondents",
            who_options,
            key="f_who",
            format_func={
                "person": "People using Shared Lives",
                "carer": "Family carers",
                "both": "Both",
            }.get,
            horizontal=False,
        )
    wanted = {
        key.removeprefix("f_"): state[key]
        for key in ("f_quarter", "f_region", "f_scheme", "f_support", "f_who")
        if key in state
    }
    # Only the sidebar's own keys: the page's choices (see ``url_choice``) stay.
    params = st.query_params
    for name, value in wanted.items():
        if params.get(name) != value:  # most reruns change no filter
            params[name] = value


def current_filters() -> Filters:
    """The engine's Filters for the sidebar's choices and the user's scope."""
    state = st.session_state
    region = state.get("f_region")
    scheme = state.get("f_scheme")
    support = state.get("f_support")
    who = state.get("f_who", "both")
    return Filters(
        regions=(region,) if region and region in bank().region_names else None,
        scheme_ids=(scheme,) if scheme and scheme != "All schemes" else None,
        support_types=(support,)
        if support and support != "All support types"
        else None,
        respondent_types=None if who in (None, "both") else (who,),
        scope=user_scope(),
    )


def without_area(filters: Filters) -> Filters:
    """The same filters with region and scheme lifted (e.g. to compare schemes)."""
    return replace(filters, regions=None, scheme_ids=None)


def current_quarter() -> str | None:
    """The chosen quarter label, or None when the store has no data."""
    return st.session_state.get("f_quarter")


def area_label(filters: Filters) -> str:
    if filters.scheme_ids:
        return scheme_choices().names.get(filters.scheme_ids[0], filters.scheme_ids[0])
    if filters.regions:
        return filters.regions[0]
    return "England and the nations"


def settings() -> Settings:
    """The register's disclosure and comparison settings (the engine's defaults)."""
    return engine.default_settings()


# ---------------------------------------------------------------- formatting ---
def scored_khis() -> list[str]:
    """The KHIs the tiles and profiles show: every one but the change KHIs, which
    have their own page."""
    return [k.code for k in catalogue() if k.measure != "change"]


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
    clicked, and a click does not rerun the page (``on_click="ignore"``)."""
    row = st.container(horizontal=True, vertical_alignment="bottom")
    for item in downloads:
        row.download_button(
            item.label,
            data=item.data,
            file_name=item.file_name,
            mime=item.mime,
            key=item.key,
            help=item.help,
            icon=item.icon,
            on_click="ignore",
        )



def md(text: str) -> str:
    """Plain text safe inside st.markdown, captions, messages and widget labels: what
    a user typed (scheme names, file names, column headers) is shown as typed, never
    drawn as Markdown or HTML."""
    return re.sub(r"([\\`*_\[\]$<>#|~])", r"\\\1", text)


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


def _cell_text(value: object, placeholder: str) -> str:
    """A cell as escaped text: a gap as ``placeholder``, a whole number without ".0"
    (a count beside a gap is a float)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return placeholder
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return md(str(value))


def static_table(frame: pd.DataFrame, *, placeholder: str = "–") -> None:
    """A table people read rather than sort, as one Markdown table.

    Why not ``st.dataframe``: its grid is drawn on a canvas, and in
    ``benchmarks/browser_benchmark.py`` the Equity and Data quality pages' grids
    (two of them folded away, unseen) cost a visit more than their charts. Why
    not ``st.table`` either: it draws each cell as a Markdown element of its own,
    and a table of 150 schemes by 8 quarters took longer still. One Markdown
    table is drawn at once, and screen readers read it as a table. Long tables
    that people sort (schemes, uploads) stay grids. Every cell is escaped
    (``md``), so pass names as registered, not already escaped.
    """
    st.markdown(markdown_table(frame, lambda value: _cell_text(value, placeholder)))


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


def start_page(title: str) -> str | None:
    """The page's title, then the sidebar's quarter; on an empty store, the way in
    (upload or demo) instead, and None."""
    st.title(title)
    label = current_quarter()
    if not available_quarters() or label is None:
        empty_store_message()
        return None
    return label


def value_axis(khi: KHI) -> dict[str, Any]:
    """A chart's value axis for a KHI (spread into a chart builder's arguments):
    per cent for proportions, else the KHI's own scale, named after it."""
    return {"value_title": "Per cent" if khi.is_proportion else khi.name,
            "percent": khi.is_proportion}


def khi_explained(khi: KHI) -> str:
    """The KHI's definition and which direction is good, as the pages say it."""
    return f"{khi.definition} {polarity_words(khi).capitalize()}."


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


# ------------------------------------------------------------ explore pages ---
def khi_picker(key: str, *, label: str = "Indicator") -> str:
    """A KHI select box for the sidebar's respondents (change KHIs have their own page).

    Shared by the explore pages so the same choice reads the same everywhere.
    """
    who = st.session_state.get("f_who", "both")
    options = {
        k.code: f"{k.name} ({k.domain})"
        for k in catalogue()
        if k.measure != "change" and who in ("both", k.population)
    }
    url_choice(key, "khi", list(options))
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    chosen = st.selectbox(label, list(options), format_func=options.get, key=key)
    keep_in_url("khi", chosen)
    return chosen


def dimension_codes(dimension: str) -> tuple[tuple[str, str], ...]:
    """(stored code, label) of a breakdown's groups, in the order people expect."""
    if dimension == "region":
        return tuple((name, name) for name in bank().region_names)
    if dimension == "scheme":
        choices = scheme_choices()
        return tuple((scheme, choices.names[scheme]) for scheme in choices.ids)
    if dimension in bank().attribute_codes:
        return bank().attribute(dimension).labels
    return ()


# ------------------------------------------------------- page choices in the URL ---
def url_choice(key: str, param: str, options: list[Any] | tuple[Any, ...]) -> None:
    """Before a page's widget ``key`` is drawn: a new session takes its value from
    the URL's ``param`` (when it is one of ``options``), so a shared link opens on
    the same view. Options that are not strings are matched by their text
    (``None`` is the URL's ``none``)."""
    state = st.session_state
    # Only the session's first run of the widget: after that the widget leads and
    # the URL follows (``keep_in_url``), or the URL would undo every click.
    if state.get(_URL_SEEDED + key):
        return
    state[_URL_SEEDED + key] = True
    wanted = _param(param)
    if wanted is None:
        return
    for option in options:
        if _url_text(option) == wanted:
            state[key] = option
            return


def keep_in_url(param: str, value: object) -> None:
    """After a page's widget: its value in the URL beside the sidebar's filters."""
    text = _url_text(value)
    if st.query_params.get(param) != text:
        st.query_params[param] = text


def _url_text(value: object) -> str:
    return "none" if value is None else str(value)


_URL_SEEDED = "_khi_url_seeded_"


# ----------------------------------------------------------- downloads in sight ---
def csv_download(
    frame: pd.DataFrame, stem: str, key: str, *, label: str = "Download (CSV)"
) -> None:
    """A visible CSV download of exactly the table the page shows (hidden cells
    already empty: the engine's disclosure control), spreadsheet-safe."""
    from kpi.export import safe_csv

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
    kept = [column for column in names if column in frame.columns]
    return frame[kept].rename(columns=names)


# ------------------------------------------------------------- accessibility ---
# WCAG 2.2 AA where Streamlit's defaults fall short: captions and muted text at
# 4.5:1 or more (Streamlit draws them at about 3.8:1), a focus ring on everything
# a keyboard reaches (2.4.7, 2.4.11), and a print stylesheet that leaves out the
# sidebar, the tool bars and the buttons so the page prints as a report.
PAGE_CSS = """
<style>
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
