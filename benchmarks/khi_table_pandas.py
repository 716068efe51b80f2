"""Baseline: the KHI table by region and scheme as an analyst would write it in pandas.

Input: the store exported once with ``COPY responses TO 'responses.parquet'`` (and
the schemes likewise). Read both, keep each person's latest response in the
latest quarter, derive each KHI's score, one ``groupby().agg()`` per KHI, Wilson
and t intervals with scipy.stats, the England benchmark, a 95% comparison and
cells under 5 hidden; both change KHIs from each person's first and latest score
up to the quarter's end (sort, then ``groupby().agg(first, last, count)``).
Writes CSV to stdout.

    python benchmarks/khi_table_pandas.py EXPORT_DIR DEFINITIONS.json > table.csv
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

MIN_BASE = 5
MIN_COMPARE = 10
SWEMWBS_METRIC = [7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36, 16.88,
                  17.43, 17.98, 18.59, 19.25, 19.98, 20.73, 21.54, 22.35, 23.21, 24.11, 25.03,
                  26.02, 27.03, 28.13, 29.31, 30.70, 32.55, 35.00]


def score(frame: pd.DataFrame, name: str) -> pd.Series:
    """The score column, derived scores written out by hand."""
    if name == "ucla3":
        items = ["ucla_companionship", "ucla_left_out", "ucla_isolated"]
        return frame[items].astype("float64").sum(axis=1, min_count=3)
    if name == "swemwbs_metric":
        raw = frame[[f"swemwbs_{i}" for i in range(1, 8)]].astype("float64").sum(axis=1,
                                                                               min_count=7)
        return raw.map(dict(zip(range(7, 36), SWEMWBS_METRIC)))
    return frame[name].astype("float64")


def main(export: str, definitions: str) -> int:
    khis = json.loads(Path(definitions).read_text())
    responses = pd.read_parquet(Path(export) / "responses.parquet")
    schemes = pd.read_parquet(Path(export) / "schemes.parquet")[["scheme_id", "region"]]
    responses = responses.merge(schemes, on="scheme_id")
    end = responses["quarter_start"].max()

    ordered = responses.sort_values(["completed_on", "response_id"])
    latest = ordered[ordered["quarter_start"] == end].drop_duplicates(
        ["scheme_id", "person_key", "respondent_type", "quarter_start"], keep="last"
    )
    people = ordered[(ordered["respondent_type"] == "person") & (ordered["quarter_start"] <= end)]

    rows = []
    for k in khis:
        if k["measure"] == "change":
            v = score(people, k["score"])
            pairs = people.assign(v=v).dropna(subset=["v"]).groupby(
                ["region", "scheme_id", "person_key"], sort=False
            )["v"].agg(["first", "last", "count"])
            pairs = pairs[pairs["count"] >= 2]
            work = pd.DataFrame({"v": pairs["last"] - pairs["first"]}).reset_index()
        else:
            part = latest[latest["respondent_type"] == k["population"]]
            work = part[["region", "scheme_id"]].assign(v=score(part, k["score"])).dropna()
            if k["measure"] == "proportion":
                condition = k["hit"].replace("{score}", "v").replace(" = ", " == ")
                work["v"] = pd.eval(condition, local_dict={"v": work["v"]}).astype(float)
        groups = work.groupby(["region", "scheme_id"])["v"].agg(["count", "sum", "mean", "std"])
        everyone = work["v"].agg(["count", "sum", "mean", "std"])
        table = groups.reset_index()
        if k["measure"] == "proportion":
            table = with_wilson(table)
            bench = 100 * everyone["mean"]
        else:
            table = with_t(table)
            bench = everyone["mean"]
        table["khi"] = k["code"]
        table["benchmark"] = bench
        table["comparison"] = compare(table, bench, k["polarity"])
        table["suppressed"] = table["count"] < MIN_BASE
        if k["measure"] != "proportion":
            table["hits"] = np.nan
        rows.append(table)
    out = pd.concat(rows, ignore_index=True)
    hidden = out["suppressed"]
    for column in ("count", "hits", "value", "lower95", "upper95", "lower998", "upper998"):
        out[column] = out[column].mask(hidden)
    out.loc[hidden, "comparison"] = "not compared"
    out = out.rename(columns={"scheme_id": "scheme", "count": "n", "hits": "count"})
    out["n"] = out["n"].astype("Int64")
    out["count"] = out["count"].round().astype("Int64")
    columns = ["khi", "region", "scheme", "n", "count", "value", "lower95", "upper95",
               "lower998", "upper998", "suppressed", "benchmark", "comparison"]
    out[columns].to_csv(sys.stdout, index=False)
    return 0


def with_wilson(table: pd.DataFrame) -> pd.DataFrame:
    x, n = table["sum"], table["count"]
    p = x / n
    table["hits"] = x
    table["value"] = 100 * p
    for level, name in ((0.95, "95"), (0.998, "998")):
        z = stats.norm.ppf(0.5 + level / 2)
        centre = (2 * x + z * z) / (2 * (n + z * z))
        half = z * np.sqrt(z * z + 4 * x * (1 - p)) / (2 * (n + z * z))
        table[f"lower{name}"] = 100 * (centre - half)
        table[f"upper{name}"] = 100 * (centre + half)
    return table


def with_t(table: pd.DataFrame) -> pd.DataFrame:
    n = table["count"]
    table["value"] = table["mean"]
    for level, name in ((0.95, "95"), (0.998, "998")):
        half = stats.t.ppf(0.5 + level / 2, n - 1) * table["std"] / np.sqrt(n)
        table[f"lower{name}"] = table["mean"] - half
        table[f"upper{name}"] = table["mean"] + half
    return table


def compare(table: pd.DataFrame, bench: float, polarity: str) -> np.ndarray:
    low, high = table["lower95"], table["upper95"]
    above = np.where(polarity == "high", "better", "worse")
    below = np.where(polarity == "high", "worse", "better")
    result = np.where(low > bench, above, np.where(high < bench, below, "similar"))
    return np.where((table["count"] < MIN_COMPARE) | low.isna(), "not compared", result)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
