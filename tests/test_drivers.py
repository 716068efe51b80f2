"""What goes with better outcomes: the logistic model against a published worked
example, the adjusted odds ratios on a constructed store, no estimate for small
groups, and the page under AppTest."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kpi import drivers as model
from kpi.catalogue import khi
from kpi.indicators import Settings
from kpi.store import Store
from tests.apptest_helpers import dataframe_with, figure, markdown, open_page, static_tables
from tests.builders import add_people, make_store

Q = dt.date(2025, 7, 1)  # 2025/26 Q2


def test_the_fit_reproduces_spector_and_mazzeo_1980() -> None:
    """Spector & Mazzeo (1980) logit, as published (Greene, Econometric Analysis,
    Table 21.1): const -13.0213 (4.9313), GPA 2.8261 (1.2629), TUCE 0.0952 (0.1416),
    PSI 2.3787 (1.0646)."""
    import statsmodels.api as sm

    data = sm.datasets.spector.load_pandas()
    fit = model.odds_ratios(data.endog, data.exog[["GPA", "TUCE", "PSI"]])
    assert fit["coef"].round(4).to_dict() == {
        "const": -13.0213, "GPA": 2.8261, "TUCE": 0.0952, "PSI": 2.3787}
    assert fit["se"].round(4).to_dict() == {
        "const": 4.9313, "GPA": 1.2629, "TUCE": 0.1416, "PSI": 1.0646}
    psi = fit.loc["PSI"]
    assert psi["odds_ratio"] == pytest.approx(np.exp(2.3787), rel=1e-4)  # about 10.8
    assert psi["lower95"] == pytest.approx(np.exp(2.378688 - 1.959964 * 1.064564), rel=1e-4)
    assert psi["upper95"] == pytest.approx(np.exp(2.378688 + 1.959964 * 1.064564), rel=1e-4)


def test_a_separated_outcome_is_refused_not_estimated() -> None:
    y = pd.Series([0] * 20 + [1] * 20)
    x = pd.DataFrame({"factor=yes": [0.0] * 20 + [1.0] * 20})
    with pytest.raises(ValueError, match="could not be fitted|did not converge"):
        model.odds_ratios(y, x)


def people(n: int, planned: int, friend_if_planned: float, friend_if_not: float,
           need: str, seed: int) -> pd.DataFrame:
    """``n`` people, ``planned`` of them fully involved in planning; a share of each
    group has a friend, exactly (rounded)."""
    rng = np.random.default_rng(seed)
    rows = []
    for group, size, share in (("yes", planned, friend_if_planned),
                               ("no", n - planned, friend_if_not)):
        friends = round(size * share)
        for i in range(size):
            rows.append({
                "planning_involvement": 1 if group == "yes" else 3,
                "friends_count": 2 if i < friends else 0,
                "primary_need": need,
                "age_band": rng.choice(["25-34", "50-64"]),
                "support_type": rng.choice(["long_term", "short_break"]),
            })
    frame = pd.DataFrame(rows)
    for item in ("planning_involvement", "friends_count"):
        frame[item] = pd.array(frame[item], dtype="Int8")
    return frame


@pytest.fixture(scope="module")
def planning(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """North East: 400 people; fully involved in planning goes with having a friend
    (80% against 50%) within each main need. London: 20 people only."""
    store = make_store(tmp_path_factory.mktemp("drivers") / "khi.duckdb",
                       [("S1", "Tynemere Shared Lives", "North East"),
                        ("S2", "Lea Bridge Shared Lives", "London")])
    add_people(store, "S1", Q, pd.concat([
        people(200, 100, 0.8, 0.5, "learning_disability", 1),
        people(200, 100, 0.8, 0.5, "dementia", 2)], ignore_index=True))
    add_people(store, "S2", Q, people(20, 10, 0.8, 0.5, "dementia", 3))
    return store


def test_planning_goes_with_friendship_by_the_adjusted_odds_ratio(planning: Store) -> None:
    from kpi.indicators import Filters

    found, base, note = model.drivers(planning, "friends_any", "planning_full", quarter=Q,
                                      filters=Filters(regions=("North East",)))
    # The groups of a process KHI are no published table's cells: no counts.
    assert note == "" and base is None
    [planned] = found
    # Within each need the odds are 4 against 1 and 1 against 1: an odds ratio of 4.
    assert planned.odds_ratio == pytest.approx(4.0, rel=0.05)
    assert planned.lower95 < 4.0 < planned.upper95 and planned.lower95 > 1
    assert planned.n is None and planned.share == pytest.approx(80.0)
    assert planned.reference_share == pytest.approx(50.0)
    sentence = planned.sentence(khi("friends_any"))
    assert sentence.startswith(f"People fully involved in planning their support had "
                               f"{planned.odds_ratio:.1f} times the odds of having at least "
                               "one friend (80% of them, "
                               f"against 50% of people who were partly or not involved)")
    assert sentence.endswith("unlikely to be chance) — an association, not proof of cause.")


def test_a_small_base_shows_no_estimate(planning: Store) -> None:
    from kpi.indicators import Filters

    found, base, note = model.drivers(planning, "friends_any", "planning_full", quarter=Q,
                                      filters=Filters(regions=("London",)))
    assert found == [] and base is None
    assert "Too few people" in note and str(model.MIN_MODEL) in note


def test_a_small_group_inside_a_large_model_has_no_number(planning: Store) -> None:
    # Strict minimums: 400 people, but no group of 250.
    found, _, _ = model.drivers(planning, "friends_any", "planning_full", quarter=Q,
                                settings=Settings(min_base=150, min_compare=10))
    assert [d.estimated for d in found] == [False]
    assert found[0].odds_ratio is None and found[0].share is None
    assert "too few answers" in found[0].reason


def test_unknown_choices_are_refused(planning: Store) -> None:
    with pytest.raises(ValueError, match="Unknown outcome 'warm_kind'"):
        model.drivers(planning, "warm_kind", "planning_full")
    with pytest.raises(ValueError, match="Unknown factor 'postcode'"):
        model.drivers(planning, "friends_any", "postcode")


def test_the_page_shows_the_estimate_in_words(planning: Store, monkeypatch) -> None:
    at = open_page(monkeypatch, planning, "pages/drivers.py",
                   {"quarter": "2025/26 Q2", "region": "North East"},
                   state={"drivers_outcome": "friends_any", "drivers_factor": "planning_full"})
    assert not at.exception, [e.value for e in at.exception]
    text = markdown(at)
    assert "Base: not shown" in text
    assert "times the odds of having at least one friend (80% of them, against 50%" in text
    assert "an association, not proof of cause" in text
    shown = dataframe_with(at, "Odds ratio")
    assert list(shown["Answered"]) == [""]
    assert float(shown["Odds ratio"][0]) == pytest.approx(4.0, rel=0.05)
    drawn = figure(at, "drivers_chart")["data"][0]["x"]
    assert drawn[0] == pytest.approx(4.0, rel=0.05)


def test_support_type_counts_are_the_khi_tables_own(planning: Store) -> None:
    """By support type, each group's count and the base are the friends_any table's
    cells by support type (shown as that table shows them)."""
    from kpi.indicators import Filters, indicator_table

    area = Filters(regions=("North East",))
    found, base, _ = model.drivers(planning, "friends_any", "support_type", quarter=Q,
                                   filters=area)
    table = indicator_table(planning, ["friends_any"], by=["support_type"], quarter=Q,
                            filters=area).set_index("support_type")
    assert base == 400 == int(table["n"].sum())
    [group] = found  # the larger of the two is the reference
    code = "long_term" if group.group == "People in long-term" else "short_break"
    other = "short_break" if code == "long_term" else "long_term"
    assert group.n == int(table.loc[code, "n"])
    assert group.reference_n == int(table.loc[other, "n"])
    assert group.share == pytest.approx(table.loc[code, "value"])


def test_the_page_says_when_there_are_too_few(planning: Store, monkeypatch) -> None:
    at = open_page(monkeypatch, planning, "pages/drivers.py",
                   {"quarter": "2025/26 Q2", "region": "London"},
                   state={"drivers_outcome": "friends_any", "drivers_factor": "planning_full"})
    assert not at.exception, [e.value for e in at.exception]
    assert "Too few people" in " ".join(i.value for i in at.info)
    tables = [d.value for d in at.dataframe] + static_tables(at)
    assert not [t for t in tables if "Odds ratio" in t.columns]


@pytest.fixture(scope="module")
def separated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, pd.DataFrame]:
    """Yorkshire: 420 people as the North East's (dementia the largest need), and 8
    more whose main need is autism, none of whom has a friend: a small covariate
    group, all-no (separated)."""
    store = make_store(tmp_path_factory.mktemp("separated") / "khi.duckdb",
                       [("Y1", "Wharfe Shared Lives", "Yorkshire and the Humber")])
    few = people(8, 4, 0.0, 0.0, "autism", 5)
    frame = pd.concat([people(200, 100, 0.8, 0.5, "learning_disability", 1),
                       people(220, 110, 0.8, 0.5, "dementia", 2), few], ignore_index=True)
    add_people(store, "Y1", Q, frame)
    return store, frame


def test_a_separated_small_covariate_group_joins_the_reference(separated) -> None:
    """Before: the 8 all-no people stopped the fit and no group had an estimate.
    Now they are counted with the largest need, the model says so, and the odds
    ratio is statsmodels' own on that design."""
    import statsmodels.formula.api as smf

    store, frame = separated
    found, base, note = model.drivers(store, "friends_any", "planning_full", quarter=Q)
    assert note == "" and base is None
    [planned] = found
    assert planned.estimated, planned.reason
    assert planned.joined == ("main support need “groups of fewer than 30 people together” "
                              "counted with “Dementia” (no one in it has the outcome)",)
    # The same model written independently: autism recoded to the reference.
    data = pd.DataFrame({
        "y": (frame["friends_count"] >= 1).astype(int),
        "planned": (frame["planning_involvement"] == 1).astype(int),
        "need": frame["primary_need"].replace({"autism": "dementia"}),
        "age": frame["age_band"], "support": frame["support_type"],
    })
    fit = smf.logit("y ~ planned + C(need) + C(age) + C(support)", data).fit(disp=0)
    assert planned.odds_ratio == pytest.approx(np.exp(fit.params["planned"]), rel=1e-9)
    low, high = np.exp(fit.conf_int().loc["planned"])
    assert (planned.lower95, planned.upper95) == (pytest.approx(low, rel=1e-9),
                                                  pytest.approx(high, rel=1e-9))


def test_the_page_says_which_group_joined_the_reference(separated, monkeypatch) -> None:
    store, _ = separated
    at = open_page(monkeypatch, store, "pages/drivers.py",
                   {"quarter": "2025/26 Q2", "region": "Yorkshire and the Humber"},
                   state={"drivers_outcome": "friends_any", "drivers_factor": "planning_full"})
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(str(c.value) for c in at.caption)
    assert ("To fit the model, main support need “groups of fewer than 30 people together” "
            "counted with “Dementia” (no one in it has the outcome).") in captions
    assert float(dataframe_with(at, "Odds ratio")["Odds ratio"][0]) > 1
