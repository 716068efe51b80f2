"""Twenty signed-in people at once, for a bounded time: no error, and the server's memory.

On loopback: oidc-provider-mock as the OpenID Connect provider, ``streamlit run
dashboard.py`` with sign-in on (so the server guard, the identity checks and the
sign-out check run on every request), a demo store with one user per browser
context (scheme staff, commissioners, boards and administrators in turn). Each
of ``--contexts`` Chromium contexts signs in through the provider's form, then,
once all are signed in and for ``--seconds``, opens the pages its menu lists one
after another (the sign-ins start two seconds apart).

Counted as errors: an exception box on a page, a page that does not finish
drawing within its time, an HTTP answer of 500 or more, a page error in the
browser console. The server's resident memory (VmRSS of the streamlit process)
is sampled every second; the report gives it before sign-in, its peak and at the end.

    .venv/bin/python benchmarks/signin_load.py [--contexts 20] [--seconds 120] [--people 3000]

Exit status 1 when any error was seen.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kpi.scope import ROLE_PAGES, add_user  # noqa: E402
from kpi.store import Store  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SECRET = "signin-load-secret-not-for-production"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
PAGE_MS = 120_000
STAGGER_S = 2.0  # between two sign-ins: twenty OAuth callbacks in one second is no morning
ROLES = ("scheme", "commissioner", "board", "admin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen, log: Path | None) -> None:
    """Until ``url`` answers (two minutes at most)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                said = log.read_text() if log else ""
                raise SystemExit(f"{url} did not answer:\n{said}") from None
            time.sleep(0.5)


def rss_mb(pid: int) -> float:
    """The process's resident memory now (VmRSS), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def people(store: Store, count: int) -> list[tuple[str, str]]:
    """One user per context, the roles in turn: (email, role)."""
    register = store.schemes()
    first = register.iloc[0]
    made = []
    for i in range(count):
        role = ROLES[i % len(ROLES)]
        email = f"{role}{i}@load.example"
        scheme = str(register.iloc[i % len(register)]["scheme_id"])
        if role == "scheme":
            add_user(store, email, role, [scheme], by="load test")
        elif role in ("commissioner", "board"):
            add_user(store, email, role, [], [str(first["region"])], by="load test")
        else:
            add_user(store, email, role, by="load test")
        made.append((email, role))
    return made


def put_claims(provider: str, sub: str) -> None:
    request = urllib.request.Request(
        f"{provider}/users/{sub}", method="PUT",
        data=json.dumps({"email": sub, "email_verified": True}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()


async def person(browser, url: str, email: str, role: str, start: float, clock: dict,
                 ready: asyncio.Barrier, errors: list[str], views: list[float]) -> None:
    """One context: signs in ``start`` seconds from now, waits for every other one to
    be signed in, then visits its pages until ``clock["until"]``."""
    await asyncio.sleep(start)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(PAGE_MS)
    tab = await context.new_page()
    tab.on("pageerror", lambda exc: errors.append(f"{email}: page error {exc}"))
    tab.on("response", lambda r: r.status >= 500 and errors.append(
        f"{email}: HTTP {r.status} {r.url}"))
    try:
        await tab.goto(url)
        await tab.get_by_role("button", name="Sign in").click()
        await tab.fill("input[name=sub]", email)
        await tab.get_by_role("button", name="Authorize").click()
        await tab.get_by_role("button", name="Sign out").wait_for()
    except Exception as exc:
        errors.append(f"{email}: sign-in failed ({type(exc).__name__}: {exc})")
        await ready.wait()
        await context.close()
        return
    try:
        if await ready.wait() == 0:
            clock["until"] = time.monotonic() + clock["seconds"]
        await asyncio.sleep(0.1)  # the first to pass the barrier sets the end
        pages = ROLE_PAGES[role]
        turn = 0
        while time.monotonic() < clock["until"]:
            name = pages[turn % len(pages)]
            turn += 1
            started = time.monotonic()
            try:
                await tab.goto(f"{url}/{'' if turn == 1 else name}")
                await tab.wait_for_selector("h1")
                await tab.wait_for_selector(IDLE)
            except Exception as exc:  # a page that never finished drawing
                errors.append(f"{email}: {name} did not finish ({type(exc).__name__})")
                continue
            views.append(time.monotonic() - started)
            shown = await tab.locator('[data-testid="stException"]').all_inner_texts()
            errors.extend(f"{email}: {name}: {text[:200]}" for text in shown)
    finally:
        await context.close()


async def load(url: str, made: list[tuple[str, str]], seconds: float, pid: int) -> dict:
    from playwright.async_api import async_playwright

    errors: list[str] = []
    views: list[float] = []
    samples: list[float] = [rss_mb(pid)]
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            samples.append(rss_mb(pid))
            await asyncio.sleep(1)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=CHROMIUM_ARGS, headless=True)
        sampler = asyncio.create_task(sample())
        ready = asyncio.Barrier(len(made))
        clock = {"seconds": seconds, "until": time.monotonic() + seconds}
        signing_in = time.monotonic()
        await asyncio.gather(*(
            person(browser, url, email, role, i * STAGGER_S, clock, ready, errors, views)
            for i, (email, role) in enumerate(made)
        ))
        done.set()
        await sampler
        await browser.close()
    views.sort()
    return {
        "contexts": len(made), "seconds_all_signed_in": seconds,
        "sign_in_phase_s": round(clock["until"] - seconds - signing_in, 1),
        "page_views": len(views),
        "median_view_s": round(views[len(views) // 2], 2) if views else None,
        "slowest_view_s": round(views[-1], 2) if views else None,
        "rss_before_mb": round(samples[0], 1), "rss_peak_mb": round(max(samples), 1),
        "rss_end_mb": round(rss_mb(pid), 1), "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contexts", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--people", type=int, default=3000)
    args = parser.parse_args()
    from kpi.demo import load_demo

    # The provider in a process of its own: in a thread of this one it starves behind
    # the browsers' driver, and the dashboard's token requests time out.
    provider_port = free_port()
    provider = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--port",
         str(provider_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        provider_url = f"http://127.0.0.1:{provider_port}"
        wait_for(f"{provider_url}/.well-known/openid-configuration", provider, None)
        os.environ["KHI_SECRET"] = SECRET
        store = Store(folder / "khi.duckdb")
        load_demo(store, people=args.people, quarters=4, seed=3)
        made = people(store, args.contexts)
        for email, _ in made:
            put_claims(provider_url, email)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        secrets = folder / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "{url}/oauth2callback"\n'
            'cookie_secret = "a-long-random-cookie-secret-for-the-load-test"\n'
            'client_id = "khi-dashboard"\nclient_secret = "khi-dashboard-secret"\n'
            f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n'
        )
        log = folder / "streamlit.log"
        env = {**os.environ, "KHI_DB": str(store.path), "KHI_SECRET": SECRET,
               "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
             "--server.fileWatcherType", "none", "--secrets.files", str(secrets)],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )
        try:
            wait_for(f"{url}/_stcore/health", server, log)
            report = asyncio.run(load(url, made, args.seconds, server.pid))
        finally:
            for process in (server, provider):
                process.terminate()
                process.wait(timeout=30)
        text = log.read_text()
        tracebacks = text.count("Traceback")
        report["server_tracebacks"] = tracebacks
        if tracebacks:
            first = text.index("Traceback")
            print(text[max(0, first - 300):first + 3000], file=sys.stderr)
    report["when"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    errors = report.pop("errors")
    print(json.dumps(report, indent=2))
    for line in errors[:30]:
        print("ERROR", line)
    return 1 if errors or tracebacks else 0


if __name__ == "__main__":
    raise SystemExit(main())
