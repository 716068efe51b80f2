"""Every page as every role (issue 20), continued: the board members' and the
administrator's walks, and what a board member meets first.

``test_roles.py`` holds the site, the walk and the other roles' walks; the walks are
split between the two files so that ``make test`` runs them on two workers at once.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest

from kpi import indicators as engine
from kpi.indicators import Filters
from kpi.periods import parse_quarter
from tests.browser.test_roles import (  # noqa: F401  (module fixtures, used by name)
    ROLE_USERS,
    WALKED_HERE,
    quarter_in_url,
    roles_site,
    tab_for,
    walk_as,
)
from tests.browser.test_signin import TITLES, Site

WALKED_THERE = tuple(who for who in ROLE_USERS if who not in WALKED_HERE)


@pytest.mark.parametrize("who", WALKED_THERE)
def test_every_role_sees_the_sectors_england_and_nothing_out_of_scope(
    tab_for, roles_site: Site, who: str  # noqa: F811
) -> None:
    walk_as(tab_for, roles_site, who)


def test_a_board_member_opens_on_their_own_schemes_board_page(
    tab_for, roles_site: Site  # noqa: F811
) -> None:
    own = roles_site.store.user("chair@roles.example")["scheme_ids"][0]
    visit = tab_for()
    visit.sign_in("chair@roles.example")
    assert visit.heading() == TITLES["board"]
    main = visit.tab.get_by_test_id("stMain").inner_text()
    assert "Choose one of your schemes" not in main
    assert roles_site.schemes[own][0] in main  # their scheme, already chosen
    # The quarter is the latest their scheme can show.
    shown = engine.latest_shown_quarter(
        roles_site.store, Filters(scheme_ids=(own,), scope=(own,))
    )
    assert parse_quarter(quarter_in_url(visit)) == shown


def test_every_page_has_one_address_for_every_role(
    tab_for, roles_site: Site  # noqa: F811
) -> None:
    """A board link shared by an administrator opens the board page for a board member."""
    own = roles_site.store.user("chair@roles.example")["scheme_ids"][0]
    visit = tab_for()
    visit.sign_in("chair@roles.example")
    visit.open("board?" + urlencode({"scheme": own}))
    assert visit.heading() == TITLES["board"]
    assert not visit.tab.get_by_role("dialog").count()
    admin = tab_for()
    admin.sign_in("admin@roles.example")
    admin.open("board?" + urlencode({"scheme": own}))
    assert admin.heading() == TITLES["board"]
    assert Path(urlparse(admin.tab.url).path).name == Path(urlparse(visit.tab.url).path).name
