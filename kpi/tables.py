"""The tables the Regions and Schemes pages show under their charts, one row per
area: value, 95% interval, base and the comparison in words.

Why in ``kpi``: a table's rows decide what a reader is told (a hidden cell shows no
value, interval or base, "No answers" is not "too few"); built here they can be
tested and reused without streamlit, and the words are :mod:`kpi.wording`'s.
"""

from __future__ import annotations

import pandas as pd

from kpi.catalogue import KHI
from kpi.wording import BENCHMARK_NAMES, comparison_words, format_interval, format_value

__all__ = ["HIDDEN_WORDS", "is_hidden", "outside_flags", "region_table", "scheme_table"]

HIDDEN_WORDS = "Too few answers to show"


def is_hidden(row: pd.Series) -> bool:
    """True when the engine hid this row (disclosure control)."""
    flag = row.get("suppressed", False)
    return bool(flag) and not pd.isna(flag)


def outside_flags(table: pd.DataFrame) -> list[object]:
    """The engine's 99.8% flag per row (False where the table has none)."""
    if "outside998" in table:
        return list(table["outside998"])
    return [False] * len(table)


def region_table(frame: pd.DataFrame, khi: KHI) -> pd.DataFrame:
    """The table under the Regions map: value, interval, base and comparison in words."""
    rows = []
    for _, r in frame.iterrows():
        hidden = is_hidden(r)
        no_data = not hidden and pd.isna(r.get("value"))
        rows.append(
            {
                "Region": r["region"],
                "Value": HIDDEN_WORDS
                if hidden
                else ("No answers" if no_data else format_value(r["value"], khi)),
                "95% interval": ""
                if hidden or no_data
                else format_interval(r.get("lower95"), r.get("upper95"), khi),
                "Answers": "" if hidden or no_data or pd.isna(r.get("n")) else f"{int(r['n']):,}",
                "Compared with England": ""
                if no_data
                else comparison_words(
                    "not compared" if hidden else r.get("comparison"),
                    outside998=r.get("outside998", False),
                ),
            }
        )
    return pd.DataFrame(rows)


def scheme_table(table: pd.DataFrame, khi: KHI, benchmark: str) -> pd.DataFrame:
    """One row per scheme as the Schemes page shows it: numbers stay numbers (so the
    table sorts by value), hidden schemes carry no value, interval or base."""
    hidden = table.apply(is_hidden, axis=1) if len(table) else pd.Series(dtype=bool)

    def shown(column: str) -> pd.Series:
        values = pd.to_numeric(table[column], errors="coerce").round(1)
        return values.mask(hidden)

    return pd.DataFrame(
        {
            "Scheme": table["name"],
            "Region": table["region"],
            "Value" + (" (%)" if khi.is_proportion else ""): shown("value"),
            "95% interval from": shown("lower95"),
            "95% interval to": shown("upper95"),
            "Base (answers)": shown("n").astype("Int64"),
            f"Compared with {BENCHMARK_NAMES[benchmark]}": [
                HIDDEN_WORDS if h else comparison_words(r, benchmark, outside998=o)
                for h, r, o in zip(
                    hidden, table["comparison"].astype(str), outside_flags(table)
                )
            ],
            "CQC rating": table["cqc"],
        }
    ).reset_index(drop=True)
