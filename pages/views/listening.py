"""Local mode is for the person at the machine: it is never served to other addresses.

Local mode (no ``[auth]`` section in the secrets file) has no sign-in: whoever
opens the dashboard is the administrator. ``.streamlit/config.toml`` therefore
binds the server to 127.0.0.1; should it be started on another address anyway
(``--server.address 0.0.0.0``, ``STREAMLIT_SERVER_ADDRESS``) without sign-in,
the dashboard shows only how to fix that. Why here and not only in the config:
a command-line flag or an environment variable overrides the file.
"""

from __future__ import annotations

import ipaddress

import streamlit as st
from streamlit import runtime

from pages.views.access import auth_configured

UNIX_SOCKET = "unix://"


def is_loopback(address: str | None) -> bool:
    """Whether a ``server.address`` is reachable from this machine only.

    None or empty is Streamlit's default, every interface; a host name other
    than localhost may resolve to anything, so it counts as reachable.
    """
    if not address:
        return False
    if address.startswith(UNIX_SOCKET) or address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def served_address() -> str | None:
    """The address this server listens on (under AppTest no server listens: loopback)."""
    if not runtime.exists():
        return "127.0.0.1"
    return st.get_option("server.address")


def refuse_exposed_local_mode() -> bool:
    """When local mode listens beyond this machine: serve only the page saying how to
    fix it (on every address, as the sign-in page is served before sign-in), and
    return True so nothing else runs."""
    if auth_configured() or is_loopback(served_address()):
        return False
    st.navigation([st.Page(_refusal_page, title="Local mode", url_path="local_only")]).run()
    return True


def _refusal_page() -> None:
    st.title("Key Human Indicators")
    st.error(
        "This dashboard is in local mode (no sign-in: whoever opens it is the "
        f"administrator), but it listens on {served_address() or 'every network address'}, "
        "where others could reach it, so it shows nothing. Start it with `--server.address "
        "127.0.0.1` (as `make run` does), or turn sign-in on first (README: *Sign-in and "
        "roles*).",
        icon=":material/lock:",
    )
