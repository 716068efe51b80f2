"""A warm rerun draws exactly what the first run drew.

The pages draw their widget-free parts once per view and store revision and
replay them after (``pages.views._common.replayed``); the engine's results and the
sidebar's lists are cached the same way. If a replay dropped or changed an
element, the page a user sees after any click would differ from the first.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import streamlit as st

from kpi.indicators import Filters, Settings
from kpi.store import Store
from pages.views import _common as c
from tests.apptest_helpers import drawn, open_page

PAGES = (
    "overview", "regions", "schemes", "indicator", "equity", "change", "board", "upload",
    "data_quality", "definitions",
)
FILTERS = ("f_quarter", "f_region", "f_scheme", "f_support", "f_who")


@pytest.mark.parametrize("page", PAGES)
def test_a_rerun_replays_the_page_as_first_drawn(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    st.cache_resource.clear()  # the first run below draws; nothing is replayed yet
    at = open_page(monkeypatch, demo_store)
    # Under AppTest a rerun runs the page without the sidebar (see open_page), so
    # the sidebar's filters are set again before the rerun, as the sidebar would.
    filters = {key: at.session_state[key] for key in FILTERS if key in at.session_state}
    assert filters["f_quarter"]
    at.switch_page(f"pages/{page}.py").run()
    first = drawn(at)
    assert len(first) >= 5, page
    for key, value in filters.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert drawn(at) == first


def test_a_plain_key_tells_filters_apart_and_refuses_frames() -> None:
    one = c.plain_key("q", Filters(regions=("London",)), Settings())
    assert one == c.plain_key("q", Filters(regions=("London",)), Settings())
    assert one != c.plain_key("q", Filters(regions=("North East",)), Settings())
    assert one != c.plain_key("q", Filters(scheme_ids=("London",)), Settings())
    with pytest.raises(TypeError, match="DataFrame"):
        c.plain_key("q", pd.DataFrame({"a": [1]}))

    @dataclasses.dataclass  # not frozen: it could change after it was used as a key
    class Loose:
        value: int = 1

    with pytest.raises(TypeError, match="Loose"):
        c.plain_key(Loose())
