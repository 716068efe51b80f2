"""What the pages used to decide themselves, tested without a page (issue 27: pages
read choices, call ``kpi``, draw).

Each function here moved out of ``pages/views``: a table's rows, a sentence, a
choice among schemes. Here it is called with the engine's frames and checked for
what a reader is told, so a decision is tested in ``make check`` without AppTest.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from kpi.board.tile import (
    LAST_QUARTER,
    benchmark_applies,
    comparison_headline,
    comparison_parts,
    rows_by_code,
    tile_change,
    tile_changes,
    tile_lines,
)
from kpi.catalogue import catalogue, change_khis, khi
from kpi.equity import gap_table, gap_words
from kpi.errors import StoreBusy
from kpi.indicators import Filters, default_settings
from kpi.ingest.result import ColumnMatch, Problem
from kpi.ingest.words import (
    history_frame,
    mapping_frame,
    problems_frame,
    refusal_words,
    set_aside_rows,
    stored_headline,
    upload_choices,
)
from kpi.items import bank
from kpi.tables import (
    HIDDEN_WORDS,
    england_value,
    group_table,
    most_shown,
    profile_table,
    region_tiles,
    round_rates_table,
    round_words,
    rounds_table,
    with_names,
)
from kpi.wording import change_row_headline
from kpi.wording.definitions import (
    definitions_csv,
    easy_words,
    item_table,
    khi_table,
    scale_words,
)

LONELY = khi("lonely_often")  # a proportion, lower is better
WELLBEING = khi("swemwbs_mean")  # a mean, higher is better


# ----------------------------------------------------------------- Overview ---
def test_england_is_compared_only_with_an_area() -> None:
    assert not benchmark_applies(Filters())
    assert benchmark_applies(Filters(regions=("London",)))
    assert benchmark_applies(Filters(scheme_ids=("SL001",)))


def test_the_headline_counts_comparisons_only_when_they_apply() -> None:
    table = pd.DataFrame({"comparison": ["better", "worse", "worse", "similar", "not compared"]})
    assert comparison_headline(table, applies=False) is None
    assert comparison_headline(table.iloc[0:0], applies=True) is None
    assert comparison_headline(table, applies=True) == (
        "Compared with England: 1 ▲ better, 1 ● similar, 2 ▼ worse (of the indicators shown)."
    )


def test_a_tile_says_why_it_shows_no_number() -> None:
    hidden = pd.Series({"value": None, "suppressed": True, "n": 3})
    empty = pd.Series({"value": None, "suppressed": False, "n": 0})
    shown = pd.Series({"value": 12.4, "lower95": 9.2, "upper95": 16.1, "n": 1234,
                       "suppressed": False})
    assert tile_lines(LONELY, hidden) == (
        HIDDEN_WORDS, "Fewer answers than the privacy minimum, so nothing is shown.")
    assert tile_lines(LONELY, empty) == ("–", "No answers this quarter.")
    assert tile_lines(LONELY, None) == ("–", "No answers this quarter.")
    assert tile_lines(LONELY, shown) == ("12%", "95% interval 9% to 16% · 1,234 answered")


def test_a_hidden_tile_is_never_compared_with_england() -> None:
    row = pd.Series({"value": None, "suppressed": True, "comparison": "worse",
                     "outside998": True, "benchmark": 20.0})
    comparison, words, england = comparison_parts(row, LONELY)
    assert comparison == "not compared" and "Not compared" in words
    assert england == " · England 20%"
    worse = row.copy()
    worse["suppressed"] = False
    assert comparison_parts(worse, LONELY)[:2] == (
        "worse", "▼ Clearly worse than England (99.8% level)")
    assert comparison_parts(None, LONELY)[2] == ""


def test_every_tiles_change_is_the_board_test_for_each_khi() -> None:
    """``tile_changes`` is ``tile_change`` per KHI (change KHIs left out), reading the
    earlier quarter's table by code."""
    settings = default_settings()
    now = rows_by_code(pd.DataFrame({
        "khi": ["lonely_often"], "value": [5.0], "lower95": [3.2], "upper95": [7.6],
        "n": [400], "count": [20], "suppressed": [False],
    }))
    before = pd.DataFrame({
        "khi": ["lonely_often"], "value": [40.0], "lower95": [35.3], "upper95": [44.9],
        "n": [400], "count": [160], "suppressed": [False],
    })
    previous = dt.date(2025, 4, 1)
    changes = tile_changes(catalogue(), now, before, previous, settings)
    assert set(changes) == {k.code for k in catalogue() if k.measure != "change"}
    assert changes["lonely_often"] == tile_change(
        LONELY, now["lonely_often"], before.iloc[0], previous, settings, LAST_QUARTER)
    assert "improvement" in changes["lonely_often"]
    assert changes["swemwbs_mean"] == "No answers last quarter to compare with."
    assert rows_by_code(None) == {}


# ------------------------------------------------------------------- Equity ---
def groups_frame(values: list[float | None], ns: list[int], hidden: list[bool]) -> pd.DataFrame:
    names = [f"Group {i}" for i in range(len(values))]
    return pd.DataFrame({
        "group": names, "sex": names, "value": values, "n": ns,
        "count": [None if v is None else round(v * n / 100) for v, n in zip(values, ns)],
        "sd": [None] * len(values), "suppressed": hidden,
    })


def test_the_gap_is_said_apart_from_the_warnings_about_small_groups() -> None:
    settings = default_settings()
    groups = groups_frame([10.0, 40.0, 30.0, None], [400, 400, settings.min_compare - 1, 2],
                          [False, False, False, True])
    text, warnings = gap_words(LONELY, groups, "sex", settings)
    assert text.startswith("The gap is 30 percentage points, between Group 0 (400 answered) "
                           "and Group 1 (400 answered).")
    assert [w.split(":")[0] for w in warnings] == [
        "Small groups", "Hidden (too few answers to show)"]
    assert not any(w in text for w in warnings)


def test_the_table_of_gaps_is_largest_first_and_says_too_few() -> None:
    from kpi.equity import equity_view

    settings = default_settings()
    wide = equity_view(groups_frame([10.0, 40.0], [400, 400], [False, False]),
                       LONELY, "sex", settings)
    narrow = equity_view(groups_frame([20.0, 25.0], [400, 400], [False, False]),
                         LONELY, "sex", settings)
    table = gap_table(LONELY, [("Age", narrow), ("Sex", wide), ("Region", None)])
    assert list(table["Grouping"]) == ["Sex", "Age", "Region"]
    assert table.iloc[2]["Gap (highest − lowest)"] == "Too few answers"
    assert "Gap" not in table.columns


def test_england_has_no_line_when_hidden() -> None:
    assert england_value(None) is None
    assert england_value(pd.DataFrame({"value": [None]})) is None
    assert england_value(pd.DataFrame({"value": [12.5]})) == 12.5


# ------------------------------------------------------------------ Schemes ---
def test_the_profile_opens_on_the_scheme_with_most_shown() -> None:
    table = pd.DataFrame({
        "scheme": ["A", "A", "B", "B", "C", "C"], "khi": ["x", "y"] * 3,
        "value": [1.0, None, 1.0, 2.0, 1.0, 2.0], "n": [50, 3, 20, 20, 90, 90],
    })
    assert most_shown(table, ("A", "B")) == "B"  # two shown beat one, whatever the answers
    assert most_shown(table, ("A", "B", "C")) == "C"  # then the most answers
    assert most_shown(table, ("Z",)) is None


def test_schemes_get_their_names_region_and_rating() -> None:
    register = pd.DataFrame({"scheme_id": ["A", "B"], "region": ["London", "Wales"],
                             "cqc_rating": ["good", None]})
    table = pd.DataFrame({"scheme": ["A", "B", "Q"], "value": [1.0, 2.0, 3.0]})
    out = with_names(table, register, {"A": "Alderley"}, region="London")
    assert list(out["name"]) == ["Alderley", "B", "Q"]
    assert list(out["region"]) == ["London", "Wales", ""]
    assert list(out["in_area"]) == [True, False, False]
    assert out["cqc"].iloc[0] == dict(bank().cqc_ratings).get("good", "Not recorded")
    assert list(out["cqc"].iloc[1:]) == ["Not recorded", "Not recorded"]
    assert with_names(table, register, {})["in_area"].all()


def test_a_hidden_profile_row_shows_no_number_and_england_hidden_says_so() -> None:
    frame = pd.DataFrame({
        "value": [12.0, None], "lower95": [9.0, None], "upper95": [15.0, None],
        "benchmark": [20.0, None], "lowest": [5.0, None], "highest": [30.0, None],
        "comparison": ["better", "worse"], "outside998": [False, False],
        "suppressed": [False, True],
    })
    rows = profile_table(frame, [LONELY, LONELY]).to_dict("records")
    assert rows[0] == {"Indicator": LONELY.name, "This scheme": "12%",
                       "95% interval": "9% to 15%", "England": "20%",
                       "Range of schemes": "5% to 30%",
                       "Compared with England": "▲ Better than England (95% level)"}
    assert rows[1]["This scheme"] == HIDDEN_WORDS and rows[1]["95% interval"] == ""
    assert rows[1]["England"] == HIDDEN_WORDS
    assert rows[1]["Compared with England"].startswith("○ Not compared")


def test_a_groups_value_is_in_the_khis_format_and_a_hidden_one_in_words() -> None:
    """Data quality's "How people answered": the engine's value as the KHI reads
    (a raw float of fourteen decimals was shown before), hidden groups without
    a number, interval or base."""
    frame = pd.DataFrame({
        "group": ["Online form", "Paper form", "Survey tool export (upload)"],
        "value": [88.18958818958819, None, None], "lower95": [86.4, None, None],
        "upper95": [89.8, None, None], "n": [1287, 3, 0],
        "suppressed": [False, True, False],
    })
    rows = group_table(frame, LONELY, "How they answered").to_dict("records")
    assert rows[0] == {"How they answered": "Online form", "Value": "88%",
                       "95% interval": "86% to 90%", "Answers": "1,287"}
    assert rows[1] == {"How they answered": "Paper form", "Value": HIDDEN_WORDS,
                       "95% interval": "", "Answers": ""}
    assert rows[2]["Value"] == "No answers" and rows[2]["Answers"] == ""


# ------------------------------------------------------------ Regions, rounds ---
def test_every_region_has_a_tile_answered_or_not() -> None:
    regions = [r.name for r in bank().regions]
    empty = region_tiles(None)
    assert list(empty["region"]) == regions and empty["value"].isna().all()
    some = region_tiles(pd.DataFrame({"region": [regions[0]], "value": [7.0],
                                      "suppressed": [False]}))
    assert len(some) == len(regions)
    assert some["value"].notna().sum() == 1 and some.iloc[0]["value"] == 7.0


def rounds() -> pd.DataFrame:
    return pd.DataFrame({
        "round_id": [3], "scheme_id": ["SL001"], "quarter": ["2026/27 Q3"],
        "who": ["carer"], "state": ["expired"], "links_sent": [10], "online_answers": [4],
        "paper_answers": [1], "opened_by": [None], "upload_id": [7],
    })


def test_a_round_reads_in_a_scheme_workers_words() -> None:
    row = rounds_table(rounds()).iloc[0]
    assert row["Who"] == "Family carers" and row["State"] == "Ended (past its end date)"
    assert row["Opened by"] == "" and row["Upload"] == 7
    assert round_words(rounds(), 3) == "Round 3: SL001, 2026/27 Q3, Family carers"


def test_round_rates_name_the_scheme_and_print_percentages() -> None:
    rates = pd.DataFrame({
        "round_id": [3], "scheme_id": ["SL001"], "quarter": ["2026/27 Q3"], "who": ["person"],
        "links_sent": [10], "answers": [4], "people_supported": [None],
        "links_answered_pct": [40.0], "people_pct": [None],
    })
    row = round_rates_table(rates, {"SL001": "Alderley"}).iloc[0]
    assert row["Scheme"] == "Alderley" and row["Who"] == "People"
    assert pd.isna(row["People supported"])
    assert row["Personal links answered"] == "40%"


# ----------------------------------------------------------- Change, wording ---
def test_the_change_headline_reads_the_engines_row() -> None:
    assert set(change_khis()) == {k.code for k in catalogue() if k.measure == "change"}
    code = next(iter(change_khis()))
    change = khi(code)
    real = pd.Series({"mean_change": 1.5, "lower95": 0.5, "upper95": 2.5, "n": 120,
                      "suppressed": False})
    assert change_row_headline(change, real).startswith(
        "For the 120 people who answered two or more times")
    assert "**This is a real improvement.**" in change_row_headline(change, real)
    hidden = pd.Series({"mean_change": None, "n": None, "suppressed": True})
    assert change_row_headline(change, hidden) == (
        "Too few people with two or more answers to show.")


# -------------------------------------------------------------- Definitions ---
def test_the_definitions_table_has_a_row_per_khi_with_its_direction() -> None:
    table = khi_table([LONELY, WELLBEING])
    assert list(table["Code"]) == ["lonely_often", "swemwbs_mean"]
    assert list(table["Good direction"]) == ["Lower is better", "Higher is better"]
    assert table.iloc[1]["Built from"] == (
        "SWEMWBS metric score (7-35) from the seven wellbeing questions")
    assert definitions_csv().splitlines()[0] == (
        "Code,Indicator,Who,Definition,Built from,Good direction,Method")


def test_questions_show_their_scale_and_easy_read_words() -> None:
    items = {i.code: i for i in bank().items}
    assert scale_words(items["friends_count"].scale).startswith("A number from 0 to ")
    assert scale_words(items["lonely_how_often"].scale).startswith("1 Often or always · ")
    # A licensed question keeps its exact words in easy read.
    assert easy_words(items["lonely_how_often"])[1] == "Same"
    table = item_table([items["lonely_how_often"], items["community_part"]])
    assert table.iloc[0]["Easy read"].startswith("Same words (a licensed question")
    assert table.iloc[1]["Easy-read answers"] != "Same"


# ------------------------------------------------------------------- Upload ---
def test_a_column_says_how_it_was_read() -> None:
    columns = [
        ColumnMatch(0, "A", "How often lonely", "how often lonely", "lonely_how_often",
                    "matched", how="by its heading", examples=("1", "2")),
        ColumnMatch(1, "B", "Timestamp", "timestamp", None, "ignored (tool metadata)",
                    how="a survey tool's column"),
        ColumnMatch(2, "C", "Mystery", "mystery", None, "not recognised"),
    ]
    frame = mapping_frame(columns)
    assert list(frame["Status"]) == [
        "✓ Recognised (by its heading)",
        "– Left out: the survey tool's own column",  # how is said only when it helps
        "✗ Not recognised: map it below, or leave it out",
    ]
    assert frame.iloc[0]["Read as"] == bank().item("lonely_how_often").text
    assert frame.iloc[0]["Stored as (first three values)"] == "1; 2"


def test_problems_are_listed_by_row_and_column() -> None:
    frame = problems_frame([Problem(4, "Age", "not a number"), Problem(None, None, "empty")])
    assert str(frame["Row"].dtype) == "Int64"  # a whole-file problem has no row
    assert frame["Row"].iloc[0] == 4 and pd.isna(frame["Row"].iloc[1])
    assert list(frame["Column"]) == ["Age", "(whole row)"]
    assert list(frame["Problem"]) == ["not a number", "empty"]


def uploads() -> pd.DataFrame:
    return pd.DataFrame({
        "upload_id": [1, 2, 3], "uploaded_at": ["2026-11-02 09:30"] * 3,
        "scheme_name": ["Alderley", None, None], "scheme_id": ["SL001", "SL002", None],
        "kind": ["survey", "activity", "demo"], "file_name": ["a.csv", "b.csv", "demo"],
        "layout": ["google_forms", None, None], "rows_read": [10, 5, 100],
        "accepted": [8, 5, 100], "rejected": [2, 0, 0], "duplicates": [0, 0, 0],
        "corrected": [0, 0, 0], "status": ["stored", "rolled_back", "stored"],
        "uploaded_by": ["a@x", "b@x", "demo"], "note": ["", "", ""],
    })


def test_the_upload_log_reads_in_words() -> None:
    frame = history_frame(uploads())
    assert list(frame["Scheme"]) == ["Alderley", "SL002", "All schemes"]
    assert list(frame["Status"]) == ["Stored", "Rolled back", "Stored"]
    assert list(frame["Kind"]) == ["Survey", "Activity return", "Demo data"]
    # A store from before erasure and retention counted them: 0, not missing.
    assert list(frame["Erased on request"]) == [0, 0, 0]
    assert frame.iloc[2]["Note"] == "Synthetic demo sector"
    assert list(frame["Read as"]) == ["Google Forms export", "", ""]  # none: blank


def test_only_stored_uploads_may_be_rolled_back_and_demo_data_never() -> None:
    anything, set_aside, rollback = upload_choices(uploads())
    assert anything
    assert set_aside == {1: "Upload 1: a.csv (2 rows set aside)"}
    assert rollback == {1: "Upload 1: a.csv for Alderley, 02 Nov 2026 09:30 (8 rows stored)"}
    assert upload_choices(uploads().iloc[0:0])[0] is False


def test_rows_set_aside_keep_their_cells_and_every_reason() -> None:
    from kpi import readers

    records = pd.DataFrame({
        "row_number": [5, 5], "row_values": ['{"Age": "x"}', None],
        "column_name": ["Age", ""], "reason": ["not a number", "no scheme"],
    })
    row = set_aside_rows(records).iloc[0]
    assert row[readers.ROW_COLUMN] == 5 and row["Age"] == "x"
    assert row[readers.WHY_COLUMN] == "Age: not a number; no scheme"
    assert set_aside_rows(records.iloc[0:0]).empty


def test_a_refusal_hides_server_paths_from_all_but_an_administrator(tmp_path: Path) -> None:
    store = tmp_path / "khi.duckdb"
    exc = ValueError(f"could not open {store}")
    assert refusal_words(exc, admin=True, db_path=store) == str(exc)
    words = refusal_words(exc, admin=False, db_path=store)
    assert str(tmp_path) not in words and "ask your administrator" in words
    assert refusal_words(StoreBusy("busy"), admin=False, db_path=store).startswith(
        "The dashboard is busy")
    assert refusal_words(ValueError("Row 3: bad age"), admin=False, db_path=store) == (
        "Row 3: bad age")


def test_a_stored_upload_is_counted_in_its_own_noun() -> None:
    class Result:
        kind, accepted = "activity", 1

    assert stored_headline(Result()) == "1 activity return stored"  # type: ignore[arg-type]
    Result.kind, Result.accepted = "survey", 12
    assert stored_headline(Result()) == "12 responses stored"  # type: ignore[arg-type]


# ------------------------------------------------------- Indicator, rounds ---
def test_a_khi_is_built_from_its_questions_in_bank_order() -> None:
    from kpi.catalogue import khi_items

    assert khi_items(LONELY) == ["lonely_how_often"]
    assert khi_items(WELLBEING) == [f"swemwbs_{i}" for i in range(1, 8)]
    assert khi_items(khi("lonely_ucla")) == ["ucla_companionship", "ucla_left_out",
                                             "ucla_isolated"]


def test_a_round_is_opened_for_this_quarter_or_the_next() -> None:
    from kpi.collect import round_quarters

    # 31 March is the last day of Q4 of 2025/26; 1 April starts 2026/27 Q1.
    assert round_quarters(dt.date(2026, 3, 31)) == ["2025/26 Q4", "2026/27 Q1"]
    assert round_quarters(dt.date(2026, 4, 1)) == ["2026/27 Q1", "2026/27 Q2"]


def test_a_file_names_parts_are_lower_case_words_joined() -> None:
    from kpi.downloads import part_slug

    assert part_slug("North East") == "north_east"
    assert part_slug("2026/27 Q1") == "2026_27_q1"
    assert part_slug("  Yorkshire & the Humber! ") == "yorkshire_the_humber"
