"""A board member opens the Board page in Chromium and takes the pack away as PDF and CSV.

Uses the shared fixtures of tests/browser/conftest.py: ``app`` (a tab on
``streamlit run dashboard.py`` over a demo store, with waits on the script state).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from kpi.catalogue import domains

if TYPE_CHECKING:
    from tests.browser.conftest import App

pytestmark = pytest.mark.browser


def download(app: App, button: str, folder: Path) -> Path:
    with app.page.expect_download(timeout=90_000) as info:
        app.page.get_by_role("button", name=button).click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_board_pdf_and_csv_download(app: App, tmp_path: Path) -> None:
    app.open()
    app.navigate("Quarterly board page")
    assert app.exceptions() == []
    heading = app.page.locator("h3").filter(has_text=" · ").first.inner_text()
    area, quarter = heading.split(" · ")
    app.screenshot("board")

    pdf = download(app, "Board pack (PDF)", tmp_path)
    data = pdf.read_bytes()
    assert pdf.suffix == ".pdf" and data.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert quarter in text and area in text

    csv = download(app, "Numbers (CSV)", tmp_path)
    lines = csv.read_text().splitlines()
    header = lines[0].split(",")
    assert header[:4] == ["quarter", "area", "domain", "khi"]
    for column in ("value", "lower95", "upper95", "suppressed", "comparison", "flag"):
        assert column in header
    assert len(lines) == 1 + 28 and all(line.startswith(quarter) for line in lines[1:])

    # The run charts, one PNG a domain, zipped.
    charts = download(app, "Run charts (PNG, zip)", tmp_path)
    with zipfile.ZipFile(charts) as archive:
        names = archive.namelist()
        assert len(names) == len(domains()), names  # one a domain
        assert any(n.endswith("_connection.png") for n in names), names
        assert all(archive.read(n).startswith(b"\x89PNG") for n in names)
