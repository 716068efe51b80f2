"""A scheme's own answer words: each distinct answer of a column mapped by the user to ours.

Why: schemes ask our questions with their own answer words ("Yes, often /
Sometimes / No"; "Always ... Never" in another order). Nothing maps them by
guesswork: the user says, per distinct answer, which of our answers it is
(or that it is missing); the mapping is saved for the scheme and the survey
tool, offered again on every later upload, and recorded with each upload.
"""

from __future__ import annotations

import re

import pandas as pd

from kpi.ingest.result import Refusal
from kpi.items import bank, normalise_label

ANSWERS_KEY = "answers:"
MISSING = "missing"
_SEPARATOR = "\x1f"  # between column key and answer in a saved key: never typed

# Words that say opposite things: two answers holding one each are opposites.
_OPPOSITES = (
    ("yes", "no"), ("always", "never"), ("agree", "disagree"), ("often", "never"),
    ("often", "rarely"), ("satisfied", "dissatisfied"), ("happy", "unhappy"),
    ("good", "bad"), ("good", "poor"), ("likely", "unlikely"), ("all", "none"),
    ("most", "none"), ("lot", "not"),
)


def saved_key(layout: str, column_key: str, answer: str) -> str:
    """The saved-mapping key of one answer of one column, for one survey tool."""
    return f"{ANSWERS_KEY}{layout}:{column_key}{_SEPARATOR}{normalise_label(answer)}"


def remembered(saved: dict[str, str], layout: str) -> dict[str, dict[str, str]]:
    """The scheme's saved answer mappings for this tool: column key -> answer -> ours."""
    prefix = f"{ANSWERS_KEY}{layout}:"
    out: dict[str, dict[str, str]] = {}
    for k, target in saved.items():
        if k.startswith(prefix) and _SEPARATOR in k:
            column, answer = k[len(prefix):].split(_SEPARATOR, 1)
            out.setdefault(column, {})[answer] = target
    return out


def to_save(layout: str, answers: dict[str, dict[str, str]]) -> dict[str, str]:
    return {saved_key(layout, column, answer): target
            for column, mapping in answers.items() for answer, target in mapping.items()}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", normalise_label(text)))


def _opposite(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    for x, y in _OPPOSITES:
        if (x in wa and y in wb and y not in wa and x not in wb) or (
                y in wa and x in wb and x not in wa and y not in wb):
            return True
    return False


def check(code: str, header: str, mapping: dict[str, str]) -> dict[str, int | None]:
    """The mapping as stored values (None for missing), or refuse one that makes no sense.

    Refused: a value that is not one of the question's answers, and two
    opposite answers ("Yes, often" and "No") given one code.
    """
    scale = bank().item(code).scale
    labels = dict(scale.values)
    out: dict[str, int | None] = {}
    for answer, target in mapping.items():
        target = str(target).strip()
        if not target:
            continue  # not mapped: its rows stay set aside, with the reason
        if target == MISSING:
            out[normalise_label(answer)] = None
            continue
        try:
            value = int(target)
        except ValueError:
            value = None
        if value is None or not scale.min <= value <= scale.max:
            raise Refusal(
                f"'{answer}' in '{header}' is mapped to '{target}', which is not one of the "
                f"answers to this question ({scale.min} to {scale.max}), so nothing was "
                "stored. Pick one of the answers listed, or 'missing'."
            )
        out[normalise_label(answer)] = value
    by_value: dict[int, list[str]] = {}
    for answer, value in out.items():
        if value is not None:
            by_value.setdefault(value, []).append(answer)
    for value, answers in by_value.items():
        for i, a in enumerate(answers):
            for b in answers[i + 1:]:
                if _opposite(a, b):
                    shown = labels.get(value, str(value))
                    raise Refusal(
                        f"In '{header}', '{a}' and '{b}' say opposite things but are both "
                        f"mapped to '{shown}', so nothing was stored. Map each to the answer "
                        "of ours it means."
                    )
    return out


# How an upload's record says a column was read with a scheme's own answers.
OWN_WORDS = " read with the scheme's own answers: "


def described(header: str, code: str, mapping: dict[str, int | None]) -> str:
    """The mapping in words, for the upload's record and the preview."""
    labels = dict(bank().item(code).scale.values)
    parts = [f"'{a}' as {'missing' if v is None else repr(labels.get(v, str(v)))}"
             for a, v in mapping.items()]
    return f"'{header}'{OWN_WORDS}" + ", ".join(parts)


def own_answer_uploads(uploads: pd.DataFrame) -> pd.DataFrame:
    """The stored uploads some of whose answers were read with a scheme's own words,
    one row per column so read: upload_id, scheme_id, scheme_name, file_name,
    uploaded_at, column, read_as (the recorded mapping, in words).

    Why: a KHI built partly from a mapped scale should be told apart from one read
    from our own answers; the record kept with each upload says which it was.
    """
    columns = ["upload_id", "scheme_id", "scheme_name", "file_name", "uploaded_at",
               "column", "read_as"]
    rows = []
    stored = uploads[uploads["status"] == "stored"] if len(uploads) else uploads
    for upload in stored.itertuples():
        note = upload.note if isinstance(upload.note, str) else ""
        for part in note.split("; "):
            if OWN_WORDS not in part:
                continue
            column, read_as = part.split(OWN_WORDS, 1)
            rows.append({
                "upload_id": int(upload.upload_id), "scheme_id": upload.scheme_id,
                "scheme_name": upload.scheme_name, "file_name": upload.file_name,
                "uploaded_at": upload.uploaded_at, "column": column.strip("'"),
                "read_as": read_as,
            })
    return pd.DataFrame(rows, columns=columns)
