"""Every page as every role, signed in through a real OpenID Connect provider (issue 20).

The people this product is for are scheme staff, commissioners and boards, not
the administrator. Each role here signs in through ``oidc-provider-mock`` and
walks every page its menu lists. Three things must hold for all of them:

- **the same truth**: every figure labelled England on the Overview tiles, and the
  England and range-of-schemes columns of a scheme's profile, equal what the
  engine gives the administrator for the same KHI and quarter (a benchmark is the
  sector's; a viewer's own rows never stand in for it);
- **nothing out of scope**: no other scheme's name or id in any websocket message;
- **their own answer first**: a board member lands on their board page with their
  scheme chosen; a commissioner opens on their region and is offered only theirs;
  a person whose grant holds no scheme is told so and shown nothing.

The same walk (one sign-in a role: a walk costs half a minute) also checks what
each role may *not* do, as ``test_signin.py`` did with walks of its own: a page
outside the menu typed as an address is "Page not found", a hand-typed profile of
another scheme opens one of theirs, a board member's board CSV names nothing out of
scope, an administrator adds a user on the Admin page, and Sign out ends the
provider's session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from kpi import indicators as engine
from kpi.catalogue import catalogue
from kpi.scope import LANDING, ROLE_PAGES, add_user
from kpi.store import Store
from kpi.tables import HIDDEN_WORDS
from kpi.wording import format_value
from pages.views import data_quality, schemes
from tests.browser.conftest import DEMO_END_QUARTER, TIMEOUT_MS
from tests.browser.test_signin import (
    SIGN_IN_TEXT,
    TITLES,
    Site,
    Visit,
    another_schemes_profile_is_not_served,
    leaked,
    sign_out_returns_to_sign_in,
    signed_in_site,
    unlisted_pages_are_not_served,
    visit_every_listed_page,
)

# A region left with no registered scheme (its schemes moved out before the
# dashboard starts): what a grant made before the register is loaded finds.
EMPTY_REGION = "Northern Ireland"
MOVED_TO = "Wales"


@pytest.fixture(scope="module")
def roles_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A demo store with one user per role and grant, the provider, the dashboard."""
    from kpi.demo import load_demo

    folder = tmp_path_factory.mktemp("roles")
    store = Store(folder / "khi.duckdb")
    load_demo(store, people=3000, quarters=2, seed=11, end_quarter=DEMO_END_QUARTER)
    with store.connect(write=True) as con:
        con.execute("UPDATE schemes SET region = ? WHERE region = ?", [MOVED_TO, EMPTY_REGION])
    register = store.schemes()
    first = register.iloc[0]
    other = register[register["region"] != first["region"]].iloc[0]
    region = str(first["region"])
    users = {
        "scheme": ("staff@roles.example", "scheme", [first["scheme_id"]], []),
        "commissioner": ("region@roles.example", "commissioner", [], [region]),
        "commissioner_schemes": (
            "schemes@roles.example", "commissioner",
            [first["scheme_id"], other["scheme_id"]], [],
        ),
        "board": ("chair@roles.example", "board", [first["scheme_id"]], []),
        "board_region": ("trustee@roles.example", "board", [], [region]),
        "admin": ("admin@roles.example", "admin", [], []),
        "empty": ("empty@roles.example", "commissioner", [], [EMPTY_REGION]),
    }
    for email, role, ids, regions in users.values():
        add_user(store, email, role, [str(i) for i in ids], regions, by="test")
    with signed_in_site(store, folder) as (url, provider):
        yield Site(
            url=url, store=store, provider=provider,
            schemes={r.scheme_id: (r.name, r.region) for r in register.itertuples()},
        )


@pytest.fixture
def tab_for(browser, roles_site: Site) -> Iterator:
    """A fresh browser context per call, keeping every websocket message."""
    contexts = []

    def open_tab() -> Visit:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        tab = context.new_page()
        seen = Visit(tab=tab, site=roles_site)
        tab.on("websocket", lambda ws: ws.on("framereceived", lambda p: seen.frames.append(
            p if isinstance(p, bytes) else p.encode("utf-8"))))
        return seen

    yield open_tab
    for context in contexts:
        context.close()


def allowed_for(site: Site, email: str) -> set[str]:
    user = site.store.user(email)
    if user["role"] == "admin":
        return set(site.schemes)
    ids = set(user["scheme_ids"])
    return ids | {s for s, (_, r) in site.schemes.items() if r in set(user["regions"])}


def quarter_in_url(visit: Visit) -> str:
    return parse_qs(urlparse(visit.tab.url).query)["quarter"][0]


def england_words(site: Site, quarter: str) -> dict[str, str]:
    """England's value of each scored KHI as the administrator's engine gives it."""
    table = engine.england_table(site.store, quarter=quarter)
    return {
        r.khi: HIDDEN_WORDS if r.suppressed else format_value(
            r.value, next(k for k in catalogue() if k.code == r.khi))
        for r in table.itertuples()
    }


def overview_england_figures(visit: Visit) -> set[str]:
    """Every "England 85%" the Overview's tiles show."""
    text = visit.tab.get_by_test_id("stMain").inner_text()
    return set(re.findall(r"England (\d+(?:\.\d+)?%?)", text))


def profile_columns(visit: Visit) -> dict[str, tuple[str, str]]:
    """The profile table's England and range of schemes, by indicator name."""
    table = visit.tab.get_by_test_id("stMain").locator("table").last
    table.wait_for(timeout=TIMEOUT_MS)
    headers = [h.strip() for h in table.locator("th").all_inner_texts()]
    rows = {}
    for row in table.locator("tbody tr").all():
        cells = dict(zip(headers, (c.strip() for c in row.locator("td").all_inner_texts())))
        rows[cells["Indicator"]] = (cells["England"], cells["Range of schemes"])
    return rows


# ------------------------------------------------------------------- tests ---
ROLE_USERS = {
    "scheme": "staff@roles.example",
    "commissioner": "region@roles.example",
    "commissioner_schemes": "schemes@roles.example",
    "board": "chair@roles.example",
    "board_region": "trustee@roles.example",
    "admin": "admin@roles.example",
}


# The walks are split between this file and test_roles_board_admin.py, so that on
# ``make test``'s workers (a file runs whole on one) they run two at a time: six
# walks in one file were a third of one worker's run (tests/README.md).
WALKED_HERE = ("scheme", "commissioner", "commissioner_schemes")


@pytest.mark.parametrize("who", WALKED_HERE)
def test_every_role_sees_the_sectors_england_and_nothing_out_of_scope(
    tab_for, roles_site: Site, who: str
) -> None:
    walk_as(tab_for, roles_site, who)


def walk_as(tab_for, roles_site: Site, who: str) -> None:
    """One role's walk (the module's docstring says what it proves)."""
    email = ROLE_USERS[who]
    role = roles_site.store.user(email)["role"]
    allowed = allowed_for(roles_site, email)
    visit = tab_for()
    # Emails match in any case: the scheme worker's provider says it in capitals.
    visit.sign_in(email.upper() if who == "scheme" else email)
    # Lands where the role lands, on its own area.
    assert visit.heading() == TITLES[LANDING.get(role, "overview")], who
    visit_every_listed_page(visit, role)  # the menu, then every page by its address
    quarter = quarter_in_url(visit)
    expected = england_words(roles_site, quarter)

    # The Overview's England figures: the administrator's, for the same quarter.
    region = next(iter({roles_site.schemes[s][1] for s in allowed}))
    visit.open("?" + urlencode({"quarter": quarter, "region": region}))
    shown = overview_england_figures(visit)
    assert shown, f"{who}: no England figure on the Overview"
    assert shown <= set(expected.values()), (who, shown - set(expected.values()))
    downloads = [downloaded(visit, "Every tile (CSV)")]

    # A scheme's profile: England and the range of schemes are the sector's.
    if "schemes" in ROLE_PAGES[role]:
        visit.open("schemes?" + urlencode({"quarter": quarter, schemes.VIEWS_KEY: schemes.PROFILE}))
        spread = engine.scheme_spread(roles_site.store, quarter=quarter).set_index("khi")
        names = {k.name: k for k in catalogue()}
        for indicator, (england, span) in profile_columns(visit).items():
            khi = names[indicator]
            assert england == expected[khi.code], (who, indicator)
            if khi.code in spread.index:
                low, high = spread.loc[khi.code, ["lowest", "highest"]]
                assert span == f"{format_value(low, khi)} to {format_value(high, khi)}", (
                    who, indicator)
        visit.open("schemes?" + urlencode({"quarter": quarter, schemes.VIEWS_KEY: schemes.TABLE}))
        downloads.append(downloaded(visit, "Table (CSV)"))
    if "data_quality" in ROLE_PAGES[role]:
        every_schemes_rate_on_demand(visit, roles_site, allowed, who)
    if role == "board":  # the board pack's CSV, from the address every role uses
        own = next(iter(roles_site.store.user(email)["scheme_ids"]), None)
        visit.open("board?" + urlencode({"scheme": own} if own else {"region": region}))
        downloads.append(downloaded(visit, re.compile("CSV")))
    assert all(downloads), who
    if role == "admin":
        administrator_adds_a_user_on_the_admin_page(visit, roles_site, email)
    else:
        if role == "scheme":
            own = next(iter(allowed))
            assert roles_site.schemes[own][0].encode() in visit.received(), who
        else:
            assert any(roles_site.schemes[s][0].encode() in visit.received()
                       for s in allowed), who
        unlisted_pages_are_not_served(visit, role)
        assert leaked(visit.received(), roles_site, allowed) == [], who
        for csv in downloads:  # the downloads name nothing out of scope either
            assert leaked(csv, roles_site, allowed) == [], who
        if "schemes" in ROLE_PAGES[role]:
            another_schemes_profile_is_not_served(visit, roles_site, allowed)
    sign_out_returns_to_sign_in(visit)


def every_schemes_rate_on_demand(visit: Visit, site: Site, allowed: set[str], who: str) -> None:
    """Data quality's table of every scheme's response rate is built when its
    expander is opened (not sent while closed), and names the role's schemes only."""
    visit.open("data_quality")
    words, caption = data_quality.EVERY_SCHEME.words, data_quality.EVERY_SCHEME.caption
    # By its label, not its role: a role also finds nothing in a closed expander.
    table = visit.tab.locator(f'[aria-label="{caption}"]')
    assert not table.count(), who
    visit.tab.get_by_text(words).click()
    table.wait_for()
    named = set(table.locator("tbody tr td:first-child").all_inner_texts())
    assert named and named <= {site.schemes[s][0] for s in allowed}, (who, named)


def administrator_adds_a_user_on_the_admin_page(visit: Visit, site: Site, email: str) -> None:
    """The Admin page lists the users; one added there is stored, and recorded as
    made by who signed in."""
    visit.open("admin")
    received = visit.received()
    assert b"staff@roles.example" in received and b"region@roles.example" in received
    visit.tab.get_by_label("Email they sign in with").fill("Deputy@ROLES.example")
    visit.tab.get_by_test_id("stSelectbox").filter(has_text="Role").click()
    visit.tab.get_by_role("option", name="Administrator (everything)").click()
    visit.tab.get_by_role("button", name="Save user").click()
    visit.tab.get_by_text("deputy@roles.example saved as admin.").wait_for()
    added = site.store.user("deputy@roles.example")
    assert added["role"] == "admin" and added["added_by"] == email
    changes = site.store.changes()
    assert ((changes["subject"] == "deputy@roles.example")
            & (changes["changed_by"] == email)).any()


def downloaded(visit: Visit, label: str | re.Pattern) -> bytes:
    """The bytes of the download button ``label`` on the open page."""
    with visit.tab.expect_download() as download:
        visit.tab.get_by_role("button", name=label).first.click()
    return Path(download.value.path()).read_bytes()


def test_a_commissioner_is_offered_only_their_region_and_sees_it_named(
    tab_for, roles_site: Site
) -> None:
    region = roles_site.store.user("region@roles.example")["regions"][0]
    visit = tab_for()
    visit.sign_in("region@roles.example")
    assert parse_qs(urlparse(visit.tab.url).query)["region"] == [region]
    assert region in visit.tab.get_by_test_id("stMain").inner_text()
    assert "England and the nations" not in visit.tab.get_by_test_id("stMain").inner_text()
    # The sidebar's region box offers "All your schemes" and their region only: no
    # other region's name reaches the browser (the options travel in the messages).
    from kpi.items import bank

    received = visit.received()
    assert b"All your schemes" in received and region.encode() in received
    others = [r for r in bank().region_names if r != region and r.encode() in received]
    assert others == []


def test_an_empty_grant_sees_nothing_and_is_told_why(tab_for, roles_site: Site) -> None:
    visit = tab_for()
    visit.sign_in("empty@roles.example")
    assert "No scheme registered in the dashboard lies in that area yet" in (
        visit.tab.inner_text("body"))
    some = next(iter(roles_site.schemes))
    for path in ("schemes?" + urlencode({schemes.VIEWS_KEY: schemes.PROFILE, "profile": some}),
                 "data_quality", "overview", "board"):
        visit.open(path)
        assert "CQC rating" not in visit.tab.inner_text("body")
    assert set(leaked(visit.received(), roles_site, set())) <= {some}  # the typed id only
    for name, _ in roles_site.schemes.values():
        assert name.encode() not in visit.received()


def test_a_link_opened_signed_out_opens_its_view_after_sign_in(
    tab_for, roles_site: Site
) -> None:
    region = roles_site.store.user("region@roles.example")["regions"][0]
    visit = tab_for()
    link = "schemes?" + urlencode({"region": region, schemes.VIEWS_KEY: schemes.PROFILE})
    visit.open(link)
    assert SIGN_IN_TEXT in visit.tab.inner_text("body")
    assert not visit.tab.get_by_role("dialog").count()  # no "Page not found"
    roles_site.set_claims("region@roles.example",
                          {"email": "region@roles.example", "email_verified": True})
    visit.tab.get_by_role("button", name="Sign in").click()
    visit.tab.wait_for_selector("input[name=sub]", timeout=TIMEOUT_MS)
    visit.tab.fill("input[name=sub]", "region@roles.example")
    visit.tab.get_by_role("button", name="Authorize").click()
    visit.tab.wait_for_url(re.compile(r".*/schemes\?.*"), timeout=TIMEOUT_MS)
    visit.tab.get_by_role("button", name="Sign out").wait_for(timeout=TIMEOUT_MS)
    visit.idle()
    assert visit.heading() == TITLES["schemes"]
    query = parse_qs(urlparse(visit.tab.url).query)
    assert query[schemes.VIEWS_KEY] == [schemes.PROFILE] and query["region"] == [region]
