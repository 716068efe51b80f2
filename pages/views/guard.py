"""The web server's own guard, in front of Streamlit's routes (``st.App`` middleware).

Why: Streamlit serves a few things no page can refuse, and its configuration has
no switch for them (1.67):

- ``/_stcore/metrics`` lists active sessions and cached function names: served
  to a signed-in administrator only (never in local mode, where anyone reaching
  the port would count as one). The agent API (``/_stcore/agent/...``) is not
  used: never served.
- Media files (downloads, images) are served to any request that knows the URL:
  with sign-in on, only to a request carrying a signed-in person's cookie who still
  has a role and has not signed out since, and only to the person whose session
  drew the file or whose click made it (a deferred download); a file nobody is
  known to own is served to nobody.
- Uploads (``/_stcore/upload_file``) need a signed-in person with a role, too.
- The websocket's "clear cache" message empties every user's cached results: it
  is dropped for everyone (the caches refresh by themselves when the store
  changes). Before sign-in a session may send only what the sign-in page needs
  (run the script, heartbeats); uploads and deferred downloads are dropped.

Without sign-in (local mode) nothing is asked of a request but the first two rules.
The guard decodes Streamlit's own signed auth cookie with Streamlit's functions;
they are private, so a Streamlit upgrade is checked by tests/browser/test_sessions.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from kpi.identity import Identity, identity_from_claims, scope_for_identity
from kpi.paths import default_db_path
from kpi.store import Store

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_LOG = logging.getLogger(__name__)

NEVER_SERVED = ("/_stcore/agent/",)
METRICS = "/_stcore/metrics"
MEDIA, UPLOAD = "/media/", "/_stcore/upload_file/"
# BackMsg types no session may send: they reach every user (clear_cache) or are
# a developer's (run on save, debug). Before sign-in, these only are allowed.
DROPPED_FOR_ALL = {"clear_cache", "set_run_on_save", "debug_disconnect_websocket",
                   "debug_shutdown_runtime", "debug_last_backmsg_id", "load_git_info"}
BEFORE_SIGN_IN = {"rerun_script", "app_heartbeat", "stop_script"}


def auth_configured() -> bool:
    """Whether sign-in is on (an ``[auth]`` section in the secrets Streamlit reads)."""
    from streamlit.runtime.secrets import secrets_singleton

    return bool(secrets_singleton.load_if_toml_exists() and "auth" in secrets_singleton)


def cookie_claims(headers: list[tuple[bytes, bytes]]) -> dict[str, Any] | None:
    """The claims in Streamlit's signed auth cookie of a request, or None (no cookie,
    a forged or expired one)."""
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME
    from streamlit.web.server.starlette.starlette_websocket import (
        _get_signed_cookie_with_chunks,
    )

    raw = b"; ".join(value for name, value in headers if name.lower() == b"cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:  # a malformed Cookie header is no sign-in
        return None
    cookies = {name: morsel.value for name, morsel in jar.items()}
    decoded = _get_signed_cookie_with_chunks(cookies, USER_COOKIE_NAME)
    if not decoded:
        return None
    try:
        claims = json.loads(decoded)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return claims if isinstance(claims, dict) and claims.get("is_logged_in") else None


def request_identity(
    headers: list[tuple[bytes, bytes]], *, admin: bool = False
) -> Identity | None:
    """Who a request is, when that person still has a role (``admin``: is an
    administrator) and has not signed out since their cookie was issued (reads the
    store: call it off the event loop)."""
    claims = cookie_claims(headers)
    who = identity_from_claims(claims) if claims else None
    if who is None:
        return None
    try:
        scope = scope_for_identity(Store(default_db_path()), who)
    except Exception:  # a busy or missing store: refuse rather than guess
        _LOG.warning("Request refused: its sign-in could not be checked", exc_info=True)
        return None
    if scope.role is None or (admin and not scope.is_admin):
        return None
    return who


# A deferred download's file is made on a click and drawn by no session, so
# Streamlit's media manager ties it to nobody. The guard sees the answer that hands
# its address to the browser and keeps who asked: then only they may fetch it.
# Bounded (oldest forgotten first): a forgotten file is refused, never opened up.
_DEFERRED_OWNERS: OrderedDict[str, str] = OrderedDict()
_DEFERRED_KEPT = 2048


def _owner(who: Identity) -> str:
    return f"{who.issuer}\x1f{who.subject}"


def remember_deferred(data: bytes, who: Identity) -> None:
    """When an outgoing websocket message hands a deferred download's address to
    ``who``'s browser, record them as the file's only owner."""
    if MEDIA.encode() not in data:  # most messages: no parse at all
        return
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    forward = ForwardMsg()
    try:
        forward.ParseFromString(data)
    except Exception:
        return
    if forward.WhichOneof("type") != "backend_operation_response":
        return
    url = forward.backend_operation_response.deferred_file.url
    if MEDIA not in url:
        return
    file_id = url.split(MEDIA, 1)[1].split(".")[0]
    _DEFERRED_OWNERS[file_id] = _owner(who)
    _DEFERRED_OWNERS.move_to_end(file_id)
    while len(_DEFERRED_OWNERS) > _DEFERRED_KEPT:
        _DEFERRED_OWNERS.popitem(last=False)


def _media_owners(file_id: str) -> set[str]:
    """The (issuer, subject) of the sessions that drew this media file, or of the
    person whose click made it (a deferred download); empty when nobody is known,
    which nobody may fetch."""
    from streamlit import runtime

    deferred = _DEFERRED_OWNERS.get(file_id.split(".")[0])
    if deferred is not None:
        return {deferred}
    if not runtime.exists():
        return set()
    instance = runtime.get_instance()
    manager = instance.media_file_mgr
    sessions = [
        session_id
        for session_id, files in dict(manager._files_by_session_and_coord).items()
        if file_id.split(".")[0] in files.values()
    ]
    owners: set[str] = set()
    for session_id in sessions:
        info = instance._session_mgr.get_session_info(session_id)
        user = getattr(getattr(info, "session", None), "_user_info", None) or {}
        owners.add(f"{user.get('iss')}\x1f{user.get('sub')}")
    return owners


async def _refuse(send: Send, status: int) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": b"Not available.\n"})


class Guard:
    """ASGI middleware: see the module's docstring for what it refuses and why."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        path = scope.get("path", "")
        if kind == "http":
            if any(p in path for p in NEVER_SERVED):  # also under a server.baseUrlPath
                await _refuse(send, 404)
                return
            if METRICS in path and not (
                auth_configured()
                and await asyncio.to_thread(request_identity, scope.get("headers", []),
                                            admin=True)
            ):
                await _refuse(send, 404)
                return
            if auth_configured() and (media_file(path) is not None or UPLOAD in path):
                who = await asyncio.to_thread(request_identity, scope.get("headers", []))
                if who is None or not self._may_fetch(path, who):
                    await _refuse(send, 403)
                    return
        elif kind == "websocket" and path.endswith("/_stcore/stream"):
            signed_in = True
            if auth_configured():
                who = await asyncio.to_thread(request_identity, scope.get("headers", []))
                signed_in = who is not None
                if who is not None:
                    send = _noting_deferred(send, who)
            receive = _filtered(receive, signed_in)
        await self.app(scope, receive, send)

    @staticmethod
    def _may_fetch(path: str, who: Identity) -> bool:
        file_name = media_file(path)
        if file_name is None:
            return True
        return _owner(who) in _media_owners(file_name)


def media_file(path: str) -> str | None:
    """The media file a request path asks for (``[base]/media/<file>``), or None.

    Why not ``"/media/" in path``: Streamlit's own front end lives under
    ``[base]/static/media/`` (its icon font among it); treating those as a person's
    media refused the Material Symbols font to every signed-in browser, so icons
    showed as their names ("logout", "science")."""
    head, found, file_name = path.partition(MEDIA)
    if not found or head.endswith("/static"):
        return None
    return file_name  # an odd name (with slashes, or empty) is owned by nobody


def _noting_deferred(send: Send, who: Identity) -> Send:
    """The websocket's outgoing messages, unchanged, noting deferred downloads' owner."""

    async def send_message(message: Message) -> None:
        data = message.get("bytes") if message.get("type") == "websocket.send" else None
        if data:
            remember_deferred(data, who)
        await send(message)

    return send_message


def _filtered(receive: Receive, signed_in: bool) -> Receive:
    """The websocket's incoming messages without the BackMsgs this session may not send."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    async def next_message() -> Message:
        while True:
            message = await receive()
            data = message.get("bytes") if message.get("type") == "websocket.receive" else None
            if not data:
                return message
            back = BackMsg()
            try:
                back.ParseFromString(data)
            except Exception:  # not ours to judge: Streamlit refuses it itself
                return message
            kind = back.WhichOneof("type")
            if kind in DROPPED_FOR_ALL or (not signed_in and kind not in BEFORE_SIGN_IN):
                _LOG.warning("Dropped a %r message from the browser", kind)
                continue
            return message

    return next_message


def middleware() -> list[Any]:
    """The guard as ``st.App(middleware=...)`` takes it."""
    from starlette.middleware import Middleware

    return [Middleware(Guard)]
