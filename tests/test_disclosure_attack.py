"""An attacker's test of disclosure control (issue 12): no hidden cell can be worked out.

A small sector is built from known answers: a tiny scheme (L3, 3 people) beside two
large ones in London, a tiny scheme alone in its nation (W1, Wales, 4 people), a
small first quarter (L1 in Q_PREV, 3 people), a small support type (L1's 2 short
breaks), a small age band (N1's 3 people aged 75+) and 3 carers. Then everything
a user can ask is asked, as an attacker would: `python -m kpi indicators` with every
breakdown, area filter, support filter, quarter and benchmark (through kpi.cli.main,
so the CSV is the CLI's own), the engine functions the pages call (answer
distribution, item completeness, response rates), and the Data quality page.

Every published number is a linear equation in the sector's "atoms" (people per
scheme, quarter, support type, age band and answer). A hidden cell's base or count
can be derived by differencing (regions minus schemes, England minus regions, all
quarters minus quarters, a scheme minus its support types or ages...) exactly when
its vector lies in the span of the published equations; the test checks every
hidden cell against all of them at once, so it covers every differencing, not only
the ones listed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi import cli
from kpi.indicators import (
    Filters,
    Settings,
    answer_distribution,
    item_completeness,
    response_rates,
)
from kpi.periods import quarter_label
from kpi.store import Store
from tests.builders import make_store

Q = dt.date(2026, 4, 1)  # 2026/27 Q1, the latest quarter
Q_PREV = dt.date(2026, 1, 1)  # 2025/26 Q4, the small first quarter
SETTINGS = Settings(min_base=5, min_compare=10)
SCHEMES = [
    ("L1", "Larch Shared Lives", "London"),
    ("L2", "Lime Shared Lives", "London"),
    ("L3", "Linden Shared Lives", "London"),
    ("N1", "Nettle Shared Lives", "North East"),
    ("N2", "Nutmeg Shared Lives", "North East"),
    ("W1", "Willow Shared Lives", "Wales"),
]
REGION = {s: r for s, _, r in SCHEMES}
# Atoms: scheme, quarter, support type, age band, people who agree, people who do not.
ATOMS = [
    ("L1", Q, "long_term", "35-49", 20, 8),
    ("L1", Q, "short_break", "35-49", 1, 1),  # a small support type
    ("L2", Q, "long_term", "35-49", 15, 10),
    ("L3", Q, "long_term", "35-49", 2, 1),  # a tiny scheme beside large ones
    ("N1", Q, "long_term", "35-49", 25, 12),
    ("N1", Q, "long_term", "75+", 2, 1),  # a small age band
    ("N2", Q, "day_support", "50-64", 12, 8),
    ("W1", Q, "long_term", "50-64", 3, 1),  # a tiny scheme alone in its nation
    ("L1", Q_PREV, "long_term", "35-49", 2, 1),  # a small first quarter
    ("L2", Q_PREV, "long_term", "35-49", 7, 5),
    ("N1", Q_PREV, "long_term", "35-49", 9, 6),
    ("N2", Q_PREV, "day_support", "50-64", 6, 4),
]
CARERS = 3  # carers of L1 in Q: every carer cell is hidden
# People supported, from the schemes that sent an activity return (L1 and L2 did not).
RETURNS = {"L3": 61, "N1": 62, "N2": 63, "W1": 64}
DIMS = ("region", "scheme", "quarter", "support_type", "age_band")


def upload(store: Store, scheme_id: str, rows: list[dict]) -> None:
    frame = pd.DataFrame({
        "scheme_id": scheme_id,
        "person_key": [r["person"] for r in rows],
        "respondent_type": [r.get("type", "person") for r in rows],
        "completed_on": [r["on"] for r in rows],
        "source_row": range(2, len(rows) + 2),
    })
    for column in ("support_type", "age_band"):
        frame[column] = pd.Series([r.get(column) for r in rows], dtype=object)
    for item in ("warm_kind", "carer_break_fits", "friends_count"):
        frame[item] = pd.array([r.get(item) for r in rows], dtype="Int8")
    with store.transaction() as con:
        upload_id = store.new_upload(
            con, scheme_id=scheme_id, kind="survey", file_name="attack.csv", sha256=None,
            uploaded_by="test", layout="template", rows_read=len(rows),
        )
        store.bulk_insert_responses(con, upload_id, frame)
        store.finish_upload(con, upload_id, accepted=len(rows), rejected=0)


@pytest.fixture(scope="module")
def sector(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = make_store(tmp_path_factory.mktemp("attack") / "khi.duckdb", SCHEMES)
    for scheme in dict.fromkeys(a[0] for a in ATOMS):
        rows = []
        for k, (s, quarter, support, age, yes, no) in enumerate(ATOMS):
            if s != scheme:
                continue
            for i in range(yes + no):
                # A friend exactly when warm and kind: friends_any (the drivers
                # page's outcome) has the same people, bases and counts.
                rows.append({"person": f"{s}-{k}-{i}", "on": quarter + dt.timedelta(days=20),
                             "support_type": support, "age_band": age,
                             "warm_kind": 5 if i < yes else 1,
                             "friends_count": 2 if i < yes else 0})
        if scheme == "L1":
            rows += [{"person": f"carer-{i}", "type": "carer", "on": Q + dt.timedelta(days=20),
                      "support_type": "long_term", "age_band": "50-64",
                      "carer_break_fits": 4} for i in range(CARERS)]
        upload(store, scheme, rows)
    # Activity returns from some schemes, not all: the board pack's response rate
    # counts the surveys of the schemes that sent one.
    with store.transaction() as con:
        upload_id = store.new_upload(
            con, scheme_id=None, kind="activity", file_name="returns.csv", sha256=None,
            uploaded_by="test", layout="template", rows_read=len(RETURNS) * 2,
        )
        store.store_activity(con, upload_id, pd.DataFrame(
            [{"scheme_id": s, "quarter_start": q, "long_term": people, "short_break": 0,
              "day_support": 0, "home_from_hospital": 0, "approved_carers": 9,
              "new_arrangements": 0, "ended_arrangements": 0}
             for s, people in RETURNS.items() for q in (Q, Q_PREV)]))
        store.finish_upload(con, upload_id, accepted=len(RETURNS) * 2, rejected=0)
    return store


# --------------------------------------------------------------- the attacker ---
ATOM_FRAME = pd.DataFrame(
    [(REGION[s], s, q, sup, age) for s, q, sup, age, _, _ in ATOMS], columns=list(DIMS)
)
# Unknowns: per atom, people who agree and people who do not.
YES = np.array([a[4] for a in ATOMS], dtype=float)
NO = np.array([a[5] for a in ATOMS], dtype=float)
TRUTH = np.concatenate([YES, NO])
LABELS = {quarter_label(q): q for q in (Q, Q_PREV)}


class Ledger:
    """What the attacker has seen: published equations and hidden cells."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.values: list[float] = []
        self.labels: list[str] = []
        self.hidden: list[tuple[str, np.ndarray]] = []
        self.hidden_answers: list[tuple[str, np.ndarray]] = []
        self.benchmarks_beside_hidden: list[str] = []
        self.commands = 0

    def cell(self, where: dict) -> np.ndarray:
        mask = np.ones(len(ATOM_FRAME), dtype=bool)
        for column, value in where.items():
            mask &= (ATOM_FRAME[column] == value).to_numpy()
        return mask.astype(float)

    def publish(self, label: str, mask: np.ndarray, n: object, count: object = None) -> None:
        """A shown base (people) and count (people who agree) of the cell ``mask``."""
        if n is not None and not pd.isna(n):
            self.equation(f"base of {label}", np.concatenate([mask, mask]), n)
        if count is not None and not pd.isna(count):
            self.equation(f"count of {label}", np.concatenate([mask, np.zeros_like(mask)]),
                          count)

    def equation(self, label: str, row: np.ndarray, value: object) -> None:
        self.rows.append(row)
        self.values.append(float(value))
        self.labels.append(label)

    def hide(self, label: str, mask: np.ndarray) -> None:
        if mask.sum():
            self.hidden.append((label, mask))

    def hide_answer(self, label: str, row: np.ndarray) -> None:
        """A hidden answer count: the people of a cell who gave one answer."""
        if row.sum():
            self.hidden_answers.append((label, row))

    def derivable(self) -> tuple[list[str], int]:
        """Hidden (base, count) that some combination of published figures gives exactly."""
        a = np.array(self.rows)
        b = np.array(self.values)
        wrong = [f"{label}: {v} != {t}" for label, v, t in zip(self.labels, b, a @ TRUTH)
                 if abs(v - t) > 1e-9]
        assert not wrong, "the attacker's model of a cell is wrong:\n" + "\n".join(wrong[:5])
        leaks, tried = [], 0
        targets = [(f"{what} of {label}", target) for label, mask in self.hidden
                   for what, target in (("base", np.concatenate([mask, mask])),
                                        ("count", np.concatenate([mask, np.zeros_like(mask)])))]
        # A hidden answer count matters when it is small (1-4 people): a secondary
        # answer hidden beside it may be the KHI's own published count.
        targets += [(label, row) for label, row in self.hidden_answers
                    if 0 < row @ TRUTH < SETTINGS.min_base]
        if True:
            for what, target in targets:
                tried += 1
                y, *_ = np.linalg.lstsq(a.T, target, rcond=None)
                if np.allclose(a.T @ y, target, atol=1e-7):
                    leaks.append(f"{what} = {y @ b:.0f} (true {target @ TRUTH:.0f})")
        return leaks, tried


def run_cli(store: Store, *args: str) -> pd.DataFrame:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["indicators", "--db", str(store.path), "--khi", "warm_kind", *args])
    assert code == 0
    return pd.read_csv(io.StringIO(out.getvalue()))


AREAS = [{}] + [{"region": r} for r in dict.fromkeys(REGION.values())] + [
    {"scheme": s} for s in REGION]
SUPPORTS = (None, "long_term", "short_break", "day_support")


def commands() -> list[tuple[tuple[str, ...], dict, str | None, str | None]]:
    """Every question worth asking: (breakdown, area filter, support type, quarter)."""
    asked = []
    for area, support in itertools.product(AREAS, SUPPORTS):
        # Every one-way breakdown finer than the area (a scheme by region is itself).
        finer = [(), ("support_type",), ("age_band",)]
        if "scheme" not in area:
            finer.append(("scheme",))
        if not area:
            finer.append(("region",))
        asked += [(by, area, support, None) for by in finer]
    for area in AREAS:  # quarters: each quarter, all quarters, and all by quarter
        for by in ((), ("region",), ("scheme",)) if not area else ((),):
            asked += [(by, area, None, quarter_label(Q_PREV)), (by, area, None, "all")]
        asked.append((("quarter",), area, None, "all"))
    two_way = [("region", "scheme"), ("scheme", "support_type"), ("scheme", "age_band"),
               ("region", "support_type"), ("region", "age_band"),
               ("support_type", "age_band"), ("quarter", "scheme"), ("quarter", "region"),
               ("quarter", "support_type")]
    asked += [(by, {}, None, "all" if "quarter" in by else None) for by in two_way]
    return asked


def attack(store: Store, engine: bool = True, answers: bool = False) -> Ledger:
    ledger = Ledger()
    for by, area, support, quarter in commands():
        args = [f"--{k}={v}" for k, v in area.items()]
        if support:
            args.append(f"--support={support}")
        if quarter:
            args.append(f"--quarter={quarter}")
        if by:
            args.append("--by=" + ",".join(by))
        frame = run_cli(store, *args)
        ledger.commands += 1
        for row in frame.itertuples(index=False):
            where = dict(area)
            if support:
                where["support_type"] = support
            if quarter != "all":
                where["quarter"] = Q_PREV if quarter else Q
            for d in by:
                value = getattr(row, d)
                where[d] = LABELS[value] if d == "quarter" else value
            mask = ledger.cell(where)
            cell = "/".join(f"{k}={v}" for k, v in where.items())
            label = f"{cell} (indicators {' '.join(args)})"
            if bool(row.suppressed):
                assert pd.isna(row.n) and pd.isna(row.count) and pd.isna(row.value)
                if not pd.isna(row.benchmark):
                    ledger.benchmarks_beside_hidden.append(label)
                ledger.hide(label, mask)
            else:
                ledger.publish(label, mask, row.n, row.count)
    # The engine functions the pages call, under every area and support filter.
    for area, support, quarter in itertools.product(AREAS, SUPPORTS[:3] if engine else (),
                                                    (Q, Q_PREV)):
        filters = Filters(
            regions=(area["region"],) if "region" in area else None,
            scheme_ids=(area["scheme"],) if "scheme" in area else None,
            support_types=(support,) if support else None,
        )
        where = {**area, "quarter": quarter, **({"support_type": support} if support else {})}
        mask = ledger.cell(where)
        dist = answer_distribution(store, "warm_kind", quarter, filters, SETTINGS)
        ledger.commands += 1
        for row in dist.itertuples(index=False) if answers else ():
            if row.value in (1, 5) and not row.suppressed:
                yes = float(row.value == 5)
                ledger.equation(f"answer {row.value} of {where}",
                                np.concatenate([mask * yes, mask * (1 - yes)]), row.count)
            elif row.value in (1, 5):
                yes = float(row.value == 5)
                ledger.hide_answer(f"answer {row.value} of {where}",
                                   np.concatenate([mask * yes, mask * (1 - yes)]))
        items = item_completeness(store, quarter, filters)
        ledger.commands += 1
        warm = items[items["item"] == "warm_kind"]
        if len(warm) and not bool(warm["suppressed"].iloc[0]):
            ledger.publish(f"answered {where}", mask, warm["answered"].iloc[0])
            ledger.publish(f"asked {where}", mask, warm["asked"].iloc[0])
        carers = items[items["item"] == "carer_break_fits"]
        assert carers.empty or carers["suppressed"].all(), f"carer counts shown: {carers}"
        rates = response_rates(store, filters, quarter)
        ledger.commands += 1
        for row in rates.itertuples(index=False):
            cell = ledger.cell({**where, "scheme": row.scheme_id})
            if row.suppressed:
                ledger.hide(f"responses of {row.scheme_id} {where}", cell)
            else:
                ledger.publish(f"responses of {row.scheme_id} {where}", cell, row.responses)
    return ledger


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def attack_drivers_page(store: Store, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """The drivers page, read through AppTest: friends_any by support type, whose
    people, bases and counts are warm_kind's. Base, each group's "Answered" and its
    share (a count, where the share of at most 100 people gives it exactly)."""
    import re

    from kpi import drivers as model
    from tests.apptest_helpers import dataframe_with, markdown, open_page

    factor = {f.code: f for f in model.FACTORS}["support_type"]
    groups = {model._label(factor, code): code for code in SUPPORTS[1:]}
    for area, quarter in ((({}, Q)), ({}, Q_PREV), ({"region": "London"}, Q)):
        at = open_page(monkeypatch, store, "pages/drivers.py",
                       {**area, "quarter": quarter_label(quarter)},
                       state={"drivers_outcome": "friends_any",
                              "drivers_factor": "support_type"}, KHI_NO_DEMO="1")
        assert not at.exception, [e.value for e in at.exception]
        ledger.commands += 1
        where = {**area, "quarter": quarter}
        base = re.search(r"Base: ([\d,]+) people", markdown(at))
        if base:
            ledger.publish(f"drivers base {where}", ledger.cell(where), _number(base[1]))
        tables = [t for t in at.dataframe if "Odds ratio" in t.value.columns]
        if not tables and "Odds ratio" not in markdown(at):
            continue
        table = dataframe_with(at, "Odds ratio")
        for _, row in table.iterrows():
            cell = {**where, "support_type": groups[row["Group"]]}
            answered = str(row["Answered"] or "")
            if answered:
                n = _number(answered)
                ledger.publish(f"drivers group {cell}", ledger.cell(cell), n)
                share = str(row["With the outcome"] or "")
                if share.endswith("%") and n <= 100:
                    ledger.publish(f"drivers share {cell}", ledger.cell(cell), None,
                                   round(float(share[:-1]) * n / 100))
    assert ledger.commands


def attack_board_packs(store: Store, ledger: Ledger) -> list[str]:
    """Every board pack's caveats (and its KHI rows) for every area and quarter; the
    England pack's PDF text carries the same sentences. Returns England's."""
    import re

    from kpi.board import board_summary

    england = []
    for area, quarter in itertools.product(AREAS, (Q, Q_PREV)):
        pack = board_summary(store, quarter, region=area.get("region"),
                             scheme=area.get("scheme"), settings=SETTINGS)
        ledger.commands += 1
        where = {**area, "quarter": quarter}
        mask = ledger.cell(where)
        sentences = pack.caveats.sentences()
        if not area and quarter == Q:
            england = sentences
        for sentence in sentences:
            returned = re.match(r"([\d,]+) surveys were returned", sentence)
            if returned:
                ledger.publish(f"pack responses {where}", mask, _number(returned[1]))
        rate = re.search(r"([\d,]+) surveys for the ([\d,]+) people supported",
                         " ".join(sentences))
        if rate:
            with_return = sum(ledger.cell({**where, "scheme": s}) for s in RETURNS)
            ledger.publish(f"pack responses with a return {where}", with_return * mask,
                           _number(rate[1]))
        for row in pack.rows:
            if row.code in ("warm_kind", "friends_any"):
                ledger.publish(f"pack {row.code} {where}", mask, row.n, row.count)
    return england


def test_no_hidden_base_count_or_answer_can_be_derived(
    sector: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One attack, everything published: the KHI tables, the counts and the answer
    # distributions (published with their cell, whole or not at all), the drivers
    # page and every board pack. No hidden base, count, or answer count of a hidden
    # cell lies in the span of what was shown.
    ledger = attack(sector, answers=True)
    attack_drivers_page(sector, ledger, monkeypatch)
    attack_board_packs(sector, ledger)
    leaks, tried = ledger.derivable()
    print(f"attacker: {ledger.commands} commands, {len(ledger.values)} published figures, "
          f"{len(ledger.hidden)} hidden cells, {len(ledger.hidden_answers)} hidden answers, "
          f"{tried} derivations tried, {len(leaks)} succeeded; "
          f"{len(ledger.benchmarks_beside_hidden)} benchmarks beside hidden rows")
    # The small cells were asked for and are hidden somewhere (else nothing was tested).
    hidden_labels = " ".join(label for label, _ in ledger.hidden)
    for small in ("scheme=L3", "scheme=W1", "support_type=short_break", "age_band=75+"):
        assert small in hidden_labels, small
    small = [label for label, row in ledger.hidden_answers
             if 0 < row @ TRUTH < SETTINGS.min_base]
    assert len(small) >= 10, "the small answers were asked for and hidden"
    assert tried >= 100
    assert not ledger.benchmarks_beside_hidden, ledger.benchmarks_beside_hidden[:5]
    assert not leaks, "\n".join(leaks[:20]) + f"\n({len(leaks)} of {tried} derivations)"


def test_benchmarks_come_only_from_cells_that_passed_control(sector: Store) -> None:
    # W1 is alone in Wales: the Wales benchmark is W1's own hidden value.
    frame = run_cli(sector, "--by=scheme", "--benchmark=region")
    w1 = frame[frame["scheme"] == "W1"].iloc[0]
    assert bool(w1["suppressed"]) and pd.isna(w1["benchmark"])
    # England has 3 carers: no England benchmark beside any carer row.
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli.main(["indicators", "--db", str(sector.path), "--khi", "carer_break_fits",
                  "--by", "scheme"])
    carers = pd.read_csv(io.StringIO(out.getvalue()))
    assert len(carers) and carers["benchmark"].isna().all()
    # A shown scheme's region benchmark is its region's published value, and empty
    # where the region is hidden (London: L2 and L3 hidden, Wales beside it).
    regions = run_cli(sector, "--by=region").set_index("region")
    for row in frame[~frame["suppressed"]].itertuples(index=False):
        region = regions.loc[REGION[row.scheme]]
        if bool(region["suppressed"]):
            assert pd.isna(row.benchmark), row
        else:
            assert row.benchmark == pytest.approx(region["value"])
    assert frame["benchmark"].notna().any()


def test_the_data_quality_page_shows_no_hidden_count(
    sector: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pages.views import data_quality
    from tests.apptest_helpers import open_page, static_tables

    for params in ({}, {"scheme": "L1"}, {"region": "London"}):
        # Every table open: the rates of every scheme are built only when asked for.
        opened = {data_quality.EVERY_SCHEME.key: True, data_quality.EVERY_QUARTER.key: True}
        at = open_page(monkeypatch, sector, "pages/data_quality.py", params=params,
                       state=opened, KHI_NO_DEMO="1")
        assert not at.exception
        # Grids and the static (Markdown) tables alike.
        tables = [frame.value for frame in at.dataframe] + static_tables(at)
        assert tables, "the page drew no table"
        for data in tables:
            # The 3 carers (every carer cell hidden) appear as no count at all, nor
            # as "asked of everyone" minus people.
            cells = data.astype(str)
            carers = cells[cells.iloc[:, 0].str.contains("carer|Breaks|life of my own",
                                                         case=False, regex=True)]
            assert not carers.isin([str(CARERS)]).any().any(), (params, carers)
            assert not cells.isin([str(122 + CARERS)]).any().any(), (params, data)


def test_a_subprocess_cli_gives_the_same_protected_rows(sector: Store) -> None:
    import os
    import subprocess
    import sys

    project = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(project)}
    result = subprocess.run(
        [sys.executable, "-m", "kpi", "indicators", "--db", str(sector.path),
         "--khi", "warm_kind", "--scheme", "L1", "--by", "support_type"],
        capture_output=True, text=True, cwd=project, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    inline = run_cli(sector, "--scheme=L1", "--by=support_type")
    pd.testing.assert_frame_equal(frame, inline)
    # L1's 2 short breaks are hidden, and its long-term row with them.
    assert frame["suppressed"].all()


def test_the_board_pdf_says_what_the_pack_says(sector: Store) -> None:
    """The attack reads the packs' caveats; the PDF a board gets prints the same."""
    from pypdf import PdfReader

    from kpi.board import board_summary
    from kpi.board.pdf import render_pdf

    pack = board_summary(sector, Q, settings=SETTINGS)
    text = " ".join(" ".join(page.extract_text().split()) for page in
                    PdfReader(io.BytesIO(render_pdf(pack))).pages)
    for sentence in pack.caveats.sentences():
        assert " ".join(sentence.split()) in text, sentence


def test_uploads_show_counts_only_to_who_may_upload(sector: Store) -> None:
    """An upload's counts are a scheme's people: L3's upload holds its 3 people.
    A commissioner listing uploads sees them without counts; the scheme's own staff
    (who may upload for it) see theirs."""
    import json

    from kpi.scope import add_user

    add_user(sector, "lead@council.example", "commissioner", ["L1", "L3"], by="test")
    add_user(sector, "staff@linden.example", "scheme", ["L3"], by="test")

    def listed(email: str) -> list[dict]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.main(["uploads", "--db", str(sector.path), "--as", email,
                             "--json"]) == 0
        return json.loads(out.getvalue())

    seen = listed("lead@council.example")
    assert sorted(r["scheme_id"] for r in seen) == ["L1", "L3"]
    for row in seen:
        assert all(row[c] is None for c in cli.UPLOAD_COUNTS), row
    [own] = listed("staff@linden.example")
    assert own["scheme_id"] == "L3" and own["accepted"] == 3


# ------------------------------------------------------------ activity returns ---
# Activity counts per scheme (people by support type, approved carers), this quarter
# and a year before: small ones (1-4) beside large ones, as in the returns the issue
# found shown (a region's home from hospital 4; schemes' 2 and 1).
ACTIVITY = {  # scheme: (long_term, short_break, day_support, home_from_hospital, carers)
    "L1": (40, 3, 0, 0, 12), "L2": (25, 10, 6, 0, 3), "L3": (2, 0, 0, 0, 6),
    "N1": (50, 12, 8, 4, 20), "N2": (30, 0, 9, 0, 15), "W1": (20, 5, 0, 1, 9),
}
YEAR_AGO = dt.date(2025, 4, 1)
ACTIVITY_COLUMNS = ("long_term", "short_break", "day_support", "home_from_hospital",
                    "approved_carers")


@pytest.fixture(scope="module")
def returns_only(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = make_store(tmp_path_factory.mktemp("activity") / "khi.duckdb", SCHEMES)
    rows = [{"scheme_id": s, "quarter_start": q,
             **{c: v + (k if q == YEAR_AGO and v else 0) for k, (c, v) in
                enumerate(zip(ACTIVITY_COLUMNS, values))},
             "new_arrangements": 6, "ended_arrangements": 5}
            for s, values in ACTIVITY.items() for q in (Q, YEAR_AGO)]
    with store.transaction() as con:
        upload_id = store.new_upload(con, scheme_id=None, kind="activity",
                                     file_name="returns.csv", sha256=None, uploaded_by="test",
                                     layout="template", rows_read=len(rows))
        store.store_activity(con, upload_id, pd.DataFrame(rows))
        store.finish_upload(con, upload_id, accepted=len(rows), rejected=0)
    return store


def test_activity_counts_follow_the_published_rule(returns_only: Store) -> None:
    """Sector size (activity_summary by region and by scheme, under every area filter)
    and the response-rate table: every activity count of 1 to 4 people is hidden, and
    no hidden count lies in the span of the shown ones (growth included)."""
    from kpi.indicators import activity_summary

    atoms = [(s, q, c) for s in ACTIVITY for q in (Q, YEAR_AGO) for c in ACTIVITY_COLUMNS]
    truth = returns_only.activity().set_index(["scheme_id", "quarter_start"])
    value = np.array([float(truth.loc[(s, pd.Timestamp(q)), c]) if (s, pd.Timestamp(q))
                      in truth.index else float(truth.loc[(s, q), c]) for s, q, c in atoms])
    rows, values, hidden = [], [], []

    def mask(schemes: list[str], quarter: dt.date, columns: tuple[str, ...]) -> np.ndarray:
        return np.array([float(s in schemes and q == quarter and c in columns)
                         for s, q, c in atoms])

    support = ACTIVITY_COLUMNS[:4]
    for by, area in itertools.product(("region", "scheme"), AREAS):
        filters = Filters(regions=(area["region"],) if "region" in area else None,
                          scheme_ids=(area["scheme"],) if "scheme" in area else None)
        frame = activity_summary(returns_only, Q, filters, by=by)
        for row in frame.to_dict("records"):
            schemes = [s for s in ACTIVITY if (REGION[s] == row[by] if by == "region"
                                               else s == row[by])
                       and (filters.scheme_ids is None or s in filters.scheme_ids)]
            cells = {c: (c,) for c in ACTIVITY_COLUMNS} | {"people_supported": support}
            for column, parts in cells.items():
                m = mask(schemes, Q, parts)
                if pd.isna(row[column]):
                    hidden.append((f"{column} of {row[by]} {area}", m))
                else:
                    rows.append(m)
                    values.append(float(row[column]))
                    assert row[column] == m @ value
                    if column in ACTIVITY_COLUMNS[:4] or column == "approved_carers":
                        assert not 0 < row[column] < SETTINGS.min_base, (row, column)
            if not pd.isna(row["growth_pct"]):  # now / (1 + g) = the year before
                before = mask(schemes, YEAR_AGO, support)
                rows.append(before)
                values.append(float(row["people_year_before"]))
    a, b = np.array(rows), np.array(values)
    assert np.allclose(a @ value, b)
    leaks = []
    for label, target in hidden:
        y, *_ = np.linalg.lstsq(a.T, target, rcond=None)
        if np.allclose(a.T @ y, target, atol=1e-7):
            leaks.append(f"{label} = {y @ b:.0f} (true {target @ value:.0f})")
    small = [label for label, target in hidden if 0 < target @ value < SETTINGS.min_base]
    assert len(small) >= 4, "the small counts were asked for and hidden"
    assert not leaks, "\n".join(leaks)


def test_drivers_under_a_scope_show_no_total_with_a_hidden_scheme(sector: Store) -> None:
    """A commissioner granted every scheme but Wales's: 118 people, 3 of them L3's
    (hidden). The base adds L3 in, so it is not shown, nor is any group that adds up
    L3's people; shown groups are the KHI table's own cells under the same scope."""
    from kpi import drivers as model
    from kpi.indicators import indicator_table

    scope = Filters(scope=("L1", "L2", "L3", "N1", "N2"))
    found, base, note = model.drivers(sector, "friends_any", "support_type", Q, scope,
                                      SETTINGS)
    assert note == "" and base is None
    table = indicator_table(sector, ["friends_any"], by=["support_type"], quarter=Q,
                            filters=scope, settings=SETTINGS).set_index("support_type")
    assert bool(table.loc["long_term", "suppressed"])  # L3's 3 people are long-term
    for d in found:
        code = {model._label(model.FACTORS[3], c): c for c in SUPPORTS[1:]}[d.group]
        shown = table.loc[code]
        assert d.n == (None if bool(shown["suppressed"]) else int(shown["n"]))
        assert d.reference_n is None  # long-term, the largest group, is the reference
