"""What a user typed is never drawn as Markdown or HTML (issue 14, item 7): a scheme
name carrying an image must not make every viewer's browser fetch it."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from kpi import ingest
from pages.views import schemes
from pages.views._common import md
from tests.apptest_helpers import open_page, static_tables
from tests.builders import make_store

HOSTILE = "Evil ![x](http://attacker.example/p.png) :red[loud] <img src=http://attacker.example/q>"


def survey(n: int = 12) -> bytes:
    rows = "".join(
        f"R{i},{13 + i % 9}/05/2026,I use Shared Lives,{'Agree' if i % 3 else 'Disagree'}\n"
        for i in range(n)
    )
    return ("Your reference,Date completed,Who is answering?,"
            "The people who support me are warm and kind\n" + rows).encode()


# The pages that write a scheme's name in words (Schemes: in its profile's tab).
PAGES = {"pages/schemes.py": {schemes.VIEWS_KEY: schemes.PROFILE}, "pages/board.py": {},
         "pages/overview.py": {}, "pages/yousaid.py": {}}


@pytest.mark.parametrize("page", list(PAGES))
def test_a_hostile_scheme_name_is_shown_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("SL001", HOSTILE, "North West"),
                                                 ("SL002", "Bramhall", "North West")])
    for scheme in ("SL001", "SL002"):
        assert ingest.ingest_bytes(store, survey(), f"{scheme}.csv", scheme).accepted == 12
    at = open_page(monkeypatch, store, page, params={"scheme": "SL001", **PAGES[page]},
                   KHI_NO_DEMO="1")
    assert not at.exception
    drawn = [
        str(e.value)
        for kind in ("markdown", "caption", "info", "subheader", "title", "header", "warning")
        for e in at.get(kind)
    ]
    shown = [t for t in drawn if "attacker.example" in t]
    assert shown, "the scheme's name is on the page"
    for text in shown:
        # Every character Markdown or HTML would act on arrives escaped.
        assert HOSTILE not in text and md(HOSTILE) in text, text
        assert not re.search(r"(?<!\\)!\[x", text), text


def test_a_static_tables_text_arrives_escaped() -> None:
    """``c.static_table`` is one HTML table: every text cell and heading escaped (no
    tag, no attribute, no image of a user's text arrives as HTML), whole numbers
    without ".0", missing values shown as a dash."""
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        import pandas as pd

        from pages.views import _common as c
        from tests.test_escaping import HOSTILE

        c.static_table(pd.DataFrame({"Scheme": [HOSTILE, "Bramhall"], HOSTILE: [3, None]}),
                       "Schemes")

    at = AppTest.from_function(page).run()
    assert not at.exception
    [drawn] = [str(h.value) for h in at.html]
    assert HOSTILE not in drawn and drawn.count(html.escape(HOSTILE)) == 2  # heading, cell
    assert "<img" not in drawn and "<script" not in drawn, drawn
    [shown] = static_tables(at)
    assert list(shown.columns) == ["Scheme", HOSTILE]  # as typed, once escapes are undone
    assert list(shown["Scheme"]) == [HOSTILE, "Bramhall"]
    assert list(shown[HOSTILE]) == ["3", "–"]


def test_an_uploaded_files_name_and_headers_are_shown_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Upload page's preview and its result put the file's name and its headers
    in sentences (``IngestResult.message``, warnings, notes): a file named, or a column
    headed, with Markdown arrives escaped, before and after it is stored."""
    store = make_store(tmp_path / "khi.duckdb", [("SL001", "Alderley", "North West")])
    rows = survey().decode().splitlines()
    data = "\n".join([f"{rows[0]},{HOSTILE}", *(f"{r},x" for r in rows[1:])]) + "\n"
    at = open_page(monkeypatch, store, "pages/upload.py", params={"scheme": "SL001"},
                   KHI_NO_DEMO="1")
    uploader = next(u for u in at.file_uploader if (u.key or "").startswith("upload_file_"))
    uploader.set_value((f"{HOSTILE}.csv", data.encode(), "text/csv"))
    at.run()
    assert not at.exception
    before = _hostile_texts(at)
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    after = _hostile_texts(at)
    assert any("Ready to store" in t for t in before), before
    assert any("Stored 12 responses" in t for t in after), after
    for text in before + after:
        assert HOSTILE not in text and md(HOSTILE) in text, text
        assert not re.search(r"(?<!\\)!\[x", text), text


def _hostile_texts(at) -> list[str]:
    """Every drawn text (Markdown, captions, alerts) that carries the hostile words."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success")
    return [str(e.value) for kind in kinds for e in at.get(kind)
            if "attacker.example" in str(e.value)]

