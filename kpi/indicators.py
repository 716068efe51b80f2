"""The KHI engine: every indicator of the catalogue, for any grouping and period.

Why this shape: DuckDB does the heavy work (one scan of the responses computes
the base, numerator, sum and sum of squares of every KHI for every group), and
Python only finishes intervals, benchmark comparisons and disclosure control on
the small aggregated result. Each person counts once per period by their latest
response in it. Disclosure control (:mod:`kpi.disclosure`) is applied
here, before anything leaves the engine, so every page, chart and export
inherits it.

Every read is a query of :mod:`kpi.store.queries` (values as parameters, names
from the code, quoted): this module holds no SQL of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from kpi import stats
from kpi.catalogue import KHI, catalogue
from kpi.catalogue import khi as khi_by_code
from kpi.disclosure import TOTAL, primary, suppress_linked
from kpi.errors import UnknownCode
from kpi.items import bank
from kpi.periods import parse_quarter, quarter_label, shift_quarter
from kpi.store import Store, queries

# Dimensions a KHI can be broken down by (CLI --by names = output column names).
DIMENSIONS = (
    "region",
    "scheme",
    "quarter",
    "support_type",
    "respondent_type",
    "age_band",
    "gender",
    "ethnicity",
    "primary_need",
    "completed_by",
)
# Columns of indicator_table(), in order, after khi and the --by columns.
VALUE_COLUMNS = (
    "n",
    "count",
    "value",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "suppressed",
    "benchmark",
    "comparison",
)
_LIMITS = ("lower95", "upper95", "lower998", "upper998")
# What a value is compared with: all of England; the row's own region;
# schemes of the same support type (England, same support type).
BENCHMARKS = ("england", "region", "support_type")


@dataclass(frozen=True)
class Filters:
    """Which responses count. ``None`` means no restriction.

    ``scope`` is the set of scheme ids the user may see (roles): it restricts
    every result, and benchmarks too are computed over England (all schemes)
    regardless of scope — a benchmark is public information.
    """

    regions: tuple[str, ...] | None = None  # region names as in register.toml
    scheme_ids: tuple[str, ...] | None = None
    support_types: tuple[str, ...] | None = None
    respondent_types: tuple[str, ...] | None = None
    scope: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Settings:
    min_base: int = 5  # disclosure control: hide cells with n below this
    min_compare: int = 10  # below this, comparison is "not compared"


def default_settings() -> Settings:
    """The settings of ``register.toml`` (one place users change them)."""
    values = bank().settings
    return Settings(
        min_base=int(values.get("min_base", 5)), min_compare=int(values.get("min_compare", 10))
    )


# ------------------------------------------------------------------ helpers ---
def _check_by(by: Sequence[str]) -> list[str]:
    by = list(by)
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise UnknownCode(
            f"Unknown breakdown {', '.join(map(repr, unknown))}: use any of "
            f"{', '.join(DIMENSIONS)}."
        )
    if len(set(by)) != len(by):
        raise ValueError("Each breakdown can be named only once in --by.")
    return by


def _khis(codes: Sequence[str] | None) -> list[KHI]:
    if codes is None:
        return list(catalogue())
    return [khi_by_code(code) for code in codes]


def _cells(
    con: duckdb.DuckDBPyConnection,
    khis: Sequence[KHI],
    keys: Sequence[str],
    bench_keys: Sequence[str],
    period_sql: str,
    period_params: list,
    filters: Filters,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The view's cells and the benchmark's (England: no area), from one scan.

    Long frames: khi, the key columns, n, x (proportions), total, total_sq. The
    scan covers England; rows of the chosen area carry ``in_area``. One aggregate
    gives every KHI's sums per group and respondent type, GROUPING SETS sum it to
    the view (in-area rows by ``keys``) and the benchmark (every row by
    ``bench_keys``), and numpy turns the few wide rows into one row per KHI, each
    over its own population (see :func:`kpi.store.queries.khi_sums`).
    """
    wide = queries.khi_sums(con, khis, keys, bench_keys, period_sql, period_params, filters)
    benchmark = wide["is_benchmark"].astype(bool).to_numpy()
    in_view = ~benchmark & wide["in_area"].fillna(False).astype(bool).to_numpy()
    view = _long(wide[in_view], khis, keys)
    bench = _long(wide[benchmark], khis, bench_keys)
    if not keys:
        view = _one_row_each(view, khis)
    return view, bench


def _long(wide: pd.DataFrame, khis: Sequence[KHI], keys: Sequence[str]) -> pd.DataFrame:
    """One row per KHI and group from the wide sums, each KHI over its population."""
    frames = []
    for population in dict.fromkeys(k.population for k in khis):
        rows = wide[(wide["respondent_type"] == population).to_numpy()]
        chosen = [(k, khi) for k, khi in enumerate(khis) if khi.population == population]
        if rows.empty or not chosen:
            continue
        size = len(rows)

        def stack(names: list[str | None], rows: pd.DataFrame = rows) -> np.ndarray:
            """Column after column, NaN where a KHI has no such sum (rows x KHIs)."""
            nan = np.full(len(rows), np.nan)
            return np.concatenate(
                [nan if c is None else rows[c].to_numpy(dtype="float64") for c in names]
            )

        part = {"khi": np.repeat([khi.code for _, khi in chosen], size)}
        for key in keys:
            values = rows[key].to_numpy(dtype=object)
            if key == "quarter":  # DuckDB gives Timestamps; the engine speaks dates
                values = np.array([pd.Timestamp(q).date() for q in values], dtype=object)
            part[key] = np.tile(values, len(chosen))
        part["n"] = stack([f"n_{k}" for k, _ in chosen])
        part["x"] = stack([f"x_{k}" if khi.is_proportion else None for k, khi in chosen])
        part["total"] = stack([None if khi.is_proportion else f"s_{k}" for k, khi in chosen])
        part["total_sq"] = stack(
            [None if khi.is_proportion else f"q_{k}" for k, khi in chosen]
        )
        frames.append(pd.DataFrame(part))
    columns = ["khi", *keys, "n", "x", "total", "total_sq"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    out["n"] = out["n"].fillna(0).astype("int64")
    is_prop = out["khi"].isin([k.code for k in khis if k.is_proportion])
    out.loc[is_prop, "x"] = out.loc[is_prop, "x"].fillna(0)
    return out[columns]


def _one_row_each(view: pd.DataFrame, khis: Sequence[KHI]) -> pd.DataFrame:
    """Without grouping, every KHI has its row (n = 0 when the view has no answers)."""
    present = set(view["khi"])
    missing = [k.code for k in khis if k.code not in present]
    if not missing:
        return view
    empty = pd.DataFrame({"khi": missing, "n": 0, "x": np.nan, "total": np.nan,
                          "total_sq": np.nan})
    return pd.concat([view, empty], ignore_index=True)


def _finish(cells: pd.DataFrame, khis: Sequence[KHI]) -> pd.DataFrame:
    """Values and intervals from the aggregates (proportions as percentages)."""
    out = cells.copy()
    n = out["n"].to_numpy(dtype="float64")
    x = pd.to_numeric(out["x"], errors="coerce").to_numpy(dtype="float64")
    total = pd.to_numeric(out["total"], errors="coerce").to_numpy(dtype="float64")
    total_sq = pd.to_numeric(out["total_sq"], errors="coerce").to_numpy(dtype="float64")
    is_prop = out["khi"].isin([k.code for k in khis if k.is_proportion]).to_numpy()
    columns = {c: np.full(len(out), np.nan) for c in ("count", "value", "sd", *_LIMITS)}
    if is_prop.any():
        ci = stats.proportion_with_intervals(x[is_prop], n[is_prop])
        columns["count"][is_prop] = x[is_prop]
        for column in ("value", *_LIMITS):
            columns[column][is_prop] = 100.0 * ci[column].to_numpy()
    means = ~is_prop
    if means.any():
        ci = stats.mean_intervals_from_moments(
            n[means], np.nan_to_num(total[means]), np.nan_to_num(total_sq[means])
        )
        for column in ("value", "sd", *_LIMITS):
            columns[column][means] = ci[column].to_numpy()
    out["x"], out["total"], out["total_sq"] = x, total, total_sq
    for column, values in columns.items():
        out[column] = values
    return out


def _compare(table: pd.DataFrame, khis: Sequence[KHI], settings: Settings) -> pd.DataFrame:
    """Benchmark comparison and the 99.8% flag, by each KHI's polarity."""
    table["comparison"] = "not compared"
    table["outside998"] = False
    polarity = table["khi"].map({k.code: k.polarity for k in khis})
    hidden = table["suppressed"].to_numpy(dtype=bool)
    for direction in ("high", "low"):
        rows = (polarity == direction).to_numpy()
        if not rows.any():
            continue
        part = table.loc[rows]
        limits = [np.where(hidden[rows], np.nan, part[c].to_numpy(dtype=float)) for c in _LIMITS]
        comparison, outside = stats.compare_with_benchmark(
            *limits,
            benchmark=part["benchmark"].to_numpy(dtype=float),
            polarity=direction,
            n=np.where(hidden[rows], np.nan, part["n"].to_numpy(dtype=float)),
            min_n=settings.min_compare,
        )
        table.loc[rows, "comparison"] = comparison
        table.loc[rows, "outside998"] = outside
    return table


def _describe(table: pd.DataFrame, khis: Sequence[KHI], by: Sequence[str]) -> pd.DataFrame:
    """Final column order, types and the catalogue's words beside the numbers."""
    # Position of each row's KHI in the catalogue: words and order by array lookup.
    position = pd.Categorical(table["khi"], categories=[k.code for k in khis]).codes
    for field in ("name", "domain", "measure", "polarity"):
        table[field] = np.array([getattr(k, field) for k in khis], dtype=object)[position]
    table["n"] = table["n"].round().astype("Int64")
    table["count"] = table["count"].round().astype("Int64")
    table["suppressed"] = table["suppressed"].astype(bool)
    if "quarter" in by:
        # Few distinct quarters: convert each once, not per row.
        # (Scored KHIs bring Timestamps from DuckDB, change KHIs dates: one type.)
        codes, uniques = pd.factorize(table["quarter"])
        starts = [pd.Timestamp(q).date() for q in uniques]
        table["quarter"] = np.array([*starts, None], dtype=object)[codes]
        table["quarter_label"] = np.array(
            [*(quarter_label(q) for q in starts), None], dtype=object
        )[codes]
    extra = ["name", "domain", "measure", "polarity", "outside998", "sd"]
    if "quarter" in by:
        extra.append("quarter_label")
    # Catalogue order, then each group's codes (missing last), by integer sort keys.
    sort_keys = [position]
    for column in by:
        codes, _ = pd.factorize(table[column], sort=True)
        sort_keys.append(np.where(codes < 0, np.iinfo(np.int64).max, codes))
    ordered = np.lexsort(tuple(reversed(sort_keys)))
    return table.iloc[ordered][["khi", *by, *VALUE_COLUMNS, *extra]].reset_index(drop=True)


def _hide(table: pd.DataFrame, hidden: np.ndarray) -> pd.DataFrame:
    """Disclosure control: nothing of a hidden cell leaves the engine."""
    table["suppressed"] = np.asarray(hidden, dtype=bool)
    hidden = table["suppressed"]
    for column in ("n", "count", "value", "sd", *_LIMITS):
        table[column] = table[column].astype("float64").mask(hidden)
    return table


# ------------------------------------------------------------ public surface ---
def available_quarters(store: Store) -> list[dt.date]:
    """Quarter starts that have survey responses, oldest first."""
    if not store.exists():
        return []
    with store.connect() as con:
        return [pd.Timestamp(q).date() for q in queries.quarters(con)]


def latest_quarter(store: Store) -> dt.date | None:
    """The latest quarter with survey data (the default period), or None."""
    quarters = available_quarters(store)
    return quarters[-1] if quarters else None


def indicator_table(
    store: Store,
    khis: list[str] | None = None,
    by: list[str] | tuple[str, ...] = (),
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
    benchmark: str = "england",
    change_since: dt.date | None = None,
) -> pd.DataFrame:
    """One row per KHI and group: khi, the ``by`` columns, then VALUE_COLUMNS.

    Proportions are percentages 0-100; ``count`` is empty (NA) for means.
    ``quarter`` None = latest quarter with data; "all" = every quarter.
    Suppressed rows have n, count, value and limits NA. ``benchmark`` is
    "england" (same period, all schemes, same respondent filters), "region"
    (the region of each row's area) or "support_type" (England's schemes for the
    same support type: by support type, or with one support type chosen). Extra
    columns after VALUE_COLUMNS: name, domain, measure, polarity, outside998
    (bool), sd (means), quarter_label when grouping by quarter. Change KHIs give
    the mean change (see :func:`change`); with ``quarter="all"`` by quarter,
    ``change_since`` skips the change of quarters before it.
    """
    by = _check_by(by)
    filters = filters or Filters()
    settings = settings or default_settings()
    if benchmark not in BENCHMARKS:
        raise UnknownCode(f"Unknown benchmark {benchmark!r}: use one of {', '.join(BENCHMARKS)}.")
    chosen = _khis(khis)
    scored = [k for k in chosen if k.measure != "change"]
    changes = [k for k in chosen if k.measure == "change"]
    bench_keys = [d for d in ("quarter",) if d in by]
    if benchmark == "region":
        bench_keys.append("region")
    if benchmark == "support_type":
        if "support_type" in by:
            bench_keys.append("support_type")
        elif not filters.support_types or len(filters.support_types) != 1:
            raise ValueError(
                "Comparing with schemes of the same support type needs one support type: "
                "break down by support_type, or choose one support type."
            )
        # With one support type chosen, England under the same filter is that benchmark.
    with store.connect() as con:
        period_sql, period_params, start = queries.period(con, quarter)
        # A scheme's region (its benchmark, and its nesting for disclosure control)
        # rides along as a key: one scheme lies in one region, so no group splits.
        extra_region = "region" not in by and ("scheme" in by or benchmark == "region")
        keys = [*by, "region"] if extra_region else list(by)
        parts, benches = [], []
        change_ends: list[dt.date] | None = None
        views: list[tuple[pd.DataFrame, dt.date | None]] = []  # for disclosure control
        if scored:
            view, bench = _cells(
                con, scored, keys, bench_keys, period_sql, period_params, filters
            )
            parts.append(view)
            benches.append(bench)
            views.append((view, start))
        if changes:
            # Change is "up to the period's end": every quarter's end when broken
            # down by quarter, else the end of the latest quarter.
            ends = [start] if start is not None else queries.quarters(con)
            if start is None and "quarter" not in by:
                ends = ends[-1:]
            if change_since is not None:
                ends = [q for q in ends if q >= change_since]
            change_ends = ends
            view, bench = _change_cells(con, changes, keys, ends, filters, bench_keys)
            views.append((view, None))
            if "quarter" not in by:  # one period end: its date is not a column
                view, bench = view.drop(columns="quarter"), bench.drop(columns="quarter")
            parts.append(view)
            benches.append(bench)
    if not parts:
        return _empty_table(by)
    cells = pd.concat(parts, ignore_index=True)
    if extra_region and "scheme" not in by:
        cells = _collapse_region(cells, by)
    table = _finish(cells, chosen)
    bench = _finish(pd.concat(benches, ignore_index=True), chosen)
    bench = bench[["khi", *bench_keys, "value"]].rename(columns={"value": "benchmark"})
    with store.connect() as con:
        hidden, bench_hidden = _protect(
            con, table, bench, scored, changes, by, bench_keys,
            (period_sql, period_params), change_ends, filters, settings,
            views if start is not None or "quarter" in by else None,
        )
    # No benchmark from a hidden cell (a base below the minimum, or a region that
    # is one hidden scheme), and none beside a hidden row.
    bench["benchmark"] = bench["benchmark"].mask(bench_hidden)
    table = table.merge(bench, on=["khi", *bench_keys], how="left")
    table = _hide(table, hidden)
    table["benchmark"] = table["benchmark"].mask(table["suppressed"])
    if by:  # a group without answers to a KHI has no row for it (nothing to show)
        table = table[table["suppressed"] | (table["n"].fillna(0) > 0)].reset_index(drop=True)
    table = _compare(table, chosen, settings)
    if _is_its_own_benchmark(filters, by, benchmark):
        # All of England by quarter is the benchmark itself: nothing to compare.
        table["comparison"] = "not compared"
        table["outside998"] = False
    if extra_region:
        table = table.drop(columns="region")
    return _describe(table, chosen, by)


def _is_its_own_benchmark(filters: Filters, by: Sequence[str], benchmark: str) -> bool:
    """True when every row is the very value it would be compared with."""
    whole = filters.regions is None and filters.scheme_ids is None and filters.scope is None
    if benchmark == "region":
        return set(by) <= {"quarter", "region"} and (whole or filters.regions is not None)
    if benchmark == "support_type":
        return whole and set(by) <= {"quarter", "support_type"}
    return whole and set(by) <= {"quarter"}


def _empty_table(by: Sequence[str]) -> pd.DataFrame:
    extra = ["name", "domain", "measure", "polarity", "outside998", "sd"]
    return pd.DataFrame(columns=["khi", *by, *VALUE_COLUMNS, *extra])


def _collapse_region(cells: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Keep the region split only where the area is one region (else no benchmark)."""
    keys = ["khi", *by]
    regions = cells.groupby(keys, dropna=False)["region"].transform("nunique")
    one = cells[regions <= 1]
    many = cells[regions > 1]
    if many.empty:
        return cells
    summed = many.groupby(keys, dropna=False, as_index=False)[["n", "x", "total", "total_sq"]].sum(
        min_count=1
    )
    summed["region"] = None
    return pd.concat([one, summed], ignore_index=True)


# --------------------------------------------------------------------- change ---
_CHANGE_COLUMNS = ("n", "x", "total", "total_sq", "better", "same", "worse")


def _change_cells(
    con: duckdb.DuckDBPyConnection,
    khis: Sequence[KHI],
    keys: Sequence[str],
    ends: Sequence[dt.date],
    filters: Filters,
    bench_keys: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Long frames of change aggregates (the view's, and the benchmark's when
    ``bench_keys`` is given, else None): khi, quarter (the period end), the keys,
    n, x (empty), total, total_sq, better, same, worse. One pass per period end
    and population (see :func:`kpi.store.queries.change_sums`)."""
    wanted = [
        k for k in khis
        if filters.respondent_types is None or k.population in filters.respondent_types
    ]
    views, benches = [], []
    for end in ends:
        for population in dict.fromkeys(k.population for k in wanted):
            group = [k for k in wanted if k.population == population]
            wide = queries.change_sums(con, group, keys, bench_keys, filters, end)
            wide.insert(0, "khi", [group[j].code for j in wide["k"]])
            wide["quarter"] = end
            is_bench = wide["is_benchmark"].astype(bool).to_numpy()
            in_area = wide["in_area"].fillna(False).astype(bool).to_numpy()
            views.append(wide[~is_bench & in_area])
            benches.append(wide[is_bench])
    view = _change_long(views, khis, keys, ends)
    if bench_keys is None:
        return view, None
    return view, _change_long(benches, khis, bench_keys, ends)


def _change_long(
    frames: list[pd.DataFrame], khis: Sequence[KHI], keys: Sequence[str], ends: Sequence[dt.date]
) -> pd.DataFrame:
    """One frame in the columns of :func:`_change_cells`; ungrouped, every KHI has a
    row for every period end (n = 0 without pairs)."""
    groups = [k for k in keys if k != "quarter"]
    columns = ["khi", "quarter", *groups, *_CHANGE_COLUMNS]
    frames = [f for f in frames if len(f)]
    out = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    )
    out["x"] = np.nan
    out = out[columns]
    if not groups:
        full = pd.DataFrame(
            [(k.code, end) for k in khis for end in ends], columns=["khi", "quarter"]
        )
        out = full.merge(out, on=["khi", "quarter"], how="left")
        for column in ("n", "better", "same", "worse"):
            out[column] = out[column].fillna(0)
    out["n"] = out["n"].fillna(0).astype("int64")
    out["quarter"] = [pd.Timestamp(q).date() for q in out["quarter"]]
    return out


def change(
    store: Store,
    khi: str,
    by: list[str] | tuple[str, ...] = (),
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Paired change for people with two or more answers up to the period's end.

    One row per group: the ``by`` columns, n (people), mean_change (latest minus
    first), sd_change, lower95 .. upper998 (Student's t, paired), p_value (paired
    t-test of no change), share_better / share_same / share_worse (0-100, by
    polarity), suppressed. Groups follow each person's latest answer.

    References
    ----------
    Altman DG (1991) Practical Statistics for Medical Research, section 9.5.
    """
    entry = khi_by_code(khi)
    if entry.measure != "change":
        raise ValueError(f"KHI {khi!r} is not a change KHI: use one of "
                         + ", ".join(k.code for k in catalogue() if k.measure == "change"))
    by = _check_by(by)
    filters = filters or Filters()
    settings = settings or default_settings()
    # A scheme's region rides along: the disclosure lattice places each scheme in it.
    extra_region = "scheme" in by and "region" not in by
    keys = [*by, "region"] if extra_region else list(by)
    with store.connect() as con:
        period_sql, period_params, start = queries.period(con, quarter)
        if start is None:
            return pd.DataFrame(columns=[*by, "n", "mean_change", "suppressed"])
        cells, _ = _change_cells(con, [entry], keys, [start], filters)
        cells = cells[cells["n"] > 0].reset_index(drop=True) if by else cells
        # The same decision per cell as the KHI table's (one lattice over England).
        hidden, _ = _protect(
            con, cells, pd.DataFrame(columns=["khi"]), [], [entry], by, [],
            (period_sql, period_params), [start], filters, settings,
        )
    if "quarter" not in by:
        cells = cells.drop(columns="quarter")
    if extra_region:
        cells = cells.drop(columns="region")
    if cells.empty or int(cells["n"].sum()) == 0:
        return pd.DataFrame(columns=[*by, "n", "mean_change", "suppressed"])
    ci = stats.mean_intervals_from_moments(
        cells["n"].to_numpy(), cells["total"].fillna(0).to_numpy(),
        cells["total_sq"].fillna(0).to_numpy(),
    )
    out = cells[[*by, "n"]].copy()  # quarters are dates already (_change_cells)
    out["mean_change"] = ci["value"].to_numpy()
    out["sd_change"] = ci["sd"].to_numpy()
    for column in _LIMITS:
        out[column] = ci[column].to_numpy()
    out["p_value"] = stats.mean_zero_p_value(out["mean_change"], out["sd_change"], out["n"])
    with np.errstate(divide="ignore", invalid="ignore"):
        for key in ("better", "same", "worse"):
            out[f"share_{key}"] = 100.0 * cells[key].to_numpy(dtype=float) / cells["n"].to_numpy()
    out["suppressed"] = hidden
    if by:
        out = out.sort_values(list(by), kind="stable", na_position="last")
    hidden = out["suppressed"]
    values = ["n", "mean_change", "sd_change", *_LIMITS, "p_value",
              "share_better", "share_same", "share_worse"]
    for column in values:
        out[column] = out[column].astype("float64").mask(hidden)
    out["n"] = out["n"].astype("Int64")
    return out.reset_index(drop=True)


# ------------------------------------------------------------------- trend ---
def trend(
    store: Store,
    khi: str,
    filters: Filters | None = None,
    quarters: int = 8,
    end: dt.date | str | None = None,
    settings: Settings | None = None,
) -> tuple[pd.DataFrame, stats.TrendResult]:
    """The KHI quarter by quarter (the ``quarters`` ending ``end``) and a trend test.

    Quarters without answers are left out of the series; hidden quarters stay in it
    (marked, without numbers) and are left out of the test, so the test's result
    tells nothing about a hidden cell. The test is the chi-square test for linear
    trend in proportions (Cochran-Armitage) or a weighted regression for means,
    with quarters scored by their position, so gaps keep their spacing.
    """
    return trends(store, [khi], filters, quarters, end, settings)[khi]


def trends(
    store: Store,
    khis: Sequence[str],
    filters: Filters | None = None,
    quarters: int = 8,
    end: dt.date | str | None = None,
    settings: Settings | None = None,
) -> dict[str, tuple[pd.DataFrame, stats.TrendResult]]:
    """:func:`trend` for several KHIs from one engine pass (the board page needs all)."""
    entries = [khi_by_code(code) for code in khis]
    settings = settings or default_settings()
    last = parse_quarter(end) if end is not None else latest_quarter(store)
    nan = float("nan")
    untested = stats.TrendResult(nan, nan, "no significant trend", nan, 0)
    if last is None:
        empty = pd.DataFrame(columns=["quarter", "quarter_label", *VALUE_COLUMNS])
        return {k.code: (empty, untested) for k in entries}
    first = shift_quarter(last, -(quarters - 1))
    # Every quarter, not only the window: the quarters' secondary suppression must
    # hold against the all-quarters total, whatever window a page shows.
    table = indicator_table(
        store, khis=[k.code for k in entries], by=["quarter"], quarter="all",
        filters=filters, settings=settings, change_since=first,
    )
    if len(table):
        keep = (table["quarter"] >= first) & (table["quarter"] <= last)
        table = table[keep & (table["suppressed"] | (table["n"].fillna(0) > 0))]
    out = {}
    for entry in entries:
        series = table[table["khi"] == entry.code].drop(columns="khi").reset_index(drop=True)
        out[entry.code] = (series, _trend_test(entry, series, first, untested))
    return out


def _trend_test(
    entry: KHI, series: pd.DataFrame, first: dt.date, untested: stats.TrendResult
) -> stats.TrendResult:
    shown = series[~series["suppressed"].astype(bool)]
    if len(shown) < 3:
        return dataclasses.replace(untested, periods=len(shown))
    scores = [_quarter_index(q, first) for q in shown["quarter"]]
    if entry.is_proportion:
        result = stats.trend_test_proportions(
            shown["count"].astype(float), shown["n"].astype(float), scores=scores
        )
        return dataclasses.replace(result, slope=result.slope * 100.0)
    return stats.trend_test_means(
        shown["value"].astype(float), shown["sd"].astype(float), shown["n"].astype(float),
        scores=scores,
    )


def _quarter_index(quarter: dt.date, first: dt.date) -> int:
    return ((quarter.year - first.year) * 12 + quarter.month - first.month) // 3


# ------------------------------------------------------------------ equity ---
def equity(
    store: Store,
    khi: str,
    dimension: str,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> tuple[pd.DataFrame, stats.EquityResult]:
    """A KHI by one grouping, with the gap between groups and whether it is real.

    The test uses only the groups shown (hidden groups and "not recorded" are left
    out), so it reveals nothing about a hidden cell: Pearson's chi-square test of
    homogeneity for proportions, one-way ANOVA for means. The gap is in
    percentage points for proportions.
    """
    entry = khi_by_code(khi)
    if entry.measure == "change":
        raise ValueError(f"{khi!r} is a change KHI: see the Change over time page.")
    groups = indicator_table(
        store, khis=[khi], by=[dimension], quarter=quarter, filters=filters, settings=settings
    )
    use = groups[
        ~groups["suppressed"].astype(bool)
        & groups[dimension].notna()
        & (groups["n"].fillna(0) > 0)
    ]
    if entry.is_proportion:
        result = stats.equity_gap_test(use["count"].astype(float), use["n"].astype(float))
        result = dataclasses.replace(result, gap=result.gap * 100.0)
    else:
        result = stats.equity_gap_test_means(
            use["value"].astype(float), use["sd"].astype(float), use["n"].astype(float)
        )
    positions = list(use.index)
    result = dataclasses.replace(
        result,
        highest=None if result.highest is None else int(positions[result.highest]),
        lowest=None if result.lowest is None else int(positions[result.lowest]),
    )
    return groups.drop(columns="khi"), result


# ------------------------------------------------------------------ funnel ---
def funnel(
    store: Store,
    khi: str,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
    grid: int = 200,
) -> tuple[pd.DataFrame, pd.DataFrame, float | None]:
    """Each scheme against funnel limits around the pooled value (PHE method).

    Returns (points, limits, pooled): points has scheme, n, count, value,
    position ("above998", "above95", "within", "below95", "below998");
    limits has n, lower95, upper95, lower998, upper998 on a grid of bases;
    pooled is the value over every scheme in the view (percentages). Hidden
    schemes are left out of the points; the pooled value is published anyway.

    References
    ----------
    Spiegelhalter DJ (2005) Funnel plots for comparing institutional performance.
    Stat Med 24:1185-1202; PHE "Technical Guide: Funnel plots" (2018).
    """
    entry = khi_by_code(khi)
    if not entry.is_proportion:
        raise ValueError(f"{khi!r} is a {entry.measure}: funnel plots here are for proportions.")
    table = indicator_table(
        store, khis=[khi], by=["scheme"], quarter=quarter, filters=filters, settings=settings
    )
    empty_limits = pd.DataFrame(columns=["n", *_LIMITS])
    if table.empty:
        return table, empty_limits, None
    total = indicator_table(
        store, khis=[khi], quarter=quarter, filters=filters, settings=settings
    )
    x, n = _pooled_counts(table, total)
    if not n:
        return table.iloc[0:0], empty_limits, None
    pooled = x / n
    points = table[~table["suppressed"].astype(bool) & (table["n"].fillna(0) > 0)].copy()
    if points.empty:
        return points, empty_limits, 100.0 * pooled
    words = stats.funnel_position(
        points["count"].astype(float), points["n"].astype(float), pooled
    )
    short = {
        "above 99.8% limit": "above998",
        "above 95% limit": "above95",
        "within limits": "within",
        "below 95% limit": "below95",
        "below 99.8% limit": "below998",
    }
    points["position"] = [short.get(w, "within") if w is not None else None for w in words]
    top = max(float(points["n"].max()) * 1.1, 20.0)
    bases = np.unique(np.geomspace(1, top, grid).round(2))
    limits = pd.DataFrame({"n": bases})
    for level, (lo, up) in (("95", _LIMITS[:2]), ("998", _LIMITS[2:])):
        lower, upper = stats.funnel_limits_proportion(
            pooled, bases, 0.95 if level == "95" else 0.998
        )
        limits[lo], limits[up] = 100.0 * lower, 100.0 * upper
    return points.drop(columns="khi").reset_index(drop=True), limits, 100.0 * pooled


def _pooled_counts(table: pd.DataFrame, total: pd.DataFrame) -> tuple[float, float]:
    """The pooled numerator and base: the view's total (published, so not hidden
    unless the whole view is small)."""
    if len(total) and not bool(total["suppressed"].iloc[0]):
        n = total["n"].iloc[0]
        x = total["count"].iloc[0]
        if pd.notna(n) and pd.notna(x) and n > 0:
            return float(x), float(n)
    return 0.0, 0.0


# --------------------------------------------------------- answer distribution ---
def answer_distribution(
    store: Store,
    item: str,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """How people answered one question: label, value, count, percent (0-100).

    The distribution is one cell (area, period, population, question) decided by
    the same rules as the KHIs: shown whole with its cell or not at all, so it
    agrees with the KHI's published base and count in every view.
    """
    entry = bank().item(item)  # raises on an unknown item
    filters = filters or Filters()
    settings = settings or default_settings()
    column = entry.code  # from the item bank, not from input
    with store.connect() as con:
        period_sql, period_params, _ = queries.period(con, quarter)
        frame = queries.answer_counts(
            con, column, entry.audience, period_sql, period_params, filters
        )
        out = _answer_options(entry.scale, frame)
        total = int(out["count"].sum())
        if total == 0:
            return out.iloc[0:0].assign(percent=[], suppressed=[])
        # The cell is the question's answers in this area, period and population,
        # decided on the same lattice and rules as the KHIs (its base is the KHI's).
        populations = ("person", "carer") if entry.audience == "all" else (entry.audience,)
        counts = [_Count(f"{item}:{p}", column, p) for p in populations]
        hidden = _count_decisions(con, counts, (period_sql, period_params), filters, settings)
    out["percent"] = 100.0 * out["count"] / total
    # Shown or hidden with its cell, whole: the KHI already publishes the cell's base
    # and its count that agree, so hiding a small answer inside a shown cell would
    # protect nothing (and a hidden answer beside shown ones would be a difference).
    out["suppressed"] = bool(hidden.any())
    out["count"] = out["count"].astype("float64").mask(out["suppressed"]).astype("Int64")
    out["percent"] = out["percent"].mask(out["suppressed"])
    return out[["value", "label", "count", "percent", "suppressed"]]


# A long numeric scale (friends 0-99) is shown as its first values and "N or more".
LONG_SCALE_SHOWN = 10


def _answer_options(scale: object, counts: pd.DataFrame) -> pd.DataFrame:
    """Every answer option in the scale's order with its count (0 when nobody gave it).

    Why not only the scale's labels: a count or 0-10 scale labels just some
    values ("None" = 0), and the rest are answers too.
    """
    labels = {int(v): str(label) for v, label in scale.values}
    low, high = int(scale.min), int(scale.max)
    given = dict(zip(counts["value"].astype(int), counts["count"].astype(int)))
    if high - low <= LONG_SCALE_SHOWN:
        values = list(range(low, high + 1))
        rows = [(v, labels.get(v, str(v)), given.get(v, 0)) for v in values]
    else:
        top = low + LONG_SCALE_SHOWN
        rows = [(v, labels.get(v, str(v)), given.get(v, 0)) for v in range(low, top)]
        rows.append((top, f"{top} or more", sum(c for v, c in given.items() if v >= top)))
    out = pd.DataFrame(rows, columns=["value", "label", "count"])
    out["count"] = out["count"].astype("int64")
    return out


# ------------------------------------------------------------- data quality ---
def _rate_cells(
    store: Store, filters: Filters | None, quarter: dt.date | str | None
) -> pd.DataFrame:
    """Responses and people supported per scheme and quarter, before disclosure control."""
    filters = filters or Filters()
    start = None if quarter is None else parse_quarter(quarter)
    if not store.exists():
        return pd.DataFrame(columns=["scheme_id", "region", "quarter", "responses",
                                     "people_supported", "rate", "suppressed"])
    with store.connect() as con:
        frame = queries.rate_cells(con, filters, start)
        regions = queries.scheme_regions(con)
    frame = frame.merge(regions, on="scheme_id", how="left")
    frame["quarter"] = pd.to_datetime(frame["quarter"]).dt.date
    frame["responses"] = frame["responses"].astype("int64")
    frame["people_supported"] = frame["people_supported"].astype("float64")
    return frame


def response_rates(
    store: Store,
    filters: Filters | None = None,
    quarter: dt.date | str | None = None,
) -> pd.DataFrame:
    """Responses ÷ people supported, per scheme and quarter (every quarter by default).

    Columns: scheme_id, region, quarter (date), responses (people using Shared Lives
    who answered, once each), people_supported (the activity return; NA without
    one), rate (0-100), suppressed (responses hidden, with the rate, below the
    minimum base; a second scheme of the region is hidden with a lone one, so the
    region's total does not give it away). A support-type filter uses that column
    of the return.
    """
    frame = _rate_cells(store, filters, quarter)
    settings = default_settings()
    people = frame["people_supported"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["rate"] = np.where(people > 0, 100.0 * frame["responses"] / people, np.nan)
    # Responses are each scheme's count of people: the same lattice and rules as
    # a KHI's base, so a filtered view hides what the whole one hides.
    rows = pd.DataFrame({"khi": "asked:person", "region": frame["region"].to_numpy(),
                         "scheme": frame["scheme_id"].to_numpy(),
                         "quarter": frame["quarter"].to_numpy()})
    if len(frame) and store.exists():
        period = queries.one_quarter(None if quarter is None else parse_quarter(quarter))
        with store.connect() as con:
            hidden = _count_decisions(
                con, [_Count("asked:person", "1", "person")], period,
                dataclasses.replace(filters or Filters(), respondent_types=None),
                settings, by=["scheme", "quarter"], rows=rows,
            )
    else:
        hidden = np.zeros(len(frame), dtype=bool)
    frame["suppressed"] = hidden | primary(frame["responses"], settings.min_base).to_numpy()
    hidden = frame["suppressed"]
    frame["responses"] = frame["responses"].astype("float64").mask(hidden).astype("Int64")
    frame["rate"] = frame["rate"].mask(hidden)
    frame["people_supported"] = people.astype("Int64")
    return frame[["scheme_id", "region", "quarter", "responses", "people_supported", "rate",
                  "suppressed"]]


def response_totals(
    store: Store,
    quarter: dt.date | str,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> dict[str, int]:
    """The area's totals for one quarter: responses, people_supported and
    responses_with_return (over the schemes that sent an activity return), schemes,
    and hidden (1 when the area's responses are a cell the KHIs' rules hide: below
    the minimum, or hidden beside a small one, as on the Data quality page)."""
    start = parse_quarter(quarter)
    frame = _rate_cells(store, filters, start)
    has_return = frame["people_supported"].fillna(0) > 0
    responses = int(frame["responses"].sum())
    hidden = False
    if responses and store.exists():
        with store.connect() as con:
            hidden = bool(_count_decisions(
                con, [_Count("asked:person", "1", "person")], queries.one_quarter(start),
                dataclasses.replace(filters or Filters(), respondent_types=None),
                settings or default_settings(),
            ).any())
    return {
        "responses": responses,
        "people_supported": int(frame.loc[has_return, "people_supported"].sum()),
        "responses_with_return": int(frame.loc[has_return, "responses"].sum()),
        "schemes": int(len(frame)),
        "hidden": int(hidden),
    }


def missing_returns(
    store: Store, quarter: dt.date | str | None = None, filters: Filters | None = None
) -> pd.DataFrame:
    """Registered schemes in the view with no activity return for the quarter.

    Columns: scheme_id, name, region, last_return (the latest quarter they sent
    a return for, or empty).
    """
    filters = filters or Filters()
    if not store.exists():
        return pd.DataFrame(columns=["scheme_id", "name", "region", "last_return"])
    start = parse_quarter(quarter) if quarter is not None else latest_quarter(store)
    if start is None:
        return pd.DataFrame(columns=["scheme_id", "name", "region", "last_return"])
    with store.connect() as con:
        frame = queries.missing_returns(con, start, filters)
    frame["last_return"] = [
        None if pd.isna(v) else pd.Timestamp(v).date() for v in frame["last_return"]
    ]
    return frame


def item_completeness(
    store: Store, quarter: dt.date | str | None = None, filters: Filters | None = None
) -> pd.DataFrame:
    """For each survey item: asked (responses of its audience), answered, share (0-100).

    "Asked" counts each person once (latest response in the quarter) of the
    item's audience; a question asked of fewer than the minimum base is hidden.
    """
    filters = filters or Filters()
    settings = default_settings()
    items = bank().items
    with store.connect() as con:
        period_sql, period_params, _ = queries.period(con, quarter)
        row = queries.item_counts(con, items, period_sql, period_params, filters)
        # "Asked" and "answered" are cells like a KHI's base, one per respondent
        # type: an item asked of everyone is shown only when both are (else
        # everyone minus people would give the carers).
        types = ("person", "carer")
        counts = [_Count(f"asked:{t}", "1", t) for t in types] + [
            _Count(f"{i.code}:{t}", i.code, t) for i in items for t in types]
        hidden = dict(zip((c.code for c in counts), _count_decisions(
            con, counts, (period_sql, period_params), filters, settings)))
    asked = [int(row[f"asked_{k}"] or 0) for k in range(len(items))]
    answered = [int(row[f"answered_{k}"] or 0) for k in range(len(items))]
    frame = pd.DataFrame({"item": [i.code for i in items], "asked": asked, "answered": answered})
    frame = frame[frame["asked"] > 0].reset_index(drop=True)
    if frame.empty:
        return frame.assign(share=[], suppressed=[])
    frame["share"] = 100.0 * frame["answered"] / frame["asked"]
    audience = {i.code: (("person", "carer") if i.audience == "all" else (i.audience,))
                for i in items}
    frame["suppressed"] = (frame["asked"] < settings.min_base) | np.array([
        any(hidden[f"asked:{t}"] or hidden[f"{code}:{t}"] for t in audience[code])
        for code in frame["item"]], dtype=bool)
    hidden = frame["suppressed"]
    for column in ("asked", "answered"):
        frame[column] = frame[column].astype("float64").mask(hidden).astype("Int64")
    frame["share"] = frame["share"].mask(hidden)
    return frame


# ---------------------------------------------------------------- activity ---
def activity_summary(
    store: Store,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    by: str = "region",
) -> pd.DataFrame:
    """Sector size from the activity returns, per region (or scheme) for the quarter.

    Columns: the ``by`` column, schemes (returns counted), the activity counts,
    people_supported (the four support types), people_year_before (same schemes'
    returns a year earlier) and growth_pct (change since a year earlier, 0-100,
    over schemes that sent both returns, so a late return is not read as growth).
    """
    if by not in ("region", "scheme"):
        raise ValueError("activity_summary: by must be 'region' or 'scheme'")
    filters = filters or Filters()
    if not store.exists():
        return pd.DataFrame()
    start = parse_quarter(quarter) if quarter is not None else latest_quarter(store)
    if start is None:
        return pd.DataFrame()
    year_before = shift_quarter(start, -4)
    with store.connect() as con:
        frame = queries.activity_sums(con, start, year_before, filters, by)
    with np.errstate(divide="ignore", invalid="ignore"):
        before = frame["people_year_before"].astype("float64")
        current = frame["people_now"].astype("float64")
        frame["growth_pct"] = np.where(before > 0, 100.0 * (current - before) / before, np.nan)
    return frame.drop(columns="people_now")



# ------------------------------------------- disclosure across linked tables ---
# Why here: a cell must be hidden in the same way whichever table,
# filter or page asks for it, so the decision is taken on the lattice of every
# table a user can reach from the request (England, regions and schemes; each
# breakdown dimension and its total; each quarter) over all of England, and each
# row of the answer looks its decision up there. Areas and support types chosen
# together (several regions, a scope of schemes, several support types) are sums
# of lattice cells: shown only when every cell they add up is shown, so they add
# nothing to what is already published. "All quarters" is such a sum of quarters,
# so a small quarter hides the all-quarters total, not a second quarter.

# Breakdown dimensions besides area and quarter, beyond which no table is offered:
# each more doubles the linked tables to protect.
MAX_BREAKDOWNS = 3


def _lattice_dims(by: Sequence[str], filters: Filters) -> list[str]:
    """The breakdown dimensions of the lattice: the request's, and support type
    when it is filtered (a filtered view is a cell of the support-type table)."""
    dims = [d for d in by if d not in ("region", "scheme", "quarter")]
    if filters.support_types is not None and "support_type" not in dims:
        dims.append("support_type")
    if len(dims) > MAX_BREAKDOWNS:
        raise ValueError(
            f"At most {MAX_BREAKDOWNS} breakdowns besides region, scheme and quarter "
            "(the support-type filter counts as one): small groups could not be "
            "protected across so many tables."
        )
    return dims


def _lattice_finest(
    con: duckdb.DuckDBPyConnection,
    scored: Sequence[KHI],
    changes: Sequence[KHI],
    dims: Sequence[str],
    period_sql: str,
    period_params: list,
    ends: Sequence[dt.date] | None,
    filters: Filters,
) -> pd.DataFrame:
    """Bases of the finest lattice cells over England: khi, quarter, region,
    scheme, the dims, n (cells without answers left out)."""
    everyone = dataclasses.replace(
        filters, regions=None, scheme_ids=None, scope=None, support_types=None
    )
    frames = []
    if scored:
        keys = ["region", "scheme", "quarter", *dims]
        wide = queries.finest_bases(
            con, scored, keys, period_sql, period_params, everyone
        )
        for i, k in enumerate(scored):
            rows = wide[(wide["respondent_type"] == k.population).to_numpy()]
            part = rows[keys].copy()
            part.insert(0, "khi", k.code)
            part["n"] = rows[f"n_{i}"].to_numpy()
            frames.append(part)
    if changes and ends:
        cells, _ = _change_cells(con, changes, ["region", "scheme", *dims], ends, everyone)
        frames.append(cells[["khi", "quarter", "region", "scheme", *dims, "n"]])
    columns = ["khi", "quarter", "region", "scheme", *dims, "n"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    out = out[out["n"].fillna(0) > 0].reset_index(drop=True)
    out["quarter"] = [pd.Timestamp(q).date() for q in out["quarter"]]
    return out


def _lattice(finest: pd.DataFrame, dims: Sequence[str], min_base: int) -> pd.DataFrame:
    """Every linked cell (sums of the finest ones, TOTAL marking a total) and its
    decision (``hidden``)."""
    levels = []
    inner = ["khi", "quarter"]
    for size in range(len(dims) + 1):
        for subset in _subsets(dims, size):
            for area in (["region", "scheme"], ["region"], []):
                keys = [*inner, *area, *subset]
                level = finest.groupby(keys, dropna=False, sort=False, as_index=False)[
                    "n"].sum()
                for c in ("region", "scheme", *dims):
                    if c not in keys:
                        level[c] = TOTAL
                levels.append(level)
    cells = pd.concat(levels, ignore_index=True)
    for c in ("region", "scheme", *dims):
        cells[c] = cells[c].astype(object)
    cells["hidden"] = suppress_linked(
        cells, dims=list(dims), within=inner, min_base=min_base
    ).to_numpy()
    return cells


def _subsets(items: Sequence[str], size: int) -> list[list[str]]:
    import itertools

    return [list(c) for c in itertools.combinations(items, size)]


def _area_parts(
    con: duckdb.DuckDBPyConnection, filters: Filters
) -> tuple[dict[str, list[tuple]], list[tuple]]:
    """What the filtered area is made of, in lattice cells: per region (a whole
    region, or its chosen schemes) and for the whole view (England when nothing
    is left out)."""
    register = queries.scheme_regions(con).itertuples(index=False, name=None)
    chosen = set(queries.region_names(filters.regions)) if filters.regions is not None else None
    per_region: dict[str, list[tuple]] = {}
    whole = True
    by_region: dict[str, list[str]] = {}
    for scheme_id, region in register:
        by_region.setdefault(region, []).append(scheme_id)
    for region, ids in by_region.items():
        keep = [
            s for s in ids
            if (chosen is None or region in chosen)
            and (filters.scheme_ids is None or s in filters.scheme_ids)
            and (filters.scope is None or s in filters.scope)
        ]
        if len(keep) == len(ids):
            per_region[region] = [(region, TOTAL)]
        else:
            whole = False
            per_region[region] = [(region, s) for s in keep]
    view = [(TOTAL, TOTAL)] if whole else [c for parts in per_region.values() for c in parts]
    return per_region, view


def _decisions(
    rows: pd.DataFrame,
    lattice: pd.DataFrame,
    dims: Sequence[str],
    area: str | list[tuple],
    per_region: dict[str, list[tuple]],
    support: list | None,
) -> np.ndarray:
    """Hidden or not, per row of ``rows`` (khi and key columns), from the lattice.

    ``area``: "scheme" (the row's own scheme), "region" (the row's region, as the
    filters leave it) or a fixed list of (region, scheme) lattice cells. A row made
    of several lattice cells is hidden when any of them is. ``support``: the
    support-type cells when the rows have no support_type column.
    """
    if rows.empty:
        return np.zeros(0, dtype=bool)
    base = pd.DataFrame({"_row": np.arange(len(rows)), "khi": rows["khi"].to_numpy()})
    for d in dims:
        if d in rows.columns:
            base[d] = rows[d].to_numpy(dtype=object)
    if "quarter" in rows.columns:
        base["quarter"] = [pd.Timestamp(q).date() if pd.notna(q) else q
                           for q in rows["quarter"]]
    if area == "scheme":
        base["region"] = rows["region"].to_numpy(dtype=object)
        base["scheme"] = rows["scheme"].to_numpy(dtype=object)
    elif area == "region":
        parts = pd.DataFrame(
            [(r, r2, s) for r, cells in per_region.items() for r2, s in cells],
            columns=["_region", "region", "scheme"],
        )
        base["_region"] = rows["region"].to_numpy(dtype=object)
        base = base.merge(parts, on="_region", how="inner").drop(columns="_region")
    else:
        base = base.merge(pd.DataFrame(area, columns=["region", "scheme"]), how="cross")
    if "support_type" in dims and "support_type" not in base.columns:
        base = base.merge(
            pd.DataFrame({"support_type": [TOTAL] if support is None else list(support)},
                         dtype=object),
            how="cross",
        )
    for d in dims:
        if d not in base.columns:
            base[d] = TOTAL
    if "quarter" not in base.columns:
        base = base.merge(lattice[["khi", "quarter"]].drop_duplicates(), on="khi")
    keys = ["khi", "quarter", "region", "scheme", *dims]
    for c in ("region", "scheme", *dims):
        base[c] = base[c].astype(object)
    found = base.merge(lattice[[*keys, "hidden"]], on=keys, how="left")
    hidden = found["hidden"].fillna(False).astype(bool)
    out = np.zeros(len(rows), dtype=bool)
    hit = found.loc[hidden.to_numpy(), "_row"].to_numpy()
    out[hit] = True
    return out


def _protect(
    con: duckdb.DuckDBPyConnection,
    table: pd.DataFrame,
    bench: pd.DataFrame,
    scored: Sequence[KHI],
    changes: Sequence[KHI],
    by: Sequence[str],
    bench_keys: Sequence[str],
    period: tuple[str, list],
    ends: Sequence[dt.date] | None,
    filters: Filters,
    settings: Settings,
    views: list[tuple[pd.DataFrame, dt.date | None]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of the view and of the benchmarks are hidden (one decision per
    cell across every linked table)."""
    dims = _lattice_dims(by, filters)
    whole = (filters.regions is None and filters.scheme_ids is None and filters.scope is None
             and filters.support_types is None)
    if views is not None and whole and "scheme" in by:
        # The view is already every scheme of England at the finest level: its cells
        # are the lattice's (no second pass over the responses).
        frames = []
        for part, quarter in views:
            part = part if "quarter" in part else part.assign(quarter=quarter)
            frames.append(part[["khi", "quarter", "region", "scheme", *dims, "n"]])
        finest = pd.concat(frames, ignore_index=True)
        finest = finest[finest["n"].fillna(0) > 0].reset_index(drop=True)
        finest["quarter"] = [pd.Timestamp(q).date() for q in finest["quarter"]]
    else:
        finest = _lattice_finest(con, scored, changes, dims, *period, ends, filters)
    if finest.empty:
        return np.zeros(len(table), dtype=bool), np.zeros(len(bench), dtype=bool)
    lattice = _lattice(finest, dims, settings.min_base)
    per_region, view_area = _area_parts(con, filters)
    support = list(filters.support_types) if filters.support_types is not None else None
    if "scheme" in by:
        area: str | list[tuple] = "scheme"
    elif "region" in by:
        area = "region"
    else:
        area = view_area
    hidden = _decisions(table, lattice, dims, area, per_region, support)
    # Benchmarks are England (or the region) under the same support filter.
    if "region" in bench_keys:
        whole = {r: [(r, TOTAL)] for r in per_region}
        bench_area: str | list[tuple] = "region"
        bench_rows = bench[bench["region"].notna()] if "region" in bench else bench
    else:
        whole, bench_area, bench_rows = per_region, [(TOTAL, TOTAL)], bench
    bench_hidden = np.zeros(len(bench), dtype=bool)
    if len(bench_rows):
        keep = bench.index.get_indexer(bench_rows.index)
        bench_hidden[keep] = _decisions(
            bench_rows, lattice, dims, bench_area, whole,
            None if "support_type" in bench_keys else support,
        )
    return hidden, bench_hidden


@dataclass(frozen=True)
class _Count:
    """A count protected like a KHI's base: people of ``population`` in a cell
    with ``score_sql`` not null (``"1"``: everyone)."""

    code: str
    score_sql: str
    population: str


def _count_decisions(
    con: duckdb.DuckDBPyConnection,
    counts: Sequence[_Count],
    period: tuple[str, list],
    filters: Filters,
    settings: Settings,
    by: Sequence[str] = (),
    rows: pd.DataFrame | None = None,
) -> np.ndarray:
    """Hidden or not for counts shown outside the KHI table (answers, asked,
    answered, responses), from the same lattice and rules as the KHIs: one row
    per count (or per row of ``rows``, with khi = the count's code)."""
    dims = _lattice_dims(by, filters)
    finest = _lattice_finest(con, counts, [], dims, *period, None, filters)
    if rows is None:
        rows = pd.DataFrame({"khi": [c.code for c in counts]})
    if finest.empty:
        return np.zeros(len(rows), dtype=bool)
    lattice = _lattice(finest, dims, settings.min_base)
    per_region, view_area = _area_parts(con, filters)
    support = list(filters.support_types) if filters.support_types is not None else None
    area: str | list[tuple] = (
        "scheme" if "scheme" in by else "region" if "region" in by else view_area
    )
    return _decisions(rows, lattice, dims, area, per_region, support)
