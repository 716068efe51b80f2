"""Warm page visits on two checkouts of the dashboard, clicked in turn: is a change
faster where a person waits?

``browser_benchmark.py`` compares each page with an empty page of the same app; on a
shared machine whose speed moves within the hour, the difference one change makes
can hide in that noise. This runs two dashboards at once, one from ``--base`` (say a
``git worktree`` of the commit before) and one from this checkout, on one demo
store, each in a Chromium of its own, and clicks the same pages on both in turn
(the order swapped every round). For each page: the median time from the click in
the menu to the page drawn (``browser_benchmark.click_and_time``: the last change of
the document), the median of the paired differences, and the median CPU its
Chromium used for the click (read from ``/proc``). A page the change does not touch
is a control: its difference is the noise. A measuring tool, not a test.

    git worktree add /tmp/base HEAD~1
    .venv/bin/python benchmarks/paired_clicks.py --base /tmp/base \\
        --pages "Data quality,Overview" --rounds 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.browser_benchmark import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN,
    OBSERVER,
    QUIET_MS,
    SECRET,
    TIMEOUT_MS,
    click_and_time,
    start,
)

TICK = os.sysconf("SC_CLK_TCK")
BETWEEN = "Definitions"  # clicked after each measured page, so each starts from it


def descendants_cpu(root: int) -> float:
    """CPU seconds of every process below ``root`` (a Chromium and its children)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICK
    total = 0.0
    for pid, seconds in cpu.items():
        walk = pid
        while walk in parents and walk != root:
            walk = parents[walk]
        if walk == root:
            total += seconds
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, type=Path, help="the other checkout")
    parser.add_argument("--pages", required=True, help="comma-separated menu titles")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--people", type=int, default=20000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = [p.strip() for p in args.pages.split(",")]
    apps = {"base": args.base.resolve(), "this": ROOT}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = tmp / "khi.duckdb"
        subprocess.run([sys.executable, "-m", "kpi", "demo", "--db", str(db), "--people",
                        str(args.people)], cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "KHI_SECRET": SECRET})
        servers = {k: start(app, db, tmp / f"{k}.log") for k, app in apps.items()}
        walls = {(k, p): [] for k in apps for p in pages}
        cpus = {(k, p): [] for k in apps for p in pages}
        try:
            with sync_playwright() as playwright:
                tabs, roots = {}, {}
                for k, (_, url) in servers.items():
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                    roots[k] = browser_root(browser)
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    context.add_init_script(OBSERVER)
                    tab = context.new_page()
                    tab.goto(url)
                    tab.wait_for_function(DRAWN, arg=["", QUIET_MS], timeout=TIMEOUT_MS)
                    for title in [*pages, BETWEEN]:  # caches filled
                        click_and_time(tab, title)
                    tabs[k] = tab
                for number in range(args.rounds):
                    order = list(apps) if number % 2 == 0 else list(apps)[::-1]
                    for k in order:
                        for title in pages:
                            before = descendants_cpu(roots[k])
                            walls[(k, title)].append(click_and_time(tabs[k], title))
                            cpus[(k, title)].append(1000 * (descendants_cpu(roots[k]) - before))
                            click_and_time(tabs[k], BETWEEN)
        finally:
            for process, _ in servers.values():
                process.terminate()
    print(f"{args.rounds} rounds; medians in ms (the CPU includes the quiet spell "
          f"of {QUIET_MS} ms the time leaves out)")
    for title in pages:
        base, this = walls[("base", title)], walls[("this", title)]
        paired = statistics.median(t - b for t, b in zip(this, base))
        print(f"{title:28s} drawn: base {statistics.median(base):6.0f} this "
              f"{statistics.median(this):6.0f} paired {paired:+6.0f}; Chromium CPU: base "
              f"{statistics.median(cpus[('base', title)]):6.0f} this "
              f"{statistics.median(cpus[('this', title)]):6.0f}")
    return 0


def browser_root(browser: object) -> int:
    """The pid of the Chromium that Playwright just launched: the newest browser
    process on the machine (no ``--type=``; not its crash handler)."""
    newest, started = 0, -1
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            start_time = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[19])
        except OSError:
            continue
        is_browser = (b"chrom" in command and b"--type=" not in command
                      and b"crashpad" not in command)
        if is_browser and start_time > started:
            newest, started = int(entry.name), start_time
    return newest


if __name__ == "__main__":
    sys.exit(main())
