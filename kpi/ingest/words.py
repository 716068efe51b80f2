"""The Upload page's words and tables: how a file was read, what each column became,
the problems row by row, the upload log and the rows set aside.

Why in ``kpi``: these decide what a scheme worker is told about their upload (a
column "Not recognised", a row "set aside", an upload "Rolled back"); built here
they are tested without a page and the command line can say the same. No
streamlit: a function of the engine's results and the bank.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from kpi import readers
from kpi.errors import StoreBusy, StoreMissing
from kpi.ingest.result import ColumnMatch, IngestResult, Problem, plural
from kpi.items import bank
from kpi.privacy import SecretError

__all__ = [
    "HISTORY_KINDS",
    "HISTORY_STATUS",
    "IGNORE",
    "NOT_MAPPED",
    "STATUS_WORDS",
    "format_target",
    "history_frame",
    "layout_words",
    "mapping_frame",
    "plural",
    "problems_frame",
    "refusal_words",
    "set_aside_rows",
    "stored_headline",
    "target_options",
    "target_words",
    "upload_choices",
]

# Select-box values for a column mapped by hand that are not codes.
NOT_MAPPED = "\x00not mapped"
IGNORE = ""

STATUS_WORDS = {
    "matched": "✓ Recognised",
    "not recognised": "✗ Not recognised: map it below, or leave it out",
    "ignored (tool metadata)": "– Left out: the survey tool's own column",
    "ignored": "– Left out (your choice)",
    "ignored (duplicate)": "– Left out: another column gives the same answer",
    "read with another column": "✓ Read with the column of the same heading",
    "repeated heading, answers differ": "✗ Same heading, different answers: map it below",
}
HISTORY_KINDS = {"survey": "Survey", "activity": "Activity return", "demo": "Demo data",
                 "round": "Survey round (online and paper)"}
HISTORY_STATUS = {"stored": "Stored", "rolled_back": "Rolled back"}


def layout_words(layout: object) -> str:
    """"a Google Forms export" -> "Google Forms export": how the file was read; ""
    when the log has none (a missing layout reads back from the store as NaN)."""
    key = layout if isinstance(layout, str) else ""
    words = readers.LAYOUTS.get(key, key)
    for article in ("a ", "an "):
        if words.startswith(article):
            return words[len(article) :]
    return words


def target_words(code: str | None) -> str:
    """What a code means to a scheme worker: the question or the column heading."""
    if not code:
        return ""
    b = bank()
    if code in b.item_codes:
        return b.item(code).text
    if code in b.attribute_codes:
        return b.attribute(code).header
    return dict(b.activity_columns).get(code, code)


def target_options(kind: str) -> list[str]:
    """Codes a column may be mapped to by hand: attributes then items, or activity columns."""
    b = bank()
    if kind == "activity":
        return [code for code, _ in b.activity_columns]
    return [*b.attribute_codes, *b.item_codes]


def format_target(value: str) -> str:
    """A hand-mapping choice in words: the question or heading and its code."""
    if value == NOT_MAPPED:
        return "Not chosen (left out)"
    if value == IGNORE:
        return "Ignore this column (not survey answers)"
    return f"{target_words(value)} [{value}]"


def stored_headline(result: IngestResult) -> str:
    """'12 responses stored': the words the browser test and the worker look for."""
    if result.kind == "activity":
        return f"{plural(result.accepted, 'activity return')} stored"
    return f"{plural(result.accepted, 'response')} stored"


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Every problem, one line each, by row and column as the user's spreadsheet has them."""
    return pd.DataFrame(
        {
            "Row": pd.array([p.row for p in problems], dtype="Int64"),
            "Column": [p.column or "(whole row)" for p in problems],
            "Problem": [p.reason for p in problems],
        }
    )


def mapping_frame(columns: list[ColumnMatch]) -> pd.DataFrame:
    """The file's columns: heading, what we read it as, and how we knew."""

    def status(m: ColumnMatch) -> str:
        words = STATUS_WORDS.get(m.status, m.status)
        shown = m.how and m.status in ("matched", "ignored (duplicate)",
                                       "read with another column",
                                       "repeated heading, answers differ")
        return f"{words} ({m.how})" if shown else words

    return pd.DataFrame(
        {
            "Column": [m.letter for m in columns],
            "Heading in your file": [m.header for m in columns],
            "Read as": [target_words(m.code) for m in columns],
            "Status": [status(m) for m in columns],
            "Code": [m.code or "" for m in columns],
            "What it became": [m.became for m in columns],
            "Stored as (first three values)": ["; ".join(m.examples) for m in columns],
        }
    )


def history_frame(uploads: pd.DataFrame) -> pd.DataFrame:
    """The upload log as a scheme worker reads it."""
    return pd.DataFrame(
        {
            "Upload": uploads["upload_id"].astype(int),
            "When": pd.to_datetime(uploads["uploaded_at"]).dt.strftime("%d %b %Y %H:%M"),
            "Scheme": uploads["scheme_name"].fillna(uploads["scheme_id"]).fillna("All schemes"),
            "Kind": uploads["kind"].map(HISTORY_KINDS).fillna(uploads["kind"]),
            "File": uploads["file_name"],
            "Read as": uploads["layout"].map(layout_words),
            "Rows read": uploads["rows_read"].astype(int),
            "Stored": uploads["accepted"].astype(int),
            "Set aside": uploads["rejected"].astype(int),
            "Duplicates": uploads["duplicates"].astype(int),
            "Corrections": uploads["corrected"].astype(int),
            # Rows gone since: erased at a person's request, removed by the retention rule.
            "Erased on request": _count(uploads, "erased"),
            "Removed (retention)": _count(uploads, "expired"),
            "Status": uploads["status"].map(HISTORY_STATUS).fillna(uploads["status"]),
            "By": uploads["uploaded_by"],
            "Rolled back by": uploads.get("rolled_back_by"),
            "Note": uploads["note"].where(uploads["kind"] != "demo", "Synthetic demo sector"),
        }
    )


def _count(uploads: pd.DataFrame, column: str) -> pd.Series:
    """A count column of the upload log, 0 where a store from before it has none."""
    if column not in uploads:
        return pd.Series(0, index=uploads.index, dtype=int)
    return uploads[column].fillna(0).astype(int)


def set_aside_rows(records: pd.DataFrame) -> pd.DataFrame:
    """Stored set-aside records as one line per row: the cells we kept and every reason.

    The person's reference is never stored, so it is not here: the worker adds
    it back from their own file before uploading again.
    """
    if records.empty:
        return pd.DataFrame()
    lines = []
    for number, group in records.groupby("row_number", sort=True):
        values = group["row_values"].dropna()
        cells = json.loads(values.iloc[0]) if len(values) else {}
        reasons = "; ".join(
            f"{col}: {why}" if isinstance(col, str) and col else why
            for col, why in zip(group["column_name"], group["reason"])
        )
        lines.append({readers.ROW_COLUMN: int(number), **cells, readers.WHY_COLUMN: reasons})
    return pd.DataFrame(lines)


def upload_choices(uploads: pd.DataFrame) -> tuple[bool, dict[int, str], dict[int, str]]:
    """From the upload log: whether anything was uploaded; the uploads with rows set
    aside, and those an administrator may roll back (stored, not demo data), as
    select-box labels."""
    with_problems = uploads[(uploads["rejected"] > 0) & (uploads["status"] == "stored")]
    set_aside = {
        int(r.upload_id): f"Upload {int(r.upload_id)}: {r.file_name} "
        f"({plural(int(r.rejected), 'row')} set aside)"
        for r in with_problems.itertuples()
    }
    stored = uploads[(uploads["status"] == "stored") & (uploads["kind"] != "demo")]
    rollback = {
        int(r.upload_id): f"Upload {int(r.upload_id)}: {r.file_name} for "
        f"{r.scheme_name if isinstance(r.scheme_name, str) else 'several schemes'}, "
        f"{pd.Timestamp(r.uploaded_at):%d %b %Y %H:%M} ({plural(int(r.accepted), 'row')} "
        "stored)"
        for r in stored.itertuples()
    }
    return not uploads.empty, set_aside, rollback


def refusal_words(exc: Exception, admin: bool, db_path: Path) -> str:
    """The words to show for a refusal: the engine's own to an administrator; to anyone
    else, what to do, without the server's file paths (the store's at ``db_path``,
    the secret's).
    Why: the engine's messages name where the store and the secret are, which the
    administrator needs and scheme staff must not see; staff can only ask.
    """
    message = str(exc)
    if admin:
        return message
    if isinstance(exc, SecretError):
        return (
            "Uploads cannot be stored just now: the dashboard's pseudonymisation key needs "
            "your administrator's attention. Ask them to look at it (say when you tried); "
            "nothing was stored. Keep your file and upload it again once they have."
        )
    if isinstance(exc, StoreBusy):
        return "The dashboard is busy storing something else. Try again in a minute: nothing " \
            "was stored."
    if isinstance(exc, StoreMissing):
        return "The dashboard has no data store yet: ask your administrator. Nothing was stored."
    folder = str(db_path.resolve().parent)
    if folder in message or str(db_path) in message:
        return (
            "This upload could not be stored because of a problem on the server: ask your "
            "administrator. Nothing was stored."
        )
    return message
