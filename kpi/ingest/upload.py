"""The upload itself: read, check, and store in one transaction or not at all."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from kpi import readers
from kpi.errors import BadArgument
from kpi.ingest import answers as own_answers_module
from kpi.ingest.answers import ANSWERS_KEY
from kpi.ingest.dates import DATES_KEY, date_choice, dates_key
from kpi.ingest.mapping import (
    KINDS,
    check_columns,
    count_question_cells,
    match_columns,
    refuse_numeric_export,
    unmatched_questions,
    with_examples,
)
from kpi.ingest.result import ColumnMatch, DryRun, IngestResult, Preview, Refusal, plural
from kpi.ingest.validation import check_activity, check_survey
from kpi.items import normalise_label
from kpi.store import Store

_REGISTER_LOAD = (
    "Load the scheme register first: `python -m kpi schemes register.csv` (columns "
    "scheme_id, name, region, local_authority, cqc_rating, cqc_rating_date)."
)


# ------------------------------------------------------------ the upload ---
def _check_scheme_argument(store: Store, scheme_id: str | None, kind: str) -> str | None:
    if scheme_id is not None:
        scheme_id = str(scheme_id).strip() or None
    if scheme_id is None:
        if kind == "survey":
            raise Refusal(
                "Say which scheme this file belongs to: add --scheme followed by the "
                "scheme's ID (as in the scheme register), or pick the scheme on the "
                "Upload page."
            )
        return None
    known = store.scheme_ids() if store.exists() else set()
    if scheme_id not in known:
        if not known:
            raise Refusal(f"Scheme '{scheme_id}' is not known: the scheme register is "
                           f"empty. {_REGISTER_LOAD}")
        near = sorted(k for k in known if k.casefold() == scheme_id.casefold())
        hint = f" Did you mean '{near[0]}'?" if near else ""
        raise Refusal(
            f"Scheme '{scheme_id}' is not in the scheme register.{hint} Check the ID, or "
            f"add the scheme to the register. {_REGISTER_LOAD}"
        )
    return scheme_id


def _read(data: bytes, file_name: str, max_upload_mb: float | None,
          sheet: str | None = None) -> readers.ParsedExport:
    try:
        return readers.read_export(data, file_name, max_upload_mb=max_upload_mb, sheet=sheet)
    except readers.RefusedFile as exc:
        extra = {"sheet_question": exc.sheets} if getattr(exc, "sheets", None) else {}
        raise Refusal(str(exc), **extra) from None


def _refused_result(cls: type[IngestResult], message: str, **extra: object) -> IngestResult:
    return cls(refused=True, message=message, **extra)


def _run(
    store: Store,
    data: bytes,
    file_name: str,
    scheme_id: str | None,
    kind: str,
    strict: bool,
    mapping: dict[str, str] | None,
    uploaded_by: str | None,
    dry_run: bool,
    max_upload_mb: float | None,
    dates: str | None = None,
    accept_partial: bool = False,
    sheet: str | None = None,
    answers: dict[str, dict[str, str]] | None = None,
) -> IngestResult:
    if kind not in KINDS:
        raise BadArgument(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    cls = Preview if dry_run else IngestResult
    base = {"kind": kind, "file_name": file_name}
    sha = hashlib.sha256(data).hexdigest()
    parsed = None
    columns: list[ColumnMatch] = []
    lost: list[dict[str, object]] = []
    try:
        if not dry_run:
            store.ensure()
        # The reads that need only the scheme and the file's checksum, on one
        # connection (opening DuckDB is most of a small upload's time); none is held
        # while the file is parsed.
        exists = store.exists()  # a preview may run before there is a store
        with store.reading():
            scheme_id = _check_scheme_argument(store, scheme_id, kind)
            saved = store.saved_mappings(scheme_id) if scheme_id else {}
            earlier = store.upload_with_checksum(scheme_id, sha, kind) if exists else None
        base["scheme_id"] = scheme_id
        parsed = _read(data, file_name, max_upload_mb, sheet)
        remembered = {k: saved.pop(k) for k in list(saved)
                      if k.startswith((DATES_KEY, ANSWERS_KEY))}
        dates = date_choice(dates) or remembered.get(dates_key(parsed.layout))
        own_answers = own_answers_module.remembered(remembered, parsed.layout)
        for column, given in (answers or {}).items():
            own_answers.setdefault(column, {}).update(
                {normalise_label(a): t for a, t in given.items()})
        columns = match_columns(parsed, kind, saved, mapping)
        lost = unmatched_questions(parsed, columns) if kind == "survey" else []
        check_columns(parsed, columns, kind, scheme_id)
        if kind == "survey":
            refuse_numeric_export(parsed, columns)
            checked = check_survey(store, parsed, columns, scheme_id, dates, own_answers)
        else:
            checked = check_activity(store, parsed, columns, scheme_id)
        columns = with_examples(columns, checked.frame)
        total, kept = count_question_cells(parsed, columns, lost)
        partial = total > 0 and kept * 2 < total
        if partial and not accept_partial and not dry_run:
            raise Refusal(
                f"Only {kept:,} of the {total:,} answers to questions in this file would be "
                "stored: " + "; ".join(str(q["cost"]) for q in lost[:5]) + ". Nothing was "
                "stored. Map those columns to their questions on the Upload page, or, if "
                "leaving them out is right, confirm it (on the command line add "
                "--accept-partial).",
                unmatched_questions=lost, partial=True, question_cells=total,
                stored_question_cells=kept,
            )
        if strict and checked.problems:
            bad = int(checked.rows.bad.sum())
            raise Refusal(
                f"{plural(bad, 'row')} of {file_name} {'has' if bad == 1 else 'have'} "
                "problems, and with --strict (all or nothing) the whole file is refused: "
                "nothing was stored. Fix the rows listed and upload again, or upload "
                "without --strict to store the good rows and set the others aside.",
                checked.problems,
            )
    except Refusal as refusal:
        extra = {}
        if parsed is not None:
            extra = {"layout": parsed.layout, "rows_read": len(parsed.rows),
                     "found": list(parsed.notes)}
            if refusal.problems:
                extra["rejected"] = len({p.row for p in refusal.problems})
        return _refused_result(
            cls, refusal.message, problems=refusal.problems, columns=columns, sha256=sha,
            **base, **{"unmatched_questions": lost, **extra, **refusal.extra},
        )
    rows_read = len(parsed.rows)
    common = dict(
        layout=parsed.layout, columns=columns, rows_read=rows_read, sha256=sha,
        found=list(parsed.notes), answer_columns=checked.answer_columns,
        answer_notes=checked.answer_notes,
        unmatched_questions=lost, partial=partial, question_cells=total,
        stored_question_cells=kept, **base
    )
    if earlier is not None:
        return _same_file_again(store, cls, parsed, earlier, uploaded_by, dry_run, common)
    set_aside = checked.rows.set_aside_frame(checked.problems)
    records = checked.rows.stored_records(checked.problems, checked.keep_columns)
    rejected = int(checked.rows.bad.sum())

    def write(con) -> dict[str, int]:
        upload_id = store.new_upload(
            con, scheme_id=scheme_id, kind=kind, file_name=file_name, sha256=sha,
            uploaded_by=uploaded_by, layout=parsed.layout, rows_read=rows_read,
        )
        if checked.frame.empty:  # every row set aside or repeated: only the record
            counts = {"accepted": 0, "duplicates": 0, "corrected": 0}
        elif kind == "survey":
            counts = store.store_responses(con, upload_id, checked.frame)
        else:
            counts = store.store_activity(con, upload_id, checked.frame)
        duplicates = counts.get("duplicates", 0) + checked.repeats
        accepted = counts["accepted"]
        store.record_set_aside(con, upload_id, records)
        store.finish_upload(
            con, upload_id, accepted=accepted, rejected=rejected, duplicates=duplicates,
            corrected=counts.get("corrected", 0),
            # Recorded with the upload: which answers were the scheme's own words.
            note="; ".join(checked.answer_notes) or None,
        )
        return {"upload_id": upload_id, "accepted": accepted, "duplicates": duplicates,
                "corrected": counts.get("corrected", 0)}

    try:
        counts = _write(store, write, dry_run)
    except DryRun:
        counts = {"accepted": len(checked.frame), "duplicates": checked.repeats, "corrected": 0}
    result = cls(
        upload_id=None if dry_run else counts["upload_id"],
        accepted=counts["accepted"],
        rejected=rejected,
        duplicates=counts["duplicates"],
        corrected=counts["corrected"],
        problems=checked.problems,
        warnings=checked.warnings,
        set_aside=set_aside,
        **common,
    )
    result.message = _stored_message(result, parsed, dry_run)
    return result


def _write(store: Store, write: Callable, dry_run: bool) -> dict[str, int]:
    """Run ``write`` in one transaction; a dry run rolls it back and keeps the counts."""
    if dry_run and not store.exists():
        raise DryRun({})  # nothing to compare with: the caller counts the file alone
    try:
        with store.transaction() as con:
            counts = write(con)
            if dry_run:
                raise DryRun(counts)
    except DryRun as done:
        return done.counts
    return counts


def _same_file_again(
    store: Store,
    cls: type[IngestResult],
    parsed: readers.ParsedExport,
    earlier: int,
    uploaded_by: str | None,
    dry_run: bool,
    common: dict,
) -> IngestResult:
    """The very same bytes again: store nothing new, but record that it was tried."""
    rows = len(parsed.rows)

    def write(con) -> dict[str, int]:
        upload_id = store.new_upload(
            con, scheme_id=common["scheme_id"], kind=common["kind"],
            file_name=common["file_name"], sha256=common["sha256"], uploaded_by=uploaded_by,
            layout=parsed.layout, rows_read=rows,
        )
        store.finish_upload(con, upload_id, accepted=0, rejected=0, duplicates=rows,
                            note=f"same file as upload {earlier}")
        return {"upload_id": upload_id}

    counts = _write(store, write, dry_run)
    verb = "would be" if dry_run else "was"
    result = cls(
        upload_id=None if dry_run else counts["upload_id"],
        duplicates=rows,
        message=(
            f"This file was already uploaded as upload {earlier}, so nothing new {verb} "
            f"stored: all {plural(rows, 'row')} are duplicates. To replace that upload, "
            f"roll back upload {earlier} first."
        ),
        **common,
    )
    if isinstance(result, Preview):
        result.already_uploaded = earlier
    return result


def _stored_message(result: IngestResult, parsed: readers.ParsedExport, dry_run: bool) -> str:
    what = "responses" if result.kind == "survey" else "activity returns"
    for_scheme = f" for scheme {result.scheme_id}" if result.scheme_id else ""
    if dry_run:
        parts = [f"Ready to store {plural(result.accepted, what[:-1], what)} from "
                 f"{result.file_name} ({parsed.layout_name}){for_scheme}."]
    else:
        parts = [f"Stored {plural(result.accepted, what[:-1], what)} from {result.file_name} "
                 f"({parsed.layout_name}){for_scheme} as upload {result.upload_id}."]
    if result.corrected:
        parts.append(
            f"{plural(result.corrected, 'of them replaces', 'of them replace')} an earlier "
            "answer for the same person and date (the earlier one is kept in history)."
        )
    if result.duplicates:
        parts.append(f"{plural(result.duplicates, 'row was', 'rows were')} already stored "
                     "(duplicates) and left alone.")
    if result.rejected:
        verb = "would be" if dry_run else ("was" if result.rejected == 1 else "were")
        parts.append(
            f"{plural(result.rejected, 'row')} {verb} set aside because of problems: "
            "download them, fix them and upload just those rows again."
        )
    return " ".join(parts)


# ------------------------------------------------------------- public API ---
def ingest_bytes(
    store: Store,
    data: bytes,
    file_name: str,
    scheme_id: str | None,
    kind: str = "survey",
    strict: bool = False,
    mapping: dict[str, str] | None = None,
    uploaded_by: str | None = None,
    *,
    max_upload_mb: float | None = None,
    dates: str | None = None,
    accept_partial: bool = False,
    sheet: str | None = None,
    answers: dict[str, dict[str, str]] | None = None,
) -> IngestResult:
    """Check and store one uploaded file in one transaction (the Upload page's confirm).

    ``mapping`` overrides what columns mean: normalised header (see
    :attr:`ColumnMatch.key`) -> item or attribute code, or ``""`` to ignore the
    column. ``max_upload_mb`` overrides the register's upload limit (benchmarks).
    ``dates`` ("day_first" / "month_first") says which way round dates are when
    the file cannot tell; ``accept_partial`` confirms storing a file of which
    less than half of the question cells match a question; ``sheet`` names the
    workbook sheet to read when its sheets of answers have different columns;
    ``answers`` maps a column's own answer words to ours: column key -> answer ->
    our value as a number, or "missing" (added to what the scheme saved).
    """
    return _run(store, data, file_name, scheme_id, kind, strict, mapping, uploaded_by,
                False, max_upload_mb, dates, accept_partial, sheet, answers)


def preview(
    store: Store,
    data: bytes,
    file_name: str,
    scheme_id: str | None,
    kind: str = "survey",
    mapping: dict[str, str] | None = None,
    *,
    strict: bool = False,
    dates: str | None = None,
    sheet: str | None = None,
    answers: dict[str, dict[str, str]] | None = None,
) -> Preview:
    """Everything :func:`ingest_bytes` does, then roll back: what an upload would give.

    A file storing less than half its question cells is not refused here but
    marked ``partial``: the page asks the user to confirm before storing.
    """
    result = _run(store, data, file_name, scheme_id, kind, strict, mapping, None, True, None,
                  dates, sheet=sheet, answers=answers)
    assert isinstance(result, Preview)
    return result


def ingest_path(
    store: Store,
    path: str | Path,
    scheme_id: str | None = None,
    kind: str = "survey",
    strict: bool = False,
    uploaded_by: str | None = None,
    mapping: dict[str, str] | None = None,
    *,
    max_upload_mb: float | None = None,
    dates: str | None = None,
    accept_partial: bool = False,
) -> IngestResult:
    """Upload a file from disk (the command line). Refuses a missing or too-big file unread."""
    path = Path(path)
    if not path.is_file():
        return IngestResult(
            refused=True, file_name=path.name, kind=kind,
            message=f"There is no file at {path}. Check the name and folder, and try again.",
        )
    try:
        readers.check_size(path.stat().st_size, max_upload_mb)
    except readers.RefusedFile as exc:
        return IngestResult(refused=True, file_name=path.name, kind=kind, message=str(exc))
    return ingest_bytes(store, path.read_bytes(), path.name, scheme_id, kind, strict, mapping,
                        uploaded_by, max_upload_mb=max_upload_mb, dates=dates,
                        accept_partial=accept_partial)
