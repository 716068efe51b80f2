"""The Board page under Streamlit's AppTest: runs on demo data and on an empty store,
and shows exactly the board pack's numbers and sentences."""

from __future__ import annotations

import base64
import html
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi import charts
from kpi.board import BoardPack, board_summary, layout
from kpi.indicators import Filters, latest_quarter, latest_shown_quarter
from kpi.periods import quarter_label, shift_quarter
from kpi.scope import add_user
from kpi.store import Store
from kpi.wording import board as board_words
from kpi.wording.board import control_cell
from pages.views.board import CONTROL, RUN_CHART_SIZE, TREND
from tests.apptest_helpers import open_page, static_tables
from tests.test_board import (  # noqa: F401
    NW_IMPROVING,
    NW_WORSE,
    NW_WORSENING,
    SPC_SPECIAL,
    SPC_WATCH,
    SPC_WORSE,
    Q,
    north_west,
    spc_board,
)

PROJECT_DIR = Path(__file__).resolve().parents[1]


def open_board(
    monkeypatch: pytest.MonkeyPatch, store: Store, params: dict[str, str] | None = None
) -> AppTest:
    """The Board page on ``store``, for the sidebar's filters in ``params`` (a link's)."""
    return open_page(monkeypatch, store, "pages/board.py", params)


def shown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def plain(cells: object) -> list[str]:
    """A table column's text without the page's colour (``<span class="good">``)."""
    return [re.sub(r'^<span class="(good|bad)">(.*)</span>$', r"\2", str(v)) for v in cells]


def flags_shown(at: AppTest) -> dict[str, list[str]]:
    """The page's flag cards: heading -> its lines (or its one "none" sentence)."""
    found = {}
    for label, body in re.findall(r'role="group" aria-label="([^"]+)"[^>]*>(.*?)</div>',
                                  shown_text(at)):
        lines = re.findall(r"<(?:li|p)\b[^>]*>(.*?)</(?:li|p)>", body)
        found[html.unescape(label)] = [html.unescape(re.sub("<[^>]+>", "", x)) for x in lines]
    return found


def assert_page_shows(at: AppTest, pack: BoardPack) -> None:
    assert [s.value for s in at.subheader] == [f"{pack.area_label} · {pack.quarter_label}"]
    text = shown_text(at).replace("\\", "")  # the page escapes Markdown characters
    for sentence in pack.summary:
        assert sentence in text
    flags = flags_shown(at)
    assert set(flags) == {"Needs attention", "Improved", layout.WATCH_HEADING}
    assert flags[layout.WATCH_HEADING] == (
        [f"? {w.line}" for w in pack.watch] or ["No large change on a small base this quarter."])
    for heading, wanted in (("Needs attention", pack.attention), ("Improved", pack.improved)):
        shown = "\n".join(flags[heading]).lower()  # a grouped reason starts a line
        for flag in wanted:  # every flagged KHI, under its heading, with its reason
            assert flag.name.lower() in shown and flag.reason.lower() in shown
        mark = "!" if heading == "Needs attention" else "✓"
        assert all(line.startswith(mark) for line in flags[heading]) == bool(wanted)
    domains = pack.domains()
    tables = static_tables(at)
    assert len(tables) == len(domains)
    for (_, rows), frame in zip(domains, tables):
        assert list(frame["Indicator"]) == [r.name for r in rows]
        assert plain(frame["This quarter"]) == [
            board_words.value_words(r, pack.settings.min_base).replace("\n", " · ") for r in rows
        ]
        assert plain(frame["Since last quarter"]) == [
            board_words.change_words(r, "quarter")[0].replace("\n", " · ") for r in rows
        ]
        assert plain(frame[CONTROL]) == [control_cell(r) for r in rows]
        assert plain(frame["Compared with England"]) == [
            board_words.benchmark_words(r, pack)[0].replace("\n", " · ") for r in rows
        ]
        # The trend in words, then its run chart: the PDF's SVG, as an image whose
        # text alternative says what it shows.
        words, images = zip(*(str(v).split("<br>", 1) for v in frame[TREND]))
        assert plain(words) == [board_words.trend_words(r)[0] for r in rows]
        for image, row in zip(images, rows):
            found = re.fullmatch(r'<img src="data:image/svg\+xml;base64,([^"]+)"[^>]*'
                                 r' alt="([^"]+)">', image)
            assert found, image[:200]
            svg = base64.b64decode(found[1]).decode()
            assert svg == charts.sparkline_svg(row, *RUN_CHART_SIZE, labelled=True)
            assert html.unescape(found[2]) == charts.chart_alt(row)
    assert not at.get("plotly_chart")  # nothing left for plotly to draw


def test_board_page_shows_the_board_pack(demo_store: Store, monkeypatch) -> None:
    at = open_board(monkeypatch, demo_store)
    assert not at.exception
    # The sidebar's quarter: by default the latest with data.
    quarter = quarter_label(latest_quarter(demo_store))
    pack = board_summary(demo_store, quarter=quarter)
    assert pack.attention or pack.improved  # so the flags' check below checks something
    assert_page_shows(at, pack)
    assert "Demo data" in "\n".join(w.value for w in at.warning)


def test_the_sidebars_region_and_quarter_choose_the_pack(demo_store: Store, monkeypatch) -> None:
    earlier = quarter_label(shift_quarter(latest_quarter(demo_store), -1))
    at = open_board(monkeypatch, demo_store, {"region": "London", "quarter": earlier})
    assert not at.exception
    assert_page_shows(at, board_summary(demo_store, quarter=earlier, region="London"))


def test_the_sidebars_scheme_chooses_the_pack(demo_store: Store, monkeypatch) -> None:
    scheme = demo_store.schemes().iloc[0]
    link = {"region": scheme["region"], "scheme": scheme["scheme_id"]}
    at = open_board(monkeypatch, demo_store, link)
    assert not at.exception
    quarter = quarter_label(latest_quarter(demo_store))
    assert_page_shows(at, board_summary(demo_store, quarter=quarter, scheme=scheme["scheme_id"]))


def test_a_user_limited_to_some_schemes_is_asked_to_choose_one(
    demo_store: Store, monkeypatch, tmp_path: Path
) -> None:
    register = demo_store.schemes()
    # Two schemes in two regions: no one area is theirs to open on.
    first = register.iloc[0]
    second = register[register["region"] != first["region"]].iloc[0]
    store = Store(tmp_path / "khi.duckdb")  # a copy: the shared demo store stays read-only
    shutil.copyfile(demo_store.path, store.path)
    add_user(store, "staff@scheme.example", "scheme",
             [first["scheme_id"], second["scheme_id"]], by="test")
    at = open_page(monkeypatch, store, "pages/board.py", KHI_AS="staff@scheme.example")
    assert not at.exception
    assert "Choose one of your schemes" in "\n".join(i.value for i in at.info)
    assert not static_tables(at)


def test_a_user_with_one_scheme_finds_its_board_page_chosen(
    demo_store: Store, monkeypatch, tmp_path: Path
) -> None:
    """No hunting: their only scheme is already chosen, in the latest quarter it can
    show. (A board member lands on this page by itself: the browser tier's
    tests/browser/test_roles.py, as AppTest runs a switched page without the entry
    script's sidebar.)"""
    scheme = str(demo_store.schemes()["scheme_id"].iloc[3])
    store = Store(tmp_path / "khi.duckdb")
    shutil.copyfile(demo_store.path, store.path)
    add_user(store, "staff@scheme.example", "scheme", [scheme], by="test")
    at = open_page(monkeypatch, store, "pages/board.py", KHI_AS="staff@scheme.example")
    assert not at.exception
    shown = latest_shown_quarter(store, Filters(scheme_ids=(scheme,), scope=(scheme,)))
    assert_page_shows(at, board_summary(store, quarter=shown, scheme=scheme))


def test_empty_store_shows_the_way_in(fresh_store: Store, monkeypatch) -> None:
    monkeypatch.setenv("KHI_NO_DEMO", "1")
    at = open_board(monkeypatch, fresh_store)
    assert not at.exception
    assert "no survey data yet" in "\n".join(i.value for i in at.info)
    assert not static_tables(at)


def test_the_page_lists_exactly_the_constructed_exceptions(
    north_west: Store, monkeypatch  # noqa: F811 - the fixture from tests.test_board
) -> None:
    """North West: worse than England on two named KHIs, one worsening, one improving."""
    at = open_board(monkeypatch, north_west, {"region": "North West", "quarter": quarter_label(Q)})
    assert not at.exception
    pack = board_summary(north_west, quarter=Q, region="North West")
    assert_page_shows(at, pack)
    names = {r.code: r.name for r in pack.rows}
    flags = flags_shown(at)
    listed = {heading: {code for code, name in names.items()
                        if any(line.startswith(f"{mark} {name}:") for line in lines)}
              for (heading, lines), mark in zip(flags.items(), ("!", "✓", "?"))}
    assert listed == {"Needs attention": {*NW_WORSE, NW_WORSENING},
                      "Improved": {NW_IMPROVING}, layout.WATCH_HEADING: set()}
    text = shown_text(at).replace("\\", "")
    assert "worse than England on 2 of 4 indicators compared, better on 0 and similar on 2" in text
    assert "level)" not in text


def test_the_page_says_the_special_cause_the_watch_list_and_worse_than_england(
    spc_board: Store, monkeypatch  # noqa: F811 - the fixture from tests.test_board
) -> None:
    """One KHI with a special cause, one only on the watch list, one worse than England."""
    at = open_board(monkeypatch, spc_board, {"region": "North West", "quarter": quarter_label(Q)})
    assert not at.exception
    pack = board_summary(spc_board, quarter=Q, region="North West")
    assert_page_shows(at, pack)
    names = {r.code: r.name for r in pack.rows}
    flags = flags_shown(at)
    assert flags[layout.WATCH_HEADING] == [
        f"? {names[SPC_WATCH]}: 41% → 59% since last quarter on 22 answers this quarter: "
        "too few to tell, worth a look."]
    assert not any(names[SPC_WATCH] in line for line in flags["Needs attention"]
                   + flags["Improved"])
    text = shown_text(at).replace("\\", "")
    assert (f"Control chart, special cause variation (concerning): {names[SPC_SPECIAL]}."
            in text)
    assert ("Worse than England, with no special cause on its control chart: "
            f"{names[SPC_WORSE]}.") in text
    controls = {name: cell for frame in static_tables(at)
                for name, cell in zip(frame["Indicator"], plain(frame[CONTROL]))}
    assert controls[names[SPC_SPECIAL]].startswith(
        "Special cause variation, concerning (8 points, trial limits): the latest point is "
        "above the upper process limit")
    assert controls[names[SPC_WORSE]] == (
        "Not enough quarters yet (1 of the 6 a control chart needs).")
    assert "significant" not in text.lower()
