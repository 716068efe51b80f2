"""What an upload gives back: the counts, the problems, how each column was read."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kpi import readers
from kpi.items import (
    bank,
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
    # Columns with the same heading read together: each row from the column it answered.
    also: tuple[int, ...] = ()

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
    # When a workbook's sheets of answers differ: the sheets to choose from (``sheet=``).
    sheet_question: list[str] | None = None
    # Where the header was found and which sheets were read, in plain words.
    found: list[str] = field(default_factory=list)
    # Columns whose answers are not ours (each distinct answer, what it is mapped to).
    answer_columns: list[dict] = field(default_factory=list)
    # The scheme's own answer words used, in words (also recorded with the upload).
    answer_notes: list[str] = field(default_factory=list)
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
            "sheet_question": self.sheet_question,
            "found": list(self.found),
            "answer_notes": list(self.answer_notes),
            "question_cells": self.question_cells,
            "stored_question_cells": self.stored_question_cells,
        }

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
        lines += list(self.found)
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


class Refusal(Exception):
    """Internal: stop and refuse the whole file with this message."""

    def __init__(self, message: str, problems: list[Problem] | None = None,
                 **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        self.extra = extra


class DryRun(Exception):
    """Internal: roll the preview's transaction back, carrying its counts out."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__("dry run")
        self.counts = counts


def plural(n: int, one: str, many: str | None = None) -> str:
    """"1 row", "12 rows", "1,234 responses": a count with its noun."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
