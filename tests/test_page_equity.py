"""The Equity page shows its working: every group's base beside its value, the
benchmark line, a gap named only between groups with enough answers, and a
warning about small groups (AppTest on a constructed store)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kpi.store import Store
from tests.apptest_helpers import dataframe_with, figure, markdown, open_page
from tests.builders import add_people, make_store

Q = dt.date(2025, 7, 1)  # 2025/26 Q2


def warm(gender: str, agree: int, total: int) -> pd.DataFrame:
    return pd.DataFrame({"gender": gender,
                         "warm_kind": pd.array([5] * agree + [2] * (total - agree), "Int8")})


@pytest.fixture(scope="module")
def genders(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Warm and kind: women 90% of 200, men 60% of 200, non-binary 1 of 8 (a small
    group, shown but below the comparison minimum of 10); 3 who self-describe and 4 who
    would rather not say (both hidden, so no second cell needs hiding)."""
    store = make_store(tmp_path_factory.mktemp("equity") / "khi.duckdb",
                       [("S1", "Tynemere Shared Lives", "North East")])
    add_people(store, "S1", Q, pd.concat([
        warm("woman", 180, 200), warm("man", 120, 200), warm("non_binary", 1, 8),
        warm("self_describe", 3, 3), warm("not_said", 2, 4)], ignore_index=True))
    return store


def test_equity_shows_bases_benchmark_and_warns_about_small_groups(
    genders: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(monkeypatch, genders, "pages/equity.py", {"quarter": "2025/26 Q2"},
                   state={"equity_khi": "warm_kind", "equity_by": "gender"})
    assert not at.exception, [e.value for e in at.exception]
    text = markdown(at)
    # The gap is between the two large groups, with their bases; never the small one.
    assert ("The gap is 30 percentage points, between Man (200 answered) and Woman "
            "(200 answered).") in text
    assert "really differ" in text
    warnings = " ".join(w.value for w in at.warning)
    assert "Small groups: Non-binary had fewer than 10 answers" in warnings
    assert "Hidden (too few answers to show):" in warnings
    table = dataframe_with(at, "Answered").set_index("Group")
    assert table.loc["Woman", "Answered"] == "200" and table.loc["Woman", "Value"] == "90%"
    assert table.loc["Non-binary", "Answered"] == "8"
    hidden = [g for g in table.index if table.loc[g, "Value"].startswith("Hidden")]
    assert hidden and all(table.loc[g, "Answered"] == "" for g in hidden)
    fig = figure(at, "equity_chart")
    labels = [str(y) for t in fig["data"] for y in (t.get("y") or [])]
    assert any("Woman · 200 answered" in y for y in labels)
    assert not any("3 answered" in y for y in labels)  # a hidden group's base is never shown
    drawn = str(fig["layout"].get("shapes", "")) + str(fig["layout"].get("annotations", ""))
    assert "England" in drawn  # the benchmark line and its label
