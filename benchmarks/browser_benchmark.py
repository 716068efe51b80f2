"""How long each dashboard page takes as a person waits for it, in a real browser.

From a click on the page's link in the navigation to the page drawn: Streamlit's
running indicator gone (the app root's ``data-test-script-state`` is
``notRunning``), no widget skeleton left, the new page's heading shown, and the
document unchanged for a quiet spell. The time is the click to the *last* change
of the document (a MutationObserver in the page keeps it), so the quiet spell
does not count.

The baseline is an empty page served by the same app in the same run: the
benchmark copies the app (``dashboard.py``, ``pages/``, ``kpi/``, ``.streamlit/``)
into a temporary folder and adds one page to the copy's menu whose script draws
a heading and nothing else. The project's own code has no benchmark hook; the
empty page pays the same entry script and sidebar as every page.

Two measures per page, each against the empty page measured the same way:

* **warm**: the page visited again in the same session (its queries cached);
  every page is visited once first, then ``--runs`` rounds in menu order.
* **first view after an upload**: a survey export uploaded on the Upload page
  (a small file of new people, a new one each time), then a click on the page:
  what a scheme worker sees after storing their file.

Goals (issue 13): warm <= 3x, first view after an upload <= 10x the empty page.
Ratios are of medians. Chromium is Debian's (/usr/bin/chromium); the store is
the demo sector at its default size (``python -m kpi demo``), built in the
temporary folder.

    .venv/bin/python benchmarks/browser_benchmark.py [--runs N] [--people N] [--pages a,b]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pages.views._common import menu_pages  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
EMPTY_TITLE = "Empty page"
EMPTY_PAGE = f'''"""An empty page: the browser benchmark's baseline (exists only in its copy)."""
import streamlit as st

from pages.views import _common as c

c.through_navigation(__file__)
st.title({EMPTY_TITLE!r})
'''
# Appended to the copy's menu module: the empty page joins the "Data" section,
# and the administrator's pages (the local mode's role), which the menu lists.
EMPTY_MENU = f'''

MENU["Data"] = (*MENU["Data"], ("pages/_empty_benchmark.py", {EMPTY_TITLE!r},
                                ":material/crop_square:"))
from kpi import scope as _benchmark_scope  # noqa: E402

_benchmark_scope.ROLE_PAGES["admin"] = (*_benchmark_scope.ROLE_PAGES["admin"],
                                        "_empty_benchmark")
# The menu reads a role's pages from ROLE_TABLE (``Scope.pages``), so the entry there too.
import dataclasses as _benchmark_dc  # noqa: E402

_benchmark_scope.ROLE_TABLE["admin"] = _benchmark_dc.replace(
    _benchmark_scope.ROLE_TABLE["admin"], pages=_benchmark_scope.ROLE_PAGES["admin"])
'''
# The pseudonymisation secret of the benchmark's store, for the demo and the
# uploads alike (long enough to be accepted: kpi.privacy.MIN_SECRET_CHARS).
SECRET = "browser-benchmark-secret-not-for-production"
TIMEOUT_MS = 120_000
LOST_MS = 30_000
LOST: list[str] = []  # pages whose first click changed nothing (see click_and_time)
QUIET_MS = 600
# Installed in every document: the time of the last click and of the last change.
OBSERVER = """
window.__clickAt = 0; window.__lastChange = performance.now();
document.addEventListener('click', () => { window.__clickAt = performance.now(); }, true);
new MutationObserver(() => { window.__lastChange = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""
DRAWN = """([before, quiet]) => {
  const h = document.querySelector('[data-testid="stMain"] h1');
  const idle = document.querySelector(
      '[data-testid="stApp"][data-test-script-state="notRunning"]');
  const skeleton = document.querySelector('[data-testid="stSkeleton"]');
  return h && h.innerText.trim() !== before && idle && !skeleton
      && performance.now() - window.__lastChange > quiet;
}"""


def copy_app(into: Path) -> Path:
    """The app as it is, plus the empty page in the copy's menu."""
    app = into / "app"
    app.mkdir()
    shutil.copy2(ROOT / "dashboard.py", app)
    skip = shutil.ignore_patterns("__pycache__")
    for folder in ("pages", "kpi", ".streamlit"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, app / folder, ignore=skip)
    (app / "pages" / "_empty_benchmark.py").write_text(EMPTY_PAGE)
    with (app / "pages" / "views" / "menu.py").open("a") as menu:
        menu.write(EMPTY_MENU)
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(app: Path, db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "KHI_DB": str(db), "KHI_SECRET": SECRET,
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
           "PYTHONPATH": str(app)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.fileWatcherType", "none"],
        cwd=app, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"streamlit exited:\n{log.read_text()}") from None
            time.sleep(0.25)
    raise SystemExit(f"streamlit did not start:\n{log.read_text()}")


def heading(page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.inner_text().strip()


def click_and_time(page, title: str) -> float:
    """Milliseconds from the click on ``title`` in the navigation to the page drawn.

    A click that changed nothing for ``LOST_MS`` (the old page still shown) is
    counted in ``LOST`` and made again; the time is from the click that worked.
    Such clicks came from :func:`upload` returning before its file was stored (4 of
    30 uploads then; none since it waits for the file's own result): the upload's
    redraw (``st.rerun``) replaced the click's page switch, both being for one
    session. ``LOST`` should now stay empty; a page in it is worth a look.
    """
    before = heading(page)
    # The dashboard's own menu (``pages.views.menu.own_menu``): a link's name may start
    # with its icon's text, so the title is matched at the end.
    link = page.locator(".st-key-khi_menu").get_by_role(
        "link", name=re.compile(rf"(^|\s){re.escape(title)}$"))
    link.click()
    try:
        try:
            page.wait_for_function(DRAWN, arg=[before, QUIET_MS], timeout=LOST_MS, polling=50)
        except Exception:
            if heading(page) != before:
                raise
            LOST.append(title)
            link.click()
            page.wait_for_function(DRAWN, arg=[before, QUIET_MS], timeout=TIMEOUT_MS, polling=50)
    except Exception as exc:  # say which page, and keep what the browser showed
        shot = Path(tempfile.gettempdir()) / "browser_benchmark_timeout.png"
        page.screenshot(path=str(shot), full_page=True)
        raise SystemExit(f"{title}: not drawn within {TIMEOUT_MS} ms (screenshot {shot})") from exc
    errors = page.locator('[data-testid="stException"]').all_inner_texts()
    if errors:
        raise SystemExit(f"{title}: {errors}")
    return float(page.evaluate("() => window.__lastChange - window.__clickAt"))


def upload(page, folder: Path, number: int, scheme: str) -> None:
    """Store a small survey export of new people through the Upload page."""
    # A recent day after the 12th: a date like 01/12 could be either way round, and
    # the Upload page would ask which before offering to store the file.
    day = next(d for d in (dt.date.today() - dt.timedelta(days=k) for k in range(1, 40))
               if d.day > 12).strftime("%d/%m/%Y")
    path = folder / f"benchmark_upload_{number}.csv"
    rows = [f"B{number}-{i},{day},I use Shared Lives,Never" for i in range(10)]
    path.write_text("Your reference,Date completed,Who is answering?,"
                    "How often do you feel lonely?\n" + "\n".join(rows) + "\n")
    if heading(page) != "Upload":
        click_and_time(page, "Upload")
    main = page.get_by_test_id("stMain")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    main.get_by_role("button", name="Confirm and store").click(timeout=TIMEOUT_MS)
    # This file's own result: the banner of the upload before it ("10 responses
    # stored") stays until the next result, so waiting for those words returned while
    # this file was still being stored, and the click on the next page came during the
    # store (its page switch then lost to the upload's redraw, seen as a lost click).
    main.get_by_text(f"Stored 10 responses from {path.name} ").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--people", type=int, default=20000, help="demo size (the default)")
    parser.add_argument("--pages", default=None, help="comma-separated titles (default: all)")
    parser.add_argument("--scheme", default="SL050", help="the scheme uploads go to")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    titles = [title for _, title, _ in menu_pages() if title != "Upload"]
    if args.pages:
        titles = [t.strip() for t in args.pages.split(",")]
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        app = copy_app(tmp)
        db = tmp / "khi.duckdb"
        subprocess.run([sys.executable, "-m", "kpi", "demo", "--db", str(db),
                        "--people", str(args.people)], cwd=ROOT, check=True,
                       capture_output=True, env={**os.environ, "KHI_SECRET": SECRET})
        process, url = start(app, db, tmp / "streamlit.log")
        warm: dict[str, list[float]] = {t: [] for t in [*titles, EMPTY_TITLE]}
        after: dict[str, list[float]] = {t: [] for t in [*titles, EMPTY_TITLE]}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS, headless=True)
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_init_script(OBSERVER)
                page = context.new_page()
                page.goto(f"{url}/?scheme={args.scheme}")
                page.wait_for_function(DRAWN, arg=["", QUIET_MS], timeout=TIMEOUT_MS)
                order = [EMPTY_TITLE, *titles]  # the app opens on the first page
                for title in order:  # every page once: its caches filled
                    click_and_time(page, title)
                for _ in range(args.runs):
                    for title in order:
                        warm[title].append(click_and_time(page, title))
                number = 0
                for _ in range(args.runs):
                    for title in order:
                        number += 1
                        upload(page, tmp, number, args.scheme)
                        after[title].append(click_and_time(page, title))
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)

    empty_warm = statistics.median(warm[EMPTY_TITLE])
    empty_after = statistics.median(after[EMPTY_TITLE])
    print(f"demo store: {args.people:,} people; {args.runs} runs each; medians in ms")
    print(f"{'page':28s} {'warm':>8s} {'ratio':>6s} {'after upload':>13s} {'ratio':>6s}")
    worst_warm = worst_after = 0.0
    for title in [*titles, EMPTY_TITLE]:
        w, a = statistics.median(warm[title]), statistics.median(after[title])
        rw, ra = w / empty_warm, a / empty_after
        if title != EMPTY_TITLE:
            worst_warm, worst_after = max(worst_warm, rw), max(worst_after, ra)
        print(f"{title:28s} {w:8.0f} {rw:5.1f}x {a:13.0f} {ra:5.1f}x")
    print(f"clicks that changed nothing and were made again: {len(LOST)} {LOST}")
    print(f"worst warm: {worst_warm:.1f}x the empty page (goal <= 3x)")
    print(f"worst first view after an upload: {worst_after:.1f}x the empty page (goal <= 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
