"""Tidy downloads (``kpi.downloads``): golden on a small store built by hand.

Every KHI CSV carries the same fixed columns; the numbers are the engine's own
(``indicator_table``), a hidden cell leaves empty with its flag set, and the file
name says what the file holds.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from kpi.downloads import TIDY_COLUMNS, data_as_of, file_name, tidy_frame
from kpi.export import safe_csv
from kpi.indicators import indicator_table
from kpi.periods import quarter_label
from kpi.store import Store
from tests.builders import make_store
from tests.test_indicators import SETTINGS, Q, agree, people, upload

NAMES = {"A": "Ash Shared Lives", "B": "Beech Shared Lives", "C": "Cedar Shared Lives",
         "D": "Damson Shared Lives"}
LEVEL = TIDY_COLUMNS["level"]
HIDDEN = TIDY_COLUMNS["suppressed"]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """warm_kind in Q. London: A 2 of 3 (hidden: base below 5), B 5 of 25 (hidden
    too: with A alone hidden, London's total would give A away), C 15 of 30;
    North East: D 16 of 20. England: 38 of 78."""
    store = make_store(tmp_path_factory.mktemp("tidy") / "khi.duckdb",
                       [(k, v, "London" if k != "D" else "North East") for k, v in NAMES.items()])
    for scheme, yes, total in (("A", 2, 3), ("B", 5, 25), ("C", 15, 30), ("D", 16, 20)):
        upload(store, scheme, people(scheme, warm_kind=agree(yes, total)))
    return store


def test_the_tidy_frame_is_the_engines_table_with_every_column(small: Store) -> None:
    table = indicator_table(small, khis=["warm_kind"], by=["scheme"], settings=SETTINGS)
    label = quarter_label(Q)
    as_of = data_as_of(small)
    frame = tidy_frame(table, area="England", quarter=label, by="scheme", names=NAMES,
                       as_of=as_of)
    assert list(frame.columns) == list(TIDY_COLUMNS.values())
    rows = frame.set_index("Area")
    assert list(rows.index) == list(NAMES.values())
    # Hidden: no number of any kind, the flag says so, nothing compared.
    for name in ("Ash Shared Lives", "Beech Shared Lives"):
        row = rows.loc[name]
        assert row[HIDDEN] is True or row[HIDDEN] == True  # noqa: E712 - numpy bool
        numbers = ["Value", "Base (answers)", "Count", "95% interval from", "95% interval to",
                   "99.8% interval from", "99.8% interval to", "Benchmark value"]
        assert row[numbers].isna().all(), row
        assert (row["Compared with the benchmark"], row[LEVEL]) == ("not compared", "untested")
    # Shown: the engine's numbers, by hand where they are simple.
    cedar, damson = rows.loc["Cedar Shared Lives"], rows.loc["Damson Shared Lives"]
    assert (cedar["Value"], cedar["Base (answers)"], cedar["Count"]) == (50.0, 30, 15)
    assert (damson["Value"], damson["Base (answers)"], damson["Count"]) == (80.0, 20, 16)
    assert cedar["Benchmark value"] == pytest.approx(100 * 38 / 78)
    engine = table.set_index("scheme")
    for code, row in (("C", cedar), ("D", damson)):
        for column, heading in (("lower95", "95% interval from"), ("upper95", "95% interval to"),
                                ("lower998", "99.8% interval from"),
                                ("upper998", "99.8% interval to")):
            assert row[heading] == engine.loc[code, column]
        assert not row[HIDDEN]
    # Damson 80% (16 of 20) against England's 48.7%: better, and at which level.
    assert damson["Compared with the benchmark"] in ("better", "clearly better")
    assert damson[LEVEL] == ("99.8%" if engine.loc["D", "outside998"] else "95%")
    assert set(frame["Indicator code"]) == {"warm_kind"}
    assert set(frame["Quarter"]) == {label} and set(frame["Benchmark"]) == {"England"}
    assert set(frame["Unit"]) == {"per cent"} and set(frame["Trend"]) == {""}
    assert set(frame["Data as of"]) == {as_of} and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", as_of)
    # In the file: a hidden row's numbers are empty cells, its flag True.
    read = pd.read_csv(io.StringIO(safe_csv(frame)), keep_default_na=False, dtype=str)
    ash = read[read["Area"] == "Ash Shared Lives"].iloc[0]
    assert ash["Value"] == "" and ash["Base (answers)"] == "" and ash[HIDDEN] == "True"
    assert read[read["Area"] == "Cedar Shared Lives"].iloc[0]["Value"] == "50.0"


def test_a_breakdown_of_people_keeps_the_area_and_names_the_group(small: Store) -> None:
    table = indicator_table(small, khis=["warm_kind"], by=["region"], settings=SETTINGS)
    frame = tidy_frame(table, area="England", quarter="x", by="region")
    assert list(frame["Area"]) == ["London", "North East"]
    groups = table.assign(group=["Group one", "Group two"])
    frame = tidy_frame(groups, area="England", quarter="x", by="age_band")
    assert list(frame["Area"]) == ["England", "England"]
    assert list(frame["Breakdown"]) == ["age_band", "age_band"]
    assert list(frame["Group"]) == ["Group one", "Group two"]


def test_a_hidden_row_with_a_number_is_refused(small: Store) -> None:
    """The engine hides; a number on a hidden row would be a leak, never written."""
    table = indicator_table(small, khis=["warm_kind"], by=["scheme"], settings=SETTINGS)
    leaked = table.assign(value=table["value"].fillna(66.7))
    with pytest.raises(ValueError, match="disclosure control"):
        tidy_frame(leaked, area="England", quarter="x", by="scheme")


def test_data_as_of_is_the_latest_upload_and_moves_with_a_rollback(
    tmp_path: Path,
) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Ash", "London")])
    assert store.data_as_of() is None and data_as_of(store) == ""
    upload(store, "A", people("A", warm_kind=agree(8, 10)))
    first = store.data_as_of()
    stored = store.uploads()["uploaded_at"].max()
    assert first == pd.Timestamp(stored).to_pydatetime()
    later = dt.datetime.now() + dt.timedelta(hours=1)
    with store.transaction() as con:  # a sign-in's write does not move it
        con.execute("INSERT INTO changes VALUES (?, 'x', 'user bound to sign-in subject', "
                    "'a@b', 'i')", [later])
    assert store.data_as_of() == first
    with store.transaction() as con:
        con.execute("UPDATE uploads SET rolled_back_at = ?", [later])
    assert store.data_as_of() == later


def test_file_names_say_what_they_hold() -> None:
    name = file_name("by_scheme", khi="warm_kind", area="North West", quarter="2026/27 Q3",
                     as_of="2026-12-05 14:03")
    assert name == "khi_warm_kind_by_scheme_North_West_2026-27_Q3_as_of_2026-12-05.csv"
    assert file_name(("every_indicator_by", "region"), area="England & the nations",
                     quarter="2026/27 Q1") == (
        "khi_every_indicator_by_region_England_and_the_nations_2026-27_Q1.csv"
    )
    # Hostile text from a register cannot make a path.
    assert "/" not in file_name("x", area="../../etc/passwd", quarter="q")
