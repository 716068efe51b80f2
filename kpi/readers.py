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
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kpi import errors
from kpi.items import bank

# Layout code -> how we name it to the user.
LAYOUTS = {
    "template": "a CSV file with one header row",
    "google_forms": "a Google Forms export",
    "microsoft_forms": "a Microsoft Forms export",
    "surveymonkey": "a SurveyMonkey export",
    "qualtrics": "a Qualtrics export",
    "smartsurvey": "a SmartSurvey export",
    "excel": "an Excel workbook with one header row",
}

# Columns we add to the rows we hand back to fix; ignored when re-uploaded.
ROW_COLUMN = "Row in your file"
WHY_COLUMN = "Why set aside"


def _key(text: object) -> str:
    """A metadata header as we compare it: letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


# Each survey tool's own columns (keys as :func:`_key` makes them). They are
# the tool's bookkeeping, never survey answers: ignored, never "not recognised".
_OURS = {_key(ROW_COLUMN), _key(WHY_COLUMN)}
_METADATA = {
    "google_forms": {"timestamp", "emailaddress", "score", "username"},
    "microsoft_forms": {
        "id", "starttime", "completiontime", "email", "name", "lastmodifiedtime",
        "totalpoints", "quizfeedback", "gradepostedtolearners", "gradetime",
    },
    "surveymonkey": {
        "respondentid", "collectorid", "startdate", "enddate", "ipaddress",
        "emailaddress", "firstname", "lastname",
    },
    "qualtrics": {
        "startdate", "enddate", "status", "ipaddress", "progress", "durationinseconds",
        "finished", "recordeddate", "responseid", "recipientlastname",
        "recipientfirstname", "recipientemail", "externalreference",
        "externaldatareference", "locationlatitude", "locationlongitude",
        "distributionchannel", "userlanguage",
    },
    "smartsurvey": {"userid", "started", "ended", "ipaddress", "uniqueid", "trackinglink"},
}
_CUSTOM_DATA = re.compile(r"^customdata\d+$")
# The tool's own "when was this completed" column, best first.
_COMPLETION = {
    "google_forms": ("timestamp",),
    "microsoft_forms": ("completiontime",),
    "surveymonkey": ("enddate",),
    "qualtrics": ("recordeddate", "enddate"),
    "smartsurvey": ("ended",),
}
# How each tool writes its completion timestamp when it is ambiguous.
# SurveyMonkey and Microsoft Forms default to US month-first; proof in the
# values themselves (a first field above 12) still wins, see kpi.ingest.
_DATE_HINT = {"surveymonkey": "month_first", "microsoft_forms": "month_first"}
# SurveyMonkey's second header row under a single (non-matrix) question.
_SM_SINGLE = {"response", "openendedresponse", ""}


class RefusedFile(errors.RefusedFile):
    """The whole file cannot be read; the message says what to do instead."""


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

    @property
    def layout_name(self) -> str:
        return LAYOUTS.get(self.layout, self.layout)

    @property
    def completion_header(self) -> str | None:
        return None if self.completion_column is None else self.headers[self.completion_column]


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
def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-16 by BOM, else UTF-8 (BOM or not), else Windows-1252.

    Excel's "Save as CSV" writes Windows-1252 on Windows ("£", "é", curly
    apostrophes as single bytes); those bytes are rarely valid UTF-8, so trying
    UTF-8 first and falling back is safe.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _sample_text(data: bytes) -> tuple[str, str]:
    """The first 64 KB as text, and the encoding the whole file probably has."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
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


def _read_csv_grid(data: bytes) -> tuple[pd.DataFrame, str, str]:
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
    if encoding in ("utf-8", "utf-8-sig"):
        raw = data[3:] if encoding == "utf-8-sig" else data
        grid = _arrow_grid(raw, delimiter, width)
        if grid is not None:
            return grid, encoding, delimiter
    text, encoding = decode(data)
    if encoding == "cp1252":
        grid = _arrow_grid(text.encode("utf-8"), delimiter, width)
        if grid is not None:
            return grid, encoding, delimiter
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise RefusedFile(
            f"This CSV file could not be read ({exc}). Open it in Excel, save it again "
            "as CSV UTF-8 and upload that."
        ) from None
    return _grid_from_records(records), encoding, delimiter


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


def _read_xlsx_grid(data: bytes, max_unzipped_mb: float) -> pd.DataFrame:
    """The first sheet's cells as text (dates as ISO), one record per sheet row."""
    from python_calamine import CalamineWorkbook

    _check_workbook(data, max_unzipped_mb)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        # skip_empty_area=False keeps leading blank rows: list index + 1 is the row.
        cells = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types per failure
        raise RefusedFile(
            f"This Excel file could not be opened ({type(exc).__name__}). Open it in "
            "Excel, save it again as .xlsx or CSV and upload that."
        ) from None
    return _grid_from_records([[_cell_text(v) for v in row] for row in cells])


# ---------------------------------------------------------------- layouts ---
def _detect(rows: list[list[str]], source: str) -> tuple[str, int]:
    """The export layout and how many header rows it has, from the first rows."""
    keys0 = {_key(c) for c in rows[0]}
    position = {_key(c): j for j, c in reversed(list(enumerate(rows[0])))}

    def cell(r: int, key: str) -> str | None:
        if r >= len(rows) or key not in position:
            return None
        return rows[r][position[key]]

    if {"responseid", "startdate"} <= keys0 or {"responseid", "recordeddate"} <= keys0:
        header_rows = 1
        for r in (1, 2):
            below = cell(r, "responseid")
            import_id = r < len(rows) and any(c.startswith('{"ImportId"') for c in rows[r])
            if import_id or (below is not None and _key(below) == "responseid"):
                header_rows = r + 1
            else:
                break
        return "qualtrics", header_rows
    if {"respondentid", "collectorid"} <= keys0:
        # The second header row is blank under the tool's own columns.
        return "surveymonkey", 2 if cell(1, "respondentid") == "" else 1
    first = next((c for c in rows[0] if c.strip() and _key(c) not in _OURS), "")
    if _key(first) == "timestamp":
        return "google_forms", 1
    if {"id", "starttime", "completiontime"} <= keys0:
        return "microsoft_forms", 1
    if {"userid", "started", "ended"} <= keys0:
        return "smartsurvey", 1
    return ("excel" if source == "xlsx" else "template"), 1


def _is_metadata(layout: str, key: str) -> bool:
    if key in _OURS:
        return True
    known = _METADATA.get(layout, set())
    return key in known or (layout == "surveymonkey" and bool(_CUSTOM_DATA.match(key)))


def _columns(layout: str, header: list[list[str]]) -> tuple[list[str], list[tuple[str, ...]]]:
    """Display header and texts to match, per column, from the header rows."""
    row0 = [c.strip() for c in header[0]]
    if layout == "surveymonkey" and len(header) > 1:
        row1 = [c.strip() for c in header[1]]
        headers, texts, stem = [], [], ""
        for top, sub in zip(row0, row1):
            # A matrix question's stem is written once, over blank cells.
            stem = top if top or not sub else stem
            if _key(sub) in _SM_SINGLE:
                headers.append(stem)
                texts.append((stem,))
            else:
                headers.append(f"{stem} - {sub}" if stem else sub)
                texts.append((sub, f"{stem} - {sub}"))
        return headers, texts
    if layout == "qualtrics" and len(header) > 1:
        row1 = [c.strip() for c in header[1]]
        headers, texts = [], []
        for name, question in zip(row0, row1):
            if _is_metadata(layout, _key(name)) or not question:
                headers.append(name)
                texts.append((name,))
            else:
                headers.append(question)
                texts.append((question, name))
        return headers, texts
    return row0, [(c,) for c in row0]


def read_export(
    data: bytes,
    file_name: str = "upload",
    *,
    max_upload_mb: float | None = None,
    max_unzipped_mb: float | None = None,
) -> ParsedExport:
    """Read any supported export into text cells, or raise :class:`RefusedFile`.

    The file's content decides how it is read, not its name: a renamed PDF is
    still refused and an xlsx called ``.csv`` is still read as a workbook.
    """
    upload_limit, unzip_limit = _limits(max_upload_mb, max_unzipped_mb)
    check_size(len(data), upload_limit)
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise RefusedFile(
            "This file is empty. Export the survey results again (CSV or Excel) and "
            "upload the new file."
        )
    kind = sniff_kind(data)
    encoding = delimiter = None
    if kind == "zip":
        grid, source = _read_xlsx_grid(data, unzip_limit), "xlsx"
    elif kind == "text":
        (grid, encoding, delimiter), source = _read_csv_grid(data), "csv"
    else:
        raise _refuse_kind(kind)

    # A cell counts when it has more than spaces (isspace is False for "").
    filled = (grid.ne("") & ~grid.apply(lambda s: s.str.isspace())).to_numpy()
    used_rows = np.flatnonzero(filled.any(axis=1))
    if len(used_rows) == 0:
        raise RefusedFile(
            "This file has no text in it. Export the survey results again (CSV or "
            "Excel) and upload the new file."
        )
    start = int(used_rows[0])
    first_rows = [list(grid.iloc[r]) for r in range(start, min(start + 3, len(grid)))]
    layout, header_rows = _detect(first_rows, source)
    header = first_rows[:header_rows]
    # Drop columns with nothing in any row (Excel's trailing empty columns).
    used_columns = np.flatnonzero(filled[start:].any(axis=0))
    header = [[row[j] for j in used_columns] for row in header]
    headers, texts = _columns(layout, header)
    body = filled[start + header_rows :][:, used_columns].any(axis=1)
    keep = np.flatnonzero(body) + start + header_rows
    if len(keep) == 0:
        raise RefusedFile(
            "This file has column headings but no answers under them. Check you "
            "exported the responses (not just the questions) and upload again."
        )
    rows = grid.iloc[keep, used_columns]
    rows.columns = range(len(used_columns))
    rows = rows.reset_index(drop=True)
    metadata = [_is_metadata(layout, _key(h)) or _is_metadata(layout, _key(t[-1]))
                for h, t in zip(headers, texts)]
    completion = None
    keys = [_key(t[-1]) if layout == "qualtrics" else _key(h) for h, t in zip(headers, texts)]
    for wanted in _COMPLETION.get(layout, ()):
        if wanted in keys:
            completion = keys.index(wanted)
            break
    return ParsedExport(
        layout=layout,
        headers=[
            h if h else f"(column {_letter(int(used_columns[j]))}, no heading)"
            for j, h in enumerate(headers)
        ],
        rows=rows,
        row_numbers=keep + 1,
        match_texts=texts,
        metadata=metadata,
        completion_column=completion,
        date_order_hint=_DATE_HINT.get(layout),
        source=source,
        letters=[_letter(int(j)) for j in used_columns],
        header_rows=header_rows,
        encoding=encoding,
        delimiter=delimiter,
    )


def _letter(index: int) -> str:
    """Spreadsheet column letter: 0 -> A, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


column_letter = _letter
