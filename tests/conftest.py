"""Shared fixtures. Tests never touch data/khi.duckdb: every store is built in tmp_path."""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

import pytest

from kpi.store import Store

# A fixed pseudonymisation secret for tests (never the installation's own).
os.environ.setdefault("KHI_SECRET", "test-secret-not-for-production")
# Streamlit must not try to reach the internet or open a browser.
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")

PROJECT_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_store(tmp_path: Path) -> Store:
    """An initialised, empty store in a temporary folder."""
    store = Store(tmp_path / "khi.duckdb")
    store.init()
    return store


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A small demo sector (read-only by convention: do not write to it)."""
    from kpi.demo import load_demo

    store = Store(tmp_path_factory.mktemp("demo") / "khi.duckdb")
    load_demo(store, people=3000, quarters=4, seed=7)
    return store


# The tiers of tests/README.md by file, as markers, so ``make check`` (the inner loop:
# lint, unit, golden, ingest) can leave out what opens pages, processes or browsers.
_TIER_BY_PREFIX = (
    ("test_pages_", "pages"), ("test_page_", "pages"), ("test_escaping", "pages"),
    ("test_docs", "pages"), ("test_cli_", "cli"), ("test_users", "cli"),
    ("test_disclosure_attack", "slow"),
)
# ...and by what a test does, for the files that mix kinds: a test whose code (or a
# helper or fixture of its module that it calls) opens a page under AppTest is
# ``pages``; one that starts a process of its own is ``process``.
_TIER_BY_CALL = (
    ("pages", ("open_page(", "AppTest")),
    ("process", ("subprocess.run(", "Popen(", "run_kpi_process(", "kill_when_paused(",
                 "running_dashboard(")),
)


# ``make test`` runs ``pytest -n 2 --dist loadgroup``: a file whose tests share a
# module-scoped dashboard (a sign-in provider and a server of its own) runs on one
# worker, so that dashboard starts once; every other test goes to whichever worker is
# free. The slowest tiers are handed out first, so no long file is left for the end
# while the other worker waits; within a file the order is the file's own.
_ONE_WORKER = ("test_signin.py", "test_sessions.py", "test_roles.py")
_FIRST = ("browser", "pages", "slow", "process", "cli")
_SLOWEST = ("test_sessions.py", "test_roles.py", "test_signin.py", "test_accessibility.py",
            "test_pages_explore.py", "test_pages_data.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _mark_tiers(items)
    for item in items:
        if Path(str(item.fspath)).name in _ONE_WORKER:
            item.add_marker(pytest.mark.xdist_group(Path(str(item.fspath)).stem))
    rank: dict[str, int] = {}
    for item in items:  # a file goes with its slowest tier, whole (its module fixtures once)
        rank[str(item.fspath)] = min(rank.get(str(item.fspath), len(_FIRST)), _order(item))
    items.sort(key=lambda item: (rank[str(item.fspath)], _slowest(item)))


def _slowest(item: pytest.Item) -> int:
    """The slowest files (measured: tests/README.md) first within their tier."""
    name = Path(str(item.fspath)).name
    return _SLOWEST.index(name) if name in _SLOWEST else len(_SLOWEST)


def _order(item: pytest.Item) -> int:
    """The tiers of ``_FIRST`` in that order, then the rest (a stable sort)."""
    for rank, tier in enumerate(_FIRST):
        if item.get_closest_marker(tier):
            return rank
    return len(_FIRST)


def _mark_tiers(items: list[pytest.Item]) -> None:
    for item in items:
        name = Path(str(item.fspath)).name
        for prefix, tier in _TIER_BY_PREFIX:
            if name.startswith(prefix):
                item.add_marker(getattr(pytest.mark, tier))
        if Path(str(item.fspath)).parent.name == "browser":
            item.add_marker(pytest.mark.browser)
            continue
        for tier in _tiers_by_call(item):
            item.add_marker(getattr(pytest.mark, tier))


def _tiers_by_call(item: pytest.Item) -> set[str]:
    """The tiers of ``_TIER_BY_CALL`` that the test's code, or a fixture it uses, reaches."""
    function = getattr(item, "function", None)
    if function is None:
        return set()
    reached = _module_tiers(item.module)
    found = set().union(*(reached.get(n, set()) for n in _names_used(function)))
    fixtures = getattr(item, "_fixtureinfo", None)
    for name in getattr(fixtures, "names_closure", ()):
        for definition in fixtures.name2fixturedefs.get(name, ()):
            found |= _function_tiers(definition.func)
    return found


_MODULE_TIERS: dict[str, dict[str, set[str]]] = {}


def _module_tiers(module) -> dict[str, set[str]]:
    """For each function of ``module`` (tests, helpers, fixtures), the tiers it reaches,
    directly or through the module's other functions (to a fixed point)."""
    if module.__name__ in _MODULE_TIERS:
        return _MODULE_TIERS[module.__name__]
    functions = {
        name: value for name, value in vars(module).items()
        if inspect.isfunction(value) and getattr(value, "__module__", None) == module.__name__
    }
    functions.update({
        name: value.__wrapped__ for name, value in vars(module).items()
        if hasattr(value, "__wrapped__") and inspect.isfunction(value.__wrapped__)
    })
    tiers = {name: _direct_tiers(f) for name, f in functions.items()}
    uses = {name: _names_used(f) & set(functions) for name, f in functions.items()}
    changed = True
    while changed:
        changed = False
        for name in functions:
            more = set().union(tiers[name], *(tiers[u] for u in uses[name]))
            if more != tiers[name]:
                tiers[name], changed = more, True
    _MODULE_TIERS[module.__name__] = tiers
    return tiers


def _function_tiers(function) -> set[str]:
    function = inspect.unwrap(function)
    module = inspect.getmodule(function)
    if module is None:
        return _direct_tiers(function)
    return _module_tiers(module).get(function.__name__, set()) | _direct_tiers(function)


def _direct_tiers(function) -> set[str]:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return set()
    return {tier for tier, calls in _TIER_BY_CALL if any(c in source for c in calls)}


def _names_used(function) -> set[str]:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return set()
    return set(re.findall(r"\b([A-Za-z_]\w*)\b", source))
