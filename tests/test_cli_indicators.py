"""`python -m kpi indicators` in a subprocess: the spec's columns (§6), percentages,
quarters by label or date, JSON, and a clear refusal for an unknown KHI or breakdown."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kpi.catalogue import catalogue
from kpi.indicators import latest_quarter
from kpi.periods import quarter_end, quarter_label
from kpi.store import Store

PROJECT_DIR = Path(__file__).resolve().parents[1]
SPEC_COLUMNS = [
    "n", "count", "value", "lower95", "upper95", "lower998", "upper998",
    "suppressed", "benchmark", "comparison",
]


def kpi(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    return subprocess.run(
        [sys.executable, "-m", "kpi", *args],
        capture_output=True, text=True, cwd=PROJECT_DIR, env=env, timeout=120,
    )


def csv_of(result: subprocess.CompletedProcess[str]) -> pd.DataFrame:
    assert result.returncode == 0, result.stderr
    return pd.read_csv(io.StringIO(result.stdout))


def test_the_whole_table_has_the_spec_columns_and_every_khi(demo_store: Store) -> None:
    frame = csv_of(kpi("indicators", "--db", str(demo_store.path)))
    assert list(frame.columns) == ["khi", *SPEC_COLUMNS]
    assert list(frame["khi"]) == [k.code for k in catalogue()]
    proportions = frame[frame["khi"].isin([k.code for k in catalogue() if k.is_proportion])]
    # Percentages 0-100, a count for every proportion and none for the means.
    assert proportions["value"].between(0, 100).all()
    assert (proportions["value"] > 1).any()
    assert proportions["count"].notna().all()
    means = frame[frame["khi"].isin(["friends_mean", "swemwbs_mean"])]
    assert means["count"].isna().all()
    assert (frame["lower95"] <= frame["value"]).all()
    assert (frame["lower998"] <= frame["lower95"]).all()
    assert (frame["upper998"] >= frame["upper95"]).all()


def test_by_region_and_a_label_or_date_give_the_same_rows(demo_store: Store) -> None:
    start = latest_quarter(demo_store)
    label, inside = quarter_label(start), quarter_end(start).isoformat()
    by_label = csv_of(kpi("indicators", "--db", str(demo_store.path), "--khi",
                          "lonely_often,swemwbs_mean", "--by", "region", "--quarter", label))
    by_date = csv_of(kpi("indicators", "--db", str(demo_store.path), "--khi",
                         "lonely_often,swemwbs_mean", "--by", "region", "--quarter", inside))
    assert list(by_label.columns) == ["khi", "region", *SPEC_COLUMNS]
    pd.testing.assert_frame_equal(by_label, by_date)
    assert set(by_label["khi"]) == {"lonely_often", "swemwbs_mean"}
    assert set(by_label["comparison"]) <= {"better", "similar", "worse", "not compared"}


def test_tidy_gives_the_dashboards_download_columns(demo_store: Store) -> None:
    """``--tidy``: the columns every dashboard CSV of a KHI has (kpi.downloads), the
    engine's numbers in them, each scheme by name; two breakdowns are refused."""
    from kpi.downloads import TIDY_COLUMNS, data_as_of
    from kpi.indicators import Filters, indicator_table

    db = str(demo_store.path)
    frame = csv_of(kpi("indicators", "--db", db, "--khi", "warm_kind", "--by", "scheme",
                       "--region", "London", "--tidy"))
    assert list(frame.columns) == list(TIDY_COLUMNS.values())
    engine = indicator_table(demo_store, khis=["warm_kind"], by=["scheme"],
                             filters=Filters(regions=("London",)))
    names = dict(zip(demo_store.schemes()["scheme_id"], demo_store.schemes()["name"]))
    assert list(frame["Area"]) == [names[s] for s in engine["scheme"]]
    assert frame["Value"].tolist() == pytest.approx(engine["value"].tolist(), nan_ok=True)
    assert (frame["Quarter"] == quarter_label(latest_quarter(demo_store))).all()
    assert (frame["Data as of"] == data_as_of(demo_store)).all()
    hidden = frame[frame["Hidden (too few answers)"]]
    assert len(hidden) and hidden["Value"].isna().all()
    two = kpi("indicators", "--db", db, "--by", "scheme,age_band", "--tidy")
    assert two.returncode != 0 and "at most one --by" in two.stderr


def test_hidden_rows_are_empty_in_the_csv(demo_store: Store) -> None:
    frame = csv_of(kpi("indicators", "--db", str(demo_store.path), "--khi", "lonely_often",
                       "--by", "scheme"))
    hidden = frame[frame["suppressed"]]
    assert len(hidden) > 0, "the demo has small schemes: some must be hidden"
    for column in ("n", "count", "value", "lower95", "upper95", "lower998", "upper998"):
        assert hidden[column].isna().all(), column
    shown = frame[~frame["suppressed"]]
    assert (shown["n"] >= 5).all()


def test_json_and_quarters_as_labels(demo_store: Store) -> None:
    result = kpi("indicators", "--db", str(demo_store.path), "--khi", "warm_kind",
                 "--by", "quarter", "--quarter", "all", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["quarter"] for r in rows] == sorted(
        (r["quarter"] for r in rows), key=lambda q: (q[:4], q[-1])
    )
    assert all(r["quarter"].startswith("20") and " Q" in r["quarter"] for r in rows)
    assert set(rows[0]) == {"khi", "quarter", *SPEC_COLUMNS}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--khi", "happiness"), "Unknown KHI code 'happiness'"),
        (("--by", "postcode"), "Unknown breakdown 'postcode'"),
        (("--quarter", "spring"), "is not recognised"),
        (("--region", "Atlantis"), "Unknown region 'Atlantis'"),
    ],
)
def test_bad_arguments_exit_2_with_what_to_do(
    demo_store: Store, args: tuple[str, ...], message: str
) -> None:
    result = kpi("indicators", "--db", str(demo_store.path), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_benchmarks_are_the_region_or_the_same_support_type(demo_store: Store) -> None:
    db = str(demo_store.path)
    regions = csv_of(kpi("indicators", "--db", db, "--khi", "warm_kind", "--by", "region"))
    schemes = csv_of(kpi("indicators", "--db", db, "--khi", "warm_kind", "--by", "scheme",
                         "--benchmark", "region"))
    region_of = dict(zip(demo_store.schemes()["scheme_id"], demo_store.schemes()["region"]))
    region_value = dict(zip(regions["region"], regions["value"]))
    # Each scheme is compared with its own region's published value; a hidden
    # scheme has no benchmark beside it (issue 12: nothing of it is printed).
    expected = [float("nan") if hidden else region_value[region_of[s]]
                for s, hidden in zip(schemes["scheme"], schemes["suppressed"])]
    assert schemes["benchmark"].tolist() == pytest.approx(expected, nan_ok=True)
    assert schemes["benchmark"].notna().any()
    assert schemes["benchmark"].nunique() > 1

    england = csv_of(kpi("indicators", "--db", db, "--khi", "warm_kind", "--by",
                         "support_type"))
    london = csv_of(kpi("indicators", "--db", db, "--khi", "warm_kind", "--by", "support_type",
                        "--region", "London", "--benchmark", "support_type"))
    england_value = dict(zip(england["support_type"].fillna("-"), england["value"]))
    assert london["benchmark"].tolist() == pytest.approx(
        [float("nan") if hidden else england_value[t]
         for t, hidden in zip(london["support_type"].fillna("-"), london["suppressed"])],
        nan_ok=True,
    )
    # Without a support type to compare within, the command says what to do.
    refused = kpi("indicators", "--db", db, "--khi", "warm_kind", "--by", "scheme",
                  "--benchmark", "support_type")
    assert refused.returncode == 2
    assert "needs one support type" in refused.stderr


def test_england_is_not_compared_with_itself(demo_store: Store) -> None:
    db = str(demo_store.path)
    england = csv_of(kpi("indicators", "--db", db))
    assert set(england["comparison"]) == {"not compared"}
    by_quarter = csv_of(kpi("indicators", "--db", db, "--khi", "warm_kind", "--by", "quarter",
                            "--quarter", "all"))
    assert set(by_quarter["comparison"]) == {"not compared"}
    # A region, or groups of people, are compared with England.
    london = csv_of(kpi("indicators", "--db", db, "--region", "London"))
    assert set(london["comparison"]) & {"better", "similar", "worse"}
    ages = csv_of(kpi("indicators", "--db", db, "--khi", "lonely_often", "--by", "age_band"))
    assert set(ages["comparison"]) & {"better", "similar", "worse"}
