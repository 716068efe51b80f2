"""Load: N answers through one open link of a survey round, over loopback HTTP,
against a real ``streamlit run`` (the /answer route), with the dashboard watched.

Sends each answer as the form's last screen posts it (every earlier answer in its
hidden fields), from a few threads at once. A polite "wait a minute" (the link's
rate limit) is waited out and sent again, as a person would. Reports: how long
it took, answers stored (each answer carries a distinct pair of values, so a lost
or doubled one shows), the server's resident memory (VmRSS) before and after,
and how long ``/_stcore/health`` took while the answers arrived.

    python benchmarks/round_load.py --answers 200 --json

Only 127.0.0.1 is ever addressed; the loops are bounded in count and time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

import pandas as pd  # noqa: E402

from kpi import collect  # noqa: E402
from kpi.periods import quarter_label  # noqa: E402
from kpi.questionnaire import questionnaire  # noqa: E402
from kpi.scope import LOCAL_ADMIN  # noqa: E402
from kpi.store import Store  # noqa: E402

SECRET = "load-test-secret-not-for-production"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    """The process's resident memory now (``VmRSS`` of /proc/PID/status), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def _post(url: str, fields: dict[str, str], timeout: float = 30) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def last_screen(i: int) -> dict[str, str]:
    """The last screen's POST for answer ``i``: a distinct (friends_count, first choice)."""
    q = questionnaire("person", "easy_read")
    fields = {"step": str(len(q.questions) - 1), "go": "next", "wording": "easy_read"}
    for question in q.questions[:-1]:
        if question.code == "friends_count":
            fields[f"a_{question.code}"] = str(i % 100)
        elif question.kind == "number":
            fields[f"a_{question.code}"] = str(question.minimum)
        else:
            fields[f"a_{question.code}"] = question.options[0].form_value
    fields["a_friends_support"] = str(1 + i // 100)
    fields["answer"] = q.questions[-1].options[0].form_value  # who filled it in
    return fields


def run(answers: int = 200, threads: int = 4, deadline_s: float = 240.0) -> dict:
    """Start the dashboard on a new store, send ``answers`` through one open link,
    and say what happened (see the module's docstring)."""
    folder = Path(tempfile.mkdtemp(prefix="round_load_"))
    store = Store(folder / "khi.duckdb")
    env = {**os.environ, "KHI_DB": str(store.path), "KHI_SECRET": SECRET, "KHI_NO_DEMO": "1",
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    os.environ["KHI_SECRET"] = SECRET
    store.init()
    with store.transaction() as con:
        store.upsert_schemes(con, pd.DataFrame(
            {"scheme_id": ["S1"], "name": ["Load"], "region": ["London"]}))
    opened = collect.open_round(store, LOCAL_ADMIN, scheme_id="S1",
                                quarter=quarter_label(dt.date.today()))
    port = _free_port()
    log = folder / "streamlit.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--server.fileWatcherType", "none"],
            cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    link = collect.link_url(base, opened.open_token)
    try:
        start_by = time.monotonic() + 90
        while _get_ok(base + "/_stcore/health") is False:
            if server.poll() is not None or time.monotonic() > start_by:
                raise RuntimeError(f"the dashboard did not start:\n{log.read_text()}")
            time.sleep(0.25)
        status, _ = _get(link)  # warm: the route, the questionnaire, the store
        assert status == 200, status
        rss_before = rss_kib(server.pid)
        health: list[float] = []
        refused = [0]
        failures: list[str] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                began = time.monotonic()
                code, _ = _get(base + "/_stcore/health", timeout=10)
                health.append(time.monotonic() - began if code == 200 else float("inf"))
                stop.wait(0.5)

        def send(i: int) -> None:
            fields = last_screen(i)
            for _ in range(120):  # a person waits and sends again, not for ever
                if time.monotonic() > end_by:
                    failures.append(f"answer {i}: out of time")
                    return
                code, body = _post(link, fields)
                if code == 303:
                    return
                if code == 409 and "wait a minute" in body:
                    refused[0] += 1
                    time.sleep(1.0)
                    continue
                failures.append(f"answer {i}: HTTP {code}")
                return
            failures.append(f"answer {i}: still refused")

        watcher = threading.Thread(target=watch, daemon=True)
        began = time.monotonic()
        end_by = began + deadline_s
        watcher.start()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(send, range(answers)))
        seconds = time.monotonic() - began
        stop.set()
        watcher.join(timeout=15)
        rss_after = rss_kib(server.pid)
        after_code, _ = _get(base + "/_stcore/health")
        stored = store.query(
            "SELECT friends_count, friends_support, channel, wording FROM responses")
        sent = {(i % 100, 1 + i // 100) for i in range(answers)}
        got = list(zip(stored["friends_count"].astype(int), stored["friends_support"].astype(int)))
        return {
            "answers": answers, "threads": threads, "seconds": round(seconds, 2),
            "stored": len(stored), "distinct_stored": len(set(got)),
            "all_sent_stored_once": sorted(got) == sorted(sent),
            "channels": sorted(set(stored["channel"])), "wordings": sorted(set(stored["wording"])),
            "politely_refused_then_resent": refused[0], "failures": failures[:10],
            "rss_before_mib": round(rss_before / 1024, 1),
            "rss_after_mib": round(rss_after / 1024, 1),
            "health_checks": len(health),
            "health_slowest_s": round(max(health), 3) if health else None,
            "health_after": after_code,
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


def _get_ok(url: str) -> bool:
    try:
        return _get(url, timeout=2)[0] == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.answers, args.threads)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
