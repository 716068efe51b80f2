"""Our own template, or any sheet with one header row (the layout when no tool is recognised)."""

from __future__ import annotations

from kpi.readers.base import Layout

TEMPLATE = Layout("template", "a CSV file with one header row")
EXCEL = Layout("excel", "an Excel workbook with one header row")
