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


def test_the_server_start_loads_every_page_and_freezes_what_it_loaded() -> None:
    """``streamlit run`` imports dashboard.py for its server: every page's code is
    loaded then, and frozen out of Python's full garbage collections (dashboard.py
    says why: each walked the loaded libraries, and the browser waited for it)."""
    code = ("import gc, sys, dashboard; from pathlib import Path; "
            "from pages.views.menu import MENU; "
            "views = ['pages.views.' + Path(s).stem for l in MENU.values() for s, _, _ in l]; "
            "print(gc.get_freeze_count(), [v for v in views if v not in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    frozen, missing = done.stdout.split(" ", 1)
    assert missing.strip() == "[]"
    assert int(frozen) > 50_000  # the libraries' objects (about 140,000 here)
