"""Notes on the board page, in its PDF and its CSV: a hostile note shows as text
everywhere, last quarter's notes open the next quarter's pack, and a scheme user
sees their scheme's notes and no other's."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil

import pytest
from pypdf import PdfReader

from kpi.board import board_summary
from kpi.board import pdf as board_pdf
from kpi.board.carry import board_frame, with_notes
from kpi.board.notes import add_note
from kpi.downloads import board_download
from kpi.export import safe_csv
from kpi.indicators import Filters, latest_quarter, latest_shown_quarter
from kpi.periods import quarter_label, shift_quarter
from kpi.scope import LOCAL_ADMIN, add_user, scope_for
from kpi.store import Store
from tests.apptest_helpers import open_page

SCRIPT = "<script>alert('x')</script> <b>bold</b> **not bold** [link](http://evil.example)"
FORMULA = '=HYPERLINK("http://evil.example","click")'
LONG = "w" * 1990 + " end"  # one long word, bounded: it must wrap, not widen the page
MULTI = "first line\n- not a list\n# not a heading\n1. not numbered"


@pytest.fixture(scope="module")
def noted(demo_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A copy of the demo with notes for England in the latest quarter and the one
    before, and a note for each of two schemes in the latest."""
    store = Store(tmp_path_factory.mktemp("noted") / "khi.duckdb")
    shutil.copyfile(demo_store.path, store.path)
    now = latest_quarter(store)
    before = shift_quarter(now, -1)
    add_note(store, LOCAL_ADMIN, khi_code="warm_kind", area="all", quarter=before,
             discussed=SCRIPT, action=FORMULA, owner="@owner", due="+2 weeks", by="chair")
    add_note(store, LOCAL_ADMIN, khi_code="warm_kind", area="all", quarter=now,
             discussed=FORMULA, action=LONG, owner="Head of service", due=MULTI, by="chair")
    a, b = (str(s) for s in store.schemes()["scheme_id"].iloc[[3, 4]])
    shown = latest_shown_quarter(store, Filters(scheme_ids=(a,), scope=(a,)))
    add_note(store, LOCAL_ADMIN, khi_code="warm_kind", area=f"scheme:{a}", quarter=shown,
             discussed="Scheme A's own note", by="chair")
    add_note(store, LOCAL_ADMIN, khi_code="warm_kind", area=f"scheme:{b}", quarter=shown,
             discussed="Scheme B's secret note", by="chair")
    add_user(store, "staff@a.example", "scheme", [a], by="test")
    add_user(store, "lead@icb.example", "commissioner", [], ["England"], by="test")
    return store


def as_read(block: str) -> str:
    """An HTML block as a reader sees its text: tags dropped, <br> a new line,
    entities undone."""
    return html.unescape(re.sub(r"<[^>]+>", "", block.replace("<br>", "\n")))


def test_notes_show_as_typed_on_the_page_and_last_quarter_opens_it(
    noted: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = latest_quarter(noted)
    at = open_page(monkeypatch, noted, "pages/board.py", {"quarter": quarter_label(now)})
    assert not at.exception
    blocks = [m.value for m in at.markdown if "Discussed" in m.value]
    # The note of this quarter under its domain, last quarter's in "Last quarter".
    opening = next(b for b in blocks if "Last quarter" in b)
    under = next(b for b in blocks if "Notes this quarter" in b)
    text = as_read(opening)
    assert f"Last quarter ({quarter_label(shift_quarter(now, -1))})" in text
    assert f"Discussed: {SCRIPT}" in text and f"Action: {FORMULA}" in text
    assert "Who: @owner; by: +2 weeks" in text
    text = as_read(under)
    assert f"Discussed: {FORMULA}" in text and f"Action: {LONG}" in text
    assert f"by: {MULTI}" in text
    for block in blocks:
        # Escaped: the tags are text, and the block is HTML on one line (Markdown does
        # not run inside it, so no list, heading or link is made of a note).
        assert "<script>" not in block and "<b>" not in block and "<a " not in block
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in opening
    assert all("\n" not in b[b.index("<ul"):] for b in blocks)
    # Nothing of a note anywhere else on the page.
    for element in at.markdown:
        if element.value not in blocks:
            assert "evil.example" not in element.value


def test_a_scheme_user_sees_their_schemes_notes_and_no_other(
    noted: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(monkeypatch, noted, "pages/board.py", KHI_AS="staff@a.example")
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "Scheme A&#x27;s own note" in shown
    assert "Scheme B" not in shown and "secret" not in shown
    # Nor England's notes (not their page).
    assert "evil.example" not in shown


def test_a_commissioner_reads_the_notes_and_is_offered_no_form(
    noted: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = latest_quarter(noted)
    at = open_page(monkeypatch, noted, "pages/board.py", {"quarter": quarter_label(now)},
                   KHI_AS="lead@icb.example")
    assert not at.exception
    assert any("Notes this quarter" in m.value for m in at.markdown)
    assert not [e for e in at.expander if "note" in e.label.lower()]
    # Scheme staff are offered the form on their scheme's page (not the change form:
    # the notes there are not theirs).
    staff = open_page(monkeypatch, noted, "pages/board.py", KHI_AS="staff@a.example")
    assert [e.label for e in staff.expander if "note" in e.label.lower()] == [
        ":material/edit_note: Write a note for this quarter"]


def noted_pack(store: Store):
    now = latest_quarter(store)
    pack = board_summary(store, quarter=now)
    then = board_summary(store, quarter=shift_quarter(now, -1))
    return with_notes(store, LOCAL_ADMIN, pack, "all", then)


def test_the_board_csv_carries_the_notes_quote_prefixed(noted: Store) -> None:
    pack = noted_pack(noted)  # the page's CSV: the tidy columns, then the pack's and notes'
    rows = list(csv.DictReader(io.StringIO(safe_csv(board_download(pack, "", board_frame(pack))))))
    warm = next(r for r in rows if r["Indicator code"] == "warm_kind")
    assert warm["note_discussed"] == "'" + FORMULA  # a spreadsheet shows it as text
    assert warm["note_action"] == LONG
    assert warm["note_due"] == MULTI
    assert warm["last_quarter_note_discussed"] == SCRIPT
    assert warm["last_quarter_note_action"] == "'" + FORMULA
    assert warm["note_written_by"] == "chair"
    other = next(r for r in rows if r["Indicator code"] != "warm_kind")
    assert other["note_discussed"] == ""


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("tagged", [True, False], ids=["tagged", "fpdf2"])
def test_the_pdf_shows_the_notes_as_text(noted: Store, tagged: bool) -> None:
    pack = noted_pack(noted)
    data = board_pdf.render_pdf(pack) if tagged else board_pdf.render_untagged_pdf(pack, {})
    text = pdf_text(data)
    flat = re.sub(r"\s+", "", text)
    assert "Last quarter" in text
    assert re.sub(r"\s+", "", SCRIPT) in flat  # the tags as letters, not markup
    assert re.sub(r"\s+", "", FORMULA) in flat
    # The long word whole, wrapped over lines (and maybe a page break).
    assert sum(len(run) for run in re.findall(r"w{20,}", flat)) == 1990
    assert "Notes: " in text
    first = text.index("Last quarter")
    assert first < text.index("Summary")  # the pack opens with last quarter


def test_a_pack_without_notes_says_nothing_was_carried(noted: Store) -> None:
    now = latest_quarter(noted)
    scheme = str(noted.schemes()["scheme_id"].iloc[6])
    pack = board_summary(noted, quarter=now, scheme=scheme)
    carried = with_notes(noted, scope_for(noted, "staff@a.example"), pack,
                         f"scheme:{scheme}", None)
    assert carried.notes == ()  # not their scheme: no notes, whatever the store holds
    assert carried.last_quarter is not None and carried.last_quarter.items == ()


def test_the_command_lines_report_carries_the_same_notes(noted: Store, tmp_path) -> None:
    # `python -m kpi report` once printed the pack without notes: the page's PDF and
    # the command line's must say the same for the same area and quarter.
    from tests.builders import kpi_main

    out = tmp_path / "board.pdf"
    result = kpi_main("report", "--db", str(noted.path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    flat = re.sub(r"\s+", "", pdf_text(out.read_bytes()))
    assert re.sub(r"\s+", "", FORMULA) in flat  # this quarter's England note
    assert re.sub(r"\s+", "", SCRIPT) in flat  # last quarter's note, carried
    assert "SchemeB'ssecretnote" not in flat  # another area's note stays out
