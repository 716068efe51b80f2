"""The synthetic demo sector: marked as demo, valid against the item bank, consistent
(activity covers respondents), reproducible, replaceable, and never mixed with real data.

Store-level checks use the session ``demo_store`` (3,000 people, 4 quarters) read-only;
statistical plausibility is checked on :func:`kpi.demo.generate` output in memory,
which takes a fraction of a second for 20,000 people.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from kpi.demo import DemoData, default_end_quarter, generate, load_demo, person_keys
from kpi.items import bank
from kpi.periods import quarter_label, shift_quarter
from kpi.store import ATTRIBUTE_COLUMNS, Store

END = dt.date(2026, 4, 1)  # a fixed, complete quarter: 2026/27 Q1


@pytest.fixture(scope="module")
def sector() -> DemoData:
    """A default-sized sector in memory (no store): for distributions and effects."""
    return generate(people=20000, quarters=8, seed=2026, end_quarter=END)


def _load_small(store: Store, seed: int = 3) -> dict:
    return load_demo(store, people=400, quarters=2, seed=seed, end_quarter=END)


# ------------------------------------------------------------- marked demo ---
def test_demo_store_is_marked_as_demo_everywhere(demo_store: Store) -> None:
    assert demo_store.is_demo()
    uploads = demo_store.uploads()
    assert len(uploads) == 1
    assert uploads["kind"].tolist() == ["demo"]
    assert uploads["is_demo"].all()
    assert demo_store.schemes()["is_demo"].all()
    ids = demo_store.query("SELECT DISTINCT upload_id FROM responses")["upload_id"].tolist()
    assert ids == uploads["upload_id"].tolist()


# ------------------------------------------------------- counts and schema ---
def test_schemes_cover_every_region_with_plausible_register(demo_store: Store) -> None:
    schemes = demo_store.schemes()
    assert 140 <= len(schemes) <= 160
    assert set(schemes["region"]) == set(bank().region_names)  # names, all twelve
    assert schemes["scheme_id"].str.fullmatch(r"SL\d{3}").all()
    assert schemes["name"].is_unique
    assert schemes["local_authority"].notna().all()
    per_region = schemes["region"].value_counts()
    assert per_region["Northern Ireland"] < per_region["London"]
    assert per_region["South East"] > per_region["North East"]
    nations = {r.name: r.nation for r in bank().regions}
    english = schemes["region"].map(nations) == "England"
    ratings = schemes.loc[english, "cqc_rating"].value_counts(normalize=True, dropna=False)
    assert set(ratings.index) == {"outstanding", "good", "requires_improvement"}
    assert 0.85 <= ratings["good"] <= 0.95
    assert (schemes.loc[english, "cqc_rating_date"].dt.date <= dt.date.today()).all()
    # CQC inspects England only.
    assert schemes.loc[~english, ["cqc_rating", "cqc_rating_date"]].isna().all().all()


def test_every_item_value_is_inside_its_scale(demo_store: Store) -> None:
    selects = ", ".join(
        f"min({item.code}) AS {item.code}_min, max({item.code}) AS {item.code}_max"
        for item in bank().items
    )
    row = demo_store.query(f"SELECT {selects} FROM responses").iloc[0]
    for item in bank().items:
        assert item.scale.min <= row[f"{item.code}_min"], item.code
        assert row[f"{item.code}_max"] <= item.scale.max, item.code


def test_items_follow_their_audience_and_some_are_missing(demo_store: Store) -> None:
    counts = demo_store.query(
        "SELECT respondent_type, count(*) AS n, "
        + ", ".join(f"count({item.code}) AS {item.code}" for item in bank().items)
        + " FROM responses GROUP BY respondent_type"
    ).set_index("respondent_type")
    for item in bank().items:
        for who in ("person", "carer"):
            answered = counts.loc[who, item.code] / counts.loc[who, "n"]
            if item.audience in ("all", who):
                assert 0.88 <= answered <= 0.98, (item.code, who, answered)
            else:
                assert answered == 0, (item.code, who)


def test_attributes_use_bank_codes_with_a_few_not_recorded(demo_store: Store) -> None:
    frame = demo_store.query("SELECT * FROM responses")
    for code in ATTRIBUTE_COLUMNS:
        values = frame[code]
        assert set(values.dropna()) <= set(bank().attribute(code).codes), code
        assert 0.005 <= values.isna().mean() <= 0.08, code
    assert set(frame["respondent_type"]) == {"person", "carer"}


def test_about_a_fifth_of_people_are_carers(demo_store: Store) -> None:
    people = demo_store.query(
        "SELECT respondent_type, count(DISTINCT person_key) AS n FROM responses GROUP BY 1"
    ).set_index("respondent_type")["n"]
    assert people.sum() == 3000
    assert 0.16 <= people["carer"] / people.sum() <= 0.24


def test_person_keys_are_synthetic_hex_and_unique() -> None:
    keys = person_keys(7, 5000).to_pylist()
    assert len(set(keys)) == 5000
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in keys)
    assert person_keys(7, 3).to_pylist() == keys[:3]
    assert person_keys(8, 3).to_pylist() != keys[:3]


# ------------------------------------------------------------- consistency ---
def test_activity_returns_cover_the_respondents(demo_store: Store) -> None:
    check = demo_store.query(
        """WITH r AS (
             SELECT scheme_id, quarter_start, support_type, count(*) AS n
             FROM responses WHERE support_type IS NOT NULL GROUP BY ALL)
           SELECT r.*, CASE r.support_type
             WHEN 'long_term' THEN a.long_term WHEN 'short_break' THEN a.short_break
             WHEN 'day_support' THEN a.day_support ELSE a.home_from_hospital END AS supported
           FROM r LEFT JOIN activity_returns a USING (scheme_id, quarter_start)"""
    )
    sent = check["supported"].notna()
    # A few schemes are late with a return (about 5% in the latest quarter).
    assert 0.9 < sent.mean() < 1.0
    assert (check.loc[sent, "supported"] >= check.loc[sent, "n"]).all()
    returns = demo_store.query(
        "SELECT count(*) AS n, count(DISTINCT (scheme_id, quarter_start)) AS cells, "
        "count(DISTINCT quarter_start) AS q, count(DISTINCT scheme_id) AS s FROM activity_returns"
    ).iloc[0]
    assert returns["n"] == returns["cells"]
    assert 0.9 * returns["q"] * returns["s"] < returns["n"] < returns["q"] * returns["s"]
    assert returns["q"] == 4


def test_activity_scale_growth_and_response_rates(sector: DemoData) -> None:
    activity = sector.activity.merge(
        sector.schemes[["scheme_id", "region"]], on="scheme_id"
    )
    people_cols = ["long_term", "short_break", "day_support", "home_from_hospital"]
    activity["people"] = activity[people_cols].sum(axis=1)
    nations = {r.name: r.nation for r in bank().regions}
    england = activity[activity["region"].map(nations) == "England"]
    by_quarter = england.groupby("quarter_start")["people"].sum()
    assert 11_000 <= by_quarter.iloc[-1] < 12_000  # "just under 12,000" at 20,000 people
    assert by_quarter.iloc[-1] > by_quarter.iloc[-5]  # grew over the year
    growth = activity.pivot_table(
        index="region", columns="quarter_start", values="people", aggfunc="sum"
    )
    change = growth.iloc[:, -1] / growth.iloc[:, 0]
    assert change.max() - change.min() > 0.15  # regions diverge
    carers = activity["approved_carers"].sum() / activity["people"].sum()
    assert 0.7 <= carers <= 0.9
    persons = pc.sum(pc.equal(sector.responses["respondent_type"], "person")).as_py()
    rate = persons / activity["people"].sum()
    assert 0.3 <= rate <= 0.7


def test_people_answer_repeatedly_and_no_date_is_in_the_future(demo_store: Store) -> None:
    stats = demo_store.query(
        """SELECT count(*) FILTER (WHERE n >= 2) AS repeat, count(*) AS people
           FROM (SELECT person_key, count(*) AS n FROM responses GROUP BY 1)"""
    ).iloc[0]
    assert stats["repeat"] / stats["people"] > 0.4
    dates = demo_store.query(
        "SELECT max(completed_on) AS last, min(completed_on) AS first, "
        "count(*) FILTER (WHERE quarter_start <> date_trunc('quarter', completed_on)) AS bad, "
        "count(*) - count(DISTINCT (person_key, quarter_start)) AS twice FROM responses"
    ).iloc[0]
    end = default_end_quarter()
    assert dates["last"].date() < shift_quarter(end, 1) <= dt.date.today()
    assert dates["first"].date() >= shift_quarter(end, -3)
    assert dates["bad"] == 0
    assert dates["twice"] == 0  # one answer per person per quarter


# ------------------------------------------------------ realism and effects ---
def _persons(sector: DemoData) -> dict[str, np.ndarray]:
    """The people's (not carers') responses as numpy columns: codes decoded, NaN = no answer."""
    table = sector.responses.filter(pc.equal(sector.responses["respondent_type"], "person"))
    out = {}
    for name in table.column_names:
        column = table[name]
        if pa.types.is_dictionary(column.type):
            column = pc.cast(column, pa.string())
        out[name] = column.to_numpy(zero_copy_only=False)
    return out


def _swemwbs_metric(cols: dict[str, np.ndarray]) -> np.ndarray:
    raw = sum(cols[f"swemwbs_{k}"] for k in range(1, 8))
    conversion = bank().swemwbs_conversion
    table = np.array([conversion.get(v, np.nan) for v in range(36)])
    out = np.full(len(raw), np.nan)
    ok = ~np.isnan(raw)
    out[ok] = table[raw[ok].astype(int)]
    return out


def test_headline_values_are_plausible(sector: DemoData) -> None:
    cols = _persons(sector)
    metric = _swemwbs_metric(cols)
    assert 22 <= np.nanmean(metric) <= 24.5
    lonely = cols["lonely_how_often"]
    share = np.nanmean(lonely[~np.isnan(lonely)] == 1)
    assert 0.08 <= share <= 0.2
    friends = cols["friends_count"][~np.isnan(cols["friends_count"])]
    assert 0.8 <= np.mean(friends >= 1) <= 0.95
    assert np.median(friends) <= 8 and friends.max() > 8
    warm = cols["warm_kind"][~np.isnan(cols["warm_kind"])]
    assert np.mean(warm >= 4) > 0.85


def test_loneliness_falls_over_time_and_groups_differ(sector: DemoData) -> None:
    cols = _persons(sector)
    quarter = cols["completed_on"].astype(np.int64)
    lonely = cols["lonely_how_often"] == 1
    answered = ~np.isnan(cols["lonely_how_often"])
    first = lonely[answered & (quarter <= np.quantile(quarter, 0.15))].mean()
    last = lonely[answered & (quarter >= np.quantile(quarter, 0.85))].mean()
    assert last < first - 0.02
    metric = _swemwbs_metric(cols)
    need = cols["primary_need"]
    assert np.nanmean(metric[need == "mental_health"]) < np.nanmean(
        metric[need == "learning_disability"]
    ) - 0.7
    by = cols["completed_by"]
    assert np.nanmean(metric[by == "proxy"]) < np.nanmean(metric[by == "self"]) - 0.7
    assert lonely[answered & (need == "older_frailty")].mean() > lonely[
        answered & (need == "learning_disability")
    ].mean() + 0.05


def test_repeat_answers_are_correlated(sector: DemoData) -> None:
    cols = _persons(sector)
    metric = _swemwbs_metric(cols)
    order = np.lexsort((cols["completed_on"], cols["person_key"]))
    key, value = cols["person_key"][order], metric[order]
    same = key[1:] == key[:-1]
    pairs = same & ~np.isnan(value[1:]) & ~np.isnan(value[:-1])
    corr = np.corrcoef(value[:-1][pairs], value[1:][pairs])[0, 1]
    assert 0.4 <= corr <= 0.85  # persistent, but people do change


def test_some_schemes_are_outliers_on_a_funnel(sector: DemoData) -> None:
    cols = _persons(sector)
    latest = cols["completed_on"] >= np.datetime64(END)
    answered = latest & ~np.isnan(cols["emotional_health_better"])
    agree = cols["emotional_health_better"][answered] >= 4
    schemes = cols["scheme_id"][answered]
    ids, index = np.unique(schemes, return_inverse=True)
    n = np.bincount(index)
    hits = np.bincount(index, weights=agree)
    p0 = hits.sum() / n.sum()
    z = (hits / n - p0) / np.sqrt(p0 * (1 - p0) / n)
    assert (np.abs(z) > 3.09).sum() >= 1  # outside the 99.8% limits


# --------------------------------------------------- reproducible, replace ---
def test_same_seed_same_data_other_seed_other_data() -> None:
    one = generate(people=600, quarters=3, seed=11, end_quarter=END)
    two = generate(people=600, quarters=3, seed=11, end_quarter=END)
    other = generate(people=600, quarters=3, seed=12, end_quarter=END)
    assert one.responses.equals(two.responses)
    assert one.activity.equals(two.activity)
    assert one.schemes.equals(two.schemes)
    assert not one.responses.equals(other.responses)


def test_reloading_replaces_the_demo(tmp_path: Path) -> None:
    store = Store(tmp_path / "khi.duckdb")
    first = _load_small(store)
    assert set(first) >= {"schemes", "people", "responses", "quarters", "activity_returns",
                          "seconds"}
    assert first["quarters"] == [quarter_label(shift_quarter(END, -1)), quarter_label(END)]
    assert first["people"] == 400 and 0.9 < first["activity_returns"] / (first["schemes"] * 2) < 1
    second = _load_small(store, seed=4)
    counts = store.query(
        "SELECT (SELECT count(*) FROM responses) AS responses, "
        "(SELECT count(*) FROM schemes) AS schemes, (SELECT count(*) FROM uploads) AS uploads, "
        "(SELECT count(*) FROM activity_returns) AS activity, "
        "(SELECT count(DISTINCT person_key) FROM responses) AS people"
    ).iloc[0]
    assert counts["responses"] == second["responses"]
    assert counts["schemes"] == second["schemes"]
    assert counts["uploads"] == 1
    assert counts["activity"] == second["activity_returns"]
    assert counts["people"] == 400
    assert store.is_demo()


def test_refuses_a_store_with_real_uploads(fresh_store: Store) -> None:
    with fresh_store.transaction() as con:
        fresh_store.new_upload(
            con, scheme_id="X1", kind="survey", file_name="real.csv", sha256="abc",
            uploaded_by="test", layout="template",
        )
    with pytest.raises(ValueError, match="holds real data.*not loaded"):
        _load_small(fresh_store)
    assert fresh_store.is_empty()
    assert not fresh_store.is_demo()
    assert len(fresh_store.uploads()) == 1


def test_refuses_a_store_with_a_real_scheme_register(fresh_store: Store) -> None:
    real = pd.DataFrame(
        [{"scheme_id": "SL001", "name": "Real", "region": "London", "is_demo": False}]
    )
    with fresh_store.transaction() as con:
        fresh_store.upsert_schemes(con, real)
    with pytest.raises(ValueError, match="1 schemes that are not demo"):
        _load_small(fresh_store)
    assert fresh_store.schemes()["name"].tolist() == ["Real"]


def test_default_end_quarter_is_the_last_complete_one() -> None:
    assert default_end_quarter(dt.date(2026, 11, 24)) == dt.date(2026, 7, 1)
    assert default_end_quarter(dt.date(2026, 4, 1)) == dt.date(2026, 1, 1)
    assert default_end_quarter(dt.date(2026, 3, 31)) == dt.date(2025, 10, 1)


def test_bad_arguments_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="at least one person"):
        generate(people=0)
    with pytest.raises(ValueError, match="at least one quarter"):
        generate(quarters=0)
    with pytest.raises(ValueError, match="has not started yet"):
        generate(people=10, end_quarter=dt.date.today() + dt.timedelta(days=200))


def test_current_quarter_stops_at_today() -> None:
    today = dt.date(2026, 5, 10)
    data = generate(people=300, quarters=1, seed=1, end_quarter=today, today=today)
    dates = data.responses["completed_on"].to_pylist()
    assert min(dates) >= dt.date(2026, 4, 1) and max(dates) <= today
