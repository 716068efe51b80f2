"""Where ``make test``'s time goes: each worker's files, in the order they ran.

A pytest plugin and its report. The plugin notes when every test starts and ends
on each xdist worker (one JSON line each, in ``--timeline-dir``); the report sums
them by file and worker, so ``_SLOWEST`` in ``tests/conftest.py`` (the order the
files are handed out, longest first) can be kept to what a full run measured, and
a file left for the end shows up. A measuring tool, not a test: it asserts nothing.

    .venv/bin/python -m pytest -p benchmarks.timeline_plugin --timeline-dir /tmp/tl \\
        -n 3 --dist loadfile --no-loadscope-reorder
    .venv/bin/python benchmarks/timeline_plugin.py /tmp/tl
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import IO

import pytest

_log: IO[str] | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--timeline-dir", default=None,
                     help="folder for one JSON-lines file of test starts and ends per worker")


def pytest_configure(config: pytest.Config) -> None:
    global _log
    folder = config.getoption("--timeline-dir")
    if folder and os.environ.get("PYTEST_XDIST_WORKER", "main") != "main":
        Path(folder).mkdir(parents=True, exist_ok=True)
        worker = os.environ["PYTEST_XDIST_WORKER"]
        _log = (Path(folder) / f"{worker}.jsonl").open("a")


def _note(nodeid: str, phase: str) -> None:
    if _log is not None:
        _log.write(json.dumps({"test": nodeid, "at": time.time(), "phase": phase}) + "\n")
        _log.flush()


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    _note(nodeid, "start")


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    _note(nodeid, "end")


def runs_by_worker(folder: Path) -> dict[str, list[tuple[str, float, float, int]]]:
    """Per worker, its files in the order they ran: (file, start, end, tests), in
    seconds from the run's first start."""
    spans: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for path in sorted(folder.glob("*.jsonl")):
        started: dict[str, float] = {}
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if event["phase"] == "start":
                started[event["test"]] = event["at"]
            elif event["test"] in started:
                spans[path.stem].append(
                    (event["test"].split("::")[0], started.pop(event["test"]), event["at"]))
    if not spans:
        return {}
    first = min(start for tests in spans.values() for _, start, _ in tests)
    out: dict[str, list[tuple[str, float, float, int]]] = {}
    for worker, tests in sorted(spans.items()):
        files: list[list] = []
        for file, start, end in sorted(tests, key=lambda t: t[1]):
            if files and files[-1][0] == file:
                files[-1][2], files[-1][3] = end - first, files[-1][3] + 1
            else:
                files.append([file, start - first, end - first, 1])
        out[worker] = [tuple(f) for f in files]
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    by_worker = runs_by_worker(Path(argv[0]))
    if not by_worker:
        print(f"No timeline in {argv[0]}: run pytest with -p benchmarks.timeline_plugin "
              "--timeline-dir and -n.")
        return 1
    totals: dict[str, float] = defaultdict(float)
    for worker, files in by_worker.items():
        print(f"{worker}: last test ended {max(f[2] for f in files):.0f} s into the run")
        for file, start, end, tests in files:
            totals[file] += end - start
            if end - start >= 10:
                print(f"  {start:6.0f}-{end:6.0f} s {end - start:5.0f} s {tests:5d} tests  {file}")
    print("\nFiles by one worker's time, longest first (for _SLOWEST):")
    for file, seconds in sorted(totals.items(), key=lambda t: -t[1])[:30]:
        print(f"  {seconds:6.0f} s  {file}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
