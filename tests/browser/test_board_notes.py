"""A board member, signed in, writes a note in one quarter and reads it in the next
quarter's board page ("Last quarter") and in that quarter's PDF (issue 23, item 3).

Sign-in is real (``signed_in_site``: oidc-provider-mock and ``streamlit run``). The
board's screenshots with notes are kept at 1400 and 800 px in /tmp/shots-notes/.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pypdf import PdfReader

from kpi.board.notes import notes_for
from kpi.periods import quarter_label, shift_quarter
from kpi.scope import add_user, scope_for
from kpi.store import Store
from tests.browser.conftest import DEMO_END_QUARTER, TIMEOUT_MS
from tests.browser.conftest import SHOTS as SHOTS_WANTED
from tests.browser.test_signin import Site, Visit, leaked, signed_in_site

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-notes")
CHAIR = "chair@board.example"
DISCUSSED = ("Kindness fell at <b>Leeds</b> =SUM(A1) — the board asked why, see "
             "http://evil.example/x")
ACTION = "Visit three carers' homes with the scheme manager"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A demo store of three quarters with a board member for one scheme, signed in
    through the provider."""
    from kpi.demo import load_demo

    folder = tmp_path_factory.mktemp("notes")
    store = Store(folder / "khi.duckdb")
    load_demo(store, people=3000, quarters=3, seed=11, end_quarter=DEMO_END_QUARTER)
    register = store.schemes()
    own = register.sort_values("scheme_id").iloc[0]
    add_user(store, CHAIR, "board", [str(own["scheme_id"])], by="test")
    with signed_in_site(store, folder) as (url, provider):
        yield Site(url=url, store=store, provider=provider,
                   schemes={r.scheme_id: (r.name, r.region) for r in register.itertuples()})


@pytest.fixture
def visit(browser, site: Site) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    seen = Visit(tab=tab, site=site)
    tab.on("websocket", lambda ws: ws.on(
        "framereceived",
        lambda p: seen.frames.append(p if isinstance(p, bytes) else p.encode("utf-8"))))
    try:
        yield seen
    finally:
        context.close()


def at_width(visit: Visit, width: int) -> None:
    """The window ``width`` px wide, the page redrawn for it."""
    visit.tab.set_viewport_size({"width": width, "height": 900})
    visit.idle()


def shot(visit: Visit, name: str, width: int) -> Path | None:
    """The whole board page as it stands at ``width`` px (Streamlit scrolls inside its
    main block: the window is made as tall as the page for the shot), when
    ``KHI_SHOTS`` is set; the window is left ``width`` px wide either way."""
    at_width(visit, width)
    if not SHOTS_WANTED:
        return None
    SHOTS.mkdir(exist_ok=True)
    height = visit.tab.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    visit.tab.set_viewport_size({"width": width, "height": max(900, height)})
    visit.idle()
    path = SHOTS / f"{name}_{width}.png"
    visit.tab.screenshot(path=str(path), full_page=True)
    at_width(visit, width)
    return path


def test_a_note_written_one_quarter_opens_the_next_quarters_page_and_pdf(
    visit: Visit, site: Site, tmp_path: Path
) -> None:
    own = site.store.user(CHAIR)["scheme_ids"][0]
    then = shift_quarter(DEMO_END_QUARTER, -1)
    visit.sign_in(CHAIR)

    # Last quarter: the board writes its note on "warm and kind".
    visit.open("board?" + urlencode({"scheme": own, "quarter": quarter_label(then)}))
    assert visit.tab.locator("h3").filter(has_text=quarter_label(then)).count()
    visit.tab.get_by_text("Write a note for this quarter").click()
    form = visit.tab.locator('[data-testid="stForm"]').first
    form.get_by_test_id("stSelectbox").filter(has_text="Indicator").click()
    visit.tab.keyboard.type("warm and kind")  # the list is long: typed, as people do
    visit.tab.get_by_role("option", name="Supporters are warm and kind").click()
    form.get_by_label("What was discussed").fill(DISCUSSED)
    form.get_by_label("What will be done (optional)").fill(ACTION)
    form.get_by_label("Who will do it (optional)").fill("Chair")
    form.get_by_label("By when (optional)").fill("2026-09-30")
    form.get_by_role("button", name="Save the note").click()
    visit.tab.get_by_text("Note saved on Supporters are warm and kind").wait_for()
    visit.idle()
    (stored,) = notes_for(site.store, scope_for(site.store, CHAIR), area=f"scheme:{own}",
                          quarter=then)
    assert (stored.discussed, stored.action, stored.written_by) == (DISCUSSED, ACTION, CHAIR)
    # This quarter's notes under its domain, as typed (the HTML tag as letters).
    notes = visit.tab.locator("h4").filter(has_text="Notes this quarter")
    notes.wait_for()
    assert DISCUSSED in visit.tab.locator('[data-testid="stMain"]').inner_text()
    assert visit.tab.locator('[data-testid="stMain"] b').filter(has_text="Leeds").count() == 0
    assert visit.tab.locator('[data-testid="stMain"] a[href*="evil"]').count() == 0  # no link
    for width in (1400, 800):
        shot(visit, "board_note_written", width)

    # The next quarter: the page opens with "Last quarter" and the note.
    visit.open("board?" + urlencode({"scheme": own, "quarter": quarter_label(DEMO_END_QUARTER)}))
    opening = visit.tab.locator("h3").filter(has_text=f"Last quarter ({quarter_label(then)})")
    opening.wait_for()
    main = visit.tab.locator('[data-testid="stMain"]').inner_text()
    assert f"Discussed: {DISCUSSED}" in main and f"Action: {ACTION}" in main
    assert "Who: Chair; by: 2026-09-30" in main
    assert main.index("Last quarter") < main.index("Summary")
    for width in (1400, 800):
        shot(visit, "board_next_quarter", width)
        # Nothing wider than the window: the long texts wrap.
        assert visit.tab.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollWidth "
            "<= document.querySelector('[data-testid=\"stMain\"]').clientWidth + 1")

    with visit.tab.expect_download(timeout=120_000) as info:
        visit.tab.get_by_role("button", name="Board pack (PDF)").click()
    pdf = tmp_path / "pack.pdf"
    info.value.save_as(pdf)
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "board_next_quarter.pdf").write_bytes(pdf.read_bytes())
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    flat = re.sub(r"\s+", " ", text)
    assert f"Last quarter ({quarter_label(then)})" in flat
    assert DISCUSSED in flat and ACTION in flat
    assert leaked(visit.received(), site, {own}) == []
