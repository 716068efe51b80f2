"""Run every benchmark in this folder, one after another, and print their reports.

Each script measures the project against a plain baseline in the same run and
reports ratios, so the numbers compare across machines. Sizes are the issues'
targets; pass --quick for a smaller smoke run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = {
    "ingest_benchmark.py": ["--rows", "20000", "--repeat", "2"],
    "demo_benchmark.py": ["--people", "100000"],
    "khi_table_benchmark.py": ["--people", "100000", "--rounds", "2"],
    "browser_benchmark.py": ["--runs", "1"],
    "report_benchmark.py": [],
}


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failures = 0
    for script in sorted(HERE.glob("*_benchmark.py")):
        args = QUICK.get(script.name, []) if quick else []
        print(f"\n=== {script.name} {' '.join(args)}", flush=True)
        result = subprocess.run([sys.executable, str(script), *args], cwd=HERE.parent)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
