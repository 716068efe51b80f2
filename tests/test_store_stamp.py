"""The store's change stamp (``Store.change_stamp``): every page's cache keys on it,
so it must change on every committed write and stay put otherwise."""

from __future__ import annotations

import pandas as pd

from kpi.store import Store
from tests.builders import make_store


def test_the_stamp_changes_on_a_write_and_only_then(tmp_path) -> None:
    missing = Store(tmp_path / "none.duckdb")
    assert missing.change_stamp() == Store(tmp_path / "none.duckdb").change_stamp()
    store = make_store(tmp_path / "khi.duckdb", [("S1", "Tynemere Shared Lives", "North East")])
    before = store.change_stamp()
    assert before != missing.change_stamp()
    store.schemes()  # a read
    assert store.change_stamp() == before
    with store.transaction() as con:  # a committed write
        store.upsert_schemes(con, pd.DataFrame(
            [("S2", "Lea Bridge Shared Lives", "London")], columns=["scheme_id", "name", "region"]))
    assert store.change_stamp() != before
