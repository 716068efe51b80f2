"""One ``python -m kpi`` command from two checkouts, run in turn: is a change faster
as a whole process?

``khi_table_benchmark.py`` compares the engine with the shared baselines; a change of
a tenth of a second can hide in the minute-to-minute noise between its runs. This
runs the same command from ``--base`` (say a ``git worktree`` of the commit before)
and from this checkout, one after the other (the order swapped every round), with
the same Python and store, and reports each one's median and best wall time, and
the median of the paired differences with every round's. A measuring tool, not a
test. The two outputs are compared as tables: DuckDB sums floats in parallel, so
numbers may differ in their last digits between any two runs.

    git worktree add /tmp/base HEAD~1
    .venv/bin/python benchmarks/paired_command.py --base /tmp/base --rounds 12 -- \\
        indicators --by region,scheme --db /tmp/k1m/khi.duckdb
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(checkout: Path, args: list[str]) -> tuple[float, str]:
    """(wall seconds, stdout) of ``python -m kpi ARGS`` run from ``checkout``."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kpi", *args], cwd=checkout,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: exit {done.returncode}\n{done.stderr}")
    return seconds, done.stdout


def same_table(one: str, two: str) -> bool:
    """Whether two CSV outputs hold the same table (numbers to 1e-9, relative)."""
    import pandas as pd

    try:
        a, b = pd.read_csv(io.StringIO(one)), pd.read_csv(io.StringIO(two))
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    except (AssertionError, ValueError, pd.errors.ParserError):
        return one == two
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="after --: the kpi command and its arguments")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("name the command after --, e.g. -- indicators --db STORE")
    checkouts = {"base": args.base.resolve(), "this": ROOT}
    times: dict[str, list[float]] = {name: [] for name in checkouts}
    outputs: dict[str, str] = {}
    for round_ in range(args.rounds):
        order = list(checkouts) if round_ % 2 == 0 else list(checkouts)[::-1]
        for name in order:
            seconds, outputs[name] = timed(checkouts[name], command)
            times[name].append(seconds)
    differences = [b - t for b, t in zip(times["base"], times["this"])]
    print(f"python -m kpi {' '.join(command)}: {args.rounds} rounds")
    for name, values in times.items():
        print(f"  {name:5s} {checkouts[name]}: median {statistics.median(values):.3f} s, "
              f"best {min(values):.3f} s")
    print(f"  base - this, paired: median {statistics.median(differences):+.3f} s "
          f"(each round: {' '.join(f'{d:+.3f}' for d in differences)})")
    print(f"  the same table from both: {same_table(outputs['base'], outputs['this'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
