"""Sign-in and roles in a real browser, against a real OpenID Connect provider (issue 14).

``oidc-provider-mock`` runs on loopback; ``streamlit run dashboard.py
--secrets.files PATH`` is given an ``[auth]`` section pointing at it. Chromium
signs in through the provider's own form (``input[name=sub]`` is the email).
Here: before sign-in only the sign-in page is served, and someone without a role
is told whom to ask. The walks of each role (every page the menu lists, the URLs of
pages it does not typed by hand, every websocket message searched for the names
and ids of schemes the person may not see, the board CSV, a user added on the Admin
page, Sign out) are ``test_roles.py``'s, one sign-in a role; the helpers for them
live here.
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from kpi.scope import ROLE_PAGES, add_user
from kpi.store import Store
from pages.views import indicator, schemes
from pages.views._common import MENU
from tests.browser.conftest import (
    DEMO_END_QUARTER,
    IDLE,
    TIMEOUT_MS,
    _free_port,
    click_tab,
    click_until,
    running_dashboard,
)

TITLES = {Path(script).stem: title for pages in MENU.values() for script, title, _ in pages}
SIGN_IN_TEXT = "Sign in with your work account"


@dataclass
class Site:
    url: str
    store: Store
    schemes: dict[str, tuple[str, str]]  # id -> (name, region)
    provider: str = ""  # the OIDC provider's address

    def set_claims(self, sub: str, claims: dict) -> None:
        """What the provider will say of ``sub`` (oidc-provider-mock's PUT /users/SUB)."""
        request = urllib.request.Request(
            f"{self.provider}/users/{urllib.parse.quote(sub, safe='')}",
            data=json.dumps(claims).encode(), method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 204


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A demo store with one user per role, the OIDC provider, and the dashboard."""
    from kpi.demo import load_demo

    folder = tmp_path_factory.mktemp("signin")
    store = Store(folder / "khi.duckdb")
    load_demo(store, people=3000, quarters=2, seed=11, end_quarter=DEMO_END_QUARTER)
    register = store.schemes()
    schemes = {
        r.scheme_id: (r.name, r.region) for r in register.itertuples()
    }
    first = register.iloc[0]
    region = str(first["region"])
    add_user(store, "Staff@Scheme.example", "scheme", [str(first["scheme_id"])], by="test")
    add_user(store, "commissioner@council.example", "commissioner", [], [region], by="test")
    add_user(store, "chair@board.example", "board", [str(first["scheme_id"])], by="test")
    add_user(store, "admin@khi.example", "admin", by="test")
    with signed_in_site(store, folder) as (url, provider):
        yield Site(url=url, store=store, schemes=schemes, provider=provider)


@contextlib.contextmanager
def signed_in_site(store: Store, folder: Path) -> Iterator[tuple[str, str]]:
    """oidc-provider-mock on loopback and the dashboard with sign-in on against it:
    (the dashboard's address, the provider's)."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread() as provider:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        secrets = folder / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "{url}/oauth2callback"\n'
            'cookie_secret = "a-long-random-cookie-secret-for-the-test-only"\n'
            'client_id = "khi-dashboard"\n'
            'client_secret = "khi-dashboard-secret"\n'
            f'server_metadata_url = "http://localhost:{provider.server_port}'
            '/.well-known/openid-configuration"\n'
        )
        with running_dashboard(store, port, ["--secrets.files", str(secrets)]):
            yield url, f"http://localhost:{provider.server_port}"


@dataclass
class Visit:
    """A browser tab that keeps every websocket message it receives."""

    tab: object
    site: Site
    frames: list[bytes] = field(default_factory=list)

    def received(self) -> bytes:
        return b"\n".join(self.frames)

    def idle(self) -> None:
        self.tab.wait_for_selector(IDLE, timeout=TIMEOUT_MS)

    def open(self, path: str = "") -> None:
        self.tab.goto(f"{self.site.url}/{path}")
        self.tab.wait_for_selector("h1", timeout=TIMEOUT_MS)
        self.idle()

    def heading(self) -> str:
        return self.tab.locator("h1").first.inner_text().strip()

    def navigate(self, name: str) -> None:
        """Open page ``name`` as a person does, by its link in the menu, and wait for
        its heading and the end of its run. A page switch in the open tab costs the
        browser a third of an opening by address (which loads Streamlit's code
        again: tests/README.md)."""
        title = TITLES[name]
        if self.heading() != title:
            self.menu()  # waits until the menu is drawn
            link = self.tab.locator(".st-key-khi_menu").get_by_role(
                "link", name=re.compile(rf"(^|\s){re.escape(title)}$"))
            click_until(self.tab, link, """([title, idle]) => {
                const h = document.querySelector('h1');
                return h && h.innerText.trim() === title && document.querySelector(idle);
            }""", [title, IDLE])
        self.idle()

    def sign_in(self, email: str, claims: dict | None = None) -> None:
        """Sign in through the provider's form as subject ``email`` (its ``sub``), whose
        claims are a verified ``email`` unless ``claims`` says otherwise."""
        self.site.set_claims(email, {"email": email, "email_verified": True}
                             if claims is None else claims)
        self.open()
        self.tab.get_by_role("button", name="Sign in").click()
        self.tab.wait_for_selector("input[name=sub]", timeout=TIMEOUT_MS)
        self.tab.fill("input[name=sub]", email)
        self.tab.get_by_role("button", name="Authorize").click()
        self.tab.wait_for_url(re.compile(re.escape(self.site.url) + r"/.*"), timeout=TIMEOUT_MS)
        self.tab.get_by_role("button", name="Sign out").wait_for(timeout=TIMEOUT_MS)
        self.idle()

    def menu(self, expected: int = 1) -> list[str]:
        """The own menu's page names (conftest.MENU), once at least ``expected`` links are
        drawn: Streamlit draws the sidebar element by element, so a menu read just after
        the heading appeared can still be empty (seen in CI on a loaded machine). A menu
        that never reaches ``expected`` is read as it is, for the caller's assertion."""
        nav = self.tab.locator(".st-key-khi_menu")
        with contextlib.suppress(Exception):  # Playwright's timeout: report what is there
            self.tab.wait_for_function(
                "(n) => document.querySelectorAll('.st-key-khi_menu a').length >= n",
                arg=expected,
                timeout=15_000,
            )
        self.idle()
        return [t.strip().splitlines()[-1] for t in nav.get_by_role("link").all_inner_texts()]


@pytest.fixture
def visit(browser, site: Site) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    seen = Visit(tab=tab, site=site)
    tab.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda payload: seen.frames.append(
                payload if isinstance(payload, bytes) else payload.encode("utf-8")
            ),
        ),
    )
    try:
        yield seen
    finally:
        context.close()


def leaked(received: bytes, site: Site, allowed: set[str]) -> list[str]:
    """Names and ids of schemes outside ``allowed`` found in the messages."""
    own_names = [site.schemes[s][0] for s in allowed]
    found = []
    for scheme_id, (name, _) in site.schemes.items():
        if scheme_id in allowed:
            continue
        if re.search(re.escape(scheme_id).encode() + rb"(?!\d)", received):
            found.append(scheme_id)
        if not any(name in own for own in own_names) and name.encode() in received:
            found.append(name)
    return found


def visit_every_listed_page(visit: Visit, role: str) -> None:
    """Every page the role's menu lists, by its link in the menu. (The walk opens
    the Overview, Schemes, board and Admin pages by their addresses after this, the
    pages outside the menu by theirs, and a page's address is the same for every
    role: ``test_every_page_has_one_address_for_every_role``.)"""
    expected = [TITLES[name] for name in ROLE_PAGES[role]]
    assert sorted(visit.menu(len(expected))) == sorted(expected)
    for name in ROLE_PAGES[role]:
        visit.navigate(name)
        assert visit.heading() == TITLES[name], name
        assert not visit.tab.get_by_role("dialog").count(), name
        assert not visit.tab.locator('[data-testid="stException"]').count(), name
        if name == "indicator":  # its tabs are drawn one at a time: each in the walk
            for view in indicator.VIEWS[1:]:
                open_tab(visit, view)
                assert not visit.tab.locator('[data-testid="stException"]').count(), view


def open_tab(visit: Visit, label: str) -> None:
    """Click the tab ``label`` and wait until its panel holds an element (only the
    open tab is drawn) and the run has ended."""
    click_tab(visit.tab, label)
    visit.idle()


def another_schemes_profile_is_not_served(visit: Visit, site: Site, allowed: set[str]) -> None:
    """A hand-typed link to the Schemes page's profile tab naming a scheme outside
    the person's: the tab opens on one of theirs, and of the other scheme nothing
    arrives but the id they typed (Streamlit echoes the address)."""
    other = next(s for s in site.schemes if s not in allowed)
    start = len(visit.frames)
    visit.open("schemes?" + urlencode({schemes.VIEWS_KEY: schemes.PROFILE, "profile": other}))
    line = visit.tab.get_by_test_id("stMain").get_by_text("CQC rating:")
    line.wait_for(timeout=TIMEOUT_MS)
    assert any(site.schemes[s][0] in line.inner_text() for s in allowed), line.inner_text()
    visit.tab.wait_for_function(
        "(ids) => ids.includes(new URLSearchParams(location.search).get('profile'))",
        arg=sorted(allowed), timeout=TIMEOUT_MS,
    )
    assert set(leaked(b"\n".join(visit.frames[start:]), site, allowed)) <= {other}


def unlisted_pages_are_not_served(visit: Visit, role: str) -> None:
    for name in TITLES:
        if name in ROLE_PAGES[role]:
            continue
        visit.open(name)
        # Every role falls back to the default page, the Overview, under the
        # notice (a board member too: no switch to their landing page over it).
        assert visit.heading() == TITLES["overview"], f"{role} at {name}: {visit.heading()}"
        dialog = visit.tab.get_by_role("dialog")
        assert "Page not found" in dialog.inner_text()
        visit.tab.keyboard.press("Escape")
        dialog.wait_for(state="detached")


def sign_out_returns_to_sign_in(visit: Visit) -> None:
    visit.tab.get_by_role("button", name="Sign out").click()
    # st.logout ends the provider's session too (OIDC RP-initiated logout): the
    # provider asks to confirm, then sends the browser back to the dashboard.
    visit.tab.get_by_role("button", name="End session").click()
    visit.tab.get_by_role("button", name="Sign in").wait_for(timeout=TIMEOUT_MS)
    visit.open("overview")
    assert SIGN_IN_TEXT in visit.tab.inner_text("body")
    assert not visit.tab.get_by_role("button", name="Sign out").count()


# ------------------------------------------------------------------- tests ---
def test_before_sign_in_only_the_sign_in_page_is_served(visit: Visit, site: Site) -> None:
    first = next(iter(site.schemes))
    for path in ("", "overview", "schemes?scheme=" + first, "admin", "upload", "board"):
        visit.open(path)
        assert visit.heading() == "Key Human Indicators"
        assert SIGN_IN_TEXT in visit.tab.inner_text("body")
        visit.tab.get_by_role("button", name="Sign in").wait_for(timeout=TIMEOUT_MS)
        assert visit.tab.get_by_role("button", name="Sign in").count() == 1
    received = visit.received()
    assert b"Sign in" in received  # the messages were captured
    # No scheme (the deep link's own id is only echoed in the URL, never as data).
    assert leaked(received, site, {first}) == []
    assert site.schemes[first][0].encode() not in received
    for words in (b"Warm and kind", b"Overview", b"Upload", b"dignity"):
        assert words not in received, words


def test_someone_without_a_role_is_told_whom_to_ask(visit: Visit, site: Site) -> None:
    visit.sign_in("stranger@elsewhere.example")
    body = visit.tab.inner_text("body")
    assert "no role has been given to you yet: ask your Shared Lives administrator" in body
    for name in ("overview", "schemes", "admin"):
        visit.open(name)
        assert visit.heading() == "Key Human Indicators"
        assert "Page not found" in visit.tab.get_by_role("dialog").inner_text()
        visit.tab.keyboard.press("Escape")
    assert leaked(visit.received(), site, set()) == []
    sign_out_returns_to_sign_in(visit)
