"""The online questionnaire in a real browser: axe-core on every screen at 1400 and 400 px,
keyboard only, nothing wider than a phone, and a screenshot of every screen to look at.

The form is served by its own route (pages.views.answer) on uvicorn, with the links
of tests/test_form_html.py's ``FakeCollect`` (kpi.collect's interface). Screenshots go
to /tmp/shots-form/ (``KHI_FORM_SHOTS`` to move them).
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpi.questionnaire import questionnaire
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_accessibility import AXE, TAGS, describe
from tests.test_form_html import FakeCollect

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("KHI_FORM_SHOTS", "/tmp/shots-form"))
WIDTHS = (1400, 400)


@pytest.fixture(scope="module")
def form_url() -> Iterator[tuple[str, FakeCollect]]:
    """The form's route alone, on a free port, with a fake kpi.collect."""
    import uvicorn
    from starlette.applications import Starlette

    from pages.views import answer

    fake = FakeCollect()
    saved = sys.modules.get("kpi.collect")
    sys.modules["kpi.collect"] = fake
    original_store = answer._store
    answer._store = lambda: None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=answer.routes()), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/answer/", fake
    finally:
        server.should_exit = True
        thread.join(10)
        answer._store = original_store
        if saved is None:
            sys.modules.pop("kpi.collect", None)
        else:
            sys.modules["kpi.collect"] = saved


@pytest.fixture
def tab(browser):
    # The form's policy forbids any script but its own: axe is injected past it.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def serious(tab) -> list[dict]:
    tab.add_script_tag(path=str(AXE))
    found = tab.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5), count: v.nodes.length}));
        }""",
        TAGS,
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def check_screen(tab, name: str, width: int, found: dict) -> None:
    """axe, no sideways scrolling, focus on the heading, and a screenshot."""
    violations = serious(tab)
    if violations:
        found[name] = violations
    wide = tab.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= width, f"{name} is {wide}px wide at {width}px"
    assert tab.evaluate("() => document.activeElement.id") == "question", name
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}_{width}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("who", ["person", "carer"])
def test_every_screen_passes_axe_and_fits(tab, form_url, width, who) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/browser`")
    base, fake = form_url
    token = "good" if who == "person" else "carer"
    tab.set_viewport_size({"width": width, "height": 900})
    found: dict[str, list] = {}
    tab.goto(base + token)
    check_screen(tab, f"{who}_00_start", width, found)
    tab.get_by_role("button", name="Start").click()
    q = questionnaire(who)
    for i, question in enumerate(q.questions, start=1):
        tab.wait_for_selector(f"text=Question {i} of {len(q.questions)}")
        if i == 1:  # Next with no answer: the error screen
            tab.get_by_role("button", name="Next").click()
            tab.wait_for_selector('[role="alert"]')
            check_screen(tab, f"{who}_01_error", width, found)
        check_screen(tab, f"{who}_{i:02d}_{question.code}", width, found)
        if question.kind == "number":
            tab.get_by_label(re.compile("Write a number")).fill("3")
        else:
            tab.get_by_role("radio", name=question.options[0].words, exact=True).check()
        last = i == len(q.questions)
        tab.get_by_role("button", name="Send my answers" if last else "Next").click()
    tab.wait_for_selector("text=Thank you")
    check_screen(tab, f"{who}_99_end", width, found)
    tab.goto(base + "closed")
    check_screen(tab, f"refused_{who}", width, found)
    total = sum(v["count"] for vs in found.values() for v in vs)
    assert not found, f"{total} serious/critical nodes at {width}px:\n{describe([found])}"


def test_keyboard_only_with_back(tab, form_url) -> None:
    """Tab, Space, arrows and Enter only: every question answered, one changed by going back."""
    base, fake = form_url
    before = len(fake.stored)
    tab.goto(base + "carer")
    tab.keyboard.press("Tab")
    tab.keyboard.press("Enter")  # Start
    q = questionnaire("carer")
    for i in range(1, len(q.questions) + 1):
        tab.wait_for_selector(f"text=Question {i} of {len(q.questions)}")
        assert tab.evaluate("() => document.activeElement.id") == "question"
        while tab.evaluate("() => document.activeElement.name") != "answer":
            tab.keyboard.press("Tab")  # past Listen to the first answer
        tab.keyboard.press("ArrowDown")  # the second answer
        tab.keyboard.press("Space")
        if i == 3:  # go back one, change it to the first answer, come forward again
            tab.keyboard.press("Shift+Tab")
            tab.keyboard.press("Shift+Tab")
            while tab.evaluate("() => document.activeElement.value") != "back":
                tab.keyboard.press("Tab")
            tab.keyboard.press("Enter")
            tab.wait_for_selector(f"text=Question 2 of {len(q.questions)}")
            while tab.evaluate("() => document.activeElement.name") != "answer":
                tab.keyboard.press("Tab")
            assert tab.evaluate("() => document.activeElement.checked")  # kept
            tab.keyboard.press("ArrowUp")
            tab.keyboard.press("Space")
            tab.keyboard.press("Enter")  # submits the form: Next
            tab.wait_for_selector(f"text=Question 3 of {len(q.questions)}")
            while tab.evaluate("() => document.activeElement.name") != "answer":
                tab.keyboard.press("Tab")
            assert tab.evaluate("() => document.activeElement.checked")  # kept too
        tab.keyboard.press("Enter")
    tab.wait_for_selector("text=Thank you")
    [(token, answers, wording, channel)] = fake.stored[before:]
    second = q.questions[1]
    assert answers[second.code] == second.options[0].value  # changed on the way back
    assert answers[q.questions[0].code] == q.questions[0].options[1].value
    assert answers["completed_by"] == "with_help"
