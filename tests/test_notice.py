"""The privacy notice: generated from the settings, plain and easy read, from the sidebar."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi.items import bank
from kpi.notice import notice_markdown, notice_pdf, privacy_settings


def test_the_notice_says_what_the_settings_say(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(bank().settings, "keep_answers_years", 3)
    monkeypatch.setitem(bank().settings, "keep_set_aside_days", 45)
    monkeypatch.setitem(bank().settings, "min_base", 8)
    plain, easy = notice_markdown(), notice_markdown(easy=True)
    assert "kept for 3 years after the end of the quarter" in plain
    assert "deleted 45 days after they were uploaded" in plain
    assert "fewer than 8 people is hidden" in plain
    assert "We keep your answers for 3 years." in easy
    assert "fewer than 8 people" in easy
    for key, value in privacy_settings().items():
        if key != "special_category_basis":
            assert value in plain, key
    assert privacy_settings()["contact"] in easy
    # Easy read: short lines, one idea each (no line of more than 25 words but the
    # two that name the installation's own contact and complaints body).
    long = [line for line in easy.splitlines() if len(line.split()) > 25]
    assert len(long) <= 2, long


def test_the_notice_downloads_as_pdf() -> None:
    for easy in (False, True):
        pdf = notice_pdf(easy)
        assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_the_sidebar_opens_the_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.apptest_helpers import open_page
    from tests.builders import make_store

    store = make_store(tmp_path / "khi.duckdb", [("SL001", "Alderley", "North West")])
    at = open_page(monkeypatch, store, None, KHI_NO_DEMO="1")
    assert at.sidebar.button(key="privacy_notice").label == "Privacy notice"

    # Under AppTest a rerun of the navigation runs the page alone, without the
    # sidebar (see open_page), so the link's click is tested on its own.
    def sidebar() -> None:
        from pages.views.privacy import sidebar_notice

        sidebar_notice()

    alone = AppTest.from_function(sidebar, default_timeout=60)
    alone.run()
    assert not "\n".join(m.value for m in alone.markdown)
    alone.sidebar.button(key="privacy_notice").click().run()
    assert not alone.exception
    shown = "\n".join(m.value for m in alone.markdown)
    assert "Who can see what" in shown and "How long we keep it" in shown


def test_the_notice_needs_its_privacy_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from kpi import notice
    from kpi.errors import KhiError

    (tmp_path / "register.toml").write_text('[privacy]\ncontroller = "Alderley"\n')
    monkeypatch.setattr(notice, "BANK_DIR", tmp_path)
    notice.privacy_settings.cache_clear()
    try:
        with pytest.raises(KhiError, match=r"\[privacy\] needs operator, contact"):
            notice.notice_markdown()
    finally:
        notice.privacy_settings.cache_clear()
