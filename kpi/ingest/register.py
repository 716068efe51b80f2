"""The scheme register: each scheme's id, name, region, local authority and CQC rating."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from kpi import readers
from kpi.ingest.dates import date_column
from kpi.ingest.result import SchemeLoadResult, plural
from kpi.ingest.validation import RowProblems, in_file_repeats
from kpi.ingest.values import map_unique
from kpi.items import (
    bank,
    normalise_header,
    region_by_name,
)
from kpi.store import Store

# -------------------------------------------------------- scheme register ---
_REGISTER_COLUMNS = {
    "scheme_id": ("scheme_id", "scheme id", "id", "scheme", "scheme code"),
    "name": ("name", "scheme name", "scheme"),
    "region": ("region", "region or nation", "nation"),
    "local_authority": ("local_authority", "local authority", "council", "la"),
    "cqc_rating": ("cqc_rating", "cqc rating", "rating", "cqc"),
    "cqc_rating_date": ("cqc_rating_date", "cqc rating date", "rating date", "date of rating",
                        "date rated"),
}


def _cqc_value(text: str) -> tuple[str | None, str | None]:
    norm = normalise_header(text)
    if not norm:
        return None, None
    for code, label in bank().cqc_ratings:
        if norm in (normalise_header(code), normalise_header(label)):
            return code, None
    labels = ", ".join(label for _, label in bank().cqc_ratings)
    return None, f"'{text}' is not a CQC rating: {labels} (or leave it empty)"


def load_schemes(
    store: Store, source: str | Path | bytes, file_name: str | None = None,
    *, by: str | None = None,
) -> SchemeLoadResult:
    """Load or update the scheme register from a CSV (or xlsx): one row per scheme.

    Regions may be written by name or code and are stored by name; CQC ratings
    by code or label. Rows with problems are left out and listed; the file is
    refused when a required column (scheme_id, name, region) is missing or no
    row is usable. Schemes already registered are updated in place. The change
    log records ``by`` and what changed, in the same transaction.
    """
    if isinstance(source, bytes):
        data, name = source, file_name or "register.csv"
    else:
        path = Path(source)
        if not path.is_file():
            return SchemeLoadResult(refused=True, message=f"There is no file at {path}.")
        data, name = path.read_bytes(), path.name
    try:
        parsed = readers.read_export(data, name)
    except readers.RefusedFile as exc:
        return SchemeLoadResult(refused=True, message=str(exc))
    found: dict[str, int] = {}
    for j, header in enumerate(parsed.headers):
        key = normalise_header(header)
        for code, names in _REGISTER_COLUMNS.items():
            if code not in found and key in {normalise_header(x) for x in names}:
                found[code] = j
                break
    missing = [c for c in ("scheme_id", "name", "region") if c not in found]
    if missing:
        return SchemeLoadResult(
            refused=True,
            message=(
                "The scheme register needs the columns scheme_id, name and region (and may "
                "have local_authority, cqc_rating, cqc_rating_date); this file has no "
                + ", ".join(missing) + " column, so nothing was loaded. Add it and try again."
            ),
        )
    rows = RowProblems(parsed)
    data_rows = parsed.rows
    frame = pd.DataFrame({"_position": np.arange(len(data_rows))})
    today = dt.date.today()
    regions = region_by_name()
    region_names = ", ".join(bank().region_names)

    def text_column(code: str, required: bool, label: str) -> None:
        j = found.get(code)
        if j is None:
            frame[code] = None
            return
        values = data_rows[j].str.strip()
        frame[code] = values.where(values != "", None).astype(object)
        if required:
            rows.add(j, np.where(values == "", f"the {label} is missing", None).astype(object))

    text_column("scheme_id", True, "scheme ID")
    text_column("name", True, "scheme name")
    text_column("local_authority", False, "local authority")

    def region_value(text: str) -> tuple[str | None, str | None]:
        if not text.strip():
            return None, "the region is missing"
        region = regions.get(normalise_header(text))
        if region is None:
            return None, f"'{text}' is not a region we know: {region_names}"
        return region.name, None

    codes, values, reasons = map_unique(data_rows[found["region"]], region_value)
    frame["region"] = values[codes]
    rows.add(found["region"], reasons[codes])
    if "cqc_rating" in found:
        codes, values, reasons = map_unique(data_rows[found["cqc_rating"]], _cqc_value)
        frame["cqc_rating"] = values[codes]
        rows.add(found["cqc_rating"], reasons[codes])
    else:
        frame["cqc_rating"] = None
    if "cqc_rating_date" in found:
        stamps, reasons, how, codes = date_column(
            data_rows[found["cqc_rating_date"]], "day_first", parsed.source == "xlsx", today)
        if how.undecided:
            # Rows written both ways round in one column: the open ones are not guessed.
            open_rows = np.array(how.open, dtype=bool)[codes]
            reasons = reasons.copy()
            reasons[open_rows] = ("this date could be day/month/year or month/day/year, and "
                                  "other dates in the column are written both ways: write it "
                                  "like 2024-03-12")
        frame["cqc_rating_date"] = pd.to_datetime(stamps)
        rows.add(found["cqc_rating_date"], reasons)
    else:
        frame["cqc_rating_date"] = pd.NaT
    valid = frame[~rows.bad]
    columns = ["name", "region", "local_authority", "cqc_rating", "cqc_rating_date"]
    keep, _ = in_file_repeats(valid, ["scheme_id"], columns, rows, "scheme ID")
    problems = rows.problems()
    good = valid[keep].drop(columns="_position")
    rejected = int(rows.bad.sum())
    if good.empty:
        return SchemeLoadResult(
            refused=True, rejected=rejected, problems=problems,
            message="No row of this register could be used, so nothing was loaded. Fix the "
            "problems listed and try again.",
        )
    store.ensure()
    known = store.scheme_ids()
    with store.transaction() as con:
        store.record_register_load(con, good, by, name)
        store.upsert_schemes(con, good.assign(is_demo=False))
    new = len(set(good["scheme_id"]) - known)
    message = (
        f"Loaded {plural(len(good), 'scheme')} from {name} ({new} new, "
        f"{len(good) - new} updated)."
    )
    if rejected:
        message += f" {plural(rejected, 'row')} left out because of problems: fix and load again."
    return SchemeLoadResult(loaded=len(good), rejected=rejected, problems=problems,
                            message=message)
