"""Small stores built by hand for the unit tests (one copy, shared by the test modules)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpi.store import Store


def make_store(path: Path, schemes: list[tuple[str, str, str]]) -> Store:
    """An empty store with a scheme register of (scheme_id, name, region)."""
    store = Store(path)
    store.init()
    frame = pd.DataFrame(schemes, columns=["scheme_id", "name", "region"])
    with store.transaction() as con:
        store.upsert_schemes(con, frame)
    return store
