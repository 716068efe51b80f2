"""One decision, one set of words: the Overview tile, the Board page's row and the
PDF must give the same verdict for the same cell (issue 27).

Each surface words the verdict its own way ("Down 35 points: an improvement, a real
change (99.8% level)" on a tile; "▼ Fell: an improvement · 40% → 5% · very unlikely
to be chance" on the board and in the PDF), so the test reads back what each one
says (improvement, worsening, could be chance, too few) and at what level.
"""

from __future__ import annotations

import re

import pytest

from kpi import indicators as engine
from kpi.board import board_summary
from kpi.board.layout import COLUMNS
from kpi.board.pack_html import pack_html
from kpi.board.pdf import render_untagged_pdf
from kpi.board.tile import rows_by_code, tile_change
from kpi.catalogue import khi
from kpi.indicators import Filters
from kpi.store import Store
from pages.views import board as board_page
from tests.test_board import PREVIOUS, Q, constructed  # noqa: F401 - the fixture
from tests.test_report import pdf_text

CODE = "lonely_often"


def verdict(text: str) -> tuple[str, str]:
    """(what, level) as a reader takes it from any of the three surfaces."""
    low = text.lower()
    if "improvement" in low:
        what = "improvement"
    elif "worsening" in low:
        what = "worsening"
    elif "could be chance" in low:
        what = "could be chance"
    elif "too few" in low or text.strip() in ("–", ""):
        what = "too few"
    else:
        raise AssertionError(f"no verdict in {text!r}")
    level = ""
    if "99.8% level" in low or "very unlikely to be chance" in low:
        level = "99.8%"
    elif "95% level" in low or "unlikely to be chance" in low:
        level = "95%"
    return what, level


def tile_words(store: Store, scheme: str) -> str:
    """The Overview tile's "since last quarter" line, from the engine's two tables."""
    filters = Filters(scheme_ids=(scheme,))

    def row(quarter):
        table = engine.indicator_table(store, khis=[CODE], quarter=quarter, filters=filters)
        return rows_by_code(table).get(CODE)

    return tile_change(khi(CODE), row(Q), row(PREVIOUS), PREVIOUS,
                       engine.default_settings())


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [("S1", ("improvement", "99.8%")),  # 40% -> 5% of 400: real
     ("S2", ("could be chance", "")),  # 10 -> 12 of 30: noise
     ("S3", ("too few", ""))],  # 3 people this quarter: hidden
)
def test_tile_board_row_and_pdf_give_the_same_verdict(
    constructed: Store, scheme: str, expected: tuple[str, str]  # noqa: F811
) -> None:
    pack = board_summary(constructed, quarter=Q, scheme=scheme)
    row = pack.row(CODE)
    tile = tile_words(constructed, scheme)
    board = board_page.domain_table([row], pack).iloc[0][board_page.TABLE_COLUMNS[2]]
    # The tagged PDF is this HTML printed: its "Since last quarter" cell.
    html = pack_html(pack)
    cells = re.findall(r'<tr class="khi">(.*?)</tr>', html, re.S)
    name = re.escape(row.name)
    html_row = next(c for c in cells if re.search(name, c))
    html_cell = re.sub(r"<[^>]+>", " ", re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html_row, re.S)[2])
    assert COLUMNS[2][0] == "Since last quarter"
    assert verdict(tile) == verdict(board) == verdict(html_cell) == expected, (
        tile, board, html_cell)
    # The untagged PDF (fpdf2) prints the same words.
    untagged = pdf_text(render_untagged_pdf(pack, charts={}))
    board_first_line = board.split(" · ")[0]
    if board_first_line != "–":
        assert board_first_line in untagged
