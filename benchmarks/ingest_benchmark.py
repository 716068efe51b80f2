"""How long ``python -m kpi ingest`` takes for a big Google Forms export, against DuckDB's read_csv.

The file: N rows (default 100,000) as Google Forms writes them: a Timestamp to
the second with the zone, an e-mail address, a reference per person, every
attribute and every item of the bank answered with its label (a few "Don't
know"s and blanks), all quoted, CRLF line ends.

The baseline, in the same run on the same machine, is DuckDB alone loading the
same file into a table (``CREATE TABLE t AS SELECT * FROM read_csv(...)``: its
multi-threaded parser and type sniffer, no validation). The ratio says what
reading every cell as text, mapping labels, checking dates, pseudonymising
references and storing in one transaction cost on top. Goal: at most 3x.

Both are timed as whole processes, interpreter start and imports included:
``python -m kpi ingest FILE --scheme ID --json`` (only the register's 20 MB
web-upload limit lifted first) against ``python -c`` running DuckDB's read_csv
into a table. Each is repeated (default 3, alternating) and the best time
counts, because the machine is shared and a single run can be twice as slow.

    .venv/bin/python benchmarks/ingest_benchmark.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpi.items import bank  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parents[1]

SCHEME = "SL001"


def write_export(path: Path, rows: int, seed: int = 2026) -> None:
    """A Google Forms-style CSV of ``rows`` responses with label answers."""
    rng = np.random.default_rng(seed)
    b = bank()
    headers = ["Timestamp", "Email address"]
    columns: list[np.ndarray] = []
    start = dt.datetime(2025, 4, 1, 8, 0, 0)
    seconds = np.sort(rng.integers(0, 570 * 86400, rows))
    stamps = [
        (start + dt.timedelta(seconds=int(s))).strftime("%Y/%m/%d %H:%M:%S") + " GMT+1"
        for s in seconds
    ]
    columns.append(np.array(stamps, dtype=object))
    columns.append(np.array([f"person{i}@example.org" for i in range(rows)], dtype=object))
    # Two responses per person, months apart (rows are in time order).
    people = np.arange(rows) % max(rows // 2, 1)
    for attribute in b.attributes:
        headers.append(attribute.header)
        if attribute.code == "completed_on":
            headers.pop()  # Google's Timestamp is the completion date
            continue
        if attribute.code == "respondent_ref":
            columns.append(np.array([f"SL-{p:07d}" for p in people], dtype=object))
            continue
        labels = [label for _, label in attribute.labels]
        choice = rng.integers(0, len(labels), rows)
        if attribute.code == "respondent_type":
            choice = (people % 7 == 0).astype(int)  # a person is always the same type
        columns.append(np.array(labels, dtype=object)[choice])
    for item in b.items:
        headers.append(item.text)
        scale = item.scale
        if scale.labelled:
            options = [label for _, label in scale.values] + ["Don't know", ""]
        else:
            named = dict(scale.values)
            top = min(scale.max, 20)
            options = [named.get(v, str(v)) for v in range(scale.min, top + 1)] + [""]
        columns.append(np.array(options, dtype=object)[rng.integers(0, len(options), rows)])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(zip(*columns))


# The command line as a user runs it (``python -m kpi ingest FILE --scheme ID
# --json``), in a fresh interpreter; only the register's web-upload limit is
# lifted first (the file is far above 20 MB).
_KPI = (
    "import runpy, sys; from kpi.items import bank; bank().settings['max_upload_mb'] = 4096; "
    "sys.argv = ['kpi', *sys.argv[1:]]; runpy.run_module('kpi', run_name='__main__')"
)
# DuckDB alone in a fresh interpreter: its multi-threaded read_csv into a table.
_DUCKDB = (
    "import sys, duckdb; con = duckdb.connect(sys.argv[2]); "
    "con.execute('SET enable_progress_bar = false'); "
    "con.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[1]]); "
    "print(con.execute('SELECT count(*) FROM t').fetchone()[0])"
)


def _process(args: list[str], env: dict[str, str]) -> dict:
    """Run one whole process: wall seconds, its own peak memory (MB), its output."""
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, *args], cwd=PROJECT_DIR, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = child.communicate()
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak, "stdout": out, "stderr": err,
            "returncode": child.returncode}


def _ours(path: Path, db: Path, env: dict[str, str]) -> dict:
    from kpi.ingest import load_schemes
    from kpi.store import Store

    store = Store(db)
    load_schemes(store, f"scheme_id,name,region\n{SCHEME},Benchmark,London\n".encode())
    done = _process(["-c", _KPI, "ingest", str(path), "--scheme", SCHEME, "--json",
                     "--db", str(db)], env)
    if done["returncode"] not in (0, 2):
        raise SystemExit(done["stderr"][-3000:])
    result = json.loads(done["stdout"])
    return {**done, **{k: result[k] for k in ("accepted", "rejected", "duplicates",
                                               "refused", "message")}}


def _duckdb(path: Path, db: Path, env: dict[str, str]) -> dict:
    done = _process(["-c", _DUCKDB, str(path), str(db)], env)
    if done["returncode"]:
        raise SystemExit(done["stderr"][-3000:])
    return {**done, "accepted": int(done["stdout"].split()[-1])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("KHI_SECRET", "benchmark-secret-not-for-production")  # 24+ characters
    env = {**os.environ}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "google-forms-export.csv"
        began = time.perf_counter()
        write_export(path, args.rows)
        size_mb = path.stat().st_size / 1024 / 1024
        print(f"generated {args.rows:,} rows, {size_mb:.1f} MB in "
              f"{time.perf_counter() - began:.1f} s", flush=True)
        bases, ourses = [], []
        for run in range(max(args.repeat, 1)):
            bases.append(_duckdb(path, folder / f"baseline{run}.duckdb", env))
            ourses.append(_ours(path, folder / f"khi{run}.duckdb", env))
    if any(o["refused"] for o in ourses):
        print(f"ingest refused the file: {ourses[0]['message']}")
        return 1
    base = min(bases, key=lambda m: m["seconds"])
    ours = min(ourses, key=lambda m: m["seconds"])
    ratio = ours["seconds"] / base["seconds"]
    print("whole processes; peak MB is the largest child so far (RUSAGE_CHILDREN)")
    print(f"{'step (best of ' + str(len(bases)) + ')':<34}{'seconds':>9}{'all runs':>20}"
          f"{'rows/s':>10}{'peak MB':>9}")
    for name, best, runs in (("duckdb read_csv into a table", base, bases),
                             ("python -m kpi ingest", ours, ourses)):
        every = " ".join(f"{m['seconds']:.2f}" for m in runs)
        peak = max(m["peak_mb"] for m in runs)
        print(f"{name:<34}{best['seconds']:>9.2f}{every:>20}"
              f"{args.rows / best['seconds']:>10,.0f}{peak:>9.0f}")
    print(f"ratio {ratio:.2f}x (goal <= 3x); stored {ours['accepted']:,}, "
          f"set aside {ours['rejected']:,}, duplicates {ours['duplicates']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
