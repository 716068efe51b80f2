"""What a user typed is never drawn as Markdown or HTML (issue 14, item 7): a scheme
name carrying an image must not make every viewer's browser fetch it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kpi import ingest
from pages.views._common import md
from tests.apptest_helpers import open_page
from tests.builders import make_store

HOSTILE = "Evil ![x](http://attacker.example/p.png) :red[loud] <img src=http://attacker.example/q>"


def survey(n: int = 12) -> bytes:
    rows = "".join(
        f"R{i},1{i % 9}/05/2026,I use Shared Lives,{'Agree' if i % 3 else 'Disagree'}\n"
        for i in range(n)
    )
    return ("Your reference,Date completed,Who is answering?,"
            "The people who support me are warm and kind\n" + rows).encode()


@pytest.mark.parametrize("page", ["pages/schemes.py", "pages/board.py", "pages/overview.py"])
def test_a_hostile_scheme_name_is_shown_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    store = make_store(tmp_path / "khi.duckdb", [("SL001", HOSTILE, "North West"),
                                                 ("SL002", "Bramhall", "North West")])
    for scheme in ("SL001", "SL002"):
        assert ingest.ingest_bytes(store, survey(), f"{scheme}.csv", scheme).accepted == 12
    at = open_page(monkeypatch, store, page, params={"scheme": "SL001"}, KHI_NO_DEMO="1")
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
