""""You said, we did": the sheet says only what the engine shows, and the board's
actions for that area and quarter, as text; the page (AppTest) and the tagged
PDF say the same.

The store is built so the answer is known: in North West's one scheme (N1) this
quarter 16 of 20 people say their supporters are warm and kind (80%: "8 out of
10"), 6 of 20 are often lonely (30%), and only 3 people answered the balance
question, all agreeing: a cell below the minimum base, hidden by the engine. Its
100% must appear nowhere: no number, no sentence, not even its name.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from kpi import yousaid
from kpi.board.notes import add_note
from kpi.board.pack_html import chromium
from kpi.catalogue import khi
from kpi.periods import quarter_label
from kpi.reach import Reach
from kpi.scope import LOCAL_ADMIN, Scope, add_user
from kpi.store import Store
from tests.apptest_helpers import open_page
from tests.builders import make_store
from tests.test_board import PREVIOUS, Q, add_responses, agree, often

LABEL = quarter_label(Q)
AREA = "scheme:N1"
HIDDEN = "balance_right"
WARM = "8 out of 10 people said the people who support them are warm and kind."
LONELY = "3 out of 10 people said they often or always feel lonely."
HOSTILE = '<img src=x onerror=alert(1)><b>Ring</b> =HYPERLINK("http://evil.example","x")'
ADMIN = Scope("admin", "admin@example.org")


def hidden_traces() -> list[str]:
    """Every way the hidden balance result could show: its sentence's words, its
    catalogue name, its picture's alt text and its value said any way."""
    saying = next(s for s in yousaid.sayings() if s.khi == HIDDEN)
    return [saying.said, khi(HIDDEN).name, saying.alt, "right balance",
            "All the people", "10 out of 10", "100%", "3 people answered"]


@pytest.fixture(scope="module")
def said_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = make_store(
        tmp_path_factory.mktemp("yousaid") / "khi.duckdb",
        [("N1", "Irwell Shared Lives", "North West"),
         ("N2", "Mersey Shared Lives", "North West"),
         ("L1", "Lea Bridge Shared Lives", "London")],
    )
    add_responses(store, "N1", Q, {
        "warm_kind": agree(16, 20),
        "lonely_how_often": often(6, 20),
        "balance_right": agree(3, 3) + [None] * 17,  # 3 answers: below the minimum base
    })
    # N1's neighbour: with North West's total it would give N1's hidden cell away.
    add_responses(store, "N2", Q, {"warm_kind": agree(30, 40), "balance_right": agree(20, 40)})
    add_responses(store, "L1", Q, {"warm_kind": agree(30, 40), "balance_right": agree(20, 40)})
    notes = [
        # N1, this quarter: two actions (one hostile), and one note with no action.
        ("warm_kind", AREA, Q, "Kindness came up", "Visit every carer by June", "Jo", "June"),
        ("lonely_often", AREA, Q, "Loneliness", HOSTILE, "", ""),
        ("warm_kind", AREA, Q, "Discussed only, NOTHING-TO-DO", "", "", ""),
        # Elsewhere or another quarter: not on N1's sheet for this quarter.
        ("warm_kind", AREA, PREVIOUS, "Last quarter", "LAST-QUARTER-ACTION", "", ""),
        ("warm_kind", "scheme:L1", Q, "London", "LONDON-ACTION", "", ""),
    ]
    for code, area, quarter, discussed, action, owner, due in notes:
        add_note(store, ADMIN, khi_code=code, area=area, quarter=quarter,
                 discussed=discussed, action=action, owner=owner, due=due)
    return store


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_out_of_ten_never_says_everyone_or_no_one_unless_it_is() -> None:
    assert [yousaid.out_of_ten(v) for v in (0, 0.4, 4, 5, 80, 84.9, 85, 95, 99.6, 100)] == [
        0, 1, 1, 1, 8, 8, 9, 9, 9, 10]
    assert yousaid.sentence(100, "people", "yes") == "All the people who answered said yes."
    assert yousaid.sentence(0, "people", "yes") == "None of the people who answered said yes."


def test_every_saying_is_a_proportion_of_the_catalogue_with_a_picture_and_alt() -> None:
    for saying in yousaid.sayings():
        assert khi(saying.khi).is_proportion and saying.alt.strip()
        assert saying.picture in yousaid.PICTURES


def test_the_sheet_says_only_shown_results_and_this_quarters_actions(said_store: Store) -> None:
    sheet = yousaid.you_said(said_store, LOCAL_ADMIN, area=AREA, quarter=LABEL)
    assert sheet.area_label == "Irwell Shared Lives (North West)"
    assert [r.sentence for r in sheet.results] == [WARM, LONELY]
    assert [r.answered for r in sheet.results] == [
        "20 people answered this question.", "20 people answered this question."]
    assert HIDDEN not in {r.khi for r in sheet.results}
    assert [a.action for a in sheet.actions] == ["Visit every carer by June", HOSTILE]
    assert sheet.actions[0].lines() == ["Visit every carer by June", "Who: Jo", "When: June"]
    assert sheet.actions[0].khi_name == khi("warm_kind").name


def test_the_hidden_result_cannot_be_worked_out_from_the_regions_sheet(
    said_store: Store,
) -> None:
    """North West's balance minus its other scheme's would be N1's hidden cell: the
    engine hides one of the two (a second cell), so the sheets never show both."""
    sheets = {area: yousaid.you_said(said_store, LOCAL_ADMIN, area=area, quarter=LABEL)
              for area in ("region:North West", "scheme:N2", "all", "region:London",
                           "scheme:L1")}
    shows = {area: HIDDEN in {r.khi for r in s.results} for area, s in sheets.items()}
    assert not (shows["region:North West"] and shows["scheme:N2"]), shows
    assert not (shows["all"] and shows["region:London"] and shows["scheme:N2"]), shows


def test_a_scheme_user_cannot_open_another_schemes_sheet(said_store: Store) -> None:
    london = Scope("scheme", "l1@example.org", scheme_ids=("L1",))
    with pytest.raises(ValueError, match="outside"):
        yousaid.you_said(said_store, london, area=AREA, quarter=LABEL,
                         reach=Reach.only(["L1"]))
    own = yousaid.you_said(said_store, london, area="scheme:L1", quarter=LABEL,
                           reach=Reach.only(["L1"]))
    assert [a.action for a in own.actions] == ["LONDON-ACTION"]


def test_the_page_shows_the_sheet_and_nothing_of_the_hidden_result(
    said_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(monkeypatch, said_store, "pages/yousaid.py",
                   {"region": "North West", "scheme": "N1", "quarter": LABEL})
    assert not at.exception
    assert [t.value for t in at.title] == [yousaid.TITLE]
    shown = "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)
    assert WARM in shown and LONELY in shown
    assert "Visit every carer by June" in shown and "Who: Jo" in shown
    for trace in hidden_traces():
        assert trace not in shown, trace
    for other in ("NOTHING-TO-DO", "LAST-QUARTER-ACTION", "LONDON-ACTION"):
        assert other not in shown
    # The hostile action is text: escaped once, never an element or a link.
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;b&gt;Ring&lt;/b&gt;" in shown
    assert "<img src=x" not in shown and "<b>Ring" not in shown
    # Every picture has its alt text.
    images = re.findall(r"<img [^>]*>", shown)
    assert len(images) == 4 and all(re.search(r' alt="[^"]+"', i) for i in images)
    assert [b.label for b in at.get("download_button")] == ["Easy-read sheet (PDF)"]


@pytest.mark.skipif(chromium() is None, reason="printing the tagged PDF needs Chromium")
def test_the_pdf_is_tagged_and_says_the_same(said_store: Store, tmp_path: Path) -> None:
    sheet = yousaid.you_said(said_store, LOCAL_ADMIN, area=AREA, quarter=LABEL)
    pdf = yousaid.render_pdf(sheet)
    out = tmp_path / "sheet.pdf"
    out.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M), info.stdout
    assert sheet.title in info.stdout
    reader = PdfReader(io.BytesIO(pdf))
    assert str(reader.trailer["/Root"]["/Lang"]) == "en-GB"
    text = flat(pdf_text(pdf))
    # Each page's foot says whose sheet it is (a page handed out alone still says).
    foot = f"{yousaid.TITLE} · {sheet.area_label} · {LABEL}"
    pages = len(reader.pages)
    assert text.count(foot) == pages and f"Page {pages} of {pages}" in text
    assert WARM in text and LONELY in text
    assert "Visit every carer by June" in text and "Who: Jo" in text
    assert flat(HOSTILE) in text  # the hostile action as typed: text, not markup
    for trace in hidden_traces():
        assert trace not in text, trace
    for other in ("NOTHING-TO-DO", "LAST-QUARTER-ACTION", "LONDON-ACTION"):
        assert other not in text
    # Every picture is a figure with its alt text in the structure tree.
    from tests.test_report import structure  # noqa: PLC0415

    figures = [e for e in structure(reader) if e["type"] == "Figure"]
    alts = [f["alt"] for f in figures]
    wanted = [s.alt for s in yousaid.sayings() if s.khi in ("warm_kind", "lonely_often")]
    assert alts == wanted + [yousaid.ACTION_ALT] * 2


def test_a_scheme_user_sees_only_their_own_schemes_sheet(
    said_store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Staff of L1 (their only scheme, chosen for them): London's results and action,
    nothing of N1's, even with N1 in the link."""
    store = Store(tmp_path / "khi.duckdb")  # a copy: the module's store stays as built
    shutil.copyfile(said_store.path, store.path)
    add_user(store, "staff@l1.example", "scheme", ["L1"], by="test")
    at = open_page(monkeypatch, store, "pages/yousaid.py",
                   {"region": "North West", "scheme": "N1", "quarter": LABEL},
                   KHI_AS="staff@l1.example")
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "Lea Bridge Shared Lives (London)" in shown and "LONDON-ACTION" in shown
    assert "8 out of 10 people said the people who support them" in shown  # 30 of 40
    for other in ("Irwell", "Visit every carer", "Ring", "NOTHING-TO-DO"):
        assert other not in shown, other
