"""The KHI engine (kpi.indicators) on tiny stores whose true answers are worked out by hand.

Every store is built in tmp_path through the store API (a scheme register, then one
survey upload per call), as in test_board.py, so each expected value below follows
from the rows written and the arithmetic in the comments, never from the engine.
Proportions are percentages (0-100). Disclosure settings: minimum base 5, compared
from 10 (the register's defaults, passed explicitly so a register edit cannot hide a
regression).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from kpi.catalogue import catalogue
from kpi.indicators import (
    Filters,
    Settings,
    activity_summary,
    answer_distribution,
    available_quarters,
    change,
    equity,
    funnel,
    indicator_table,
    item_completeness,
    missing_returns,
    response_rates,
    trend,
)
from kpi.items import bank
from kpi.periods import shift_quarter
from kpi.store import Store
from tests.builders import kpi_main, make_store

PROJECT_DIR = Path(__file__).resolve().parents[1]
SECRET = "test-secret-not-for-production"

Q = dt.date(2026, 4, 1)  # 2026/27 Q1 (April to June 2026)
Q_PREV = dt.date(2026, 1, 1)  # 2025/26 Q4
Q_EARLY = dt.date(2025, 10, 1)  # 2025/26 Q3
Q_YEAR_BEFORE = dt.date(2025, 4, 1)  # 2025/26 Q1, four quarters before Q
SETTINGS = Settings(min_base=5, min_compare=10)
HIDDEN_COLUMNS = ("n", "count", "value", "lower95", "upper95", "lower998", "upper998", "sd")
ITEMS = frozenset(bank().item_codes)
SWEMWBS = [f"swemwbs_{i}" for i in range(1, 8)]


# ------------------------------------------------------------------ store builders ---
def upload(store: Store, scheme_id: str, rows: list[dict]) -> None:
    """One survey upload. Each row: ``person`` (the pseudonymised key), optional ``type``
    (respondent type, default person) and ``on`` (completion date, default 10 days into
    Q), then item answers and attributes by column name (absent = not answered)."""
    frame = pd.DataFrame(
        {
            "scheme_id": scheme_id,
            "person_key": [r["person"] for r in rows],
            "respondent_type": [r.get("type", "person") for r in rows],
            "completed_on": [r.get("on", Q + dt.timedelta(days=10)) for r in rows],
            "source_row": range(2, len(rows) + 2),
        }
    )
    for column in sorted({k for r in rows for k in r} - {"person", "type", "on"}):
        values = [r.get(column) for r in rows]
        if column in ITEMS:
            frame[column] = pd.array(values, dtype="Int8")
        else:
            frame[column] = pd.Series(values, dtype=object)
    with store.transaction() as con:
        upload_id = store.new_upload(
            con, scheme_id=scheme_id, kind="survey", file_name="test.csv", sha256=None,
            uploaded_by="test", layout="template", rows_read=len(rows),
        )
        store.bulk_insert_responses(con, upload_id, frame)
        store.finish_upload(con, upload_id, accepted=len(rows), rejected=0)


def people(prefix: str, **columns) -> list[dict]:
    """Rows for len(list) people: list values go one per person, scalars to everyone."""
    lengths = {len(v) for v in columns.values() if isinstance(v, list)}
    assert len(lengths) == 1, "give at least one list, all of the same length"
    (size,) = lengths
    return [
        {"person": f"{prefix}{i}",
         **{k: (v[i] if isinstance(v, list) else v) for k, v in columns.items()}}
        for i in range(size)
    ]


def agree(yes: int, total: int) -> list[int]:
    """``yes`` people 'Strongly agree' (5), the rest 'Strongly disagree' (1)."""
    return [5] * yes + [1] * (total - yes)


def add_activity(store: Store, scheme_id: str, quarter: dt.date, long_term: int,
                 short_break: int = 0) -> None:
    frame = pd.DataFrame(
        {"scheme_id": [scheme_id], "quarter_start": [quarter], "long_term": [long_term],
         "short_break": [short_break], "day_support": [0], "home_from_hospital": [0],
         "approved_carers": [1], "new_arrangements": [0], "ended_arrangements": [0]}
    )
    with store.transaction() as con:
        upload_id = store.new_upload(
            con, scheme_id=scheme_id, kind="activity", file_name="activity.csv", sha256=None,
            uploaded_by="test", layout="template", rows_read=1,
        )
        store.store_activity(con, upload_id, frame)
        store.finish_upload(con, upload_id, accepted=1, rejected=0)


# ------------------------------------------------------------ independent formulas ---
def wilson_percent(x: float, n: float, confidence: float) -> tuple[float, float]:
    """Wilson score limits, written out: (2x + z² ∓ z·sqrt(z² + 4x(1 − x/n))) / (2(n + z²))."""
    z = sps.norm.ppf(0.5 + confidence / 2)
    root = z * math.sqrt(z * z + 4 * x * (1 - x / n))
    return (
        100 * (2 * x + z * z - root) / (2 * (n + z * z)),
        100 * (2 * x + z * z + root) / (2 * (n + z * z)),
    )


def one(table: pd.DataFrame, **where) -> pd.Series:
    """The single row of ``table`` matching ``where`` (column == value)."""
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column] == value
    assert int(mask.sum()) == 1, f"expected one row for {where}, got {int(mask.sum())}"
    return table[mask].iloc[0]


def assert_nothing_shown(row: pd.Series) -> None:
    assert bool(row["suppressed"]) is True
    for column in HIDDEN_COLUMNS:
        assert pd.isna(row[column]), f"{column} of a hidden cell is {row[column]!r}"
    assert row["comparison"] == "not compared"
    assert not bool(row["outside998"])


# ------------------------------------------------------------------ scoring ---
AGREE_KHIS = [  # KHI code -> its agree5 item
    ("warm_kind", "warm_kind"), ("dignity_respect", "dignity_respect"),
    ("listened_to", "listened_to"), ("choice_control", "choice_control"),
    ("community_part", "community_part"), ("community_support", "support_helps_community"),
    ("social_life_better", "social_life_better"), ("balance_right", "balance_right"),
    ("physical_health_better", "physical_health_better"),
    ("emotional_health_better", "emotional_health_better"),
]


@pytest.fixture(scope="module")
def one_to_five(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Ten people answer every agree5 item 1, 2, 3, 4, 5, 1, 2, 3, 4, 5; an eleventh
    answers none of them (not in any base)."""
    store = make_store(tmp_path_factory.mktemp("agree") / "khi.duckdb",
                       [("A", "Alder Shared Lives", "London")])
    answers = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, None]
    upload(store, "A", people("p", **{item: answers for _, item in AGREE_KHIS}))
    return store


@pytest.mark.parametrize(("code", "item"), AGREE_KHIS)
def test_agree_khis_count_agree_and_strongly_agree_only(one_to_five: Store, code, item) -> None:
    # Base: the 10 who answered (the blank is left out). Agree = answers 4 and 5:
    # 4, 5, 4, 5 -> 4 of 10 = 40%. (Counting 3 too would give 60%; only 5, 20%.)
    row = one(indicator_table(one_to_five, khis=[code], settings=SETTINGS))
    assert (row["n"], row["count"]) == (10, 4)
    assert row["value"] == pytest.approx(40.0)
    assert row["measure"] == "proportion" and pd.isna(row["sd"])


def test_a_proportions_limits_are_wilson_95_and_998(one_to_five: Store) -> None:
    row = one(indicator_table(one_to_five, khis=["warm_kind"], settings=SETTINGS))
    # x = 4, n = 10, z = 1.959964, z² = 3.841459:
    # (8 + 3.841459 ∓ 1.959964·sqrt(3.841459 + 16·0.6)) / (2·13.841459)
    #   = (11.841459 ∓ 7.185699) / 27.682918 = 16.818%, 68.732%
    lower95, upper95 = wilson_percent(4, 10, 0.95)
    assert (lower95, upper95) == pytest.approx((16.818, 68.732), abs=1e-3)
    assert (row["lower95"], row["upper95"]) == pytest.approx((lower95, upper95), abs=1e-9)
    assert (row["lower998"], row["upper998"]) == pytest.approx(
        wilson_percent(4, 10, 0.998), abs=1e-9
    )
    assert row["lower998"] < row["lower95"] < row["value"] < row["upper95"] < row["upper998"]


def test_limits_match_the_pheindicatormethods_reference(tmp_path: Path) -> None:
    # shared/reference/pheindicatormethods/proportions_wilson.csv, row Area3:
    # Numerator 20, Denominator 100 -> 0.1333669333310325, 0.28882916559315885 (95%),
    # 0.10519162066711432, 0.3471109417008601 (99.8%).
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London")])
    upload(store, "A", people("p", warm_kind=[4] * 20 + [2] * 80))
    row = one(indicator_table(store, khis=["warm_kind"], settings=SETTINGS))
    assert (row["n"], row["count"], row["value"]) == (100, 20, pytest.approx(20.0))
    expected = (13.33669333310325, 28.882916559315885, 10.519162066711432, 34.71109417008601)
    got = tuple(row[c] for c in ("lower95", "upper95", "lower998", "upper998"))
    assert got == pytest.approx(expected, abs=1e-4)


def test_other_hit_rules_follow_the_catalogue(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London")])
    upload(store, "A", people(
        "p",
        # lonely_often = answer 1 (Often or always): 1 of 1,2,3,4,5 -> 20% of 5.
        lonely_how_often=[1, 2, 3, 4, 5, None],
        # friends_support 1..3: helps = 3 (2 of 6, 33.3%); hinders = 1 (3 of 6, 50%).
        friends_support=[1, 1, 1, 2, 3, 3],
        # life satisfaction 7-10 is high: 7 and 10 of 5 answers (6 is not) -> 40%.
        ons_life_satisfied=[0, 5, 6, 7, 10, None],
        # anxiety 6-10 is high: 6, 9 of 5 -> 40%.
        ons_anxious=[0, 5, 6, 9, 1, None],
    ))
    table = indicator_table(
        store, settings=SETTINGS,
        khis=["lonely_often", "friends_support_helps", "friends_support_hinders",
              "life_satisfaction_high", "anxiety_high"],
    ).set_index("khi")
    assert table.loc["lonely_often", ["n", "count"]].tolist() == [5, 1]
    assert table.loc["friends_support_helps", ["n", "count"]].tolist() == [6, 2]
    assert table.loc["friends_support_hinders", ["n", "count"]].tolist() == [6, 3]
    assert table.loc["life_satisfaction_high", ["n", "count"]].tolist() == [5, 2]
    assert table.loc["anxiety_high", ["n", "count"]].tolist() == [5, 2]
    assert table.loc["lonely_often", "value"] == pytest.approx(20.0)
    assert table.loc["friends_support_hinders", "value"] == pytest.approx(50.0)


def test_lonely_ucla_needs_all_three_items_and_counts_six_or_more(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London")])
    ucla = [  # companionship, left out, isolated -> score
        (3, 3, 3),  # 9: lonely
        (2, 2, 2),  # 6: lonely (6 counts)
        (1, 2, 3),  # 6: lonely
        (2, 2, 1),  # 5: not
        (1, 1, 1),  # 3: not
        (3, 3, None),  # one item missing: not in the base, though 6 already
        (None, None, None),  # skipped the scale
    ]
    upload(store, "A", [
        {"person": f"p{i}", "ucla_companionship": a, "ucla_left_out": b, "ucla_isolated": c}
        for i, (a, b, c) in enumerate(ucla)
    ])
    row = one(indicator_table(store, khis=["lonely_ucla"], settings=SETTINGS))
    # base 5 (complete answers), lonely 3 -> 60%
    assert (row["n"], row["count"]) == (5, 3)
    assert row["value"] == pytest.approx(60.0)


def test_swemwbs_uses_the_conversion_table_and_needs_all_seven(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London"),
                                                 ("B", "Birch Shared Lives", "London")])
    # Scheme A: five people answer 3 to all seven: raw 21 -> metric 19.25 each.
    upload(store, "A", [{"person": f"a{i}", **dict.fromkeys(SWEMWBS, 3)} for i in range(5)])
    # Scheme B (raw -> metric from the Warwick table):
    #   all 3 -> 21 -> 19.25 (twice); all 5 -> 35 -> 35.00; all 1 -> 7 -> 7.00;
    #   1,2,3,4,5,5,5 -> 25 -> 22.35; six items only -> not in the base.
    # mean = (19.25 + 19.25 + 35 + 7 + 22.35) / 5 = 102.85 / 5 = 20.57
    rows = [dict.fromkeys(SWEMWBS, 3), dict.fromkeys(SWEMWBS, 3), dict.fromkeys(SWEMWBS, 5),
            dict.fromkeys(SWEMWBS, 1), dict(zip(SWEMWBS, [1, 2, 3, 4, 5, 5, 5])),
            {**dict.fromkeys(SWEMWBS[:6], 4), "swemwbs_7": None}]
    upload(store, "B", [{"person": f"b{i}", **r} for i, r in enumerate(rows)])
    table = indicator_table(store, khis=["swemwbs_mean"], by=["scheme"], settings=SETTINGS)
    a, b = one(table, scheme="A"), one(table, scheme="B")
    assert (a["n"], a["value"], a["sd"]) == (5, pytest.approx(19.25), pytest.approx(0.0))
    assert b["n"] == 5
    assert b["value"] == pytest.approx(20.57)
    assert pd.isna(a["count"]) and pd.isna(b["count"])  # a mean has no count


def test_friends_mean_has_a_student_t_interval(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London")])
    friends = [0, 1, 2, 3, 10]
    upload(store, "A", people("p", friends_count=[*friends, None]))
    table = indicator_table(store, khis=["friends_mean", "friends_any"], settings=SETTINGS)
    mean_row, any_row = one(table, khi="friends_mean"), one(table, khi="friends_any")
    # mean 16 / 5 = 3.2; squared deviations 10.24 + 4.84 + 1.44 + 0.04 + 46.24 = 62.8;
    # sd = sqrt(62.8 / 4) = 3.962323; limits 3.2 ± t(4) · 3.962323 / sqrt(5).
    assert mean_row["n"] == 5 and mean_row["value"] == pytest.approx(3.2)
    assert mean_row["sd"] == pytest.approx(math.sqrt(15.7))
    sem = sps.sem(friends)
    for level, (lo, up) in ((0.95, ("lower95", "upper95")), (0.998, ("lower998", "upper998"))):
        low, high = sps.t.interval(level, df=4, loc=3.2, scale=sem)
        assert (mean_row[lo], mean_row[up]) == pytest.approx((low, high), abs=1e-9)
    assert mean_row["lower95"] == pytest.approx(3.2 - 2.776445 * 3.962323 / math.sqrt(5),
                                                abs=1e-5)
    # friends_any: at least one friend = 4 of 5 -> 80%
    assert (any_row["n"], any_row["count"], any_row["value"]) == (5, 4, pytest.approx(80.0))


# ------------------------------------------------------------------ who counts ---
def test_one_person_one_vote_by_their_latest_response(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London")])
    # P answers twice in Q: 'Strongly agree' on 5 April, 'Strongly disagree' on 15 May.
    # The later answer is uploaded FIRST, so storage order disagrees with date order.
    upload(store, "A", [{"person": "P", "on": dt.date(2026, 5, 15), "warm_kind": 1}])
    upload(store, "A", [{"person": "P", "on": dt.date(2026, 4, 5), "warm_kind": 5}])
    upload(store, "A", people("other", warm_kind=[5, 5, 5, 5]))
    # P also answered last quarter, where four others disagree.
    upload(store, "A", [{"person": "P", "on": dt.date(2026, 2, 1), "warm_kind": 5},
                        *people("before", warm_kind=[1, 1, 1, 1], on=dt.date(2026, 2, 1))])
    row = one(indicator_table(store, khis=["warm_kind"], quarter=Q, settings=SETTINGS))
    # P once, by 15 May (disagree): 4 of 5 = 80%. (Both answers: 5 of 6; the first: 100%.)
    assert (row["n"], row["count"]) == (5, 4)
    assert row["value"] == pytest.approx(80.0)
    # Last quarter P counts again, once: 1 of 5 = 20%.
    before = one(indicator_table(store, khis=["warm_kind"], quarter=Q_PREV, settings=SETTINGS))
    assert (before["n"], before["count"]) == (5, 1)


def test_people_khis_count_people_and_carer_khis_carers(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London")])
    upload(store, "A", people(
        "p", warm_kind=[5, 5, 5, 5, 1], carer_break_fits=[1] * 5, **dict.fromkeys(SWEMWBS, 3)
    ))
    upload(store, "A", people(
        "c", type="carer", warm_kind=[1] * 5, carer_break_fits=[5, 5, 4, 2, 1],
        **dict.fromkeys(SWEMWBS, 5),
    ))
    table = indicator_table(
        store, khis=["warm_kind", "carer_break_fits", "swemwbs_mean", "carer_swemwbs_mean"],
        settings=SETTINGS,
    ).set_index("khi")
    # warm_kind: people only, 4 of 5 = 80% (with the carers it would be 4 of 10).
    assert table.loc["warm_kind", ["n", "count"]].tolist() == [5, 4]
    # carer_break_fits: carers only, 5, 5, 4 agree = 3 of 5 = 60% (with people: 3 of 10).
    assert table.loc["carer_break_fits", ["n", "count"]].tolist() == [5, 3]
    assert table.loc["carer_break_fits", "value"] == pytest.approx(60.0)
    # SWEMWBS: people all 3 -> 19.25; carers all 5 -> 35.00 (pooled would be 27.125).
    assert table.loc["swemwbs_mean", "value"] == pytest.approx(19.25)
    assert table.loc["carer_swemwbs_mean", "value"] == pytest.approx(35.0)
    assert table.loc["carer_swemwbs_mean", "n"] == 5


# ------------------------------------------------------------------ periods ---
@pytest.fixture(scope="module")
def two_quarters(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Q_PREV: 5 people, all agree (100%). Q: 5 people, 2 agree (40%)."""
    store = make_store(tmp_path_factory.mktemp("quarters") / "khi.duckdb",
                       [("A", "Alder Shared Lives", "London")])
    upload(store, "A", people("old", warm_kind=agree(5, 5), on=dt.date(2026, 2, 10)))
    upload(store, "A", people("new", warm_kind=agree(2, 5), on=dt.date(2026, 5, 10)))
    return store


def test_the_default_quarter_is_the_latest_with_data(two_quarters: Store) -> None:
    default = indicator_table(two_quarters, khis=["warm_kind"], settings=SETTINGS)
    assert one(default)["value"] == pytest.approx(40.0)
    for same in ("2026/27 Q1", "2026/2027 Q1", dt.date(2026, 5, 14), "2026-06-30", Q):
        pd.testing.assert_frame_equal(
            indicator_table(two_quarters, khis=["warm_kind"], quarter=same, settings=SETTINGS),
            default,
        )
    earlier = indicator_table(two_quarters, khis=["warm_kind"], quarter="2025/26 Q4",
                              settings=SETTINGS)
    assert one(earlier)["value"] == pytest.approx(100.0)


def test_all_quarters_by_quarter_gives_one_row_per_quarter(two_quarters: Store) -> None:
    table = indicator_table(two_quarters, khis=["warm_kind"], by=["quarter"], quarter="all",
                            settings=SETTINGS)
    assert table["quarter"].tolist() == [Q_PREV, Q]
    assert table["quarter_label"].tolist() == ["2025/26 Q4", "2026/27 Q1"]
    assert table["value"].tolist() == pytest.approx([100.0, 40.0])
    assert table["n"].tolist() == [5, 5]
    # Pooled over every quarter: 7 of 10.
    pooled = one(indicator_table(two_quarters, khis=["warm_kind"], quarter="all",
                                 settings=SETTINGS))
    assert (pooled["n"], pooled["count"]) == (10, 7)


def test_a_quarter_without_data_has_no_base(two_quarters: Store) -> None:
    row = one(indicator_table(two_quarters, khis=["warm_kind"], quarter="2026/27 Q2",
                              settings=SETTINGS))
    assert row["n"] == 0 and pd.isna(row["value"])
    # A breakdown drops groups without answers.
    assert indicator_table(two_quarters, khis=["warm_kind"], by=["scheme"],
                           quarter="2026/27 Q2", settings=SETTINGS).empty


# ------------------------------------------------------------------ benchmarks ---
@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """lonely_often (low is good) in Q:

    London: L1 20 of 40 lonely, L2 5 of 10 -> 25 of 50 = 50%.
    North East: N1 2 of 160 = 1.25%.
    South West: S1 3 of 8 = 37.5% (shown: 8 >= 5; not compared: 8 < 10).
    England: 30 of 218 = 13.7615%.
    """
    store = make_store(
        tmp_path_factory.mktemp("regions") / "khi.duckdb",
        [("L1", "Lea Shared Lives", "London"), ("L2", "Lime Shared Lives", "London"),
         ("N1", "Nab Shared Lives", "North East"), ("S1", "Sedge Shared Lives", "South West")],
    )
    for scheme, often, total in (("L1", 20, 40), ("L2", 5, 10), ("N1", 2, 160), ("S1", 3, 8)):
        upload(store, scheme, people(scheme, lonely_how_often=[1] * often + [5] * (total - often)))
    return store


ENGLAND = 100 * 30 / 218


def test_a_region_clearly_worse_than_england_is_worse(regions: Store) -> None:
    table = indicator_table(regions, khis=["lonely_often"], by=["region"], settings=SETTINGS)
    assert table["benchmark"].tolist() == pytest.approx([ENGLAND] * 3)
    london = one(table, region="London")
    assert (london["n"], london["count"], london["value"]) == (50, 25, pytest.approx(50.0))
    # Wilson 95% for 25 of 50: lower limit 36.6% > 13.8%, so above England, and for a
    # low-is-good KHI that is "worse"; the 99.8% lower limit (~29%) is above it too.
    assert wilson_percent(25, 50, 0.95)[0] > ENGLAND
    assert wilson_percent(25, 50, 0.998)[0] > ENGLAND
    assert london["comparison"] == "worse" and bool(london["outside998"])
    # North East: 2 of 160, upper 95% limit 4.4% < 13.8%: "better".
    assert wilson_percent(2, 160, 0.95)[1] < ENGLAND
    assert one(table, region="North East")["comparison"] == "better"
    # South West: 8 answers, below min_compare 10: shown but not compared.
    south_west = one(table, region="South West")
    assert south_west["n"] == 8 and not south_west["suppressed"]
    assert south_west["comparison"] == "not compared"


def test_min_compare_is_the_setting_used(regions: Store) -> None:
    table = indicator_table(regions, khis=["lonely_often"], by=["region"],
                            settings=Settings(min_base=5, min_compare=100))
    assert one(table, region="London")["comparison"] == "not compared"  # 50 < 100
    assert one(table, region="North East")["comparison"] == "better"  # 160 >= 100


def test_the_england_benchmark_ignores_the_area_filter(regions: Store) -> None:
    row = one(indicator_table(regions, khis=["lonely_often"], settings=SETTINGS,
                              filters=Filters(regions=("london",))))
    assert (row["n"], row["value"]) == (50, pytest.approx(50.0))
    assert row["benchmark"] == pytest.approx(ENGLAND)
    assert row["comparison"] == "worse"


def test_the_region_benchmark_is_each_schemes_own_region(regions: Store) -> None:
    table = indicator_table(regions, khis=["lonely_often"], by=["scheme"], settings=SETTINGS,
                            benchmark="region")
    expected = {"L1": 50.0, "L2": 50.0, "N1": 1.25, "S1": 37.5}  # each region's value
    assert dict(zip(table["scheme"], table["benchmark"])) == pytest.approx(expected)
    # L1 is 50% against London's 50%: similar; S1 has 8 answers: not compared.
    assert one(table, scheme="L1")["comparison"] == "similar"
    assert one(table, scheme="S1")["comparison"] == "not compared"
    assert "region" not in table.columns


# ------------------------------------------------------------------ disclosure ---
@pytest.fixture(scope="module")
def small_scheme(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """warm_kind in Q.

    London: A 2 of 3 agree (66.7%: must never show), B 5 of 25, C 15 of 30.
    North East: D 16 of 20 (smaller than B: without nesting in regions, D would be the
    second scheme hidden, and London's total would give A away).
    """
    store = make_store(
        tmp_path_factory.mktemp("small") / "khi.duckdb",
        [("A", "Ash Shared Lives", "London"), ("B", "Beech Shared Lives", "London"),
         ("C", "Cedar Shared Lives", "London"), ("D", "Damson Shared Lives", "North East")],
    )
    for scheme, yes, total in (("A", 2, 3), ("B", 5, 25), ("C", 15, 30), ("D", 16, 20)):
        upload(store, scheme, people(scheme, warm_kind=agree(yes, total)))
    return store


def test_a_three_person_scheme_and_a_second_in_its_region_show_nothing(
    small_scheme: Store,
) -> None:
    table = indicator_table(small_scheme, khis=["warm_kind"], by=["scheme"], settings=SETTINGS)
    assert table["scheme"].tolist() == ["A", "B", "C", "D"]
    # A: base 3 < 5, hidden. London's schemes add up to London's published total, so a
    # lone hidden A could be read off it: B (25, the smallest other London scheme) is
    # hidden too. D (20) is smaller but in another region, with no hidden sibling.
    assert_nothing_shown(one(table, scheme="A"))
    assert_nothing_shown(one(table, scheme="B"))
    c, d = one(table, scheme="C"), one(table, scheme="D")
    assert (c["n"], c["count"], bool(c["suppressed"])) == (30, 15, False)
    assert (d["n"], d["count"], bool(d["suppressed"])) == (20, 16, False)
    assert not np.isclose(table["value"].dropna(), 200 / 3).any()


def test_the_region_total_minus_shown_schemes_gives_nothing_away(small_scheme: Store) -> None:
    schemes = indicator_table(small_scheme, khis=["warm_kind"], by=["scheme"],
                              settings=SETTINGS)
    london = one(indicator_table(small_scheme, khis=["warm_kind"], by=["region"],
                                 settings=SETTINGS), region="London")
    # London total 3 + 25 + 30 = 58 people, 2 + 5 + 15 = 22 agree.
    assert (london["n"], london["count"]) == (58, 22)
    shown = schemes[~schemes["suppressed"] & schemes["scheme"].isin(["A", "B", "C"])]
    rest_n = london["n"] - shown["n"].sum()
    rest_count = london["count"] - shown["count"].sum()
    # What subtraction leaves is A and B together (28 people, 7 agree), never A (3, 2).
    assert (rest_n, rest_count) == (28, 7)
    assert (rest_n, rest_count) != (3, 2)
    assert int(schemes.loc[schemes["scheme"].isin(["A", "B", "C"]), "suppressed"].sum()) >= 2


def test_the_command_line_csv_leaks_nothing_of_the_small_scheme(small_scheme: Store) -> None:
    result = kpi_main("indicators", "--by", "scheme", "--format", "csv",
                      "--db", str(small_scheme.path), env={"KHI_SECRET": SECRET})
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    warm = {r["scheme"]: r for r in rows if r["khi"] == "warm_kind"}
    assert set(warm) == {"A", "B", "C", "D"}
    for scheme in ("A", "B"):
        row = warm[scheme]
        assert row["suppressed"] == "True"
        for column in ("n", "count", "value", "lower95", "upper95", "lower998", "upper998"):
            assert row[column] == "", f"{scheme} {column} = {row[column]!r}"
    assert warm["C"]["suppressed"] == "False" and warm["C"]["n"] == "30"
    assert float(warm["C"]["value"]) == pytest.approx(50.0)
    # A's share, 2 of 3, appears nowhere (66.66..., 66.7, 0.666...).
    assert "66.6" not in result.stdout and "0.666" not in result.stdout
    # Every hidden row of every KHI is empty.
    for row in rows:
        if row["suppressed"] == "True":
            assert row["n"] == row["count"] == row["value"] == ""


def test_a_lone_scheme_in_its_region_cannot_be_read_off_the_england_total(
    tmp_path: Path,
) -> None:
    # London: A 10 of 20, B 10 of 20; North East: C 1 of 3 (its region's only scheme).
    store = make_store(tmp_path / "khi.duckdb",
                       [("A", "Ash Shared Lives", "London"), ("B", "Beech Shared Lives", "London"),
                        ("C", "Cedar Shared Lives", "North East")])
    for scheme, yes, total in (("A", 10, 20), ("B", 10, 20), ("C", 1, 3)):
        upload(store, scheme, people(scheme, warm_kind=agree(yes, total)))
    schemes = indicator_table(store, khis=["warm_kind"], by=["scheme"], settings=SETTINGS)
    england = one(indicator_table(store, khis=["warm_kind"], settings=SETTINGS))
    assert bool(one(schemes, scheme="C")["suppressed"])
    shown = schemes[~schemes["suppressed"]]
    # Today: England 43 people, 21 agree; shown A + B = 40, 20 -> C is 3 people, 1 agrees.
    leaked = (england["n"] - shown["n"].sum(), england["count"] - shown["count"].sum())
    assert leaked != (3, 1)
    assert int(schemes["suppressed"].sum()) >= 2


def test_a_lone_hidden_quarter_cannot_be_read_off_the_all_quarters_total(
    tmp_path: Path,
) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Ash Shared Lives", "London")])
    upload(store, "A", people("a", warm_kind=agree(4, 10), on=dt.date(2025, 11, 1)))
    upload(store, "A", people("b", warm_kind=agree(2, 3), on=dt.date(2026, 2, 1)))
    upload(store, "A", people("c", warm_kind=agree(6, 10), on=dt.date(2026, 5, 1)))
    series = indicator_table(store, khis=["warm_kind"], by=["quarter"], quarter="all",
                             settings=SETTINGS)
    total = one(indicator_table(store, khis=["warm_kind"], quarter="all", settings=SETTINGS))
    assert bool(one(series, quarter=Q_PREV)["suppressed"])
    # 23 people, 12 agree in all; the shown quarters have 10 + 10 people and 4 + 6
    # agree -> the all-quarters total would give the hidden quarter (3 people, 2
    # agree). The cheaper cell is hidden (issue 12): the total, not a second quarter.
    assert bool(total["suppressed"]) and pd.isna(total["n"]) and pd.isna(total["count"])
    assert not series[series["quarter"] != Q_PREV]["suppressed"].any()


# ------------------------------------------------------------------ change ---
@pytest.fixture(scope="module")
def repeated(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """friends_count answered more than once by the same people (scheme A):

    p1 1 -> 3 (+2), p2 2 -> 2 (0), p3 4 -> 1 (-3), p4 0 -> 5 (+5), p5 3 -> 4 (+1),
    p7 1 (Q_EARLY), 2 (Q_PREV), 6 (Q): latest minus first = +5 (not +4);
    p6 answers once; p8 answers twice but skips the item the second time.
    """
    store = make_store(tmp_path_factory.mktemp("change") / "khi.duckdb",
                       [("A", "Alder Shared Lives", "London")])
    before = dt.date(2026, 2, 1)
    now = dt.date(2026, 5, 1)
    pairs = {"p1": (1, 3), "p2": (2, 2), "p3": (4, 1), "p4": (0, 5), "p5": (3, 4)}
    upload(store, "A", [{"person": "p7", "on": dt.date(2025, 11, 1), "friends_count": 1}])
    upload(store, "A", [
        *({"person": p, "on": before, "friends_count": a} for p, (a, _) in pairs.items()),
        {"person": "p7", "on": before, "friends_count": 2},
        {"person": "p8", "on": before, "friends_count": 3},
    ])
    upload(store, "A", [
        *({"person": p, "on": now, "friends_count": b} for p, (_, b) in pairs.items()),
        {"person": "p7", "on": now, "friends_count": 6},
        {"person": "p6", "on": now, "friends_count": 7},
        {"person": "p8", "on": now, "friends_count": None, "warm_kind": 4},
    ])
    return store


CHANGES = np.array([2.0, 0.0, -3.0, 5.0, 1.0, 5.0])  # p1..p5, p7


def test_change_is_latest_minus_first_with_shares(repeated: Store) -> None:
    frame = change(repeated, "friends_change", quarter=Q, settings=SETTINGS)
    row = one(frame)
    # n = 6 people with two scored answers; mean = (2 + 0 - 3 + 5 + 1 + 5) / 6 = 10/6.
    assert row["n"] == 6
    assert row["mean_change"] == pytest.approx(10 / 6)
    # better (d > 0): p1, p4, p5, p7 = 4 of 6; same: p2 = 1; worse: p3 = 1.
    assert row["share_better"] == pytest.approx(400 / 6)
    assert row["share_same"] == pytest.approx(100 / 6)
    assert row["share_worse"] == pytest.approx(100 / 6)
    # sd: squared deviations from 5/3 sum to 47.333, / 5 -> sd 3.0768.
    assert row["sd_change"] == pytest.approx(math.sqrt(142 / 15))
    test = sps.ttest_1samp(CHANGES, 0.0)
    assert row["p_value"] == pytest.approx(test.pvalue)
    ci = test.confidence_interval(0.95)
    assert (row["lower95"], row["upper95"]) == pytest.approx((ci.low, ci.high))
    assert not row["suppressed"]
    # The KHI table shows the same mean change.
    khi_row = one(indicator_table(repeated, khis=["friends_change"], quarter=Q,
                                  settings=SETTINGS))
    assert (khi_row["n"], khi_row["value"]) == (6, pytest.approx(10 / 6))


def test_change_uses_answers_up_to_the_periods_end(repeated: Store) -> None:
    # Up to Q_PREV only p7 (1 -> 2) and nobody else has two answers: 1 person, hidden.
    row = one(change(repeated, "friends_change", quarter=Q_PREV, settings=SETTINGS))
    assert bool(row["suppressed"])
    assert pd.isna(row["n"]) and pd.isna(row["mean_change"]) and pd.isna(row["share_better"])
    assert one(change(repeated, "friends_change", quarter=Q_PREV,
                      settings=Settings(min_base=1)))["n"] == 1


def test_change_by_quarter_with_a_support_type_filter(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London")])
    values = [(1, 3), (2, 2), (4, 1), (0, 5), (3, 4)]  # changes +2, 0, -3, +5, +1
    for day, pick in ((dt.date(2026, 2, 1), 0), (dt.date(2026, 5, 1), 1)):
        upload(store, "A", [
            {"person": f"p{i}", "on": day, "friends_count": pair[pick],
             "support_type": "long_term"} for i, pair in enumerate(values)
        ])
    frame = change(store, "friends_change", by=["quarter"], quarter=Q, settings=SETTINGS,
                   filters=Filters(support_types=("long_term",)))
    row = one(frame)
    assert row["quarter"] == Q
    assert (row["n"], row["mean_change"]) == (5, pytest.approx(1.0))  # (2+0-3+5+1)/5


@pytest.mark.slow  # twelve views, each through the KHI table and the change pass
def test_change_hides_each_cell_as_the_khi_table_does(tmp_path: Path) -> None:
    """Change over time and the KHI table take one decision per cell: a scheme
    asked for alone is hidden when the KHI table hides it beside a smaller one."""
    schemes = [("A", "Alder Shared Lives", "London"), ("B", "Birch Shared Lives", "London"),
               ("C", "Cherry Shared Lives", "London"), ("D", "Damson Shared Lives", "North East"),
               ("E", "Elder Shared Lives", "Wales")]
    store = make_store(tmp_path / "khi.duckdb", schemes)
    pairs = {"A": 12, "B": 6, "C": 3, "D": 8, "E": 3}  # people with two answers
    for scheme, size in pairs.items():
        for day, friends in ((dt.date(2026, 2, 1), 1), (dt.date(2026, 5, 1), 3)):
            upload(store, scheme, [
                {"person": f"{scheme}{i}", "on": day, "friends_count": friends + i % 3,
                 "support_type": "short_break" if scheme == "A" and i < 2 else "long_term"}
                for i in range(size)
            ])
    views = [((), Filters(scheme_ids=(s,))) for s in pairs] + [
        ((), Filters(regions=(r,))) for r in ("London", "North East", "Wales")] + [
        (("scheme",), Filters()), (("region",), Filters()),
        (("support_type",), Filters(scheme_ids=("A",))),
        ((), Filters(scheme_ids=("A",), support_types=("long_term",))),
    ]
    for by, filters in views:
        table = indicator_table(store, khis=["friends_change"], by=list(by), quarter=Q,
                                filters=filters, settings=SETTINGS)
        frame = change(store, "friends_change", by=list(by), quarter=Q, filters=filters,
                       settings=SETTINGS)
        keys = list(by)
        expected = table.set_index(keys)["suppressed"] if keys else table["suppressed"]
        got = frame.set_index(keys)["suppressed"] if keys else frame["suppressed"]
        assert got.sort_index().tolist() == expected.sort_index().tolist(), (by, filters)
        assert frame.loc[frame["suppressed"], "n"].isna().all()
    # B alone (6 people) is hidden: London minus A and B would otherwise give C.
    alone = change(store, "friends_change", quarter=Q, filters=Filters(scheme_ids=("B",)),
                   settings=SETTINGS)
    assert bool(alone["suppressed"].iloc[0]) and pd.isna(alone["n"].iloc[0])


def test_a_change_khi_over_all_quarters_is_one_row(repeated: Store) -> None:
    table = indicator_table(repeated, khis=["friends_change"], quarter="all",
                            settings=SETTINGS)
    assert len(table) == 1


# ------------------------------------------------------------------ equity ---
def test_equity_gap_and_significance_follow_a_chi_square_test(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London")])
    upload(store, "A", [
        *people("w", warm_kind=agree(18, 20), gender="woman"),  # 90%
        *people("m", warm_kind=agree(8, 20), gender="man"),  # 40%
        *people("x", warm_kind=agree(0, 5)),  # gender not recorded: 0%
        # Next quarter: 6 of 10 against 5 of 10, and two small groups.
        *people("W", warm_kind=agree(6, 10), gender="woman", on=dt.date(2026, 8, 1)),
        *people("M", warm_kind=agree(5, 10), gender="man", on=dt.date(2026, 8, 1)),
        *people("N", warm_kind=agree(3, 3), gender="non_binary", on=dt.date(2026, 8, 1)),
        *people("S", warm_kind=agree(0, 6), gender="self_describe", on=dt.date(2026, 8, 1)),
    ])
    groups, result = equity(store, "warm_kind", "gender", quarter=Q, settings=SETTINGS)
    assert set(groups["gender"].fillna("(none)")) == {"woman", "man", "(none)"}
    # The not-recorded group is left out of the test: gap 90 - 40 = 50 points (with it,
    # 90 - 0 = 90). Pearson chi-square without continuity correction on
    # [[18, 8], [2, 12]]: 40 (18·12 - 8·2)² / (26·14·20·20) = 10.99, p < 0.001.
    assert result.gap == pytest.approx(50.0)
    chi2 = sps.chi2_contingency([[18, 8], [2, 12]], correction=False)
    assert chi2.statistic == pytest.approx(40 * 200**2 / (26 * 14 * 20 * 20))
    assert result.p_value == pytest.approx(chi2.pvalue)
    assert chi2.pvalue < 0.05 and result.significant is True
    assert groups.loc[result.highest, "gender"] == "woman"
    assert groups.loc[result.lowest, "gender"] == "man"

    # Q2: non_binary (3) is hidden and self_describe (6, the next smallest) with it; the
    # test uses the shown groups only: 60% vs 50%, gap 10 points (with the hidden ones,
    # 100 - 0), chi-square on [[6, 5], [4, 5]] = 0.20, p = 0.65: not significant.
    groups, result = equity(store, "warm_kind", "gender", quarter="2026/27 Q2",
                            settings=SETTINGS)
    hidden = set(groups.loc[groups["suppressed"], "gender"])
    assert hidden == {"non_binary", "self_describe"}
    assert result.gap == pytest.approx(10.0)
    assert result.groups == 2
    chi2 = sps.chi2_contingency([[6, 5], [4, 5]], correction=False)
    assert result.p_value == pytest.approx(chi2.pvalue)
    assert chi2.pvalue > 0.05 and result.significant is False


# ------------------------------------------------------------------ funnel ---
def test_funnel_pools_every_scheme_and_plots_only_shown_ones(small_scheme: Store) -> None:
    points, limits, pooled = funnel(small_scheme, "warm_kind", settings=SETTINGS)
    # Pooled = all agree / all answers = (2 + 5 + 15 + 16) / (3 + 25 + 30 + 20) = 38 / 78,
    # the hidden schemes included (the total is published anyway).
    p = 38 / 78
    assert pooled == pytest.approx(100 * p)
    assert set(points["scheme"]) == {"C", "D"}  # A and B are hidden
    # Limits: p ± z sqrt(p(1 - p)/n) at each base, as percentages, clipped to 0-100.
    for level, lo, up in ((0.95, "lower95", "upper95"), (0.998, "lower998", "upper998")):
        z = sps.norm.ppf(0.5 + level / 2)
        half = z * np.sqrt(p * (1 - p) / limits["n"].to_numpy(dtype=float))
        assert limits[lo].to_numpy(dtype=float) == pytest.approx(
            100 * np.clip(p - half, 0, 1))
        assert limits[up].to_numpy(dtype=float) == pytest.approx(
            100 * np.clip(p + half, 0, 1))
    width = (limits["upper95"] - limits["lower95"]).to_numpy(dtype=float)
    assert np.all(np.diff(width) <= 1e-12) and width[0] > width[-1]  # wider for small n
    # The grid runs from a base of 1 to 1.1 x the largest scheme (30 -> 33).
    assert (limits["n"].min(), limits["n"].max()) == pytest.approx((1.0, 33.0))
    # p = 48.72%, sqrt(p(1 - p)) = 0.49984.
    # C 50% of 30: 95% limits 48.72 ± 1.96·9.13 = 30.8 .. 66.6 -> within.
    # D 80% of 20: 95% upper limit 48.72 + 1.96·11.18 = 70.6 < 80 < 99.8% upper limit
    # 48.72 + 3.09·11.18 = 83.3 -> above95.
    position = dict(zip(points["scheme"], points["position"]))
    assert position == {"C": "within", "D": "above95"}


def test_funnel_positions_far_from_the_pool(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb",
                       [("C", "Cedar Shared Lives", "London"), ("D", "Dale Shared Lives", "London"),
                        ("E", "Elm Shared Lives", "North East")])
    for scheme, yes, total in (("C", 20, 40), ("D", 90, 100), ("E", 3, 9)):
        upload(store, scheme, people(scheme, warm_kind=agree(yes, total)))
    points, _, pooled = funnel(store, "warm_kind", settings=SETTINGS)
    p = 113 / 149  # 75.84%
    assert pooled == pytest.approx(100 * p)
    z998 = sps.norm.ppf(0.999)
    # D: 90% of 100 > 99.8% upper limit p + 3.09 sqrt(p(1-p)/100) = 89.07%.
    assert p + z998 * math.sqrt(p * (1 - p) / 100) < 0.90
    # C: 50% of 40 < 99.8% lower limit p - 3.09 sqrt(p(1-p)/40) = 54.9%.
    assert p - z998 * math.sqrt(p * (1 - p) / 40) > 0.50
    position = dict(zip(points["scheme"], points["position"]))
    assert position["D"] == "above998" and position["C"] == "below998"


# ------------------------------------------------------------------ trend ---
def test_trend_series_and_test_leave_out_hidden_quarters(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London")])
    quarters = [  # quarter start, lonely, answered
        (dt.date(2025, 4, 1), 2, 12), (dt.date(2025, 7, 1), 1, 10), (Q_EARLY, 2, 3),
        (Q_PREV, 5, 11), (Q, 7, 12),
    ]
    for i, (start, often, total) in enumerate(quarters):
        upload(store, "A", people(f"q{i}-", on=start + dt.timedelta(days=20),
                                  lonely_how_often=[1] * often + [5] * (total - often)))
    series, result = trend(store, "lonely_often", settings=SETTINGS)
    assert series["quarter"].tolist() == [q for q, _, _ in quarters]
    # Q_EARLY (3 answers) is hidden; the quarters add up to the all-quarters total,
    # so that total is hidden instead of a second quarter (issue 12: the cheaper cell).
    assert series["suppressed"].tolist() == [False, False, True, False, False]
    assert series.loc[[2], ["value", "count", "n"]].isna().all().all()
    assert bool(one(indicator_table(store, khis=["lonely_often"], quarter="all",
                                    settings=SETTINGS))["suppressed"])
    assert series.loc[[0, 1, 3, 4], "value"].tolist() == pytest.approx(
        [100 * 2 / 12, 100 * 1 / 10, 100 * 5 / 11, 100 * 7 / 12]
    )
    # Cochran-Armitage over the four shown quarters, scored by position (0, 1, 3, 4 -
    # the hidden quarter keeps its gap): chi² = N r², r the correlation between the
    # 0/1 answer and the score over the 45 people; the slope is the least-squares
    # change per quarter, in percentage points.
    score = np.repeat([0.0, 1.0, 3.0, 4.0], [12, 10, 11, 12])
    lonely = np.concatenate(
        [[1] * k + [0] * (n - k) for k, n in ((2, 12), (1, 10), (5, 11), (7, 12))]
    ).astype(float)
    r = np.corrcoef(score, lonely)[0, 1]
    assert result.periods == 4
    assert result.statistic == pytest.approx(45 * r**2)
    assert result.p_value == pytest.approx(sps.chi2.sf(45 * r**2, 1))
    assert result.slope == pytest.approx(100 * np.polyfit(score, lonely, 1)[0])


# ------------------------------------------------------------------ answers & quality ---
def test_answer_distribution_is_shown_or_hidden_with_its_cell(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London"),
                                                 ("B", "Birch Shared Lives", "London"),
                                                 ("C", "Cherry Shared Lives", "London")])
    # A: 25 answers: 1 x6, 2 x2, 3 x0, 4 x7, 5 x10 (and one carer, not asked this item).
    answers = [1] * 6 + [2] * 2 + [4] * 7 + [5] * 10
    upload(store, "A", [*people("p", warm_kind=answers),
                        {"person": "c", "type": "carer", "warm_kind": 3}])
    upload(store, "B", people("b", warm_kind=[4] * 3 + [5] * 4))  # 7: hidden beside C
    upload(store, "C", people("k", warm_kind=[5] * 3))  # 3: below the minimum
    one_scheme = Filters(scheme_ids=("A",))
    dist = answer_distribution(store, "warm_kind", filters=one_scheme,
                               settings=SETTINGS).set_index("value")
    assert dist.index.tolist() == [1, 2, 3, 4, 5]
    # A's cell (25 people) is shown, so its whole distribution is, the 2 people who
    # answered "2" included: the KHI table already publishes 25 people and 17 agreeing.
    assert not dist["suppressed"].any()
    assert dist["count"].tolist() == [6, 2, 0, 7, 10]
    assert dist.loc[[4, 5], "percent"].tolist() == pytest.approx([700 / 25, 1000 / 25])
    # Every scheme's distribution is hidden exactly when its KHI row is: C (3 people)
    # and B, hidden with it so that London minus A does not give C.
    table = indicator_table(store, khis=["warm_kind"], by=["scheme"], settings=SETTINGS)
    kept = dict(zip(table["scheme"], table["suppressed"]))
    assert kept == {"A": False, "B": True, "C": True}
    for scheme, hidden in kept.items():
        dist = answer_distribution(store, "warm_kind", filters=Filters(scheme_ids=(scheme,)),
                                   settings=SETTINGS)
        assert dist["suppressed"].tolist() == [hidden] * len(dist), scheme
        assert dist["count"].isna().all() == hidden, scheme


def test_item_completeness_counts_each_items_audience(tmp_path: Path) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("A", "Alder Shared Lives", "London")])
    upload(store, "A", [
        *people("p", warm_kind=[5] * 8 + [None] * 2, swemwbs_1=[3] * 10),
        *people("c", type="carer", swemwbs_1=[4, None], carer_break_fits=[4, 4]),
    ])
    frame = item_completeness(store).set_index("item")
    # warm_kind is asked of people: 10 asked, 8 answered.
    assert frame.loc["warm_kind", ["asked", "answered"]].tolist() == [10, 8]
    assert frame.loc["warm_kind", "share"] == pytest.approx(80.0)
    # swemwbs_1 is asked of everyone: 12 asked, 11 answered - but 12 minus the 10
    # people asked warm_kind gives the 2 carers (issue 12), so it is hidden.
    assert bool(frame.loc["swemwbs_1", "suppressed"])
    assert frame.loc["swemwbs_1", ["asked", "answered"]].isna().all()
    # A carer item asked of 2 carers: below the minimum base, nothing shown.
    carer = frame.loc["carer_break_fits"]
    assert bool(carer["suppressed"]) and pd.isna(carer["asked"]) and pd.isna(carer["share"])


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """London in Q: A 10 people answered (one of them twice; three carers too), return
    40 long-term + 10 short breaks; B 3 answered, return 30; C 8 answered, no return
    for Q (last return Q_PREV). A also sent a return a year before Q: 40 long-term."""
    store = make_store(
        tmp_path_factory.mktemp("returns") / "khi.duckdb",
        [("A", "Ash Shared Lives", "London"), ("B", "Beech Shared Lives", "London"),
         ("C", "Cedar Shared Lives", "London")],
    )
    upload(store, "A", [*people("a", warm_kind=[4] * 10),
                        {"person": "a0", "on": Q + dt.timedelta(days=30), "warm_kind": 2},
                        *people("c", type="carer", carer_break_fits=[4, 4, 4])])
    upload(store, "B", people("b", warm_kind=[4] * 3))
    upload(store, "C", people("c", warm_kind=[4] * 8))
    add_activity(store, "A", Q, long_term=40, short_break=10)
    add_activity(store, "B", Q, long_term=30)
    add_activity(store, "C", Q_PREV, long_term=12)
    add_activity(store, "A", Q_YEAR_BEFORE, long_term=40)
    return store


def test_response_rates_count_people_once_and_hide_small_schemes(returns: Store) -> None:
    frame = response_rates(returns, quarter=Q)
    a, b, c = (one(frame, scheme_id=s) for s in ("A", "B", "C"))
    # A: 10 people (a0 once, carers not counted) of 50 supported = 20%.
    assert (a["responses"], a["people_supported"]) == (10, 50)
    assert a["rate"] == pytest.approx(20.0) and not a["suppressed"]
    # B: 3 responses, hidden; the next smallest in London, C (8), hidden with it.
    assert bool(b["suppressed"]) and pd.isna(b["responses"]) and pd.isna(b["rate"])
    assert bool(c["suppressed"]) and pd.isna(c["responses"])
    assert b["people_supported"] == 30 and pd.isna(c["people_supported"])


def test_response_rates_hide_at_the_callers_minimum_base(returns: Store) -> None:
    """A caller's minimum base (the board pack's, the command line's) hides the rates
    as it hides that caller's other figures: A's 10 people fall under a base of 12,
    and then every London scheme is hidden."""
    assert not bool(one(response_rates(returns, quarter=Q), scheme_id="A")["suppressed"])
    strict = response_rates(returns, quarter=Q, settings=Settings(min_base=12, min_compare=12))
    assert strict["suppressed"].astype(bool).all()
    assert strict["rate"].isna().all()


def test_people_supported_hide_at_the_callers_minimum_base(returns: Store) -> None:
    """The area's people supported (80 in London) is shown at the register's base and
    hidden at a caller's base above it, as the caller's other figures are."""
    from kpi.indicators import response_totals

    assert response_totals(returns, Q)["people_supported"] == 80
    strict = Settings(min_base=100, min_compare=100)
    assert response_totals(returns, Q, settings=strict)["people_supported"] is None


def test_missing_returns_lists_schemes_without_one(returns: Store) -> None:
    frame = missing_returns(returns, quarter=Q)
    assert frame["scheme_id"].tolist() == ["C"]
    assert frame["last_return"].tolist() == [Q_PREV]
    assert missing_returns(returns, quarter=Q_PREV)["scheme_id"].tolist() == ["A", "B"]


def test_the_activity_lattice_is_kept_until_a_return_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Activity counts are decided on the returns' own lattice over England, kept for
    every area, quarter and page (``protection.LATTICES``) until the store changes: a
    return stored after it is in the next decision. Here C's small return (3 people)
    hides it, and B with it (London's total less A would give C)."""
    from kpi.indicators import quality

    store = make_store(tmp_path / "khi.duckdb", [
        ("A", "Ash", "London"), ("B", "Beech", "London"), ("C", "Cedar", "London")])
    add_activity(store, "A", Q, long_term=40)
    add_activity(store, "B", Q, long_term=30)
    built = []
    real = quality.activity_lattice
    monkeypatch.setattr(quality, "activity_lattice",
                        lambda *a, **k: built.append(1) or real(*a, **k))

    def people(by: str = "scheme", **area: object) -> pd.Series:
        return activity_summary(store, Q, Filters(**area), by=by).set_index(by)[
            "people_supported"]

    assert people().to_dict() == {"A": 40, "B": 30}
    assert people(by="region").to_dict() == {"London": 70}
    assert people(scope=("A",)).to_dict() == {"A": 40}
    assert len(built) == 1  # three areas, one lattice
    add_activity(store, "C", Q, long_term=3)
    after = people()
    assert len(built) == 2
    assert after["A"] == 40 and pd.isna(after["B"]) and pd.isna(after["C"])


def test_activity_summary_growth_uses_schemes_with_both_returns(returns: Store) -> None:
    row = one(activity_summary(returns, quarter=Q), region="London")
    # Returns for Q: A (40 + 10) and B (30): 2 schemes, 80 people, 70 long-term.
    assert (row["schemes"], row["people_supported"], row["long_term"]) == (2, 80, 70)
    # A year before only A sent one (40): growth (50 - 40) / 40 = 25%; B is left out.
    assert row["people_year_before"] == 40
    assert row["growth_pct"] == pytest.approx(25.0)


# ------------------------------------------------------------------ refusals ---
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: indicator_table(s, khis=["no_such_khi"]), "Unknown KHI code 'no_such_khi'"),
        (lambda s: indicator_table(s, by=["postcode"]), "Unknown breakdown 'postcode'"),
        (lambda s: indicator_table(s, by=["scheme", "scheme"]), "only once"),
        (lambda s: indicator_table(s, filters=Filters(regions=("Atlantis",))),
         "Unknown region 'Atlantis'"),
        (lambda s: indicator_table(s, benchmark="wales"), "Unknown benchmark 'wales'"),
        (lambda s: indicator_table(s, quarter="2026 Q9"), "is not recognised"),
        (lambda s: change(s, "warm_kind"), "is not a change KHI"),
        (lambda s: change(s, "friends_change", by=["postcode"]), "Unknown breakdown"),
        (lambda s: equity(s, "friends_change", "gender"), "is a change KHI"),
        (lambda s: equity(s, "warm_kind", "postcode"), "Unknown breakdown 'postcode'"),
        (lambda s: funnel(s, "friends_mean"), "for proportions"),
        (lambda s: trend(s, "no_such_khi"), "Unknown KHI code"),
        (lambda s: activity_summary(s, by="gender"), "by must be 'region' or 'scheme'"),
    ],
)
def test_bad_arguments_say_what_is_wrong(two_quarters: Store, call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call(two_quarters)


@pytest.mark.slow  # every quarter x 28 areas, two engine calls each: about 40 s
def test_the_areas_people_supported_is_hidden_as_the_activity_summary_hides_it(
    demo_store: Store,
) -> None:
    """response_totals asks only whether the area's people supported is hidden; the
    answer is the activity summary's (by region) for every area and quarter."""
    from kpi.indicators import default_settings
    from kpi.indicators.quality import _area_people_hidden

    schemes = list(demo_store.schemes()["scheme_id"])
    areas = [Filters(), Filters(regions=("London",)), Filters(scope=tuple(schemes[:3])),
             *(Filters(scheme_ids=(s,)) for s in schemes[:25])]
    seen = set()
    for quarter in available_quarters(demo_store):
        for area in areas:
            summary = activity_summary(demo_store, quarter, area, by="region")
            expected = bool(summary.empty or summary["people_supported"].isna().any())
            hidden = _area_people_hidden(demo_store, quarter, area, default_settings().min_base)
            assert hidden == expected, (quarter, area)
            seen.add(expected)
    assert seen == {True, False}  # both answers occur, so the comparison can fail


@pytest.mark.slow  # eight areas, each through the all-quarters table: about 9 s
def test_the_latest_shown_quarter_is_the_all_quarters_tables(
    demo_store: Store, tmp_path: Path
) -> None:
    """The default period is read off the latest quarter alone when it shows something,
    else off the all-quarters table: either way the quarter the all-quarters table
    names, for a scheme with an upload in a new quarter (shown there), the schemes
    without one (the new quarter shows them nothing), a region and England."""
    from kpi.indicators import latest_quarter, latest_shown_quarter

    store = Store(tmp_path / "khi.duckdb")  # a copy: the shared demo store stays read-only
    shutil.copyfile(demo_store.path, store.path)
    schemes = list(store.schemes()["scheme_id"])
    new = shift_quarter(latest_quarter(store), 1)
    upload(store, schemes[0], people("new-", warm_kind=agree(8, 12),
                                     on=new + dt.timedelta(days=3)))
    scored = [k.code for k in catalogue() if k.measure != "change"]
    answers = set()
    for area in [Filters(), Filters(regions=("London",)),
                 *(Filters(scheme_ids=(s,), scope=(s,)) for s in schemes[:6])]:
        table = indicator_table(store, khis=scored, by=["quarter"], quarter="all",
                                filters=area, settings=SETTINGS)
        shown = table.loc[~table["suppressed"].astype(bool) & table["value"].notna(),
                          "quarter"]
        expected = max(pd.Timestamp(q).date() for q in shown) if len(shown) else new
        assert latest_shown_quarter(store, area, SETTINGS) == expected, area
        answers.add(expected == new)
    assert answers == {True, False}  # both ways of answering were taken


def three_schemes_counting_lattices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Store, dt.date, list[int]]:
    """Two London schemes of 10 people and a Welsh one of 4 (hidden), and the list
    that grows by one each time a disclosure lattice is built."""
    from kpi.indicators import protection
    from tests.builders import add_people

    store = make_store(tmp_path / "khi.duckdb", [
        ("S1", "One", "London"), ("S2", "Two", "London"), ("S3", "Three", "Wales")])
    quarter = dt.date(2026, 4, 1)
    for scheme, n in (("S1", 10), ("S2", 10), ("S3", 4)):
        add_people(store, scheme, quarter, pd.DataFrame({"warm_kind": [5] * n}))
    built: list[int] = []
    real = protection._lattice
    monkeypatch.setattr(protection, "_lattice",
                        lambda *a, **k: built.append(1) or real(*a, **k))
    return store, quarter, built


def test_one_lattice_serves_every_area_until_the_store_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disclosure lattice is over all of England, so tables of another area or
    scope share it (``protection.LATTICES``); a write changes the store's stamp, and
    the next table decides on the new answers, never on the kept lattice."""
    from kpi.indicators import Filters, Settings
    from tests.builders import add_people

    store, quarter, built = three_schemes_counting_lattices(tmp_path, monkeypatch)
    settings = Settings(min_base=5, min_compare=10)

    def table(**asked: object) -> pd.DataFrame:
        return indicator_table(store, ["warm_kind"], quarter=quarter, settings=settings,
                               **asked).set_index(asked.get("by", ["khi"])[0])

    by_scheme = table(by=["scheme"])
    assert bool(by_scheme.loc["S3", "suppressed"])  # 4 people (and its linked cells)
    table(by=["region"])
    table(filters=Filters(regions=("London",)))
    table(filters=Filters(scope=("S1", "S3")))
    assert len(built) == 1  # four areas, one lattice
    # Six answers from S3 (four of them the same people again): its base is 6.
    add_people(store, "S3", quarter, pd.DataFrame({"warm_kind": [5] * 6}))
    by_scheme = table(by=["scheme"])
    assert len(built) == 2
    assert not bool(by_scheme.loc["S3", "suppressed"]) and by_scheme.loc["S3", "n"] == 6


def test_one_count_lattice_serves_every_area_until_the_store_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts shown outside the KHI table (how many were asked an item and answered
    it, an answer's distribution) are decided on a lattice over England too: kept
    in ``protection.LATTICES`` for every area asking, and built again after a write,
    which the next figures follow."""
    from tests.builders import add_people

    store, quarter, built = three_schemes_counting_lattices(tmp_path, monkeypatch)
    wales = Filters(regions=("Wales",))

    def completeness(filters: Filters | None = None) -> pd.DataFrame:
        return item_completeness(store, quarter, filters).set_index("item")

    completeness()
    assert bool(completeness(wales).loc["warm_kind", "suppressed"])  # S3's 4 people
    completeness(Filters(scope=("S1", "S3")))
    assert len(built) == 1  # three areas, one lattice of the items' counts
    answers = answer_distribution(store, "warm_kind", quarter=quarter, filters=wales)
    assert answers["suppressed"].all()
    answer_distribution(store, "warm_kind", quarter=quarter)
    assert len(built) == 2  # the answers' own counts: one lattice for both areas
    # Twelve answers from S3 (four of them the same people again): 12 people asked.
    add_people(store, "S3", quarter, pd.DataFrame({"warm_kind": [5] * 12}))
    after = completeness(wales)
    assert len(built) == 3
    assert not bool(after.loc["warm_kind", "suppressed"])
    assert after.loc["warm_kind", "asked"] == 12
    answers = answer_distribution(store, "warm_kind", quarter=quarter, filters=wales)
    assert len(built) == 4 and not answers["suppressed"].any()
