"""The Board page under Streamlit's AppTest: runs on demo data and on an empty store,
and shows exactly the board pack's numbers and sentences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi import report
from kpi.board import BoardPack, board_summary
from kpi.indicators import latest_quarter
from kpi.periods import quarter_label
from kpi.store import Store

PROJECT_DIR = Path(__file__).resolve().parents[1]


def open_board(monkeypatch: pytest.MonkeyPatch, store: Store) -> AppTest:
    monkeypatch.setenv("KHI_DB", str(store.path))
    at = AppTest.from_file(str(PROJECT_DIR / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/board.py").run()
    return at


def shown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def plain(cells: object) -> list[str]:
    """A table column's text without the page's Markdown colour (``:blue[...]``)."""
    return [re.sub(r"^:(blue|orange)\[(.*)\]$", r"\2", str(v)) for v in cells]


def assert_page_shows(at: AppTest, pack: BoardPack) -> None:
    assert [s.value for s in at.subheader] == [f"{pack.area_label} · {pack.quarter_label}"]
    text = shown_text(at).replace("\\", "")  # the page escapes Markdown characters
    for sentence in pack.summary:
        assert sentence in text
    domains = pack.domains()
    assert len(at.table) == len(domains)
    for (_, rows), table in zip(domains, at.table):
        frame = table.value
        assert list(frame.index) == [r.name for r in rows]
        assert plain(frame["This quarter"]) == [
            report.value_words(r, pack.settings.min_base).replace("\n", " · ") for r in rows
        ]
        assert plain(frame["Since last quarter"]) == [
            report.change_words(r, "quarter")[0].replace("\n", " · ") for r in rows
        ]
        assert plain(frame["Compared with England"]) == [
            report.benchmark_words(r, pack)[0].replace("\n", " · ") for r in rows
        ]


def test_board_page_shows_the_board_pack(demo_store: Store, monkeypatch) -> None:
    at = open_board(monkeypatch, demo_store)
    assert not at.exception
    quarter = at.selectbox(key="board_quarter").value
    # Defaults to the sidebar's default: the latest quarter with data.
    assert quarter == quarter_label(latest_quarter(demo_store))
    assert_page_shows(at, board_summary(demo_store, quarter=quarter))
    assert "Demo data" in "\n".join(w.value for w in at.warning)


def test_choosing_a_region_shows_its_pack(demo_store: Store, monkeypatch) -> None:
    at = open_board(monkeypatch, demo_store)
    at.selectbox(key="board_area").set_value("region:London").run()
    assert not at.exception
    quarter = at.selectbox(key="board_quarter").value
    assert_page_shows(at, board_summary(demo_store, quarter=quarter, region="London"))


def test_empty_store_shows_the_way_in(fresh_store: Store, monkeypatch) -> None:
    monkeypatch.setenv("KHI_NO_DEMO", "1")
    at = open_board(monkeypatch, fresh_store)
    assert not at.exception
    assert "no survey data yet" in "\n".join(i.value for i in at.info)
    assert not at.table
