"""All indicators at a glance (pages/grid.py) under AppTest: the engine's grid as
drawn, each cell marked in words, hidden cells marked, only the viewer's schemes,
and a cell's link opening Indicator detail on that KHI and area."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kpi import indicators as engine
from kpi.catalogue import catalogue, khi
from kpi.indicators import Filters
from kpi.indicators import grid as g
from kpi.items import bank
from kpi.periods import quarter_label
from kpi.scope import ALL_YOURS, add_user
from kpi.store import Store
from kpi.wording import format_value
from tests.apptest_helpers import figure, markdown, open_page, texts

PAGE = "pages/grid.py"
CELL = re.compile(
    r'<td style="[^"]*background:(?P<tint>#[0-9a-f]+)"><a href="(?P<href>[^"]*)" '
    r'target="_self" aria-label="(?P<words>[^"]*)" title="[^"]*" style="[^"]*">'
    r'<span style="[^"]*">(?P<mark>[^<]*)</span>(?P<rest>[^<]*)</a></td>'
)


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def grid_cells(at: AppTest) -> list[dict[str, str]]:
    """Every cell of the drawn grid: its colour, link, words and text (unescaped)."""
    tables = [str(m.value) for m in at.markdown if "<table" in str(m.value)]
    assert len(tables) == 1, "one grid on the page"
    cells = [
        {k: html.unescape(v) for k, v in m.groupdict().items()}
        for m in CELL.finditer(tables[0])
    ]
    return [{**cell, "text": cell["mark"] + cell["rest"]} for cell in cells]


def column_heads(at: AppTest) -> list[str]:
    table = next(str(m.value) for m in at.markdown if "<table" in str(m.value))
    thead = table.split("<thead>")[1].split("</thead>")[0]
    return [html.unescape(h) for h in re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', thead)]


def test_the_grid_shows_every_khi_by_every_region_as_the_engine_says(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(monkeypatch, demo_store, PAGE)
    assert not at.exception, [e.value for e in at.exception]
    label = quarter_label(engine.latest_quarter(demo_store))
    expected = g.overview_grid(demo_store, label)
    cells = grid_cells(at)
    assert column_heads(at) == ["Indicator", *bank().region_names]
    assert len(cells) == len(expected)
    # Row by row in the engine's order: the same words, marks and colours.
    for cell, row in zip(cells, expected.itertuples()):
        assert cell["text"] == row.cell
        assert cell["words"] == row.words
    statuses = set(expected["status"])
    assert {"better", "worse", "similar"} <= statuses  # the demo has all three
    worse = expected.index[expected["status"] == "worse"][0]
    assert cells[worse]["text"].startswith("▼ ") and "worse than England" in cells[worse]["words"]
    better = expected.index[expected["status"] == "better"][0]
    assert cells[better]["text"].startswith("▲ ")
    assert cells[worse]["tint"] != cells[better]["tint"]
    # The legend says every mark in words; the counts and the CSV are there.
    page = texts(at.caption)
    assert "▼ worse than England" in page and "⊘ hidden" in page
    assert at.get("download_button")


def test_hidden_cells_are_marked_and_a_region_is_the_benchmark(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(
        monkeypatch, demo_store, PAGE, params={"region": "London"},
        state={"grid_columns": "scheme", "grid_bench": "region"},
    )
    assert not at.exception, [e.value for e in at.exception]
    cells = grid_cells(at)
    hidden = [c for c in cells if c["text"] == "⊘ hidden"]
    assert hidden and all("hidden: too few answers" in c["words"] for c in hidden)
    assert not any(re.search(r"\d", c["text"]) for c in hidden)
    shown = [c for c in cells if c["text"][:1] in "▲●▼"]
    assert shown and all("London" in c["words"] for c in shown if c["text"][:1] != "○")
    names = set(demo_store.schemes().query("region == 'London'")["name"])
    assert set(column_heads(at)[1:]) == names


def test_a_scheme_user_sees_only_their_scheme(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    import shutil

    store = Store(tmp_path / "khi.duckdb")
    shutil.copyfile(demo_store.path, store.path)
    register = store.schemes()
    mine, other = register.iloc[0], register.iloc[1]
    add_user(store, "staff@scheme.example", "scheme", [str(mine["scheme_id"])], by="test")
    # Their whole area chosen (not only their scheme): scope alone keeps the others out.
    at = open_page(
        monkeypatch, store, PAGE, params={"region": ALL_YOURS, "scheme": "All schemes"},
        KHI_AS="staff@scheme.example",
    )
    assert not at.exception, [e.value for e in at.exception]
    assert column_heads(at) == ["Indicator", str(mine["name"])]
    assert not [r for r in at.radio if r.key == "grid_columns"]  # nothing else to choose
    assert "Columns  \nSchemes" in markdown(at)
    every = "\n".join(str(m.value) for m in at.markdown)
    assert str(other["name"]) not in every
    scored = [k for k in catalogue() if k.measure != "change"]
    assert len(grid_cells(at)) == len(scored)


def test_a_cell_opens_indicator_detail_on_that_khi_and_area(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(
        monkeypatch, demo_store, PAGE, params={"region": "London"},
        state={"grid_columns": "scheme"},
    )
    cell = next(c for c in grid_cells(at) if c["text"][:1] in "▲●▼")
    address = urlsplit(cell["href"])
    assert address.path == "indicator"  # relative: the Indicator detail page
    params = dict(parse_qsl(address.query))
    label = quarter_label(engine.latest_quarter(demo_store))
    assert params["quarter"] == label and params["region"] == "London"
    st.cache_resource.clear()
    detail = open_page(monkeypatch, demo_store, "pages/indicator.py", params=params)
    assert not detail.exception, [e.value for e in detail.exception]
    assert detail.selectbox(key="indicator_khi").value == params["khi"]
    # The run chart is the chosen scheme's: the area named in its title.
    name = params["scheme"]
    scheme_name = str(demo_store.schemes().set_index("scheme_id").loc[name, "name"])
    title = str(figure(detail, "indicator_trend")["layout"]["title"]["text"])
    assert scheme_name in title, title
    assert cell["words"].split(":")[0].endswith(scheme_name)
    # And the cell's value is the engine's for that scheme.
    row = engine.indicator_table(
        demo_store, khis=[params["khi"]], quarter=label, filters=Filters(scheme_ids=(name,))
    ).iloc[0]
    assert cell["text"][2:] == format_value(row["value"], khi(params["khi"]))


def test_a_hostile_scheme_name_is_shown_as_text(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpi import ingest
    from tests.builders import make_store
    from tests.test_escaping import HOSTILE, survey

    store = make_store(tmp_path / "khi.duckdb", [("SL001", HOSTILE, "North West"),
                                                 ("SL002", "Bramhall", "North West")])
    for scheme in ("SL001", "SL002"):
        assert ingest.ingest_bytes(store, survey(), f"{scheme}.csv", scheme).accepted == 12
    at = open_page(monkeypatch, store, PAGE, params={"region": "North West"},
                   state={"grid_columns": "scheme"}, KHI_NO_DEMO="1")
    assert not at.exception, [e.value for e in at.exception]
    grid = next(str(m.value) for m in at.markdown if "<table" in str(m.value))
    assert "attacker.example" in grid  # the name is there, as text
    assert "<img" not in grid and "&lt;img src=http://attacker.example/q&gt;" in grid
    assert HOSTILE in column_heads(at)
    assert all(HOSTILE in c["words"] for c in grid_cells(at) if "Bramhall" not in c["words"])


def test_an_empty_store_is_welcomed(fresh_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(monkeypatch, fresh_store, PAGE, KHI_NO_DEMO="1")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert "no survey data yet" in texts(at.info)
    assert not [m for m in at.markdown if "<table" in str(m.value)]
