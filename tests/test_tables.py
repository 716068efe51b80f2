"""The Regions and Schemes tables (kpi.tables): a hidden row shows no value, interval
or base, a row without answers says so, and the comparison is kpi.wording's."""

from __future__ import annotations

import pandas as pd

from kpi.catalogue import khi
from kpi.tables import HIDDEN_SHORT, HIDDEN_WORDS, region_table, scheme_table

LONELY = khi("lonely_often")


def test_a_hidden_region_shows_no_number_and_an_empty_one_says_no_answers() -> None:
    frame = pd.DataFrame({
        "region": ["North East", "London", "Wales"], "value": [12.0, None, None],
        "lower95": [9.0, None, None], "upper95": [15.0, None, None], "n": [400, 3, None],
        "suppressed": [False, True, False], "comparison": ["worse", None, None],
        "outside998": [True, False, False],
    })
    rows = region_table(frame, LONELY).to_dict("records")
    assert rows[0] == {"Region": "North East", "Value": "12%", "95% interval": "9% to 15%",
                       "Answers": "400",
                       "Compared with England": "▼ Clearly worse than England (99.8% level)"}
    assert rows[1]["Value"] == HIDDEN_WORDS and rows[1]["Answers"] == ""
    assert rows[1]["Compared with England"].startswith("○ Not compared")
    assert rows[2]["Value"] == "No answers" and rows[2]["Compared with England"] == ""


def test_a_hidden_scheme_keeps_its_name_and_nothing_else() -> None:
    table = pd.DataFrame({
        "name": ["Tynemere", "Effra"], "region": ["North East", "London"],
        "value": [5.0, 66.7], "lower95": [3.2, 20.0], "upper95": [7.6, 94.0], "n": [400, 3],
        "suppressed": [False, True], "comparison": ["better", "worse"], "cqc": ["Good", ""],
    })
    out = scheme_table(table, LONELY, "region")
    assert out.loc[0, "Compared with its region"] == "▲ Better than its region (95% level)"
    assert out.loc[1, "Compared with its region"] == HIDDEN_WORDS
    assert out.loc[1, ["Value (%)", "95% interval from", "Base (answers)"]].isna().all()


def test_data_quality_tables_hide_small_cells_and_sort_low_rates_first() -> None:
    from kpi.tables import completeness_table, rates_by_quarter, rates_table

    rates = pd.DataFrame({
        "quarter": ["2025/26 Q2"] * 3 + ["2025/26 Q1"], "scheme_id": ["S1", "S2", "S3", "S1"],
        "region": ["North East"] * 4, "responses": [60, 4, 30, 50],
        "people_supported": [100, 4, None, 100], "rate": [60.0, 100.0, None, 50.0],
        "suppressed": [False, True, False, False],
    })
    names = {"S1": "Tynemere", "S2": "Effra", "S3": "Brent"}
    table = rates_table(rates, "2025/26 Q2", names)
    assert list(table["Scheme"]) == ["Tynemere", "Brent", "Effra"]  # hidden and unknown last
    assert table.loc[2, "Response rate"] == HIDDEN_SHORT
    assert pd.isna(table.loc[2, "Responses"])
    wide = rates_by_quarter(rates, names).set_index("Scheme")
    assert wide.loc["Brent", "2025/26 Q2"] == "no return"
    assert wide.loc["Tynemere", "2025/26 Q1"] == "50%"
    items = pd.DataFrame({"item": ["x1"], "answered": [2], "asked": [3], "share": [66.7],
                          "suppressed": [True]})
    row = completeness_table(items).iloc[0]
    assert pd.isna(row["Answered"]) and row["Share answered"] == HIDDEN_SHORT
