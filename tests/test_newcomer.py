"""The demo as a newcomer meets it (issue 20): a store that began with ``kpi demo``
accepts an upload through the Upload page, and a refusal shown to scheme staff
says what to do without the server's file paths.

Why the secret variables are removed here: tests/conftest.py sets ``KHI_SECRET``
for every test, which hid that a demo store refused every upload.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path

import pytest
import streamlit as st

from kpi.demo import load_demo
from kpi.ingest import ingest_bytes
from kpi.scope import add_user
from kpi.store import Store
from pages.views.elements import MARKDOWN_SPECIALS
from tests.apptest_helpers import open_page
from tests.builders import make_store

PROJECT_DIR = Path(__file__).resolve().parents[1]
GOOGLE_FORMS = PROJECT_DIR / "tests" / "samples" / "google_forms_sample.csv"
DEMO_SCHEME = "SL050"  # a demo scheme at seed 7 (tests/browser/test_upload_flow.py)


@pytest.fixture
def no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a newcomer's machine: the secret is the file beside the store, if any."""
    monkeypatch.delenv("KHI_SECRET", raising=False)
    monkeypatch.delenv("KHI_SECRET_FILE", raising=False)
    st.cache_data.clear()


def _choose_file(at, scheme: str):
    at.selectbox(key="upload_scheme").set_value(scheme).run()
    uploader = next(u for u in at.file_uploader if (u.key or "").startswith("upload_file_"))
    uploader.set_value((GOOGLE_FORMS.name, GOOGLE_FORMS.read_bytes(), "text/csv"))
    return at.run()


def _texts(elements) -> str:
    """The elements' words as a person reads them: Markdown's escapes (``c.md``, which
    every message about a file or an error goes through) taken off, so a server path
    is found however it was escaped."""
    return re.sub(rf"\\({MARKDOWN_SPECIALS})", r"\1", "\n".join(str(e.value) for e in elements))


def test_a_demo_store_accepts_an_upload_on_the_upload_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_secret: None
) -> None:
    store = Store(tmp_path / "khi.duckdb")
    load_demo(store, people=3000, quarters=4, seed=7, end_quarter=dt.date(2026, 7, 1))
    secret = tmp_path / "khi.duckdb.secret"
    assert not secret.exists()  # the demo needs none: its keys are random
    at = _choose_file(open_page(monkeypatch, store, "pages/upload.py"), DEMO_SCHEME)
    assert not at.exception and not at.error, _texts(at.error)
    at.button(key="upload_confirm").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    assert "12 responses stored" in _texts(at.success)
    real = store.query(
        "SELECT count(*) AS n FROM responses JOIN uploads USING (upload_id) WHERE NOT is_demo"
    )["n"].iloc[0]
    assert real == 12
    # The first real upload made the secret, owner-only; from now on it is needed.
    assert secret.exists() and stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert store.person_key_rows() == 12


def test_a_refusal_shown_to_scheme_staff_names_no_server_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_secret: None
) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("SL001", "Alderley", "North West")])
    add_user(store, "staff@alderley.example", "scheme", ["SL001"], by="test")
    first = ingest_bytes(store, GOOGLE_FORMS.read_bytes(), "first.csv", "SL001")
    assert first.accepted > 0
    (tmp_path / "khi.duckdb.secret").unlink()  # lost: the store now refuses uploads
    staff = _choose_file(
        open_page(monkeypatch, store, "pages/upload.py", KHI_NO_DEMO="1",
                  KHI_AS="staff@alderley.example"),
        "SL001",
    )
    shown = _texts(staff.error)
    assert "ask" in shown.lower() and "administrator" in shown, shown
    assert str(tmp_path) not in shown and ".secret" not in shown and "duckdb" not in shown
    assert "Confirm and store" not in [b.label for b in staff.button]
    # The administrator sees the engine's own words: where the secret must go.
    monkeypatch.delenv("KHI_AS")
    admin = _choose_file(open_page(monkeypatch, store, "pages/upload.py", KHI_NO_DEMO="1"),
                         "SL001")
    assert str(tmp_path / "khi.duckdb.secret") in _texts(admin.error)
