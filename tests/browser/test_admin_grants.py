"""Grants are chosen one by one: typing part of a scheme's name in the Admin page's
Schemes box and pressing Enter must not grant every match.

Streamlit's multiselect puts "Select N matches" first in its list while you type,
and Enter takes the first entry, so "Vale" + Enter granted every Vale scheme. The
Admin page draws its grant boxes with ``select_all=False`` (pages/views/admin.py).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.browser.conftest import App

pytestmark = pytest.mark.browser

TYPED = "Vale"  # part of several demo schemes' names (Cheviot Vale, Irwell Vale...)
EMAIL = "vale.commissioner@council.example"


def test_typing_part_of_a_name_and_enter_grants_no_scheme_it_did_not_show(app: App) -> None:
    store = app.server.store
    matches = [n for n in store.schemes()["name"] if TYPED.lower() in n.lower()]
    assert len(matches) >= 2  # otherwise there is nothing to grant by accident
    app.open("admin")
    form = app.page.get_by_test_id("stForm").filter(has_text="Add a user")
    form.get_by_label("Email they sign in with").fill(EMAIL)
    form.get_by_test_id("stSelectbox").filter(has_text="Role").click()
    app.page.get_by_role("option", name=re.compile("^Commissioner")).click()
    schemes = form.get_by_role("combobox", name="Schemes")
    schemes.click()
    schemes.press_sequentially(TYPED)
    listbox = app.page.get_by_role("listbox")
    expect(listbox.get_by_role("option").first).to_be_visible()
    offered = listbox.get_by_role("option").all_inner_texts()
    assert offered and not [o for o in offered if re.match(r"Select (all|\d+ matches)", o)]
    schemes.press("Enter")
    schemes.press("Escape")
    chips = form.get_by_test_id("stMultiSelect").filter(has_text="Schemes").locator(
        "[data-tag]"
    )
    shown = chips.all_inner_texts()
    assert len(shown) <= 1, shown  # at most the one match the box highlighted
    assert store.user(EMAIL) is None  # Enter saves nothing
    form.get_by_role("button", name="Save user").click()
    app.page.get_by_text(f"{EMAIL} saved as commissioner.").wait_for()
    app.idle()
    granted = store.user(EMAIL)["scheme_ids"]
    # Exactly what the box showed, never the other matches.
    assert len(granted) == len(shown) <= 1
    assert all(f"({s})" in chip for s, chip in zip(granted, shown))
