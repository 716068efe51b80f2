"""Upload templates generated from the item bank, so they can never drift from it.

The survey template's headers are the bank's header texts (attributes first,
then every item in bank order); ingest matches exactly those texts, and the
answers it accepts are the labels listed on the xlsx's "Answers" sheet.
"""

from __future__ import annotations

import csv
import io

from kpi.items import bank

# Rows of the xlsx that get drop-down lists (Excel applies validation per range).
_VALIDATED_ROWS = 2000


def survey_columns() -> list[tuple[str, str]]:
    """(code, header text) of every survey template column, in template order."""
    b = bank()
    return [(a.code, a.header) for a in b.attributes] + [(i.code, i.text) for i in b.items]


def allowed_answers(code: str) -> list[str]:
    """The labels a column accepts, as the template lists them ([] for free text)."""
    b = bank()
    if code in b.attribute_codes:
        return [label for _, label in b.attribute(code).labels]
    scale = b.item(code).scale
    if scale.labelled:
        return [label for _, label in scale.values] + ["Don't know"]
    named = dict(scale.values)
    return [
        f"{v} ({named[v]})" if v in named else str(v) for v in range(scale.min, scale.max + 1)
    ] if scale.max - scale.min <= 10 else []


def _csv_bytes(headers: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(headers)
    # UTF-8 with a byte-order mark: Excel then shows accents and quotes correctly.
    return buffer.getvalue().encode("utf-8-sig")


def survey_template_csv() -> bytes:
    """The survey template as CSV: one header row, ready to fill in."""
    return _csv_bytes([header for _, header in survey_columns()])


def activity_template_csv() -> bytes:
    """The quarterly activity return template as CSV: one header row."""
    return _csv_bytes([header for _, header in bank().activity_columns])


def survey_template_xlsx() -> bytes:
    """The survey template as an Excel workbook.

    Sheet "Responses" has the header row with drop-down lists of the allowed
    answers (and whole-number checks for counts and 0-10 scores); sheet
    "Answers" lists the allowed answers per column, which the drop-downs use.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Responses"
    answers = workbook.create_sheet("Answers")
    answers["A1"] = "Allowed answers for each column of 'Responses' (any case)."
    answers["A1"].font = Font(bold=True)
    last = _VALIDATED_ROWS + 1
    b = bank()
    for index, (code, header) in enumerate(survey_columns(), start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = 24
        labels = allowed_answers(code)
        answers.cell(row=2, column=index, value=header).font = Font(bold=True)
        answers.column_dimensions[letter].width = 28
        for offset, label in enumerate(labels):
            answers.cell(row=3 + offset, column=index, value=label)
        if code == "respondent_ref":
            answers.cell(row=3, column=index, value="Your own ID for the person (kept private)")
            continue
        if code == "completed_on":
            answers.cell(row=3, column=index, value="A date, like 14/05/2026")
            check = DataValidation(type="date", operator="greaterThan", formula1="36526")
            check.error = "Type a date, like 14/05/2026."
        elif code in b.item_codes and not b.item(code).scale.labelled:
            scale = b.item(code).scale
            check = DataValidation(
                type="whole", operator="between", formula1=str(scale.min),
                formula2=str(scale.max),
            )
            check.error = f"Type a whole number from {scale.min} to {scale.max}."
            if not labels:
                answers.cell(row=3, column=index,
                             value=f"A whole number from {scale.min} to {scale.max}")
        else:
            source = f"Answers!${letter}$3:${letter}${2 + len(labels)}"
            check = DataValidation(type="list", formula1=f"={source}", allow_blank=True)
            check.error = "Pick an answer from the list (see the Answers sheet)."
        check.showErrorMessage = True
        sheet.add_data_validation(check)
        check.add(f"{letter}2:{letter}{last}")
    sheet.freeze_panes = "B2"
    sheet.row_dimensions[1].height = 75
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
