"""Baseline: the KHI table by region and scheme as a DuckDB expert would write it.

One pass over the store file: each person once in the latest quarter (the store's
``superseded`` table names the responses a later one replaced), every KHI's base
and numerator (or sum and sum of squares) per scheme and for England; one more
grouped pass for both change KHIs (each person's latest minus first score up to
the quarter's end, ``arg_max``/``arg_min``). Wilson and Student's t intervals in
numpy, the England benchmark, a 95% comparison and cells under 5 hidden
(primary suppression only: the engine also hides a second cell where one hidden
cell could be worked out). Writes CSV to stdout. Imports duckdb, numpy and
scipy.special only.

The KHI definitions (SQL of each score and hit) come as a JSON file, written by
``khi_table_benchmark.py`` from the catalogue: what the expert would type by hand.

    python benchmarks/khi_table_duckdb.py STORE.duckdb DEFINITIONS.json > table.csv
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import duckdb
import numpy as np
from scipy.special import ndtri, stdtrit

MIN_BASE = 5
MIN_COMPARE = 10


def main(db: str, definitions: str) -> int:
    khis = json.loads(Path(definitions).read_text())
    scored = [k for k in khis if k["measure"] != "change"]
    changes = [k for k in khis if k["measure"] == "change"]
    con = duckdb.connect(db, read_only=True)
    (end,) = con.execute("SELECT max(quarter_start) FROM responses").fetchone()

    parts = []
    for j, k in enumerate(scored):
        where = f"r.respondent_type = '{k['population']}' AND {k['score_sql']} IS NOT NULL"
        parts.append(f"count(*) FILTER ({where}) AS n{j}")
        if k["measure"] == "proportion":
            parts.append(f"count(*) FILTER ({where} AND {k['hit_sql']}) AS x{j}")
        else:
            v = f"CAST({k['score_sql']} AS DOUBLE)"
            parts.append(f"sum({v}) FILTER ({where}) AS s{j}")
            parts.append(f"sum({v} * {v}) FILTER ({where}) AS q{j}")
    main_sql = f"""
        SELECT s.region, r.scheme_id, GROUPING(r.scheme_id) AS england, {', '.join(parts)}
        FROM responses r JOIN schemes s USING (scheme_id)
        ANTI JOIN superseded x ON r.response_id = x.response_id
        WHERE r.quarter_start = ?
        GROUP BY GROUPING SETS ((s.region, r.scheme_id), ())"""
    cube = con.execute(main_sql, [end]).fetchnumpy()

    order = "date_diff('day', DATE '2000-01-01', completed_on) * 1099511627776 + response_id"
    per_person, sums = [], []
    for j, k in enumerate(changes):
        v = f"CAST({k['score_sql']} AS DOUBLE)"
        per_person.append(
            f"count({v}) AS c{j}, arg_max({v}, {order}) - arg_min({v}, {order}) AS d{j}"
        )
        sums.append(f"count(*) FILTER (c{j} >= 2) AS n{j}, sum(d{j}) FILTER (c{j} >= 2) AS s{j}, "
                    f"sum(d{j} * d{j}) FILTER (c{j} >= 2) AS q{j}")
    change_sql = f"""
        WITH people AS (
            SELECT scheme_id, person_key, {', '.join(per_person)}
            FROM responses WHERE respondent_type = 'person' AND quarter_start <= ?
            GROUP BY scheme_id, person_key)
        SELECT s.region, p.scheme_id, GROUPING(p.scheme_id) AS england, {', '.join(sums)}
        FROM people p JOIN schemes s USING (scheme_id)
        GROUP BY GROUPING SETS ((s.region, p.scheme_id), ())"""
    moved = con.execute(change_sql, [end]).fetchnumpy()

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["khi", "region", "scheme", "n", "count", "value", "lower95", "upper95",
                  "lower998", "upper998", "suppressed", "benchmark", "comparison"])
    for source, group in ((cube, scored), (moved, changes)):
        england = np.asarray(source["england"]).astype(bool)
        rows = sorted(np.flatnonzero(~england),
                      key=lambda i: (source["region"][i], source["scheme_id"][i]))
        for j, k in enumerate(group):
            n = source[f"n{j}"].astype(float)
            if k["measure"] == "proportion":
                x = source[f"x{j}"].astype(float)
                value, limits = wilson(x, n)
            else:
                x = None
                value, limits = t_mean(n, source[f"s{j}"].astype(float),
                                       source[f"q{j}"].astype(float))
            bench = float(value[england][0])
            for i in rows:
                write_row(out, k, source, i, n, x, value, limits, bench)
    return 0


def wilson(x: np.ndarray, n: np.ndarray):
    """Percent and Wilson score limits (95%, 99.8%)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        limits = []
        for level in (0.95, 0.998):
            z = ndtri(0.5 + level / 2)
            centre = (2 * x + z * z) / (2 * (n + z * z))
            half = z * np.sqrt(z * z + 4 * x * (1 - p)) / (2 * (n + z * z))
            limits += [100 * (centre - half), 100 * (centre + half)]
    return 100 * p, limits


def t_mean(n: np.ndarray, s: np.ndarray, q: np.ndarray):
    """Mean and Student's t limits (95%, 99.8%) from count, sum and sum of squares."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s / n
        sd = np.sqrt(np.maximum(q - n * mean * mean, 0) / (n - 1))
        limits = []
        for level in (0.95, 0.998):
            half = stdtrit(n - 1, 0.5 + level / 2) * sd / np.sqrt(n)
            limits += [mean - half, mean + half]
    return mean, limits


def write_row(out, k, source, i, n, x, value, limits, bench) -> None:
    hidden = n[i] < MIN_BASE
    if hidden:
        out.writerow([k["code"], source["region"][i], source["scheme_id"][i],
                      "", "", "", "", "", "", "", True, bench, "not compared"])
        return
    low, high = limits[0][i], limits[1][i]
    if n[i] < MIN_COMPARE or not np.isfinite(low):
        comparison = "not compared"
    elif low <= bench <= high:
        comparison = "similar"
    else:
        above = low > bench
        comparison = "better" if above == (k["polarity"] == "high") else "worse"
    count = "" if x is None else int(x[i])
    out.writerow([k["code"], source["region"][i], source["scheme_id"][i], int(n[i]), count,
                  value[i], *(lim[i] for lim in limits), False, bench, comparison])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
