"""The questionnaire people and family carers answer, generated from the item bank.

Why generated: the online form, the printable PDF and staff's paper entry all
ask the bank's items, so a new ``[[items]]`` block in ``bank/items.toml`` is
asked everywhere with no other change. Easy-read words for our own items live
beside the bank in ``bank/easy_read.toml``; licensed instruments (SWEMWBS, ONS4,
UCLA-3, ASCOF's social contact item, the ONS loneliness question) keep their
exact wording and answer labels and only gain pictures. Stored codes are the
bank's whatever the wording, so answers from every channel count together.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from kpi.errors import KhiError
from kpi.items import Bank, Item
from kpi.items import bank as default_bank
from kpi.paths import BANK_DIR

__all__ = [
    "COMPLETED_BY",
    "REFUSAL",
    "BadAnswer",
    "Option",
    "Question",
    "Questionnaire",
    "check_answer",
    "easy_read",
    "item_question",
    "questionnaire",
]

WHO = ("person", "carer")
WORDINGS = ("easy_read", "standard")
COMPLETED_BY = "completed_by"
REFUSAL = "no_answer"  # the form's value for "I don't want to answer"


class BadAnswer(KhiError, ValueError):
    """An answer the form cannot store: not one of the question's answers."""


@dataclass(frozen=True)
class Option:
    """One answer. ``value`` is the stored code (None: did not want to answer)."""

    value: int | str | None
    words: str
    picture: str  # a kpi.pictures name; its alt text is ``words``

    @property
    def form_value(self) -> str:
        """What the HTML form sends for this answer."""
        return REFUSAL if self.value is None else str(self.value)


@dataclass(frozen=True)
class Question:
    code: str
    text: str
    standard_text: str
    licensed: bool
    kind: str  # "choice" | "number"
    options: tuple[Option, ...]
    intro: str = ""  # an instrument's instruction, shown before its first statement
    minimum: int | None = None  # for "number": the range a written number must fall in
    maximum: int | None = None

    @property
    def refusal(self) -> Option:
        return next(o for o in self.options if o.value is None)


@dataclass(frozen=True)
class Questionnaire:
    who: str
    wording: str
    questions: tuple[Question, ...]

    def question(self, code: str) -> Question:
        for q in self.questions:
            if q.code == code:
                return q
        raise KeyError(code)


@cache
def easy_read() -> dict[str, Any]:
    """``bank/easy_read.toml``: easy words, licensed items, pictures."""
    with open(BANK_DIR / "easy_read.toml", "rb") as fh:
        return tomllib.load(fh)


def is_licensed(code: str, data: dict[str, Any] | None = None) -> bool:
    data = data or easy_read()
    return any(fnmatch.fnmatchcase(code, pattern) for pattern in data["licensed"])


def _asked(item: Item, who: str) -> bool:
    return item.audience in (who, "all")


def _faces(item: Item, data: dict[str, Any]) -> list[int] | None:
    faces = data["faces"].get(item.scale.code)
    if faces is None:
        return None
    if data.get("faces_reversed", {}).get(item.code):
        faces = [10 - f for f in faces]
    return list(faces)


def _item_question(item: Item, wording: str, data: dict[str, Any]) -> Question:
    licensed = is_licensed(item.code, data)
    easy = wording == "easy_read" and not licensed
    text = data["items"].get(item.code, item.text) if easy else item.text
    refusal = Option(None, data["refusal"], "no-answer")
    scale = item.scale
    if not scale.labelled and scale.max - scale.min > 10:
        # A number to write in (friends_count: 0-99), not a row of answers.
        return Question(
            code=item.code, text=text, standard_text=item.text, licensed=licensed,
            kind="number", options=(refusal,), intro=data["intros"].get(item.code, ""),
            minimum=scale.min, maximum=scale.max,
        )
    labels = dict(scale.values)
    easy_labels = data["scales"].get(scale.code, {}) if easy else {}
    faces = _faces(item, data)
    if faces is None or len(faces) != scale.max - scale.min + 1:
        raise KhiError(
            f"bank/easy_read.toml needs [faces] {scale.code} with one face per answer "
            f"({scale.max - scale.min + 1}) before items on that scale can be asked."
        )
    options = []
    for i, value in enumerate(range(scale.min, scale.max + 1)):
        label = easy_labels.get(str(value), labels.get(value, ""))
        # A 0-10 scale shows the number, with the bank's label at the ends.
        words = label if scale.labelled else f"{value} – {label}" if label else str(value)
        options.append(Option(value, words, f"face-{faces[i]}"))
    return Question(
        code=item.code, text=text, standard_text=item.text, licensed=licensed,
        kind="choice", options=(*options, refusal), intro=data["intros"].get(item.code, ""),
    )


def _completed_by(b: Bank, data: dict[str, Any]) -> Question:
    attribute = b.attribute(COMPLETED_BY)
    pictures = data["completed_by"]
    options = tuple(Option(code, label, pictures[code]) for code, label in attribute.labels)
    return Question(
        code=COMPLETED_BY, text=attribute.header, standard_text=attribute.header,
        licensed=False, kind="choice",
        options=(*options, Option(None, data["refusal"], "no-answer")),
    )


def item_question(item: Item, wording: str = "easy_read") -> Question:
    """One bank item as the questionnaire asks it in ``wording`` (the Definitions page)."""
    return _item_question(item, wording, easy_read())


def questionnaire(who: str, wording: str = "easy_read", bank: Bank | None = None) -> Questionnaire:
    """The questions ``who`` is asked, in the bank's order, then who filled it in."""
    if who not in WHO:
        raise KhiError(f"The questionnaire is for 'person' or 'carer', not {who!r}.")
    if wording not in WORDINGS:
        raise KhiError(f"The wording is 'easy_read' or 'standard', not {wording!r}.")
    b = bank or default_bank()
    data = easy_read()
    questions = tuple(_item_question(item, wording, data) for item in b.items if _asked(item, who))
    return Questionnaire(who, wording, (*questions, _completed_by(b, data)))


def check_answer(question: Question, raw: str) -> int | str | None:
    """The stored code for what the form sent; a plain refusal when it is not an answer."""
    raw = (raw or "").strip()
    if raw == REFUSAL:
        return None
    if question.kind == "number":
        if raw.isdigit() and question.minimum <= int(raw) <= question.maximum:
            return int(raw)
        raise BadAnswer(
            f"Please write a whole number from {question.minimum} to {question.maximum}, "
            f"or choose “{question.refusal.words}”."
        )
    for option in question.options:
        if option.form_value == raw:
            return option.value
    raise BadAnswer(f"Please choose one answer, or choose “{question.refusal.words}”.")
