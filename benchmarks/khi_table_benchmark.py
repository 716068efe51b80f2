"""The KHI table as a user runs it, against two baselines, as whole processes.

In the same run, on the same store (default 1M people, 8 quarters):

* **engine**: ``python -m kpi indicators --by region,scheme`` (every KHI, change
  KHIs included, latest quarter), from interpreter start to the CSV written;
* **DuckDB pass**: ``khi_table_duckdb.py``, what an expert would write against
  the store file (each person once, every KHI with intervals, both change KHIs);
* **pandas**: ``khi_table_pandas.py``, what an analyst would write from the store
  exported with ``COPY responses TO 'responses.parquet'`` (the export is not timed).

Each process runs ``--repeat`` times, the three taking turns, so a busy moment on
the shared machine slows all of them; the best time of each counts. Peak memory is
each process's own (VmHWM at exit). The three tables are checked to agree (n and
value of every cell shown by all three) before any time is reported.

Goals (issue 13): engine <= 1.5x the DuckDB pass, >= 4x faster than pandas, peak
<= 1 GB.

    .venv/bin/python benchmarks/khi_table_benchmark.py [--db STORE] [--people N] [--repeat R]

``--db`` reuses a store (e.g. one built by ``python -m kpi demo --people 1000000``);
without it the demo store is built in a temporary folder first.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
# The baselines the goals are judged against (../shared/bench/README.md).
SHARED_REFS = ROOT.parent / "shared" / "bench" / "khi_table_refs.py"
sys.path.insert(0, str(ROOT))

# Runs a module or script and records the process's own peak memory when it exits.
RUNNER = """
import atexit, runpy, sys
peak_file, target, *args = sys.argv[1:]
def record():
    status = open("/proc/self/status").read()
    open(peak_file, "w").write(status.split("VmHWM:")[1].split()[0])
atexit.register(record)
if target == "-m":
    sys.argv = [args[0], *args[1:]]
    runpy.run_module(args[0], run_name="__main__", alter_sys=True)
else:
    sys.argv = [target, *args]
    runpy.run_path(target, run_name="__main__")
"""


def definitions() -> list[dict]:
    """The catalogue as the baselines need it (what their authors would type)."""
    from kpi.catalogue import catalogue

    return [
        {"code": k.code, "population": k.population, "measure": k.measure,
         "polarity": k.polarity, "score": k.score, "score_sql": k.score_sql,
         "hit": k.hit, "hit_sql": k.hit_sql if k.hit else None}
        for k in catalogue()
    ]


def run(argv: list[str], tmp: Path) -> tuple[float, float, str]:
    """(seconds, peak MB, stdout) of one whole process."""
    peak = tmp / "peak"
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(peak), *argv],
        cwd=ROOT, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed:\n{done.stderr}")
    return seconds, int(peak.read_text()) / 1024, done.stdout


def check_same(tables: dict[str, str]) -> int:
    """Cells shown by every table have the same n and value; returns their number."""
    import numpy as np
    import pandas as pd

    frames = {}
    for name, text in tables.items():
        frame = pd.read_csv(io.StringIO(text))
        frames[name] = frame[~frame["suppressed"]].set_index(["khi", "scheme"])
    engine = frames.pop("engine")
    for name, frame in frames.items():
        both = engine.join(frame, how="inner", suffixes=("", "_other"))
        if len(both) < 0.9 * len(engine):
            raise SystemExit(f"{name}: only {len(both)} of {len(engine)} cells in common")
        for column in ("n", "value", "lower95", "upper998"):
            same = np.isclose(both[column], both[f"{column}_other"], rtol=1e-9, equal_nan=True)
            if not same.all():
                raise SystemExit(f"{name} differs from the engine in {column}:\n"
                                 f"{both[~same][[column, column + '_other']].head()}")
    return len(engine)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="reuse this store")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--refs", type=Path, default=SHARED_REFS,
                        help="the shared baselines' script (its DuckDB pass is timed too)")
    args = parser.parse_args()
    import duckdb

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = args.db
        if db is None:
            db = tmp / "khi.duckdb"
            subprocess.run([sys.executable, "-m", "kpi", "demo", "--db", str(db),
                            "--people", str(args.people), "--quarters", str(args.quarters),
                            "--seed", "1"], cwd=ROOT, check=True, capture_output=True)
        spec = tmp / "definitions.json"
        spec.write_text(json.dumps(definitions()))
        con = duckdb.connect(str(db), read_only=True)
        for table in ("responses", "schemes"):
            con.execute(f"COPY {table} TO '{tmp / (table + '.parquet')}' (FORMAT parquet)")
        responses = con.execute("SELECT count(*) FROM responses").fetchone()[0]
        con.close()

        commands = {
            "engine": ["-m", "kpi", "indicators", "--by", "region,scheme", "--db", str(db)],
            "duckdb": [str(HERE / "khi_table_duckdb.py"), str(db), str(spec)],
            "pandas": [str(HERE / "khi_table_pandas.py"), str(tmp), str(spec)],
        }
        if args.refs.exists():  # the floor, timed in the same rounds
            commands["refs"] = [str(args.refs), "duckdb", str(db)]
        best = dict.fromkeys(commands, float("inf"))
        peak = dict.fromkeys(commands, 0.0)
        tables = {}
        for _ in range(args.repeat):
            for key, argv in commands.items():
                seconds, mb, out = run(argv, tmp)
                best[key] = min(best[key], seconds)
                peak[key] = max(peak[key], mb)
                tables[key] = out
        tables.pop("refs", None)  # prints its number of cells, not a table
        cells = check_same(tables)

    print(f"responses: {responses:,}; cells checked equal in all three tables: {cells:,}")
    for key, label in (("engine", "python -m kpi indicators --by region,scheme"),
                       ("duckdb", "hand-written DuckDB pass"),
                       ("pandas", "pandas script from a parquet export")):
        print(f"{label:45s} {best[key]:7.2f} s   peak {peak[key]:6,.0f} MB")
    if "refs" in best:
        print(f"{'shared baseline, duckdb (' + args.refs.name + ')':45s} {best['refs']:7.2f} s   "
              f"peak {peak['refs']:6,.0f} MB")
        print(f"engine vs the shared DuckDB baseline: {best['engine'] / best['refs']:.2f}x "
              "(goal <= 1.5x)")
    over = best["engine"] / best["duckdb"]
    faster = best["pandas"] / best["engine"]
    print(f"engine vs DuckDB pass: {over:.2f}x (goal <= 1.5x)")
    print(f"engine vs pandas: {faster:.1f}x faster (goal >= 4x)")
    print(f"engine peak memory: {peak['engine']:,.0f} MB (goal <= 1024 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
