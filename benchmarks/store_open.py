"""What opening the store costs: DuckDB instances built per open, against one attach host.

Every unit of work opens the store file and lets it go (``kpi.store.connection``).
Before, each open was ``duckdb.connect(file)``, which builds a DuckDB instance (its
catalogue of functions included); now the file is attached to one in-memory DuckDB
kept for the process (``_Attachments``). Both ways are timed in the same run, on the
same demo store, alternating round by round:

* **open**: one open, ``SELECT count(*) FROM responses``, close (the unit of work
  alone), as the median of ``--opens`` of them;
* **board page**: ``kpi.board.board_summaries`` for England, cold (the count
  lattices cleared), what the Quarterly board page computes on its first view after
  an upload;
* **command line**: ``python -m kpi indicators`` as a whole process.

The old way is put back by replacing the attach host's ``open``/``close`` with
``duckdb.connect``/``close`` in this process (and in the command's process via
``python -c``); nothing in the project has a switch for it.

    .venv/bin/python benchmarks/store_open.py [--people N] [--rounds R] [--opens N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kpi.store import connection  # noqa: E402

# The old open, as it was before the attach host: an instance per open.
OLD_WAY = """
import duckdb
from kpi.store import connection as c
def _open(path, write):
    return duckdb.connect(str(path), read_only=not write), "main"
def _close(path, con):
    con.close()
c._ATTACHMENTS.open = _open
c._ATTACHMENTS.close = _close
"""
COMMAND = ("import sys, runpy; sys.argv = ['kpi', *sys.argv[1:]]; "
           "runpy.run_module('kpi', run_name='__main__')")


def old_way(on: bool) -> None:
    """Put the instance-per-open back in this process (``on``), or the attach host."""
    if on:
        namespace: dict = {}
        exec(OLD_WAY, namespace)  # noqa: S102 - this benchmark's own code
    else:
        for name in ("open", "close"):
            vars(connection._ATTACHMENTS).pop(name, None)


def time_opens(store, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        store.query("SELECT count(*) AS n FROM responses")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def time_board(store) -> float:
    from kpi.board import board_summaries
    from kpi.indicators import latest_quarter, protection

    quarter = latest_quarter(store)
    with protection.LATTICES._lock:  # cold: as after an upload, no lattice kept
        protection.LATTICES._lattices.clear()
        protection.LATTICES._rows = 0
    started = time.perf_counter()
    board_summaries(store, quarter=quarter)
    return time.perf_counter() - started


def time_command(db: Path, old: bool) -> float:
    code = (OLD_WAY if old else "") + "\n" + COMMAND
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, "indicators", "--db", str(db), "--by", "region"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--opens", type=int, default=50)
    args = parser.parse_args()
    from kpi.demo import load_demo
    from kpi.store import Store

    with tempfile.TemporaryDirectory(prefix="khi-open-") as folder:
        store = Store(Path(folder) / "khi.duckdb")
        load_demo(store, people=args.people)
        report(store, args)


def report(store, args: argparse.Namespace) -> None:
    """Both ways, round by round, then their medians."""
    results: dict[str, dict[str, list[float]]] = {
        way: {"open": [], "board page": [], "command line": []}
        for way in ("instance per open", "attach host")
    }
    print(f"DuckDB {duckdb.__version__}, demo of {args.people:,} people, "
          f"load {os.getloadavg()[0]:.2f}")
    for _ in range(args.rounds):
        for way in results:
            old = way == "instance per open"
            old_way(old)
            results[way]["open"].append(time_opens(store, args.opens))
            results[way]["board page"].append(time_board(store))
            results[way]["command line"].append(time_command(store.path, old))
    old_way(False)
    print(f"{'median of ' + str(args.rounds) + ' rounds':24s}" + "".join(
        f"{way:>20s}" for way in results) + f"{'ratio':>8s}")
    for measure in ("open", "board page", "command line"):
        old, new = (statistics.median(results[w][measure]) for w in results)
        print(f"{measure:24s}{old * 1000:17.1f} ms{new * 1000:17.1f} ms{new / old:8.2f}")
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
