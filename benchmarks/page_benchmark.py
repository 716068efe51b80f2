"""How long a warm rerun of each dashboard page takes, against AppTest's own floor.

A scheme worker feels the rerun: every click on a filter or widget runs the
entry script (sidebar, filter bar) and the page again. Cold runs are dominated
by the engine's first queries, which the dashboard caches on the store
revision, so what matters day to day is the *warm* rerun.

For each page: one run through ``dashboard.py`` to switch to it and warm the
caches, then N timed reruns. The baseline, in the same process and run, is an
empty script (a temporary file with nothing in it) under the same ``AppTest``
harness, rerun N times: the harness's fixed cost. The ratio page / floor says
what the page itself costs on top. Goal: at most 3x.

The store is a demo sector of ``--people`` people (default 20,000) over eight
quarters in a temporary folder; medians are reported because the machine is
shared and single runs jitter.

    .venv/bin/python benchmarks/page_benchmark.py [--people N] [--runs N] [--pages a,b] [--cold]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

GOAL = 3.0


def page_files() -> list[str]:
    """The pages dashboard.py lists, in menu order (so a new page is timed too)."""
    source = (PROJECT_DIR / "dashboard.py").read_text()
    return re.findall(r'st\.Page\(\s*"([^"]+)"', source)


FILTER_KEYS = ("f_quarter", "f_region", "f_scheme", "f_support", "f_who")


def timed_reruns(
    at: object, runs: int, state: dict | None = None, cold: bool = False
) -> list[float]:
    """Seconds per rerun of an AppTest that has already run once.

    ``state`` (the sidebar's filters) is set again before each rerun: under AppTest
    a rerun after a page switch runs the page without the entry script, so without
    it the explore pages would see no quarter and time their "no data" message.
    """
    times = []
    for _ in range(runs):
        for key, value in (state or {}).items():
            at.session_state[key] = value
        if cold:  # what the first view after an upload costs: nothing cached
            import logging

            import streamlit as st

            # Clearing outside a server logs "No runtime found" each time: expected here.
            logging.getLogger("streamlit").setLevel(logging.ERROR)

            st.cache_data.clear()
            st.cache_resource.clear()
        began = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - began)
        if at.exception:
            raise RuntimeError("\n".join(str(e.value) for e in at.exception))
    return times


def floor(runs: int, folder: Path) -> float:
    """Median seconds of a warm rerun of an empty script: the harness alone."""
    from streamlit.testing.v1 import AppTest

    empty = folder / "empty.py"
    empty.write_text("")
    at = AppTest.from_file(str(empty), default_timeout=120)
    at.run()
    return statistics.median(timed_reruns(at, runs))


def page_time(page: str, runs: int, cold: bool = False) -> float:
    """Median seconds of a warm rerun of one page reached through dashboard.py."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT_DIR / "dashboard.py"), default_timeout=300)
    at.run()
    state = {key: at.session_state[key] for key in FILTER_KEYS if key in at.session_state}
    at.switch_page(page)
    at.run()  # warm: the page's engine calls are now cached
    if at.exception:
        raise RuntimeError(f"{page}: " + "\n".join(str(e.value) for e in at.exception))
    times = timed_reruns(at, runs, state, cold)
    if any("no survey data yet" in str(i.value) for i in at.info):
        raise RuntimeError(f"{page}: timed the empty-store message, not the page")
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5, help="timed reruns per page")
    parser.add_argument("--pages", default="", help="comma-separated page names to time")
    parser.add_argument(
        "--cold", action="store_true",
        help="clear every cache before each rerun (the first view after an upload); "
        "the goal is for warm reruns",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("KHI_SECRET", "benchmark-secret-not-for-production")
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    from kpi.demo import load_demo
    from kpi.store import Store

    pages = page_files()
    if args.pages:
        wanted = {p.strip() for p in args.pages.split(",")}
        pages = [p for p in pages if Path(p).stem in wanted]
    with tempfile.TemporaryDirectory(prefix="khi-page-bench-") as tmp:
        folder = Path(tmp)
        store = Store(folder / "khi.duckdb")
        began = time.perf_counter()
        summary = load_demo(store, people=args.people, quarters=args.quarters, seed=2026)
        print(
            f"Demo store: {summary['people']:,} people, {summary['responses']:,} responses, "
            f"{summary['schemes']} schemes, {len(summary['quarters'])} quarters "
            f"({time.perf_counter() - began:.1f}s)"
        )
        os.environ["KHI_DB"] = str(store.path)
        base = floor(args.runs, folder)
        print(f"Floor (empty script under AppTest): {base * 1000:.1f} ms per rerun")
        kind = "cold rerun" if args.cold else "warm rerun"
        print(f"{'page':<26}{kind:>12}{'ratio':>8}  goal <= {GOAL:g}x (warm)")
        over = 0
        for page in pages:
            try:
                seconds = page_time(page, args.runs, args.cold)
            except Exception as exc:  # a broken page must not hide the others' numbers
                print(f"{page:<26}{'failed':>12}{'':>8}  {type(exc).__name__}: {exc}")
                over += 1
                continue
            ratio = seconds / base
            over += ratio > GOAL
            mark = "" if ratio <= GOAL else "  over goal"
            print(f"{page:<26}{seconds * 1000:>10.1f}ms{ratio:>7.1f}x{mark}")
    print(f"{len(pages) - over} of {len(pages)} pages within {GOAL:g}x of the floor.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
