"""The tables the Regions and Schemes pages show under their charts, one row per
area: value, 95% interval, base and the comparison in words.

Why in ``kpi``: a table's rows decide what a reader is told (a hidden cell shows no
value, interval or base, "No answers" is not "too few"); built here they can be
tested and reused without streamlit, and the words are :mod:`kpi.wording`'s.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from kpi.catalogue import KHI
from kpi.items import bank
from kpi.periods import parse_quarter, quarter_label
from kpi.wording import BENCHMARK_NAMES, comparison_words, format_interval, format_value

__all__ = [
    "HIDDEN_SHORT",
    "HIDDEN_WORDS",
    "ROUND_STATE_WORDS",
    "ROUND_WHO_WORDS",
    "change_log",
    "completeness_table",
    "england_value",
    "group_table",
    "most_shown",
    "profile_table",
    "is_hidden",
    "missing_table",
    "outside_flags",
    "percent_words",
    "quarter_words",
    "rates_by_quarter",
    "rates_table",
    "region_table",
    "region_tiles",
    "round_rates_table",
    "round_words",
    "rounds_table",
    "scheme_table",
    "with_names",
    "suppressed_rows",
    "whole",
]

HIDDEN_WORDS = "Too few answers to show"


def is_hidden(row: pd.Series) -> bool:
    """True when the engine hid this row (disclosure control)."""
    flag = row.get("suppressed", False)
    return bool(flag) and not pd.isna(flag)


def outside_flags(table: pd.DataFrame) -> list[object]:
    """The engine's 99.8% flag per row (False where the table has none)."""
    if "outside998" in table:
        return list(table["outside998"])
    return [False] * len(table)


def _shown_cells(r: pd.Series, khi: KHI) -> dict[str, str]:
    """An area's or group's value, 95% interval and base as a reader reads them: a
    hidden cell says so and shows no interval or base; "No answers" is not "too few"."""
    hidden = is_hidden(r)
    no_data = not hidden and pd.isna(r.get("value"))
    return {
        "Value": HIDDEN_WORDS if hidden else (
            "No answers" if no_data else format_value(r["value"], khi)),
        "95% interval": "" if hidden or no_data else format_interval(
            r.get("lower95"), r.get("upper95"), khi),
        "Answers": "" if hidden or no_data or pd.isna(r.get("n")) else f"{int(r['n']):,}",
    }


def region_table(frame: pd.DataFrame, khi: KHI) -> pd.DataFrame:
    """The table under the Regions map: value, interval, base and comparison in words."""
    rows = []
    for _, r in frame.iterrows():
        cells = _shown_cells(r, khi)
        no_data = cells["Value"] == "No answers"
        rows.append({
            "Region": r["region"],
            **cells,
            "Compared with England": "" if no_data else comparison_words(
                "not compared" if is_hidden(r) else r.get("comparison"),
                outside998=r.get("outside998", False),
            ),
        })
    return pd.DataFrame(rows)


def group_table(table: pd.DataFrame, khi: KHI, heading: str) -> pd.DataFrame:
    """One KHI by group (the engine's table with a ``group`` column in words), as a
    reader reads it: the group under ``heading``, then ``_shown_cells``."""
    rows = [{heading: r["group"], **_shown_cells(r, khi)} for _, r in table.iterrows()]
    return pd.DataFrame(rows, columns=[heading, "Value", "95% interval", "Answers"])


def scheme_table(table: pd.DataFrame, khi: KHI, benchmark: str) -> pd.DataFrame:
    """One row per scheme as the Schemes page shows it: numbers stay numbers (so the
    table sorts by value), hidden schemes carry no value, interval or base."""
    hidden = table.apply(is_hidden, axis=1) if len(table) else pd.Series(dtype=bool)

    def shown(column: str) -> pd.Series:
        values = pd.to_numeric(table[column], errors="coerce").round(1)
        return values.mask(hidden)

    return pd.DataFrame(
        {
            "Scheme": table["name"],
            "Region": table["region"],
            "Value" + (" (%)" if khi.is_proportion else ""): shown("value"),
            "95% interval from": shown("lower95"),
            "95% interval to": shown("upper95"),
            "Base (answers)": shown("n").astype("Int64"),
            f"Compared with {BENCHMARK_NAMES[benchmark]}": [
                HIDDEN_WORDS if h else comparison_words(r, benchmark, outside998=o)
                for h, r, o in zip(
                    hidden, table["comparison"].astype(str), outside_flags(table)
                )
            ],
            "CQC rating": table["cqc"],
        }
    ).reset_index(drop=True)


# ------------------------------------------------------------- data quality ---
# The Data quality page's tables: response rates, missing returns and how many
# answered each question; hidden cells show no number.
HIDDEN_SHORT = "too few to show"


def quarter_words(value: object) -> str:
    """A quarter as people read it, whatever form the engine gives (date or label)."""
    if isinstance(value, str):
        return quarter_label(parse_quarter(value))
    return quarter_label(pd.Timestamp(value).date())


def suppressed_rows(frame: pd.DataFrame) -> pd.Series:
    """True where the engine hid a row (a missing value alone is not hidden)."""
    if "suppressed" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["suppressed"].fillna(False).astype(bool)


def percent_words(value: object, hidden: bool = False) -> str:
    """A share as the Data quality tables print it: "67%", "–", or hidden."""
    if hidden:
        return HIDDEN_SHORT
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):.0f}%"


def whole(value: object) -> object:
    """A count as an int, None when missing."""
    return None if value is None or pd.isna(value) else int(value)


def rates_table(rates: pd.DataFrame, label: str, names: Mapping[str, str]) -> pd.DataFrame:
    """The chosen quarter, one line per scheme: responses, people supported and the rate.

    Lowest rate first (hidden and unknown rates last): the schemes whose numbers
    may not speak for everyone they support are the ones to look at. Names as
    registered (``names``: scheme id to name); the page escapes them.
    """
    data = rates[[quarter_words(q) == label for q in rates["quarter"]]]
    hidden = suppressed_rows(data)
    out = pd.DataFrame(
        {
            "Scheme": [names.get(s, s) for s in data["scheme_id"]],
            "Region": data.get("region", ""),
            "Responses": pd.array(
                [None if h else whole(v) for v, h in zip(data["responses"], hidden)],
                dtype="Int64",
            ),
            "People supported": pd.array(
                [whole(v) for v in data["people_supported"]], dtype="Int64"
            ),
            "Response rate": [
                percent_words(v, h or ph) for v, h, ph in
                zip(data["rate"], hidden, data.get("people_suppressed", [False] * len(data)))
            ],
            "_rate": pd.to_numeric(data["rate"], errors="coerce").mask(hidden).to_numpy(),
        }
    )
    out = out.sort_values(["_rate", "Scheme"], na_position="last", kind="stable")
    return out.drop(columns="_rate").reset_index(drop=True)


def rates_by_quarter(rates: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Every quarter side by side: one line per scheme, one column per quarter (the rate).
    Names as registered (``names``); the page escapes them."""
    hidden = suppressed_rows(rates)
    long = pd.DataFrame(
        {
            "Scheme": [names.get(s, s) for s in rates["scheme_id"]],
            "start": [parse_quarter(quarter_words(q)) for q in rates["quarter"]],
            "rate": [
                "no return" if pd.isna(people) and not h and not ph else percent_words(v, h or ph)
                for v, h, people, ph in zip(rates["rate"], hidden, rates["people_supported"],
                                            rates.get("people_suppressed",
                                                      [False] * len(rates)))
            ],
        }
    )
    wide = long.pivot_table(index="Scheme", columns="start", values="rate", aggfunc="first")
    wide = wide[sorted(wide.columns)]
    wide.columns = [quarter_label(q) for q in wide.columns]
    return wide.fillna("–").reset_index()


def missing_table(missing: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Schemes without this quarter's activity return, and when they last sent one."""
    out = pd.DataFrame(
        {
            "Scheme": [names.get(s, s) for s in missing["scheme_id"]],
            "Scheme ID": missing["scheme_id"],
            "Region": missing.get("region", ""),
        }
    )
    if "last_return" in missing:
        out["Last return"] = [
            "never" if pd.isna(q) else quarter_words(q) for q in missing["last_return"]
        ]
    return out.reset_index(drop=True)


def completeness_table(items: pd.DataFrame) -> pd.DataFrame:
    """Each question: how many answered of those asked; hidden cells show no count."""
    texts = {i.code: i.text for i in bank().items}
    hidden = suppressed_rows(items)
    return pd.DataFrame(
        {
            "Question": [texts.get(code, code) for code in items["item"]],
            "Code": items["item"],
            "Answered": pd.array(
                [None if h else whole(v) for v, h in zip(items["answered"], hidden)],
                dtype="Int64",
            ),
            "Asked": pd.array(
                [None if h else whole(v) for v, h in zip(items["asked"], hidden)],
                dtype="Int64",
            ),
            "Share answered": [percent_words(v, h) for v, h in zip(items["share"], hidden)],
        }
    )


def region_tiles(table: pd.DataFrame | None) -> pd.DataFrame:
    """The engine's by-region table on the register's twelve tiles (absent = no answers).

    Why: the map and the ranked bars draw every region, with or without answers, so
    a region nobody answered in is shown as empty rather than left out.
    """
    tiles = pd.DataFrame(
        [(r.name, r.col, r.row) for r in bank().regions], columns=["region", "col", "row"]
    )
    if table is None or table.empty:
        return tiles.assign(value=pd.NA, suppressed=False)
    return tiles.merge(table, on="region", how="left")


ROUND_WHO_WORDS = {"person": "People who use Shared Lives", "carer": "Family carers"}
ROUND_STATE_WORDS = {"open": "Open", "closed": "Closed", "expired": "Ended (past its end date)",
                     "rolled back": "Rolled back"}


def rounds_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The rounds (``kpi.collect``'s list) as a scheme worker reads them."""
    return pd.DataFrame({
        "Round": frame["round_id"].astype(int),
        "Scheme": frame["scheme_id"],
        "Quarter": frame["quarter"],
        "Who": frame["who"].map(ROUND_WHO_WORDS),
        "State": frame["state"].map(ROUND_STATE_WORDS),
        "Personal links": frame["links_sent"].astype(int),
        "Answered online": frame["online_answers"].astype(int),
        "Typed from paper": frame["paper_answers"].astype(int),
        "Opened by": frame["opened_by"].fillna(""),
        "Upload": frame["upload_id"].astype(int),
    })


def round_words(frame: pd.DataFrame, round_id: int) -> str:
    """One round in a few words, as a choice in a list: "Round 3: SL001, 2026/27 Q2, …"."""
    row = frame[frame["round_id"] == round_id].iloc[0]
    return f"Round {round_id}: {row['scheme_id']}, {row['quarter']}, {ROUND_WHO_WORDS[row['who']]}"


def round_rates_table(rates: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Each survey round's response rates (``kpi.collect.round_rates``) as a scheme
    worker reads them; ``names`` maps scheme ids to plain names."""
    return pd.DataFrame({
        "Round": rates["round_id"].astype(int),
        "Scheme": [names.get(s, s) for s in rates["scheme_id"]],
        "Quarter": rates["quarter"],
        "Who": rates["who"].map({"person": "People", "carer": "Family carers"}),
        "Personal links sent": rates["links_sent"].astype(int),
        "Answers": rates["answers"].astype(int),
        "People supported": pd.array([whole(v) for v in rates["people_supported"]],
                                     dtype="Int64"),
        "Personal links answered": [percent_words(v) for v in rates["links_answered_pct"]],
        "Answers ÷ people supported": [percent_words(v) for v in rates["people_pct"]],
    })


def change_log(changes: pd.DataFrame, uploads: pd.DataFrame) -> pd.DataFrame:
    """The store's change log as the Admin page shows it: a blank, never "None", where
    a row has no subject or detail.

    A rollback logged before the log kept details has only the upload's number
    (it read "2 · None"): its file and scheme are taken from the upload's record.
    """
    subject = changes["subject"].fillna("").astype(str)
    detail = changes["detail"].fillna("").astype(str)
    legacy = (changes["action"] == "upload rolled back") & (detail == "") & subject.str.isdigit()
    known = {int(u.upload_id): u for u in uploads.itertuples()}
    for i in changes.index[legacy]:
        number = int(subject[i])
        subject[i] = f"upload {number}"
        upload = known.get(number)
        if upload is not None:
            scheme = (f"{upload.scheme_name} ({upload.scheme_id})"
                      if isinstance(upload.scheme_name, str) else "several schemes")
            detail[i] = (f"{upload.file_name} for {scheme} (rows removed not recorded: "
                         "rolled back before the log kept them)")
    return pd.DataFrame({
        "When": pd.to_datetime(changes["changed_at"]).dt.strftime("%d %b %Y %H:%M"),
        "By": changes["changed_by"],
        "What": changes["action"].str.capitalize(),
        "Subject": subject,
        "Detail": detail,
    })


def with_names(
    table: pd.DataFrame, register: pd.DataFrame, names: Mapping[str, str],
    region: str | None = None,
) -> pd.DataFrame:
    """The engine's by-scheme table with each scheme's name, region and CQC rating
    beside its id (from the scheme ``register`` and its display ``names``), and
    ``in_area`` (in ``region``; every scheme when None)."""
    by_id = register.set_index("scheme_id")
    out = table.copy()
    ids = out["scheme"].astype(str)
    out["name"] = [names.get(s, s) for s in ids]
    out["region"] = [by_id["region"].get(s, "") for s in ids]
    ratings = dict(bank().cqc_ratings)
    out["cqc"] = [ratings.get(str(by_id["cqc_rating"].get(s)), "Not recorded") for s in ids]
    out["in_area"] = True if region is None else out["region"] == region
    return out


def most_shown(table: pd.DataFrame, ids: tuple[str, ...]) -> str | None:
    """The scheme of ``ids`` with the most indicators shown (not hidden for too few
    answers) in the engine's by-scheme table, then the most answers. Why: the first
    scheme in the register is often a small one whose profile is all gaps."""
    table = table[table["scheme"].isin(ids)]
    if table.empty:
        return None
    shown = table.assign(shown=table["value"].notna(), answers=table["n"].fillna(0))
    ranked = shown.groupby("scheme")[["shown", "answers"]].sum()
    return str(ranked.sort_values(["shown", "answers"], ascending=False).index[0])


def profile_table(frame: pd.DataFrame, khis: list[KHI]) -> pd.DataFrame:
    """One scheme's profile (``kpi.charts.spine_frame``: one row per KHI of ``khis``)
    in words and numbers, for those who prefer a table: a hidden value, or England
    hidden, says so and is never replaced."""
    rows = []
    for khi, (_, r) in zip(khis, frame.iterrows()):
        hidden = bool(r["suppressed"])
        rows.append(
            {
                "Indicator": khi.name,
                "This scheme": HIDDEN_WORDS if hidden else format_value(r["value"], khi),
                "95% interval": "" if hidden else format_interval(r["lower95"], r["upper95"], khi),
                "England": HIDDEN_WORDS if pd.isna(r["benchmark"]) else format_value(
                    r["benchmark"], khi
                ),
                "Range of schemes": ""
                if pd.isna(r["lowest"])
                else f"{format_value(r['lowest'], khi)} to {format_value(r['highest'], khi)}",
                "Compared with England": comparison_words(
                    "not compared" if hidden else r["comparison"],
                    outside998=r.get("outside998", False),
                ),
            }
        )
    return pd.DataFrame(rows)


def england_value(table: pd.DataFrame | None) -> float | None:
    """England's value for one KHI from the engine's England table, the line a chart
    reads areas or groups against: None (no line, rather than the viewer's own rows)
    when England's is hidden or missing."""
    if table is None or not len(table):
        return None
    value = table.iloc[0].get("value")
    if value is None or pd.isna(value):
        return None
    return float(value)
