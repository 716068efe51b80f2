"""Read an uploaded export into a layout-neutral grid of text cells.

Why text only: a reference such as ``00123`` must not become ``123``, a label
must not become NaN and ``05/06/2026`` must not be turned into a date before
we know whether the file writes day or month first. So neither DuckDB's CSV
sniffer nor pandas' type inference ever sees the file; every cell stays text
and :mod:`kpi.ingest` decides what it means.

One reader per concern: the bytes (size, type, zip bomb), the encoding and
delimiter of a CSV, the cells of an xlsx, and the header rows of each survey
tool's export layout (``LAYOUTS``). Everything refused raises
:class:`RefusedFile` with a message a scheme worker can act on.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from functools import cache
from zlib import error as zlib_error

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kpi import errors
from kpi.items import bank, header_index, normalise_header
from kpi.readers import (
    google_forms,
    jisc,
    limesurvey,
    microsoft_forms,
    plain,
    qualtrics,
    smartsurvey,
    snap,
    surveymonkey,
    typeform,
)
from kpi.readers.base import OURS as _OURS
from kpi.readers.base import ROW_COLUMN, SHEET_COLUMN, WHY_COLUMN, Layout, strip_notes
from kpi.readers.base import key as _key

# Tried in this order; each recognises its tool by evidence only that tool
# writes (Qualtrics' ImportIds, SurveyMonkey's second header row, ...).
TOOLS: tuple[Layout, ...] = (
    qualtrics.LAYOUT, surveymonkey.LAYOUT, google_forms.LAYOUT, microsoft_forms.LAYOUT,
    smartsurvey.LAYOUT, typeform.LAYOUT, limesurvey.LAYOUT, jisc.LAYOUT, snap.LAYOUT,
)
_BY_CODE = {layout.code: layout for layout in (*TOOLS, plain.TEMPLATE, plain.EXCEL)}
# Layout code -> how we name it to the user.
LAYOUTS = {code: layout.name for code, layout in _BY_CODE.items()}

__all__ = ["LAYOUTS", "ROW_COLUMN", "SHEET_COLUMN", "WHY_COLUMN", "ParsedExport", "RefusedFile",
           "read_export", "_OURS"]


# Why caps: a survey export of our questions has well under 100 columns; a
# hostile or broken file can claim a used range of 16,384 x 1,048,576 cells,
# which a dense reader would allocate whole and abort the server for everyone.
MAX_COLUMNS = 500
MAX_CELLS = 8_000_000


class RefusedFile(errors.RefusedFile):
    """The whole file cannot be read; the message says what to do instead.

    ``sheets``: when sheets of a workbook differ, the sheets to choose from.
    """

    def __init__(self, message: str, sheets: list[str] | None = None) -> None:
        super().__init__(message)
        self.sheets = sheets or []


@dataclass
class ParsedExport:
    """One export as text: header per column, data rows and where they came from.

    ``rows`` has integer column labels ``0..n-1`` and only text ("" for empty);
    ``row_numbers[i]`` is the row of ``rows.iloc[i]`` as the user's spreadsheet
    numbers it (1-based, header rows counted). ``match_texts[j]`` are the texts
    to try when matching column ``j`` to an item, best first (the statement of
    a matrix question before its stem). ``date_order_hint`` applies to the
    tool's own completion column only: "month_first" or None.
    """

    layout: str
    headers: list[str]
    rows: pd.DataFrame
    row_numbers: np.ndarray
    match_texts: list[tuple[str, ...]]
    metadata: list[bool]
    completion_column: int | None
    date_order_hint: str | None
    source: str  # "csv" or "xlsx"
    letters: list[str] | None = None  # each column's letter in the user's spreadsheet
    header_rows: int = 1
    encoding: str | None = None
    delimiter: str | None = None
    # (row position in ``rows``, column) of cells whose bytes were not text.
    unreadable: list[tuple[int, int]] = field(default_factory=list)
    # Row positions the tool itself marks as not a response, with the reason
    # (Qualtrics' Survey Preview, unfinished responses) and the column saying so.
    tool_set_aside: list[tuple[int, int, str]] = field(default_factory=list)
    # The tool's own column that can serve as the person's reference, if any.
    reference_column: int | None = None
    submission_order: bool = False
    # Where the header was found (1-based row) and how many of its cells we know.
    header_row: int = 1
    header_score: int = 0
    # Plain sentences for the preview: where the header was, which sheets were read.
    notes: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    # Each row's sheet when several sheets were read as one file, else None.
    row_sheets: np.ndarray | None = None

    @property
    def layout_name(self) -> str:
        return LAYOUTS.get(self.layout, self.layout)


# ------------------------------------------------------------------ bytes ---
def _limits(max_upload_mb: float | None, max_unzipped_mb: float | None) -> tuple[float, float]:
    settings = bank().settings
    return (
        float(max_upload_mb if max_upload_mb is not None else settings["max_upload_mb"]),
        float(max_unzipped_mb if max_unzipped_mb is not None else settings["max_unzipped_mb"]),
    )


def check_size(size: int, max_upload_mb: float | None = None) -> None:
    """Refuse a file above the upload limit before reading it all."""
    limit, _ = _limits(max_upload_mb, None)
    if size > limit * 1024 * 1024:
        raise RefusedFile(
            f"This file is {size / 1024 / 1024:.1f} MB; the largest upload we take is "
            f"{limit:g} MB. Split it into smaller files (for example one per quarter) "
            "and upload each."
        )


_SAVE_AS = "Save your survey results as CSV or Excel (.xlsx) and upload that file instead"


def sniff_kind(data: bytes) -> str:
    """What the bytes are, whatever the file is called: xlsx, csv, or what to refuse."""
    head = data[:8]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")) or (
        head.startswith(b"RIFF") and data[8:12] == b"WEBP"
    ):
        return "image"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"  # UTF-16 with a byte-order mark (Excel "Unicode text")
    if _utf16_without_bom(data):
        return "text"
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"


def _refuse_kind(kind: str, names: list[str] | None = None) -> RefusedFile:
    what = {
        "ole": "an old-style Office file (.xls or .doc). Open it in Excel and use "
        "Save As > Excel Workbook (.xlsx) or CSV, then upload that",
        "pdf": "a PDF. We need the survey results themselves, not a report. " + _SAVE_AS,
        "image": "a picture. " + _SAVE_AS,
        "binary": "not a spreadsheet (it holds binary data). " + _SAVE_AS,
        "docx": "a Word document. " + _SAVE_AS,
        "pptx": "a PowerPoint file. " + _SAVE_AS,
        "ods": "an OpenDocument spreadsheet. Save it as .xlsx or CSV and upload that",
        "zip": "a zip archive, not a spreadsheet. Unzip it and upload the CSV or .xlsx "
        "file inside",
        "badzip": "a damaged Excel file (it could not be opened). Open it in Excel, save "
        "it again as .xlsx or CSV and upload that",
    }[kind]
    return RefusedFile(f"This file is {what}.")


def _check_workbook(data: bytes, max_unzipped_mb: float) -> None:
    """Refuse anything that is not an xlsx, and zip bombs, before parsing."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise _refuse_kind("badzip") from None
    with archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        # Why the declared sizes: a few kilobytes of zip can unpack to gigabytes
        # (a "zip bomb"); the central directory says how big each member is.
        declared = sum(i.file_size for i in infos)
        if "xl/workbook.xml" not in names:
            if any(n.startswith("word/") for n in names):
                raise _refuse_kind("docx")
            if any(n.startswith("ppt/") for n in names):
                raise _refuse_kind("pptx")
            if "mimetype" in names and b"opendocument" in archive.read("mimetype")[:100]:
                raise _refuse_kind("ods")
            raise _refuse_kind("zip")
    if declared > max_unzipped_mb * 1024 * 1024:
        raise RefusedFile(
            f"This Excel file would unpack to {declared / 1024 / 1024:,.0f} MB, more than "
            f"the {max_unzipped_mb:g} MB we allow, so it was not opened. Save the survey "
            "results as CSV, or remove other sheets and pictures, and upload again."
        )


# -------------------------------------------------------------------- csv ---
def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" when the bytes are UTF-16 text with no byte-order mark.

    Why: Excel's "Unicode Text" and some tools' exports omit the mark; such a
    file is half NUL bytes, every other byte, which is text and not binary.
    """
    head = data[:4096]
    if len(head) < 4 or b"\x00" not in head:
        return None
    head = head[: len(head) // 2 * 2]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.6 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.6 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


_NOT_TEXT = re.compile("[\udc80-\udcff]")


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-16 (with or without BOM), else UTF-8, else Windows-1252 or
    Mac Roman (told apart by :func:`single_byte_encoding`).

    Excel's "Save as CSV" writes Windows-1252 on Windows ("£", "é", curly
    apostrophes as single bytes); those bytes are rarely valid UTF-8. A file
    with no valid UTF-8 beyond ASCII is read as Windows-1252 whole; a UTF-8
    file with a few stray bytes stays UTF-8 and keeps those bytes as
    surrogates (``surrogateescape``) so that only the cells holding them are
    reported, not the whole file turned to mojibake.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    if bom_less := _utf16_without_bom(data):
        return data.decode(bom_less, errors="replace"), bom_less
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", errors="surrogateescape")
    if any(ord(ch) > 127 and not _NOT_TEXT.match(ch) for ch in set(text)):
        return text, "utf-8 (some cells not readable)"
    encoding = single_byte_encoding(data)
    return data.decode(encoding, errors="replace"), encoding


# What the bytes above 127 of English survey text mostly are: curly quotes and
# dashes, the pound sign, and accented lower-case letters (café, Renée).
_PUNCTUATION = frozenset("\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u2022\u00a3\u20ac\u00a0")
_ACCENTED = frozenset("\u00e0\u00e1\u00e2\u00e4\u00e7\u00e8\u00e9\u00ea\u00eb\u00ed"
                      "\u00ee\u00ef\u00f1\u00f3\u00f4\u00f6\u00fa\u00fb\u00fc")
# Excel's single-byte encodings: Windows, and "CSV (Macintosh)" from Excel for Mac.
SINGLE_BYTE = ("cp1252", "mac_roman")


def single_byte_encoding(data: bytes) -> str:
    """Windows-1252 or Mac Roman, by what the bytes above 127 would become.

    Why by evidence: Excel for Mac's "CSV (Macintosh)" writes an apostrophe as
    byte 0xD5, which Windows-1252 reads as "Õ" ("IÕve been feeling useful"),
    so no SWEMWBS heading matched. Read each way, the right encoding gives
    quotes, dashes and accented small letters; the wrong one gives capitals
    with accents and control characters in the middle of words.
    """
    high = bytes(b for b in data if b > 127)
    if not high:
        return "cp1252"

    def score(encoding: str) -> int:
        total = 0
        for ch in high.decode(encoding, errors="replace"):
            if ch in _PUNCTUATION:
                total += 3
            elif ch in _ACCENTED:
                total += 1
            elif ch == "\ufffd" or ord(ch) < 160:
                total -= 5
            else:
                total -= 1
        return total

    return max(SINGLE_BYTE, key=lambda e: (score(e), e == "cp1252"))


def _sample_text(data: bytes) -> tuple[str, str]:
    """The first 64 KB as text, and the encoding the whole file probably has."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        return decode(data)
    chunk = data[:65536]
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        # final=False: a character cut at the end of the chunk is not an error.
        return decoder.decode(chunk, final=len(chunk) == len(data)), (
            "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
        )
    except UnicodeDecodeError:
        return chunk.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(sample: str) -> str:
    """Comma, semicolon or tab: csv.Sniffer on the first lines, checked by field counts.

    Excel in much of Europe saves "CSV" with semicolons; "Unicode text" uses
    tabs. The Sniffer alone can be fooled by commas inside quoted question text,
    so a guess is kept only when it splits the header into more than one field;
    otherwise the delimiter giving the most consistent field count wins.
    """
    lines = sample.splitlines(keepends=True)[:20]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # a line cut at the end of the sample
    head = "".join(lines)

    def fields(delimiter: str) -> list[int]:
        try:
            return [len(r) for r in csv.reader(io.StringIO(head), delimiter=delimiter)]
        except csv.Error:
            return [1]

    try:
        guess = csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
        counts = fields(guess)
        if counts and counts[0] > 1 and all(c in (counts[0], 1) for c in counts):
            return guess
    except csv.Error:
        pass
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t"):
        counts = [c for c in fields(delimiter) if c > 1] or [1]
        consistent = sum(c == counts[0] for c in counts)
        score = (consistent, counts[0]) if counts[0] > 1 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _grid_from_records(records: list[list[str]]) -> pd.DataFrame:
    width = max((len(r) for r in records), default=0)
    columns = {j: [] for j in range(width)}
    for record in records:
        for j in range(width):
            columns[j].append(record[j] if j < len(record) else "")
    return pd.DataFrame(columns, dtype=str)


def _read_csv_grid(data: bytes) -> tuple[pd.DataFrame, str, str, set[tuple[int, int]]]:
    """Every record of a CSV, header rows included, as text; encoding; delimiter.

    Fast path: Arrow's CSV parser with every column declared as a string (so it
    infers nothing). Files it cannot take whole (ragged rows, blank lines, bytes
    that are not UTF-8) go through Python's csv module, which keeps one record
    per spreadsheet row.
    """
    sample, encoding = _sample_text(data)
    delimiter = sniff_delimiter(sample)
    try:
        first = list(itertools.islice(csv.reader(io.StringIO(sample), delimiter=delimiter), 5))
    except csv.Error:
        first = []
    width = max((len(r) for r in first), default=1)
    if width > MAX_COLUMNS:
        # The sample may cut the header line short: count the whole first line.
        line = data[: data.find(b"\n") if b"\n" in data[: 1 << 24] else 1 << 24]
        text_line = line.decode("utf-8", errors="replace").lstrip("\ufeff")
        width = max(width, len(next(csv.reader([text_line], delimiter=delimiter), [])))
    _check_width(width)
    if encoding in ("utf-8", "utf-8-sig"):
        raw = data[3:] if encoding == "utf-8-sig" else data
        if raw.count(b'"') % 2:
            _check_quotes(raw.decode("utf-8", errors="replace"), delimiter)
        raw = data[3:] if encoding == "utf-8-sig" else data
        grid = _arrow_grid(raw, delimiter, width)
        if grid is not None:
            return grid, encoding, delimiter, set()
    text, encoding = decode(data)
    if text.count('"') % 2:
        _check_quotes(text, delimiter)
    if encoding in SINGLE_BYTE:
        grid = _arrow_grid(text.encode("utf-8"), delimiter, width)
        if grid is not None:
            return grid, encoding, delimiter, set()
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise RefusedFile(
            f"This CSV file could not be read ({exc}). Open it in Excel, save it again "
            "as CSV UTF-8 and upload that."
        ) from None
    _check_width(max((len(r) for r in records), default=0))
    bad: set[tuple[int, int]] = set()
    if "not readable" in encoding:
        records, bad = _mark_unreadable(records)
    return _grid_from_records(records), encoding, delimiter, bad


def _check_width(width: int) -> None:
    """Refuse more columns than any survey export of ours has, before building them."""
    if width > MAX_COLUMNS:
        raise RefusedFile(
            f"This file has {width:,} columns; we read at most {MAX_COLUMNS}, and a survey "
            "export of these questions has far fewer. Delete the columns you do not need "
            "(or export only the survey questions), save and upload again."
        )


def _check_quotes(text: str, delimiter: str) -> None:
    """Refuse a quote that is opened and never closed, naming the row it starts on.

    Why: a CSV reader takes everything after such a quote, to the end of the
    file, as one cell, so thousands of rows would vanish into it in silence.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" not in str(exc):
            return  # a stray quote inside a cell: the lenient reader copes
        raise RefusedFile(
            f"Row {start} of this file opens a quoted cell (a \" mark) that is never "
            "closed, so every row after it would be read as part of one cell. Open the "
            f"file, find the stray \" on row {start}, remove it (or close the quote), "
            "save and upload again."
        ) from None


def _arrow_grid(raw: bytes, delimiter: str, width: int) -> pd.DataFrame | None:
    names = [str(j) for j in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    grid = table.to_pandas()
    grid.columns = range(width)
    return grid


# ------------------------------------------------------------------- xlsx ---
def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _sheet_members(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, member path) for every sheet, in the workbook's order."""
    names = set(archive.namelist())
    out: list[tuple[str, str]] = []
    try:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        book = rels = b""
    targets: dict[bytes, str] = {}
    for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
        tag = rel.group(0)
        rid, target = re.search(rb'\bId="([^"]+)"', tag), re.search(rb'\bTarget="([^"]+)"', tag)
        if rid and target:
            path = target[1].decode(errors="replace").lstrip("/")
            targets[rid[1]] = path if path.startswith("xl/") else "xl/" + path
    for sheet in re.finditer(rb"<(?:\w+:)?sheet\b[^>]*>", book):
        tag = sheet.group(0)
        name, rid = re.search(rb'\bname="([^"]*)"', tag), re.search(rb'\br:id="([^"]+)"', tag)
        path = targets.get(rid[1]) if rid else None
        if name and path in names:
            out.append((name[1].decode("utf-8", errors="replace"), path))
    if not out:
        sheets = sorted(n for n in names if n.startswith("xl/worksheets/sheet"))
        out = [(n.rsplit("/", 1)[-1].removesuffix(".xml"), n) for n in sheets]
    return out


def _member_extent(archive: zipfile.ZipFile, name: str) -> tuple[int, int, int]:
    rows = columns = cells = 0
    with archive.open(name) as member:
        tail = b""
        while chunk := member.read(1 << 20):
            block = tail + chunk
            # Keep the unfinished end of the block: a tag may straddle chunks.
            cut = max(block.rfind(b"<"), 0)
            whole, tail = block[:cut], block[cut:]
            cells += len(_CELL_TAG.findall(whole))
            for m in _CELL_REF.finditer(whole):
                rows = max(rows, int(m[2]))
                columns = max(columns, _column_number(m[1]))
        cells += len(_CELL_TAG.findall(tail))
        for m in _CELL_REF.finditer(tail):
            rows, columns = max(rows, int(m[2])), max(columns, _column_number(m[1]))
    return rows, columns, cells


def xlsx_extent(data: bytes) -> tuple[int, int, int]:
    """Rows and columns the sheets' cells really reach, and how many cells they hold.

    Why before calamine: it allocates rows x columns of the range the cells
    span, so one cell at XFD1048576 in a 2 KB file asks for 17 billion cells.
    Each sheet's XML is streamed in chunks (never unpacked whole) and only the
    cell tags are looked at. Rows and columns are the largest of any sheet;
    cells and the area are summed over the sheets, since every sheet is read.
    """
    rows = columns = cells = area = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for _, name in _sheet_members(archive):
            r, c, n = _member_extent(archive, name)
            rows, columns, cells, area = max(rows, r), max(columns, c), cells + n, area + r * c
    return rows, columns, max(cells, area)


def _check_extent(data: bytes) -> None:
    try:
        rows, columns, cells = xlsx_extent(data)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib_error):
        raise _refuse_kind("badzip") from None
    far = f"{_letter(max(columns, 1) - 1)}{rows}"
    if columns > MAX_COLUMNS:
        raise RefusedFile(
            f"This Excel file has cells as far right as column {_letter(columns - 1)} "
            f"({columns:,} columns, cell {far}); we read at most {MAX_COLUMNS} columns, "
            "and a survey export of these questions has far fewer. Delete the columns "
            "you do not need (or clear stray cells far to the right), save and upload again."
        )
    if max(rows * columns, cells) > MAX_CELLS:
        raise RefusedFile(
            f"This Excel file's cells reach row {rows:,} and column {_letter(columns - 1)} "
            f"(cell {far}): {max(rows * columns, cells):,} cells, more than the "
            f"{MAX_CELLS:,} we read at once. Clear stray cells far below the answers, or "
            "split the file into smaller files (for example one per quarter), and upload each."
        )


def _read_xlsx_sheets(data: bytes, max_unzipped_mb: float) -> list[tuple[str, pd.DataFrame]]:
    """Every sheet's cells as text (dates as ISO), one record per sheet row, by sheet name."""
    from python_calamine import CalamineWorkbook

    _check_workbook(data, max_unzipped_mb)
    _check_extent(data)
    out = []
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            # skip_empty_area=False keeps leading blank rows: list index + 1 is the row.
            cells = sheet.to_python(skip_empty_area=False)
            out.append((name, _grid_from_records([[_cell_text(v) for v in row]
                                                  for row in cells])))
    except Exception as exc:  # calamine raises its own error types per failure
        raise RefusedFile(
            f"This Excel file could not be opened ({type(exc).__name__}). Open it in "
            "Excel, save it again as .xlsx or CSV and upload that."
        ) from None
    return out


# ---------------------------------------------------------------- layouts ---
def _detect(rows: list[list[str]], source: str) -> tuple[Layout, int]:
    """The export layout and how many header rows it has, from the first rows."""
    for layout in TOOLS:
        header_rows = layout.recognise(rows, source)
        if header_rows:
            return layout, header_rows
    return (plain.EXCEL if source == "xlsx" else plain.TEMPLATE), 1


def layout(code: str) -> Layout:
    """The layout with this code (for the date conventions the caller needs)."""
    return _BY_CODE[code]


# How far down a sheet the header is looked for (titles, notes, blank rows above it).
HEADER_SEARCH_ROWS = 30


@cache
def _tool_keys() -> frozenset[str]:
    keys: set[str] = set()
    for tool in TOOLS:
        keys |= tool.metadata | set(tool.completion)
    return frozenset(k for k in keys if len(k) > 2)


def _heading_texts(cell: str) -> list[str]:
    """What a heading cell may name a question by (the matching texts, roughly)."""
    text = cell.strip()
    out = [text, strip_notes(text)]
    if m := re.search(r"\[([^\]]+)\]\s*$", text):
        out.append(m[1])
    for separator in (" - ", ". ", ": "):
        if separator in text:
            out.append(text.rsplit(separator, 1)[1])
    return out


def _is_heading(cell: str) -> bool:
    if not cell.strip() or len(cell) > 400:
        return False
    if _key(cell) in _tool_keys():
        return True
    index = header_index()
    return any(normalise_header(t) in index for t in _heading_texts(cell))


def _score(row: list[str]) -> int:
    """How many cells of a row are headings we know (our questions, a tool's own columns)."""
    return sum(_is_heading(c) for c in row)


def _two_rows(top: list[str], sub: list[str]) -> tuple[list[str], list[tuple[str, ...]]]:
    """Headings from two rows: a stem (merged across its columns) over statements.

    A cell of the lower row is the heading, with the stem above it carried
    along for matching; where the lower row is blank, the upper one heads it.
    """
    headers: list[str] = []
    texts: list[tuple[str, ...]] = []
    stem = ""
    for upper, lower in zip(top, sub):
        upper, lower = upper.strip(), lower.strip()
        stem = upper if upper or not lower else stem
        if lower:
            headers.append(f"{stem} - {lower}" if stem and stem != lower else lower)
            texts.append((lower, f"{stem} - {lower}") if stem and stem != lower else (lower,))
        else:
            headers.append(upper)
            texts.append((upper,))
    return headers, texts


def _matched(texts: list[tuple[str, ...]]) -> int:
    return sum(any(_is_heading(t) for t in group) for group in texts)


@dataclass
class _Header:
    """Where the header is in a grid: its first row, how many rows, and the tool."""

    tool: Layout
    row: int  # index into the grid of the first header row
    rows: int
    headers: list[str] | None = None  # two-row headings built here (plain layouts)
    texts: list[tuple[str, ...]] | None = None
    score: int = 0
    skipped: int = 0  # rows with text above the header


def _find_header(grid: pd.DataFrame, used_rows: np.ndarray, used_columns: np.ndarray,
                 source: str) -> _Header:
    """The header wherever it is in the first rows: a tool's own, or the row of our headings.

    Why search: sheets typed from paper have a title, a note and a blank row
    above the header; some downloads put variable names over the labels, or a
    stem merged across the statements under it.
    """
    candidates = [int(r) for r in used_rows[:HEADER_SEARCH_ROWS]]

    def cells(r: int) -> list[str]:
        return [str(grid.iat[r, j]) for j in used_columns]

    for i, r in enumerate(candidates):
        rows = [list(grid.iloc[x]) for x in range(r, min(r + 3, len(grid)))]
        tool, header_rows = _detect(rows, source)
        if tool.code not in ("template", "excel"):
            return _Header(tool, r, header_rows, score=99, skipped=i)
        if i == 0 and _score(cells(r)) >= 3:
            break  # our headings on the first row: the common case, nothing to search
    fallback = plain.EXCEL if source == "xlsx" else plain.TEMPLATE
    scores = [_score(cells(r)) for r in candidates]
    best = int(np.argmax(scores)) if scores else 0
    if not scores or scores[best] == 0:
        return _Header(fallback, candidates[0] if candidates else 0, 1)
    r = candidates[best]
    found = _Header(fallback, r, 1, score=scores[best], skipped=best)
    # Two header rows: the row above or below adds headings the best row lacks.
    for top, sub in ((r - 1, r), (r, r + 1)):
        if top < 0 or sub >= len(grid) or top not in candidates or sub not in candidates:
            continue
        if top == r - 1 and best == 0:
            continue
        headers, texts = _two_rows(cells(top), cells(sub))
        score = _matched(texts)
        if score > found.score and score > _score(cells(top)) and score > _score(cells(sub)):
            found = _Header(fallback, top, 2, headers, texts, score,
                            candidates.index(top))
    return found


def _where(header: _Header, grid_start: int, parsed_rows: int) -> str:
    """Where the header was found, in the user's row numbers (for the preview)."""
    first = header.row + 1
    if header.rows == 2:
        where = f"rows {first} and {first + 1} (two header rows read as one)"
    else:
        where = f"row {first}"
    above = ""
    if header.skipped:
        above = (f"; {'the row' if header.skipped == 1 else f'the {header.skipped} rows'} "
                 "with text above it (a title or notes) were not read as answers")
    return f"Headings found on {where}{above}."


def _parse_grid(
    grid: pd.DataFrame, source: str, *, encoding: str | None = None,
    delimiter: str | None = None, bad_cells: set[tuple[int, int]] | None = None,
) -> ParsedExport:
    """One grid of text cells (a CSV, or one sheet) read as an export: header, rows, layout."""
    bad_cells = bad_cells or set()
    # A cell counts when it has more than spaces (isspace is False for "").
    filled = (grid.ne("") & ~grid.apply(lambda s: s.str.isspace())).to_numpy()
    used_rows = np.flatnonzero(filled.any(axis=1))
    if len(used_rows) == 0:
        raise RefusedFile(
            "This file has no text in it. Export the survey results again (CSV or "
            "Excel) and upload the new file."
        )
    # Drop columns with nothing in any row (Excel's trailing empty columns).
    used_columns = np.flatnonzero(filled[used_rows[0]:].any(axis=0))
    found = _find_header(grid, used_rows, used_columns, source)
    tool, start, header_rows = found.tool, found.row, found.rows
    if found.headers is not None:
        headers, texts = found.headers, found.texts
    else:
        header = [list(grid.iloc[r]) for r in range(start, start + header_rows)]
        header = [[row[j] for j in used_columns] for row in header]
        headers, texts = tool.columns(header)
    body = filled[start + header_rows :][:, used_columns].any(axis=1)
    keep = np.flatnonzero(body) + start + header_rows
    if len(keep) == 0:
        raise RefusedFile(
            "This file has column headings but no answers under them. Check you "
            "exported the responses (not just the questions) and upload again."
        )
    # A slice, not a list, when nothing is left out between the first and last row or
    # column (the usual file): no copy of every cell (0.3 s of CPU at 100,000 rows).
    whole_rows = keep[-1] - keep[0] + 1 == len(keep)
    whole_columns = used_columns[-1] - used_columns[0] + 1 == len(used_columns)
    rows = grid.iloc[
        slice(keep[0], keep[-1] + 1) if whole_rows else keep,
        slice(used_columns[0], used_columns[-1] + 1) if whole_columns else used_columns,
    ]
    rows.columns = range(len(used_columns))
    rows = rows.reset_index(drop=True)
    metadata = [tool.is_metadata(_key(h)) or tool.is_metadata(_key(t[-1]))
                for h, t in zip(headers, texts)]
    keys = [_key(t[-1]) for t in texts]
    completion = next((keys.index(k) for k in tool.completion if k in keys), None)
    reference = next((keys.index(k) for k in tool.reference if k in keys), None)
    positions = {int(r): i for i, r in enumerate(keep)}
    unreadable = sorted((positions[r], int(np.searchsorted(used_columns, c)))
                        for r, c in bad_cells if r in positions and c in set(used_columns))
    return ParsedExport(
        layout=tool.code,
        headers=[
            h if h else f"(column {_letter(int(used_columns[j]))}, no heading)"
            for j, h in enumerate(headers)
        ],
        rows=rows,
        row_numbers=keep + 1,
        match_texts=texts,
        metadata=metadata,
        completion_column=completion,
        date_order_hint=tool.date_hint,
        source=source,
        letters=[_letter(int(j)) for j in used_columns],
        header_rows=header_rows,
        encoding=encoding,
        delimiter=delimiter,
        unreadable=unreadable,
        tool_set_aside=tool.tool_set_aside(headers, texts, rows),
        reference_column=reference,
        submission_order=tool.submission_order,
        header_row=start + 1,
        header_score=found.score,
        notes=[_where(found, start, len(rows))] if (found.skipped or header_rows == 2)
        and tool.code in ("template", "excel") else [],
    )


def _one_workbook(sheets: list[tuple[str, pd.DataFrame]], sheet: str | None) -> ParsedExport:
    """Every sheet that holds answers under the same header, read as one file.

    Sheets that are not data (instructions, lists of answers) are skipped; when
    sheets of answers have different headers, the user is asked which to read.
    """
    read: list[tuple[str, ParsedExport]] = []
    skipped: list[str] = []
    first_refusal: RefusedFile | None = None
    for name, grid in sheets:
        try:
            parsed = _parse_grid(grid, "xlsx")
        except RefusedFile as exc:
            first_refusal = first_refusal or exc
            skipped.append(name)
            continue
        if parsed.header_score >= 2 and _holds_dates(parsed):
            read.append((name, parsed))
        else:
            skipped.append(name)
    if not read:
        # Nothing looks like our answers: read the first sheet with text, as before,
        # so the mapping says what is wrong with it.
        for _name, grid in sheets:
            try:
                return _parse_grid(grid, "xlsx")
            except RefusedFile as exc:
                first_refusal = first_refusal or exc
        raise first_refusal or RefusedFile("This Excel file has no text in it.")
    if sheet is not None:
        chosen = [(n, p) for n, p in read if n == sheet]
        if not chosen:
            names = ", ".join(f"'{n}'" for n, _ in read)
            raise RefusedFile(f"This workbook has no sheet of answers called '{sheet}': "
                              f"its sheets of answers are {names}.")
        template = chosen[0][1]
    else:
        template = read[0][1]

    def shape(p: ParsedExport) -> tuple[str, ...]:
        return tuple(normalise_header(h) for h in p.headers)

    same = [(n, p) for n, p in read if shape(p) == shape(template) and p.layout == template.layout]
    others = [n for n, p in read if (n, p) not in same]
    if others and sheet is None:
        listed = "; ".join(
            f"'{n}' ({len(p.headers)} columns, {len(p.rows):,} rows)" for n, p in read)
        raise RefusedFile(
            "This workbook has answers on sheets with different columns, so we do not "
            f"know which to read: {listed}. Pick the sheet on the Upload page (or on the "
            "command line save each sheet as its own file), and upload each.",
            sheets=[n for n, _ in read],
        )
    if len(same) == 1 and len(sheets) == 1:
        return template
    merged = _merge(same) if len(same) > 1 else template
    names = ", ".join(f"'{n}'" for n, _ in same)
    note = (f"Read {len(same)} sheets with the same headings as one file: {names}."
            if len(same) > 1 else f"Read the sheet {names}.")
    if skipped:
        note += " Not read (no survey headings on them): " + ", ".join(
            f"'{n}'" for n in skipped) + "."
    if others:
        note += " Not read (other columns): " + ", ".join(f"'{n}'" for n in others) + "."
    merged.notes = [*template.notes, note]
    merged.sheets = [n for n, _ in same]
    return merged


_DATE_LIKE = re.compile(r"^\s*(?:\d|[A-Za-z]{3,9},?\s+\d)")


def _holds_dates(parsed: ParsedExport) -> bool:
    """False for a sheet of lists under our headings (the template's "Answers" sheet).

    Why: a sheet listing the allowed answers has our headings too, but no row
    of it is a response: its date column holds a hint ("A date, like ..."),
    never a date. A sheet without a date column cannot be told, so it counts.
    """
    index = header_index()
    j = parsed.completion_column
    if j is None:
        j = next((k for k, h in enumerate(parsed.headers)
                  if index.get(normalise_header(strip_notes(h))) == "completed_on"), None)
    if j is None:
        return True
    return bool(parsed.rows[j].str.match(_DATE_LIKE).any())


def _merge(parts: list[tuple[str, ParsedExport]]) -> ParsedExport:
    """Sheets with the same header as one export; each row keeps its sheet and row number."""
    first = parts[0][1]
    offsets = np.cumsum([0] + [len(p.rows) for _, p in parts])
    rows = pd.concat([p.rows for _, p in parts], ignore_index=True)
    set_aside = [(int(pos + offsets[k]), col, why)
                 for k, (_, p) in enumerate(parts) for pos, col, why in p.tool_set_aside]
    return ParsedExport(
        layout=first.layout, headers=first.headers, rows=rows,
        row_numbers=np.concatenate([p.row_numbers for _, p in parts]),
        match_texts=first.match_texts, metadata=first.metadata,
        completion_column=first.completion_column, date_order_hint=first.date_order_hint,
        source="xlsx", letters=first.letters, header_rows=first.header_rows,
        tool_set_aside=set_aside, reference_column=first.reference_column,
        submission_order=False,  # sheets one after another are no one submission order
        header_row=first.header_row, header_score=first.header_score,
        row_sheets=np.concatenate([[n] * len(p.rows) for n, p in parts]).astype(object),
    )


def read_export(
    data: bytes,
    file_name: str = "upload",
    *,
    max_upload_mb: float | None = None,
    max_unzipped_mb: float | None = None,
    sheet: str | None = None,
) -> ParsedExport:
    """Read any supported export into text cells, or raise :class:`RefusedFile`.

    The file's content decides how it is read, not its name: a renamed PDF is
    still refused and an xlsx called ``.csv`` is still read as a workbook.
    ``sheet`` names the workbook sheet to read when sheets of answers differ.
    """
    upload_limit, unzip_limit = _limits(max_upload_mb, max_unzipped_mb)
    check_size(len(data), upload_limit)
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise RefusedFile(
            "This file is empty. Export the survey results again (CSV or Excel) and "
            "upload the new file."
        )
    kind = sniff_kind(data)
    if kind == "zip":
        return _one_workbook(_read_xlsx_sheets(data, unzip_limit), sheet)
    if kind != "text":
        raise _refuse_kind(kind)
    grid, encoding, delimiter, bad_cells = _read_csv_grid(data)
    return _parse_grid(grid, "csv", encoding=encoding, delimiter=delimiter, bad_cells=bad_cells)


def _mark_unreadable(
    records: list[list[str]],
) -> tuple[list[list[str]], set[tuple[int, int]]]:
    """Cells holding bytes that were not UTF-8: shown as Windows-1252, their places noted.

    """
    bad: set[tuple[int, int]] = set()

    def show(text: str) -> str:
        return _NOT_TEXT.sub(lambda m: bytes([ord(m[0]) - 0xDC00]).decode("cp1252", "replace"),
                             text)

    out = []
    for i, record in enumerate(records):
        if any(_NOT_TEXT.search(c) for c in record):
            fixed = []
            for j, c in enumerate(record):
                if _NOT_TEXT.search(c):
                    bad.add((i, j))
                    c = show(c)
                fixed.append(c)
            record = fixed
        out.append(record)
    return out, bad


def _letter(index: int) -> str:
    """Spreadsheet column letter: 0 -> A, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


column_letter = _letter
