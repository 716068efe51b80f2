"""A warm rerun draws exactly what the first run drew, and the one cache the
pages use (``pages.views.cache.on_store``) refreshes when the store changes.

The engine's results and the sidebar's lists are cached per store revision and
shared between sessions; if a page changed a cached result in place, the page a
user sees after any click would differ from the first.
"""

from __future__ import annotations

import pytest
import streamlit as st

from kpi.indicators import Filters, Settings
from kpi.store import Store
from pages.views import _common as c
from tests.apptest_helpers import drawn, open_page

PAGES = (
    "overview", "grid", "regions", "schemes", "indicator", "equity", "change", "board", "upload",
    "data_quality", "definitions", "yousaid",
)
FILTERS = ("f_quarter", "f_region", "f_scheme", "f_support", "f_who")


@pytest.mark.parametrize("page", PAGES)
def test_a_rerun_replays_the_page_as_first_drawn(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    st.cache_resource.clear()  # the first run below works everything out afresh
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


ran: list[tuple[str, object]] = []


def counted(store: Store, filters: Filters, settings: Settings) -> int:
    """An engine call that records each time it really runs."""
    ran.append((str(store.path), filters))
    return len(ran)


def test_on_store_keys_on_the_arguments_and_the_store_revision(
    fresh_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KHI_DB", str(fresh_store.path))
    st.cache_resource.clear()
    ran.clear()
    call = c.on_store(counted)
    london = Filters(regions=("London",))
    first = call(london, Settings())
    assert call(london, Settings()) == first  # the same view: not worked out again
    assert ran == [(str(fresh_store.path), london)]  # on the dashboard's store
    assert call(Filters(regions=("North East",)), Settings()) != first
    assert call(Filters(scheme_ids=("London",)), Settings()) != first
    assert call(london, Settings(min_base=10)) != first
    runs = len(ran)
    fresh_store.save_mappings("SL001", {"a column": "q_lonely"})  # any write
    assert call(london, Settings()) == runs + 1  # a write shows at once


def test_on_store_refuses_a_function_without_a_name_of_its_own() -> None:
    # Streamlit keeps one cache per function name: two lambdas would share one.
    with pytest.raises(TypeError, match="lambda"):
        c.on_store(lambda store, x: x)
