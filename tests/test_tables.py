"""The Regions and Schemes tables (kpi.tables): a hidden row shows no value, interval
or base, a row without answers says so, and the comparison is kpi.wording's."""

from __future__ import annotations

import pandas as pd

from kpi.catalogue import khi
from kpi.tables import HIDDEN_WORDS, region_table, scheme_table

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
