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



def test_scipy_special_is_loaded_by_its_own_thread() -> None:
    """``start_loading_special`` imports scipy.special in its thread: loaded once that
    thread ends, with no statistic computed (the command line's KHI table gains the
    import's time only if the thread does the work)."""
    code = (
        "import sys, threading; from kpi.stats.normal import SPECIAL_LOADER, "
        "start_loading_special\n"
        "assert 'scipy.special' not in sys.modules\n"
        "start_loading_special()\n"
        "[t.join() for t in threading.enumerate() if t.name == SPECIAL_LOADER]\n"
        "print('scipy.special' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "True"


def test_a_statistic_asked_for_during_that_import_waits_for_it_whole() -> None:
    """A statistic asked for at once, while that import is under way, waits for it
    and gets the right number: z, a t interval and a paired p-value, against their
    published values (three processes: the race differs run to run)."""
    code = (
        "from kpi.stats.normal import start_loading_special, z_for\n"
        "from kpi.stats import t_interval, mean_zero_p_value\n"
        "start_loading_special()\n"
        "lo, hi = t_interval(10.0, 2.0, 5, 0.95)\n"
        "print(round(z_for(0.95), 6), round(float(hi) - 10.0, 4),"
        " round(float(mean_zero_p_value(1.0, 2.0, 5)), 4))"
    )
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                              text=True, check=True)
        # z(0.95); t(0.975, 4) * 2 / sqrt(5) = 2.776445 * 0.894427; p for t = 1.118, df 4.
        assert done.stdout.split() == ["1.959964", "2.4833", "0.3262"]
        assert done.stderr == ""
