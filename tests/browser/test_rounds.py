"""Survey rounds end to end in a real browser, against a real ``streamlit run``.

A scheme user (local mode, ``KHI_AS``) opens a round on the Survey rounds page and
downloads its links; a personal link is answered by keyboard only in a fresh
browser context (no sign-in, no cookie); the answer counts in the KHIs and in the
person's change (they answered last quarter by upload). A closed or tampered link
is refused politely and stores nothing. With sign-in on, a link opens the form and
nothing else: no dashboard page, no websocket, no cookie.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from kpi import collect
from kpi.indicators import Filters, Settings, change, indicator_table
from kpi.periods import quarter_label, shift_quarter
from kpi.privacy import key_for_reference
from kpi.questionnaire import questionnaire
from kpi.scope import LOCAL_ADMIN, add_user
from kpi.store import Store
from tests.browser.conftest import IDLE, TIMEOUT_MS, running_dashboard

pytestmark = pytest.mark.browser

STAFF = "staff@scheme.example"
QUARTER = quarter_label(dt.date.today())
ONE = Settings(min_base=1, min_compare=1)


def _store(folder: Path) -> Store:
    """Scheme S1 with a scheme user, and person AB-1's answer last quarter (an upload)."""
    store = Store(folder / "khi.duckdb")
    store.init()
    key = key_for_reference(store.path, "S1", "AB-1")  # outside the transaction: it reads
    with store.transaction() as con:
        store.upsert_schemes(con, pd.DataFrame(
            {"scheme_id": ["S1"], "name": ["Alder Lives"], "region": ["London"]}))
        upload = store.new_upload(con, scheme_id="S1", kind="survey", file_name="q2.csv",
                                  sha256=None, uploaded_by="test", layout="template")
        store.bulk_insert_responses(con, upload, pd.DataFrame({
            "scheme_id": ["S1"], "person_key": [key],
            "respondent_type": ["person"],
            "completed_on": [shift_quarter(dt.date.today(), -1) + dt.timedelta(days=5)],
            "friends_count": pd.array([1], dtype="Int8")}))
        store.finish_upload(con, upload, accepted=1, rejected=0)
    add_user(store, STAFF, "scheme", ["S1"], by="test")
    return store


def dashboard_as(store: Store, email: str):
    """``streamlit run`` in local mode showing what ``email`` sees (``KHI_AS``)."""
    return running_dashboard(store, env={"KHI_AS": email, "KHI_NO_DEMO": "1"})


def _count(store: Store) -> int:
    return int(store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0])


def answer_by_keyboard(tab, link: str) -> None:
    """Start, then every question by keys only: a number typed, else the second answer."""
    tab.goto(link)
    tab.keyboard.press("Tab")
    tab.keyboard.press("Enter")  # Start
    q = questionnaire("person")
    for i, question in enumerate(q.questions, start=1):
        tab.wait_for_selector(f"text=Question {i} of {len(q.questions)}")
        while tab.evaluate("() => document.activeElement.name") not in ("answer", "number"):
            tab.keyboard.press("Tab")
        if question.kind == "number":
            tab.keyboard.type("3")
        else:
            tab.keyboard.press("ArrowDown")  # the second answer
            tab.keyboard.press("Space")
        tab.keyboard.press("Enter")  # Next / Send my answers
    tab.wait_for_selector("text=Thank you")


def test_scheme_user_opens_a_round_a_person_answers_by_keyboard_links_stop(
    browser, tmp_path
) -> None:
    store = _store(tmp_path)
    with dashboard_as(store, STAFF) as server:
        staff = browser.new_context(viewport={"width": 1280, "height": 900},
                                    accept_downloads=True)
        staff.set_default_timeout(TIMEOUT_MS)
        tab = staff.new_page()
        tab.goto(f"{server.url}/rounds")
        tab.wait_for_selector("h1:has-text('Survey rounds')")
        tab.wait_for_selector(IDLE)
        tab.get_by_role("textbox", name="References for personal links").fill("AB-1\nCD-2")
        tab.keyboard.press("Control+Enter")  # Streamlit takes a text area's value on it
        tab.wait_for_selector(IDLE)
        tab.get_by_role("button", name="Open the round").click()
        tab.wait_for_selector("text=Round 1 is open")
        tab.wait_for_selector(IDLE)
        with tab.expect_download() as download:
            tab.get_by_role("button", name="Download the links (CSV)").click()
        links = list(csv.DictReader(io.StringIO(
            Path(download.value.path()).read_text(encoding="utf-8-sig"))))
        by_ref = {row["reference"]: row["url"] for row in links}
        assert set(by_ref) == {"", "AB-1", "CD-2"}
        assert all(u.startswith(server.url + "/answer/") for u in by_ref.values())
        opened_by = store.query("SELECT opened_by FROM rounds")["opened_by"].iloc[0]
        assert opened_by == STAFF

        person = browser.new_context(viewport={"width": 800, "height": 900})  # no cookie
        person.set_default_timeout(TIMEOUT_MS)
        answer_by_keyboard(person.new_page(), by_ref["AB-1"])
        person.close()

        key = key_for_reference(store.path, "S1", "AB-1")
        mine = store.query("SELECT channel, wording, friends_count FROM responses "
                           "WHERE person_key = ? ORDER BY completed_on", [key])
        assert list(mine["channel"]) == ["upload", "online"]
        assert list(mine["friends_count"]) == [1, 3] and mine["wording"].iloc[1] == "easy_read"
        khi = indicator_table(store, khis=["friends_mean"], quarter=QUARTER,
                              filters=Filters(scheme_ids=("S1",)), settings=ONE)
        assert (int(khi["n"].iloc[0]), float(khi["value"].iloc[0])) == (1, 3.0)
        moved = change(store, "friends_change", quarter=QUARTER, settings=ONE)
        assert (int(moved["n"].iloc[0]), float(moved["mean_change"].iloc[0])) == (1, 2.0)

        # The round closed on the page: its links are refused politely, nothing stored.
        tab.get_by_role("button", name="I have kept the links").click()
        tab.wait_for_selector(IDLE)
        tab.get_by_role("button", name="Close this round").click()
        tab.wait_for_selector("text=Round 1 is closed")
        before = _count(store)
        visitor = browser.new_context()
        visitor.set_default_timeout(TIMEOUT_MS)
        page = visitor.new_page()
        refused = page.goto(by_ref["CD-2"])
        assert refused.status == 410 and "This survey is closed now" in page.content()
        token = by_ref[""].rsplit("/", 1)[1]
        tampered = by_ref[""][:-1] + ("A" if token[-1] != "A" else "B")
        refused = page.goto(tampered)
        assert refused.status == 404 and "This link does not work" in page.content()
        posted = page.request.post(by_ref["CD-2"], form={"step": "0", "go": "next",
                                                         "number": "3"})
        assert posted.status == 410
        assert _count(store) == before
        visitor.close()
        staff.close()


def test_with_sign_in_on_a_link_reaches_the_form_and_nothing_else(browser, tmp_path) -> None:
    from tests.browser.test_signin import SIGN_IN_TEXT, signed_in_site

    store = _store(tmp_path)
    opened = collect.open_round(store, LOCAL_ADMIN, scheme_id="S1",
                                quarter=QUARTER, references=["AB-1"])
    with signed_in_site(store, tmp_path) as (url, _provider):
        context = browser.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        tab = context.new_page()
        sockets: list[str] = []
        requested: list[str] = []
        tab.on("websocket", lambda ws: sockets.append(ws.url))
        tab.on("request", lambda r: requested.append(r.url))
        link = collect.link_url(url, opened.personal[0][1])
        response = tab.goto(link)
        assert response.status == 200 and "set-cookie" not in response.headers
        tab.wait_for_selector("text=Start")
        answer_by_keyboard(tab, link)
        assert not sockets  # no Streamlit session, so no websocket frame
        assert all("/answer/" in u for u in requested), requested
        assert tab.evaluate("() => document.querySelector('[data-testid=stApp]')") is None
        assert not context.cookies()
        # The same browser, on the dashboard: the sign-in page, not a dashboard page.
        tab.goto(url + "/")
        tab.wait_for_selector("h1")
        tab.wait_for_selector(IDLE)
        tab.get_by_role("button", name="Sign in").wait_for()
        assert tab.locator("h1").first.inner_text().strip() == "Key Human Indicators"
        assert SIGN_IN_TEXT in tab.inner_text("body")
        assert _count(store) == 2  # the upload's and the link's, nothing else
        context.close()
