"""The board summary: change tests, sentences that never overclaim, hidden cells unsaid.

Stores are built directly (one transaction, a scheme register, one upload) so the
true answer of every test is known by construction.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kpi.board import (
    ChangeTest,
    PeriodChange,
    board_summary,
    change_sentence,
    change_test_means,
    change_test_proportions,
    difference_of_means,
    difference_of_proportions,
)
from kpi.catalogue import khi
from kpi.indicators import Filters, response_rates
from kpi.periods import quarter_label, shift_quarter
from kpi.store import Store
from tests.builders import make_store

Q = dt.date(2025, 7, 1)  # 2025/26 Q2
PREVIOUS = shift_quarter(Q, -1)


# ------------------------------------------------------------------ store builders ---
def add_responses(
    store: Store,
    scheme_id: str,
    quarter: dt.date,
    answers: dict[str, list[int | None]],
    respondent_type: str = "person",
    people_supported: int | None = None,
) -> None:
    """One survey upload: person i answers answers[item][i]; people differ by quarter."""
    n = len(next(iter(answers.values())))
    frame = pd.DataFrame(
        {
            "scheme_id": scheme_id,
            "person_key": [f"{scheme_id}-{quarter}-{respondent_type}-{i}" for i in range(n)],
            "respondent_type": respondent_type,
            "completed_on": quarter + dt.timedelta(days=10),
            "source_row": range(2, n + 2),
            **{item: pd.array(values, dtype="Int8") for item, values in answers.items()},
        }
    )
    with store.transaction() as con:
        upload = store.new_upload(
            con, scheme_id=scheme_id, kind="survey", file_name="test.csv", sha256=None,
            uploaded_by="test", layout="template", rows_read=n,
        )
        store.bulk_insert_responses(con, upload, frame)
        if people_supported is not None:
            activity = pd.DataFrame(
                {"scheme_id": [scheme_id], "quarter_start": [quarter],
                 "long_term": [people_supported], "short_break": [0], "day_support": [0],
                 "home_from_hospital": [0], "approved_carers": [1],
                 "new_arrangements": [0], "ended_arrangements": [0]}
            )
            store.store_activity(con, upload, activity)
        store.finish_upload(con, upload, accepted=n, rejected=0)


def lonely(often: int, total: int) -> dict[str, list[int | None]]:
    """``often`` people 'Often or always' lonely (1), the rest 'Never' (5)."""
    return {"lonely_how_often": [1] * often + [5] * (total - often)}


@pytest.fixture(scope="module")
def constructed(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Four schemes, two quarters:

    * S1 (North East): loneliness 40% of 400 -> 5% of 400 (a real fall);
    * S2 (London): 10 of 30 -> 12 of 30 (noise);
    * S3 (London): 3 people this quarter (hidden), 20 last quarter;
    * S4 (London): 4 of 20 both quarters (hidden beside S3 this quarter).
    """
    store = make_store(
        tmp_path_factory.mktemp("board") / "khi.duckdb",
        [("S1", "Tynemere Shared Lives", "North East"),
         ("S2", "Lea Bridge Shared Lives", "London"),
         ("S3", "Effra Shared Lives", "London"),
         ("S4", "Brent Shared Lives", "London")],
    )
    # S4, smaller than S2, is the second cell hidden beside S3 this quarter (London
    # minus S2 must not give S3); S2 stays shown.
    add_responses(store, "S4", PREVIOUS, lonely(4, 20), people_supported=40)
    add_responses(store, "S4", Q, lonely(4, 20), people_supported=40)
    add_responses(store, "S1", PREVIOUS, lonely(160, 400), people_supported=900)
    add_responses(store, "S1", Q, lonely(20, 400), people_supported=900)
    add_responses(store, "S2", PREVIOUS, lonely(10, 30), people_supported=60)
    add_responses(store, "S2", Q, lonely(12, 30), people_supported=60)
    add_responses(store, "S3", PREVIOUS, lonely(5, 20))
    add_responses(store, "S3", Q, lonely(2, 3))
    return store


# ------------------------------------------------------------------ change tests ---
# Newcombe (1998) Table II, method 10 (hybrid score), 95% limits.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_TABLE_II)
def test_difference_of_proportions_matches_newcombe_1998(counts, expected) -> None:
    x1, n1, x2, n2 = counts
    d, lower, upper = difference_of_proportions(x1, n1, x2, n2)
    assert d == pytest.approx(x1 / n1 - x2 / n2)
    assert (round(lower, 4), round(upper, 4)) == expected


def test_difference_of_means_matches_scipy_welch() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(5, 2, 30), rng.normal(4, 3, 45)
    result = stats.ttest_ind(a, b, equal_var=False)
    for level in (0.95, 0.998):
        d, lower, upper = difference_of_means(
            a.mean(), a.std(ddof=1), 30, b.mean(), b.std(ddof=1), 45, level
        )
        ci = result.confidence_interval(level)
        assert (lower, upper) == pytest.approx((ci.low, ci.high))
    # p = 0.043: real at 95%, not at 99.8%
    test = change_test_means(a.mean(), a.std(ddof=1), 30, b.mean(), b.std(ddof=1), 45)
    assert result.pvalue == pytest.approx(0.0428, abs=1e-4)
    assert test.level == "95%"


def test_change_levels_follow_the_intervals() -> None:
    big = change_test_proportions(20, 400, 160, 400)
    assert big.level == "99.8%" and big.difference == pytest.approx(-35.0)
    assert big.upper998 < 0
    noise = change_test_proportions(12, 30, 10, 30)
    assert noise.level == "none" and noise.lower95 < 0 < noise.upper95
    assert change_test_proportions(0, 0, 1, 5).level == "untested"
    assert change_test_means(3.0, 0.0, 10, 2.0, 0.0, 10).level == "untested"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: difference_of_proportions(6, 5, 1, 5), "x1 must be less than or equal to n1"),
        (lambda: difference_of_proportions(1, 5, 7, 5), "x2 must be less than or equal to n2"),
        (lambda: difference_of_proportions(-1, 5, 1, 5), "x1 must be greater than or equal"),
        (lambda: difference_of_proportions(1, math.inf, 1, 5), "n1 must be finite"),
        (lambda: difference_of_proportions("a", 5, 1, 5), "x1 must be a number"),
        (lambda: difference_of_proportions(1, 5, 1, 5, 1.5), "confidence must be between"),
        (lambda: difference_of_means(1, -1, 5, 1, 1, 5), "sd1 must be greater than or equal"),
        (lambda: difference_of_means(1, 1, 5, 1, 1, 5, 0), "confidence must be between"),
    ],
)
def test_bad_arguments_say_what_is_wrong(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------ sentences ---
LONELY = khi("lonely_often")


def _change(previous: float | None, test: ChangeTest, verdict: str) -> PeriodChange:
    return PeriodChange("last quarter", PREVIOUS, quarter_label(PREVIOUS), previous,
                        previous is None, test, verdict)


def test_sentence_words_follow_the_test_and_polarity() -> None:
    real = change_test_proportions(20, 400, 160, 400)
    text = change_sentence(LONELY, 5.0, False, _change(40.0, real, "improved"))
    assert text == (
        "Often or always lonely: fell from 40% to 5% since last quarter, an improvement; "
        "a change this large is very unlikely to be chance."
    )
    noise = change_test_proportions(12, 30, 10, 30)
    text = change_sentence(LONELY, 40.0, False, _change(33.3, noise, "could be chance"))
    assert text.endswith("rose from 33% to 40% since last quarter; a change this small "
                         "could be chance.")
    assert "worse" not in text and "real" not in text
    hidden = change_sentence(LONELY, None, True, _change(25.0, ChangeTest.untested(),
                                                         "too few answers"))
    assert hidden == "Often or always lonely: too few answers to say (fewer than 5 this quarter)."


def test_rounded_values_that_look_equal_get_a_decimal() -> None:
    real = ChangeTest(-0.4, -0.6, -0.2, -0.7, -0.1, "99.8%")
    text = change_sentence(LONELY, 14.1, False, _change(14.5, real, "improved"))
    assert "fell from 14.5% to 14.1%" in text


# ------------------------------------------------------------ constructed stores ---
def test_a_large_fall_on_400_people_is_called_real(constructed: Store) -> None:
    pack = board_summary(constructed, quarter=Q, scheme="S1")
    row = pack.row("lonely_often")
    assert row.value == pytest.approx(5.0)
    assert row.since_last_quarter.verdict == "improved"
    assert row.since_last_quarter.test.level == "99.8%"
    assert row.sentence == (
        "Often or always lonely: fell from 40% to 5% since last quarter, an improvement; "
        "a change this large is very unlikely to be chance."
    )
    assert row.sentence in pack.summary
    assert "lonely_often" in {f.code for f in pack.improved}
    assert pack.area_label == "Tynemere Shared Lives (North East)"
    assert pack.quarter_label == "2025/26 Q2"


def test_a_small_change_on_few_people_could_be_chance(constructed: Store) -> None:
    pack = board_summary(constructed, quarter="2025/26 Q2", scheme="S2")
    row = pack.row("lonely_often")
    assert row.since_last_quarter.verdict == "could be chance"
    assert row.sentence.endswith("a change this small could be chance.")
    assert "real" not in row.sentence and "improve" not in row.sentence
    assert row.sentence not in pack.summary  # only real changes are spelt out
    # 40% against England's 8%: worse than England, though not getting worse.
    assert [f.reason.split(" (")[0] for f in pack.attention] == ["clearly worse than England"]
    assert not pack.improved


def test_a_hidden_scheme_says_too_few_and_no_number(constructed: Store) -> None:
    pack = board_summary(constructed, quarter=Q, scheme="S3")
    row = pack.row("lonely_often")
    assert row.suppressed and row.value is None and row.n is None and row.count is None
    assert row.sentence == (
        "Often or always lonely: too few answers to say (fewer than 5 this quarter)."
    )
    summary = " ".join(pack.summary)  # as the page and the PDF list it
    text = " ".join([summary, *(r.sentence for r in pack.rows), *pack.caveats.sentences()])
    assert "Too few answers to say" in summary
    assert "67%" not in text and "66.7" not in text  # 2 of 3: the hidden value
    assert not re.search(r"\b3 (surveys|answers|responses)\b", text)
    assert pack.caveats.responses is None and pack.caveats.responses_hidden
    frame = pack.to_frame()
    hidden = frame[frame["khi"] == "lonely_often"].iloc[0]
    assert all(pd.isna(hidden[c]) for c in ("n", "count", "value", "lower95", "upper95"))


def test_a_scheme_hidden_beside_a_small_one_shows_no_response_count(
    constructed: Store,
) -> None:
    # S4's 20 surveys are enough on their own, but S4 is the second cell hidden
    # beside S3 (London minus S2 and S4 would give S3's 3): its board page, like
    # its KHIs and the Data quality page, shows no response count or rate.
    pack = board_summary(constructed, quarter=Q, scheme="S4")
    assert pack.row("lonely_often").suppressed
    assert pack.caveats.responses is None and pack.caveats.responses_hidden
    assert pack.caveats.response_rate is None
    text = " ".join(pack.caveats.sentences())
    assert not re.search(r"\b20 (surveys|answers|responses)\b", text)
    rates = response_rates(constructed, Filters(scheme_ids=("S4",)), Q)
    assert rates["suppressed"].all()


def test_england_has_no_benchmark_and_regions_do(constructed: Store) -> None:
    england = board_summary(constructed, quarter=Q)
    assert england.area_label == "England and the nations"
    assert england.row("lonely_often").comparison == "n/a"
    london = board_summary(constructed, quarter=Q, region="london")
    assert london.area_label == "London"
    assert london.row("lonely_often").comparison in ("better", "similar", "worse")


def test_caveats_count_responses_rate_and_missing_returns(constructed: Store) -> None:
    pack = board_summary(constructed, quarter=Q, region="London")
    caveats = pack.caveats
    assert caveats.responses == 53
    assert caveats.schemes_missing_return == ("Effra Shared Lives",)
    # Effra sent no return: a rate over the others (50 of 53) would give away its 3.
    assert caveats.response_rate is None and caveats.rate_withheld
    text = " ".join(caveats.sentences())
    assert "53 surveys" in text and "Effra Shared Lives" in text
    assert "response rate is not shown" in text and "50" not in text
    s1 = board_summary(constructed, quarter=Q, scheme="S1").caveats
    assert s1.people_supported == 900 and s1.responses_with_return == 400
    assert s1.response_rate == pytest.approx(400 / 900 * 100)
    assert "Response rate 44%" in " ".join(s1.sentences())


def test_the_csv_frame_is_tidy_with_intervals_and_flags(constructed: Store) -> None:
    frame = board_summary(constructed, quarter=Q, scheme="S1").to_frame()
    assert frame["khi"].is_unique
    for column in ("value", "lower95", "upper95", "change_since_previous_level", "flag",
                   "comparison", "suppressed"):
        assert column in frame
    row = frame.set_index("khi").loc["lonely_often"]
    assert row["flag"] == "improved" and row["change_since_previous_level"] == "99.8%"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region": "Atlantis"}, "Unknown region 'Atlantis'"),
        ({"scheme": "NOPE"}, "Unknown scheme 'NOPE'"),
        ({"region": "London", "scheme": "S1"}, "not both"),
        ({"quarter": "2025 Q9"}, "is not recognised"),
    ],
)
def test_bad_areas_and_quarters_are_refused(constructed: Store, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        board_summary(constructed, **kwargs)


def test_an_empty_store_is_refused_with_what_to_do(fresh_store: Store) -> None:
    with pytest.raises(ValueError, match="no survey data"):
        board_summary(fresh_store)


# ------------------------------------------------------- what needs attention ---
AGREE, DISAGREE = 5, 2


def agree(yes: int, total: int) -> list[int | None]:
    return [AGREE] * yes + [DISAGREE] * (total - yes)


def often(yes: int, total: int) -> list[int | None]:
    return [1] * yes + [5] * (total - yes)


# Constructed so the answer is known: North West (200 people a quarter) against
# England (North West plus 2,000 in London this quarter).
NW_WORSE = {"warm_kind": "clearly worse", "dignity_respect": "worse"}
NW_WORSENING = "lonely_often"  # 10% -> 30%, England 30%: similar, but worse than last quarter
NW_IMPROVING = "community_part"  # 40% -> 70%, England 70%


@pytest.fixture(scope="module")
def north_west(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """N1 (North West) and L1 (London), two quarters; see the constants above."""
    store = make_store(
        tmp_path_factory.mktemp("attention") / "khi.duckdb",
        [("N1", "Irwell Shared Lives", "North West"),
         ("L1", "Lea Bridge Shared Lives", "London")],
    )
    add_responses(store, "N1", PREVIOUS, {
        "lonely_how_often": often(20, 200), "community_part": agree(80, 200)})
    add_responses(store, "N1", Q, {
        "warm_kind": agree(100, 200),  # 50% against England's 86%
        "dignity_respect": agree(172, 200),  # 86% against 92%: outside 95%, not 99.8%
        "lonely_how_often": often(60, 200),
        "community_part": agree(140, 200)})
    add_responses(store, "L1", Q, {
        "warm_kind": agree(1800, 2000), "dignity_respect": agree(1850, 2000),
        "lonely_how_often": often(600, 2000), "community_part": agree(1400, 2000)})
    return store


def test_needs_attention_lists_every_worse_and_worsening_khi(north_west: Store) -> None:
    pack = board_summary(north_west, quarter=Q, region="North West")
    attention = {f.code: f.reason for f in pack.attention}
    assert set(attention) == {*NW_WORSE, NW_WORSENING}
    assert attention["warm_kind"] == (
        "clearly worse than England (50% against 86%; very unlikely to be chance)")
    assert attention["dignity_respect"].startswith("worse than England (86% against 92%; "
                                                   "unlikely to be chance)")
    assert attention["lonely_often"] == (
        "got worse since last quarter (10% to 30%; very unlikely to be chance)")
    improved = {f.code: f.reason for f in pack.improved}
    assert improved == {
        "community_part": "improved since last quarter (40% to 70%; very unlikely to be chance)"
    }
    assert pack.row("warm_kind").flag == "attention"
    assert pack.row("community_part").flag == "improved"
    # The summary opens with the comparison, counted over the KHIs compared.
    assert pack.summary[0] == (
        "North West, 2025/26 Q2: worse than England on 2 of 4 indicators compared, "
        "better on 0 and similar on 2."
    )
    names = {r.code: r.name for r in pack.rows}
    # Then what to look at first: no control chart has a verdict on two quarters.
    assert pack.summary[1] == (
        "Worse than England, with no special cause on its control chart: "
        f"{names['warm_kind']} and {names['dignity_respect']}.")
    assert pack.summary[2].startswith(
        f"Worse than England: {names['warm_kind']} and {names['dignity_respect']}. "
        f"Clearly worse (very unlikely to be chance): {names['warm_kind']}.")
    assert f"Getting worse: {names['lonely_often']}." in pack.summary
    text = " ".join(pack.summary) + " ".join(f.reason for f in pack.attention + pack.improved)
    assert "level)" not in text and "p =" not in text


def test_england_lists_only_changes(north_west: Store) -> None:
    pack = board_summary(north_west, quarter=Q)
    assert not any("England (" in f.reason for f in pack.attention + pack.improved)
    assert pack.summary[0] == "England and the nations, 2025/26 Q2: 2,200 surveys were returned."
    assert {f.code for f in pack.attention} == {NW_WORSENING}  # England's own 10% -> 30%
    assert {f.code for f in pack.improved} == {NW_IMPROVING}


def test_a_change_that_rounds_to_nothing_has_no_sign() -> None:
    from kpi.board import format_value

    change = khi("swemwbs_change")
    assert format_value(-0.04, change) == "0.0"
    assert format_value(0.04, change) == "0.0"
    assert format_value(0.26, change) == "+0.3"
    assert format_value(-0.3, LONELY) == "0%"


# ------------------------------------------------ change KHIs: the same people paired ---
def test_partially_overlapping_t_is_paired_t_and_welch_at_its_ends() -> None:
    """Derrick et al. (2017): everyone in both samples gives the paired t interval, no
    one in both gives Welch's; in between, the overlap narrows Welch's interval."""
    from kpi.board.changes import difference_of_overlapping_means

    rng = np.random.default_rng(7)
    before = pd.Series(rng.normal(0, 2, 60))
    after = before + rng.normal(0.4, 0.5, 60)
    d, lo, up, paired = difference_of_overlapping_means(after, before)
    assert paired == 60
    assert (lo, up) == tuple(pytest.approx(v, rel=1e-12) for v in
                             stats.ttest_rel(after, before).confidence_interval())
    other = pd.Series(rng.normal(0.5, 1, 30), index=range(100, 130))
    _, lo, up, paired = difference_of_overlapping_means(after, other, 0.998)
    welch = stats.ttest_ind(after, other, equal_var=False).confidence_interval(0.998)
    assert paired == 0 and (lo, up) == tuple(pytest.approx(v, rel=1e-12) for v in welch)
    half = pd.concat([before.iloc[:30], other])  # 30 of the 60 paired, 30 alone
    _, lo, up, paired = difference_of_overlapping_means(after, half)
    _, wlo, wup = difference_of_means(after.mean(), after.std(), 60, half.mean(),
                                      half.std(), 60)
    assert paired == 30 and up - lo < wup - wlo


@pytest.fixture(scope="module")
def same_people(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """40 people in one scheme answer the number of friends in 2024/25 Q1, Q2 and
    in 2025/26 Q2. By 2024/25 Q2 their changes are spread (0 to 7 more friends); by
    2025/26 Q2 thirty of them have one friend more again and ten the same."""
    store = make_store(tmp_path_factory.mktemp("paired") / "khi.duckdb",
                       [("S1", "Severn Shared Lives", "West Midlands")])
    spread = [i % 8 for i in range(40)]
    gained = [1 if i % 4 else 0 for i in range(40)]
    for quarter, friends in ((shift_quarter(Q, -5), [2] * 40),
                             (shift_quarter(Q, -4), [2 + a for a in spread]),
                             (Q, [2 + a + g for a, g in zip(spread, gained)])):
        frame = pd.DataFrame({
            "scheme_id": "S1", "person_key": [f"S1-person-{i}" for i in range(40)],
            "respondent_type": "person", "completed_on": quarter + dt.timedelta(days=10),
            "source_row": range(2, 42), "friends_count": pd.array(friends, dtype="Int8"),
        })
        with store.transaction() as con:
            upload = store.new_upload(con, scheme_id="S1", kind="survey", file_name="f.csv",
                                      sha256=None, uploaded_by="test", layout="template",
                                      rows_read=40)
            store.bulk_insert_responses(con, upload, frame)
            store.finish_upload(con, upload, accepted=40, rejected=0)
    return store


def test_a_change_khi_is_tested_against_last_year_with_the_same_people_paired(
    same_people: Store,
) -> None:
    """The same 40 people's change up to each quarter: the board's test is the paired
    t-test of their two changes (0.75 more friends, every person 0 or 1), which is
    clear; Welch's test for independent samples would call it chance."""
    pack = board_summary(same_people, Q)
    [row] = [r for r in pack.rows if r.code == "friends_change"]
    change = row.since_last_year
    then = np.array([i % 8 for i in range(40)], dtype=float)
    now = then + [1 if i % 4 else 0 for i in range(40)]
    paired = stats.ttest_rel(now, then)
    assert change.test.difference == pytest.approx(0.75)
    low, high = paired.confidence_interval()
    assert (change.test.lower95, change.test.upper95) == (pytest.approx(low),
                                                          pytest.approx(high))
    assert change.test.level == "99.8%" and change.verdict == "improved"
    welch = change_test_means(now.mean(), now.std(ddof=1), 40, then.mean(),
                              then.std(ddof=1), 40)
    assert welch.level == "none"  # what the independent test said before
    from kpi.board.layout import METHODS
    from pages.views.definitions import METHODS_TEXT
    assert "partially overlapping samples t-test" in METHODS_TEXT
    assert "partially overlapping samples t-test" in METHODS


def test_the_board_trend_is_fingertips_recent_trend(tmp_path) -> None:
    """Eight quarters of warm_kind, the first three far lower: the eight-quarter test
    calls it a rise, Fingertips' recent trend (last five, 99.8%) does not; the board
    shows the recent trend, and names its method."""
    store = make_store(tmp_path / "khi.duckdb", [("S1", "Tees Shared Lives", "North East")])
    for k, yes in enumerate([10, 12, 14, 40, 41, 44, 45, 48]):
        add_responses(store, "S1", shift_quarter(Q, k - 7),
                      {"warm_kind": [5] * yes + [1] * (200 - yes)})
    pack = board_summary(store, Q)
    [row] = [r for r in pack.rows if r.code == "warm_kind"]
    assert row.trend_8_quarters == "improving"
    assert row.trend == "no significant trend" and row.flag == ""
    from kpi.wording import GLOSSARY
    assert "Fingertips" in dict(GLOSSARY)["Recent trend"]


# ------------------------------------------- control charts and the watch list ---
# Constructed so the answer is known (N2, North West, against England = N2 + L2):
SPC_SPECIAL = "lonely_often"  # 18-22% of 100 for seven quarters, then 50%: above the limit
SPC_WATCH = "community_part"  # 9 of 22 -> 13 of 22 (41% -> 59%): large, small base, chance
SPC_WORSE = "warm_kind"  # 100 of 200 against London's 1,800 of 2,000: worse, one quarter
SPC_LONELY = (18, 22, 20, 19, 21, 20, 22, 50)  # of 100, the eight quarters up to Q


def _padded(columns: dict[str, list[int | None]]) -> dict[str, list[int | None]]:
    """One upload's answers: people beyond an item's list did not answer it."""
    n = max(len(v) for v in columns.values())
    return {k: v + [None] * (n - len(v)) for k, v in columns.items()}


@pytest.fixture(scope="module")
def spc_board(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """N2 (North West), eight quarters of loneliness; L2 (London), the benchmark."""
    store = make_store(
        tmp_path_factory.mktemp("spc") / "khi.duckdb",
        [("N2", "Irwell Shared Lives", "North West"),
         ("L2", "Lea Bridge Shared Lives", "London")],
    )
    for k, lonely_yes in enumerate(SPC_LONELY):
        quarter = shift_quarter(Q, k - len(SPC_LONELY) + 1)
        answers = {"lonely_how_often": often(lonely_yes, 100)}
        if quarter == PREVIOUS:
            answers["community_part"] = agree(9, 22)
        if quarter == Q:
            answers["community_part"] = agree(13, 22)
            answers["warm_kind"] = agree(100, 200)
        add_responses(store, "N2", quarter, _padded(answers))
    add_responses(store, "L2", Q, {
        "lonely_how_often": often(1000, 2000), "community_part": agree(1300, 2000),
        "warm_kind": agree(1800, 2000)})
    return store


def test_special_cause_watch_list_and_worse_than_england_each_said_once(
    spc_board: Store,
) -> None:
    pack = board_summary(spc_board, quarter=Q, region="North West")
    names = {r.code: r.name for r in pack.rows}
    special = pack.row(SPC_SPECIAL)
    assert special.special_cause == "special_cause_concern"
    assert special.control_words() == (
        "Special cause variation: concerning",
        "Special cause variation, concerning (8 points, trial limits): the latest point "
        "is above the upper process limit (mean 24%), so something has changed for the "
        "worse and is worth looking into.")
    assert special.comparison == "similar"
    # Only the other two: one quarter (worse) and two (watch) are too few for a verdict.
    assert {r.code for r in pack.rows if r.special_cause} == {SPC_SPECIAL}
    assert pack.row(SPC_WORSE).control_words() == (
        "Not enough quarters yet", "1 of the 6 quarters a control chart needs.")
    assert pack.row(SPC_WATCH).control_words()[0] == "Not enough quarters yet"
    assert {r.code for r in pack.rows if r.comparison == "worse"} == {SPC_WORSE}
    # The watch list: the one large change on a small base that the test left as chance.
    assert [w.code for w in pack.watch] == [SPC_WATCH]
    assert pack.watch[0].line == (
        f"{names[SPC_WATCH]}: 41% → 59% since last quarter on 22 answers this quarter: "
        "too few to tell, worth a look.")
    assert pack.row(SPC_WATCH).since_last_quarter.verdict == "could be chance"
    assert SPC_WATCH not in {f.code for f in pack.attention + pack.improved}
    # The summary leads (after its headline) with special causes, then worse than England.
    assert pack.summary[1] == (
        f"Control chart, special cause variation (concerning): {names[SPC_SPECIAL]}.")
    assert pack.summary[2] == (
        "Worse than England, with no special cause on its control chart: "
        f"{names[SPC_WORSE]}.")
    text = " ".join(pack.summary) + " ".join(w.line for w in pack.watch)
    assert "significant" not in text.lower()
    frame = pack.to_frame().set_index("khi")
    assert frame.loc[SPC_SPECIAL, "control_chart"] == "Special cause variation: concerning"
    assert frame.loc[SPC_WATCH, "watch"] == pack.watch[0].line


def test_the_watch_list_never_uses_a_hidden_quarter(constructed: Store) -> None:
    """S3 had 20 answers last quarter and 3 now (hidden): no line, though 25% -> 67%."""
    pack = board_summary(constructed, quarter=Q, scheme="S3")
    assert pack.watch == ()
    s2 = board_summary(constructed, quarter=Q, scheme="S2")  # 33% -> 40%: not large
    assert s2.watch == ()


# --------------------------------------------------------------------------------------
# this quarter's pack and last quarter's from one pass (issue 27: the board page's
# first view built every pack twice)
# --------------------------------------------------------------------------------------


def assert_same(a: object, b: object, where: str = "pack") -> None:
    """``a`` and ``b`` equal field by field (frames by value and type, NaN equal NaN).

    Floats to 1e-9 of each other, not bit for bit: DuckDB adds a change KHI's
    doubles in no fixed order, so the same call twice differs in the last bits
    (seen: 0.009090909090908978 and ...898 for one cell). Every word, flag, count
    and label is compared exactly.
    """
    import dataclasses

    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for field in dataclasses.fields(a):
            assert_same(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
    elif isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame), where
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12,
                                      obj=where)
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, float):
        assert isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), \
            f"{where}: {a!r} != {b!r}"
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


def _scoped(store: Store) -> tuple[str, ...]:
    """A scheme user's schemes: a few of one region and one of another."""
    register = store.schemes().sort_values("scheme_id")
    first = register["region"].iloc[0]
    mine = register[register["region"] == first]["scheme_id"].tolist()[:3]
    other = register[register["region"] != first]["scheme_id"].iloc[0]
    return (*mine, other)


# The inner loop (make check) proves each one-pass equivalence on England and a scoped
# region; the other areas, an earlier quarter and every end are `slow` (make test).
_SLOW = pytest.mark.slow


@pytest.mark.parametrize("area", ["all", pytest.param("region", marks=_SLOW),
                                  pytest.param("scheme", marks=_SLOW), "scoped"])
def test_one_pass_gives_both_quarters_packs_exactly(demo_store: Store, area: str) -> None:
    """``board_summaries`` gives this quarter's and last quarter's packs, each equal to
    ``board_summary`` for its quarter, field by field: rows, tests, trends, control
    charts (last quarter's limits from its own quarters), flags, caveats."""
    from kpi.board import board_summaries

    register = demo_store.schemes().sort_values("scheme_id")
    scope = _scoped(demo_store) if area == "scoped" else None
    kwargs: dict = {"scope": scope}
    if area in ("region", "scoped"):  # a scheme user's region: their schemes of it
        kwargs["region"] = str(register["region"].iloc[0])
    if area == "scheme":
        kwargs["scheme"] = str(register["scheme_id"].iloc[0])
    now, then = board_summaries(demo_store, **kwargs)
    assert then is not None
    assert then.quarter == shift_quarter(now.quarter, -1)
    assert_same(now, board_summary(demo_store, **kwargs), "now")
    assert_same(then, board_summary(demo_store, quarter=then.quarter, **kwargs), "then")


@pytest.fixture(scope="module")
def eight_quarters(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A small demo sector over eight quarters: control charts with limits."""
    from kpi.demo import load_demo

    store = Store(tmp_path_factory.mktemp("eight") / "khi.duckdb")
    load_demo(store, people=3000, quarters=8, seed=7)
    return store


def test_last_quarters_control_charts_have_their_own_limits(eight_quarters: Store) -> None:
    """Over eight quarters the control charts have limits, and last quarter's are
    computed from its own quarters: equal to its own pack's, and not this quarter's
    chart cut short (this quarter's point moves the mean and limits)."""
    from kpi.board import board_summaries

    now, then = board_summaries(eight_quarters)
    assert then is not None
    assert_same(then, board_summary(eight_quarters, quarter=then.quarter), "then")
    charted = [(r, r0) for r, r0 in zip(now.rows, then.rows)
               if r.spc and r0.spc and not math.isnan(r0.spc.mean)]
    assert charted
    assert any(r.spc.mean != r0.spc.mean and r.spc.lower[:-1] != r0.spc.lower
               for r, r0 in charted)


@_SLOW
def test_one_pass_for_an_earlier_quarter_equals_its_own_pack(demo_store: Store) -> None:
    """Asked for an earlier quarter (later data in the store), both packs are still
    each quarter's own: nothing after a quarter reaches its pack."""
    from kpi.board import board_summaries

    latest, _ = board_summaries(demo_store)
    earlier = quarter_label(shift_quarter(latest.quarter, -1))
    now, then = board_summaries(demo_store, quarter=earlier)
    assert_same(now, board_summary(demo_store, quarter=earlier), "now")
    assert then is not None
    assert_same(then, board_summary(demo_store, quarter=then.quarter), "then")


@_SLOW
def test_trends_and_control_charts_at_each_end_equal_their_own(demo_store: Store) -> None:
    """The engine's one pass for several ends: each end's trends and control charts
    equal ``trends_and_control_charts`` ending there, every KHI."""
    from kpi.catalogue import catalogue
    from kpi.indicators import (
        latest_quarter,
        trends_and_control_charts,
        trends_and_control_charts_at,
    )
    from kpi.periods import parse_quarter

    q = parse_quarter(latest_quarter(demo_store))
    ends = [q, shift_quarter(q, -1), shift_quarter(q, -2)]
    codes = [k.code for k in catalogue()]
    together = trends_and_control_charts_at(demo_store, codes, None, 8, ends)
    for end in ends:
        assert_same(together[end], trends_and_control_charts(demo_store, codes, None, 8, end),
                    str(end))


@pytest.mark.parametrize("area", [pytest.param("all", marks=_SLOW),
                                  pytest.param("region", marks=_SLOW),
                                  pytest.param("scheme", marks=_SLOW), "scoped"])
def test_a_quarters_rows_from_the_trend_table_are_the_engines_own(
    demo_store: Store, area: str
) -> None:
    """The pack reads each KHI's row of the quarter from the by-quarter table behind
    its trends: every column equals ``indicator_table(quarter=...)``'s, this quarter
    and last (values, intervals, benchmark, comparison, hidden or not)."""
    from kpi.board import area_filters
    from kpi.board.build import _rows_at, _with_quarters
    from kpi.catalogue import catalogue
    from kpi.indicators import indicator_table, latest_quarter, trends_and_control_charts_at
    from kpi.periods import parse_quarter

    register = demo_store.schemes().sort_values("scheme_id")
    scope = _scoped(demo_store) if area == "scoped" else None
    region = str(register["region"].iloc[0]) if area in ("region", "scoped") else None
    scheme = str(register["scheme_id"].iloc[0]) if area == "scheme" else None
    filters, _, _ = area_filters(demo_store, region, scheme, scope)
    q = parse_quarter(latest_quarter(demo_store))
    ends = [q, shift_quarter(q, -1)]
    charts = trends_and_control_charts_at(demo_store, [k.code for k in catalogue()],
                                          filters, 8, ends)
    for end in ends:
        rows = _rows_at({code: _with_quarters(s) for code, (s, _) in charts[end][0].items()},
                        end)
        table = indicator_table(demo_store, quarter=end, filters=filters)
        assert len(table) == len(rows) == len(catalogue())
        for _, own in table.iterrows():
            row = rows[own["khi"]]
            assert set(row.index) == set(own.index)
            for column in own.index:
                same_cell(own[column], row[column], f"{end} {own['khi']} {column}")


def same_cell(a: object, b: object, where: str) -> None:
    """Two cells of a row equal: numbers by value (a row read from a frame may hold
    26 or numpy's 26; floats to 1e-9, see :func:`assert_same`), empties alike."""
    import numbers

    if pd.api.types.is_scalar(a) and pd.isna(a):
        assert pd.api.types.is_scalar(b) and pd.isna(b), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, numbers.Number) and not isinstance(a, (bool, np.bool_)):
        assert isinstance(b, numbers.Number) and not isinstance(b, (bool, np.bool_)), where
        assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12), \
            f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def test_a_khi_without_answers_takes_the_quarters_own_table(constructed: Store) -> None:
    """A KHI without answers has no row in the by-quarter table (the one-quarter table
    keeps it, with England's benchmark): no rows are read from it, and the pack
    equals the one built from the quarter's own table."""
    from kpi.board import area_filters, board_summaries
    from kpi.board.build import _rows_at, _with_quarters
    from kpi.catalogue import catalogue
    from kpi.indicators import trends_and_control_charts_at

    filters, _, _ = area_filters(constructed, None, "S2", None)
    charts = trends_and_control_charts_at(constructed, [k.code for k in catalogue()],
                                          filters, 8, [Q])
    dated = {code: _with_quarters(s) for code, (s, _) in charts[Q][0].items()}
    assert len(_rows_at(dated, Q)) < len(dated)  # some KHI has no row to read
    now, then = board_summaries(constructed, quarter=Q, scheme="S2")
    assert_same(now, board_summary(constructed, quarter=Q, scheme="S2"), "now")
    assert now.row("lonely_often").n == 30


def test_one_pass_decides_each_quarters_responses_in_that_quarter(tmp_path) -> None:
    """Both quarters' caveats share their reads (``kpi.indicators.SharedReads``), yet
    each quarter's responses are hidden or shown by that quarter's lattice: S1's are
    hidden last quarter (beside S2's three, its region's only other scheme) and shown
    this quarter, in one pass as in each quarter's own pack."""
    from kpi.board import board_summaries

    store = make_store(tmp_path / "khi.duckdb", [("S1", "Tees Shared Lives", "North East"),
                                                 ("S2", "Wear Shared Lives", "North East"),
                                                 ("L1", "Effra Shared Lives", "London")])
    for quarter, small in ((PREVIOUS, 3), (Q, 40)):
        add_responses(store, "S1", quarter, {"warm_kind": agree(30, 60)}, people_supported=90)
        add_responses(store, "S2", quarter, {"warm_kind": agree(1, small)},
                      people_supported=80)
        add_responses(store, "L1", quarter, {"warm_kind": agree(40, 80)}, people_supported=99)
    now, then = board_summaries(store, quarter=Q, scheme="S1")
    assert then is not None
    assert not now.caveats.responses_hidden and then.caveats.responses_hidden
    assert_same(now, board_summary(store, quarter=Q, scheme="S1"), "now")
    assert_same(then, board_summary(store, quarter=PREVIOUS, scheme="S1"), "then")
