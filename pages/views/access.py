"""Who is using this session and what they may reach: sign-in, roles (kpi.scope
decides), the gate before any page, the sidebar's banner, and the schemes in the
session's scope (the register as the pages and the filters see it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from kpi.reach import Reach
from kpi.scope import LOCAL_ADMIN, ROLE_PAGES, Scope, scope_for
from kpi.store import Store
from pages.views.cache import on_store
from pages.views.elements import md


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


def user_reach() -> Reach:
    """The schemes this session may see (``kpi.scope.Scope.allowed``): every scheme,
    or exactly some, possibly none. Ask it (``includes``, ``every``, ``is_empty``);
    never test it for truth."""
    scope = current_scope()
    if scope.sees_all:
        return Reach.everything()
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
    """The only page served before sign-in: no KHI, no scheme, a Sign in button.

    It answers at every page's address, so a shared link opened signed out shows
    this page (not "Page not found"); the link is kept in the tab's session
    storage and opened again after sign-in (``return_to_link``), because the
    provider's answer always comes back to the dashboard's root.
    """
    st.title("Key Human Indicators")
    st.markdown("Sign in with your work account to see the dashboard.")
    st.html(_KEEP_LINK, unsafe_allow_javascript=True)
    if st.button("Sign in", type="primary", key="sign_in", icon=":material/login:"):
        st.login()


# The tab's own storage (never sent to the server); only a path on this site is
# kept or followed, so the stored value cannot send anyone elsewhere.
_LINK_KEY = "khi_after_sign_in"
_KEEP_LINK = rf"""<script>
(() => {{
  const here = window.location.pathname + window.location.search;
  const page = window.location.pathname.replace(/\/+$/, "");
  if (page && !page.endsWith("/sign_in") && here.startsWith("/") && !here.startsWith("//")) {{
    window.sessionStorage.setItem("{_LINK_KEY}", here);
  }}
}})();
</script>"""
_FOLLOW_LINK = f"""<script>
(() => {{
  const wanted = window.sessionStorage.getItem("{_LINK_KEY}");
  window.sessionStorage.removeItem("{_LINK_KEY}");
  const here = window.location.pathname + window.location.search;
  if (wanted && wanted.startsWith("/") && !wanted.startsWith("//") && wanted !== here) {{
    window.location.replace(wanted);
  }}
}})();
</script>"""


def return_to_link() -> None:
    """After sign-in, once per session: open the link the person came by, if any."""
    if st.session_state.get("_khi_link_followed"):
        return
    st.session_state["_khi_link_followed"] = True
    st.html(_FOLLOW_LINK, unsafe_allow_javascript=True)


def empty_grant_page() -> None:
    """A person whose grant names no registered scheme yet: nothing to show, and why."""
    st.title("Key Human Indicators")
    scope = current_scope()
    granted = ", ".join([*scope.regions, *scope.scheme_ids]) or "no area"
    st.info(
        f"You are signed in as {md(scope.email or 'this account')} ({scope.role}), for "
        f"{md(granted)}. No scheme registered in the dashboard lies in that area yet, so "
        "there is nothing to show you. Ask your Shared Lives administrator to register "
        "the schemes or to change what you are given.",
        icon=":material/location_off:",
    )


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
        scope = current_scope()
        if _empty_grant(scope):
            st.navigation([st.Page(empty_grant_page, title="Nothing to show")]).run()
            return None
        return scope
    if not st.user.is_logged_in:
        # The sign-in page at every page's address: a shared link opened signed out
        # finds it (and is kept), not "Page not found".
        at_each_address = [
            st.Page(sign_in_page, title="Sign in", url_path=name)
            for name in sorted({n for pages in ROLE_PAGES.values() for n in pages})
        ]
        st.navigation(
            [st.Page(sign_in_page, title="Sign in", url_path="sign_in", default=True),
             *at_each_address],
            position="hidden",
        ).run()
        return None
    scope = current_scope()
    if scope.role is None:
        sign_out_button()
        st.navigation([st.Page(no_role_page, title="No access", url_path="no_access")]).run()
        return None
    if _empty_grant(scope):
        sign_out_button()
        st.navigation([st.Page(empty_grant_page, title="Nothing to show")]).run()
        return None
    return_to_link()
    return scope


def _empty_grant(scope: Scope) -> bool:
    """A role whose grant reaches no scheme (a region with none registered yet)."""
    return not scope.sees_all and scope.role is not None and _cached_allowed(scope).is_empty


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


def _allowed(store: Store, scope: Scope) -> Reach:
    return scope.allowed(store)


# A session's scope and its schemes, worked out once per store revision.
_cached_scope_for = on_store(scope_for)
_cached_allowed = on_store(_allowed)


# --------------------------------------------------------- schemes in scope ---
def _schemes_in_reach(store: Store, reach: Reach) -> pd.DataFrame:
    return store.schemes(reach)


@dataclass(frozen=True)
class SchemeChoices:
    """The register as the select boxes need it, built once per store revision."""

    names: dict[str, str]  # scheme id -> name, safe in Markdown (what pages write)
    plain: dict[str, str]  # scheme id -> name as registered (for widgets' options only)
    ids: tuple[str, ...]  # in the register's order (region, then name)
    by_region: dict[str, tuple[str, ...]]  # region -> its scheme ids


def _scheme_choices(store: Store, reach: Reach) -> SchemeChoices:
    frame = store.schemes(reach)
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


_cached_schemes_in_reach = on_store(_schemes_in_reach)
_cached_scheme_choices = on_store(_scheme_choices)


def schemes() -> pd.DataFrame:
    """The scheme register, restricted to the user's reach by the store."""
    return _cached_schemes_in_reach(user_reach())


def scheme_choices() -> SchemeChoices:
    """The schemes in the user's reach, for select boxes and labels (shared: read only)."""
    return _cached_scheme_choices(user_reach())
