"""The KHI table as a user runs it, against the shared baselines, as whole processes.

The goal and its baselines are the shared ones (``../shared/bench/README.md``,
``khi_table_refs.py``), timed in the same rounds on the same store (default: a
demo of 1M people, 8 quarters):

* **engine**: ``python -m kpi indicators --by region,scheme --db STORE`` (every KHI,
  change KHIs included, latest quarter), from interpreter start to the CSV written;
* **DuckDB pass**: ``khi_table_refs.py duckdb STORE``, the floor: one hand-written
  DuckDB pass over the same store (each person once, every KHI with intervals, both
  change KHIs);
* **pandas**: ``khi_table_refs.py pandas PARQUET``, what an analyst would write from
  ``khi_table_refs.py export STORE PARQUET`` (the export is not timed).

The three take turns, in a different order each round (``--rounds``, default 5),
so a busy moment on the shared machine slows all of them. Reported: each one's
median and best wall time, its median CPU time (user + system, steadier on a
loaded machine), its peak memory (VmHWM at exit, the process's own), the median
of the rounds' ratios, and the load average before and after. Both baselines
print their number of result cells (a low and a high limit per cell): it must be
twice the engine's rows, or no time is reported.

As a check that the engine computes the same table, once and untimed, the two
scripts beside this one (``khi_table_duckdb.py``, ``khi_table_pandas.py``) write
the table the engine writes, from the catalogue's definitions, and every cell
shown by all three must have the same n, value and limits (``--no-check`` skips it).

Goals (issue 27): engine <= 1.5x the DuckDB pass, >= 4x faster than pandas, peak
<= 1 GB.

    .venv/bin/python benchmarks/khi_table_benchmark.py [--db STORE] [--people N] [--rounds R]

``--db`` reuses a store (e.g. one built by ``python -m kpi demo --people 1000000
--quarters 8``); without it the demo store is built in a temporary folder first.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
# The baselines the goals are judged against (../shared/bench/README.md).
# (../shared beside the repository; from a worktree, beside a folder above it.)
SHARED_REFS = next(
    (p / "shared" / "bench" / "khi_table_refs.py" for p in ROOT.parents
     if (p / "shared" / "bench" / "khi_table_refs.py").exists()),
    ROOT.parent / "shared" / "bench" / "khi_table_refs.py",
)
sys.path.insert(0, str(ROOT))

# Runs a module or script and records the process's own peak memory when it exits:
# at Python's exit, or at os._exit (``python -m kpi indicators`` ends so, skipping
# the interpreter's teardown: kpi.cli.ENDS_AT_ONCE).
RUNNER = """
import atexit, os, runpy, sys
peak_file, target, *args = sys.argv[1:]
def record():
    status = open("/proc/self/status").read()
    open(peak_file, "w").write(status.split("VmHWM:")[1].split()[0])
atexit.register(record)
_exit = os._exit
def record_and_exit(code):
    record()
    _exit(code)
os._exit = record_and_exit
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


def run(argv: list[str], tmp: Path) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak MB, stdout) of one whole process."""
    peak = tmp / "peak"
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(peak), *argv],
        cwd=ROOT, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed:\n{done.stderr}")
    return seconds, cpu, int(peak.read_text()) / 1024, done.stdout


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


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _median(values: list[float]) -> float:
    import statistics

    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="reuse this store")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--refs", type=Path, default=SHARED_REFS,
                        help="the shared baselines' script")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the untimed check that the engine's table is right")
    args = parser.parse_args()
    if not args.refs.exists():
        raise SystemExit(f"No shared baselines at {args.refs}: give --refs PATH.")

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = args.db
        if db is None:
            db = tmp / "khi.duckdb"
            subprocess.run([sys.executable, "-m", "kpi", "demo", "--db", str(db),
                            "--people", str(args.people), "--quarters", str(args.quarters),
                            "--seed", "1"], cwd=ROOT, check=True, capture_output=True)
        parquet = tmp / "export.parquet"
        subprocess.run([sys.executable, str(args.refs), "export", str(db), str(parquet)],
                       cwd=ROOT, check=True)
        commands = {
            "engine": ["-m", "kpi", "indicators", "--by", "region,scheme", "--db", str(db)],
            "duckdb": [str(args.refs), "duckdb", str(db)],
            "pandas": [str(args.refs), "pandas", str(parquet)],
        }
        times: dict[str, list[float]] = {key: [] for key in commands}
        cpu: dict[str, list[float]] = {key: [] for key in commands}
        peak = dict.fromkeys(commands, 0.0)
        out = {}
        load_before = _load()
        order = list(commands)
        for round_ in range(args.rounds):
            for key in order[round_ % 3:] + order[:round_ % 3]:
                seconds, cpu_seconds, mb, out[key] = run(commands[key], tmp)
                times[key].append(seconds)
                cpu[key].append(cpu_seconds)
                peak[key] = max(peak[key], mb)
        load_after = _load()
        rows = len(out["engine"].splitlines()) - 1
        for key in ("duckdb", "pandas"):
            if int(out[key].split()[-1]) != 2 * rows:
                raise SystemExit(f"The {key} baseline has {out[key].split()[-1]} cells, not "
                                 f"twice the engine's {rows} rows: not the same table.")
        checked = None
        if not args.no_check:
            checked = _check(db, tmp, out["engine"])

    print(f"store {db}: the engine's table has {rows:,} rows"
          + (f"; {checked:,} cells checked equal to the two check scripts'" if checked else ""))
    print(f"load average (1, 5, 15 min): {load_before} before, {load_after} after")
    print(f"{'whole process (' + str(args.rounds) + ' rounds)':55s}{'median s':>9}{'best s':>8}"
          f"{'median CPU s':>13}{'peak MB':>9}")
    for key, label in (("engine", "python -m kpi indicators --by region,scheme"),
                       ("duckdb", f"{args.refs.name} duckdb (the floor)"),
                       ("pandas", f"{args.refs.name} pandas")):
        print(f"{label:55s}{_median(times[key]):9.2f}{min(times[key]):8.2f}"
              f"{_median(cpu[key]):13.2f}{peak[key]:9,.0f}")
    over = [e / d for e, d in zip(times["engine"], times["duckdb"])]
    faster = [p / e for e, p in zip(times["engine"], times["pandas"])]
    print(f"engine vs the DuckDB pass: {_median(over):.2f}x, median of the rounds' "
          f"({' '.join(f'{x:.2f}' for x in over)}); CPU "
          f"{_median(cpu['engine']) / _median(cpu['duckdb']):.2f}x (goal <= 1.5x)")
    print(f"engine vs pandas: {_median(faster):.1f}x faster, median of the rounds' "
          f"({' '.join(f'{x:.1f}' for x in faster)}) (goal >= 4x)")
    print(f"engine peak memory: {peak['engine']:,.0f} MB (goal <= 1024 MB)")
    return 0


def _check(db: Path, tmp: Path, engine: str) -> int:
    """The engine's table against the two check scripts' (untimed): cells in common."""
    import duckdb

    spec = tmp / "definitions.json"
    spec.write_text(json.dumps(definitions()))
    con = duckdb.connect(str(db), read_only=True)
    for table in ("responses", "schemes"):
        con.execute(f"COPY {table} TO '{tmp / (table + '.parquet')}' (FORMAT parquet)")
    con.close()
    tables = {"engine": engine}
    for key, argv in (("duckdb", [str(HERE / "khi_table_duckdb.py"), str(db), str(spec)]),
                      ("pandas", [str(HERE / "khi_table_pandas.py"), str(tmp), str(spec)])):
        tables[key] = run(argv, tmp)[3]
    return check_same(tables)


if __name__ == "__main__":
    sys.exit(main())
