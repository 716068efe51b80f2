"""The board's notes and actions: what was discussed about a KHI, what will be done, by whom.

Why a module of its own: a note is free text from a user, kept across quarters, and
seen by more people than wrote it. Every rule about it is decided here, once, for the
board page, its PDF and CSV and the "You said, we did" page:

* **Area** is the board page's area key (``pages/views/board.py``'s ``area_of``):
  ``"scheme:ID"``, ``"region:NAME"`` or ``"all"`` (England and the nations; "England"
  is read as "all"). A note belongs to that one area.
* **Who reads**: whoever may open that area's board page. A scheme's notes: anyone
  whose :class:`~kpi.reach.Reach` includes the scheme. A region's: those who see every
  scheme, and commissioners or boards granted that whole region. England's: those who
  see every scheme. An empty grant reads none.
* **Who writes**: board members, scheme staff and administrators, for an area they may
  read. Commissioners read only: they hold boards to account, the notes are the
  boards' own record.
* **Edit and withdraw**: the author or an administrator; each change is in the change
  log (``changes``), a withdrawn note is kept but shown to nobody.
* **Text** is kept as typed (bounded: :data:`MAX_TEXT`, :data:`MAX_SHORT`); whoever
  shows it escapes it (Markdown, HTML, PDF) or neutralises it (CSV). A note is about
  the service, never about a respondent: the form says so, and no survey reference
  or person key is ever stored with it.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from kpi.catalogue import catalogue
from kpi.errors import BadRequest, KhiError, UnknownCode
from kpi.items import bank
from kpi.periods import parse_quarter, quarter_label
from kpi.reach import Reach
from kpi.scope import ENGLAND, AccessError, Scope
from kpi.store import Store

ALL = "all"
# Roles that may write a note (for an area they may read).
WRITERS = ("board", "scheme", "admin")
# The longest "discussed" or "action" text, and the longest "owner" or "due".
MAX_TEXT = 2000
MAX_SHORT = 200
FIELDS = {"discussed": MAX_TEXT, "action": MAX_TEXT, "owner": MAX_SHORT, "due": MAX_SHORT}
LABELS = {"discussed": "What was discussed", "action": "What will be done",
          "owner": "Who will do it", "due": "By when"}


class NoteRefused(KhiError, ValueError):
    """A note that cannot be stored as given (too long, empty, unknown area...):
    the message says what to change; nothing was stored."""


@dataclass(frozen=True)
class Note:
    """One note as its readers see it (never withdrawn ones)."""

    note_id: int
    khi_code: str
    quarter: str  # "2026/27 Q1": kpi.periods.quarter_label, as the board page uses
    area: str  # "scheme:ID", "region:NAME" or "all" (the board page's area key)
    discussed: str
    action: str  # "" when none
    owner: str  # who will do it, free text, "" when none
    due: str  # free text or ISO date, "" when none
    written_by: str
    written_at: dt.datetime
    edited_by: str = ""
    edited_at: dt.datetime | None = None

    @property
    def khi_name(self) -> str:
        return _khi_names().get(self.khi_code, self.khi_code)


def _khi_names() -> dict[str, str]:
    return {k.code: k.name for k in catalogue()}


# ------------------------------------------------------------------- who may ---
def area_key(area: str) -> str:
    """The stored form of an area: "England" (any case) and "all" are England's."""
    text = str(area).strip()
    if text.lower() in (ALL, ENGLAND.lower()):
        return ALL
    return text


def may_read(scope: Scope, reach: Reach, area: str) -> bool:
    """Whether this person may see ``area``'s notes: those who may open its board page."""
    kind, _, value = area_key(area).partition(":")
    if kind == ALL:
        return reach.every
    if kind == "region":
        return reach.every or (
            scope.role_entry is not None and scope.role_entry.grant == "area"
            and value in scope.regions
        )
    if kind == "scheme":
        return reach.includes(value)
    return False


def may_write(scope: Scope, reach: Reach, area: str) -> bool:
    """Board members, scheme staff and administrators, for an area they may read."""
    return scope.role in WRITERS and may_read(scope, reach, area)


def may_change(scope: Scope, note: Note) -> bool:
    """The note's author or an administrator."""
    return scope.is_admin or (scope.email is not None and scope.email == note.written_by)


# ------------------------------------------------------------------- read ---
def notes_for(
    store: Store, scope: Scope, *, area: str, quarter: str | dt.date,
    reach: Reach | None = None,
) -> list[Note]:
    """The notes of one area and quarter this person may read, oldest first; none for
    an area they may not see. ``reach`` is ``scope.allowed(store)`` when already known
    (the pages cache it)."""
    reach = scope.allowed(store) if reach is None else reach
    key = area_key(area)
    if not may_read(scope, reach, key) or not store.exists():
        return []
    start = parse_quarter(quarter)
    return [_note(row) for row in store.notes_in([key], start).to_dict("records")]


def note(store: Store, scope: Scope, note_id: int, reach: Reach | None = None) -> Note:
    """One note this person may read; AccessError when there is none they may see."""
    row = store.note_row(int(note_id))
    reach = scope.allowed(store) if reach is None else reach
    if row is None or not may_read(scope, reach, row["area"]):
        raise AccessError(f"There is no note {note_id} you may see: it may have been "
                          "withdrawn. Reload the page.")
    return _note(row)


def _note(row: dict) -> Note:
    def text(value: object) -> str:
        return "" if value is None or value != value else str(value)

    edited = row.get("edited_at")
    return Note(
        note_id=int(row["note_id"]),
        khi_code=str(row["khi_code"]),
        quarter=quarter_label(_date(row["quarter_start"])),
        area=str(row["area"]),
        discussed=text(row["discussed"]),
        action=text(row["action"]),
        owner=text(row["owner"]),
        due=text(row["due"]),
        written_by=text(row["written_by"]),
        written_at=_datetime(row["written_at"]),
        edited_by=text(row.get("edited_by")),
        edited_at=None if edited is None or edited != edited else _datetime(edited),
    )


def _date(value: object) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


def _datetime(value: object) -> dt.datetime:
    to_py = getattr(value, "to_pydatetime", None)
    return to_py() if to_py else value  # type: ignore[return-value]


# ------------------------------------------------------------------- write ---
def add_note(
    store: Store, scope: Scope, *, khi_code: str, area: str, quarter: str | dt.date,
    discussed: str, action: str = "", owner: str = "", due: str = "",
    by: str | None = None, reach: Reach | None = None,
) -> Note:
    """Store one note written by this person; returns it as its readers will see it.

    ``by`` is who to record when ``scope`` has no email (local mode: the page's
    ``acting_as``). Refused, nothing stored: AccessError for a role that may not write
    or an area the person may not see; UnknownCode for a KHI not in the catalogue;
    NoteRefused for an empty "discussed", a text over its limit, control characters,
    an unknown area or quarter.
    """
    reach = scope.allowed(store) if reach is None else reach
    key = area_key(area)
    if key != ALL and key.partition(":")[0] not in ("region", "scheme"):
        raise NoteRefused(f"Unknown area {key!r}: give \"scheme:ID\", \"region:NAME\" or "
                          "\"all\" (England).")
    if scope.role not in WRITERS:
        raise AccessError(
            "Your role may read notes but not write them: board members, scheme staff "
            "and administrators write them."
        )
    if not may_read(scope, reach, key):
        raise AccessError("You may write notes only for an area you may see: choose it "
                          "in the sidebar.")
    if khi_code not in _khi_names():
        raise UnknownCode(f"Unknown KHI {khi_code!r}: choose one of the board page's KHIs.")
    _check_area(store, key)
    try:
        start = parse_quarter(quarter)
    except BadRequest as exc:
        raise NoteRefused(str(exc)) from None
    texts = _checked(discussed=discussed, action=action, owner=owner, due=due)
    writer = scope.email or by or "local mode"
    note_id = store.insert_note(khi_code=khi_code, quarter_start=start, area=key,
                                by=writer, **texts)
    return note(store, scope, note_id, reach)


def edit_note(
    store: Store, scope: Scope, note_id: int, *, by: str | None = None,
    reach: Reach | None = None, **changes: str,
) -> Note:
    """Change a note's text (its author or an administrator); the same checks as
    :func:`add_note`; the change log says who changed which fields."""
    current = note(store, scope, note_id, reach)
    if not may_change(scope, current):
        raise AccessError("Only the note's author or an administrator may change it.")
    unknown = [f for f in changes if f not in FIELDS]
    if unknown:
        raise NoteRefused(f"A note has no field {unknown[0]!r}.")
    merged = {f: changes.get(f, getattr(current, f)) for f in FIELDS}
    texts = _checked(**merged)
    changed = {f: v for f, v in texts.items() if v != getattr(current, f)}
    if changed and not store.update_note(current.note_id, changed,
                                         by=scope.email or by or "local mode"):
        raise AccessError(f"Note {note_id} was withdrawn meanwhile: nothing was changed.")
    return note(store, scope, note_id, reach)


def withdraw_note(
    store: Store, scope: Scope, note_id: int, *, by: str | None = None,
    reach: Reach | None = None,
) -> None:
    """Withdraw a note (its author or an administrator): nobody sees it from now on;
    it is kept, and the change log says who withdrew it."""
    current = note(store, scope, note_id, reach)
    if not may_change(scope, current):
        raise AccessError("Only the note's author or an administrator may withdraw it.")
    store.withdraw_note(current.note_id, by=scope.email or by or "local mode")


def _check_area(store: Store, key: str) -> None:
    kind, _, value = key.partition(":")
    if kind == ALL:
        return
    if kind == "region" and value in bank().region_names:
        return
    if kind == "scheme" and value in store.scheme_ids():
        return
    raise NoteRefused(f"Unknown area {key!r}: choose a scheme or region in the sidebar.")


def _checked(**fields: str) -> dict[str, str]:
    """The fields as they will be stored (surrounding spaces trimmed), or NoteRefused.

    Why refuse rather than cut: a note cut short says something its author did not.
    Control characters (other than new lines and tabs) are refused: they are never
    typed, and would reach a spreadsheet or PDF unseen.
    """
    out = {}
    for name, limit in FIELDS.items():
        value = str(fields.get(name) or "").replace("\r\n", "\n").strip()
        if len(value) > limit:
            raise NoteRefused(
                f"{LABELS[name]} is {len(value):,} characters long; the most a note keeps is "
                f"{limit:,}. Shorten it (or link to the board's minutes); nothing was stored."
            )
        if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
            raise NoteRefused(f"{LABELS[name]} holds control characters: retype it as plain "
                              "text; nothing was stored.")
        out[name] = value
    if not out["discussed"]:
        raise NoteRefused("Say what was discussed: a note needs it. Nothing was stored.")
    return out


# ------------------------------------------------------------------- words ---
def note_lines(note: Note) -> tuple[str, ...]:
    """A note in plain lines, as the page, the PDF and the CSV show it (each escapes
    or neutralises them: they are a user's text)."""
    lines = [f"Discussed: {note.discussed}"]
    if note.action:
        lines.append(f"Action: {note.action}")
    who = [part for part in (note.owner and f"who: {note.owner}",
                             note.due and f"by: {note.due}") if part]
    if who:
        lines.append("; ".join(who)[:1].upper() + "; ".join(who)[1:])
    written = f"Written by {note.written_by} on {note.written_at:%-d %b %Y}"
    if note.edited_at is not None:
        written += f", changed by {note.edited_by} on {note.edited_at:%-d %b %Y}"
    lines.append(written)
    return tuple(lines)
