"""The online questionnaire in a real browser: axe-core on every screen at 1400 and 400 px,
keyboard only, nothing wider than a phone, and a screenshot of every screen to look at
(``KHI_SHOTS=1``).

The form is the real ``streamlit run`` server's ``/answer/{token}`` route (mounted by
dashboard.py), reached by links of real rounds opened with :func:`kpi.collect.open_round`
in a copy of the browser store: answers dated today make a new latest quarter, which
the other browser tests sharing the session's store must not see. Screenshots go to
/tmp/shots-form/ (``KHI_FORM_SHOTS``) when ``KHI_SHOTS`` is set.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpi import collect
from kpi.questionnaire import questionnaire
from kpi.scope import Scope
from tests.browser.conftest import SHOTS as SHOTS_WANTED
from tests.browser.conftest import TIMEOUT_MS, running_dashboard
from tests.browser.test_accessibility import AXE, TAGS, describe

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("KHI_FORM_SHOTS", "/tmp/shots-form"))
WIDTHS = (1400, 400)
ADMIN = Scope(role="admin", email="admin@example.org")


@pytest.fixture(scope="module")
def server(browser_store, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A dashboard of its own on a copy of the browser store (answers are written)."""
    from kpi.store import Store

    store = Store(tmp_path_factory.mktemp("form") / "khi.duckdb")
    shutil.copyfile(browser_store.path, store.path)
    with running_dashboard(store) as running:
        yield running


@pytest.fixture(scope="module")
def links(server) -> dict[str, str]:
    """Open links of a people's and a carers' round, and a closed one, on the real server."""
    store = server.store
    scheme = sorted(store.scheme_ids())[0]
    today = dt.date.today()
    out = {}
    for who in ("person", "carer"):
        opened = collect.open_round(store, ADMIN, scheme_id=scheme, quarter=today, who=who)
        out[who] = f"{server.url}/answer/{opened.open_token}"
    closed = collect.open_round(store, ADMIN, scheme_id=scheme, quarter=today)
    collect.close_round(store, ADMIN, closed.round_id)
    out["closed"] = f"{server.url}/answer/{closed.open_token}"
    out["tampered"] = out["person"][:-3] + ("aaa" if not out["person"].endswith("aaa") else "bbb")
    return out


def answers_stored(store, channel: str = "online") -> int:
    with store.connect() as con:
        return con.execute("SELECT count(*) FROM responses WHERE channel = ?",
                           [channel]).fetchone()[0]


@pytest.fixture
def tab(browser):
    # The form's policy forbids any script but its own: axe is injected past it.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    # What the Listen button would say, kept instead of spoken.
    context.add_init_script("""window.__said = [];
        if (window.speechSynthesis) {
            window.speechSynthesis.speak = (u) => window.__said.push(u.text);
        }""")
    try:
        yield context.new_page()
    finally:
        context.close()


def serious(tab) -> list[dict]:
    if not tab.evaluate("() => typeof axe !== 'undefined'"):  # once a screen, not a width
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


def check_screen(tab, name: str, found: dict) -> None:
    """At each width (the window resized, the same screen): axe, no sideways
    scrolling, focus on the heading, and a screenshot. The window is left at the widest."""
    for width in WIDTHS:
        tab.set_viewport_size({"width": width, "height": 900})
        violations = serious(tab)
        if violations:
            found[f"{name} at {width}px"] = violations
        wide = tab.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide}px wide at {width}px"
        assert tab.evaluate("() => document.activeElement.id") == "question", name
        if SHOTS_WANTED:
            SHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(SHOTS / f"{name}_{width}.png"), full_page=True)


@pytest.mark.parametrize("who", ["person", "carer"])
def test_every_screen_passes_axe_and_fits(tab, links, server, who) -> None:
    """Every screen checked at 1400 and 400 px (one walk, the window resized on each)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/browser`")
    before = answers_stored(server.store)
    found: dict[str, list] = {}
    tab.goto(links[who])
    check_screen(tab, f"{who}_00_start", found)
    tab.get_by_role("button", name="Start").click()
    q = questionnaire(who)
    for i, question in enumerate(q.questions, start=1):
        tab.wait_for_selector(f"text=Question {i} of {len(q.questions)}")
        if i == 1:  # Next with no answer: the error screen
            tab.get_by_role("button", name="Next").click()
            tab.wait_for_selector('[role="alert"]')
            check_screen(tab, f"{who}_01_error", found)
        check_screen(tab, f"{who}_{i:02d}_{question.code}", found)
        if i == 2:  # Listen reads the question and its answers (the browser's speech)
            tab.get_by_role("button", name="Listen").click()
            said = tab.evaluate("() => window.__said")
            assert said and question.text in said[-1] and question.options[0].words in said[-1]
        if question.kind == "number":
            tab.get_by_label(re.compile("Write a number")).fill("3")
        else:
            tab.get_by_role("radio", name=question.options[0].words, exact=True).check()
        last = i == len(q.questions)
        tab.get_by_role("button", name="Send my answers" if last else "Next").click()
    tab.wait_for_selector("text=Thank you")
    check_screen(tab, f"{who}_99_end", found)
    assert answers_stored(server.store) == before + 1
    for refused in ("closed", "tampered"):
        tab.goto(links[refused])
        assert "Sorry" in tab.locator("h1").inner_text()
        check_screen(tab, f"refused_{refused}_{who}", found)
    total = sum(v["count"] for vs in found.values() for v in vs)
    assert not found, f"{total} serious/critical nodes:\n{describe([found])}"


def test_keyboard_only_with_back(tab, links, server) -> None:
    """Tab, Space, arrows and Enter only: every question answered, one changed by going back."""
    before = answers_stored(server.store)
    tab.goto(links["carer"])
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
    assert answers_stored(server.store) == before + 1
    first, second = q.questions[0], q.questions[1]
    with server.store.connect() as con:
        row = con.execute(
            f"SELECT {first.code}, {second.code}, completed_by, respondent_type, wording "
            "FROM responses WHERE channel = 'online' ORDER BY response_id DESC LIMIT 1"
        ).fetchone()
    assert row == (first.options[1].value, second.options[0].value,  # changed on the way back
                   "with_help", "carer", "easy_read")
