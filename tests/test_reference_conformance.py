"""Golden tests: kpi.stats reproduces the PHEindicatormethods reference values.

The reference folder (``tests/reference/pheindicatormethods``, a copy of the peer's
values kept in the repository, or the folder named by ``KHI_REFERENCE_DIR``) holds the
expected inputs and outputs from PHEindicatormethods' own test suite; see its README.md.
Every row of every file is a test. Tolerances (absolute): 1e-6 on proportions and
counts, 1e-4 on percentages and means. If the folder is missing, every test here FAILS
with a message saying where it was looked for: a missing reference must never pass
silently.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kpi.stats import (
    byars_interval,
    funnel_limits_proportion,
    funnel_significance,
    mean_intervals_from_moments,
    proportion_with_intervals,
    wilson_interval,
)

# A copy kept in the repository (tests/reference/pheindicatormethods/README.md says
# where it comes from), so the golden tests pass on any clone.
DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parent / "reference" / "pheindicatormethods"
REFERENCE_DIR = Path(os.environ.get("KHI_REFERENCE_DIR") or DEFAULT_REFERENCE_DIR)

PROPORTION_TOL = 1e-6
PERCENT_TOL = 1e-4
MEAN_TOL = 1e-4
COUNT_TOL = 1e-6

CONFIDENCE = {"95%": 0.95, "99.8%": 0.998}

WILSON = "proportions_wilson.csv"
GROUPED = "proportions_wilson_grouped_totals.csv"
BYARS_WILSON = "byars_wilson.csv"
MEANS_INPUT = "means_input.csv"
MEANS_EXPECTED = "means_t_ci_expected.csv"
FUNNEL_INPUT = "funnel_proportions_input.csv"
FUNNEL_LIMITS = "funnel_proportions_expected_limits.csv"
FUNNEL_LIMITS_AXIS = "funnel_proportions_expected_limits_axis_variation.csv"
COVERED = {
    WILSON,
    GROUPED,
    BYARS_WILSON,
    MEANS_INPUT,
    MEANS_EXPECTED,
    FUNNEL_INPUT,
    FUNNEL_LIMITS,
    FUNNEL_LIMITS_AXIS,
}
# The axis-variation limits are for the funnel inputs with denominator below this.
AXIS_VARIATION_MAX_DENOMINATOR = 31000


def _missing_message(name: str) -> str:
    return (
        f"reference file {name!r} not found in {REFERENCE_DIR}. The golden tests need the "
        "PHEindicatormethods reference data, kept in the repository at "
        f"{DEFAULT_REFERENCE_DIR}; restore it from git, or set KHI_REFERENCE_DIR to a copy."
    )


@cache
def _read(name: str) -> pd.DataFrame | None:
    path = REFERENCE_DIR / name
    if not path.is_file():
        return None
    # Some files start with a UTF-8 byte order mark.
    return pd.read_csv(path, encoding="utf-8-sig")


def _load(name: str) -> pd.DataFrame:
    df = _read(name)
    if df is None:
        pytest.fail(_missing_message(name))
    return df


def _rows(name: str, make_id: Callable[[int, dict[str, Any]], str]) -> list[Any]:
    """One pytest param per row; a single failing param when the file is missing."""
    df = _read(name)
    if df is None:
        return [pytest.param(None, id=f"MISSING-{name}")]
    records = df.to_dict(orient="records")
    return [pytest.param({**row, "_row": i}, id=make_id(i, row)) for i, row in enumerate(records)]


def _row(row: dict[str, Any] | None, name: str) -> dict[str, Any]:
    if row is None:
        pytest.fail(_missing_message(name))
    return row


def _assert_close(actual: float, expected: float, tol: float, what: str) -> None:
    if pd.isna(expected):
        assert math.isnan(float(actual)), f"{what}: expected missing, got {actual}"
    else:
        assert float(actual) == pytest.approx(float(expected), abs=tol), what


# --------------------------------------------------------------------------------------
# the folder itself
# --------------------------------------------------------------------------------------


def test_reference_folder_is_present() -> None:
    assert REFERENCE_DIR.is_dir(), _missing_message("(the folder)")


def test_every_reference_file_is_covered() -> None:
    assert REFERENCE_DIR.is_dir(), _missing_message("(the folder)")
    present = {p.name for p in REFERENCE_DIR.glob("*.csv")}
    missing = COVERED - present
    assert not missing, _missing_message(", ".join(sorted(missing)))
    uncovered = present - COVERED
    assert not uncovered, f"reference files with no golden test: {sorted(uncovered)}"


# --------------------------------------------------------------------------------------
# Wilson proportions
# --------------------------------------------------------------------------------------


def _wilson_id(i: int, row: dict[str, Any]) -> str:
    return f"{i:02d}-{row['Area']}-x{row['multiplier']}"


@pytest.mark.parametrize("row", _rows(WILSON, _wilson_id))
@pytest.mark.parametrize(
    ("confidence", "suffix"), [(0.95, "95_0cl"), (0.998, "99_8cl")], ids=["95", "99.8"]
)
def test_wilson_proportions(row: dict[str, Any] | None, confidence: float, suffix: str) -> None:
    row = _row(row, WILSON)
    multiplier = float(row["multiplier"])
    tol = PROPORTION_TOL if multiplier == 1 else PERCENT_TOL
    df = proportion_with_intervals(row["Numerator"], row["Denominator"])
    _assert_close(df.loc[0, "value"] * multiplier, row["value"], tol, "value")
    lower, upper = wilson_interval(row["Numerator"], row["Denominator"], confidence)
    _assert_close(lower * multiplier, row[f"lower{suffix}"], tol, f"lower {suffix}")
    _assert_close(upper * multiplier, row[f"upper{suffix}"], tol, f"upper {suffix}")
    level = "95" if confidence == 0.95 else "998"
    _assert_close(df.loc[0, f"lower{level}"] * multiplier, row[f"lower{suffix}"], tol, "df lower")
    _assert_close(df.loc[0, f"upper{level}"] * multiplier, row[f"upper{suffix}"], tol, "df upper")


def test_wilson_proportions_whole_table_at_once() -> None:
    ref = _load(WILSON)
    ref = ref[ref["multiplier"] == 1].reset_index(drop=True)
    df = proportion_with_intervals(ref["Numerator"], ref["Denominator"])
    for ours, theirs in [
        ("value", "value"),
        ("lower95", "lower95_0cl"),
        ("upper95", "upper95_0cl"),
        ("lower998", "lower99_8cl"),
        ("upper998", "upper99_8cl"),
    ]:
        np.testing.assert_allclose(df[ours], ref[theirs], atol=PROPORTION_TOL, rtol=0)
    assert df.iloc[-3:].isna().all().all()  # the three rows with missing inputs


def _grouped_id(i: int, row: dict[str, Any]) -> str:
    return f"{i:02d}-{row['Area']}"


@pytest.mark.parametrize("row", _rows(GROUPED, _grouped_id))
def test_wilson_grouped_totals(row: dict[str, Any] | None) -> None:
    row = _row(row, GROUPED)
    assert row["confidence"] == "95%"
    df = proportion_with_intervals(row["Numerator"], row["Denominator"])
    _assert_close(df.loc[0, "value"], row["value"], PROPORTION_TOL, "value")
    _assert_close(df.loc[0, "lower95"], row["lowercl"], PROPORTION_TOL, "lower")
    _assert_close(df.loc[0, "upper95"], row["uppercl"], PROPORTION_TOL, "upper")


def test_grouped_totals_are_two_copies_of_each_complete_area() -> None:
    single = _load(WILSON)
    single = single[(single["multiplier"] == 1)].set_index("Area")
    grouped = _load(GROUPED).set_index("Area")
    complete = single.dropna(subset=["Numerator", "Denominator"]).index
    assert len(complete) == 8
    summed = single.loc[complete, ["Numerator", "Denominator"]] * 2
    pd.testing.assert_frame_equal(summed, grouped.loc[complete, ["Numerator", "Denominator"]])


# --------------------------------------------------------------------------------------
# Byars and Wilson with non-integer numerators
# --------------------------------------------------------------------------------------


def _bw_id(i: int, row: dict[str, Any]) -> str:
    return f"{i:02d}-{row['method']}-{row['x']:g}-{row['confidence']}"


@pytest.mark.parametrize("row", _rows(BYARS_WILSON, _bw_id))
def test_byars_and_wilson(row: dict[str, Any] | None) -> None:
    row = _row(row, BYARS_WILSON)
    confidence = CONFIDENCE[row["confidence"]]
    if row["method"] == "Byars":
        lower, upper = byars_interval(row["x"], confidence)
        tol = COUNT_TOL
    else:
        assert row["method"] == "Wilson"
        lower, upper = wilson_interval(row["x"], row["n"], confidence)
        tol = PROPORTION_TOL
    _assert_close(lower, row["lowercl"], tol, "lower")
    _assert_close(upper, row["uppercl"], tol, "upper")


# --------------------------------------------------------------------------------------
# means with Student's t limits, from count / sum / sum of squares
# --------------------------------------------------------------------------------------


def _moments() -> pd.DataFrame:
    values = _load(MEANS_INPUT)
    values = values.assign(sq=values["values"] ** 2)
    by_area = values.groupby("area").agg(
        n=("values", "count"), total=("values", "sum"), total_sq=("sq", "sum")
    )
    everyone = pd.DataFrame(
        {
            "n": [len(values)],
            "total": [values["values"].sum()],
            "total_sq": [values["sq"].sum()],
        },
        index=["No grouping"],
    )
    return pd.concat([by_area, everyone])


def _means_id(i: int, row: dict[str, Any]) -> str:
    return f"{i:02d}-{row['area']}"


@pytest.mark.parametrize("row", _rows(MEANS_EXPECTED, _means_id))
def test_means_t_intervals(row: dict[str, Any] | None) -> None:
    row = _row(row, MEANS_EXPECTED)
    moments = _moments().loc[row["area"]]
    assert moments["n"] == row["value_count"]
    _assert_close(moments["total"], row["value_sum"], MEAN_TOL, "sum")
    df = mean_intervals_from_moments(moments["n"], moments["total"], moments["total_sq"])
    result = df.iloc[0]
    _assert_close(result["value"], row["value"], MEAN_TOL, "mean")
    _assert_close(result["sd"], row["stdev"], MEAN_TOL, "sd")
    _assert_close(result["lower95"], row["lower95_0cl"], MEAN_TOL, "lower 95")
    _assert_close(result["upper95"], row["upper95_0cl"], MEAN_TOL, "upper 95")
    _assert_close(result["lower998"], row["lower99_8cl"], MEAN_TOL, "lower 99.8")
    _assert_close(result["upper998"], row["upper99_8cl"], MEAN_TOL, "upper 99.8")


def test_means_cover_every_area_and_no_grouping() -> None:
    expected = set(_load(MEANS_EXPECTED)["area"])
    assert expected == set(_moments().index)


# --------------------------------------------------------------------------------------
# funnel plots
# --------------------------------------------------------------------------------------


def _funnel_inputs(limits_file: str) -> pd.DataFrame:
    inputs = _load(FUNNEL_INPUT)
    if limits_file == FUNNEL_LIMITS_AXIS:
        inputs = inputs[inputs["denominator"] < AXIS_VARIATION_MAX_DENOMINATOR]
    return inputs


def _pooled(limits_file: str) -> float:
    inputs = _funnel_inputs(limits_file)
    return float(inputs["numerator"].sum() / inputs["denominator"].sum())


def _limit_params() -> list[Any]:
    params: list[Any] = []
    for name in (FUNNEL_LIMITS, FUNNEL_LIMITS_AXIS):
        short = "axis" if name == FUNNEL_LIMITS_AXIS else "main"
        for param in _rows(name, lambda i, row, s=short: f"{s}-{i:03d}-n{row['Population']:g}"):
            params.append(pytest.param(name, *param.values, id=param.id))
    return params


@pytest.mark.parametrize(("name", "row"), _limit_params())
def test_funnel_limits(name: str, row: dict[str, Any] | None) -> None:
    row = _row(row, name)
    pooled = _pooled(name)
    _assert_close(pooled * 100, row["Baseline"], PERCENT_TOL, "baseline")
    population = row["Population"]
    for confidence, lower_col, upper_col in [
        (0.95, "Lower2s0025limit", "Upper2s0025limit"),
        (0.998, "Lower3s0001limit", "Upper3s0001limit"),
    ]:
        lower, upper = funnel_limits_proportion(pooled, population, confidence)
        _assert_close(lower * 100, row[lower_col], PERCENT_TOL, lower_col)
        _assert_close(upper * 100, row[upper_col], PERCENT_TOL, upper_col)


def test_funnel_limit_files_have_100_populations() -> None:
    for name in (FUNNEL_LIMITS, FUNNEL_LIMITS_AXIS):
        assert len(_load(name)) == 100, name


@cache
def _all_labels() -> tuple[str, ...]:
    inputs = _load(FUNNEL_INPUT)
    return tuple(funnel_significance(inputs["numerator"], inputs["denominator"]))


def _funnel_id(i: int, row: dict[str, Any]) -> str:
    return f"{i:03d}"


@pytest.mark.parametrize("row", _rows(FUNNEL_INPUT, _funnel_id))
def test_funnel_significance_label(row: dict[str, Any] | None) -> None:
    row = _row(row, FUNNEL_INPUT)
    assert _all_labels()[row["_row"]] == row["significance"], row["Area"]


def test_funnel_significance_all_303_labels() -> None:
    inputs = _load(FUNNEL_INPUT)
    assert len(inputs) == 303
    labels = pd.Series(_all_labels())
    mismatches = inputs.loc[labels.to_numpy() != inputs["significance"].to_numpy(), "Area"]
    assert mismatches.empty, f"labels differ for {list(mismatches)}"
