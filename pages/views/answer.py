"""The online questionnaire's web route: ``GET/POST /answer/{token}``, outside Streamlit.

Why a plain Starlette route (mounted by ``st.App(routes=...)`` in dashboard.py)
and not a page: a link holder gets the form and nothing else. No websocket, no
session, no cookie, no dashboard page; each request is answered from the link
(:func:`kpi.collect.link_info`) and the form's own fields, so the server keeps
nothing per visitor. Answers are stored only by :func:`kpi.collect.submit`,
which checks the link again, rate-limits it and refuses politely.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from kpi import form_html
from kpi.errors import KhiError
from kpi.paths import default_db_path
from kpi.questionnaire import WORDINGS, questionnaire

__all__ = ["PREFIX", "routes"]

PREFIX = "/answer/"
MAX_BODY = 32 * 1024  # one screen's fields are a few hundred bytes
HEADERS = {
    "Content-Security-Policy": form_html.CSP,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
UNKNOWN = "This link does not work. It may have been typed wrongly or changed."


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def _store() -> Any:
    from kpi.store import Store

    return Store(default_db_path())


def _collect() -> Any:
    from kpi import collect  # owned by the rounds branch

    return collect


async def _link(token: str) -> Any:
    return await run_in_threadpool(_collect().link_info, _store(), token)


def _refused(info: Any) -> HTMLResponse | None:
    if info is None:
        return _html(form_html.refusal_page(UNKNOWN), 404)
    if not info.usable:
        return _html(form_html.refusal_page(info.reason), 410)
    return None


async def answer(request: Request) -> Response:
    """One screen of the form; the last screen's Send stores the answers."""
    token = request.path_params["token"]
    info = await _link(token)
    refused = _refused(info)
    if refused is not None:
        return refused
    if request.method == "GET":
        return _html(form_html.start_page(questionnaire(info.who)))
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_BODY:
        return _html(form_html.refusal_page("That was too much to send."), 413)
    async with request.form(max_files=0, max_fields=200) as posted:
        form = {k: v for k, v in posted.items() if isinstance(v, str)}
    go = form.get("go", "")
    wording = form.get("wording", "easy_read")
    if go.startswith("wording:"):
        wording = go.removeprefix("wording:")
    if wording not in WORDINGS:
        wording = "easy_read"
    q = questionnaire(info.who, wording)
    step = form_html.advance(q, form)
    if not step.done:
        return _html(form_html.screen(q, step), 422 if step.error else 200)
    answers = {**step.answers, "respondent_type": info.who}
    collect = _collect()
    try:
        await run_in_threadpool(
            lambda: collect.submit(_store(), token, answers, wording=wording, channel="online")
        )
    except KhiError as exc:
        return _html(form_html.refusal_page(str(exc)), 409)
    # Post, then redirect: a reload of the thank-you page cannot send the answers twice.
    return RedirectResponse(request.url.path.rstrip("/") + "/thanks", status_code=303,
                            headers=HEADERS)


async def thanks(request: Request) -> Response:
    return _html(form_html.end_page())


def routes() -> list[Route]:
    """What ``st.App(routes=...)`` serves besides Streamlit."""
    return [
        Route(PREFIX + "{token}", answer, methods=["GET", "POST"]),
        Route(PREFIX + "{token}/thanks", thanks, methods=["GET"]),
    ]
