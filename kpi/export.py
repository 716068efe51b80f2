"""Exports that are safe to open in a spreadsheet.

A cell starting with = + - @ (or tab / carriage return) is read as a formula by
Excel, LibreOffice and Sheets (OWASP "CSV Injection"), so such text cells are
prefixed with a single quote. Numbers are left alone: a negative change stays
a number.
"""

from __future__ import annotations

import io

import pandas as pd

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and header) neutralised."""
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out


def safe_csv(frame: pd.DataFrame) -> str:
    """CSV text of ``frame``, formula-injection safe."""
    buffer = io.StringIO()
    safe_frame(frame).to_csv(buffer, index=False)
    return buffer.getvalue()
