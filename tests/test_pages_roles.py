"""Pages as the people who are not the administrator open them (issue 20), under AppTest.

Each person's first view is their own answer: the quarter their area can show, the
areas they may see. The browser tier (tests/browser/test_roles.py) walks every page
as every role through a real sign-in; these are the journeys AppTest can hold.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kpi.indicators import latest_quarter
from kpi.periods import quarter_label, shift_quarter
from kpi.scope import add_user
from kpi.store import Store
from tests.apptest_helpers import open_page


def with_a_lone_upload_in_a_new_quarter(demo_store: Store, folder: Path, answers: int) -> tuple[
    Store, str, str
]:
    """A copy of the demo where one scheme's ``answers`` people answered again in the
    quarter after the demo's last: (store, that scheme, another scheme)."""
    store = Store(folder / "khi.duckdb")
    shutil.copyfile(demo_store.path, store.path)
    last = latest_quarter(store)
    with store.connect(write=True) as con:
        busy = con.execute(
            "SELECT scheme_id FROM responses WHERE quarter_start = ? GROUP BY 1 "
            "ORDER BY count(*) DESC LIMIT 2", [last],
        ).fetchall()
        early, other = busy[0][0], busy[1][0]
        con.execute(
            """INSERT INTO responses SELECT * REPLACE (
                   response_id + 100000000 AS response_id,
                   CAST(quarter_start + INTERVAL 3 MONTH AS DATE) AS quarter_start,
                   CAST(completed_on + INTERVAL 3 MONTH AS DATE) AS completed_on)
               FROM responses WHERE scheme_id = ? AND quarter_start = ?
                 AND respondent_type = 'person' LIMIT ?""",
            [early, last, answers],
        )
    return store, early, other


def first_quarter(monkeypatch, store: Store, **env: str) -> str:
    at = open_page(monkeypatch, store, **env)
    assert not at.exception
    return str(at.selectbox(key="f_quarter").value)


def test_a_lone_upload_in_a_new_quarter_moves_no_one_elses_default_quarter(
    demo_store: Store, monkeypatch, tmp_path: Path
) -> None:
    store, early, other = with_a_lone_upload_in_a_new_quarter(demo_store, tmp_path, 12)
    last = latest_quarter(demo_store)
    new, old = quarter_label(shift_quarter(last, 1)), quarter_label(last)
    assert quarter_label(latest_quarter(store)) == new  # somebody uploaded into it
    add_user(store, "early@scheme.example", "scheme", [early], by="test")
    add_user(store, "other@scheme.example", "scheme", [other], by="test")
    # The scheme that answered opens on its new quarter; another on the last one it
    # can show, not on a quarter of nothing but "Too few answers to show".
    assert first_quarter(monkeypatch, store, KHI_AS="early@scheme.example") == new
    assert first_quarter(monkeypatch, store, KHI_AS="other@scheme.example") == old


def test_a_handful_of_answers_in_a_new_quarter_moves_nobody(
    demo_store: Store, monkeypatch, tmp_path: Path
) -> None:
    """Three answers are too few to show anywhere: everyone, the administrator too,
    stays on the last quarter that shows something."""
    store, early, _ = with_a_lone_upload_in_a_new_quarter(demo_store, tmp_path, 3)
    old = quarter_label(latest_quarter(demo_store))
    add_user(store, "early@scheme.example", "scheme", [early], by="test")
    assert first_quarter(monkeypatch, store) == old  # local mode: the administrator
    assert first_quarter(monkeypatch, store, KHI_AS="early@scheme.example") == old
