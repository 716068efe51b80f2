"""Survey rounds: open a round and get its links, close it, and type in paper forms.

A thin face on :mod:`kpi.collect`: the engine opens and closes rounds (checking
the person's schemes), pseudonymises references, keeps tokens hashed, checks each
typed answer (``collect.typed_answer``) and stores paper forms by the upload rules.
The links are shown once, right after the round is opened, and kept only in this
session (never in a cache another session could read).
"""

from __future__ import annotations

import datetime as dt
import os
import urllib.parse

import pandas as pd
import streamlit as st

from kpi import collect
from kpi.cli_round import read_references
from kpi.errors import KhiError
from kpi.periods import parse_quarter, quarter_end
from kpi.tables import ROUND_WHO_WORDS, round_words, rounds_table
from pages.views import _common as c
from pages.views.upload import refusal

WORDING_WORDS = {"easy_read": "Easy read", "standard": "Standard wording"}


def base_url() -> str:
    """The dashboard's own address, for full links: ``KHI_BASE_URL`` when set (behind a
    proxy), else the address this page was opened at."""
    configured = os.environ.get("KHI_BASE_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    parts = urllib.parse.urlsplit(st.context.url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "http://localhost:8501"


# --------------------------------------------------------------- open one ---
def _open_section(scheme_ids: tuple[str, ...], names: dict[str, str]) -> None:
    st.subheader("Open a round")
    st.caption("A round asks one scheme's people (or family carers) for one quarter. You get "
               "an open link anyone you give it to can answer, and a personal link for each "
               "reference you give (answers then link to that person's earlier ones).")
    left, middle, right = st.columns(3)
    scheme = left.selectbox("Scheme", scheme_ids, key="round_scheme",
                            format_func=lambda s: f"{names.get(s, s)} ({s})")
    quarter = middle.selectbox("Quarter", collect.round_quarters(dt.date.today()),
                               key="round_quarter")
    who = right.radio("Who is asked", list(ROUND_WHO_WORDS), format_func=ROUND_WHO_WORDS.get,
                      key="round_who")
    typed = st.text_area(
        "References for personal links (one a line; optional)", key="round_refs",
        help="Your own reference for each person, as in your survey uploads. They are "
             "pseudonymised at once and never stored as typed.")
    listed = st.file_uploader("…or a list of references (CSV with a 'reference' column, or "
                              "one a line)", type=["csv", "txt"], key="round_refs_file")
    if st.button("Open the round", type="primary", key="round_open"):
        try:
            refs = [line for line in typed.splitlines() if line.strip()]
            if listed is not None:
                refs += read_references(listed.getvalue())
            opened = collect.open_round(c.store(), c.current_scope(), scheme_id=scheme,
                                        quarter=quarter, who=who, references=refs,
                                        by=c.acting_as())
        except KhiError as exc:
            st.error(refusal(exc), icon=":material/error:")
            return
        st.session_state["round_opened"] = (opened, base_url())
        st.session_state.pop("round_refs", None)
        st.rerun()


def _opened_links() -> None:
    """The links of the round just opened: shown this once, with a CSV to keep."""
    held = st.session_state.get("round_opened")
    if not held:
        return
    opened, base = held
    with st.container(border=True):
        st.success(
            f"**Round {opened.round_id} is open** for {opened.scheme_id}, {opened.quarter} "
            f"({ROUND_WHO_WORDS[opened.who].lower()}), until the end of "
            f"{opened.last_day:%-d %B %Y}. Keep these links now: they are shown only once.",
            icon=":material/check:")
        st.markdown("**Open link** (anyone you give it to can answer; each answer counts "
                    "as a new person):")
        st.code(collect.link_url(base, opened.open_token), language=None)
        links = opened.links(base)
        personal = links[links["kind"] == "personal"][["reference", "url"]]
        if len(personal):
            st.markdown(f"**{len(personal)} personal links** (each answers once):")
            st.dataframe(personal.rename(columns={"reference": "Reference", "url": "Link"}),
                         hide_index=True, width="stretch")
        c.csv_download(links, f"round_{opened.round_id}_links", "round_links_csv",
                       label="Download the links (CSV)")
        if st.button("I have kept the links", key="round_links_done"):
            st.session_state.pop("round_opened", None)
            st.rerun()


# ------------------------------------------------------------ the rounds ---

def _rounds_section(frame: pd.DataFrame) -> None:
    st.subheader("Rounds")
    if frame.empty:
        st.info("No survey rounds yet: open one above.", icon=":material/info:")
        return
    if st.session_state.get("round_closed"):
        st.success(f"Round {st.session_state.pop('round_closed')} is closed: its links no "
                   "longer work.", icon=":material/check:")
    st.dataframe(rounds_table(frame), hide_index=True, width="stretch")
    st.caption("Each round is also in the upload history (Upload page), where an "
               "administrator can roll it back with all its answers.")
    open_ids = [int(r) for r in frame.loc[frame["state"] == "open", "round_id"]]
    if not open_ids:
        return
    left, right = st.columns([2, 1])
    chosen = left.selectbox("Close a round (its links stop working; its answers stay)",
                            open_ids, key="round_close_choice",
                            format_func=lambda r: round_words(frame, r))
    right.write("")
    if right.button("Close this round", key="round_close"):
        try:
            collect.close_round(c.store(), c.current_scope(), chosen, by=c.acting_as())
        except KhiError as exc:
            st.error(refusal(exc), icon=":material/error:")
            return
        st.session_state["round_closed"] = chosen
        st.rerun()



# ----------------------------------------------------------------- paper ---
def _paper_section(frame: pd.DataFrame) -> None:
    st.subheader("Type in a paper form")
    usable = frame[frame["state"] != "rolled back"]
    if usable.empty:
        st.caption("Open a round first: a paper form is stored with its round.")
        return
    st.caption("Type each answer in the paper's order: the number beside the answer that "
               "was ticked. Leave a question blank when nothing was ticked. Each answer is "
               "checked as you type it; the form is stored only when every answer is right.")
    ids = [int(r) for r in usable["round_id"]]
    left, middle, right = st.columns(3)
    round_id = left.selectbox("Round", ids, key="paper_round",
                              format_func=lambda r: round_words(frame, r))
    row = usable[usable["round_id"] == round_id].iloc[0]
    wording = middle.radio("The paper's wording", list(WORDING_WORDS),
                           format_func=WORDING_WORDS.get, key="paper_wording")
    start = parse_quarter(row["quarter"])
    today = min(max(dt.date.today(), start), quarter_end(start))
    day = right.date_input("Date on the form", value=today, min_value=start,
                           max_value=quarter_end(start), key="paper_date", format="DD/MM/YYYY")
    nonce = st.session_state.setdefault("paper_nonce", 0)
    reference = st.text_input(
        "Reference on the form (if it has one)", key=f"paper_ref_{nonce}",
        help="A personal copy carries the person's reference: their answers then link to "
             "their earlier ones. Leave blank for an anonymous form.")
    answers: dict[str, int | str | None] = {}
    problems = 0
    for number, question in enumerate(collect.paper_questions(row["who"], wording), 1):
        raw = st.text_input(f"{number}. {question.text}", key=f"paper_{nonce}_{question.code}",
                            help=f"Type {collect.paper_choices(question)}.")
        try:
            answers[question.code] = collect.typed_answer(question, raw)
        except KhiError as exc:
            problems += 1
            st.error(c.md(str(exc)), icon=":material/error:")
    if st.button("Store this form", type="primary", key="paper_store"):
        if problems:
            st.error(f"{problems} answer{'s' if problems > 1 else ''} above "
                     f"{'need' if problems > 1 else 'needs'} fixing first: nothing was stored.",
                     icon=":material/error:")
            return
        try:
            response_id = collect.enter_paper(
                c.store(), c.current_scope(), round_id=round_id,
                reference=reference or None, answers=answers, wording=wording,
                completed_on=day, by=c.acting_as())
        except KhiError as exc:
            st.error(refusal(exc), icon=":material/error:")
            return
        st.session_state["paper_stored"] = response_id
        st.session_state["paper_nonce"] = nonce + 1  # empty fields for the next form
        st.rerun()
    if st.session_state.get("paper_stored"):
        st.success(f"Stored (response {st.session_state.pop('paper_stored')}). The fields "
                   "are empty for the next form.", icon=":material/check:")


# -------------------------------------------------------------------- page ---
def render() -> None:
    st.title("Survey rounds")
    st.caption("Ask people directly: open a round to get its links (online, or printed with "
               "the paper questionnaire), watch answers arrive, type in paper forms, and "
               "close the round when it is done.")
    choices = c.scheme_choices()
    if not choices.ids:
        st.info("None of your schemes is in the register yet, so no round can be opened.",
                icon=":material/info:")
        return
    _opened_links()
    _open_section(choices.ids, choices.plain)
    st.divider()
    frame = collect.rounds_in_words(c.survey_rounds(c.user_reach()))
    _rounds_section(frame)
    st.divider()
    _paper_section(frame)
