"""How long ``python -m kpi ingest`` takes for a 100,000-row template CSV, against read_csv.

The measure and its baseline are the shared ones (``../shared/bench/README.md``):
``python -m kpi ingest FILE --scheme ID`` of a 100,000-row template CSV, against a
fresh process running ``CREATE TABLE t AS SELECT * FROM read_csv(FILE)`` into a new
DuckDB file. Goal: at most 3x.

The file: N rows (default 100,000) of our own upload template
(:func:`kpi.template.survey_template_csv`: its header row, byte-order mark and CRLF
line ends), every column answered with the labels the template lists (blanks and
"Don't know"s among the answers), dates as ISO dates, two responses per person
months apart.

Both are timed as whole processes, interpreter start and imports included. The
kpi command is ``python -m kpi ingest FILE --scheme ID --db DB`` as a user types it,
but for one thing: the register's 20 MB web-upload limit is lifted first (the file
is about 49 MB), by running the module under ``python -c``. The baseline's child
runs the one statement and nothing else (DuckDB's progress bar off, so it draws
nothing on stdout); its rows are counted afterwards, untimed. The two alternate,
each round on a new store, for ``--repeat`` rounds (default 5): the median and best
of each, and the median of each round's ratio, are reported, with the machine's
load average before and after, because the machine is shared.

    .venv/bin/python benchmarks/ingest_benchmark.py [--rows N] [--repeat R] [--csv PATH]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpi.template import allowed_answers, survey_columns, survey_template_csv  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parents[1]

SCHEME = "SL001"


def write_template(path: Path, rows: int, seed: int = 2026) -> None:
    """A filled-in survey template of ``rows`` responses, answers as its labels."""
    rng = np.random.default_rng(seed)
    # Two responses per person, months apart (rows are in date order).
    people = np.arange(rows) % max(rows // 2, 1)
    first = dt.date(2025, 4, 1)
    days = np.sort(rng.integers(0, 570, rows))
    dates = np.array([(first + dt.timedelta(days=d)).isoformat() for d in range(570)],
                     dtype=object)
    columns: list = []
    for code, _ in survey_columns():
        if code == "respondent_ref":
            columns.append([f"SL-{p:07d}" for p in people])
            continue
        if code == "completed_on":
            columns.append(dates[days])
            continue
        options = allowed_answers(code) or [str(v) for v in range(21)]  # counts
        if code == "respondent_type":  # a person is always the same type
            columns.append(np.array(options, dtype=object)[(people % 7 == 0).astype(int)])
            continue
        options = [*options, ""]
        columns.append(np.array(options, dtype=object)[rng.integers(0, len(options), rows)])
    path.write_bytes(survey_template_csv())  # the template's own header row
    with open(path, "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(zip(*columns))


# ``python -m kpi ingest FILE --scheme ID --db DB`` in a fresh interpreter, the
# register's web-upload limit lifted first (the file is far above 20 MB).
_KPI = (
    "import runpy, sys; from kpi.items import bank; bank().settings['max_upload_mb'] = 4096; "
    "sys.argv = ['kpi', *sys.argv[1:]]; runpy.run_module('kpi', run_name='__main__', "
    "alter_sys=True)"
)
# The shared baseline: DuckDB alone in a fresh interpreter, read_csv into a new file.
_DUCKDB = (
    "import sys, duckdb; con = duckdb.connect(sys.argv[2]); "
    "con.execute('SET enable_progress_bar = false'); "
    "con.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[1]])"
)


def _process(args: list[str], env: dict[str, str]) -> dict:
    """Run one whole process: wall seconds, CPU seconds (user + system), its output."""
    before = os.times()
    began = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - began
    after = os.times()
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    return {"seconds": seconds, "cpu": cpu, "stdout": done.stdout, "stderr": done.stderr,
            "returncode": done.returncode}


def _ours(path: Path, db: Path, env: dict[str, str]) -> dict:
    from kpi.ingest import load_schemes
    from kpi.store import Store

    store = Store(db)
    load_schemes(store, f"scheme_id,name,region\n{SCHEME},Benchmark,London\n".encode())
    done = _process(["-c", _KPI, "ingest", str(path), "--scheme", SCHEME, "--db", str(db)],
                    env)
    if done["returncode"] != 0:
        raise SystemExit(f"ingest refused the file:\n{done['stdout']}{done['stderr'][-3000:]}")
    upload = store.uploads().iloc[0]  # its only upload, counted after the clock stopped
    return {**done, **{k: int(upload[k]) for k in ("accepted", "rejected", "duplicates")}}


def _duckdb(path: Path, db: Path, env: dict[str, str]) -> dict:
    import duckdb

    done = _process(["-c", _DUCKDB, str(path), str(db)], env)
    if done["returncode"]:
        raise SystemExit(done["stderr"][-3000:])
    with duckdb.connect(str(db), read_only=True) as con:  # counted after the clock stopped
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    return {**done, "accepted": rows}


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--csv", type=Path, default=None,
                        help="write the template CSV here and keep it (default: a temporary file)")
    args = parser.parse_args()
    os.environ.setdefault("KHI_SECRET", "benchmark-secret-not-for-production")  # 24+ characters
    env = {**os.environ}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = args.csv or folder / "template.csv"
        began = time.perf_counter()
        if not (args.csv and path.exists()):
            write_template(path, args.rows)
        size_mb = path.stat().st_size / 1024 / 1024
        print(f"template CSV: {args.rows:,} rows, {size_mb:.1f} MB "
              f"({time.perf_counter() - began:.1f} s)", flush=True)
        load_before = _load()
        bases, ourses = [], []
        for run in range(max(args.repeat, 1)):
            pair = [(bases, _duckdb, "baseline"), (ourses, _ours, "khi")]
            for runs, measure, name in pair if run % 2 == 0 else reversed(pair):
                runs.append(measure(path, folder / f"{name}{run}.duckdb", env))
                (folder / f"{name}{run}.duckdb").unlink()
        load_after = _load()
    if bases[0]["accepted"] != args.rows:
        print(f"DuckDB read {bases[0]['accepted']:,} rows, not {args.rows:,}")
        return 1
    ratios = [o["seconds"] / b["seconds"] for o, b in zip(ourses, bases)]
    print(f"load average (1, 5, 15 min): {load_before} before, {load_after} after")
    print(f"{'whole process (' + str(len(bases)) + ' rounds)':<34}{'median s':>9}{'best s':>8}"
          f"{'median CPU s':>13}   all runs (s)")
    for name, runs in (("duckdb read_csv into a new file", bases),
                       ("python -m kpi ingest", ourses)):
        seconds = [m["seconds"] for m in runs]
        every = " ".join(f"{x:.2f}" for x in seconds)
        print(f"{name:<34}{statistics.median(seconds):>9.2f}{min(seconds):>8.2f}"
              f"{statistics.median(m['cpu'] for m in runs):>13.2f}   {every}")
    print(f"ratio: median of the rounds' {statistics.median(ratios):.2f}x "
          f"(each round: {' '.join(f'{r:.2f}' for r in ratios)}); best over best "
          f"{min(o['seconds'] for o in ourses) / min(b['seconds'] for b in bases):.2f}x "
          "(goal <= 3x)")
    ours = ourses[0]
    print(f"stored {ours['accepted']:,}, set aside {ours['rejected']:,}, "
          f"duplicates {ours['duplicates']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
