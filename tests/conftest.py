"""Shared fixtures. Tests never touch data/khi.duckdb: every store is built in tmp_path."""

from __future__ import annotations

import os
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = Path(str(item.fspath)).name
        for prefix, tier in _TIER_BY_PREFIX:
            if name.startswith(prefix):
                item.add_marker(getattr(pytest.mark, tier))
        if Path(str(item.fspath)).parent.name == "browser":
            item.add_marker(pytest.mark.browser)
