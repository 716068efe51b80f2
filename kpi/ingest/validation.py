"""Row checks: every cell read, each bad one set aside with its row, column and reason."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpi import readers
from kpi.ingest import answers as answers_module
from kpi.ingest.dates import date_column, date_examples, parse_date_values
from kpi.ingest.mapping import ALIAS_HOW, column_of
from kpi.ingest.result import ColumnMatch, Problem, Refusal, plural
from kpi.ingest.values import NUMBER, attribute_value, item_value, map_unique
from kpi.items import (
    bank,
    normalise_label,
)
from kpi.periods import parse_quarter, quarter_label, quarter_start
from kpi.privacy import installation_secret, person_key
from kpi.store import ACTIVITY_COUNTS, ATTRIBUTE_COLUMNS, Store


# ------------------------------------------------------------ row checks ---
class RowProblems:
    """Problems found so far, per row position; turns them into Problems and set-aside rows."""

    def __init__(self, parsed: readers.ParsedExport) -> None:
        self.parsed = parsed
        self.bad = np.zeros(len(parsed.rows), dtype=bool)
        self._found: list[tuple[np.ndarray, int, np.ndarray]] = []  # positions, column, reasons
        # Each row's person key (None when unreadable): set-aside rows keep it, so a
        # person's set-aside rows can be found and erased with their answers.
        self.person_keys: np.ndarray | None = None

    def add(self, column: int, reasons_by_row: np.ndarray) -> None:
        """Record the non-None reasons of one column (an object array, one per row)."""
        positions = np.flatnonzero(pd.notna(reasons_by_row))
        if len(positions):
            self.bad[positions] = True
            self._found.append((positions, column, reasons_by_row[positions]))

    def add_rows(self, positions: Sequence[int], column: int | None, reason: str) -> None:
        positions = np.asarray(positions, dtype=int)
        if len(positions):
            self.bad[positions] = True
            self._found.append((positions, -1 if column is None else column,
                                np.array([reason] * len(positions), dtype=object)))

    def problems(self) -> list[Problem]:
        headers = self.parsed.headers
        numbers = self.parsed.row_numbers
        sheets = self.parsed.row_sheets
        rows: list[tuple[int, int, Problem]] = []
        for positions, column, reasons in self._found:
            name = headers[column] if column >= 0 else None
            for position, reason in zip(positions.tolist(), reasons.tolist()):
                if sheets is not None:  # several sheets read as one: say which
                    reason = f"(sheet '{sheets[position]}') {reason}"
                rows.append(
                    (position, column, Problem(int(numbers[position]), name, str(reason)))
                )
        rows.sort(key=lambda r: (r[0], r[1]))
        return [p for _, _, p in rows]

    def set_aside_frame(self, problems: list[Problem]) -> pd.DataFrame:
        """The rows set aside, as the file had them, with the row number and the reasons."""
        positions = np.flatnonzero(self.bad)
        # A re-uploaded set-aside file already has our two columns: not twice.
        ours = {readers.ROW_COLUMN, readers.WHY_COLUMN, readers.SHEET_COLUMN}
        columns = [j for j, h in enumerate(self.parsed.headers) if h not in ours]
        frame = self.parsed.rows.iloc[positions, columns].copy()
        frame.columns = [self.parsed.headers[j] for j in columns]
        numbers = self.parsed.row_numbers[positions]
        why: dict[int, list[str]] = {}
        for p in problems:
            why.setdefault(p.row, []).append(f"{p.column}: {p.reason}" if p.column else p.reason)
        frame.insert(0, readers.ROW_COLUMN, numbers)
        if self.parsed.row_sheets is not None:
            frame.insert(0, readers.SHEET_COLUMN, self.parsed.row_sheets[positions])
        frame[readers.WHY_COLUMN] = ["; ".join(why.get(int(n), [])) for n in numbers]
        return frame.reset_index(drop=True)

    def stored_records(self, problems: list[Problem], keep: list[int]) -> pd.DataFrame:
        """Set-aside records for the store: the used cells only, never the reference."""
        positions = np.flatnonzero(self.bad)
        names = [self.parsed.headers[j] for j in keep]
        cells = self.parsed.rows.iloc[positions, keep].to_numpy(dtype=object)
        values = {
            int(number): json.dumps(dict(zip(names, row)), ensure_ascii=False)
            for number, row in zip(self.parsed.row_numbers[positions], cells.tolist())
        }
        keys: dict[int, str | None] = {}
        if self.person_keys is not None:
            keys = {int(number): self.person_keys[position]
                    for number, position in zip(self.parsed.row_numbers[positions], positions)}
        return pd.DataFrame(
            {
                "row_number": [p.row for p in problems],
                "column_name": [p.column for p in problems],
                "reason": [p.reason for p in problems],
                "row_values": [values.get(p.row) for p in problems],
                "person_key": [keys.get(p.row) for p in problems],
            }
        )


def in_file_repeats(
    frame: pd.DataFrame, key: list[str], values: list[str], rows: RowProblems, what: str
) -> tuple[np.ndarray, int]:
    """Rows repeating an earlier row of the file: exact repeats are duplicates (dropped),
    rows with the same key but different answers are all set aside.

    Returns the mask of rows to store and the number of exact repeats.
    """
    exact = frame.duplicated(subset=key + values, keep="first").to_numpy()
    rest = frame[~exact]
    clash = rest.duplicated(subset=key, keep=False)
    if clash.any():
        numbers = rows.parsed.row_numbers
        for _, group in rest[clash.to_numpy()].groupby(key, sort=False, dropna=False):
            positions = group["_position"].to_numpy()
            listed = ", ".join(str(int(numbers[p])) for p in positions)
            rows.add_rows(
                positions,
                None,
                f"rows {listed} have the same {what} but different answers: "
                "keep the right one, delete the others and upload again",
            )
    keep = ~exact & ~rows.bad[frame["_position"].to_numpy()]
    return keep, int(exact.sum())


@dataclass
class _Checked:
    """A validated file: what to store, what to set aside, and what was said about it."""

    frame: pd.DataFrame
    rows: RowProblems
    problems: list[Problem]
    repeats: int
    warnings: list[str]
    keep_columns: list[int]
    # A scheme's own answer words: the mappings used, in words, and the columns
    # whose answers are not ours (for the Upload page to ask about).
    answer_notes: list[str] = field(default_factory=list)
    answer_columns: list[dict] = field(default_factory=list)


def _unrecognised_warning(columns: list[ColumnMatch]) -> list[str]:
    names = [c.header for c in columns if c.status == "not recognised"]
    out = []
    if names:
        shown = ", ".join(f"'{n}'" for n in names[:8]) + (" ..." if len(names) > 8 else "")
        out.append(
            f"{plural(len(names), 'column')} not recognised and left out: {shown}. If one "
            "holds survey answers, map it to its question on the Upload page."
        )
    dups = [c for c in columns if c.status == "ignored (duplicate)"]
    for c in dups:
        out.append(f"Column '{c.header}' ({c.letter}) was left out: {c.how}.")
    for c in columns:
        if c.status == "read with another column":
            out.append(f"Column '{c.header}' ({c.letter}) was {c.how}.")
        if c.code == "respondent_ref" and c.how.startswith(ALIAS_HOW):
            out.append(
                f"The person's reference is read from '{c.header}' (column {c.letter}), "
                f"{c.how}. People are linked across uploads by it: check it is the same "
                "reference you gave them before, or map the right column to 'Your reference'."
            )
    return out


_UTC = re.compile(r"\b(?:utc|gmt|zulu)\b", re.I)


def _rows_listed(numbers: list[int], limit: int = 6) -> str:
    """ "row 3" / "rows 3, 4 and 10 more": the rows as the spreadsheet numbers them."""
    shown = ", ".join(str(n) for n in numbers[:limit])
    more = len(numbers) - limit
    return ("row " if len(numbers) == 1 else "rows ") + shown + (
        f" and {more:,} more" if more > 0 else "")


def _date_refusal(
    parsed: readers.ParsedExport, header: str, series: pd.Series, how, codes: np.ndarray,
    dates: str | None,
) -> Refusal:
    """Ask which way round, showing the rows: those only one way fits, and the open ones."""
    numbers = parsed.row_numbers
    orient = np.array(list(how.orient) + [None], dtype=object)[:-1][codes]
    opened = np.array(how.open + (False,), dtype=bool)[:-1][codes]
    text = series.str.strip().to_numpy()

    def rows_of(mask: np.ndarray) -> tuple[list[int], str]:
        positions = np.flatnonzero(mask)
        return [int(numbers[p]) for p in positions], str(text[positions[0]]) if len(
            positions) else ""

    day_rows, day_eg = rows_of(orient == "day_first")
    month_rows, month_eg = rows_of(orient == "month_first")
    open_rows, _ = rows_of(opened)
    examples = date_examples(series[opened].unique().tolist())
    shown = "; ".join(f"'{t}' is {a} day-first, {b} month-first" for t, a, b in examples[:3])
    said = []
    if day_rows:
        said.append(f"{_rows_listed(day_rows)} ('{day_eg}') can only be day/month/year")
    if month_rows:
        said.append(f"{_rows_listed(month_rows)} ('{month_eg}') can only be month/day/year")
    question = {"column": header, "layout": parsed.layout,
                "examples": [list(e) for e in examples], "open_rows": open_rows,
                "day_first_rows": day_rows, "month_first_rows": month_rows,
                "mixed": bool(how.mixed)}
    if how.mixed:
        return Refusal(
            f"The dates in '{header}' are written both ways round: "
            + " and ".join(said) + f", so {_rows_listed(open_rows)} ({shown}) cannot be "
            "told, and nothing was stored. The rows were probably put together from "
            "different places (typed, and pasted from a survey tool's export). Write those "
            "rows the same way round as the rest, or as 2026-11-05, and upload again.",
            date_question=question,
        )
    chose = ""
    if dates:
        chose = (f" You said {dates.replace('_', '-')}, but "
                 + " and ".join(said) + ".")
    elif said:
        told = " and ".join(said)
        chose = f" {told[0].upper()}{told[1:]}, but that settles only those rows."
    return Refusal(
        f"The dates in '{header}' could be day/month/year or month/day/year, and nothing "
        f"in {_rows_listed(open_rows)} says which ({shown}), so nothing was stored."
        f"{chose} Say which: on the Upload page pick the way round, or on the command line "
        "add --dates day-first or --dates month-first.",
        date_question=question,
    )


def check_survey(
    store: Store, parsed: readers.ParsedExport, columns: list[ColumnMatch], scheme_id: str,
    dates: str | None = None, answers: dict[str, dict[str, str]] | None = None,
) -> _Checked:
    rows = RowProblems(parsed)
    answer_notes: list[str] = []
    answer_columns: list[dict] = []
    used = {c.position for c in columns if c.code}
    for position, column, reason in parsed.tool_set_aside:
        rows.add_rows([position], column, reason)
    for position, column in parsed.unreadable:
        if column in used:
            rows.add_rows([position], column, "this cell holds characters that are not "
                          "readable text (the file is UTF-8 but this cell is not): retype it, "
                          "save the file as CSV UTF-8 and upload again")
    data = parsed.rows
    n = len(data)
    warnings = _unrecognised_warning(columns)
    frame = pd.DataFrame({"_position": np.arange(n)})
    frame["scheme_id"] = scheme_id
    today = dt.date.today()
    keep_columns = []
    for c in columns:
        if c.code is None:
            continue
        j, code = c.position, c.code
        series = data[j]
        for k in c.also:  # a repeated heading: each row from the column it answered
            series = series.where(series.str.strip().ne(""), data[k])
        if code != "respondent_ref":
            keep_columns += [j, *c.also]
        if code == "scheme_id":
            continue  # checked before (wrong scheme refuses the file)
        if code == "respondent_ref":
            codes, uniques = pd.factorize(series.str.strip())
            secret = installation_secret(store.path)
            keys = np.array(
                [person_key(secret, scheme_id, u) if u else None for u in uniques] + [None],
                dtype=object,
            )[:-1]
            frame["person_key"] = keys[codes]
            rows.person_keys = frame["person_key"].to_numpy()
            missing = np.where(pd.isna(frame["person_key"]).to_numpy(),
                               "the reference is missing: every row needs the person's "
                               "reference (your own ID for them)", None)
            rows.add(j, missing.astype(object))
        elif code == "completed_on":
            tool_column = j == parsed.completion_column
            hint = parsed.date_order_hint if tool_column else None
            utc = bool(_UTC.search(c.header))
            stamps, reasons, how, codes = date_column(
                series, hint, parsed.source == "xlsx", today,
                in_submission_order=tool_column and parsed.submission_order, choice=dates,
                utc=utc,
            )
            if how.undecided:
                raise _date_refusal(parsed, c.header, series, how, codes, dates)
            empty = np.flatnonzero(np.isnat(stamps) & pd.isna(reasons))
            reasons[empty] = "the date completed is missing"
            rows.add(j, reasons)
            frame["completed_on"] = stamps
            if how.mixed:
                warnings.append(
                    f"Dates in '{c.header}' are written both ways round (some can only be "
                    "day/month/year, others only month/day/year); each was read the only "
                    "way it can be. Check where the rows came from."
                )
            elif any(how.open):
                shape = "day/month/year" if how.order == "day_first" else "month/day/year"
                warnings.append(
                    f"Dates in '{c.header}' could be read either way round; they were read "
                    f"as {shape} because {how.evidence}. If that is wrong, say so with "
                    "--dates (or on the Upload page) and upload again."
                )
            if utc:
                warnings.append(
                    f"Times in '{c.header}' are in UTC: each date is the UK date at that "
                    "moment (00:20 BST on 1 October is written 23:20 on 30 September in UTC)."
                )
        elif code in ATTRIBUTE_COLUMNS or code == "respondent_type":
            codes, values, reasons = map_unique(series, lambda t, k=code: attribute_value(k, t))
            if code == "respondent_type":
                blank = np.array([v is None and r is None for v, r in zip(values, reasons)],
                                 dtype=bool)
                reasons = reasons.copy()
                reasons[blank] = ("who is answering is missing: write 'I use Shared Lives' or "
                                  "'I am a family carer'")
            frame[code] = values[codes]
            rows.add(j, reasons[codes])
        else:  # an item
            own = answers_module.check(code, c.header, (answers or {}).get(c.key, {}))

            def convert(t: str, k: str = code, own: dict = own) -> tuple:
                norm = normalise_label(t)
                return (own[norm], None) if norm in own else item_value(k, t)

            codes, values, reasons = map_unique(series, convert)
            if own:
                answer_notes.append(answers_module.described(c.header, code, own))
            # As written in the file: answers not ours, and those mapped to ours
            # (looked for only when there are some: a big file has none).
            theirs: list[str] = []
            if own or any(r is not None and "not one of the answers" in str(r)
                          for r in reasons):
                theirs = [str(u) for u, r in zip(pd.unique(series), reasons)
                          if normalise_label(u) in own
                          or (r is not None and "not one of the answers" in str(r))]
            if theirs:
                answer_columns.append({
                    "key": c.key, "header": c.header, "letter": c.letter, "code": code,
                    "answers": theirs,
                    "mapped": {a: ("missing" if v is None else str(v)) for a, v in own.items()},
                })
            numbers = np.array([-1 if v is None else v for v in values] + [-1],
                               dtype=np.int16)[:-1][codes]
            frame[code] = pd.arrays.IntegerArray(numbers.astype(np.int8), numbers < 0)
            rows.add(j, reasons[codes])
    value_columns = [c for c in frame.columns
                     if c not in ("_position", "scheme_id", "person_key", "completed_on",
                                  "respondent_type")]
    key = ["person_key", "completed_on", "respondent_type"]
    valid = frame[~rows.bad]
    keep, repeats = in_file_repeats(
        valid, key, value_columns, rows, "person, date completed and who is answering"
    )
    problems = rows.problems()
    stored = valid[keep].copy()
    stored["source_row"] = parsed.row_numbers[stored["_position"].to_numpy()]
    stored = stored.drop(columns="_position")
    return _Checked(stored, rows, problems, repeats, warnings, keep_columns, answer_notes,
                    answer_columns)


def _count_value(text: str) -> tuple[int | None, str | None]:
    s = str(text).strip().replace("\u00a0", "")
    if not s:
        return None, None
    if re.fullmatch(r"\d{1,3}(,\d{3})+", s):
        s = s.replace(",", "")
    if NUMBER.fullmatch(s) and float(s).is_integer():
        number = int(float(s))
        if number >= 0:
            return number, None
        return None, f"'{text}' is below zero: counts are 0 or more"
    return None, f"'{text}' is not a whole number: write the count of people, like 12"


def check_activity(
    store: Store, parsed: readers.ParsedExport, columns: list[ColumnMatch], scheme_id: str | None
) -> _Checked:
    rows = RowProblems(parsed)
    data = parsed.rows
    n = len(data)
    warnings = _unrecognised_warning(columns)
    frame = pd.DataFrame({"_position": np.arange(n)})
    today = dt.date.today()
    known = store.scheme_ids() if store.exists() else set()
    present = {c.code for c in columns if c.code}
    missing_counts = [code for code in ACTIVITY_COUNTS if code not in present]
    if missing_counts:
        headers = dict(bank().activity_columns)
        warnings.append(
            "Not in this file, so stored as not recorded: "
            + ", ".join(headers.get(c, c) for c in missing_counts) + "."
        )
    scheme_column = column_of(columns, "scheme_id")
    if scheme_column is None:
        frame["scheme_id"] = scheme_id
    else:
        def scheme_value(text: str) -> tuple[str | None, str | None]:
            value = text.strip() or scheme_id
            if value and scheme_id and value.casefold() == scheme_id.casefold():
                value = scheme_id
            if value is None:
                return None, "the scheme ID is missing"
            if value not in known:
                return None, (f"scheme '{value}' is not in the scheme register: check the "
                              "ID, or add the scheme to the register first")
            return value, None

        codes, values, reasons = map_unique(data[scheme_column], scheme_value)
        frame["scheme_id"] = values[codes]
        rows.add(scheme_column, reasons[codes])
    j = column_of(columns, "quarter")
    quarter_col = data[j]

    def quarter_value(text: str) -> tuple[dt.date | None, str | None]:
        text = text.strip()
        if not text:
            return None, "the quarter is missing: write it like 2026/27 Q1"
        try:
            start = parse_quarter(text)
        except ValueError as exc:
            parsed_date = parse_date_values([text])
            if parsed_date.dates[0] is None:
                return None, str(exc)
            start = quarter_start(parsed_date.dates[0])
        if start > today:
            return None, f"the quarter {quarter_label(start)} is in the future"
        return start, None

    codes, values, reasons = map_unique(quarter_col, quarter_value)
    frame["quarter_start"] = pd.Series(values[codes], dtype=object)
    rows.add(j, reasons[codes])
    for code in ACTIVITY_COUNTS:
        k = column_of(columns, code)
        if k is None:
            frame[code] = pd.array([None] * n, dtype="Int64")
            continue
        codes, values, reasons = map_unique(data[k], _count_value)
        frame[code] = pd.array(list(values[codes]), dtype="Int64")
        rows.add(k, reasons[codes])
    valid = frame[~rows.bad]
    keep, repeats = in_file_repeats(
        valid, ["scheme_id", "quarter_start"], list(ACTIVITY_COUNTS), rows, "scheme and quarter"
    )
    problems = rows.problems()
    stored = valid[keep].drop(columns="_position").reset_index(drop=True)
    keep_columns = [c.position for c in columns if c.code]
    return _Checked(stored, rows, problems, repeats, warnings, keep_columns)
