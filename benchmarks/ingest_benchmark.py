"""How long ``ingest_path`` takes for a big Google Forms export, against DuckDB's bare read_csv.

The file: N rows (default 100,000) as Google Forms writes them: a Timestamp to
the second with the zone, an e-mail address, a reference per person, every
attribute and every item of the bank answered with its label (a few "Don't
know"s and blanks), all quoted, CRLF line ends.

The baseline, in the same run on the same machine, is DuckDB alone loading the
same file into a table (``CREATE TABLE t AS SELECT * FROM read_csv(...)``: its
multi-threaded parser and type sniffer, no validation). The ratio says what
reading every cell as text, mapping labels, checking dates, pseudonymising
references and storing in one transaction cost on top. Goal: at most 3x.

Each measurement runs in its own fresh process (and fresh store), so the peak
memory (max RSS) reported is that step's alone; each is repeated (default 3,
alternating) and the best time counts, because the machine is shared and a
single run can be twice as slow as the next. The upload size limit is lifted
for the run (the file is far above the register's 20 MB web-upload limit).

    .venv/bin/python benchmarks/ingest_benchmark.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.memory import peak_rss_mb  # noqa: E402
from kpi.items import bank  # noqa: E402

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


def _ours(path: str, db: str, queue: multiprocessing.Queue) -> None:
    from kpi.ingest import ingest_path, load_schemes
    from kpi.store import Store

    store = Store(db)
    load_schemes(store, f"scheme_id,name,region\n{SCHEME},Benchmark,London\n".encode())
    began = time.perf_counter()
    result = ingest_path(store, path, SCHEME, max_upload_mb=4096)
    seconds = time.perf_counter() - began
    queue.put({"seconds": seconds, "peak_mb": peak_rss_mb(), "accepted": result.accepted,
               "rejected": result.rejected, "duplicates": result.duplicates,
               "refused": result.refused, "message": result.message})


def _duckdb(path: str, db: str, queue: multiprocessing.Queue) -> None:
    import duckdb

    began = time.perf_counter()
    con = duckdb.connect(db)
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [path])
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    queue.put({"seconds": time.perf_counter() - began, "peak_mb": peak_rss_mb(),
               "accepted": rows})


def _measure(target, path: Path, db: Path) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(str(path), str(db), queue))
    process.start()
    out = queue.get()
    process.join()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("KHI_SECRET", "benchmark-secret")
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
            bases.append(_measure(_duckdb, path, folder / f"baseline{run}.duckdb"))
            ourses.append(_measure(_ours, path, folder / f"khi{run}.duckdb"))
    if any(o["refused"] for o in ourses):
        print(f"ingest refused the file: {ourses[0]['message']}")
        return 1
    base = min(bases, key=lambda m: m["seconds"])
    ours = min(ourses, key=lambda m: m["seconds"])
    ratio = ours["seconds"] / base["seconds"]
    print(f"{'step (best of ' + str(len(bases)) + ')':<34}{'seconds':>9}{'all runs':>20}"
          f"{'rows/s':>10}{'peak MB':>9}")
    for name, best, runs in (("duckdb read_csv into a table", base, bases),
                             ("kpi.ingest.ingest_path", ours, ourses)):
        every = " ".join(f"{m['seconds']:.2f}" for m in runs)
        peak = max(m["peak_mb"] for m in runs)
        print(f"{name:<34}{best['seconds']:>9.2f}{every:>20}"
              f"{args.rows / best['seconds']:>10,.0f}{peak:>9.0f}")
    print(f"ratio {ratio:.2f}x (goal <= 3x); stored {ours['accepted']:,}, "
          f"set aside {ours['rejected']:,}, duplicates {ours['duplicates']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
