"""Upload survey exports, quarterly activity returns and the scheme register.

A file is stored in one transaction or not at all. Rows with problems
are set aside with their row number, column and a reason, and the rest are
stored; a file that cannot be used at all is refused with a message that says
what to do. :func:`preview` runs exactly the same steps and rolls the
transaction back, so the Upload page shows the counts the upload will give.

Why vectorised: a big export has 100,000 rows x 40 columns but only a handful of
distinct answers per column, so each column is factorised and every distinct
label is mapped once (and every distinct reference hashed once).

The steps, one module each, in the order a file goes through them (after
``kpi.readers`` has turned its bytes into text cells):

* ``mapping``: which column is which (headings, a scheme's saved mapping);
* ``dates`` and ``values``: dates and answers in words read as stored codes;
* ``validation``: every row checked, bad cells set aside with a reason;
* ``upload``: the transaction that stores it (``kpi.store`` writes the rows);
* ``result``: what comes back (counts, problems, each column's reading);
* ``register``: the scheme register, loaded the same way.
"""

from __future__ import annotations

from kpi.ingest import answers
from kpi.ingest.dates import DATE_ORDERS, DateParse, date_examples, dates_key, parse_date_values
from kpi.ingest.mapping import match_columns, unmatched_questions
from kpi.ingest.register import load_schemes
from kpi.ingest.result import ColumnMatch, IngestResult, Preview, Problem, SchemeLoadResult
from kpi.ingest.upload import ingest_bytes, ingest_path, preview
from kpi.ingest.values import attribute_value, item_value

__all__ = [
    "DATE_ORDERS",
    "ColumnMatch",
    "DateParse",
    "IngestResult",
    "Preview",
    "Problem",
    "SchemeLoadResult",
    "answers",
    "attribute_value",
    "date_examples",
    "dates_key",
    "ingest_bytes",
    "ingest_path",
    "item_value",
    "load_schemes",
    "match_columns",
    "parse_date_values",
    "preview",
    "unmatched_questions",
]
