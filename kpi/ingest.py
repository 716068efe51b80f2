"""Upload survey exports, quarterly activity returns and the scheme register.

A file is stored in one transaction or not at all (spec §7). Rows with problems
are set aside with their row number, column and a reason, and the rest are
stored; a file that cannot be used at all is refused with a message that says
what to do. :func:`preview` runs exactly the same steps and rolls the
transaction back, so the Upload page shows the counts the upload will give.

Why vectorised: a big export has 100,000 rows x 40 columns but only a handful of
distinct answers per column, so each column is factorised and every distinct
label is mapped once (and every distinct reference hashed once).

Test hook: when the environment variable ``KHI_TEST_PAUSE_IN_TRANSACTION`` is
set to a number of seconds, an upload prints a line to stderr and sleeps that
long just before it commits. ``tests/test_ingest.py`` kills the process there
to prove that a half-finished upload leaves nothing behind. Never set it in
production.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from kpi import readers
from kpi.items import (
    attribute_label_index,
    bank,
    header_index,
    item_label_index,
    missing_index,
    normalise_header,
    normalise_label,
    region_by_name,
)
from kpi.periods import parse_quarter, quarter_label, quarter_start
from kpi.privacy import installation_secret, person_key
from kpi.store import ACTIVITY_COUNTS, ATTRIBUTE_COLUMNS, Store

PAUSE_ENV = "KHI_TEST_PAUSE_IN_TRANSACTION"
KINDS = ("survey", "activity")
REQUIRED = ("respondent_ref", "completed_on", "respondent_type")
# A survey file may carry the scheme it belongs to; it is checked, not stored.
_SCHEME_HEADERS = {"scheme id", "scheme", "scheme code", "scheme ref", "scheme reference"}
_REGISTER_LOAD = (
    "Load the scheme register first: `python -m kpi schemes register.csv` (columns "
    "scheme_id, name, region, local_authority, cqc_rating, cqc_rating_date)."
)
_SHOWN_PROBLEMS = 20


# ---------------------------------------------------------------- results ---
@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row: row as the spreadsheet numbers it, column as headed."""

    row: int | None
    column: str | None
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"'{self.column}'")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


@dataclass(frozen=True)
class ColumnMatch:
    """What one column of the file was taken to mean (the Upload page's mapping table)."""

    position: int  # 0-based among the file's columns
    letter: str  # the column's letter in the user's spreadsheet
    header: str  # as the file heads it
    key: str  # normalised header: the key for ``mapping`` overrides and saved mappings
    code: str | None  # item / attribute / activity code, None when not used
    status: str  # "matched", "not recognised", "ignored (tool metadata)", "ignored", ...
    how: str = ""  # plain words: how it was matched
    examples: tuple[str, ...] = ()  # up to three values as they would be stored, in words

    @property
    def became(self) -> str:
        """What the column became, in the user's words: a question, an attribute, ..."""
        if self.code is None:
            return "the survey tool's own (not stored)" if "metadata" in self.status else (
                "ignored (not stored)")
        if self.code in bank().item_codes:
            return "a question: " + bank().item(self.code).text
        if self.code == "scheme_id":
            return "the scheme (checked, not stored)"
        if self.code not in bank().attribute_codes:
            return "the activity return's " + self.code.replace("_", " ")
        return "about the person: " + bank().attribute(self.code).header


@dataclass
class IngestResult:
    """What an upload did: counts, every problem, and a message saying what to do.

    ``accepted`` counts rows stored (new answers and corrections); ``corrected``
    how many of those replaced a stored answer; ``duplicates`` rows identical
    to a stored one (or repeated in the file) and not stored again;
    ``rejected`` rows set aside. ``set_aside`` holds those rows as the file had
    them, reference included, so they can be fixed and uploaded again: it lives
    in memory only and is never stored.
    """

    upload_id: int | None = None
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    corrected: int = 0
    problems: list[Problem] = field(default_factory=list)
    layout: str | None = None
    refused: bool = False
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    set_aside: pd.DataFrame = field(default_factory=pd.DataFrame)
    columns: list[ColumnMatch] = field(default_factory=list)
    rows_read: int = 0
    kind: str = "survey"
    scheme_id: str | None = None
    file_name: str | None = None
    sha256: str | None = None
    # Columns that look like survey questions but matched none: what they would cost.
    unmatched_questions: list[dict[str, object]] = field(default_factory=list)
    # When which way round the dates are cannot be told: the column and a few
    # dates read both ways, for the user to choose (``dates=`` / --dates).
    date_question: dict[str, object] | None = None
    # True when less than half of the file's question cells would be stored.
    partial: bool = False
    question_cells: int = 0
    stored_question_cells: int = 0

    def to_dict(self) -> dict[str, object]:
        """The command line's JSON: the spec's keys first, then the extras."""
        return {
            "upload_id": self.upload_id,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "corrected": self.corrected,
            "problems": [p.to_dict() for p in self.problems],
            "layout": self.layout,
            "refused": self.refused,
            "message": self.message,
            "warnings": list(self.warnings),
            "unmatched_questions": list(self.unmatched_questions),
            "date_question": self.date_question,
            "question_cells": self.question_cells,
            "stored_question_cells": self.stored_question_cells,
        }

    def mapping_table(self) -> pd.DataFrame:
        """One row per column of the file: heading, what it was taken to mean and how."""
        return pd.DataFrame(
            [
                {
                    "column": c.letter,
                    "heading": c.header,
                    "used as": c.code or "",
                    "status": c.status,
                    "how": c.how,
                    "key": c.key,
                }
                for c in self.columns
            ],
            columns=["column", "heading", "used as", "status", "how", "key"],
        )

    def summary(self) -> str:
        """The result in plain words, for the command line."""
        lines = [self.message]
        if not self.refused or self.rows_read:
            stored = "to store" if isinstance(self, Preview) else "stored"
            counts = [f"rows read {self.rows_read}", f"{stored} {self.accepted}"]
            if self.corrected:
                counts.append(f"of which corrections {self.corrected}")
            counts += [f"set aside {self.rejected}", f"duplicates {self.duplicates}"]
            layout = readers.LAYOUTS.get(self.layout or "", self.layout)
            lines.append(("Read as " + layout + ". " if layout else "") + ", ".join(counts) + ".")
        if self.problems:
            lines.append("Problems:")
            lines += [f"  {p}" for p in self.problems[:_SHOWN_PROBLEMS]]
            if len(self.problems) > _SHOWN_PROBLEMS:
                lines.append(
                    f"  ... and {len(self.problems) - _SHOWN_PROBLEMS} more (use --json for "
                    "the full list, or download the set-aside rows on the Upload page)."
                )
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)


@dataclass
class Preview(IngestResult):
    """An upload that was checked but not stored: the same counts :func:`ingest_bytes` gives.

    ``already_uploaded`` is the upload id when the very same file is stored already.
    """

    already_uploaded: int | None = None


@dataclass
class SchemeLoadResult:
    """What loading the scheme register did."""

    loaded: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    refused: bool = False
    message: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "loaded": self.loaded,
            "rejected": self.rejected,
            "problems": [p.to_dict() for p in self.problems],
            "refused": self.refused,
            "message": self.message,
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        lines = [self.message]
        if self.problems:
            lines.append("Problems:")
            lines += [f"  {p}" for p in self.problems[:_SHOWN_PROBLEMS]]
            if len(self.problems) > _SHOWN_PROBLEMS:
                lines.append(f"  ... and {len(self.problems) - _SHOWN_PROBLEMS} more.")
        lines += [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)


class _Refused(Exception):
    """Internal: stop and refuse the whole file with this message."""

    def __init__(self, message: str, problems: list[Problem] | None = None,
                 **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        self.extra = extra


class _DryRun(Exception):
    """Internal: roll the preview's transaction back, carrying its counts out."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__("dry run")
        self.counts = counts


# ------------------------------------------------------------------ dates ---
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[ T,])")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:$|[ T,])")
_WEEKDAY = r"(?:[a-z]+,?\s+)?"
_TEXT_DMY = re.compile(
    rf"^{_WEEKDAY}(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/]+([a-z]{{3,9}})\.?[\s\-/,]+(\d{{4}})(?:$|[\s,T])",
    re.I,
)
_TEXT_MDY = re.compile(
    rf"^{_WEEKDAY}([a-z]{{3,9}})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?:$|[\s,T])", re.I
)
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_MONTHS = {name.lower()[:3]: i for i, name in enumerate(calendar.month_name) if name}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_TIME_PART = r"[ T]+\d{1,2}:\d{2}.*$"


DAY_FIRST, MONTH_FIRST = "day_first", "month_first"
DATE_ORDERS = (DAY_FIRST, MONTH_FIRST)


@dataclass(frozen=True)
class DateParse:
    """Dates read from one column, which way round its numeric dates are, and why.

    ``undecided`` is True when some value could be read either way and nothing
    in the file (nor the user's choice) settles it: the upload must ask.
    ``evidence`` says in plain words what settled it.
    """

    dates: list[dt.date | None]
    reasons: list[str | None]
    order: str  # "day_first" or "month_first"
    proven: bool  # True when some value could only be read one way
    ambiguous: bool  # True when some value could be read either way
    undecided: bool = False
    evidence: str = ""


def _uk(day: dt.date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def _parts(text: str, excel_serials: bool) -> tuple[str, int, int, int] | None:
    """("ymd", y, m, d) for unambiguous forms, ("ab", a, b, y) for nn/nn/yyyy."""
    if m := _ISO.match(text):
        return "ymd", int(m[1]), int(m[2]), int(m[3])
    if m := _NUMERIC.match(text):
        year = int(m[3])
        return "ab", int(m[1]), int(m[2]), year + 2000 if year < 100 else year
    if (m := _TEXT_DMY.match(text)) and m[2].lower()[:3] in _MONTHS:
        return "ymd", int(m[3]), _MONTHS[m[2].lower()[:3]], int(m[1])
    if (m := _TEXT_MDY.match(text)) and m[1].lower()[:3] in _MONTHS:
        return "ymd", int(m[3]), _MONTHS[m[1].lower()[:3]], int(m[2])
    if excel_serials and _SERIAL.match(text):
        day = _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
        return "ymd", day.year, day.month, day.day
    return None


def _reading(p: tuple[str, int, int, int] | None, order: str) -> dt.date | None:
    """The date ``p`` gives read one way round, or None when it is not a real date."""
    if p is None:
        return None
    try:
        if p[0] == "ab":
            a, b, year = p[1], p[2], p[3]
            return dt.date(year, b, a) if order == DAY_FIRST else dt.date(year, a, b)
        return dt.date(p[1], p[2], p[3])
    except ValueError:
        return None


def _in_order(days: Sequence[dt.date | None]) -> bool:
    known = [d for d in days if d is not None]
    return all(a <= b for a, b in zip(known, known[1:]))


def parse_date_values(
    values: Sequence[str],
    hint: str | None = None,
    *,
    excel_serials: bool = False,
    today: dt.date | None = None,
    sequence: Sequence[int] | None = None,
    choice: str | None = None,
) -> DateParse:
    """Read dates, and decide which way round nn/nn/yyyy is only on evidence.

    ISO (2026-05-14, Google's 2026/05/14 10:32:11 GMT+1) and written months are
    never ambiguous. For nn/nn/yyyy, in this order: a value that can only be
    read one way (a field above 12) settles the column; then a reading that
    would put dates in the future loses to one that does not; then, for a
    tool that appends rows as they are submitted (``sequence``: the row order
    as indices into ``values``), the reading under which the dates run in
    order wins; then the user's ``choice``; then the tool's known convention
    (``hint``). If none settles it the column is ``undecided`` (the caller
    asks) and is read day-first only to show the question. Times are dropped;
    empty values give ``None`` and no reason.
    """
    today = today or dt.date.today()
    parts = [_parts(str(v).strip(), excel_serials) for v in values]
    day_proof = any(p and p[0] == "ab" and p[1] > 12 for p in parts)
    month_proof = any(p and p[0] == "ab" and p[2] > 12 for p in parts)
    ambiguous = any(p and p[0] == "ab" and p[1] <= 12 and p[2] <= 12 and p[1] != p[2]
                    for p in parts)
    undecided = False
    evidence = ""
    if day_proof:
        order, evidence = DAY_FIRST, "a date in the file can only be day/month/year"
    elif month_proof:
        order, evidence = MONTH_FIRST, "a date in the file can only be month/day/year"
    elif not ambiguous:
        order = DAY_FIRST
    else:
        readings = {o: [_reading(p, o) for p in parts] for o in DATE_ORDERS}
        future = {o: any(d is not None and d > today for d in readings[o]) for o in DATE_ORDERS}
        # Order is evidence only over three or more different dates: with two, a
        # file sorted some other way would run in order by chance half the time.
        usable = sequence is not None and len(set(sequence)) >= 3
        ordered = {o: usable and _in_order([readings[o][i] for i in sequence])
                   for o in DATE_ORDERS}
        if future[DAY_FIRST] != future[MONTH_FIRST]:
            order = MONTH_FIRST if future[DAY_FIRST] else DAY_FIRST
            evidence = "the other way round some dates would be in the future"
        elif ordered[DAY_FIRST] != ordered[MONTH_FIRST]:
            order = DAY_FIRST if ordered[DAY_FIRST] else MONTH_FIRST
            evidence = "only this way round do the survey tool's timestamps run in order"
        elif choice in DATE_ORDERS:
            order, evidence = choice, "you chose it"
        elif hint in DATE_ORDERS:
            order, evidence = hint, "the survey tool writes dates this way"
        else:
            order, undecided = DAY_FIRST, True
    shape = "day/month/year" if order == DAY_FIRST else "month/day/year"
    dates: list[dt.date | None] = []
    reasons: list[str | None] = []
    for value, p in zip(values, parts):
        text = str(value).strip()
        if not text:
            dates.append(None)
            reasons.append(None)
            continue
        if p is None:
            dates.append(None)
            reasons.append(
                f"'{text}' is not a date we can read: write it like 14/05/2026 or 2026-05-14"
            )
            continue
        if p[0] == "ab":
            a, b = p[1], p[2]
            day, month = (a, b) if order == DAY_FIRST else (b, a)
            if month > 12 and day <= 12:
                dates.append(None)
                reasons.append(
                    f"'{text}' does not fit the other dates in this column, which are "
                    f"{shape}: check which way round it is written"
                )
                continue
        day_read = _reading(p, order)
        dates.append(day_read)
        reasons.append(None if day_read else f"'{text}' is not a real date (read as {shape})")
    return DateParse(dates, reasons, order, day_proof or month_proof, ambiguous, undecided,
                     evidence)


def date_examples(values: Sequence[str], limit: int = 4) -> list[tuple[str, str, str]]:
    """A few dates that read differently either way round: (as written, day-first, month-first)."""
    out: list[tuple[str, str, str]] = []
    for value in values:
        p = _parts(str(value).strip(), False)
        if p and p[0] == "ab" and p[1] <= 12 and p[2] <= 12 and p[1] != p[2]:
            first, second = _reading(p, DAY_FIRST), _reading(p, MONTH_FIRST)
            if first and second:
                out.append((str(value).strip(), _uk(first), _uk(second)))
        if len(out) >= limit:
            break
    return out


def _date_column(
    series: pd.Series, hint: str | None, excel_serials: bool, today: dt.date,
    in_submission_order: bool = False, choice: str | None = None,
) -> tuple[np.ndarray, np.ndarray, DateParse]:
    """Dates (datetime64[D], NaT when none) and reasons per row, each distinct text parsed once."""
    codes, uniques = pd.factorize(series)
    if len(uniques) > 2000:
        # Survey tools stamp every row to the second: parse dates, not timestamps.
        codes, uniques = pd.factorize(series.str.replace(_TIME_PART, "", regex=True))
    sequence = None
    if in_submission_order:
        # Row order as unique indices, repeats of the same date dropped.
        change = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.array([], bool)
        sequence = codes[change].tolist()
    parsed = parse_date_values([str(u) for u in uniques], hint, excel_serials=excel_serials,
                               today=today, sequence=sequence, choice=choice)
    reasons = np.array(parsed.reasons, dtype=object)
    for i, day in enumerate(parsed.dates):
        if day is not None and day > today:
            reasons[i] = f"date is in the future ({_uk(day)}): check the year and month"
    stamps = np.array(
        [np.datetime64(d, "D") if d is not None else np.datetime64("NaT") for d in parsed.dates],
        dtype="datetime64[D]",
    )
    return stamps[codes], reasons[codes], parsed


# ---------------------------------------------------------------- answers ---
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_LEADING = re.compile(r"(\d{1,2})\s*(?:[-\u2013\u2014.:)=]\s*|\s+)(.+)")


def _loose(text: str) -> str:
    """A label compared ignoring punctuation too: "Long-term" == "long term", "18–24" == "18-24".

    Not :func:`normalise_header`: that drops leading numbering, which in an
    answer ("18-24", "7 - label") is the answer itself.
    """
    return re.sub(r"[^a-z0-9+]+", " ", normalise_label(text)).strip()


@cache
def _loose_item_index(code: str) -> dict[str, int]:
    """Labels compared ignoring punctuation as well ("Neither agree, nor disagree")."""
    return {_loose(k): v for k, v in item_label_index(code).items()}


@cache
def _allowed_item_answers(code: str) -> str:
    scale = bank().item(code).scale
    if scale.labelled:
        labels = ", ".join(label for _, label in scale.values)
        return f"{labels} (or {scale.min} to {scale.max}, or Don't know)"
    named = " or ".join(label for _, label in scale.values)
    return f"a whole number from {scale.min} to {scale.max} ({named} also accepted)"


def item_value(code: str, text: str) -> tuple[int | None, str | None]:
    """One answer to one item: (stored value, None) or (None, reason it is a problem).

    Accepted: the label (any case, curly or straight quotes), the number, a
    missing label such as "Don't know" (stored as missing), and "7 - label"
    when the label after the number is that number's own label.
    """
    norm = normalise_label(text)
    if norm in missing_index():
        return None, None
    index = item_label_index(code)
    if norm in index:
        return index[norm], None
    scale = bank().item(code).scale
    if _NUMBER.fullmatch(norm):
        number = float(norm)
        if not number.is_integer():
            what = "one of the answers here" if scale.labelled else "a whole number"
            return None, f"'{text}' is not {what}: {_allowed_item_answers(code)}"
        if scale.min <= number <= scale.max:
            return int(number), None
        return None, (
            f"'{text}' is outside the answers allowed here ({scale.min} to {scale.max})"
        )
    if m := _LEADING.fullmatch(norm):
        number, rest = int(m[1]), m[2]
        label = index.get(rest, _loose_item_index(code).get(_loose(rest)))
        if label == number:
            return number, None
        if label is not None:
            return None, (f"'{text}' is not one of the answers here: the number and the words "
                          f"disagree; {_allowed_item_answers(code)}")
    if _loose(norm) in _loose_item_index(code):
        return _loose_item_index(code)[_loose(norm)], None
    return None, f"'{text}' is not one of the answers here: {_allowed_item_answers(code)}"


@cache
def _loose_attribute_index(code: str) -> dict[str, str]:
    return {_loose(k): v for k, v in attribute_label_index(code).items()}


def attribute_value(code: str, text: str) -> tuple[str | None, str | None]:
    """One attribute: (stored code, None), (None, None) when not recorded, or a reason."""
    norm = normalise_label(text)
    if norm in missing_index():
        return None, None
    index = attribute_label_index(code)
    value = index.get(norm) or _loose_attribute_index(code).get(_loose(norm))
    if value is not None:
        return value, None
    attribute = bank().attribute(code)
    labels = ", ".join(label for _, label in attribute.labels)
    return None, f"'{text}' is not one of the answers for '{attribute.header}': {labels}"


def _map_unique(
    series: pd.Series, convert: Callable[[str], tuple[object, str | None]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply ``convert`` to each distinct text once: (factor codes, values, reasons) per unique."""
    codes, uniques = pd.factorize(series)
    results = [convert(str(u)) for u in uniques]
    values = np.array([r[0] for r in results] + [None], dtype=object)[:-1]
    reasons = np.array([r[1] for r in results] + [None], dtype=object)[:-1]
    return codes, values, reasons


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
            raise ValueError(
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
    for j, header in enumerate(parsed.headers):
        key = normalise_header(header)
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
    out = []
    for j, (_, code, status, how) in enumerate(chosen):
        if code and winner[code] != j:
            first = parsed.headers[winner[code]]
            code, status, how = None, "ignored (duplicate)", f"'{first}' already gives it"
        out.append(
            ColumnMatch(
                position=j,
                letter=letters[j],
                header=parsed.headers[j],
                key=normalise_header(parsed.headers[j]),
                code=code,
                status=status,
                how=how,
            )
        )
    return out


# ------------------------------------------------------------ row checks ---
class _Rows:
    """Problems found so far, per row position; turns them into Problems and set-aside rows."""

    def __init__(self, parsed: readers.ParsedExport) -> None:
        self.parsed = parsed
        self.bad = np.zeros(len(parsed.rows), dtype=bool)
        self._found: list[tuple[np.ndarray, int, np.ndarray]] = []  # positions, column, reasons

    def add(self, column: int, reasons_by_row: np.ndarray) -> None:
        """Record the non-None reasons of one column (an object array, one per row)."""
        positions = np.flatnonzero(pd.notna(reasons_by_row))
        if len(positions):
            self.bad[positions] = True
            self._found.append((positions, column, reasons_by_row[positions]))

    def add_rows(self, positions: Sequence[int], column: int | None, reason: str) -> None:
        positions = np.asarray(positions, dtype=int)
        if len(positions):
            self.bad[positions] = True
            self._found.append((positions, -1 if column is None else column,
                                np.array([reason] * len(positions), dtype=object)))

    def problems(self) -> list[Problem]:
        headers = self.parsed.headers
        numbers = self.parsed.row_numbers
        rows: list[tuple[int, int, Problem]] = []
        for positions, column, reasons in self._found:
            name = headers[column] if column >= 0 else None
            for position, reason in zip(positions.tolist(), reasons.tolist()):
                rows.append(
                    (position, column, Problem(int(numbers[position]), name, str(reason)))
                )
        rows.sort(key=lambda r: (r[0], r[1]))
        return [p for _, _, p in rows]

    def set_aside_frame(self, problems: list[Problem]) -> pd.DataFrame:
        """The rows set aside, as the file had them, with the row number and the reasons."""
        positions = np.flatnonzero(self.bad)
        # A re-uploaded set-aside file already has our two columns: not twice.
        ours = {readers.ROW_COLUMN, readers.WHY_COLUMN}
        columns = [j for j, h in enumerate(self.parsed.headers) if h not in ours]
        frame = self.parsed.rows.iloc[positions, columns].copy()
        frame.columns = [self.parsed.headers[j] for j in columns]
        numbers = self.parsed.row_numbers[positions]
        why: dict[int, list[str]] = {}
        for p in problems:
            why.setdefault(p.row, []).append(f"{p.column}: {p.reason}" if p.column else p.reason)
        frame.insert(0, readers.ROW_COLUMN, numbers)
        frame[readers.WHY_COLUMN] = ["; ".join(why.get(int(n), [])) for n in numbers]
        return frame.reset_index(drop=True)

    def stored_records(self, problems: list[Problem], keep: list[int]) -> pd.DataFrame:
        """Set-aside records for the store: the used cells only, never the reference."""
        positions = np.flatnonzero(self.bad)
        names = [self.parsed.headers[j] for j in keep]
        cells = self.parsed.rows.iloc[positions, keep].to_numpy(dtype=object)
        values = {
            int(number): json.dumps(dict(zip(names, row)), ensure_ascii=False)
            for number, row in zip(self.parsed.row_numbers[positions], cells.tolist())
        }
        return pd.DataFrame(
            {
                "row_number": [p.row for p in problems],
                "column_name": [p.column for p in problems],
                "reason": [p.reason for p in problems],
                "row_values": [values.get(p.row) for p in problems],
            }
        )


def _in_file_repeats(
    frame: pd.DataFrame, key: list[str], values: list[str], rows: _Rows, what: str
) -> tuple[np.ndarray, int]:
    """Rows repeating an earlier row of the file: exact repeats are duplicates (dropped),
    rows with the same key but different answers are all set aside.

    Returns the mask of rows to store and the number of exact repeats.
    """
    exact = frame.duplicated(subset=key + values, keep="first").to_numpy()
    rest = frame[~exact]
    clash = rest.duplicated(subset=key, keep=False)
    if clash.any():
        numbers = rows.parsed.row_numbers
        for _, group in rest[clash.to_numpy()].groupby(key, sort=False, dropna=False):
            positions = group["_position"].to_numpy()
            listed = ", ".join(str(int(numbers[p])) for p in positions)
            rows.add_rows(
                positions,
                None,
                f"rows {listed} have the same {what} but different answers: "
                "keep the right one, delete the others and upload again",
            )
    keep = ~exact & ~rows.bad[frame["_position"].to_numpy()]
    return keep, int(exact.sum())


# ------------------------------------------------------------ the upload ---
def _pause_for_tests() -> None:
    """The kill-mid-upload test hook (see the module docstring)."""
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        print("KHI test hook: pausing inside the upload transaction", file=sys.stderr,
              flush=True)
        time.sleep(float(seconds))


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


@dataclass
class _Checked:
    """A validated file: what to store, what to set aside, and what was said about it."""

    frame: pd.DataFrame
    rows: _Rows
    problems: list[Problem]
    repeats: int
    warnings: list[str]
    keep_columns: list[int]


def _check_scheme_argument(store: Store, scheme_id: str | None, kind: str) -> str | None:
    if scheme_id is not None:
        scheme_id = str(scheme_id).strip() or None
    if scheme_id is None:
        if kind == "survey":
            raise _Refused(
                "Say which scheme this file belongs to: add --scheme followed by the "
                "scheme's ID (as in the scheme register), or pick the scheme on the "
                "Upload page."
            )
        return None
    known = store.scheme_ids() if store.exists() else set()
    if scheme_id not in known:
        if not known:
            raise _Refused(f"Scheme '{scheme_id}' is not known: the scheme register is "
                           f"empty. {_REGISTER_LOAD}")
        near = sorted(k for k in known if k.casefold() == scheme_id.casefold())
        hint = f" Did you mean '{near[0]}'?" if near else ""
        raise _Refused(
            f"Scheme '{scheme_id}' is not in the scheme register.{hint} Check the ID, or "
            f"add the scheme to the register. {_REGISTER_LOAD}"
        )
    return scheme_id


def _read(data: bytes, file_name: str, max_upload_mb: float | None) -> readers.ParsedExport:
    try:
        return readers.read_export(data, file_name, max_upload_mb=max_upload_mb)
    except readers.RefusedFile as exc:
        raise _Refused(str(exc)) from None


def _column_of(columns: list[ColumnMatch], code: str) -> int | None:
    for c in columns:
        if c.code == code:
            return c.position
    return None


def _unrecognised_warning(columns: list[ColumnMatch]) -> list[str]:
    names = [c.header for c in columns if c.status == "not recognised"]
    out = []
    if names:
        shown = ", ".join(f"'{n}'" for n in names[:8]) + (" ..." if len(names) > 8 else "")
        out.append(
            f"{_plural(len(names), 'column')} not recognised and left out: {shown}. If one "
            "holds survey answers, map it to its question on the Upload page."
        )
    dups = [c for c in columns if c.status == "ignored (duplicate)"]
    for c in dups:
        out.append(f"Column '{c.header}' was left out: {c.how}.")
    return out


def _check_survey(
    store: Store, parsed: readers.ParsedExport, columns: list[ColumnMatch], scheme_id: str,
    dates: str | None = None,
) -> _Checked:
    rows = _Rows(parsed)
    used = {c.position for c in columns if c.code}
    for position, column, reason in parsed.tool_set_aside:
        rows.add_rows([position], column, reason)
    for position, column in parsed.unreadable:
        if column in used:
            rows.add_rows([position], column, "this cell holds characters that are not "
                          "readable text (the file is UTF-8 but this cell is not): retype it, "
                          "save the file as CSV UTF-8 and upload again")
    data = parsed.rows
    n = len(data)
    warnings = _unrecognised_warning(columns)
    frame = pd.DataFrame({"_position": np.arange(n)})
    frame["scheme_id"] = scheme_id
    today = dt.date.today()
    keep_columns = []
    for c in columns:
        if c.code is None:
            continue
        j, code = c.position, c.code
        series = data[j]
        if code != "respondent_ref":
            keep_columns.append(j)
        if code == "scheme_id":
            continue  # checked before (wrong scheme refuses the file)
        if code == "respondent_ref":
            codes, uniques = pd.factorize(series.str.strip())
            secret = installation_secret(store.path)
            keys = np.array(
                [person_key(secret, scheme_id, u) if u else None for u in uniques] + [None],
                dtype=object,
            )[:-1]
            frame["person_key"] = keys[codes]
            missing = np.where(pd.isna(frame["person_key"]).to_numpy(),
                               "the reference is missing: every row needs the person's "
                               "reference (your own ID for them)", None)
            rows.add(j, missing.astype(object))
        elif code == "completed_on":
            tool_column = j == parsed.completion_column
            hint = parsed.date_order_hint if tool_column else None
            stamps, reasons, how = _date_column(
                series, hint, parsed.source == "xlsx", today,
                in_submission_order=tool_column and parsed.submission_order, choice=dates,
            )
            if how.undecided:
                examples = date_examples(series.unique().tolist())
                shown = "; ".join(f"'{t}' is {a} day-first, {b} month-first"
                                  for t, a, b in examples[:3])
                raise _Refused(
                    f"The dates in '{c.header}' could be day/month/year or month/day/year, "
                    f"and nothing in the file says which ({shown}), so nothing was stored. "
                    "Say which: on the Upload page pick the way round, or on the command "
                    "line add --dates day-first or --dates month-first.",
                    date_question={"column": c.header, "layout": parsed.layout,
                                   "examples": [list(e) for e in examples]},
                )
            empty = np.flatnonzero(np.isnat(stamps) & pd.isna(reasons))
            reasons[empty] = "the date completed is missing"
            rows.add(j, reasons)
            frame["completed_on"] = stamps
            if how.ambiguous and not how.proven:
                shape = "day/month/year" if how.order == "day_first" else "month/day/year"
                warnings.append(
                    f"Dates in '{c.header}' could be read either way round; they were read "
                    f"as {shape} because {how.evidence}. If that is wrong, say so with "
                    "--dates (or on the Upload page) and upload again."
                )
        elif code in ATTRIBUTE_COLUMNS or code == "respondent_type":
            codes, values, reasons = _map_unique(series, lambda t, k=code: attribute_value(k, t))
            if code == "respondent_type":
                blank = np.array([v is None and r is None for v, r in zip(values, reasons)],
                                 dtype=bool)
                reasons = reasons.copy()
                reasons[blank] = ("who is answering is missing: write 'I use Shared Lives' or "
                                  "'I am a family carer'")
            frame[code] = values[codes]
            rows.add(j, reasons[codes])
        else:  # an item
            codes, values, reasons = _map_unique(series, lambda t, k=code: item_value(k, t))
            numbers = np.array([-1 if v is None else v for v in values] + [-1],
                               dtype=np.int16)[:-1][codes]
            frame[code] = pd.arrays.IntegerArray(numbers.astype(np.int8), numbers < 0)
            rows.add(j, reasons[codes])
    value_columns = [c for c in frame.columns
                     if c not in ("_position", "scheme_id", "person_key", "completed_on",
                                  "respondent_type")]
    key = ["person_key", "completed_on", "respondent_type"]
    valid = frame[~rows.bad]
    keep, repeats = _in_file_repeats(
        valid, key, value_columns, rows, "person, date completed and who is answering"
    )
    problems = rows.problems()
    stored = valid[keep].copy()
    stored["source_row"] = parsed.row_numbers[stored["_position"].to_numpy()]
    stored = stored.drop(columns="_position")
    return _Checked(stored, rows, problems, repeats, warnings, keep_columns)


def _count_value(text: str) -> tuple[int | None, str | None]:
    s = str(text).strip().replace("\u00a0", "")
    if not s:
        return None, None
    if re.fullmatch(r"\d{1,3}(,\d{3})+", s):
        s = s.replace(",", "")
    if _NUMBER.fullmatch(s) and float(s).is_integer():
        number = int(float(s))
        if number >= 0:
            return number, None
        return None, f"'{text}' is below zero: counts are 0 or more"
    return None, f"'{text}' is not a whole number: write the count of people, like 12"


def _check_activity(
    store: Store, parsed: readers.ParsedExport, columns: list[ColumnMatch], scheme_id: str | None
) -> _Checked:
    rows = _Rows(parsed)
    data = parsed.rows
    n = len(data)
    warnings = _unrecognised_warning(columns)
    frame = pd.DataFrame({"_position": np.arange(n)})
    today = dt.date.today()
    known = store.scheme_ids() if store.exists() else set()
    present = {c.code for c in columns if c.code}
    missing_counts = [code for code in ACTIVITY_COUNTS if code not in present]
    if missing_counts:
        headers = dict(bank().activity_columns)
        warnings.append(
            "Not in this file, so stored as not recorded: "
            + ", ".join(headers.get(c, c) for c in missing_counts) + "."
        )
    scheme_column = _column_of(columns, "scheme_id")
    if scheme_column is None:
        frame["scheme_id"] = scheme_id
    else:
        def scheme_value(text: str) -> tuple[str | None, str | None]:
            value = text.strip() or scheme_id
            if value and scheme_id and value.casefold() == scheme_id.casefold():
                value = scheme_id
            if value is None:
                return None, "the scheme ID is missing"
            if value not in known:
                return None, (f"scheme '{value}' is not in the scheme register: check the "
                              "ID, or add the scheme to the register first")
            return value, None

        codes, values, reasons = _map_unique(data[scheme_column], scheme_value)
        frame["scheme_id"] = values[codes]
        rows.add(scheme_column, reasons[codes])
    j = _column_of(columns, "quarter")
    quarter_col = data[j]

    def quarter_value(text: str) -> tuple[dt.date | None, str | None]:
        text = text.strip()
        if not text:
            return None, "the quarter is missing: write it like 2026/27 Q1"
        try:
            start = parse_quarter(text)
        except ValueError as exc:
            parsed_date = parse_date_values([text])
            if parsed_date.dates[0] is None:
                return None, str(exc)
            start = quarter_start(parsed_date.dates[0])
        if start > today:
            return None, f"the quarter {quarter_label(start)} is in the future"
        return start, None

    codes, values, reasons = _map_unique(quarter_col, quarter_value)
    frame["quarter_start"] = pd.Series(values[codes], dtype=object)
    rows.add(j, reasons[codes])
    for code in ACTIVITY_COUNTS:
        k = _column_of(columns, code)
        if k is None:
            frame[code] = pd.array([None] * n, dtype="Int64")
            continue
        codes, values, reasons = _map_unique(data[k], _count_value)
        frame[code] = pd.array(list(values[codes]), dtype="Int64")
        rows.add(k, reasons[codes])
    valid = frame[~rows.bad]
    keep, repeats = _in_file_repeats(
        valid, ["scheme_id", "quarter_start"], list(ACTIVITY_COUNTS), rows, "scheme and quarter"
    )
    problems = rows.problems()
    stored = valid[keep].drop(columns="_position").reset_index(drop=True)
    keep_columns = [c.position for c in columns if c.code]
    return _Checked(stored, rows, problems, repeats, warnings, keep_columns)


def _refused_result(cls: type[IngestResult], message: str, **extra: object) -> IngestResult:
    return cls(refused=True, message=message, **extra)


def _run(
    store: Store,
    data: bytes,
    file_name: str,
    scheme_id: str | None,
    kind: str,
    strict: bool,
    mapping: dict[str, str] | None,
    uploaded_by: str | None,
    dry_run: bool,
    max_upload_mb: float | None,
    dates: str | None = None,
    accept_partial: bool = False,
) -> IngestResult:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    cls = Preview if dry_run else IngestResult
    base = {"kind": kind, "file_name": file_name}
    sha = hashlib.sha256(data).hexdigest()
    parsed = None
    columns: list[ColumnMatch] = []
    lost: list[dict[str, object]] = []
    try:
        if not dry_run:
            store.ensure()
        scheme_id = _check_scheme_argument(store, scheme_id, kind)
        base["scheme_id"] = scheme_id
        parsed = _read(data, file_name, max_upload_mb)
        saved = store.saved_mappings(scheme_id) if scheme_id else {}
        remembered = {k: saved.pop(k) for k in list(saved) if k.startswith(DATES_KEY)}
        dates = _date_choice(dates) or remembered.get(dates_key(parsed.layout))
        columns = match_columns(parsed, kind, saved, mapping)
        lost = unmatched_questions(parsed, columns) if kind == "survey" else []
        _check_columns(parsed, columns, kind, scheme_id)
        if kind == "survey":
            _refuse_numeric_export(parsed, columns)
            checked = _check_survey(store, parsed, columns, scheme_id, dates)
        else:
            checked = _check_activity(store, parsed, columns, scheme_id)
        columns = _with_examples(columns, checked.frame)
        total, kept = _question_cells(parsed, columns, lost)
        partial = total > 0 and kept * 2 < total
        if partial and not accept_partial and not dry_run:
            raise _Refused(
                f"Only {kept:,} of the {total:,} answers to questions in this file would be "
                "stored: " + "; ".join(str(q["cost"]) for q in lost[:5]) + ". Nothing was "
                "stored. Map those columns to their questions on the Upload page, or, if "
                "leaving them out is right, confirm it (on the command line add "
                "--accept-partial).",
                unmatched_questions=lost, partial=True, question_cells=total,
                stored_question_cells=kept,
            )
        if strict and checked.problems:
            bad = int(checked.rows.bad.sum())
            raise _Refused(
                f"{_plural(bad, 'row')} of {file_name} {'has' if bad == 1 else 'have'} "
                "problems, and with --strict (all or nothing) the whole file is refused: "
                "nothing was stored. Fix the rows listed and upload again, or upload "
                "without --strict to store the good rows and set the others aside.",
                checked.problems,
            )
    except _Refused as refusal:
        extra = {}
        if parsed is not None:
            extra = {"layout": parsed.layout, "rows_read": len(parsed.rows)}
            if refusal.problems:
                extra["rejected"] = len({p.row for p in refusal.problems})
        return _refused_result(
            cls, refusal.message, problems=refusal.problems, columns=columns, sha256=sha,
            **base, **{"unmatched_questions": lost, **extra, **refusal.extra},
        )
    rows_read = len(parsed.rows)
    common = dict(
        layout=parsed.layout, columns=columns, rows_read=rows_read, sha256=sha,
        unmatched_questions=lost, partial=partial, question_cells=total,
        stored_question_cells=kept, **base
    )
    earlier = store.upload_with_checksum(scheme_id, sha, kind) if store.exists() else None
    if earlier is not None:
        return _same_file_again(store, cls, parsed, earlier, uploaded_by, dry_run, common)
    set_aside = checked.rows.set_aside_frame(checked.problems)
    records = checked.rows.stored_records(checked.problems, checked.keep_columns)
    rejected = int(checked.rows.bad.sum())

    def write(con) -> dict[str, int]:
        upload_id = store.new_upload(
            con, scheme_id=scheme_id, kind=kind, file_name=file_name, sha256=sha,
            uploaded_by=uploaded_by, layout=parsed.layout, rows_read=rows_read,
        )
        if checked.frame.empty:  # every row set aside or repeated: only the record
            counts = {"accepted": 0, "duplicates": 0, "corrected": 0}
        elif kind == "survey":
            counts = store.store_responses(con, upload_id, checked.frame)
        else:
            counts = store.store_activity(con, upload_id, checked.frame)
        duplicates = counts.get("duplicates", 0) + checked.repeats
        accepted = counts["accepted"]
        store.record_set_aside(con, upload_id, records)
        store.finish_upload(
            con, upload_id, accepted=accepted, rejected=rejected, duplicates=duplicates,
            corrected=counts.get("corrected", 0),
        )
        return {"upload_id": upload_id, "accepted": accepted, "duplicates": duplicates,
                "corrected": counts.get("corrected", 0)}

    try:
        counts = _write(store, write, dry_run)
    except _DryRun:
        counts = {"accepted": len(checked.frame), "duplicates": checked.repeats, "corrected": 0}
    result = cls(
        upload_id=None if dry_run else counts["upload_id"],
        accepted=counts["accepted"],
        rejected=rejected,
        duplicates=counts["duplicates"],
        corrected=counts["corrected"],
        problems=checked.problems,
        warnings=checked.warnings,
        set_aside=set_aside,
        **common,
    )
    result.message = _stored_message(result, parsed, dry_run)
    return result


def _write(store: Store, write: Callable, dry_run: bool) -> dict[str, int]:
    """Run ``write`` in one transaction; a dry run rolls it back and keeps the counts."""
    if dry_run and not store.exists():
        raise _DryRun({})  # nothing to compare with: the caller counts the file alone
    try:
        with store.transaction() as con:
            counts = write(con)
            _pause_for_tests()
            if dry_run:
                raise _DryRun(counts)
    except _DryRun as done:
        return done.counts
    return counts


def _same_file_again(
    store: Store,
    cls: type[IngestResult],
    parsed: readers.ParsedExport,
    earlier: int,
    uploaded_by: str | None,
    dry_run: bool,
    common: dict,
) -> IngestResult:
    """The very same bytes again: store nothing new, but record that it was tried."""
    rows = len(parsed.rows)

    def write(con) -> dict[str, int]:
        upload_id = store.new_upload(
            con, scheme_id=common["scheme_id"], kind=common["kind"],
            file_name=common["file_name"], sha256=common["sha256"], uploaded_by=uploaded_by,
            layout=parsed.layout, rows_read=rows,
        )
        store.finish_upload(con, upload_id, accepted=0, rejected=0, duplicates=rows,
                            note=f"same file as upload {earlier}")
        return {"upload_id": upload_id}

    counts = _write(store, write, dry_run)
    verb = "would be" if dry_run else "was"
    result = cls(
        upload_id=None if dry_run else counts["upload_id"],
        duplicates=rows,
        message=(
            f"This file was already uploaded as upload {earlier}, so nothing new {verb} "
            f"stored: all {_plural(rows, 'row')} are duplicates. To replace that upload, "
            f"roll back upload {earlier} first."
        ),
        **common,
    )
    if isinstance(result, Preview):
        result.already_uploaded = earlier
    return result


def _stored_message(result: IngestResult, parsed: readers.ParsedExport, dry_run: bool) -> str:
    what = "responses" if result.kind == "survey" else "activity returns"
    for_scheme = f" for scheme {result.scheme_id}" if result.scheme_id else ""
    if dry_run:
        parts = [f"Ready to store {_plural(result.accepted, what[:-1], what)} from "
                 f"{result.file_name} ({parsed.layout_name}){for_scheme}."]
    else:
        parts = [f"Stored {_plural(result.accepted, what[:-1], what)} from {result.file_name} "
                 f"({parsed.layout_name}){for_scheme} as upload {result.upload_id}."]
    if result.corrected:
        parts.append(
            f"{_plural(result.corrected, 'of them replaces', 'of them replace')} an earlier "
            "answer for the same person and date (the earlier one is kept in history)."
        )
    if result.duplicates:
        parts.append(f"{_plural(result.duplicates, 'row was', 'rows were')} already stored "
                     "(duplicates) and left alone.")
    if result.rejected:
        verb = "would be" if dry_run else ("was" if result.rejected == 1 else "were")
        parts.append(
            f"{_plural(result.rejected, 'row')} {verb} set aside because of problems: "
            "download them, fix them and upload just those rows again."
        )
    return " ".join(parts)


DATES_KEY = "dates:"


def dates_key(layout: str) -> str:
    """The saved-mapping key remembering a scheme's date order for one survey tool."""
    return DATES_KEY + layout


def _date_choice(text: str | None) -> str | None:
    """ "day-first" / "day_first" / "month-first" -> the code, None when not given."""
    if not text:
        return None
    code = text.strip().lower().replace("-", "_")
    if code not in DATE_ORDERS:
        raise ValueError(f"dates must be day-first or month-first, not {text!r}")
    return code


def _item_label(code: str, value: int) -> str:
    labels = dict(bank().item(code).scale.values)
    return f"{labels[value]} ({value})" if value in labels else str(value)


def _attribute_label(code: str, value: str) -> str:
    if code not in bank().attribute_codes:
        return value
    labels = dict(bank().attribute(code).labels)
    return labels.get(value, value)


def _with_examples(columns: list[ColumnMatch], frame: pd.DataFrame) -> list[ColumnMatch]:
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
                examples = tuple(_uk(pd.Timestamp(v).date()) for v in values)
            elif c.code in bank().item_codes:
                examples = tuple(_item_label(c.code, int(v)) for v in values)
            else:
                examples = tuple(_attribute_label(c.code, str(v)) for v in values)
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


def _question_cells(
    parsed: readers.ParsedExport, columns: list[ColumnMatch], lost: list[dict[str, object]]
) -> tuple[int, int]:
    """Answers to questions the file holds, and how many of them match a question."""
    items = set(bank().item_codes)
    kept = sum(int(parsed.rows[c.position].str.strip().ne("").sum())
               for c in columns if c.code in items)
    return kept + sum(int(q["cells"]) for q in lost), kept


def _refuse_numeric_export(parsed: readers.ParsedExport, columns: list[ColumnMatch]) -> None:
    """Refuse Qualtrics' "numeric values" export: its numbers are Qualtrics' own codes.

    Why: Qualtrics numbers choices in the order they were built (and recodes
    them at will), so "4" is not our "Agree". When the categorical questions
    about the person hold only numbers, the file carries no labels to check.
    """
    if parsed.layout != "qualtrics":
        return
    categorical = [c for c in columns if c.code in ("respondent_type", "completed_by",
                                                     "support_type", "age_band", "gender",
                                                     "ethnicity", "primary_need")]
    labelled = [c for c in columns if c.code in bank().item_codes
                and bank().item(c.code).scale.labelled]
    checked = categorical or labelled
    if not checked:
        return
    for c in checked:
        values = parsed.rows[c.position].str.strip()
        values = values[values.ne("")]
        if len(values) == 0 or not values.str.fullmatch(r"-?\d+").all():
            return
    raise _Refused(
        "This Qualtrics export holds numbers in place of the answers (it was exported with "
        "'Use numeric values'), and Qualtrics' numbers are not ours, so nothing was stored. "
        "In Qualtrics, go to Data & Analysis > Export & Import > Export data, choose CSV "
        "with 'Use choice text', and upload that file."
    )


def _check_columns(
    parsed: readers.ParsedExport, columns: list[ColumnMatch], kind: str, scheme_id: str | None
) -> None:
    """Refuse files we cannot use at all: nothing recognised, a required column missing,
    or answers for another scheme."""
    used = {c.code for c in columns if c.code}
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
            raise _Refused(
                "None of the columns in this file match the survey questions, so nothing was "
                f"stored.{hint} Use the survey template (download it on the Upload page), "
                "or map your columns to the questions on the Upload page."
            )
        missing = [code for code in REQUIRED if code not in used]
        if missing:
            raise _Refused(_missing_message(missing))
        scheme_col = _column_of(columns, "scheme_id")
        if scheme_col is not None and scheme_id is not None:
            values = {v.strip() for v in parsed.rows[scheme_col].unique() if v.strip()}
            others = sorted(v for v in values if v.casefold() != scheme_id.casefold())
            if others:
                raise _Refused(_wrong_scheme(others, scheme_id))
    else:
        if not (used & set(ACTIVITY_COUNTS)) or "quarter" not in used:
            hint = ""
            if any(normalise_header(x) in header_index() for t in parsed.match_texts
                   for x in _candidates(t)):
                hint = " It looks like a survey export: upload it as a survey (--kind survey)."
            raise _Refused(
                "This file does not look like an activity return: it needs a 'Quarter' "
                "column and the counts of people (Long-term, Short breaks, Day support, Home "
                "from hospital, Approved carers, New arrangements, Ended arrangements)."
                f"{hint} Download the activity return template on the Upload page."
            )
        if "scheme_id" not in used and scheme_id is None:
            raise _Refused(
                "This activity return has no 'Scheme ID' column. Add one (the scheme's ID "
                "from the register on every row), or give the scheme with --scheme."
            )
        scheme_col = _column_of(columns, "scheme_id")
        if scheme_col is not None and scheme_id is not None:
            values = {v.strip() for v in parsed.rows[scheme_col].unique() if v.strip()}
            others = sorted(v for v in values if v.casefold() != scheme_id.casefold())
            if others:
                raise _Refused(_wrong_scheme(others, scheme_id))


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


# ------------------------------------------------------------- public API ---
def ingest_bytes(
    store: Store,
    data: bytes,
    file_name: str,
    scheme_id: str | None,
    kind: str = "survey",
    strict: bool = False,
    mapping: dict[str, str] | None = None,
    uploaded_by: str | None = None,
    *,
    max_upload_mb: float | None = None,
    dates: str | None = None,
    accept_partial: bool = False,
) -> IngestResult:
    """Check and store one uploaded file in one transaction (the Upload page's confirm).

    ``mapping`` overrides what columns mean: normalised header (see
    :attr:`ColumnMatch.key`) -> item or attribute code, or ``""`` to ignore the
    column. ``max_upload_mb`` overrides the register's upload limit (benchmarks).
    ``dates`` ("day_first" / "month_first") says which way round dates are when
    the file cannot tell; ``accept_partial`` confirms storing a file of which
    less than half of the question cells match a question.
    """
    return _run(store, data, file_name, scheme_id, kind, strict, mapping, uploaded_by,
                False, max_upload_mb, dates, accept_partial)


def preview(
    store: Store,
    data: bytes,
    file_name: str,
    scheme_id: str | None,
    kind: str = "survey",
    mapping: dict[str, str] | None = None,
    *,
    strict: bool = False,
    dates: str | None = None,
) -> Preview:
    """Everything :func:`ingest_bytes` does, then roll back: what an upload would give.

    A file storing less than half its question cells is not refused here but
    marked ``partial``: the page asks the user to confirm before storing.
    """
    result = _run(store, data, file_name, scheme_id, kind, strict, mapping, None, True, None,
                  dates)
    assert isinstance(result, Preview)
    return result


def ingest_path(
    store: Store,
    path: str | Path,
    scheme_id: str | None = None,
    kind: str = "survey",
    strict: bool = False,
    uploaded_by: str | None = None,
    mapping: dict[str, str] | None = None,
    *,
    max_upload_mb: float | None = None,
    dates: str | None = None,
    accept_partial: bool = False,
) -> IngestResult:
    """Upload a file from disk (the command line). Refuses a missing or too-big file unread."""
    path = Path(path)
    if not path.is_file():
        return IngestResult(
            refused=True, file_name=path.name, kind=kind,
            message=f"There is no file at {path}. Check the name and folder, and try again.",
        )
    try:
        readers.check_size(path.stat().st_size, max_upload_mb)
    except readers.RefusedFile as exc:
        return IngestResult(refused=True, file_name=path.name, kind=kind, message=str(exc))
    return ingest_bytes(store, path.read_bytes(), path.name, scheme_id, kind, strict, mapping,
                        uploaded_by, max_upload_mb=max_upload_mb, dates=dates,
                        accept_partial=accept_partial)


# -------------------------------------------------------- scheme register ---
_REGISTER_COLUMNS = {
    "scheme_id": ("scheme_id", "scheme id", "id", "scheme", "scheme code"),
    "name": ("name", "scheme name", "scheme"),
    "region": ("region", "region or nation", "nation"),
    "local_authority": ("local_authority", "local authority", "council", "la"),
    "cqc_rating": ("cqc_rating", "cqc rating", "rating", "cqc"),
    "cqc_rating_date": ("cqc_rating_date", "cqc rating date", "rating date", "date of rating",
                        "date rated"),
}


def _cqc_value(text: str) -> tuple[str | None, str | None]:
    norm = normalise_header(text)
    if not norm:
        return None, None
    for code, label in bank().cqc_ratings:
        if norm in (normalise_header(code), normalise_header(label)):
            return code, None
    labels = ", ".join(label for _, label in bank().cqc_ratings)
    return None, f"'{text}' is not a CQC rating: {labels} (or leave it empty)"


def load_schemes(
    store: Store, source: str | Path | bytes, file_name: str | None = None
) -> SchemeLoadResult:
    """Load or update the scheme register from a CSV (or xlsx): one row per scheme.

    Regions may be written by name or code and are stored by name; CQC ratings
    by code or label. Rows with problems are left out and listed; the file is
    refused when a required column (scheme_id, name, region) is missing or no
    row is usable. Schemes already registered are updated in place.
    """
    if isinstance(source, bytes):
        data, name = source, file_name or "register.csv"
    else:
        path = Path(source)
        if not path.is_file():
            return SchemeLoadResult(refused=True, message=f"There is no file at {path}.")
        data, name = path.read_bytes(), path.name
    try:
        parsed = readers.read_export(data, name)
    except readers.RefusedFile as exc:
        return SchemeLoadResult(refused=True, message=str(exc))
    found: dict[str, int] = {}
    for j, header in enumerate(parsed.headers):
        key = normalise_header(header)
        for code, names in _REGISTER_COLUMNS.items():
            if code not in found and key in {normalise_header(x) for x in names}:
                found[code] = j
                break
    missing = [c for c in ("scheme_id", "name", "region") if c not in found]
    if missing:
        return SchemeLoadResult(
            refused=True,
            message=(
                "The scheme register needs the columns scheme_id, name and region (and may "
                "have local_authority, cqc_rating, cqc_rating_date); this file has no "
                + ", ".join(missing) + " column, so nothing was loaded. Add it and try again."
            ),
        )
    rows = _Rows(parsed)
    data_rows = parsed.rows
    frame = pd.DataFrame({"_position": np.arange(len(data_rows))})
    today = dt.date.today()
    regions = region_by_name()
    region_names = ", ".join(bank().region_names)

    def text_column(code: str, required: bool, label: str) -> None:
        j = found.get(code)
        if j is None:
            frame[code] = None
            return
        values = data_rows[j].str.strip()
        frame[code] = values.where(values != "", None).astype(object)
        if required:
            rows.add(j, np.where(values == "", f"the {label} is missing", None).astype(object))

    text_column("scheme_id", True, "scheme ID")
    text_column("name", True, "scheme name")
    text_column("local_authority", False, "local authority")

    def region_value(text: str) -> tuple[str | None, str | None]:
        if not text.strip():
            return None, "the region is missing"
        region = regions.get(normalise_header(text))
        if region is None:
            return None, f"'{text}' is not a region we know: {region_names}"
        return region.name, None

    codes, values, reasons = _map_unique(data_rows[found["region"]], region_value)
    frame["region"] = values[codes]
    rows.add(found["region"], reasons[codes])
    if "cqc_rating" in found:
        codes, values, reasons = _map_unique(data_rows[found["cqc_rating"]], _cqc_value)
        frame["cqc_rating"] = values[codes]
        rows.add(found["cqc_rating"], reasons[codes])
    else:
        frame["cqc_rating"] = None
    if "cqc_rating_date" in found:
        stamps, reasons, _ = _date_column(data_rows[found["cqc_rating_date"]], None,
                                          parsed.source == "xlsx", today)
        frame["cqc_rating_date"] = pd.to_datetime(stamps)
        rows.add(found["cqc_rating_date"], reasons)
    else:
        frame["cqc_rating_date"] = pd.NaT
    valid = frame[~rows.bad]
    columns = ["name", "region", "local_authority", "cqc_rating", "cqc_rating_date"]
    keep, _ = _in_file_repeats(valid, ["scheme_id"], columns, rows, "scheme ID")
    problems = rows.problems()
    good = valid[keep].drop(columns="_position")
    rejected = int(rows.bad.sum())
    if good.empty:
        return SchemeLoadResult(
            refused=True, rejected=rejected, problems=problems,
            message="No row of this register could be used, so nothing was loaded. Fix the "
            "problems listed and try again.",
        )
    store.ensure()
    known = store.scheme_ids()
    with store.transaction() as con:
        store.upsert_schemes(con, good.assign(is_demo=False))
    new = len(set(good["scheme_id"]) - known)
    message = (
        f"Loaded {_plural(len(good), 'scheme')} from {name} ({new} new, "
        f"{len(good) - new} updated)."
    )
    if rejected:
        message += f" {_plural(rejected, 'row')} left out because of problems: fix and load again."
    return SchemeLoadResult(loaded=len(good), rejected=rejected, problems=problems,
                            message=message)
