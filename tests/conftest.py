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
