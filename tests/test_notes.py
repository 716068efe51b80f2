"""The board's notes (kpi.board.notes): stored and read back, seen only by those who may
see their area, written only by the roles that may, bounded, and every change logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi.board.notes import (
    MAX_TEXT,
    Note,
    NoteRefused,
    add_note,
    edit_note,
    notes_for,
    withdraw_note,
)
from kpi.errors import KhiError, UnknownCode
from kpi.scope import LOCAL_ADMIN, AccessError, Scope
from kpi.store import SCHEMA_VERSION, Store
from tests.builders import make_store

Q = "2026/27 Q1"
KHI = "warm_kind"
HOSTILE = '<script>alert(1)</script> =HYPERLINK("http://evil.example","x") **bold** [a](b)'


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "khi.duckdb", [
        ("A", "Alpha Lives", "North West"),
        ("B", "Beta Lives", "North West"),
        ("C", "Gamma Lives", "London"),
    ])


STAFF_A = Scope(role="scheme", email="a@alpha.example", scheme_ids=("A",))
STAFF_B = Scope(role="scheme", email="b@beta.example", scheme_ids=("B",))
BOARD_A = Scope(role="board", email="chair@alpha.example", scheme_ids=("A",))
BOARD_NW = Scope(role="board", email="chair@nw.example", regions=("North West",))
COMMISSIONER_NW = Scope(role="commissioner", email="c@nw.example", regions=("North West",))
NATIONAL = Scope(role="board", email="chair@national.example", regions=("England",))
EMPTY = Scope(role="commissioner", email="nobody@x.example", regions=("North East",))


def test_a_note_is_stored_and_read_back_with_who_and_when(store: Store) -> None:
    written = add_note(store, BOARD_A, khi_code=KHI, area="scheme:A", quarter=Q,
                       discussed="  Kindness fell  ", action="Visit carers", owner="Sam",
                       due="2026-09-30")
    assert isinstance(written, Note)
    (read,) = notes_for(store, BOARD_A, area="scheme:A", quarter=Q)
    assert read == written
    assert (read.khi_code, read.quarter, read.area) == (KHI, Q, "scheme:A")
    assert (read.discussed, read.action, read.owner, read.due) == (
        "Kindness fell", "Visit carers", "Sam", "2026-09-30")
    assert read.written_by == "chair@alpha.example"
    assert read.written_at.year >= 2026
    # Another quarter or area has none; a date inside the quarter is the same quarter.
    assert notes_for(store, BOARD_A, area="scheme:A", quarter="2026/27 Q2") == []
    assert notes_for(store, BOARD_A, area="scheme:A", quarter="2026-05-14") == [read]
    log = store.changes()
    assert list(log["action"]) == ["note written"]
    assert log["changed_by"].iloc[0] == "chair@alpha.example"
    assert "Kindness" not in str(log["detail"].iloc[0])  # the log names, never quotes


def test_a_scheme_user_cannot_read_another_schemes_notes(store: Store) -> None:
    add_note(store, STAFF_A, khi_code=KHI, area="scheme:A", quarter=Q, discussed="A's note")
    add_note(store, STAFF_B, khi_code=KHI, area="scheme:B", quarter=Q, discussed="B's note")
    assert [n.discussed for n in notes_for(store, STAFF_A, area="scheme:A", quarter=Q)] == [
        "A's note"]
    assert notes_for(store, STAFF_A, area="scheme:B", quarter=Q) == []
    assert notes_for(store, STAFF_B, area="scheme:A", quarter=Q) == []
    # Nor write there.
    with pytest.raises(AccessError):
        add_note(store, STAFF_A, khi_code=KHI, area="scheme:B", quarter=Q, discussed="x")
    # A region's board reads its schemes' notes, not another region's.
    assert len(notes_for(store, BOARD_NW, area="scheme:B", quarter=Q)) == 1
    add_note(store, LOCAL_ADMIN, khi_code=KHI, area="scheme:C", quarter=Q, discussed="C",
             by="admin (local mode)")
    assert notes_for(store, BOARD_NW, area="scheme:C", quarter=Q) == []
    assert len(notes_for(store, NATIONAL, area="scheme:C", quarter=Q)) == 1


def test_an_empty_grant_reads_none(store: Store) -> None:
    add_note(store, LOCAL_ADMIN, khi_code=KHI, area="all", quarter=Q, discussed="England")
    add_note(store, LOCAL_ADMIN, khi_code=KHI, area="region:North East", quarter=Q,
             discussed="NE")
    assert EMPTY.allowed(store).is_empty
    assert notes_for(store, EMPTY, area="all", quarter=Q) == []
    # A region granted whole is its commissioner's to read, even with no schemes yet.
    assert len(notes_for(store, EMPTY, area="region:North East", quarter=Q)) == 1
    nobody = Scope(role=None, email="x@y.example")
    assert notes_for(store, nobody, area="region:North East", quarter=Q) == []


def test_region_and_england_notes_follow_the_board_pages_area_choice(store: Store) -> None:
    add_note(store, BOARD_NW, khi_code=KHI, area="region:North West", quarter=Q,
             discussed="NW")
    add_note(store, NATIONAL, khi_code=KHI, area="England", quarter=Q, discussed="Eng")
    assert len(notes_for(store, COMMISSIONER_NW, area="region:North West", quarter=Q)) == 1
    # Scheme staff see their scheme's page, not their region's nor England's.
    assert notes_for(store, STAFF_A, area="region:North West", quarter=Q) == []
    assert notes_for(store, BOARD_NW, area="all", quarter=Q) == []
    assert [n.area for n in notes_for(store, NATIONAL, area="all", quarter=Q)] == ["all"]
    with pytest.raises(AccessError):  # a region board may not write England's notes
        add_note(store, BOARD_NW, khi_code=KHI, area="all", quarter=Q, discussed="x")


def test_commissioners_read_but_do_not_write(store: Store) -> None:
    with pytest.raises(AccessError, match="read notes but not write"):
        add_note(store, COMMISSIONER_NW, khi_code=KHI, area="region:North West",
                 quarter=Q, discussed="x")
    assert store.notes_in(["region:North West"], __import__("datetime").date(2026, 4, 1)).empty


def test_hostile_text_is_stored_as_typed(store: Store) -> None:
    long_ok = "x" * MAX_TEXT
    written = add_note(store, BOARD_A, khi_code=KHI, area="scheme:A", quarter=Q,
                       discussed=HOSTILE, action=long_ok, owner="=1+1", due="@SUM(A1)")
    assert (written.discussed, written.action, written.owner, written.due) == (
        HOSTILE, long_ok, "=1+1", "@SUM(A1)")


@pytest.mark.parametrize("field", ["discussed", "action"])
def test_too_long_is_refused_and_nothing_is_stored(store: Store, field: str) -> None:
    fields = {"discussed": "ok", field: "y" * 5000}
    with pytest.raises(NoteRefused, match="5,000 characters.*2,000.*nothing was stored"):
        add_note(store, BOARD_A, khi_code=KHI, area="scheme:A", quarter=Q, **fields)
    assert notes_for(store, BOARD_A, area="scheme:A", quarter=Q) == []
    assert store.changes().empty


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"discussed": "   "}, NoteRefused),
        ({"discussed": "ok", "owner": "o" * 201}, NoteRefused),
        ({"discussed": "bell\x07"}, NoteRefused),
        ({"discussed": "ok", "khi_code": "no_such_khi"}, UnknownCode),
        ({"discussed": "ok", "area": "scheme:Z"}, AccessError),
        ({"discussed": "ok", "quarter": "next spring"}, NoteRefused),
    ],
)
def test_invalid_notes_are_refused(store: Store, fields: dict, error: type) -> None:
    args = {"khi_code": KHI, "area": "scheme:A", "quarter": Q, **fields}
    with pytest.raises(error) as caught:
        add_note(store, BOARD_A, **args)
    assert isinstance(caught.value, KhiError)
    assert store.notes_in(["scheme:A", "scheme:Z"],
                          __import__("datetime").date(2026, 4, 1)).empty


def test_an_unknown_area_is_refused_even_for_an_administrator(store: Store) -> None:
    for area in ("scheme:Z", "region:Atlantis", "nowhere"):
        with pytest.raises(NoteRefused, match="Unknown area"):
            add_note(store, LOCAL_ADMIN, khi_code=KHI, area=area, quarter=Q, discussed="x")


def test_the_author_or_an_admin_edits_and_withdraws_and_the_log_says_so(store: Store) -> None:
    written = add_note(store, BOARD_A, khi_code=KHI, area="scheme:A", quarter=Q,
                       discussed="first")
    other_board = Scope(role="board", email="other@alpha.example", scheme_ids=("A",))
    with pytest.raises(AccessError, match="author or an administrator"):
        edit_note(store, other_board, written.note_id, discussed="hijack")
    edited = edit_note(store, BOARD_A, written.note_id, action="Call the carers")
    assert (edited.discussed, edited.action, edited.edited_by) == (
        "first", "Call the carers", "chair@alpha.example")
    with pytest.raises(NoteRefused):
        edit_note(store, BOARD_A, written.note_id, discussed="z" * 2001)
    with pytest.raises(AccessError):
        withdraw_note(store, STAFF_B, written.note_id)
    withdraw_note(store, LOCAL_ADMIN, written.note_id, by="admin (local mode)")
    assert notes_for(store, BOARD_A, area="scheme:A", quarter=Q) == []
    log = store.changes()
    assert list(log["action"])[::-1] == ["note written", "note edited", "note withdrawn"]
    assert "changed: action" in log["detail"].iloc[1]
    assert log["changed_by"].iloc[0] == "admin (local mode)"


def test_a_store_from_before_notes_reads_none_and_is_upgraded(store: Store) -> None:
    with store.connect(write=True) as con:  # what a version 3 store looked like
        con.execute("DROP TABLE notes")
        con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    assert notes_for(store, BOARD_A, area="scheme:A", quarter=Q) == []
    store.ensure()
    assert store.schema_version() == SCHEMA_VERSION == 5
    add_note(store, BOARD_A, khi_code=KHI, area="scheme:A", quarter=Q, discussed="kept")
    assert [n.discussed for n in notes_for(store, BOARD_A, area="scheme:A", quarter=Q)] == [
        "kept"]
