"""Helpers for running dashboard pages under Streamlit's AppTest.

Kept apart from the tests so every page test opens the dashboard the same way
(the real entry script, its sidebar filters and st.navigation) and reads charts
the same way (the Plotly figure JSON Streamlit sends to the browser).
"""

from __future__ import annotations

import base64
import functools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

from kpi.store import Store

PROJECT_DIR = Path(__file__).resolve().parents[1]


def _scan_components_once() -> None:
    """Each new ``AppTest`` scans the metadata of every installed package for Streamlit
    components (``streamlit.components.v2.manifest_scanner``, ~340 packages here): a
    second or more per page test on a loaded machine, measured with cProfile. The
    installed packages do not change while the tests run, so the scan is done once a
    process, as ``streamlit run`` does it once at start-up."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(scan)


_scan_components_once()


def open_page(
    monkeypatch: pytest.MonkeyPatch,
    store: Store,
    page: str | None = None,
    params: dict[str, str] | None = None,
    state: dict[str, object] | None = None,
    **env: str,
) -> AppTest:
    """Run dashboard.py on ``store``, then switch to ``page`` (e.g. "pages/regions.py").

    ``params`` are the URL's filters (``region``, ``scheme``, ``support``, ``who``,
    ``quarter``), as a shared link would carry them; ``state`` presets the page's
    own widgets by key (e.g. ``{"change_by": "support_type"}``).

    Why everything is set before the first run: under AppTest (Streamlit 1.67) a
    rerun of an app using st.navigation runs the page without the entry script,
    so the sidebar neither shows nor re-seeds the filters, and after one more
    run the page sees no quarter. The page switch (run two) still carries the
    first run's filters; a test that needs another view opens a new AppTest.
    ``env`` sets extra environment variables first (e.g. ``KHI_NO_DEMO="1"``).
    """
    monkeypatch.setenv("KHI_DB", str(store.path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(PROJECT_DIR / "dashboard.py"), default_timeout=60)
    at.query_params.update(params or {})
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page is not None:
        at.switch_page(page).run()
    return at


def figure(at: AppTest, key: str) -> dict:
    """The Plotly figure (as JSON) of the chart drawn with ``key=``."""
    for element in at.get("plotly_chart"):
        if getattr(element, "key", None) == key or str(element.proto.id).endswith(f"-{key}"):
            return expand_arrays(json.loads(element.proto.spec))
    keys = [getattr(e, "key", None) for e in at.get("plotly_chart")]
    raise AssertionError(f"no chart with key {key!r}; charts on the page: {keys}")


def expand_arrays(value: object) -> object:
    """Decode Plotly's base64 typed arrays (``{"dtype", "bdata"}``) into lists, at any depth.

    Plotly writes NumPy and pandas values that way; tests compare numbers.
    """
    if isinstance(value, list):
        return [expand_arrays(v) for v in value]
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if value.get("shape"):
                dims = str(value["shape"]).split(",")
                array = array.reshape([int(d) for d in dims])
            return array.tolist()
        return {k: expand_arrays(v) for k, v in value.items()}
    return value


def dataframe_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has ``column``: a grid (st.dataframe), else
    a table drawn as text (``static_tables``: its cells' text, escapes undone).

    Display-only tables carry no key in AppTest's tree, so they are found by
    what they show.
    """
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    for frame in static_tables(at):
        if column in frame.columns:
            return frame
    raise AssertionError(f"no table with a {column!r} column")


def chart_keys(at: AppTest) -> list[str]:
    """Keys of every Plotly chart on the page, in order."""
    return [str(getattr(e, "key", "")) for e in at.get("plotly_chart")]


def texts(elements: object) -> str:
    """Every value of a group of elements (markdown, info, caption...) as one string."""
    return "\n".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def markdown(at: AppTest) -> str:
    """All Markdown on the page, without escapes or bold marks, to search for plain words."""
    return texts(at.markdown).replace("\\", "").replace("**", "")


def trace_values(fig: dict, axis: str = "x", name: str | None = None) -> list[float]:
    """Every non-null ``axis`` value of the figure's traces (or of traces called ``name``)."""
    values: list[float] = []
    for trace in fig.get("data", []):
        if name is not None and trace.get("name") != name:
            continue
        for value in trace.get(axis) or []:
            if isinstance(value, int | float) and value == value:
                values.append(float(value))
    return values


class _Cards(HTMLParser):
    """Reads ``elements.card_grid`` HTML: each card's name and its value part."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, str] = {}
        self._card: str | None = None
        self._in_value = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("role") == "group":
            self._card = found.get("aria-label") or ""
            self.cards[self._card] = ""
        self._in_value = found.get("data-part") == "value"

    def handle_endtag(self, tag: str) -> None:
        self._in_value = False

    def handle_data(self, data: str) -> None:
        if self._in_value and self._card is not None:
            self.cards[self._card] += data


def cards(at: AppTest) -> dict[str, str]:
    """Every card drawn on the page: its name (the group's label) -> its value as shown."""
    parser = _Cards()
    for element in at.markdown:
        parser.feed(str(element.value))
    return parser.cards


def drawn(at: AppTest) -> list[bytes]:
    """Every element of the page's main area as sent to the browser, in order, but
    widgets: theirs carry whether the script set their value in this run."""
    found: list[bytes] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if isinstance(node, Widget):
            found.append(type(node).__name__.encode())
        elif proto is not None and not getattr(node, "children", None):
            found.append(proto.SerializeToString())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return found


class _Tables(HTMLParser):
    """Every ``<table>``'s cells, row by row: their text (``static_table``'s), with any
    HTML inside a cell as it came (the board's coloured words and run charts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif self._cell is not None:  # HTML inside a cell (the board's) kept as it came
            self._cell.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None
        elif self._cell is not None:
            self._cell.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _markdown_table(text: str) -> pd.DataFrame | None:
    rows = [line for line in text.splitlines() if line.startswith("|")]
    if len(rows) < 2:
        return None
    cells = [
        [re.sub(r"\\(.)", r"\1", cell.strip()) for cell in re.split(r"(?<!\\)\|", row)[1:-1]]
        for row in rows
    ]
    return pd.DataFrame(cells[2:], columns=cells[0])


def static_tables(at: object) -> list[pd.DataFrame]:
    """Every table drawn as text on the page (or in one of its blocks, e.g. a tab), in
    page order, as frames of its cells' text (escapes undone): ``c.static_table``'s
    HTML tables and the Markdown tables (the board page's, the questions on
    Definitions)."""
    tables: list[pd.DataFrame] = []

    def walk(node: object) -> None:
        kind = getattr(node, "type", None)
        if kind == "markdown":
            found = _markdown_table(str(node.value))  # type: ignore[attr-defined]
            if found is not None:
                tables.append(found)
        elif kind == "html":
            parser = _Tables()
            parser.feed(str(node.value))  # type: ignore[attr-defined]
            tables.extend(pd.DataFrame(rows[1:], columns=rows[0]) for rows in parser.tables
                          if rows)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main if isinstance(at, AppTest) else at)
    return tables
