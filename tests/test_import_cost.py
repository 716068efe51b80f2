"""What ``python -m kpi ingest`` pays for before it reads a byte: no statistics library.

Why: a command is a whole process, so its imports count in every upload's time
(issue 27: ingest against DuckDB's bare read_csv). scipy.special alone cost 0.1-0.2 s
of CPU; kpi.stats imports it where a statistic is computed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_command_line_and_ingest_import_no_scipy() -> None:
    code = ("import sys, kpi.cli, kpi.ingest, kpi.indicators; print(sorted(m for m in "
            "sys.modules if m.split('.')[0] in ('scipy', 'plotly', 'statsmodels')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"
