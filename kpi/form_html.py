"""The online questionnaire's screens and the paper questionnaire, as plain HTML.

Why server-rendered HTML and not a Streamlit page: a link holder must reach the
form and nothing else of the dashboard, on any tablet, by keyboard and with a
screen reader, with no script needed. One question per screen in a
``<fieldset>`` whose ``<legend>`` is the question, real radio buttons with
labels, large text. JavaScript only adds the Listen button (the browser's own
speech) and moves focus to the question.

Why the answers so far travel in the form itself (hidden fields) and are
checked again on every step with :func:`kpi.questionnaire.check_answer`: the
server then keeps nothing per visitor between screens, so a flood of visitors
cannot grow its memory, and a tampered hidden field is at worst an answer the
respondent could have chosen anyway (anything else is dropped and asked again).

The paper questionnaire is the same questions, large print, printed to a
tagged PDF by :func:`kpi.board.pack_html.print_pdf`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from kpi import pictures
from kpi.errors import KhiError
from kpi.print_css import page_css
from kpi.questionnaire import REFUSAL, Question, Questionnaire, check_answer

__all__ = [
    "CSP",
    "Step",
    "advance",
    "end_page",
    "paper_html",
    "qr_svg",
    "question_page",
    "refusal_page",
    "start_page",
]

TITLE = "Your Shared Lives questionnaire"
INK = "#1a1a1a"
ACCENT = "#00467f"  # 9.6:1 on white
FOCUS = "#ffbf47"

# Read the question (and its answers) aloud with the browser's own speech; move
# focus to the question so a screen reader starts there. Nothing else runs.
SCRIPT = """
(function () {
  var q = document.getElementById('question');
  if (q) { q.focus(); }
  var b = document.getElementById('listen');
  if (!b || !('speechSynthesis' in window)) { return; }
  b.hidden = false;
  b.addEventListener('click', function () {
    window.speechSynthesis.cancel();
    var u = new SpeechSynthesisUtterance(b.getAttribute('data-say'));
    u.lang = 'en-GB'; u.rate = 0.9;
    window.speechSynthesis.speak(u);
  });
})();
""".strip()
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
# Sent with every screen: no other script, no outside resources, no referrer
# (the link's token is in the address), posts only to this page.
CSP = (
    f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; style-src 'unsafe-inline'; "
    "img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

SCREEN_CSS = f"""
* {{ box-sizing: border-box; }}
html {{ font: 1.375rem/1.5 Arial, 'DejaVu Sans', sans-serif; color: {INK}; background: #fff; }}
body {{ margin: 0; }}
main {{ max-width: 46rem; margin: 0 auto; padding: 1rem 1rem 3rem; }}
.progress {{ font-size: 1.1rem; margin: 0 0 .5rem; }}
h1 {{ font-size: 1.9rem; line-height: 1.3; margin: 0 0 .75rem; }}
h1:focus {{ outline: none; }}  /* focused by script so a screen reader starts here */
.intro {{ margin: 0 0 1rem; }}
fieldset {{ border: 0; padding: 0; margin: 0 0 1.25rem; min-width: 0; }}
legend {{ padding: 0; margin: 0 0 1rem; }}
ul.options {{ list-style: none; padding: 0; margin: 0; display: grid; gap: .6rem;
             grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); }}
ul.options.numbers {{ grid-template-columns: repeat(auto-fill, minmax(6.5rem, 1fr)); }}
ul.options.numbers .option {{ flex-direction: column; text-align: center; gap: .2rem;
                             padding: .4rem .2rem; }}
ul.options li.refusal {{ grid-column: 1 / -1; }}
ul.options.numbers li.refusal .option {{ flex-direction: row; text-align: left; gap: .6rem;
                                        padding: .4rem .6rem; }}
.option span {{ min-width: 0; overflow-wrap: anywhere; }}
ul.options li {{ margin: 0; }}
.option {{ display: flex; align-items: center; gap: .6rem; min-height: 3.5rem;
          border: 2px solid {INK}; border-radius: .5rem; padding: .4rem .6rem; cursor: pointer; }}
.option:hover {{ background: #f3f2f1; }}
.option input {{ width: 1.6rem; height: 1.6rem; flex: none; margin: 0; accent-color: {ACCENT}; }}
.option:has(input:checked) {{ background: #e8f1f8; border-color: {ACCENT}; border-width: 4px; }}
.option svg {{ flex: none; }}
input:focus-visible, button:focus-visible, a:focus-visible {{
  outline: 4px solid {FOCUS}; outline-offset: 2px; box-shadow: 0 0 0 7px {INK}; }}
.number label {{ display: block; margin-bottom: .4rem; }}
.number input {{ font: inherit; width: 7rem; padding: .3rem .5rem; border: 2px solid {INK};
                border-radius: .3rem; margin-bottom: 1rem; }}
.error {{ border-left: 6px solid #b10e1e; padding: .4rem .8rem; margin: 0 0 1rem;
          color: #b10e1e; font-weight: bold; }}
.buttons {{ display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; margin-top: 1rem; }}
button {{ font: inherit; font-weight: bold; padding: .55rem 1.2rem; border-radius: .4rem;
         border: 2px solid {ACCENT}; cursor: pointer; min-height: 3rem; }}
button.primary {{ background: {ACCENT}; color: #fff; }}
button.secondary {{ background: #fff; color: {ACCENT}; }}
.listen {{ margin: 0 0 1rem; }}
.small {{ font-size: 1.1rem; }}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str, *, script: bool = True) -> str:
    tail = f"<script>{SCRIPT}</script>" if script else ""
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)}</title><style>{SCREEN_CSS}</style></head>"
        f"<body><main>{body}</main>{tail}</body></html>"
    )


def _hidden(name: str, value: object) -> str:
    return f'<input type="hidden" name="{_e(name)}" value="{_e(value)}">'


def _answers_hidden(q: Questionnaire, answers: Mapping[str, object], skip: str = "") -> str:
    out = [_hidden("wording", q.wording)]
    for question in q.questions:
        if question.code in answers and question.code != skip:
            value = answers[question.code]
            out.append(_hidden(f"a_{question.code}", REFUSAL if value is None else value))
    return "".join(out)


def start_page(q: Questionnaire, *, count_only: bool = False) -> str:
    """The first screen: what the form is, that every answer may be skipped, Start."""
    n = len(q.questions)
    other = "standard" if q.wording == "easy_read" else "easy_read"
    other_words = ("Use the standard words instead" if other == "standard"
                   else "Use easy-read words instead")
    body = (
        f'<h1 id="question" tabindex="-1">{_e(TITLE)}</h1>'
        "<p>We want to know how your life is going.</p>"
        f"<p>There are {n} questions. There are no right or wrong answers.</p>"
        "<p>You can choose “I don't want to answer” for any question.</p>"
        "<p>You can go back and change an answer.</p>"
        "<p>Someone can help you fill it in.</p>"
        '<form method="post" novalidate>'
        + _hidden("step", -1) + _hidden("wording", q.wording)
        + '<div class="buttons"><button class="primary" name="go" value="start">Start</button>'
        f'<button class="secondary" name="go" value="wording:{other}">{_e(other_words)}</button>'
        "</div></form>"
    )
    return _page(TITLE, body)


def _say(question: Question) -> str:
    words = [question.intro, question.text] if question.intro else [question.text]
    if question.kind == "number":
        words.append("Write a number.")
    words += [o.words for o in question.options]
    return " ".join(w if w[-1] in ".?!" else w + "." for w in words if w)


def _option(question: Question, option, checked: bool, index: int) -> str:
    oid = f"o{index}"
    picture = pictures.svg(option.picture, option.words, size=56)
    refusal = ' class="refusal"' if option.value is None else ""
    return (
        f'<li{refusal}><label class="option" for="{oid}">'
        f'<input type="radio" id="{oid}" name="answer" value="{_e(option.form_value)}"'
        f'{" checked" if checked else ""}>{picture}'
        f'<span aria-hidden="true">{_e(option.words)}</span></label></li>'
    )


def question_page(
    q: Questionnaire, step: int, answers: Mapping[str, object], error: str = ""
) -> str:
    """One question on its own screen, with progress, Listen, Back and Next."""
    question = q.questions[step]
    n = len(q.questions)
    current = answers.get(question.code, "") if question.code in answers else ""
    chosen = REFUSAL if question.code in answers and current is None else str(current)
    progress = f"Question {step + 1} of {n}"
    error_html = (f'<p class="error" id="error" role="alert">{_e(error)}</p>' if error else "")
    intro = f'<p class="intro">{_e(question.intro)}</p>' if question.intro else ""
    described = ' aria-describedby="error"' if error else ""
    if question.kind == "number":
        refused = chosen == REFUSAL
        value = "" if refused or question.code not in answers else chosen
        field = (
            f'<div class="number"><label for="number">Write a number from {question.minimum} '
            f"to {question.maximum}</label>"
            f'<input type="text" inputmode="numeric" id="number" name="number" '
            f'value="{_e(value)}" autocomplete="off"{described}></div>'
            f'<p class="small">Or:</p><ul class="options">'
            + _option(question, question.refusal, refused, 0).replace(
                'type="radio"', 'type="checkbox"').replace('name="answer"', 'name="refuse"')
            + "</ul>"
        )
    else:
        numbers = " numbers" if question.options[0].words.split(" ")[0].isdigit() else ""
        field = (f'<ul class="options{numbers}">'
                 + "".join(_option(question, o, o.form_value == chosen, i)
                           for i, o in enumerate(question.options))
                 + "</ul>")
    last = step == n - 1
    body = (
        f'<p class="progress">{_e(progress)}</p>{intro}'
        '<form method="post" novalidate>'
        + _hidden("step", step) + _answers_hidden(q, answers, skip=question.code)
        + f"<fieldset{described}><legend>"
        f'<h1 id="question" tabindex="-1">{_e(question.text)}</h1></legend>'
        f'<button type="button" id="listen" class="secondary listen" hidden '
        f'data-say="{_e(_say(question))}">Listen</button>'
        f"{error_html}{field}</fieldset>"
        '<div class="buttons">'
        f'<button class="primary" name="go" value="next">{"Send my answers" if last else "Next"}'
        "</button>"
        '<button class="secondary" name="go" value="back">Back</button></div></form>'
    )
    title = f"{'Error: ' if error else ''}{progress}: {question.text} – {TITLE}"
    return _page(title, body)


def end_page() -> str:
    body = (
        '<h1 id="question" tabindex="-1">Thank you</h1>'
        "<p>Your answers have been sent.</p>"
        "<p>You do not need to do anything else. You can close this page.</p>"
    )
    return _page(f"Thank you – {TITLE}", body)


def refusal_page(reason: str = "") -> str:
    """A polite page for a link that is unknown, closed, expired or already used."""
    why = reason or "This link does not work."
    body = (
        '<h1 id="question" tabindex="-1">Sorry, this form cannot be filled in</h1>'
        f"<p>{_e(why)}</p>"
        "<p>Nothing has been saved. If you want to answer, please ask the person "
        "who sent you the link for a new one.</p>"
    )
    return _page(f"Sorry – {TITLE}", body)


# ------------------------------------------------------------- the steps ---
@dataclass
class Step:
    """Where a POST leads: a screen to draw, or ``done`` with every answer."""

    step: int  # -1: the start screen
    answers: dict[str, object] = field(default_factory=dict)
    error: str = ""
    done: bool = False
    wording: str = "easy_read"


def _read_current(question: Question, form: Mapping[str, str]) -> str | None:
    if question.kind == "number":
        if form.get("refuse") == REFUSAL:
            return REFUSAL
        return form.get("number") or None
    return form.get("answer") or None


def advance(q: Questionnaire, form: Mapping[str, str]) -> Step:
    """The next screen for what a screen posted. Every answer is checked again here."""
    answers: dict[str, object] = {}
    for question in q.questions:
        raw = form.get(f"a_{question.code}")
        if raw is None:
            continue
        try:
            answers[question.code] = check_answer(question, raw)
        except KhiError:
            continue  # tampered or stale: asked again
    go = form.get("go", "")
    try:
        step = int(form.get("step", "-1"))
    except ValueError:
        step = -1
    if go == "start" or not 0 <= step < len(q.questions):
        return Step(0 if go == "start" else -1, answers, wording=q.wording)
    question = q.questions[step]
    raw = _read_current(question, form)
    error = ""
    if raw is not None:
        try:
            answers[question.code] = check_answer(question, raw)
        except KhiError as exc:
            error = str(exc)
    elif go != "back":
        error = str(_missing(question))
    if go == "back":
        return Step(step - 1, answers, wording=q.wording)
    if error:
        return Step(step, answers, error, wording=q.wording)
    if step < len(q.questions) - 1:
        return Step(step + 1, answers, wording=q.wording)
    missing = [i for i, x in enumerate(q.questions) if x.code not in answers]
    if missing:
        first = q.questions[missing[0]]
        return Step(missing[0], answers, str(_missing(first)), wording=q.wording)
    return Step(step, answers, done=True, wording=q.wording)


def _missing(question: Question) -> KhiError:
    try:
        check_answer(question, "")
    except KhiError as exc:
        return exc
    raise AssertionError("an empty answer is never valid")  # pragma: no cover


def screen(q: Questionnaire, s: Step) -> str:
    """The HTML for a step that is not done."""
    if s.step < 0:
        return start_page(q)
    return question_page(q, s.step, s.answers, s.error)


# ----------------------------------------------------------------- paper ---
PAPER_CSS = page_css("16mm 16mm 18mm 16mm", 16, colour="#000") + """
html { font: 16pt/1.4 'DejaVu Sans', Arial, sans-serif; color: #000;
        font-variant-ligatures: none; }
body { margin: 0; }
h1 { font-size: 26pt; margin: 0 0 8pt; }
h2 { font-size: 18pt; margin: 0 0 8pt; break-after: avoid; }
p { margin: 0 0 8pt; }
.for { display: flex; gap: 12mm; align-items: flex-start; margin-bottom: 8pt; }
.for svg { flex: none; }
.howto li { margin-bottom: 4pt; }
section.q { break-inside: avoid; border-top: 2pt solid #000; padding-top: 8pt; margin-top: 10pt; }
.intro { font-weight: bold; border-left: 4pt solid #000; padding-left: 6pt; }
ul.options { list-style: none; padding: 0; margin: 0; }
ul.options li { display: flex; align-items: center; gap: 8pt; margin: 0 0 5pt; }
ul.options.numbers { display: flex; flex-wrap: wrap; gap: 4pt 10pt; }
ul.options.numbers li { width: 30%; }
ul.options li svg { flex: none; }  /* a long answer must not squeeze its picture away */
ul.options.numbers li.refusal { width: 100%; }
.box { display: inline-block; width: 18pt; height: 18pt; border: 2pt solid #000; flex: none; }
.write { display: inline-block; width: 40mm; height: 14mm; border: 2pt solid #000; }
.ref { font-size: 16pt; }
.link { overflow-wrap: anywhere; }  /* a long link would shrink every page to fit */
"""


def qr_svg(link: str, label: str) -> str:
    """A QR code of ``link`` as inline SVG, with ``label`` as its alt text (segno)."""
    import segno  # pure Python; only the paper copy needs it

    out = io.BytesIO()
    segno.make(link, error="m").save(
        out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title=label,
    )
    drawn = out.getvalue().decode()
    return drawn.replace("<svg ", f'<svg role="img" aria-label="{_e(label)}" ', 1)


def paper_html(q: Questionnaire, *, reference: str | None = None, link: str | None = None) -> str:
    """The questionnaire as one large-print HTML document, for print to a tagged PDF."""
    who = "people who use Shared Lives" if q.who == "person" else "family carers"
    out = [
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>{_e(TITLE)} ({_e(who)})</title>",
        '<meta name="author" content="Key Human Indicators dashboard">',
        f"<style>{PAPER_CSS}</style></head><body>",
        f"<h1>{_e(TITLE)}</h1>",
        '<div class="for"><div>',
        f"<p>This questionnaire is for {_e(who)}.</p>",
    ]
    if reference:
        out.append(f'<p class="ref">Your reference: <strong>{_e(reference)}</strong></p>')
    out.append("</div>")
    if link:
        out.append("<div>" + qr_svg(link, "QR code: the link to answer online") + "</div>")
    out.append("</div>")
    out += [
        "<h2>How to fill it in</h2><ul class=\"howto\">",
        "<li>Put a tick in one box for each question.</li>",
        "<li>There are no right or wrong answers.</li>",
        "<li>You can tick “I don't want to answer”.</li>",
        "<li>Someone can help you fill it in.</li>",
    ]
    if link:
        out.append(f'<li>You can also answer online: <span class="link">{_e(link)}</span></li>')
    out.append("</ul>")
    n = len(q.questions)
    for i, question in enumerate(q.questions, start=1):
        out.append('<section class="q">')
        if question.intro:
            out.append(f'<p class="intro">{_e(question.intro)}</p>')
        out.append(f"<h2>{i} of {n}. {_e(question.text)}</h2>")
        if question.kind == "number":
            out.append('<p>Write a number: <span class="write" role="img" '
                       'aria-label="a box to write the number in"></span></p>')
        numbers = " numbers" if question.options[0].words[:1].isdigit() else ""
        out.append(f'<ul class="options{numbers}">')
        for option in question.options:
            refusal = ' class="refusal"' if option.value is None else ""
            out.append(
                f'<li{refusal}><span class="box" role="img" aria-label="tick box"></span>'
                + pictures.svg(option.picture, option.words, size=40)
                + f"<span>{_e(option.words)}</span></li>"
            )
        out.append("</ul></section>")
    out.append("<p>Thank you. Please give this form back to your Shared Lives scheme.</p>")
    out.append("</body></html>")
    return "\n".join(out)


def questionnaire_pdf(
    q: Questionnaire, *, reference: str | None = None, link: str | None = None
) -> bytes:
    """The paper questionnaire as a tagged, large-print PDF (headless Chromium)."""
    from kpi.board.pack_html import chromium, print_pdf

    browser = chromium()
    if browser is None:
        raise KhiError(
            "Printing the questionnaire needs Chromium: install it (Debian: apt-get install "
            "chromium) or set KHI_CHROMIUM to its path."
        )
    return print_pdf(paper_html(q, reference=reference, link=link), browser)
