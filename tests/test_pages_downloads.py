"""Every page's CSV of a KHI table under AppTest: the tidy columns
(``kpi.downloads.TIDY_COLUMNS``) first and in order, a file name that says what it
holds, and hidden cells empty.

Each download is caught where every page makes one (``elements.download_row``) and
its file built as a click would build it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pandas as pd
import pytest
import streamlit as st

from kpi.downloads import TIDY_COLUMNS, data_as_of
from kpi.store import Store
from pages.views import _common as c
from pages.views import elements, indicator, schemes
from tests.apptest_helpers import open_page

# page, URL parameters, the CSV downloads of KHI tables it must offer (by key), and
# what each file name must say (after "khi_").
PAGES = [
    ("overview", {}, {"overview_csv": r"every_indicator_London"}),
    ("regions", {}, {"regions_csv": r"[a-z_]+_by_region_England_and_the_nations"}),
    # Schemes: London highlighted among all of England's schemes, so the file holds them all.
    ("schemes", {schemes.VIEWS_KEY: schemes.TABLE},
     {"schemes_table_csv": r"[a-z_]+_by_scheme_England_and_the_nations"}),
    # Indicator detail: each download in its own tab.
    ("indicator", {}, {"indicator_trend_csv": r"[a-z_]+_trend_8_quarters_to_London"}),
    ("indicator", {indicator.VIEWS_KEY: indicator.BY_GROUP},
     {"indicator_by_csv": r"[a-z_]+_by_[a-z_]+_London"}),
    ("change", {}, {"change_csv": r"[a-z_]+_(everyone|by_[a-z_]+)_London"}),
    ("grid", {}, {"grid_csv": r"every_indicator_by_(scheme|region)_London"}),
    ("board", {}, {"board_csv": r"board_London"}),
]
# Downloads that are not a KHI table, and keep their own shape: one question's
# answers (label and per cent), the board's PDF and its charts.
NOT_KHI = {"indicator_answers_csv", "board_pdf", "board_png"}


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize(
    ("page", "params", "wanted"), PAGES, ids=[" ".join([p[0], *p[1].values()]) for p in PAGES]
)
def test_every_khi_csv_has_the_tidy_columns_and_says_what_it_holds(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, page: str, params: dict[str, str],
    wanted: dict[str, str],
) -> None:
    caught: dict[str, elements.Download] = {}
    original = elements.download_row

    def catch(downloads: list[elements.Download]) -> None:
        caught.update({d.key: d for d in downloads})
        original(downloads)

    monkeypatch.setattr(elements, "download_row", catch)
    monkeypatch.setattr(c, "download_row", catch)
    at = open_page(monkeypatch, demo_store, f"pages/{page}.py", {"region": "London", **params})
    assert not at.exception, [e.value for e in at.exception]
    # The page's own buttons (the first run drew the landing page's too).
    drawn = [str(getattr(e, "key", None) or e.proto.id) for e in at.get("download_button")]
    on_page = {key for key in caught if any(key in d for d in drawn)}
    assert set(wanted) <= on_page, sorted(on_page)
    assert on_page - set(wanted) <= NOT_KHI, sorted(on_page)
    as_of = data_as_of(demo_store)
    quarter, label = r"20\d\d-\d\d_Q[1-4]", r"20\d\d/\d\d Q[1-4]"
    for key, what in wanted.items():
        download = caught[key]
        assert download.mime == "text/csv"
        pattern = rf"khi_{what}_{quarter}_as_of_{as_of[:10]}\.csv"
        assert re.fullmatch(pattern, download.file_name), (key, download.file_name)
        text = download.data()
        frame = pd.read_csv(io.StringIO(text), keep_default_na=False, dtype=str)
        assert list(frame.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS.values()), key
        assert len(frame), key
        assert (frame["Data as of"] == as_of).all(), key
        assert (frame["Indicator code"] != "").all() and (frame["Area"] != "").all(), key
        assert frame["Quarter"].str.fullmatch(label).all(), key
        hidden = frame[frame["Hidden (too few answers)"] == "True"]
        numbers = ["Value", "Base (answers)", "Count", "95% interval from", "95% interval to",
                   "99.8% interval from", "99.8% interval to"]
        assert (hidden[numbers] == "").all().all(), key
        shown = frame[frame["Hidden (too few answers)"] == "False"]
        assert len(hidden) + len(shown) == len(frame), key
        assert (shown["Value"] != "").any(), key
        if key in ("indicator_trend_csv", "board_csv"):  # pages with a trend test say it
            assert (frame["Trend"] != "").all(), key
