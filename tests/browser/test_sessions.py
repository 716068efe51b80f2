"""Sign-in, sessions and the server's internals under attack (issue 21), in Chromium
against oidc-provider-mock on loopback (the same set-up as test_signin.py).

Each test is an attack that worked before: an email claim the provider did not
verify, a look-alike email, a second account with someone's email, a download
after ``users remove``, a cookie replayed after Sign out, a media URL fetched
without its session, metrics read by anyone, a cache-clearing message sent from
the sign-in page, and Streamlit's own table download.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest

from kpi.scope import add_user, remove_user
from pages.views import admin as views
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_signin import SIGN_IN_TEXT, Site, Visit, site  # noqa: F401

NO_ROLE = "no role has been given to you yet"
MEDIA = re.compile(rb"/media/[0-9a-f]{16,}\.[a-z]+")


@contextmanager
def visiting(browser, site: Site, cookies: list | None = None) -> Iterator[Visit]:  # noqa: F811
    """A fresh browser context (its own cookies, its own session) keeping every
    websocket message it receives; ``cookies``: a copy of another context's."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    if cookies:
        context.add_cookies(cookies)
    tab = context.new_page()
    seen = Visit(tab=tab, site=site)
    tab.on("websocket", lambda ws: ws.on("framereceived", lambda payload: seen.frames.append(
        payload if isinstance(payload, bytes) else payload.encode("utf-8"))))
    try:
        yield seen
    finally:
        context.close()


def status(url: str, cookies: list | None = None) -> int:
    """The HTTP status of a GET of ``url`` with ``cookies`` (a browser context's)."""
    request = urllib.request.Request(url)
    if cookies:
        request.add_header("Cookie", "; ".join(f"{c['name']}={c['value']}" for c in cookies))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def fetch(url: str, cookies: list) -> str:
    request = urllib.request.Request(url)
    request.add_header("Cookie", "; ".join(f"{c['name']}={c['value']}" for c in cookies))
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode("utf-8", "replace")


def refused(visit: Visit) -> None:
    """Signed in at the provider, but no role here: the no-role page, no menu, no user."""
    assert NO_ROLE in visit.tab.inner_text("body")
    assert not visit.tab.locator(".st-key-khi_menu a").count()
    assert b"staff@scheme.example" not in visit.received()


# ------------------------------------------------------------------- tests ---
@pytest.mark.parametrize(
    ("sub", "claims"),
    [
        ("unverified", {"email": "admin@khi.example", "email_verified": "false"}),
        ("kelvin", {"email": "admin@\u212ahi.example", "email_verified": True}),
        ("fullwidth", {"email": "\uff41dmin@khi.example", "email_verified": True}),
    ],
    ids=["string-false", "kelvin-sign", "fullwidth"],
)
def test_email_tricks_get_no_role(browser, site: Site, sub: str, claims: dict) -> None:  # noqa: F811
    with visiting(browser, site) as visit:
        visit.sign_in(sub, claims)
        refused(visit)


def test_a_second_subject_with_the_same_email_gets_no_role(browser, site: Site) -> None:  # noqa: F811
    with visiting(browser, site) as first:
        first.sign_in("admin@khi.example")  # the administrator's first sign-in binds them
        assert "Admin" in first.menu(12)
    row = site.store.user("admin@khi.example")
    assert row["subject"] == "admin@khi.example" and row["issuer"]
    with visiting(browser, site) as other:
        other.sign_in("mallory", {"email": "admin@khi.example", "email_verified": True})
        refused(other)


def test_a_removed_user_cannot_download_from_a_page_left_open(browser, site: Site) -> None:  # noqa: F811
    user = site.store.user("chair@board.example")
    own = user["scheme_ids"][0]
    with visiting(browser, site) as visit:
        visit.sign_in("chair@board.example")
        visit.tab.goto(f"{site.url}/board?scheme={own}")  # one address for every role
        visit.tab.wait_for_selector("h1")
        visit.idle()
        with visit.tab.expect_download() as before:
            visit.tab.get_by_role("button", name=re.compile("CSV")).first.click()
        assert before.value.path()  # the download works while they have the role
        remove_user(site.store, "chair@board.example", by="test")
        try:
            downloads: list = []
            visit.tab.on("download", lambda download: downloads.append(download))
            for name in ("Board pack", "CSV", "Run charts"):
                visit.tab.get_by_role("button", name=re.compile(name)).first.click()
            visit.tab.wait_for_timeout(6000)
            assert downloads == []
        finally:
            add_user(site.store, "chair@board.example", "board", user["scheme_ids"], by="test")


def test_a_cookie_copied_before_sign_out_opens_nothing_after(browser, site: Site) -> None:  # noqa: F811
    with visiting(browser, site) as visit:
        visit.sign_in("commissioner@council.example")
        copied = visit.tab.context.cookies()
        with visiting(browser, site, copied) as replay:  # the copy works while signed in
            replay.open("overview")
            # The sidebar draws after the heading: wait for its button, then count.
            replay.tab.get_by_role("button", name="Sign out").wait_for(timeout=TIMEOUT_MS)
            assert replay.tab.get_by_role("button", name="Sign out").count() == 1
        visit.tab.get_by_role("button", name="Sign out").click()
        visit.tab.get_by_role("button", name="End session").click()
        visit.tab.get_by_role("button", name="Sign in").wait_for(timeout=TIMEOUT_MS)
    with visiting(browser, site, copied) as replay:
        replay.open("overview")
        assert SIGN_IN_TEXT in replay.tab.inner_text("body")
        assert not replay.tab.get_by_role("button", name="Sign out").count()
        assert not replay.tab.locator(".st-key-khi_menu a").count()
    with visiting(browser, site) as again:  # signing in again works at once
        again.sign_in("commissioner@council.example")
        again.tab.locator(".st-key-khi_menu a").first.wait_for(timeout=TIMEOUT_MS)
        assert again.tab.locator(".st-key-khi_menu a").count()


def test_a_media_file_is_served_to_its_own_session_only(browser, site: Site) -> None:  # noqa: F811
    with visiting(browser, site) as owner, visiting(browser, site) as other:
        owner.sign_in("staff@scheme.example")
        owner.open("definitions")
        found = MEDIA.findall(owner.received())
        assert found, "the definitions page's CSV is a media file"
        url = site.url + found[-1].decode()
        mine = owner.tab.context.cookies()
        assert status(url, mine) == 200
        assert status(url) == 403  # no cookie
        other.sign_in("commissioner@council.example")
        assert status(url, other.tab.context.cookies()) == 403  # somebody else's cookie


def test_signed_in_pages_draw_their_icons(browser, site: Site) -> None:  # noqa: F811
    # The guard once refused Streamlit's own /static/media/ files (the icon font) to
    # signed-in browsers, so every icon showed as its name ("logout", "science").
    with visiting(browser, site) as visit:
        visit.sign_in("staff@scheme.example")
        visit.tab.locator(".st-key-khi_menu a").first.wait_for(timeout=TIMEOUT_MS)
        loaded = visit.tab.evaluate(
            """async () => { await document.fonts.ready;
                 return [...document.fonts].filter(f => f.family.includes('Material Symbols'))
                                           .map(f => f.status); }""")
        assert "loaded" in loaded, loaded


def test_a_deferred_download_is_served_to_whoever_clicked_only(browser, site: Site) -> None:  # noqa: F811
    """The board pack's PDF is made on a click, drawn by no session: its address is
    still served only to the person whose click made it."""
    own = site.store.user("chair@board.example")["scheme_ids"][0]
    with visiting(browser, site) as owner, visiting(browser, site) as other:
        other.sign_in("admin@khi.example")  # a signed-in person with every right
        owner.sign_in("chair@board.example")
        owner.tab.goto(f"{site.url}/board?scheme={own}")
        owner.tab.wait_for_selector("h1")
        owner.idle()
        with owner.tab.expect_download() as made:
            owner.tab.get_by_role("button", name=re.compile("CSV")).first.click()
        url = made.value.url
        assert "/media/" in url
        # At once, while the file is kept (a deferred file is short-lived).
        assert status(url, other.tab.context.cookies()) == 403  # not their click
        assert status(url) == 403  # no cookie
        assert status(url, owner.tab.context.cookies()) == 200


def cache_entries(metrics: str) -> int:
    return sum(1 for line in metrics.splitlines() if line.startswith("cache_memory_bytes"))


def test_metrics_and_cache_clearing_are_not_for_visitors(browser, site: Site) -> None:  # noqa: F811
    from streamlit.proto.BackMsg_pb2 import BackMsg

    assert status(f"{site.url}/_stcore/metrics") == 404
    with visiting(browser, site) as admin:
        admin.sign_in("admin@khi.example")
        for page in ("overview", "equity", "definitions"):
            admin.open(page)
        cookies = admin.tab.context.cookies()
        before = cache_entries(fetch(f"{site.url}/_stcore/metrics", cookies))
        assert before > 10
        with visiting(browser, site) as staff:
            staff.sign_in("staff@scheme.example")
            assert status(f"{site.url}/_stcore/metrics", staff.tab.context.cookies()) == 404
        # A visitor on the sign-in page sends "clear cache" down its own websocket.
        with visiting(browser, site) as visitor:
            sockets: list = []
            visitor.tab.route_web_socket(
                re.compile(r".*/_stcore/stream"),
                lambda ws: sockets.append(ws.connect_to_server()),
            )
            visitor.open()
            assert SIGN_IN_TEXT in visitor.tab.inner_text("body")
            sockets[-1].send(BackMsg(clear_cache=True).SerializeToString())
            visitor.tab.wait_for_timeout(2000)
            visitor.open()  # the socket still works: the message was dropped, not fatal
        after = cache_entries(fetch(f"{site.url}/_stcore/metrics", cookies))
        assert after >= before, (before, after)


def test_tables_holding_user_text_have_no_toolbar_download(browser, site: Site) -> None:  # noqa: F811
    add_user(site.store, "=HYPERLINK(1)@hostile.example", "board", regions=["England"],
             by="=1+2")
    with visiting(browser, site) as admin:
        admin.sign_in("admin@khi.example")
        # The users (the first tab) and the change log, each on its own tab of the page.
        for path in ("admin", "admin?" + urlencode({views.VIEWS_KEY: views.CHANGES})):
            admin.open(path)
            grids = admin.tab.get_by_test_id("stDataFrame")
            grids.first.wait_for(timeout=TIMEOUT_MS)  # drawn lazily, after the page is idle
            assert grids.count() >= 1, path
            for index in range(grids.count()):
                grid = grids.nth(index)
                grid.scroll_into_view_if_needed()
                grid.hover()
                toolbar = admin.tab.get_by_test_id("stElementToolbar").nth(index)
                toolbar.get_by_role("button").first.wait_for(timeout=TIMEOUT_MS)
                labels = [b.get_attribute("aria-label") or b.inner_text()
                          for b in toolbar.get_by_role("button").all()]
                assert labels and not any("Download" in (label or "") for label in labels), labels
