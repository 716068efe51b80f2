"""The dashboard's store and its one cache: the store's path and set-up, the
``revision`` every cached result keys on, ``per_revision`` and ``on_store``, and
the engine's reads as the pages call them (cached until the store changes).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import streamlit as st

from kpi import downloads
from kpi import indicators as engine
from kpi.paths import default_db_path
from kpi.store import Store


# ----------------------------------------------------------------- the store ---
def db_path() -> Path:
    """The store this dashboard shows: ``KHI_DB`` when set, else data/khi.duckdb."""
    return default_db_path()


def store() -> Store:
    return Store(db_path())


def prepare_store() -> None:
    """Create or upgrade the store once per process; load the demo when it is empty
    (unless ``KHI_NO_DEMO=1``: tests use that to see the empty-store welcome)."""
    _prepare_store(str(db_path()))


# Defined here, not in dashboard.py: a cached function defined in the entry script
# is set up again on every rerun (Streamlit reads its source to key the cache).
@st.cache_resource(show_spinner="Preparing the store…")
def _prepare_store(path: str) -> str:
    store = Store(path)
    store.ensure()
    if store.is_empty() and os.environ.get("KHI_NO_DEMO", "") not in ("1", "true"):
        from kpi.demo import load_demo

        load_demo(store)
    return path


def revision() -> int:
    """The dashboard's one revision counter: the store's change stamp
    (:meth:`kpi.store.Store.change_stamp`), so cached results refresh after a write."""
    return Store(db_path()).change_stamp()


# ------------------------------------------------------------- cached calls ---
P = ParamSpec("P")
R = TypeVar("R")


def per_revision(fn: Callable[P, R], *, spinner: str | bool = False) -> Callable[P, R]:
    """``fn`` cached until the store changes: the dashboard's one cache.

    ``st.cache_resource`` keyed on the store's path, its ``revision()`` and the
    arguments (Streamlit hashes them), so an upload or any other write shows at
    once. ``spinner``: words to show while a result is worked out (never on a
    cached one).

    Two uses. An engine call (through ``on_store``) keeps its result: shared
    between sessions, not copied for each, so pages and chart builders never
    change it in place (they copy first). A part of a page keeps what it draws:
    Streamlit records the elements a cached function draws and replays them on a
    hit, so a warm visit does not build its charts again. Such a part holds no
    widget (no button, input or download), and every input is an argument.

    Why parts are kept: drawn afresh on every visit, they kept people waiting.
    In ``benchmarks/browser_benchmark.py`` (Chromium, a click in the menu to the
    page drawn, 20,000-person demo, a loaded machine) a warm visit took 0.3-0.4 s
    longer on Overview, Indicator detail and Change over time, 1.0-1.3 s on Equity,
    Regions and the board page and 1.6 s on Schemes, most of it building plotly
    figures again; a kept part costs only sending its elements. The Data quality
    page's rerun took a quarter of a second longer (under AppTest). The pages that
    showed no difference keep nothing.

    Each ``fn`` needs a name of its own (no lambda): Streamlit keeps one cache per
    function name.
    """
    if "<" in fn.__qualname__:
        raise TypeError(f"per_revision needs a named module-level function: {fn.__qualname__}")

    def run(path: str, rev: int, *args: P.args, **kwargs: P.kwargs) -> R:
        return fn(*args, **kwargs)

    # Streamlit names a cache after its function: this one after ``fn``.
    run.__module__, run.__qualname__, run.__name__ = fn.__module__, fn.__qualname__, fn.__name__
    cached = st.cache_resource(show_spinner=spinner, max_entries=256)(run)

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return cached(str(db_path()), revision(), *args, **kwargs)

    return call


def on_store(
    fn: Callable[Concatenate[Store, P], R], *, spinner: str | bool = False
) -> Callable[P, R]:
    """``fn(store, ...)`` on the dashboard's store, as ``fn(...)``: typed as the engine's
    own function, cached until the store changes (``per_revision``)."""

    @functools.wraps(fn)
    def on_the_store(*args: P.args, **kwargs: P.kwargs) -> R:
        return fn(Store(db_path()), *args, **kwargs)

    return per_revision(on_the_store, spinner=spinner)


# The engine's reads and the store's, as the pages call them.
available_quarters = on_store(engine.available_quarters)
indicator_table = on_store(engine.indicator_table)
change = on_store(engine.change)
england_table = on_store(engine.england_table)
scheme_spread = on_store(engine.scheme_spread)
latest_shown_quarter = on_store(engine.latest_shown_quarter)
trend = on_store(engine.trend)
control_chart = on_store(engine.control_chart)
equity = on_store(engine.equity)
funnel = on_store(engine.funnel)
answer_distribution = on_store(engine.answer_distribution)
response_rates = on_store(engine.response_rates)
missing_returns = on_store(engine.missing_returns)
item_completeness = on_store(engine.item_completeness)
activity_summary = on_store(engine.activity_summary)
is_demo = on_store(Store.is_demo)
uploads = on_store(Store.uploads)
set_aside = on_store(Store.set_aside)
saved_mappings = on_store(Store.saved_mappings)
# The survey rounds as stored; their state in words ("expired") is worked out on each
# run from it (``kpi.collect.rounds_in_words``), as it moves with the clock.
survey_rounds = on_store(Store.rounds)
data_as_of = on_store(downloads.data_as_of)
