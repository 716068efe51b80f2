"""Streamlit glue shared by every page: the store, the filter bar, cached engine
calls, the palette and small formatting helpers.

Pages stay thin: read the filters from here, call `kpi`, draw. Nothing here
computes an indicator; the engine applies disclosure control and the pages
must never recompute around it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import html
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

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
    """``st.navigation``'s pages for ``scope``'s role, made once per session and role.

    Only the pages the role may open are listed, so a page left out cannot be
    reached by its URL either (Streamlit serves only listed pages).

    Why kept: making the ten page objects cost about 1 ms a rerun (each resolves
    and checks its file). Why per session, not shared: ``st.navigation`` marks the
    page it chose as callable for that run, and two sessions sharing one object
    could clear each other's mark.
    """
    allowed = (scope or LOCAL_ADMIN).pages
    kept = st.session_state.get(MENU_KEY)
    if kept is None or kept[0] != allowed:
        listed_pages = {
            section: [p for p in listed if _page_name(p[0]) in allowed]
            for section, listed in MENU.items()
        }
        default = f"pages/{allowed[0]}.py" if allowed else None
        pages = {
            section: [
                st.Page(script, title=title, icon=icon, default=script == default)
                for script, title, icon in listed
            ]
            for section, listed in listed_pages.items()
            if listed
        }
        kept = st.session_state[MENU_KEY] = (allowed, pages)
    return kept[1]


def _page_name(script: str) -> str:
    return script.removeprefix("pages/").removesuffix(".py")


MENU_KEY = "_khi_menu"

# Where Streamlit draws its own menu: hidden, because its sidebar menu's markup
# (list items outside a list, a list holding other elements) fails WCAG 1.3.1
# (axe-core "list", "listitem"); ``own_menu`` draws the same pages as links.
NAV_POSITION = "hidden"


def own_menu() -> None:
    """The menu in the sidebar: each section's name, then its pages as links (the
    pages ``st.navigation`` was given, so whatever it is given is what is listed)."""
    kept = st.session_state.get(MENU_KEY)
    pages = kept[1] if kept else menu()
    box = st.sidebar.container(key="khi_menu", gap="small")
    for section, listed in pages.items():
        box.markdown(f"**{section}**")
        for page in listed:
            box.page_link(page, label=page.title, icon=page.icon)


def sidebar() -> None:
    """What every page's sidebar shows under the menu: demo data said so, the filters."""
    page_style()
    own_menu()
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
    return _store_files(os.environ.get("KHI_DB", ""))[0]


@functools.lru_cache(maxsize=8)
def _store_files(khi_db: str) -> tuple[Path, str, str]:
    """The store's path, and its file and write-ahead log as strings for ``os.stat``:
    built once per setting of ``KHI_DB``, not the several times each rerun asks."""
    path = default_db_path()
    return path, str(path), str(path) + ".wal"


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
# Issue 14: with an [auth] section in secrets.toml nothing but the sign-in page is
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


@st.cache_resource(show_spinner=False, max_entries=256)
def _scope_for(path: str, rev: int, email: str) -> Scope:
    return scope_for(Store(path), email)


def current_scope() -> Scope:
    """What the person using this session may reach (kpi.scope decides).

    Local mode: the administrator, or, with ``KHI_AS=EMAIL`` set, that user's scope
    (to check what they see, as ``python -m kpi --as`` does).
    """
    if not auth_configured():
        acting = os.environ.get("KHI_AS", "").strip()
        if not acting:
            return LOCAL_ADMIN
        return _scope_for(path=str(db_path()), rev=revision(), email=acting)
    email = signed_in_email()
    if email is None:
        return Scope(role=None)
    return _scope_for(path=str(db_path()), rev=revision(), email=email)


@st.cache_resource(show_spinner=False, max_entries=256)
def _allowed(
    path: str, rev: int, role: str | None, scheme_ids: tuple[str, ...], regions: tuple[str, ...]
) -> tuple[str, ...] | None:
    return Scope(role=role, scheme_ids=scheme_ids, regions=regions).allowed(Store(path))


def user_scope() -> tuple[str, ...] | None:
    """The scheme ids this session may see; None = all (``kpi.scope.Scope.allowed``)."""
    scope = current_scope()
    if scope.sees_all:
        return None
    return _allowed(
        path=str(db_path()), rev=revision(), role=scope.role, scheme_ids=scope.scheme_ids,
        regions=scope.regions,
    )


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
    """Changes on every write, so cached results refresh after an upload.

    Why the file's size and time, not the store's revision counter: every cached
    call keys on this, several times a rerun, and opening DuckDB costs about
    10 ms each time. A committed write always changes the store file or its
    write-ahead log (``.wal``); a change without new data (a checkpoint) only
    costs one cache miss.
    """
    _, store_file, wal_file = _store_files(os.environ.get("KHI_DB", ""))
    stamp: list[int] = []
    for file in (store_file, wal_file):
        try:
            info = os.stat(file)
        except OSError:
            stamp += [0, 0]
        else:
            stamp += [info.st_mtime_ns, info.st_size]
    return hash(tuple(stamp))


# ------------------------------------------------------------- cached calls ---
# The small reads every rerun makes are resources, not st.cache_data: unpickling
# a copy each time cost more than the read saved. Callers never change them.
# Cached functions are called with keywords: for each positional argument
# Streamlit inspects the function's signature again, on every call (about 25 us).
@st.cache_resource(show_spinner=False, max_entries=64)
def _available_quarters(path: str, rev: int) -> tuple[dt.date, ...]:
    return tuple(engine.available_quarters(Store(path)))


def available_quarters() -> tuple[dt.date, ...]:
    return _available_quarters(path=str(db_path()), rev=revision())


@st.cache_resource(show_spinner=False, max_entries=64)
def _is_demo(path: str, rev: int) -> bool:
    return Store(path).is_demo()


def is_demo() -> bool:
    """Whether the store holds the synthetic demo sector (the sidebar says so)."""
    return _is_demo(path=str(db_path()), rev=revision())


@st.cache_resource(show_spinner=False, max_entries=64)
def _schemes(path: str, rev: int) -> pd.DataFrame:
    return Store(path).schemes()


def schemes() -> pd.DataFrame:
    """The scheme register, restricted to the user's scope."""
    return _schemes_in_scope(path=str(db_path()), rev=revision(), scope=user_scope())


@st.cache_resource(show_spinner=False, max_entries=64)
def _schemes_in_scope(path: str, rev: int, scope: tuple[str, ...] | None) -> pd.DataFrame:
    frame = _schemes(path=path, rev=rev)
    return frame[frame["scheme_id"].isin(scope)] if scope else frame


@dataclass(frozen=True)
class SchemeChoices:
    """The register as the select boxes need it, built once per store revision."""

    names: dict[str, str]  # scheme id -> name, safe in Markdown (what pages write)
    plain: dict[str, str]  # scheme id -> name as registered (for widgets' options only)
    ids: tuple[str, ...]  # in the register's order (region, then name)
    by_region: dict[str, tuple[str, ...]]  # region -> its scheme ids


def scheme_choices() -> SchemeChoices:
    """The schemes in the user's scope, for select boxes and labels (shared: read only)."""
    return _scheme_choices(path=str(db_path()), rev=revision(), scope=user_scope())


@st.cache_resource(show_spinner=False, max_entries=64)
def _scheme_choices(path: str, rev: int, scope: tuple[str, ...] | None) -> SchemeChoices:
    frame = _schemes_in_scope(path=path, rev=rev, scope=scope)
    ids = tuple(frame["scheme_id"])
    by_region: dict[str, list[str]] = {}
    for scheme_id, region in zip(ids, frame["region"]):
        by_region.setdefault(region, []).append(scheme_id)
    return SchemeChoices(
        # The one place a registered name meets the pages: escaped once for Markdown,
        # so a name can never draw an image, a link or a colour (issue 14, item 7).
        names={i: md(str(n)) for i, n in zip(ids, frame["name"])},
        plain=dict(zip(ids, frame["name"])),
        ids=ids,
        by_region={region: tuple(found) for region, found in by_region.items()},
    )


def plain_key(*parts: object) -> str:
    """A cache key for plain values: str, numbers, None, tuples and lists of them,
    and frozen dataclasses of them (Filters, Settings), whose repr is their value.

    Why not Streamlit's own hashing of the arguments: it walks every value
    (a Filters costs more than half a millisecond) on every call, several times
    a rerun. Anything else (a DataFrame, whose repr is abridged) is refused.
    """
    for part in parts:
        _check_plain(part)
    return repr(parts)


def _check_plain(value: object) -> None:
    if value is None or isinstance(value, (str, int, float, bool)):
        return
    if isinstance(value, (tuple, list)):
        for item in value:
            _check_plain(item)
        return
    params = getattr(type(value), "__dataclass_params__", None)
    if params is not None and params.frozen:
        for field in dataclasses.fields(value):  # type: ignore[arg-type]
            _check_plain(getattr(value, field.name))
        return
    raise TypeError(f"not a plain value for a cache key: {type(value).__name__}")


# Streamlit hashes only ``key``: parameters named with a leading underscore are
# left out of its hash (the key already says everything they hold).
@st.cache_resource(show_spinner=False, max_entries=256)
def _call(key: str, _path: str, _name: str, _args: tuple, _kwargs: dict) -> object:
    return getattr(engine, _name)(Store(_path), *_args, **_kwargs)


def engine_call(name: str, *args: object, **kwargs: object) -> object:
    """Call ``kpi.indicators.<name>(store, ...)``, cached on the store revision.

    Why a resource, not ``st.cache_data``: unpickling every table on every rerun
    cost more than drawing the page. The result is shared between sessions, so
    pages and chart builders never change it in place (they copy first).
    """
    path = str(db_path())
    key = plain_key(path, revision(), name, args, sorted(kwargs.items()))
    return _call(key=key, _path=path, _name=name, _args=args, _kwargs=kwargs)


Section = TypeVar("Section", bound=Callable[..., Any])


def replayed(function: Section) -> Section:
    """Decorator for a part of a page that has no widgets: drawn once for the same
    arguments and store revision, then replayed.

    Why: a warm rerun spent most of its time rebuilding what it had drawn before
    (serialising plotly figures, converting tables to Arrow, hashing frames for
    cache keys). Streamlit's caches record the elements a cached function draws
    and replay them on a hit ("Using Streamlit commands in cached functions",
    st.cache_resource docs), so a replayed part costs what sending its elements
    costs. The store revision is part of the key, so a new upload draws afresh.

    Rules for a replayed part: no widgets (buttons, inputs, downloads) inside it,
    and every input a plain argument (codes, labels, Filters; not session state or
    a frame: see ``plain_key``), since the arguments are the whole cache key. Its
    value is shared between sessions, so callers never change it in place. A part
    that draws nothing and only returns a value (a default choice worked out from
    the engine's table) is kept the same way.
    """

    def draw(key: str, _args: tuple, _kwargs: dict) -> Any:
        # Streamlit hashes ``key`` only (see plain_key); the rest is what it says.
        return function(*_args, **_kwargs)

    # Streamlit keys a cache on the function's module and qualified name: this
    # part's own, not this wrapper's; ``code`` adds its bytecode, so an edited
    # part is drawn afresh after a reload.
    draw.__module__, draw.__qualname__ = function.__module__, function.__qualname__
    draw.__name__ = function.__name__
    cached = st.cache_resource(show_spinner=False, max_entries=256)(draw)
    code = hashlib.blake2b(function.__code__.co_code, digest_size=8).hexdigest()

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        key = plain_key(str(db_path()), revision(), code, args, sorted(kwargs.items()))
        return cached(key=key, _args=args, _kwargs=kwargs)

    return call  # type: ignore[return-value]


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
    have their own page (and cost a pass of their own to compute)."""
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


def markdown_table(table: pd.DataFrame, cell: Callable[[object], str] | None = None) -> str:
    """A table as Markdown; each cell through ``cell`` (default: escaped text).

    Why Markdown and not st.table: a heading and its table are then one element,
    drawn without an Arrow conversion, and cells can carry Markdown colour.
    """
    cell = cell or (lambda value: md(str(value)))
    lines = [
        "| " + " | ".join(md(str(h)) for h in table.columns) + " |",
        "| " + " | ".join("---" for _ in table.columns) + " |",
    ]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |"
        for row in table.itertuples(index=False)
    ]
    return "\n".join(lines)


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

    Why HTML in one Markdown element, not a bordered container per card: 26
    Overview tiles drew about 150 elements, and every element costs on each
    rerun and in the browser; a CSS grid also fits as many cards as the width
    allows, where fixed columns squeeze at a laptop's width. ``heading`` (Markdown,
    drawn as a subheader) goes in the same element.
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
