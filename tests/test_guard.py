"""The server guard's websocket filter (pages.views.guard): which browser messages
reach Streamlit. The browser test (tests/browser/test_sessions.py) sends a real
"clear cache" from the sign-in page; this one checks every kind, signed in or not."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from pages.views.guard import _filtered


def run_alone(coroutine) -> object:
    """``asyncio.run`` in a thread of its own: a worker that ran a browser test keeps
    Playwright's event loop running in the main thread, where asyncio.run refuses."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def passed(messages: list[BackMsg], signed_in: bool) -> list[str]:
    """The kinds of ``messages`` that get through, in order."""
    queue = [{"type": "websocket.receive", "bytes": m.SerializeToString()} for m in messages]
    queue.append({"type": "websocket.disconnect"})

    async def receive() -> dict:
        return queue.pop(0)

    async def drain() -> list[str]:
        receive_filtered = _filtered(receive, signed_in)
        kinds = []
        while True:
            message = await receive_filtered()
            if message["type"] == "websocket.disconnect":
                return kinds
            back = BackMsg()
            back.ParseFromString(message["bytes"])
            kinds.append(back.WhichOneof("type"))

    return run_alone(drain())


def sample() -> list[BackMsg]:
    rerun = BackMsg()
    rerun.rerun_script.query_string = "a=1"
    upload = BackMsg()
    upload.file_urls_request.request_id = "1"
    return [BackMsg(clear_cache=True), rerun, BackMsg(app_heartbeat=True), upload,
            BackMsg(set_run_on_save=True), BackMsg(clear_cache=True)]


@pytest.mark.parametrize("signed_in", [True, False])
def test_nobody_clears_every_users_cache(signed_in: bool) -> None:
    kinds = passed(sample(), signed_in)
    assert "clear_cache" not in kinds and "set_run_on_save" not in kinds
    assert kinds[:2] == ["rerun_script", "app_heartbeat"]


def test_before_sign_in_only_the_sign_in_pages_messages_pass() -> None:
    assert passed(sample(), signed_in=False) == ["rerun_script", "app_heartbeat"]
    assert passed(sample(), signed_in=True) == [
        "rerun_script", "app_heartbeat", "file_urls_request"
    ]


def guarded_status(path: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """The status the guard gives a signed-out HTTP request for ``path`` with sign-in
    on (200: handed on to Streamlit)."""
    from pages.views import guard

    monkeypatch.setattr(guard, "auth_configured", lambda: True)
    monkeypatch.setattr(guard, "request_identity", lambda headers, admin=False: None)
    sent: list[dict] = []

    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "path": path, "headers": []}
    run_alone(guard.Guard(app)(scope, receive, send))
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


@pytest.mark.parametrize("path", [
    "/static/media/MaterialSymbols-Rounded.nEdyypZU.woff2", "/khi/static/media/font.woff2",
])
def test_streamlits_own_static_files_are_not_a_persons_media(path, monkeypatch) -> None:
    # Broken once (any path containing /media/ guarded): the icon font was refused to
    # every signed-in browser and icons showed as words ("logout").
    assert guarded_status(path, monkeypatch) == 200


@pytest.mark.parametrize("path", [
    "/media/0123abcd.png", "/khi/media/0123abcd.csv", "/media/static/media/x.png",
    "/_stcore/upload_file/s/f",
])
def test_media_and_uploads_need_a_signed_in_owner(path, monkeypatch) -> None:
    assert guarded_status(path, monkeypatch) == 403
