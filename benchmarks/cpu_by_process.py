"""Where a command's CPU goes, by kind of process: Chromium's renderers and its other
processes, the dashboards (``streamlit run``), the OpenID Connect provider, the
pytest processes, Playwright's node driver.

``time`` sees only the processes it waits for, and Chromium's are not among them;
this reads every process's CPU from ``/proc`` five times a second while the command
runs (a process that lives less than 0.2 s may be missed) and sums what each used
in that time. A measuring tool, not a test: it asserts nothing. Linux only.

    python benchmarks/cpu_by_process.py .venv/bin/pytest tests/browser/test_roles.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def kind(command: str) -> str:
    """A process's kind from its command line."""
    if "--type=renderer" in command:
        return "chromium renderer"
    if "chrom" in command:
        return "chromium other"
    if "streamlit" in command:
        return "dashboard"
    if "oidc" in command:
        return "provider"
    if "pytest" in command or "xdist" in command:
        return "pytest"
    if "node" in command:
        return "playwright driver"
    return "other"


def snapshot(into: dict[tuple[str, str], tuple[str, float]]) -> None:
    """Each live process's kind and CPU seconds so far, keyed by pid and start time
    (a pid used again is another process)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while being read
            continue
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        into[(entry.name, fields[19])] = (kind(command), cpu)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    before: dict[tuple[str, str], tuple[str, float]] = {}
    snapshot(before)
    seen = dict(before)
    started = time.monotonic()
    process = subprocess.Popen(argv)
    while process.poll() is None:
        snapshot(seen)
        time.sleep(0.2)
    wall = time.monotonic() - started
    used: Counter[str] = Counter()
    for key, (name, cpu) in seen.items():
        used[name] += cpu - before.get(key, (name, 0.0))[1]
    print(f"wall {wall:.1f} s; CPU seconds by kind of process:")
    for name, cpu in used.most_common():
        if cpu >= 0.05:
            print(f"  {name:20s} {cpu:8.1f}")
    print(f"  {'total':20s} {sum(used.values()):8.1f}")
    return process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
