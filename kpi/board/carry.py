"""What carries from one quarter to the next: last quarter's flags and notes, and since.

Why: a board decides something about a KHI, and next quarter needs to see whether it
worked. The pack opens with "Last quarter": every KHI that was flagged then (a special
cause on its control chart, needing attention, on the watch list) or that has a note
from then, with the note, its value then and now, and the change test between the two
quarters (this quarter's "since last quarter", from the same engine). Nothing here
computes a number: it reads two :class:`~kpi.board.BoardPack` and the notes, both
already limited to what the reader may see.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from kpi.board.notes import Note, notes_for
from kpi.board.pack import BoardPack, BoardRow
from kpi.periods import quarter_label, shift_quarter
from kpi.reach import Reach
from kpi.scope import Scope
from kpi.stats import spc as spc_
from kpi.store import Store, one_read_batch
from kpi.wording import chance_words, format_value, value_pair

HEADING = "Last quarter"


@dataclass(frozen=True)
class Carried:
    """One KHI carried from last quarter: why, what was written, what happened since."""

    code: str
    name: str
    flags: tuple[str, ...]  # last quarter's flags, in words (none: it has notes only)
    notes: tuple[Note, ...]
    then: str  # its value last quarter, in words
    now: str  # its value this quarter
    since: str  # the change test between the two, in words
    flags_now: tuple[str, ...]


@dataclass(frozen=True)
class LastQuarter:
    """The pack's opening section; ``items`` empty when nothing was flagged or noted."""

    quarter_label: str
    items: tuple[Carried, ...]

    @property
    def heading(self) -> str:
        return f"{HEADING} ({self.quarter_label})"

    @property
    def none(self) -> str:
        return (f"Nothing was flagged in {self.quarter_label} and no note was written for "
                "this area then.")


def flags_of(pack: BoardPack, row: BoardRow) -> tuple[str, ...]:
    """A KHI's flags in one pack, in words: a special cause, needs attention (with its
    reasons: worse than England, getting worse), worth a look."""
    out = []
    if row.special_cause in (spc_.CONCERN, spc_.IMPROVEMENT):
        out.append(spc_.VARIATION_WORDS[row.special_cause] + " (control chart)")
    out += [f"Needs attention: {f.reason}" for f in pack.attention if f.code == row.code]
    out += [f"Worth a look (too few to tell): {format_value(w.before, row.khi)} → "
            f"{format_value(w.after, row.khi)} since {w.period}"
            for w in pack.watch if w.code == row.code]
    return tuple(out)


def _value(row: BoardRow, min_base: int) -> str:
    if row.suppressed:
        return f"hidden (fewer than {min_base} answers)"
    if row.value is None:
        return "no answers"
    base = f" ({row.n:,} answered)" if row.n is not None else ""
    return format_value(row.value, row.khi) + base


def _since(row: BoardRow) -> str:
    change = row.since_last_quarter
    if row.suppressed or row.value is None:
        return "No value this quarter, so nothing to compare."
    if change.verdict == "no data":
        return "No answers last quarter, so nothing to compare."
    if change.verdict == "too few answers" or change.previous is None:
        return "Too few answers to say whether it changed."
    before, after = value_pair(change.previous, row.value, row.khi)
    if change.verdict == "improved":
        words = f"improved ({chance_words(change.test.level)})"
    elif change.verdict == "worsened":
        words = f"got worse ({chance_words(change.test.level)})"
    else:
        words = "could be chance"
    return f"{before} → {after}: {words}."


def last_quarter(now: BoardPack, then: BoardPack | None, notes: list[Note]) -> LastQuarter:
    """The "Last quarter" section of ``now`` from last quarter's pack (None when that
    quarter has no data) and the notes written for it, in catalogue order."""
    label = quarter_label(shift_quarter(now.quarter, -1))
    by_code: dict[str, list[Note]] = {}
    for note in notes:
        by_code.setdefault(note.khi_code, []).append(note)
    items = []
    for row in now.rows:
        before = None
        if then is not None:
            before = next((r for r in then.rows if r.code == row.code), None)
        flags = flags_of(then, before) if then is not None and before is not None else ()
        noted = tuple(by_code.get(row.code, ()))
        if not flags and not noted:
            continue
        items.append(Carried(
            code=row.code, name=row.name, flags=flags, notes=noted,
            then=_value(before, then.settings.min_base) if then and before else "no answers",
            now=_value(row, now.settings.min_base), since=_since(row),
            flags_now=flags_of(now, row),
        ))
    return LastQuarter(label, tuple(items))


@one_read_batch  # the reader's reach and two quarters' notes: one open of the file
def with_notes(
    store: Store, scope: Scope, now: BoardPack, area: str, then: BoardPack | None,
    reach: Reach | None = None,
) -> BoardPack:
    """``now`` with this quarter's notes and its "Last quarter" section, as this person
    may see them (none of an area they may not see). ``then``: last quarter's pack for
    the same area and reader, or None."""
    reach = scope.allowed(store) if reach is None else reach
    current = notes_for(store, scope, area=area, quarter=now.quarter, reach=reach)
    earlier = notes_for(store, scope, area=area, quarter=shift_quarter(now.quarter, -1),
                        reach=reach)
    return dataclasses.replace(now, notes=tuple(current),
                               last_quarter=last_quarter(now, then, earlier))


def board_frame(pack: BoardPack) -> pd.DataFrame:
    """The board CSV's table (``BoardPack.to_frame``) with each KHI's notes: this
    quarter's, and last quarter's flags and notes. One note a line in a cell, the
    text as typed (``kpi.export.safe_csv`` neutralises a formula at a cell's start)."""
    frame = pack.to_frame()
    carried = {c.code: c for c in (pack.last_quarter.items if pack.last_quarter else ())}

    def joined(notes: Sequence[Note], field: str) -> str:
        return "\n".join(getattr(n, field) for n in notes)

    for field in ("discussed", "action", "owner", "due", "written_by"):
        frame[f"note_{field}"] = [joined(pack.notes_on(code), field) for code in frame["khi"]]
    frame["last_quarter_flags"] = [
        "\n".join(carried[code].flags) if code in carried else "" for code in frame["khi"]]
    for field in ("discussed", "action"):
        frame[f"last_quarter_note_{field}"] = [
            joined(carried[code].notes, field) if code in carried else ""
            for code in frame["khi"]]
    return frame
