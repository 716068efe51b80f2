"""Hostile files cannot stop the server: a clear refusal or rows stored, never an abort.

Each file is built here as the attacker would send it: a valid 2 KB xlsx with
one cell at XFD1048576 (python-calamine would allocate 17 billion cells and
abort the process), one at XFD3000 (3.3 GB), a 5,000-column CSV, UTF-16 text
without a byte-order mark, an unterminated quote. The xlsx and CSV attacks run
through the real ``python -m kpi ingest`` under a 2 GB address-space cap, so a
dense allocation would kill the child and fail the test.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from kpi import readers
from kpi.ingest import ingest_bytes, load_schemes
from kpi.store import Store

PROJECT_DIR = Path(__file__).resolve().parents[1]
SCHEME = "SL001"
REGISTER = b"scheme_id,name,region\nSL001,Alderley Shared Lives,North West\n"
HEADER = "Your reference,Date completed,Who is answering?,How often do you feel lonely?"
ROWS = ["R1,14/05/2026,I use Shared Lives,Never",
        "R2,15/05/2026,I am a family carer,Often or always"]
# Run the child under this address-space cap (virtual memory, so above the 1 GB
# of resident memory a file may cost): XFD3000 alone would need 3.3 GB.
LIMIT = 2 * 1024**3


def far_cell_xlsx(cell: str) -> bytes:
    """A real workbook with a header, two rows, and one stray cell far away."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [HEADER.split(","), *[r.split(",") for r in ROWS]]:
        sheet.append(row)
    sheet[cell] = "x"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _kpi_capped(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KHI_DB": str(db), "KHI_SECRET": "test-secret-not-for-production"}
    cap = (
        "import resource, runpy, sys; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({LIMIT}, {LIMIT})); "
        "sys.argv = ['kpi', *sys.argv[1:]]; runpy.run_module('kpi', run_name='__main__')"
    )
    return subprocess.run([sys.executable, "-c", cap, *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    db = tmp_path / "khi.duckdb"
    store = Store(db)
    store.ensure()
    load_schemes(store, REGISTER)
    return db


def _counts(db: Path) -> tuple[int, int]:
    store = Store(db)
    return (int(store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0]),
            int(store.query("SELECT count(*) AS n FROM uploads")["n"].iloc[0]))


@pytest.mark.parametrize("cell", ["XFD1048576", "XFD3000"])
def test_an_xlsx_with_one_far_cell_is_refused_before_anything_is_allocated(
    db: Path, tmp_path: Path, cell: str
) -> None:
    data = far_cell_xlsx(cell)
    assert len(data) < 8000
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(data)
    done = _kpi_capped(db, "ingest", str(path), "--scheme", SCHEME, "--json")
    assert done.returncode == 2, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["refused"] and "XFD" in result["message"]
    assert "Traceback" not in done.stderr
    assert _counts(db) == (0, 0)


def test_a_far_cell_below_the_answers_is_refused_naming_the_cell() -> None:
    data = far_cell_xlsx("AZ1048576")  # 52 columns x 1,048,576 rows
    with pytest.raises(readers.RefusedFile, match="AZ1048576"):
        readers.read_export(data)


def test_an_xlsx_within_bounds_is_still_read(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "fine.xlsx"
    path.write_bytes(far_cell_xlsx("F40"))  # a stray cell close by is harmless
    done = _kpi_capped(db, "ingest", str(path), "--scheme", SCHEME, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["accepted"] == 2


def test_a_5000_column_csv_is_refused_fast_with_the_reason(db: Path, tmp_path: Path) -> None:
    header = HEADER + "," + ",".join(f"Extra question {i}" for i in range(4996))
    rows = [r + "," * 4996 for r in ROWS]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    done = _kpi_capped(db, "ingest", str(path), "--scheme", SCHEME, "--json")
    assert done.returncode == 2, done.stderr[-2000:]
    message = json.loads(done.stdout)["message"]
    assert "5,000 columns" in message and f"at most {readers.MAX_COLUMNS}" in message
    assert _counts(db) == (0, 0)


def test_an_unterminated_quote_names_the_row_it_starts_on(db: Path, tmp_path: Path) -> None:
    lines = [HEADER, *[f"R{i},14/05/2026,I use Shared Lives,Never" for i in range(1, 40)]]
    lines[7] = 'R7,14/05/2026,"I use Shared Lives,Never'  # row 8 opens a quote, never closed
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n")
    done = _kpi_capped(db, "ingest", str(path), "--scheme", SCHEME, "--json")
    assert done.returncode == 2, done.stderr[-2000:]
    message = json.loads(done.stdout)["message"]
    assert "Row 8" in message and "never closed" in message
    assert _counts(db) == (0, 0)


def test_a_stray_quote_inside_a_cell_is_not_a_runaway(fresh_store: Store) -> None:
    load_schemes(fresh_store, REGISTER)
    data = (HEADER + '\nR1,14/05/2026,I use Shared Lives,Never\nR2 5\'10",15/05/2026,'
            "I use Shared Lives,Never\n").encode()
    result = ingest_bytes(fresh_store, data, "q.csv", SCHEME)
    assert not result.refused and result.accepted == 2


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_tab_separated_with_and_without_bom_is_read(
    fresh_store: Store, encoding: str
) -> None:
    load_schemes(fresh_store, REGISTER)
    text = "\r\n".join(line.replace(",", "\t") for line in [HEADER, *ROWS]) + "\r\n"
    text = text.replace("Never", "Never \u2014 h\u00e9")  # not ASCII, so decoding matters
    data = text.encode(encoding)
    assert data.startswith((b"\xff\xfe", b"\xfe\xff")) == (encoding == "utf-16")
    parsed = readers.read_export(data)
    assert parsed.headers[2] == "Who is answering?" and parsed.delimiter == "\t"
    assert parsed.rows[3].tolist() == ["Never \u2014 h\u00e9", "Often or always"]


def test_a_utf8_file_with_one_bad_byte_keeps_its_good_cells(fresh_store: Store) -> None:
    load_schemes(fresh_store, REGISTER)
    data = (
        "Your reference,Date completed,Who is answering?,Age,How often do you feel lonely?\n"
        "R1,14/05/2026,I use Shared Lives,25 to 34,Never\n"
        "R2,15/05/2026,I use Shared Lives,35 to 49,Never\n"
        "Ré3,16/05/2026,I use Shared Lives,35 to 49,Never\n"
    ).encode().replace(b"R2,", b"R2\x92,")  # one Windows-1252 byte in a UTF-8 file
    parsed = readers.read_export(data)
    assert parsed.rows[0].tolist() == ["R1", "R2\u2019", "Ré3"]  # é is still é
    assert parsed.unreadable == [(1, 0)]
    result = ingest_bytes(fresh_store, data, "bad-byte.csv", SCHEME)
    assert (result.accepted, result.rejected) == (2, 1)
    assert result.problems[0].row == 3 and result.problems[0].column == "Your reference"
    assert "not readable text" in result.problems[0].reason
