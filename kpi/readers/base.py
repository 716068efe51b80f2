"""The one small interface every survey tool's layout implements.

Why an interface: each tool writes its export its own way (header rows, its
own bookkeeping columns, its completion time, how it writes dates). A layout
module says only that; the grid reading and everything after it is shared.
Adding a tool is one module here and one test file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

# Columns we add to the rows we hand back to fix; ignored when re-uploaded.
ROW_COLUMN = "Row in your file"
WHY_COLUMN = "Why set aside"
SHEET_COLUMN = "Sheet in your file"

_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_NOTE = re.compile(r"\([^()]*\)|\*+|\{[^{}]*\}")


def strip_notes(text: str) -> str:
    """A heading without its notes: "(dd/mm/yyyy)", asterisks, ``{{field:...}}`` placeholders.

    Why: schemes write hints into headings ("Date completed (dd/mm/yyyy)",
    "Age *") and Typeform recalls earlier answers with placeholders; neither
    names the question. Square brackets are kept: Google Forms puts a grid
    question's statement there.
    """
    text = _PLACEHOLDER.sub(" ", str(text))
    text = _TAG.sub("", text)  # Typeform's <strong>...</strong>
    text = _NOTE.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip(" ,;:-\u2013")


def key(text: object) -> str:
    """A metadata header as we compare it: letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


OURS = frozenset({key(ROW_COLUMN), key(WHY_COLUMN), key(SHEET_COLUMN)})


@dataclass(frozen=True)
class Layout:
    """One survey tool's export layout.

    ``metadata``: the tool's own column keys (bookkeeping, never answers).
    ``completion``: keys of its "when was this completed" column, best first.
    ``date_hint``: how the tool is known to write nn/nn/yyyy dates, or None.
    ``submission_order``: the tool appends rows as they are submitted, so its
    completion times run in order (evidence for which way round dates are).
    ``reference``: keys of a tool column that can serve as the person's reference.
    """

    code: str
    name: str
    metadata: frozenset[str] = frozenset()
    completion: tuple[str, ...] = ()
    date_hint: str | None = None
    submission_order: bool = False
    reference: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def recognise(self, rows: list[list[str]], source: str) -> int | None:
        """How many header rows the file has when it is this tool's export, else None."""
        return None

    def columns(self, header: list[list[str]]) -> tuple[list[str], list[tuple[str, ...]]]:
        """Display heading and texts to match (best first), per column."""
        row0 = [c.strip() for c in header[0]]
        return row0, [(c,) for c in row0]

    def is_metadata(self, column_key: str) -> bool:
        """True for the tool's own columns (and the two we add to set-aside rows)."""
        return column_key in OURS or column_key in self.metadata

    def tool_set_aside(
        self, headers: Sequence[str], texts: Sequence[tuple[str, ...]], rows
    ) -> list[tuple[int, int, str]]:
        """Rows the tool itself marks as not a real response: (position, column, reason)."""
        return []


def keys_of(row: Sequence[str]) -> set[str]:
    return {key(c) for c in row}


def cell_under(rows: list[list[str]], r: int, column_key: str) -> str | None:
    """Row ``r``'s cell under the first column of row 0 whose key is ``column_key``."""
    if r >= len(rows):
        return None
    for j, c in enumerate(rows[0]):
        if key(c) == column_key:
            return rows[r][j] if j < len(rows[r]) else ""
    return None
