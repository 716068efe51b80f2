"""Shared fixtures. Tests never touch data/khi.duckdb: every store is built in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kpi.store import Store
from tests.tiers import tiers_by_call

# A fixed pseudonymisation secret for tests (never the installation's own).
os.environ.setdefault("KHI_SECRET", "test-secret-not-for-production")
# Streamlit must not try to reach the internet or open a browser.
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")

PROJECT_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_store(tmp_path: Path) -> Store:
    """An initialised, empty store in a temporary folder (a copy of one built once)."""
    from tests.builders import empty_store

    return empty_store(tmp_path / "khi.duckdb")


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
# ...and by what a test does (tests/tiers.py), for the files that mix kinds.


# ``make test`` runs ``pytest -n 3 --dist loadfile --no-loadscope-reorder``: every file
# runs whole on one worker, so a file whose tests share a module-scoped dashboard or
# walk (a sign-in provider and a server of its own, the accessibility walk) starts it
# once. The files are handed out longest first (measured: one worker's time for each
# file in a full run, benchmarks/timeline_plugin.py), so no long file is left for the end while the
# other workers wait; the rest follow by tier. Without --no-loadscope-reorder, xdist
# hands out the files with the most tests first, whatever this order: the browser
# files, a few long tests each, came last.
_FIRST = ("browser", "pages", "slow", "process", "cli")
_SLOWEST = (
    "test_roles.py", "test_roles_board_admin.py", "test_sessions.py",
    "test_disclosure_attack.py", "test_shared_links.py", "test_indicators.py",
    "test_accessibility.py", "test_questionnaire_form.py", "test_board.py",
    "test_pages_explore.py", "test_tabs.py", "test_rounds.py", "test_backup.py",
    "test_report.py", "test_scope.py", "test_ingest.py", "test_grid_page.py",
    "test_round_load.py", "test_schemes_area.py", "test_rights.py", "test_pages_replay.py",
    "test_page_board.py", "test_signin.py", "test_board_notes.py", "test_collect.py",
    "test_page_notes.py",
)


@pytest.hookimpl(tryfirst=True)  # the tiers' markers before -m deselects by them
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _mark_tiers(items)
    rank: dict[str, int] = {}
    for item in items:  # a file goes with its slowest tier, whole (its module fixtures once)
        rank[str(item.fspath)] = min(rank.get(str(item.fspath), len(_FIRST)), _order(item))
    items.sort(key=lambda item: (_slowest(item), rank[str(item.fspath)]))


def _slowest(item: pytest.Item) -> int:
    """The slowest files (measured: tests/README.md) first, longest first."""
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
        for tier in tiers_by_call(item):
            item.add_marker(getattr(pytest.mark, tier))
