"""The online form's screens, its route, and the paper questionnaire follow the item bank."""

from __future__ import annotations

import dataclasses
import html
import re
import subprocess
import types
from html.parser import HTMLParser

import pandas as pd
import pytest

from kpi import form_html
from kpi.board.pack_html import chromium
from kpi.errors import KhiError
from kpi.items import Item, bank
from kpi.questionnaire import COMPLETED_BY, REFUSAL, easy_read, questionnaire

NEW_TEXT = "I spend time in the garden when I want to"


def bank_with_new_item():
    b = bank()
    new = Item(code="garden_time", text=NEW_TEXT, scale=b.scales["agree5"],
               audience="all", domain="Wellbeing")
    return dataclasses.replace(b, items=(*b.items, new))


class Tags(HTMLParser):
    """The page's elements, to check its structure rather than its spelling."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag, **attrs):
        return [a for t, a in self.tags
                if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def first_valid(question) -> str:
    return "2" if question.kind == "number" else question.options[0].form_value


def walk(q, choose=first_valid):
    """Answer every screen as a browser would post it; returns the final Step."""
    s = form_html.advance(q, {"step": "-1", "go": "start", "wording": q.wording})
    for _ in range(len(q.questions) + 1):
        page = form_html.screen(q, s)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        question = q.questions[s.step]
        field = "number" if question.kind == "number" else "answer"
        posted = {**{k: html.unescape(v) for k, v in hidden.items()},
                  field: choose(question), "go": "next"}
        s = form_html.advance(q, posted)
        if s.done:
            return s
    raise AssertionError("the form never finished")


@pytest.mark.parametrize("who", ["person", "carer"])
def test_walking_every_screen_collects_one_checked_answer_per_question(who) -> None:
    q = questionnaire(who)
    done = walk(q)
    assert done.done and not done.error
    assert list(done.answers) == [x.code for x in q.questions]
    assert done.answers[COMPLETED_BY] == "self"
    refused = walk(q, choose=lambda question: REFUSAL)
    assert set(refused.answers.values()) == {None}


def test_a_new_bank_item_gets_its_own_screen() -> None:
    q = questionnaire("carer", bank=bank_with_new_item())
    done = walk(q)
    assert "garden_time" in done.answers
    i = [x.code for x in q.questions].index("garden_time")
    page = form_html.question_page(q, i, {})
    assert f">{NEW_TEXT}</h1>" in page
    assert f"Question {i + 1} of {len(q.questions)}" in page


def test_back_keeps_answers_and_a_missing_or_bad_answer_is_asked_again() -> None:
    q = questionnaire("person")
    s = form_html.advance(q, {"step": "0", "go": "next", "number": "4"})
    assert (s.step, s.answers) == (1, {"friends_count": 4})
    s = form_html.advance(q, {"step": "1", "go": "back", "a_friends_count": "4"})
    assert (s.step, s.answers, s.error) == (0, {"friends_count": 4}, "")
    assert 'value="4"' in form_html.screen(q, s)  # the number is shown again
    s = form_html.advance(q, {"step": "1", "go": "next", "a_friends_count": "4"})
    assert s.step == 1 and "I don't want to answer" in s.error
    page = form_html.screen(q, s)
    assert 'role="alert"' in page and "<title>Error: " in page
    s = form_html.advance(q, {"step": "1", "go": "next", "answer": "9"})
    assert s.step == 1 and s.error


def test_tampered_hidden_answers_are_dropped_and_asked_again() -> None:
    q = questionnaire("carer")
    last = len(q.questions) - 1
    posted = {f"a_{x.code}": "1" for x in q.questions[:-1]}
    posted["a_swemwbs_1"] = "99"  # not an answer on that scale
    posted.update({"step": str(last), "go": "next", "answer": "proxy"})
    s = form_html.advance(q, posted)
    assert not s.done and q.questions[s.step].code == "swemwbs_1" and s.error
    posted["a_swemwbs_1"] = "5"
    s = form_html.advance(q, posted)
    assert s.done and s.answers["swemwbs_1"] == 5 and s.answers[COMPLETED_BY] == "proxy"


@pytest.mark.parametrize("who", ["person", "carer"])
def test_every_screen_is_a_fieldset_with_labelled_radios_and_pictures_with_alt(who) -> None:
    q = questionnaire(who)
    for i, question in enumerate(q.questions):
        page = Tags(form_html.question_page(q, i, {}))
        assert len(page.all("fieldset")) == 1 and len(page.all("legend")) == 1
        assert page.all("h1", id="question", tabindex="-1")
        assert page.all("html", lang="en-GB")
        radios = page.all("input", type="radio") + page.all("input", type="checkbox")
        assert len(radios) == len(question.options)
        labels = {a.get("for") for a in page.all("label")}
        assert all(r["id"] in labels for r in radios)
        alts = [a.get("aria-label") for a in page.all("svg", role="img")]
        assert alts == [o.words for o in question.options]
        assert f"Question {i + 1} of {len(q.questions)}" in "".join(page.text)
        listen = page.all("button", id="listen")
        assert listen and question.text in listen[0]["data-say"]


def test_words_are_escaped() -> None:
    b = bank()
    nasty = Item(code="nasty", text='<script>alert("x")</script>', scale=b.scales["agree5"],
                 audience="all", domain="Wellbeing")
    q = questionnaire("carer", bank=dataclasses.replace(b, items=(nasty,)))
    page = form_html.question_page(q, 0, {})
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<script>alert" not in form_html.paper_html(q)


def test_the_only_script_is_the_one_the_policy_allows() -> None:
    page = form_html.question_page(questionnaire("person"), 3, {})
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert scripts == [form_html.SCRIPT]
    assert "script-src 'sha256-" in form_html.CSP and "'unsafe-inline'" not in form_html.CSP.split(
        "style-src")[0]


def test_paper_questionnaire_has_every_question_and_answer_in_order() -> None:
    q = questionnaire("person", bank=bank_with_new_item())
    page = form_html.paper_html(q, reference="AB-12", link="https://khi.example/answer/tok")
    n = len(q.questions)
    positions = [page.index(f"{i} of {n}. {html.escape(x.text)}") for i, x in
                 enumerate(q.questions, start=1)]
    assert positions == sorted(positions)
    assert NEW_TEXT in page and "AB-12" in page
    assert page.count('<span class="box"') == sum(len(x.options) for x in q.questions)
    assert 'aria-label="QR code: the link to answer online"' in page
    assert "16pt" in form_html.PAPER_CSS  # large print: 16 pt answers, 18 pt questions


def test_qr_code_encodes_the_link() -> None:
    segno = pytest.importorskip("segno")
    drawn = form_html.qr_svg("https://khi.example/answer/tok", "QR")
    expected = segno.make("https://khi.example/answer/tok", error="m")
    assert drawn.count("<path") == 1 and expected.version >= 1
    assert 'role="img" aria-label="QR"' in drawn


needs_chromium = pytest.mark.skipif(chromium() is None, reason="Chromium is not installed")


@needs_chromium
def test_cli_writes_a_tagged_large_print_pdf_with_a_new_bank_item(tmp_path, monkeypatch) -> None:
    from pypdf import PdfReader

    from kpi import cli
    from kpi import questionnaire as qmod

    monkeypatch.setattr(qmod, "default_bank", bank_with_new_item)
    out = tmp_path / "carer.pdf"
    link = "https://khi.example/answer/" + "x" * 43  # as long as a real token's link
    assert cli.main(["questionnaire", "--who", "carer", "--out", str(out),
                     "--reference", "REF-7", "--link", link]) == 0
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M)
    reader = PdfReader(str(out))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert NEW_TEXT in text and "REF-7" in text
    assert "I have a life of my own as well as caring" in text
    sizes: dict[str, float] = {}

    def visit(t, cm, tm, font, size):
        if t.strip():
            sizes[t.strip()] = size * (tm[3] or 1) * (cm[3] or 1)

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    # Large print: nothing under 16 pt (Chromium writes 16 pt as 15.9975).
    assert min(sizes.values()) >= 15.9, sorted(sizes.items(), key=lambda kv: kv[1])[:3]


def test_cli_refuses_plainly_without_chromium(tmp_path, monkeypatch, capsys) -> None:
    from kpi import cli

    monkeypatch.setenv("KHI_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert cli.main(["questionnaire", "--who", "person", "--out", str(tmp_path / "q.pdf")]) == 2
    assert "needs Chromium" in capsys.readouterr().err
    assert not (tmp_path / "q.pdf").exists()


# ------------------------------------------------------------- the route ---
@dataclasses.dataclass
class FakeLink:
    who: str = "person"
    usable: bool = True
    reason: str = ""


class FakeCollect(types.ModuleType):
    """kpi.collect's interface (iface25.md) with links in a dict, for the route alone."""

    def __init__(self) -> None:
        super().__init__("kpi.collect")
        self.links = {"good": FakeLink(), "carer": FakeLink("carer"),
                      "closed": FakeLink(usable=False, reason="This survey has closed.")}
        self.stored: list[tuple[str, dict, str, str]] = []

    def link_info(self, store, token):
        return self.links.get(token)

    def submit(self, store, token, answers, *, wording, channel="online"):
        if token == "full":
            raise KhiError("Too many answers through this link just now. Please try later.")
        self.stored.append((token, answers, wording, channel))
        return len(self.stored)


@pytest.fixture
def client(monkeypatch):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from pages.views import answer

    fake = FakeCollect()
    monkeypatch.setattr(answer, "_collect", lambda: fake)
    monkeypatch.setattr(answer, "_store", lambda: None)
    with TestClient(Starlette(routes=answer.routes())) as c:
        c.fake = fake
        yield c


def test_route_walks_the_form_and_submits_once_with_the_who(client) -> None:
    start = client.get("/answer/carer")
    assert start.status_code == 200 and "There are 16 questions" in start.text
    assert start.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'sha256-" in start.headers["content-security-policy"]
    q = questionnaire("carer")
    page = client.post("/answer/carer", data={"step": "-1", "go": "start"})
    for question in q.questions:
        assert f">{html.escape(question.text)}</h1>" in page.text
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        data = {**{k: html.unescape(v) for k, v in hidden.items()},
                "answer": question.options[-2].form_value, "go": "next"}
        page = client.post("/answer/carer", data=data, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/answer/carer/thanks"
    [(token, answers, wording, channel)] = client.fake.stored
    assert (token, wording, channel) == ("carer", "easy_read", "online")
    assert answers["respondent_type"] == "carer" and answers[COMPLETED_BY] == "proxy"
    assert answers["swemwbs_1"] == 5 and len(answers) == len(q.questions) + 1
    assert "Thank you" in client.get("/answer/carer/thanks").text


def test_route_refuses_unknown_and_closed_links_politely_and_stores_nothing(client) -> None:
    unknown = client.get("/answer/nope")
    assert unknown.status_code == 404 and "Sorry" in unknown.text
    assert "Nothing has been saved" in unknown.text
    closed = client.post("/answer/closed", data={"step": "0", "go": "next", "number": "3"})
    assert closed.status_code == 410 and "This survey has closed." in closed.text
    client.fake.links["full"] = FakeLink()
    data = {f"a_{x.code}": REFUSAL for x in questionnaire("person").questions}
    data.update(step=str(len(questionnaire("person").questions) - 1), go="next", answer="self")
    full = client.post("/answer/full", data=data)
    assert full.status_code == 409 and "Please try later" in full.text
    assert client.fake.stored == []


def test_route_switches_wording_and_refuses_oversized_posts(client) -> None:
    page = client.post("/answer/good", data={"step": "-1", "go": "wording:standard"})
    assert 'name="wording" value="standard"' in page.text
    first = client.post("/answer/good", data={"step": "-1", "go": "start", "wording": "standard"})
    assert ">How many friends do you have, not counting paid staff?</h1>" in first.text
    big = client.post("/answer/good", data={"step": "0", "go": "next", "x": "a" * 40000})
    assert big.status_code == 413


def test_definitions_page_shows_both_wordings_of_every_item(demo_store, monkeypatch) -> None:
    from tests.apptest_helpers import open_page, static_tables

    at = open_page(monkeypatch, demo_store, "pages/definitions.py")
    assert not at.exception, [e.value for e in at.exception]
    items = pd.concat(static_tables(at)).set_index("Code")
    assert set(items.index) == set(bank().item_codes)
    for item in bank().items:
        row = items.loc[item.code]
        assert row["Question"] == item.text
        easy = questionnaire("carer" if item.audience == "carer" else "person").question(item.code)
        if easy.licensed:
            assert row["Easy read"].startswith("Same words (a licensed question")
        else:
            assert row["Easy read"] == easy.text == easy_read()["items"][item.code]
    assert items.loc["warm_kind", "Easy-read answers"].startswith("1 I do not agree at all")
    assert items.loc["ons_happy", "Easy-read answers"] == "Same"
