"""Upload: a scheme's survey export or quarterly activity return, checked before it is stored.

The page is a thin face on :mod:`kpi.ingest`: ``preview`` shows exactly what
``ingest_bytes`` will do (same code, transaction rolled back), so the counts a
scheme worker confirms are the counts they get. Nothing here reads, validates
or stores rows itself.

Why the preview lives in session state and not ``st.cache_data``: it holds the
rows set aside *with the person's reference* (so they can be fixed), and a
process-wide cache would share them between sessions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from kpi import ingest, template
from kpi.errors import KhiError
from kpi.export import safe_csv
from kpi.ingest import ColumnMatch, IngestResult, Preview
from kpi.ingest.words import (
    IGNORE,
    NOT_MAPPED,
    format_target,
    history_frame,
    layout_words,
    mapping_frame,
    plural,
    problems_frame,
    refusal_words,
    set_aside_rows,
    stored_headline,
    target_options,
    upload_choices,
)
from kpi.items import bank, normalise_header, normalise_label
from pages.views import _common as c

KINDS = {"survey": "Survey responses", "activity": "Quarterly activity return"}
SEVERAL = "\x00several"  # an activity return with a Scheme ID column, for many schemes
SEVERAL_WORDS = "Several schemes (the file has a Scheme ID column)"

PROBLEM_ROW = 58  # pixels: two lines of a reason


# ----------------------------------------------------------------- helpers ---
def table_height(rows: int, most: int = 20, row: int = 35) -> int:
    """Pixels for a table showing every row up to ``most`` (then it scrolls)."""
    return 38 + row * min(max(rows, 1), most)


def here(message: str, stored: bool = False) -> str:
    """The engine's advice points to "the Upload page": we are on it, so say where."""
    where = "when you next upload it" if stored else "under “Columns to map by hand” above"
    return message.replace("on the Upload page", where)


def uploaded_by() -> str:
    """Who to record as the uploader: the signed-in email (local mode: the OS user)."""
    return c.acting_as()


def refusal(exc: Exception) -> str:
    """The words to show this viewer for a refusal (``kpi.ingest.words.refusal_words``:
    the engine's own to an administrator, no server paths to anyone else)."""
    return refusal_words(exc, c.is_admin(), c.db_path())


def _stem(file_name: str) -> str:
    return file_name.rsplit(".", 1)[0] or "upload"


# ------------------------------------------------------------------ upload ---
@dataclass(frozen=True)
class Choice:
    """What the worker picked in steps 1 and 2."""

    scheme_id: str | None
    kind: str
    file_name: str
    data: bytes
    sha: str


def _choose_scheme_and_kind() -> tuple[str | None, str]:
    st.markdown("#### 1. Which scheme, and what kind of file")
    left, right = st.columns([2, 1])
    kind = right.radio(
        "Kind of file", list(KINDS), format_func=KINDS.get, key="upload_kind", horizontal=False
    )
    choices = c.scheme_choices()
    several = kind == "activity" and c.user_reach().every
    options = [SEVERAL, *choices.ids] if several else list(choices.ids)
    if st.session_state.get("upload_scheme") not in options:
        wanted = st.session_state.get("f_scheme")
        st.session_state["upload_scheme"] = wanted if wanted in options else options[0]
    scheme = left.selectbox(
        "Scheme",
        options,
        key="upload_scheme",
        format_func=lambda s: SEVERAL_WORDS if s == SEVERAL else f"{choices.plain[s]} ({s})",
        help="Only schemes in the register are listed. The file's answers are stored "
        "for this scheme.",
    )
    return (None if scheme == SEVERAL else scheme), kind


def _choose_file(scheme_id: str | None, kind: str) -> Choice | None:
    st.markdown("#### 2. Choose the file")
    limit = int(bank().settings.get("max_upload_mb", 20))
    nonce = st.session_state.setdefault("upload_nonce", 0)
    uploaded = st.file_uploader(
        "Survey export or activity return (CSV or Excel .xlsx)",
        type=["csv", "xlsx"],
        key=f"upload_file_{nonce}",
        help=f"Up to {limit} MB. Exports from SurveyMonkey, Google Forms, Microsoft Forms, "
        "Qualtrics and SmartSurvey work as they come; so does our template.",
    )
    _templates()
    if uploaded is None:
        return None
    data = uploaded.getvalue()
    return Choice(scheme_id, kind, uploaded.name, data, hashlib.sha256(data).hexdigest())


def _hand_mapping(choice: Choice, saved: dict[str, str]) -> dict[str, str]:
    """The columns mapped by hand so far, read from the select boxes' state.

    Keys are normalised headers (what ``ingest`` and the saved mappings use);
    ``""`` means ignore. A select box left on "not chosen" maps nothing, unless
    the scheme had saved a mapping for that column: then it means "ignore".
    """
    prefix = _widget_prefix(choice)
    mapping: dict[str, str] = {}
    for name, value in st.session_state.items():
        if not (isinstance(name, str) and name.startswith(prefix)):
            continue
        key = name[len(prefix) :]
        if value == NOT_MAPPED:
            if key in saved:
                mapping[key] = IGNORE
        else:
            mapping[key] = value
    return mapping


def _widget_prefix(choice: Choice) -> str:
    return f"upload_map_{choice.kind}_{choice.sha[:12]}_"


def _dates_key(choice: Choice) -> str:
    return f"upload_dates_{choice.sha[:12]}"


def _dates_choice(choice: Choice) -> str | None:
    """Which way round the user said this file's dates are (None until asked and answered).

    Kept under a key of its own: the question's radio is not drawn once it is
    answered, and Streamlit forgets the state of a widget it does not draw.
    """
    return DATE_CHOICES.get(st.session_state.get(_dates_key(choice) + "_chosen") or "")


def _sheet_key(choice: Choice) -> str:
    return f"upload_sheet_{choice.sha[:12]}"


def _sheet_choice(choice: Choice) -> str | None:
    """The workbook sheet the user picked when its sheets of answers differ (else None)."""
    return st.session_state.get(_sheet_key(choice))


_ANSWER_SEP = "\x1f"
NOT_OURS = ""  # an answer left unmapped: its rows are set aside, with the reason


def _answer_prefix(choice: Choice) -> str:
    return f"upload_answers_{choice.sha[:12]}_"


def _answer_choices(choice: Choice) -> dict[str, dict[str, str]]:
    """The scheme's own answers mapped so far: column key -> answer -> our value or "missing"."""
    prefix = _answer_prefix(choice)
    out: dict[str, dict[str, str]] = {}
    for name, value in st.session_state.items():
        if isinstance(name, str) and name.startswith(prefix) and _ANSWER_SEP in name:
            column, answer = name[len(prefix):].split(_ANSWER_SEP, 1)
            out.setdefault(column, {})[answer] = value or NOT_OURS
    return out


def _answer_widgets(choice: Choice, result: Preview) -> None:
    """Each answer that is not ours, beside a choice of our answers (or "missing").

    Never filled in by guesswork: an answer stays unmapped (its rows set aside)
    until the user picks; a mapping saved for the scheme and tool is shown
    picked, and can be changed.
    """
    if not result.answer_columns:
        return
    st.markdown("**Answers that are not ours**")
    st.caption("These columns answer our questions with other words. Say which of our answers "
               "each one means (or that it is missing). Your choice is saved for this scheme "
               "and this survey tool when you store the file, and shown again next time.")
    prefix = _answer_prefix(choice)
    for column in result.answer_columns:
        scale = bank().item(column["code"]).scale
        words = {str(v): f"{label} ({v})" for v, label in scale.values}
        options = [NOT_OURS, ingest.answers.MISSING, *words]
        names = {NOT_OURS: "Not mapped: set the rows aside",
                 ingest.answers.MISSING: "Missing (not recorded)", **words}
        st.markdown(f"Column {column['letter']}: “{c.md(str(column['header']))}”")
        for answer in column["answers"]:
            default = column["mapped"].get(normalise_label(answer), NOT_OURS)
            st.selectbox(
                f"“{c.md(answer)}” means", options,
                index=options.index(default) if default in options else 0,
                format_func=names.get, key=f"{prefix}{column['key']}{_ANSWER_SEP}{answer}",
            )


def _preview(choice: Choice, mapping: dict[str, str]) -> Preview:
    """Preview once per file, scheme, kind, mapping and store revision (this session only).

    Why kept: reading and checking a file took about half a second for 300 rows,
    and every click on this page (a column's mapping, a tick box, Confirm) reruns it.
    """
    key = (
        choice.sha,
        choice.file_name,
        choice.scheme_id,
        choice.kind,
        tuple(sorted(mapping.items())),
        c.revision(),
        _dates_choice(choice),
        _sheet_choice(choice),
        tuple(sorted((k, tuple(sorted(v.items())))
                     for k, v in _answer_choices(choice).items())),
    )
    held = st.session_state.get("_upload_preview")
    if held and held[0] == key:
        return held[1]
    with st.spinner("Reading the file…"):
        result = ingest.preview(
            c.store(), choice.data, choice.file_name, choice.scheme_id, choice.kind,
            mapping=mapping or None, dates=_dates_choice(choice), sheet=_sheet_choice(choice),
            answers=_answer_choices(choice) or None,
        )
    st.session_state["_upload_preview"] = (key, result)
    return result


def _mapping_widgets(choice: Choice, result: Preview, saved: dict[str, str]) -> bool:
    """One select box per column that is not recognised or was mapped by hand.

    Returns True when any column is mapped by hand (so it can be saved).
    """
    editable: dict[str, ColumnMatch] = {}
    for m in result.columns:
        by_hand = m.how in ("your choice", "saved for this scheme")
        asked = m.status in ("not recognised", "repeated heading, answers differ")
        if (asked or by_hand) and m.key not in editable:
            editable[m.key] = m
    if not editable:
        return False
    st.markdown("**Columns to map by hand**")
    st.caption(
        "Tell us which question each of these columns answers. Choose “Ignore” for columns "
        "that are not survey answers (such as notes), so they are not flagged again."
    )
    options = [NOT_MAPPED, IGNORE, *target_options(choice.kind)]
    prefix = _widget_prefix(choice)
    for key, m in editable.items():
        default = saved.get(key, NOT_MAPPED)
        st.selectbox(
            f"Column {m.letter}: “{c.md(str(m.header))}”",
            options,
            index=options.index(default) if default in options else 0,
            format_func=format_target,
            key=prefix + key,
        )
    return True


DAY_FIRST_WORDS = "Day first (UK: 04/03 is 4 March)"
MONTH_FIRST_WORDS = "Month first (US: 04/03 is April 3)"
DATE_CHOICES = {DAY_FIRST_WORDS: "day_first", MONTH_FIRST_WORDS: "month_first"}


def _date_question(choice: Choice, result: IngestResult) -> None:
    """Ask which way round the dates are, showing a few of them read both ways."""
    question = result.date_question or {}
    if question.get("mixed"):
        # Rows proven both ways round: no one answer is right for the open rows.
        st.error(c.md(result.message), icon=":material/block:")
        st.caption("Nothing from this file has been stored.")
        return
    st.markdown(f"**Which way round are the dates in “{c.md(str(question.get('column', '')))}”?**")
    st.caption("Nothing in these rows says whether their dates are day first or month first, "
               "so we ask rather than guess. Your answer is remembered for this scheme and "
               "this survey tool.")
    st.caption(c.md(result.message))
    st.dataframe(
        pd.DataFrame(question.get("examples") or [],
                     columns=["In your file", "Read day first", "Read month first"]),
        hide_index=True, key="upload_date_examples",
    )
    key = _dates_key(choice)

    def keep() -> None:
        st.session_state[key + "_chosen"] = st.session_state.get(key)

    st.radio("The dates are written", list(DATE_CHOICES), index=None, key=key, on_change=keep)


def _lost_questions(result: IngestResult) -> None:
    """Columns that look like questions but match none: named, with what they would cost."""
    costs = list(dict.fromkeys(str(q["cost"]) for q in result.unmatched_questions))
    if not costs:
        return
    st.warning(
        "These columns look like survey questions but match none of ours, so their answers "
        "would not be stored: " + "; ".join(c.md(cost) for cost in costs)
        + ". Map them to their questions above if they are ours.",
        icon=":material/report:",
    )


def _counts(result: IngestResult, to_store: str) -> None:
    one, two, three, four, five = st.columns(5)
    one.metric("Rows read", f"{result.rows_read:,}", help="Rows of answers in the file.")
    two.metric(to_store, f"{result.accepted:,}", help="New answers and corrections.")
    three.metric(
        "Set aside", f"{result.rejected:,}", help="Rows with a problem: listed below, to fix."
    )
    four.metric(
        "Duplicates", f"{result.duplicates:,}", help="Rows already stored: left alone."
    )
    five.metric(
        "Corrections",
        f"{result.corrected:,}",
        help="Rows replacing a stored answer for the same person and date.",
    )
    if result.corrected:
        st.caption(
            "A correction is a row for the same person, date and respondent type as a stored "
            "one, with different answers: the new answers stand and the old are kept in history."
        )


def _problems(result: IngestResult, stem: str, key: str) -> None:
    """The validation report: every problem by row and column, and the rows to fix."""
    if not result.problems:
        return
    rows = len({p.row for p in result.problems})
    st.markdown(
        f"**{plural(len(result.problems), 'problem')} in {plural(rows, 'row')}**: these rows "
        "are set aside, the others are stored. Row numbers are as your spreadsheet shows them."
    )
    frame = problems_frame(result.problems)
    st.dataframe(
        frame,
        hide_index=True,
        key=f"{key}_problems",
        # Taller rows wrap the reason onto a second line instead of cutting it off.
        row_height=PROBLEM_ROW,
        height=table_height(len(frame), row=PROBLEM_ROW),
        # Fixed widths that fit a laptop screen, so the reason wraps instead of running off.
        column_config={
            "Row": st.column_config.NumberColumn(width=56),
            "Column": st.column_config.TextColumn(width=210),
            "Problem": st.column_config.TextColumn(width=520),
        },
    )
    row = st.container(horizontal=True)
    if not result.set_aside.empty:
        row.download_button(
            "Rows set aside, to fix (CSV)",
            data=safe_csv(result.set_aside),
            file_name=f"{stem}_set_aside.csv",
            mime="text/csv",
            key=f"{key}_set_aside_csv",
            icon=":material/download:",
            on_click="ignore",
            help="Your rows as they were, with the row number and why each was set aside. "
            "Fix them, delete the two added columns or leave them, and upload this file again.",
        )
    row.download_button(
        "List of problems (CSV)",
        data=safe_csv(frame),
        file_name=f"{stem}_problems.csv",
        mime="text/csv",
        key=f"{key}_problems_csv",
        icon=":material/checklist:",
        on_click="ignore",
    )


def _check(choice: Choice) -> None:
    """Step 3 and 4: what we read, the problems, and the confirm button."""
    saved = c.saved_mappings(choice.scheme_id) if choice.scheme_id else {}
    mapping = _hand_mapping(choice, saved)
    try:
        result = _preview(choice, mapping)
    except KhiError as exc:  # refused, busy (StoreBusy), a full disk, read-only
        st.error(c.md(refusal(exc)), icon=":material/error:")
        return
    st.markdown("#### 3. Check what we read")
    stem = _stem(choice.file_name)
    if result.layout:
        st.markdown(f"Read as a **{layout_words(result.layout)}**.")
    if result.columns:
        st.dataframe(
            mapping_frame(result.columns),
            hide_index=True,
            key="upload_mapping_table",
            height=table_height(len(result.columns), most=40),
            column_config={
                "Column": st.column_config.TextColumn(width=60),
                "Status": st.column_config.TextColumn(width="large"),
                "Code": st.column_config.TextColumn(width="small"),
            },
        )
    has_hand = _mapping_widgets(choice, result, saved)
    _answer_widgets(choice, result)
    for note in result.found:  # where the header was, which sheets were read
        st.info(c.md(note), icon=":material/table_view:")
    if result.sheet_question:
        st.session_state[_sheet_key(choice) + "_options"] = list(result.sheet_question)
    sheets = st.session_state.get(_sheet_key(choice) + "_options")
    if sheets:
        st.selectbox("Which sheet holds the answers to read?", sheets, index=None,
                     key=_sheet_key(choice), placeholder="Pick a sheet")
    if result.sheet_question:
        st.error(c.md(result.message), icon=":material/block:")
        return
    _lost_questions(result)
    if result.date_question:
        _date_question(choice, result)
        return
    if result.refused:
        st.error(c.md(result.message), icon=":material/block:")
        _problems(result, stem, "upload_preview")
        st.caption("Nothing from this file has been stored.")
        return
    _counts(result, "Rows to store")
    for warning in result.warnings:
        st.warning(c.md(here(warning)), icon=":material/info:")
    _problems(result, stem, "upload_preview")

    st.markdown("#### 4. Store it")
    blocked = None
    if isinstance(result, Preview) and result.already_uploaded is not None:
        blocked = c.md(result.message)
    elif result.accepted == 0:
        blocked = (
            "No row of this file can be stored yet: fix the rows set aside (download them "
            "above) and upload the file again."
            if result.rejected
            else "Every row of this file is already stored, so there is nothing new to store."
        )
    if blocked:
        st.warning(blocked, icon=":material/info:")
    else:
        st.markdown(c.md(result.message))
    partial_ok = True
    if getattr(result, "partial", False):
        st.warning(
            f"Only {result.stored_question_cells:,} of the {result.question_cells:,} answers to "
            "questions in this file would be stored.",
            icon=":material/warning:",
        )
        partial_ok = st.checkbox("I know, store the rest anyway", key="upload_accept_partial")
    save = False
    if has_hand and choice.scheme_id:
        save = st.checkbox(
            "Save my column choices for this scheme, so the next upload is matched the same way",
            key="upload_save_mapping",
        )
    if st.button(
        "Confirm and store",
        key="upload_confirm",
        type="primary",
        disabled=blocked is not None or not partial_ok,
        icon=":material/cloud_upload:",
    ):
        _store(choice, mapping, save, result.layout)


def _store(choice: Choice, mapping: dict[str, str], save: bool, layout: str | None = None) -> None:
    """Run the real upload, remember its result for the next run and start afresh."""
    try:
        c.current_scope().check_upload(choice.scheme_id, c.user_reach())
        with st.spinner("Storing…"):
            result = ingest.ingest_bytes(
                c.store(), choice.data, choice.file_name, choice.scheme_id, choice.kind,
                mapping=mapping or None, uploaded_by=uploaded_by(),
                dates=_dates_choice(choice), accept_partial=True, sheet=_sheet_choice(choice),
                answers=_answer_choices(choice) or None,
            )
    except KhiError as exc:  # refused, busy (StoreBusy), a full disk, read-only
        st.error(c.md(refusal(exc)), icon=":material/error:")
        return
    dates = _dates_choice(choice)
    if dates and layout and not result.refused and choice.scheme_id:
        # Remembered for this scheme and tool, so the next export is not asked again.
        c.store().save_mappings(choice.scheme_id, {ingest.dates_key(layout): dates})
    own = _answer_choices(choice)
    if own and layout and not result.refused and choice.scheme_id:
        # The scheme's own answer words, saved for it and this survey tool (an answer
        # left unmapped is saved only to undo an earlier mapping of it).
        before = c.store().saved_mappings(choice.scheme_id)
        chosen = {k: v for k, v in ingest.answers.to_save(layout, own).items()
                  if v or k in before}
        if chosen:
            c.store().save_mappings(choice.scheme_id, chosen)
    saved_mapping = False
    if save and not result.refused and choice.scheme_id and mapping:
        c.store().save_mappings(
            choice.scheme_id, {normalise_header(k): v for k, v in mapping.items()}
        )
        saved_mapping = True
    st.session_state["upload_last"] = (result, saved_mapping)
    st.session_state.pop("_upload_preview", None)
    if not result.refused:
        # A new key empties the file picker, so the stored file is not previewed again.
        st.session_state["upload_nonce"] = st.session_state.get("upload_nonce", 0) + 1
    st.rerun()


def _last_result() -> None:
    """The outcome of the upload just confirmed, shown until the next one."""
    held = st.session_state.get("upload_last")
    if not held:
        return
    result, saved_mapping = held
    with st.container(border=True):
        if result.refused:
            st.error(
                f"**{c.md(str(result.file_name))} was not stored.** {c.md(result.message)}",
                icon=":material/block:",
            )
        else:
            st.success(f"**{stored_headline(result)}.** {c.md(result.message)}",
                       icon=":material/check:")
            if saved_mapping:
                st.info("Your column choices are saved for this scheme.", icon=":material/save:")
        for warning in result.warnings:
            st.warning(c.md(here(warning, stored=True)), icon=":material/info:")
        _problems(result, _stem(result.file_name or "upload"), "upload_result")
        if st.button("Dismiss", key="upload_dismiss"):
            st.session_state.pop("upload_last", None)
            st.rerun()


# --------------------------------------------------------------- templates ---
def _templates() -> None:
    """Templates generated from the item bank (they cannot drift from what we accept)."""
    st.caption("No export yet? Start from a template: the headings are the ones we read.")
    c.download_row(
        [
            c.Download(
                "Survey template (CSV)", template.survey_template_csv,
                "khi_survey_template.csv", "text/csv", "template_survey_csv", ":material/table:",
            ),
            c.Download(
                "Survey template (Excel)",
                template.survey_template_xlsx,
                "khi_survey_template.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "template_survey_xlsx",
                ":material/grid_on:",
                help="With a drop-down list of the allowed answers in every column.",
            ),
            c.Download(
                "Activity return template (CSV)", template.activity_template_csv,
                "khi_activity_return_template.csv", "text/csv", "template_activity_csv",
                ":material/event_note:",
            ),
        ]
    )


# ----------------------------------------------------------------- history ---
def history_table(reach: c.Reach) -> None:
    """The upload log as a table."""
    st.dataframe(history_frame(c.uploads(reach)), hide_index=True, key="upload_history")


def history_choices(
    reach: c.Reach,
) -> tuple[bool, dict[int, str], dict[int, str]]:
    """Whether anything was uploaded; the uploads with rows set aside, and those an
    administrator may roll back, as select-box labels (``kpi.ingest.words``)."""
    return upload_choices(c.uploads(reach))


def _history() -> None:
    st.markdown("### Upload history")
    reach = c.user_reach()
    any_uploads, set_aside, rollback = history_choices(reach)
    if not any_uploads:
        st.caption("Nothing has been uploaded yet.")
        return
    history_table(reach)
    if set_aside:
        with st.expander("Rows set aside by an earlier upload"):
            chosen = st.selectbox(
                "Upload", list(set_aside), format_func=set_aside.get, key="history_set_aside"
            )
            rows = set_aside_rows(c.set_aside(int(chosen)))
            st.caption(
                "The person's reference is never stored, so add it back from your own file "
                "before uploading these rows again."
            )
            st.dataframe(rows, hide_index=True, key="history_set_aside_rows")
            st.download_button(
                "These rows (CSV)",
                data=safe_csv(rows),
                file_name=f"upload_{chosen}_set_aside.csv",
                mime="text/csv",
                key="history_set_aside_csv",
                on_click="ignore",
                icon=":material/download:",
            )
    if c.is_admin():
        rollback_form(rollback)


def rollback_form(labels: dict[int, str]) -> None:
    """Administrators remove a bad upload completely, after saying yes twice."""
    done = st.session_state.pop("rollback_done", None)
    if done:
        st.success(done, icon=":material/undo:")
    with st.expander("Roll back an upload (administrators)"):
        if not labels:
            st.caption("There is no stored upload to roll back.")
            return
        chosen = st.selectbox(
            "Upload to roll back", list(labels), format_func=labels.get, key="rollback_upload"
        )
        pending = st.session_state.get("rollback_pending")
        if pending != chosen:
            if st.button("Roll back this upload…", key="rollback_start", icon=":material/undo:"):
                st.session_state["rollback_pending"] = chosen
                st.rerun()
            return
        st.warning(
            f"This removes every row stored by {labels[chosen]} and restores any answers it "
            "corrected. It cannot be undone: to get the rows back, upload the file again.",
            icon=":material/warning:",
        )
        yes, no, _ = st.columns([1, 1, 3])
        if yes.button("Yes, roll it back", key="rollback_confirm", type="primary"):
            try:
                counts = c.store().rollback(int(chosen), by=c.acting_as())
            except KhiError as exc:
                st.error(c.md(str(exc)))
                return
            st.session_state.pop("rollback_pending", None)
            st.session_state["rollback_done"] = (
                f"Upload {chosen} rolled back: {plural(counts['removed'], 'row')} removed, "
                f"{plural(counts['restored'], 'earlier answer')} restored."
            )
            st.rerun()
        if no.button("Cancel", key="rollback_cancel"):
            st.session_state.pop("rollback_pending", None)
            st.rerun()


# -------------------------------------------------------------------- page ---
def render() -> None:
    st.title("Upload")
    st.caption(
        "Send a survey export or a quarterly activity return. You see what we read, and every "
        "problem, before anything is stored; rows with problems are set aside for you to fix."
    )
    _last_result()
    if not c.scheme_choices().ids:
        st.info(
            "There are no schemes in the register yet, so there is nothing to upload for. "
            "An administrator loads the register with `python -m kpi schemes register.csv`."
            if c.user_reach().every
            else "None of the schemes you may upload for is in the register yet. Ask an "
            "administrator to add them.",
            icon=":material/info:",
        )
        _templates()
    else:
        scheme_id, kind = _choose_scheme_and_kind()
        choice = _choose_file(scheme_id, kind)
        if choice is not None:
            _check(choice)
    st.divider()
    _history()
