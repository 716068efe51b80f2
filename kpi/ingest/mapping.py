"""Which column is which: headings matched to the item bank, a scheme's own mapping,
and the columns a file must have."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import cache

import numpy as np
import pandas as pd

from kpi import readers
from kpi.errors import UnknownCode
from kpi.ingest.dates import uk_date
from kpi.ingest.result import ColumnMatch, Refusal
from kpi.ingest.values import attribute_label, item_label
from kpi.items import (
    bank,
    header_index,
    normalise_header,
)
from kpi.readers import limesurvey
from kpi.readers.base import strip_notes
from kpi.store import ACTIVITY_COUNTS

KINDS = ("survey", "activity")
REQUIRED = ("respondent_ref", "completed_on", "respondent_type")
# A survey file may carry the scheme it belongs to; it is checked, not stored.
_SCHEME_HEADERS = {"scheme id", "scheme", "scheme code", "scheme ref", "scheme reference"}


# ---------------------------------------------------------------- columns ---
def _candidates(texts: Iterable[str]) -> list[str]:
    """Texts to try for one column, best first: whole header, then the statement part.

    Matrix questions are exported as "Stem - Statement" (Qualtrics, and our own
    set-aside rows), "Stem [Statement]" (Google Forms), "Stem: Statement" or
    "Stem.Statement"; the statement is what names the item.
    """
    out: list[str] = []
    for text in texts:
        text = str(text).strip()
        out.append(text)
        bare = strip_notes(text)
        if bare and bare != text:
            # "Date completed (dd/mm/yyyy)", "Age *", "{{field:x}}, how often ...?"
            out.append(bare)
            text = bare
        if len(sentences := re.split(r"(?<=[.!?])\s+", text)) > 1 and sentences[-1].strip():
            out.append(sentences[-1])  # "Thanks Ann! How often do you feel lonely?"
        if m := re.search(r"\[([^\]]+)\]\s*$", text):
            out.append(m[1])
        for separator in (" - ", " \u2013 ", ": ", " | ", "-", "\u2013"):
            if separator in text:
                out.append(text.rsplit(separator, 1)[1])
                out.append(text.split(separator, 1)[1])
        if "." in text.rstrip("."):
            out.append(text.rstrip(".").rsplit(".", 1)[1])
        # Last resort, a slider or "Other" column: "Question - Label".
        if " - " in text:
            out.append(text.split(" - ", 1)[0])
    return [t for t in out if t.strip()]


ALIAS_HOW = "by another name we know for"


def _is_alias(text: str, code: str) -> bool:
    """True when ``text`` names an attribute by one of its aliases, not its heading or code."""
    if code not in bank().attribute_codes:
        return False
    attribute = bank().attribute(code)
    return normalise_header(text) not in {normalise_header(attribute.header),
                                          normalise_header(code)}


def _cut_short(texts: Iterable[str], index: dict[str, str]) -> str | None:
    """The one question a heading cut short with "..." starts, if exactly one.

    Why: Qualtrics and SurveyMonkey shorten long question texts in headers.
    At least 20 letters must be left so a short fragment never matches.
    """
    pieces = [piece for text in _candidates(texts)
              for piece in (text, *re.split(r"(?<=\.\.\.)\s*[-\u2013]\s*", text))]
    for text in pieces:
        text = text.strip()
        if not text.endswith(("...", "\u2026")):
            continue
        start = normalise_header(text.rstrip(".\u2026 "))
        if len(start) < 20:
            continue
        codes = {code for key, code in index.items() if key.startswith(start)}
        if len(codes) == 1:
            return codes.pop()
    return None


@cache
def _activity_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, header in bank().activity_columns:
        index[normalise_header(code)] = code
        index[normalise_header(header)] = code
    index.setdefault("scheme", "scheme_id")
    index.setdefault("period", "quarter")
    return index


def _targets(kind: str) -> set[str]:
    if kind == "activity":
        return {code for code, _ in bank().activity_columns}
    return {*bank().item_codes, *bank().attribute_codes, "scheme_id"}


def _survey_index() -> dict[str, str]:
    index = dict(header_index())
    for key in _SCHEME_HEADERS:
        index.setdefault(key, "scheme_id")
    return index


def _normalise_mapping(mapping: dict[str, str] | None, kind: str) -> dict[str, str]:
    """Override keys as normalised headers; targets checked (``""`` means ignore)."""
    out: dict[str, str] = {}
    targets = _targets(kind)
    for key, target in (mapping or {}).items():
        target = (target or "").strip()
        if target and target not in targets:
            raise UnknownCode(
                f"'{target}' is not a question or attribute code, so column '{key}' cannot "
                "be mapped to it. Pick one from the list, or leave the column ignored."
            )
        out[key] = target
        out.setdefault(normalise_header(key), target)
    return out


def match_columns(
    parsed: readers.ParsedExport,
    kind: str = "survey",
    saved: dict[str, str] | None = None,
    mapping: dict[str, str] | None = None,
) -> list[ColumnMatch]:
    """What each column means: your choice, then the scheme's saved mapping, then headings.

    The survey tool's own columns are ignored unless mapped by hand; its
    completion time counts as ``completed_on`` unless the file also has an
    explicit date-completed column. When two columns give the same thing, the
    first (by the order above, then left to right) is used.
    """
    override = _normalise_mapping(mapping, kind)
    saved = _normalise_mapping(saved, kind)
    index = _activity_index() if kind == "activity" else _survey_index()
    chosen: list[tuple[int, str | None, str, str]] = []  # priority, code, status, how
    keys = column_keys(parsed.headers)
    for j, header in enumerate(parsed.headers):
        key = normalise_header(header)
        own = keys[j]
        if own in override or own in saved:
            key = own  # a repeated heading mapped on its own ("age #2")
        if key in override:
            code = override[key] or None
            chosen.append((0, code, "matched" if code else "ignored", "your choice"))
        elif key in saved:
            code = saved[key] or None
            chosen.append((1, code, "matched" if code else "ignored", "saved for this scheme"))
        elif parsed.metadata[j]:
            chosen.append((3, None, "ignored (tool metadata)", "the survey tool's own column"))
        else:
            for text in _candidates(parsed.match_texts[j]):
                found = index.get(normalise_header(text))
                if found:
                    how = "code" if normalise_header(text) == normalise_header(found) else "heading"
                    if _is_alias(text, found):
                        # Another name for it ("Client ref"): the template's own heading
                        # wins over it, and the preview shows it for the user to check.
                        chosen.append((2.5, found, "matched",
                                       f"{ALIAS_HOW} '{bank().attribute(found).header}'"))
                    else:
                        chosen.append((2, found, "matched", f"by {how}"))
                    break
            else:
                found = _cut_short(parsed.match_texts[j], index)
                if found:
                    chosen.append((2, found, "matched", "by the start of its heading (cut "
                                   "short with ...)"))
                else:
                    chosen.append((3, None, "not recognised", ""))
    completion = parsed.completion_column
    explicit = any(code == "completed_on" for _, code, _, _ in chosen)
    if (
        kind == "survey"
        and completion is not None
        and not explicit
        and chosen[completion][1] is None
        and chosen[completion][0] >= 2
    ):
        chosen[completion] = (2, "completed_on", "matched", "the survey tool's completion time")
    reference = parsed.reference_column
    if (
        kind == "survey"
        and reference is not None
        and not any(code == "respondent_ref" for _, code, _, _ in chosen)
        and chosen[reference][0] >= 2
        and parsed.rows[reference].str.strip().ne("").any()
    ):
        chosen[reference] = (2, "respondent_ref", "matched",
                             "the survey tool's own reference for the person")
    # One column per code: the best priority, then the leftmost.
    winner: dict[str, int] = {}
    for j, (priority, code, _, _) in enumerate(chosen):
        if code and (code not in winner or priority < chosen[winner[code]][0]):
            winner[code] = j
    letters = parsed.letters or [readers.column_letter(j) for j in range(len(parsed.headers))]
    also: dict[int, tuple[int, ...]] = {}
    for code, first in winner.items():
        same = [j for j, (priority, c, _, _) in enumerate(chosen)
                if c == code and j != first and priority == chosen[first][0]]
        if not same:
            continue
        together, verdicts = _repeats(parsed, first, same, letters)
        also[first] = tuple(together)
        for j, (status, how) in verdicts.items():
            chosen[j] = (chosen[j][0], None, status, how)
    out = []
    for j, (_, code, status, how) in enumerate(chosen):
        if code and winner[code] != j:
            first = winner[code]
            status = "ignored (duplicate)"
            code, how = None, _what_is_lost(parsed, first, j, letters)
        out.append(
            ColumnMatch(
                position=j,
                letter=letters[j],
                header=parsed.headers[j],
                key=keys[j],
                code=code,
                status=status,
                how=how,
                also=also.get(j, ()),
            )
        )
    return out


REPEATED_DIFFER = "repeated heading, answers differ"


def column_keys(headers: list[str]) -> list[str]:
    """Each column's key for mappings: its normalised heading, "#2", "#3" on repeats.

    Why numbered: a form asking the same questions of the person and of the
    carer heads both copies "Age"; each copy must be mappable on its own.
    """
    seen: dict[str, int] = {}
    out = []
    for header in headers:
        key = normalise_header(header)
        seen[key] = seen.get(key, 0) + 1
        out.append(key if seen[key] == 1 else f"{key} #{seen[key]}")
    return out


def _filled(parsed: readers.ParsedExport, j: int) -> pd.Series:
    return parsed.rows[j].str.strip()


def _rows_text(positions, parsed: readers.ParsedExport, limit: int = 6) -> str:
    numbers = [int(parsed.row_numbers[p]) for p in positions]
    shown = ", ".join(str(n) for n in numbers[:limit])
    more = len(numbers) - limit
    return ("row " if len(numbers) == 1 else "rows ") + shown + (
        f" and {more:,} more" if more > 0 else "")


def _repeats(
    parsed: readers.ParsedExport, first: int, same: list[int], letters: list[str]
) -> tuple[list[int], dict[int, tuple[str, str]]]:
    """Columns giving the same thing as ``first`` on an equal footing (a repeated heading).

    Where no row answers two of them differently, each row is read from the
    column it answered (``together``); identical columns are left out as
    giving nothing more; a column that answers a row differently is not
    read, and is marked for the upload to ask about.
    """
    base = _filled(parsed, first)
    together: list[int] = []
    verdicts: dict[int, tuple[str, str]] = {}
    for j in same:
        other = _filled(parsed, j)
        both = base.ne("") & other.ne("")
        differ = np.flatnonzero((both & base.ne(other)).to_numpy())
        name = f"'{parsed.headers[first]}' (column {letters[first]})"
        if len(differ):
            row = int(differ[0])
            verdicts[j] = (REPEATED_DIFFER, (
                f"columns {letters[first]} and {letters[j]} are both '{parsed.headers[j]}' and "
                f"answer {_rows_text(differ, parsed)} differently ('{base.iloc[row]}' and "
                f"'{other.iloc[row]}' on row {int(parsed.row_numbers[row])}), so we cannot "
                "tell which answer is that person's"))
        elif base.eq(other).all():
            verdicts[j] = ("ignored (duplicate)",
                           f"{name} already gives it: the two agree on every row")
        else:
            together.append(j)
            only = np.flatnonzero((other.ne("") & base.eq("")).to_numpy())
            verdicts[j] = ("read with another column", (
                f"read with {name}: each row from the column it answered "
                f"({len(only):,} rows from this one)"))
            base = base.where(base.ne(""), other)
    return together, verdicts


def _what_is_lost(parsed: readers.ParsedExport, first: int, j: int, letters: list[str]) -> str:
    """Why a column giving the same thing as a better one is left out, and what that loses."""
    name = f"'{parsed.headers[first]}'"
    base, other = _filled(parsed, first), _filled(parsed, j)
    if base.eq(other).all():
        return f"{name} already gives it: the two agree on every row"
    lost = np.flatnonzero((other.ne("") & base.ne(other)).to_numpy())
    if not len(lost):
        return f"{name} already gives it (it answers every row this one answers, the same)"
    return (f"{name} (column {letters[first]}) is used instead; this column's answers on "
            f"{_rows_text(lost, parsed)} differ from it or fill its blanks, and would not be "
            "stored. Map one of the two by hand if that is wrong")


def column_of(columns: list[ColumnMatch], code: str) -> int | None:
    for c in columns:
        if c.code == code:
            return c.position
    return None


def with_examples(columns: list[ColumnMatch], frame: pd.DataFrame) -> list[ColumnMatch]:
    """Each used column with up to three values as they would be stored, in words."""
    out = []
    for c in columns:
        examples: tuple[str, ...] = ()
        if c.code == "respondent_ref":
            examples = ("kept as a private key, never as written",)
        elif c.code and c.code in frame.columns and len(frame):
            values = frame[c.code].dropna().drop_duplicates().head(3).tolist()
            c = replace(c, examples=())
            if c.code == "completed_on":
                examples = tuple(uk_date(pd.Timestamp(v).date()) for v in values)
            elif c.code in bank().item_codes:
                examples = tuple(item_label(c.code, int(v)) for v in values)
            else:
                examples = tuple(attribute_label(c.code, str(v)) for v in values)
        out.append(replace(c, examples=examples))
    return out


_QUESTION_WORDS = re.compile(r"[a-z]{2,}", re.I)


def unmatched_questions(
    parsed: readers.ParsedExport, columns: list[ColumnMatch]
) -> list[dict[str, object]]:
    """Columns that look like survey questions but match none, with what they would cost.

    A column looks like a question when it is not the tool's own, its heading
    has three or more words (or a question mark), and it holds answers.
    Matrix statements under one stem are told as one cost.
    """
    found = []
    for c in columns:
        if c.status != "not recognised":
            continue
        heading = c.header
        if not (len(_QUESTION_WORDS.findall(heading)) >= 3 or heading.rstrip().endswith("?")):
            continue
        cells = int(parsed.rows[c.position].str.strip().ne("").sum())
        if cells:
            texts = parsed.match_texts[c.position]
            stem = ""
            if len(texts) > 1 and " - " in texts[-1]:
                stem = texts[-1].split(" - ", 1)[0]
            elif m := re.match(r"^(.*?)\s*\[[^\]]+\]\s*$", heading):
                stem = m[1]
            elif " - " in heading:
                stem = heading.split(" - ", 1)[0]
            found.append({"column": c.letter, "header": heading, "cells": cells, "stem": stem})
    groups: dict[str, list[dict[str, object]]] = {}
    for f in found:
        groups.setdefault(str(f["stem"]) or str(f["header"]), []).append(f)
    for stem, members in groups.items():
        cells = sum(int(m["cells"]) for m in members)
        if len(members) > 1:
            cost = (f"the {len(members)} statements under '{stem}' would not be stored "
                    f"({cells:,} answers)")
        else:
            cost = f"'{members[0]['header']}' would not be stored ({cells:,} answers)"
        for m in members:
            m["cost"] = cost
    return found


def count_question_cells(
    parsed: readers.ParsedExport, columns: list[ColumnMatch], lost: list[dict[str, object]]
) -> tuple[int, int]:
    """Answers to questions the file holds, and how many of them match a question."""
    items = set(bank().item_codes)
    kept = sum(int(parsed.rows[j].str.strip().ne("").sum())
               for c in columns if c.code in items for j in (c.position, *c.also))
    return kept + sum(int(q["cells"]) for q in lost), kept


_OWN_CODES = {
    "qualtrics": (
        r"-?\d+",
        "This Qualtrics export holds numbers in place of the answers (it was exported with "
        "'Use numeric values'), and Qualtrics' numbers are not ours, so nothing was stored. "
        "In Qualtrics, go to Data & Analysis > Export & Import > Export data, choose CSV "
        "with 'Use choice text', and upload that file."),
    "limesurvey": (
        r"(?i)(?:A|AO|SQ)?\d+",
        "This LimeSurvey export holds LimeSurvey's answer codes (A1, AO01, ...) in place of "
        "the answers, and its codes are not ours, so nothing was stored. In LimeSurvey, go to "
        "Responses > Export, choose Responses: 'Full answers' (and Headings: 'Full question "
        "text'), and upload that file."),
    "jisc": (
        r"-?\d+",
        "This Jisc Online Surveys export holds coded responses (numbers in place of the "
        "answers), and its codes are not ours, so nothing was stored. In Online Surveys, "
        "export the responses again without 'Code responses' ticked, and upload that file."),
}


def refuse_numeric_export(parsed: readers.ParsedExport, columns: list[ColumnMatch]) -> None:
    """Refuse a tool's coded export: its numbers are the tool's own codes, not ours.

    Why: Qualtrics numbers choices in the order they were built (and recodes
    them at will), LimeSurvey writes A1 / AO01, Jisc numbers each list: "4"
    is not our "Agree". When the categorical questions about the person hold
    only codes, the file carries no labels to check.
    """
    if parsed.layout not in _OWN_CODES:
        return
    pattern, message = _OWN_CODES[parsed.layout]
    categorical = [c for c in columns if c.code in ("respondent_type", "completed_by",
                                                     "support_type", "age_band", "gender",
                                                     "ethnicity", "primary_need")]
    labelled = [c for c in columns if c.code in bank().item_codes
                and bank().item(c.code).scale.labelled]
    checked = categorical or labelled
    if not checked:
        return
    aside = sorted({position for position, _, _ in parsed.tool_set_aside})
    for c in checked:
        values = parsed.rows[c.position].str.strip().drop(index=aside)  # not responses
        values = values[values.ne("")]
        if len(values) == 0 or not values.str.fullmatch(pattern).all():
            return
    raise Refusal(message)


def check_columns(
    parsed: readers.ParsedExport, columns: list[ColumnMatch], kind: str, scheme_id: str | None
) -> None:
    """Refuse files we cannot use at all: nothing recognised, a required column missing,
    or answers for another scheme."""
    if parsed.layout == "limesurvey" and limesurvey.codes_only(parsed.headers):
        raise Refusal(
            "This LimeSurvey export is headed by question codes (Q1, Q2[SQ001]) and not "
            "the questions, so we cannot tell which column is which and nothing was stored. "
            "In LimeSurvey, go to Responses > Export, choose Headings: 'Full question text' "
            "and Responses: 'Full answers', and upload that file."
        )
    used = {c.code for c in columns if c.code}
    differ = [c for c in columns if c.status == REPEATED_DIFFER]
    if differ:
        raise Refusal(
            "Two columns share a heading and give different answers, so nothing was stored: "
            + "; ".join(c.how for c in differ[:4]) + ". Say which column is which on the Upload "
            "page (map one of them to its own question, or to Ignore), or clear the wrong "
            "answers and upload again."
        )
    if kind == "survey":
        meaningful = used - {"scheme_id"}
        if not meaningful:
            hint = ""
            other = sum(
                1 for t in parsed.match_texts
                if any(normalise_header(x) in _activity_index() for x in _candidates(t))
            )
            if other >= 3:
                hint = (" It looks like a quarterly activity return: upload it as an activity "
                        "return (--kind activity).")
            raise Refusal(
                "None of the columns in this file match the survey questions, so nothing was "
                f"stored.{hint} Use the survey template (download it on the Upload page), "
                "or map your columns to the questions on the Upload page."
            )
        missing = [code for code in REQUIRED if code not in used]
        if missing:
            raise Refusal(_missing_message(missing))
        _check_scheme_column(parsed, columns, scheme_id)
    else:
        if not (used & set(ACTIVITY_COUNTS)) or "quarter" not in used:
            hint = ""
            if any(normalise_header(x) in header_index() for t in parsed.match_texts
                   for x in _candidates(t)):
                hint = " It looks like a survey export: upload it as a survey (--kind survey)."
            raise Refusal(
                "This file does not look like an activity return: it needs a 'Quarter' "
                "column and the counts of people (Long-term, Short breaks, Day support, Home "
                "from hospital, Approved carers, New arrangements, Ended arrangements)."
                f"{hint} Download the activity return template on the Upload page."
            )
        if "scheme_id" not in used and scheme_id is None:
            raise Refusal(
                "This activity return has no 'Scheme ID' column. Add one (the scheme's ID "
                "from the register on every row), or give the scheme with --scheme."
            )
        _check_scheme_column(parsed, columns, scheme_id)


def _check_scheme_column(parsed, columns, scheme_id: str | None) -> None:
    """A file's own Scheme ID column must name only the scheme it is uploaded for."""
    scheme_col = column_of(columns, "scheme_id")
    if scheme_col is not None and scheme_id is not None:
        values = {v.strip() for v in parsed.rows[scheme_col].unique() if v.strip()}
        others = sorted(v for v in values if v.casefold() != scheme_id.casefold())
        if others:
            raise Refusal(_wrong_scheme(others, scheme_id))


def _missing_message(missing: list[str]) -> str:
    what = {
        "respondent_ref": "the person's reference",
        "completed_on": "the date the survey was completed",
        "respondent_type": "who is answering (someone who uses Shared Lives, or a family carer)",
    }
    lines = []
    for code in missing:
        header = bank().attribute(code).header
        lines.append(f"{what[code]} (a column headed '{header}' or '{code}')")
    return (
        "This file has no column for " + "; nor for ".join(lines) + ", so nothing was "
        "stored. Add the column (every row needs it) and upload again, or map one of your "
        "columns to it on the Upload page."
    )


def _wrong_scheme(others: list[str], scheme_id: str) -> str:
    listed = ", ".join(f"'{o}'" for o in others[:5])
    return (
        f"This file holds rows for scheme {listed}, not '{scheme_id}', so nothing was stored. "
        "Check you picked the right scheme, or split the file by scheme and upload each "
        "part with its own scheme."
    )
