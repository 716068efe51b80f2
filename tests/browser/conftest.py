"""Browser fixtures: a real ``streamlit run`` on its own small demo store, driven by Chromium.

Why a separate store: the upload test writes to it, so it must never be the
session's shared ``demo_store``. Why Debian's Chromium: Playwright cannot
download its own browsers here; ``make system-deps`` installs Debian's
``chromium-headless-shell`` (and ``chromium``, which prints the board pack).

Fixtures: ``server`` / ``app_url`` (the dashboard, started once per session
and per xdist worker on a free port with ``KHI_DB`` pointing at the store; its
log is kept beside the store and shown when it fails to start), ``browser``
(Chromium), ``fresh_server`` (a dashboard no browser has opened yet), ``page`` (a fresh tab, its own
Streamlit session) and ``app``
(``page`` with waits that follow the app root's ``data-test-script-state``
attribute instead of sleeping).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from kpi.store import Store

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Debian's headless shell: Chromium's renderer without the browser's own UI layer.
# The same eleven pages opened by address took 23-25 s of CPU (dashboard and browser
# together) with it against 29 s with the full browser, in one run (/tmp/hs/run1.py,
# noted in tests/README.md). The full browser serves where the shell is not installed.
HEADLESS_SHELL = Path("/usr/bin/chromium-headless-shell")
CHROMIUM = HEADLESS_SHELL if HEADLESS_SHELL.exists() else Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# The demo's last quarter is pinned, so the sample files' dates (August 2026)
# always fall in it, whatever day the tests run.
DEMO_END_QUARTER = dt.date(2026, 7, 1)
TIMEOUT_MS = 60_000
# Whole-page screenshots (App.screenshot, the accessibility walk, the questionnaire's
# screens) are taken only when KHI_SHOTS is set: `KHI_SHOTS=1 make test`.
SHOTS = bool(os.environ.get("KHI_SHOTS"))
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# Widgets load their code lazily and show a grey skeleton until then.
# The dashboard's own menu (its container's key is khi_menu).
MENU = ".st-key-khi_menu"
NO_SKELETON = "() => !document.querySelector('[data-testid=\"stSkeleton\"]')"


def pytest_configure(config: pytest.Config) -> None:
    """Playwright's ``expect`` waits 5 s unless told, every other wait here TIMEOUT_MS:
    on a loaded machine (three workers on two cores) an upload's store and redraw
    outlasted 5 s (``test_upload_flow.py``, "12 responses stored"). The same ceiling
    for every wait; each still ends as soon as its condition holds."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser test whose wait timed out gets one more run: on a loaded machine
    (CI on two cores, two browsers and two servers at once) a redraw can outlast a
    wait. Only Playwright's TimeoutError is retried; a failed assertion fails at once,
    and a timeout that comes back fails the run."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"]))


def click_until(tab, target, condition: str, arg: object) -> None:
    """Click ``target`` until the page's ``condition`` (a JavaScript function of ``arg``)
    holds. A rerun still being drawn (a window just resized, a choice just made) can
    swallow a click on a link; the click is made again after 15 s, then the last wait
    is the full TIMEOUT_MS. A click that did land is not made again."""
    for wait in (15_000, 15_000, TIMEOUT_MS):
        target.click()
        try:
            tab.wait_for_function(condition, arg=arg, timeout=wait)
            return
        except Exception:  # noqa: BLE001 - Playwright's timeout: click again
            if wait == TIMEOUT_MS:
                raise


def click_tab(tab, label: str) -> None:
    """Click the tab called ``label`` (a page's views in ``st.tabs``) and wait until its
    panel holds an element: the address changes as the tab is clicked, before the run
    that draws it starts, and only the open tab is drawn, so an element in its panel
    means the run has reached it. The caller then waits for the run's end."""
    tab.get_by_role("tab", name=label, exact=True).click()
    tab.wait_for_function(
        """(label) => {
            const tab = [...document.querySelectorAll('[role="tab"]')].find(
                t => t.innerText.trim() === label && t.getAttribute('aria-selected') === 'true');
            const panel = tab && document.getElementById(tab.getAttribute('aria-controls'));
            return panel && panel.querySelector('[data-testid="stElementContainer"]');
        }""",
        arg=label,
        timeout=TIMEOUT_MS,
    )


@dataclass
class Server:
    """A running dashboard: where to reach it and which store it shows."""

    url: str
    store: Store
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit did not become healthy in {seconds:.0f}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def browser_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A small demo sector of its own (the upload test writes to it)."""
    from kpi.demo import load_demo

    store = Store(tmp_path_factory.mktemp("browser") / "khi.duckdb")
    load_demo(store, people=3000, quarters=4, seed=7, end_quarter=DEMO_END_QUARTER)
    return store


@contextmanager
def running_dashboard(
    store: Store, port: int | None = None, args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """``streamlit run dashboard.py`` on ``port`` (a free one by default), showing
    ``store``, with extra ``args`` (e.g. ``--secrets.files``) and ``env`` variables;
    stopped after. The local-mode "view as" variable is dropped unless ``env`` gives
    it: the browser sees what the app shows."""
    port = port or _free_port()
    log = store.path.with_name(f"streamlit-{port}.log")
    extra_env = env
    env = {
        **os.environ,
        "KHI_DB": str(store.path),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    env.pop("KHI_AS", None)
    env.update(extra_env or {})
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        *args,
    ]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield Server(url=url, store=store, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="session")
def server(browser_store: Store) -> Iterator[Server]:
    """The dashboard for the session's browser tests, showing ``browser_store``."""
    with running_dashboard(browser_store) as running:
        yield running


@pytest.fixture
def fresh_server(browser_store: Store) -> Iterator[Server]:
    """A dashboard process of its own that no browser has opened yet."""
    with running_dashboard(browser_store) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, without the network chatter of a first run."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: run `make system-deps` "
                    "(apt-get install chromium-headless-shell)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


class App:
    """One browser tab on the dashboard, with waits that follow Streamlit's script state."""

    def __init__(self, tab, server: Server) -> None:
        self.page = tab
        self.server = server

    def open(self, path: str = "", **params: str) -> None:
        """Load a page by its URL path (query string from ``params``) and wait for it."""
        query = urllib.parse.urlencode(params)
        self.page.goto(f"{self.server.url}/{path}" + (f"?{query}" if query else ""))
        self.page.wait_for_selector("h1", timeout=TIMEOUT_MS)
        self.idle()

    def idle(self) -> None:
        """Wait until the script has finished running and every widget is drawn."""
        self.page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
        self.page.wait_for_function(NO_SKELETON, timeout=TIMEOUT_MS)

    def heading(self) -> str:
        return self.page.locator("h1").first.inner_text().strip()

    def navigate(self, title: str) -> None:
        """Click a sidebar link by its text; wait for the new page's heading, then idle.

        Waiting for the heading to change (not a fixed sleep) avoids reading the
        old page while the new script has not started yet.
        """
        before = self.heading()
        link = self.menu().get_by_role("link", name=re.compile(rf"(^|\s){re.escape(title)}$"))
        click_until(self.page, link, """([before, idle]) => {
                const h = document.querySelector('h1');
                return h && h.innerText.trim() !== before && document.querySelector(idle);
            }""", [before, IDLE])
        self.idle()

    def menu(self):
        """The dashboard's menu in the sidebar (``pages.views.menu.own_menu``)."""
        return self.page.locator(MENU)

    def exceptions(self) -> list[str]:
        return self.page.locator('[data-testid="stException"]').all_inner_texts()

    def screenshot(self, name: str) -> Path | None:
        """Keep a whole-page screenshot in screenshots/ (gitignored) to look at by eye,
        when ``KHI_SHOTS`` is set (a shot asserts nothing and costs a second or two);
        None otherwise.

        Streamlit scrolls inside its main block, not the document, so a "full
        page" screenshot would stop at the window: the window is made as tall as
        the page for the shot.
        """
        if not SHOTS:
            return None
        folder = PROJECT_DIR / "screenshots"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.png"
        size = self.page.viewport_size or {"width": 1280, "height": 900}
        height = self.page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
        )
        self.page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
        self.idle()
        self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size(size)
        return path


@pytest.fixture(scope="session")
def app_url(server: Server) -> str:
    """The running dashboard's address, e.g. http://127.0.0.1:8765."""
    return server.url


@pytest.fixture
def page(browser, server: Server) -> Iterator[object]:
    """A fresh Playwright page (its own Streamlit session) at laptop width."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def app(page, server: Server) -> App:
    """``page`` with the dashboard's waits (see :class:`App`)."""
    return App(page, server)


@contextmanager
def opened_fresh(browser, server: Server, url: str) -> Iterator[App]:
    """``url`` in a fresh browser context (a new session, as a link someone was
    sent), drawn and idle; the context closed after."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        other = App(context.new_page(), server)
        other.page.goto(url)
        other.page.wait_for_selector("h1", timeout=TIMEOUT_MS)
        other.idle()
        yield other
    finally:
        context.close()
