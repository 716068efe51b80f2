"""A board member opens the Board page in Chromium and takes the pack away as PDF and CSV.

Uses the shared fixtures of tests/browser/conftest.py: ``app`` (a tab on
``streamlit run dashboard.py`` over a demo store, with waits on the script state).
"""

from __future__ import annotations

import csv as csv_module
import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from kpi.catalogue import domains
from kpi.downloads import TIDY_COLUMNS

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
    rows = list(csv_module.reader(io.StringIO(csv.read_text())))
    header = rows[0]
    # The tidy columns of every KHI download (kpi.downloads), then the pack's own.
    assert header[: len(TIDY_COLUMNS)] == list(TIDY_COLUMNS.values())
    assert "flag" in header and "change_since_previous" in header
    assert re.fullmatch(r"khi_board_.+_as_of_\d{4}-\d\d-\d\d\.csv", csv.name), csv.name
    at = header.index("Quarter"), header.index("Area")
    assert len(rows) == 1 + 28 and all((r[at[0]], r[at[1]]) == (quarter, area) for r in rows[1:])

    # The run charts, one PNG a domain, zipped.
    charts = download(app, "Run charts (PNG, zip)", tmp_path)
    with zipfile.ZipFile(charts) as archive:
        names = archive.namelist()
        assert len(names) == len(domains()), names  # one a domain
        assert any(n.endswith("_connection.png") for n in names), names
        assert all(archive.read(n).startswith(b"\x89PNG") for n in names)
