"""The server guard's websocket filter (pages.views.guard): which browser messages
reach Streamlit. The browser test (tests/browser/test_sessions.py) sends a real
"clear cache" from the sign-in page; this one checks every kind, signed in or not."""

from __future__ import annotations

import asyncio

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from pages.views.guard import _filtered


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

    return asyncio.run(drain())


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
