"""People's rights over their answers (UK GDPR articles 15 and 17), and the retention rule.

A person asks by their scheme and reference. Their key is worked out from those
and the installation secret (:func:`kpi.privacy.key_for_reference`), exactly as
an upload works it out, so every row stored for them is found: answers as they
count, answers a later upload corrected, and rows set aside. Only administrators
may find, give back or erase them: the answers are someone's own words.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd

from kpi.errors import KhiError, UnknownCode
from kpi.items import bank
from kpi.periods import quarter_label
from kpi.privacy import key_for_reference
from kpi.scope import AccessError, Scope
from kpi.store import Store
from kpi.store.rights import ERASED, RETENTION

__all__ = [
    "ERASED",
    "RETENTION",
    "PersonRecord",
    "RetentionRule",
    "answers_in_words",
    "erase_person",
    "export_csv",
    "export_pdf",
    "find_person",
    "retention_apply",
    "retention_plan",
]


@dataclass
class PersonRecord:
    """Everything held for one person of one scheme (no reference, no key)."""

    scheme_id: str
    scheme_name: str
    responses: pd.DataFrame
    history: pd.DataFrame
    set_aside: pd.DataFrame
    unkeyed_set_aside: int  # the scheme's set-aside rows that cannot be told apart

    @property
    def held(self) -> int:
        return len(self.responses) + len(self.history) + _rows(self.set_aside)

    def summary(self) -> str:
        if not self.held:
            text = f"Nothing is held for this reference at {self.scheme_name} ({self.scheme_id})."
        else:
            text = (
                f"Held at {self.scheme_name} ({self.scheme_id}): "
                f"{_plural(len(self.responses), 'answer set')} as they count, "
                f"{_plural(len(self.history), 'earlier answer set')} a later upload corrected, "
                f"{_plural(_rows(self.set_aside), 'row')} set aside."
            )
        if self.unkeyed_set_aside:
            text += (
                f" {_plural(self.unkeyed_set_aside, 'set-aside row')} of this scheme's uploads "
                "carry no person key (kept before set-aside rows carried one, or their "
                "reference was missing), so they cannot be told apart by person; the "
                "retention rule removes them "
                f"{RetentionRule.from_settings().set_aside_days} days after their upload."
            )
        return text


def _rows(set_aside: pd.DataFrame) -> int:
    """Set-aside rows (one row of a file can have several reasons)."""
    if set_aside.empty:
        return 0
    return len(set_aside[["upload_id", "row_number"]].drop_duplicates())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _admin_only(scope: Scope, what: str) -> None:
    if not scope.is_admin:
        raise AccessError(
            f"Only an administrator may {what} a person's answers; "
            f"{scope.email or 'this user'} is {scope.role or 'not given a role'}."
        )


def _scheme_name(store: Store, scheme_id: str) -> str:
    schemes = store.schemes()
    match = schemes[schemes["scheme_id"] == scheme_id]
    if match.empty:
        raise UnknownCode(
            f"There is no scheme {scheme_id!r} in the register: give the scheme id as the "
            "register has it (the Admin page or `python -m kpi indicators --by scheme` lists them)."
        )
    return str(match["name"].iloc[0])


def find_person(store: Store, scheme_id: str, ref: object, scope: Scope) -> PersonRecord:
    """Every row held for the person with reference ``ref`` at ``scheme_id``."""
    _admin_only(scope, "find")
    store.ensure()
    name = _scheme_name(store, scheme_id)
    key = key_for_reference(store.path, scheme_id, ref)
    frames = store.person_answers(scheme_id, key)
    return PersonRecord(
        scheme_id, name, frames["responses"], frames["history"], frames["set_aside"],
        store.unkeyed_set_aside(scheme_id),
    )


def erase_person(
    store: Store, scheme_id: str, ref: object, scope: Scope, by: str
) -> dict:
    """Erase every row held for the person, in one transaction (asking twice is harmless).

    The change log records the scheme and the counts, never the reference. Returns
    the counts (responses, history, set_aside, uploads touched) and the summary before.
    """
    _admin_only(scope, "erase")
    record = find_person(store, scheme_id, ref, scope)
    key = key_for_reference(store.path, scheme_id, ref)
    result = store.erase_person(scheme_id, key, by)
    result["unkeyed_set_aside"] = record.unkeyed_set_aside
    return result


def erase_words(result: dict) -> str:
    if not (result["responses"] or result["history"] or result["set_aside"]):
        return "Nothing was held for this reference: nothing was erased (the request is logged)."
    uploads = ", ".join(map(str, result["uploads"]))
    return (
        f"Erased {_plural(result['responses'], 'answer set')}, "
        f"{_plural(result['history'], 'corrected earlier answer set')} and "
        f"{_plural(result['set_aside'], 'set-aside row')} (uploads {uploads}: their "
        "history counts them as erased). The KHIs and counts no longer include them; the "
        "change log records the erasure without the reference."
    )


# ------------------------------------------------------------ in words ---
def _label(code: str, value: object) -> str:
    """An attribute's stored code as the survey words it."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(not given)"
    try:
        labels = dict(bank().attribute(code).labels)
    except KeyError:
        return str(value)
    return labels.get(str(value), str(value))


def _answer(code: str, value: object) -> str:
    if value is None or pd.isna(value):
        return "(not answered)"
    scale = bank().item(code).scale
    words = dict(scale.values).get(int(value))
    return f"{words} ({int(value)})" if words else str(int(value))


def answers_in_words(record: PersonRecord) -> pd.DataFrame:
    """One row per answer held: which answer set, how it is held, the question and the
    answer in the survey's words (set-aside rows: the cells as the file had them)."""
    rows: list[dict] = []
    held = [(record.responses, "counts"), (record.history, "corrected")]
    for frame, kind in held:
        for _, r in frame.iterrows():
            if kind == "counts":
                status = ("replaced by a later answer in the same quarter (kept, not counted)"
                          if r["superseded"] else "counts in the KHIs")
            else:
                status = (f"corrected by upload {int(r['replaced_by'])} on "
                          f"{pd.Timestamp(r['replaced_at']):%d %b %Y} (kept as history)")
            base = {
                "Held as": status,
                "Upload": int(r["upload_id"]),
                "File": r["file_name"],
                "Row of the file": None if pd.isna(r["source_row"]) else int(r["source_row"]),
                "Date completed": f"{pd.Timestamp(r['completed_on']):%d %b %Y}",
                "Quarter": quarter_label(pd.Timestamp(r["quarter_start"]).date()),
            }
            questions = [("Who is answering?", _label("respondent_type", r["respondent_type"]))]
            for code in ("completed_by", "support_type", "age_band", "gender", "ethnicity",
                         "primary_need"):
                try:
                    header = bank().attribute(code).header
                except KeyError:
                    header = code
                questions.append((header, _label(code, r[code])))
            for item in bank().items:
                if item.code in r and not pd.isna(r[item.code]):
                    questions.append((item.text, _answer(item.code, r[item.code])))
            rows += [{**base, "Question": q, "Answer": a} for q, a in questions]
    for (upload_id, row_number), group in record.set_aside.groupby(
        ["upload_id", "row_number"], sort=True
    ):
        first = group.iloc[0]
        why = "; ".join(
            f"{c}: {w}" if isinstance(c, str) and c else str(w)
            for c, w in zip(group["column_name"], group["reason"])
        )
        base = {
            "Held as": f"set aside, not counted ({why})",
            "Upload": int(upload_id),
            "File": first["file_name"],
            "Row of the file": int(row_number),
            "Date completed": None,
            "Quarter": None,
        }
        cells = json.loads(first["row_values"]) if isinstance(first["row_values"], str) else {}
        rows += [{**base, "Question": str(h), "Answer": str(v)} for h, v in cells.items()]
    columns = ["Held as", "Upload", "File", "Row of the file", "Date completed", "Quarter",
               "Question", "Answer"]
    return pd.DataFrame(rows, columns=columns)


def export_csv(record: PersonRecord) -> str:
    from kpi.export import safe_csv

    return safe_csv(answers_in_words(record))


def export_pdf(record: PersonRecord, reference_shown: str | None = None) -> bytes:
    """A readable PDF of everything held, one answer set at a time (fpdf2, as the
    board pack's fallback). ``reference_shown``: printed on the cover only when given
    (the person's own copy), never stored."""
    from fpdf.enums import XPos, YPos

    from kpi.board.layout import FONT_DIR
    from kpi.board.pack_fpdf import plain_document

    pdf, family, t = plain_document(FONT_DIR)

    def para(text: str, size: float = 10, style: str = "") -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(0, size * 0.5, t(text), align="L", new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)

    pdf.set_title(f"Answers held: {record.scheme_name}")
    pdf.set_author("Key Human Indicators dashboard")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    para("Your answers held by the Key Human Indicators dashboard", 16, "B")
    pdf.ln(2)
    para(f"Scheme: {record.scheme_name} ({record.scheme_id})")
    if reference_shown:
        para(f"Your reference: {reference_shown}")
    para(f"Made on {dt.date.today():%d %B %Y}.")
    pdf.ln(2)
    para(record.summary())
    para(
        "Each answer set below is one time you (or someone for you) answered the survey. "
        "'Counts in the KHIs' means it is part of the figures; an answer set replaced or "
        "corrected is kept as history and not counted. Your reference is not stored: it "
        "is turned into a code that only this installation can work out."
    )
    frame = answers_in_words(record)
    for keys, group in frame.groupby(["Upload", "Row of the file", "Held as"], sort=False,
                                      dropna=False):
        upload, row, status = keys
        first = group.iloc[0]
        pdf.ln(3)
        title = f"Upload {upload}, row {row}"
        if first["Date completed"]:
            title += f": completed {first['Date completed']} ({first['Quarter']})"
        para(title, 12, "B")
        para(f"{status}. File: {first['File']}", 9)
        pdf.set_font(family, "", 9)
        with pdf.table(col_widths=(110, 70), text_align="LEFT", first_row_as_headings=True,
                       line_height=4.5) as table:
            table.row([t("Question"), t("Answer")])
            for q, a in zip(group["Question"], group["Answer"]):
                table.row([t(q), t(a)])
    return bytes(pdf.output())


# ------------------------------------------------------------ retention ---
@dataclass(frozen=True)
class RetentionRule:
    """How long answers and set-aside rows are kept (``register.toml`` ``[settings]``)."""

    answers_years: int
    set_aside_days: int

    @classmethod
    def from_settings(cls) -> RetentionRule:
        values = bank().settings
        rule = cls(int(values.get("keep_answers_years", 6)),
                   int(values.get("keep_set_aside_days", 90)))
        if rule.answers_years < 1 or rule.set_aside_days < 1:
            raise KhiError(
                "register.toml: keep_answers_years and keep_set_aside_days must be at least 1."
            )
        return rule

    def limits(self, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
        """Answers whose quarter ended on or before the first date go; set-aside rows of
        uploads made on or before the second go."""
        year = now.year - self.answers_years
        day = min(now.day, calendar.monthrange(year, now.month)[1])  # 29 February
        return now.date().replace(year=year, day=day), now - dt.timedelta(days=self.set_aside_days)

    def words(self) -> str:
        return (f"answers kept {self.answers_years} years after the end of their quarter; "
                f"set-aside rows kept {self.set_aside_days} days after their upload")


def retention_plan(store: Store, now: dt.datetime | None = None) -> dict:
    """What the retention rule would remove now (nothing is changed)."""
    store.ensure()
    rule = RetentionRule.from_settings()
    answers_by, set_aside_by = rule.limits(now or dt.datetime.now())
    counts = store.retention_counts(answers_by, set_aside_by)
    return {**counts, "rule": rule.words(), "answers_quarter_ended_by": answers_by,
            "set_aside_uploaded_by": set_aside_by}


def retention_apply(store: Store, by: str, now: dt.datetime | None = None) -> dict:
    """Remove what :func:`retention_plan` shows, all or nothing, and log it."""
    store.ensure()
    rule = RetentionRule.from_settings()
    answers_by, set_aside_by = rule.limits(now or dt.datetime.now())
    counts = store.apply_retention(answers_by, set_aside_by, by, rule.words())
    return {**counts, "rule": rule.words(), "answers_quarter_ended_by": answers_by,
            "set_aside_uploaded_by": set_aside_by}


def retention_words(plan: dict, applied: bool, command_line: bool = True) -> str:
    """What the rule removed (or would remove); ``command_line``: with the rule and
    how to apply it, as the command prints it."""
    verb = "Removed" if applied else "Would remove"
    text = (
        f"{verb} {_plural(plan['responses'], 'answer set')} and "
        f"{_plural(plan['history'], 'corrected earlier answer set')} of quarters that ended "
        f"on or before {plan['answers_quarter_ended_by']:%d %b %Y}, and "
        f"{_plural(plan['set_aside'], 'set-aside row')} of uploads made on or before "
        f"{plan['set_aside_uploaded_by']:%d %b %Y}"
    )
    if not command_line:
        return text + "."
    return text + f" (rule: {plan['rule']})." + (
        "" if applied else " Nothing was changed: add --apply to remove them.")


def last_retention(store: Store) -> dict | None:
    """When the retention rule last removed anything (the change log's row), or None."""
    if not store.exists():
        return None
    store.ensure()
    return store.last_change(RETENTION)
