"""The overview grid: every KHI by every area the viewer may see, at a glance.

Why: a commissioner with 19 schemes otherwise opens 26 KHIs one by one to find
where to look; England's public-health profiles (Fingertips) open on this view,
every indicator by every area marked better / similar / worse. Each cell is the
engine's own comparison (:func:`~kpi.indicators.indicator_table`), so the grid and
every other page agree; a hidden cell stays hidden (disclosure control), marked.

What the columns may be is decided here, not on a page: a viewer who sees only
some schemes gets schemes, never regions (a region's column worked out over a few
of its schemes would read as the whole region's value).
"""

from __future__ import annotations

import pandas as pd

from kpi.catalogue import catalogue
from kpi.errors import UnknownCode
from kpi.indicators.filters import Filters, Settings, default_settings
from kpi.indicators.table import indicator_table
from kpi.items import bank
from kpi.reach import Reach
from kpi.store import Store, one_read_batch
from kpi.wording import BENCHMARK_NAMES, COMPARISON_WORDS, format_value

# What a grid's columns can be, and what each can be compared with.
COLUMN_KINDS = ("region", "scheme")
GRID_BENCHMARKS = {"region": ("england",), "scheme": ("england", "region")}

# A cell's mark: the comparison's icon (``kpi.wording``), or one of these two.
HIDDEN = "hidden"
NO_ANSWERS = "no answers"
MARKS = {
    **{key: icon for key, (icon, _) in COMPARISON_WORDS.items()},
    HIDDEN: "⊘",
    NO_ANSWERS: "–",
}
STATUS_WORDS = {
    "better": "better than {bench}",
    "similar": "similar to {bench}",
    "worse": "worse than {bench}",
    "not compared": "not compared (too few answers)",
    HIDDEN: "hidden: too few answers to show",
    NO_ANSWERS: "no answers this quarter",
}
# The order of a grid's statuses in a legend or a count.
STATUSES = ("better", "similar", "worse", "not compared", HIDDEN, NO_ANSWERS)

GRID_COLUMNS = (
    "khi", "name", "domain", "area", "area_name", "region", "status", "mark", "cell",
    "words", "value", "n", "count", "lower95", "upper95", "lower998", "upper998", "suppressed",
    "benchmark_name", "benchmark", "comparison", "outside998",
)


def grid_column_kinds(filters: Filters) -> tuple[str, ...]:
    """The column kinds this view may use, the first the default.

    A viewer who sees every scheme gets regions, and a region's (or a scheme's)
    schemes once one is chosen (all 150 schemes side by side would not read);
    anyone else gets only their schemes. With one scheme chosen, a region's
    column would hold that scheme's answers alone: schemes only.
    """
    if filters.scope is not None or filters.scheme_ids:
        return ("scheme",)
    if filters.regions:
        return ("scheme", "region")
    return ("region",)


@one_read_batch
def overview_grid(
    store: Store,
    quarter: str,
    filters: Filters | None = None,
    settings: Settings | None = None,
    columns: str = "region",
    benchmark: str = "england",
    khis: list[str] | None = None,
) -> pd.DataFrame:
    """One row per KHI and area (tidy: the page pivots it), in catalogue order,
    then the register's order of areas; every area in view gets a row, also one
    without answers (status "no answers"). Columns: GRID_COLUMNS.

    ``columns`` "region" or "scheme"; ``benchmark`` "england" or, for schemes,
    "region" (the scheme's region, over all its schemes). ``khis`` default: every
    scored KHI (change KHIs have their own page).
    """
    filters = filters or Filters()
    settings = settings or default_settings()
    if columns not in grid_column_kinds(filters):
        raise UnknownCode(
            f"A grid of {columns}s is not open to this view: use one of "
            f"{', '.join(grid_column_kinds(filters))}."
        )
    if benchmark not in GRID_BENCHMARKS[columns]:
        raise UnknownCode(
            f"Unknown benchmark {benchmark!r} for a grid of {columns}s: use one of "
            f"{', '.join(GRID_BENCHMARKS[columns])}."
        )
    wanted = khis or [k.code for k in catalogue() if k.measure != "change"]
    chosen = [k for k in catalogue() if k.code in wanted and k.measure != "change"]
    table = indicator_table(
        store, khis=[k.code for k in chosen], by=[columns], quarter=quarter,
        filters=filters, settings=settings, benchmark=benchmark,
    )
    areas = _areas(store, columns, filters)
    rows = pd.MultiIndex.from_product(
        [[k.code for k in chosen], list(areas["area"])], names=["khi", "area"]
    ).to_frame(index=False)
    found = table.rename(columns={columns: "area"})
    found["area"] = found["area"].astype(str)
    grid = rows.merge(found, on=["khi", "area"], how="left").merge(areas, on="area", how="left")
    by_code = {k.code: k for k in chosen}
    grid["name"] = [by_code[c].name for c in grid["khi"]]
    grid["domain"] = [by_code[c].domain for c in grid["khi"]]
    grid["suppressed"] = grid["suppressed"].fillna(False).astype(bool)
    grid["outside998"] = grid["outside998"].fillna(False).astype(bool)
    grid["status"] = [
        HIDDEN if hidden else (NO_ANSWERS if pd.isna(value) else str(comparison))
        for hidden, value, comparison in zip(grid["suppressed"], grid["value"], grid["comparison"])
    ]
    grid["mark"] = grid["status"].map(MARKS)
    grid["benchmark_name"] = (
        BENCHMARK_NAMES["england"] if benchmark == "england" else grid["region"].astype(str)
    )
    grid["cell"] = [
        _cell(status, value, by_code[code])
        for status, value, code in zip(grid["status"], grid["value"], grid["khi"])
    ]
    grid["words"] = [
        f"{name}, {area_name}: "
        + ("" if status in (HIDDEN, NO_ANSWERS) else f"{format_value(value, by_code[code])}, ")
        + STATUS_WORDS[status].format(bench=bench)
        for name, area_name, status, value, code, bench in zip(
            grid["name"], grid["area_name"], grid["status"], grid["value"], grid["khi"],
            grid["benchmark_name"],
        )
    ]
    return grid[list(GRID_COLUMNS)]


def _cell(status: str, value: object, khi: object) -> str:
    """A cell's text: its mark, then its value (none when hidden or empty)."""
    if status == HIDDEN:
        return f"{MARKS[HIDDEN]} hidden"
    if status == NO_ANSWERS:
        return MARKS[NO_ANSWERS]
    return f"{MARKS[status]} {format_value(value, khi)}"  # type: ignore[arg-type]


def _areas(store: Store, columns: str, filters: Filters) -> pd.DataFrame:
    """The areas in view, in the register's order: area (region name or scheme id),
    area_name, region. Schemes only within the viewer's scope."""
    if columns == "region":
        names = [r for r in bank().region_names if not filters.regions or r in filters.regions]
        return pd.DataFrame({"area": names, "area_name": names, "region": names})
    reach = Reach.everything() if filters.scope is None else Reach.only(filters.scope)
    schemes = store.schemes(reach)
    if filters.regions:
        schemes = schemes[schemes["region"].isin(filters.regions)]
    if filters.scheme_ids:
        schemes = schemes[schemes["scheme_id"].isin(filters.scheme_ids)]
    return pd.DataFrame({
        "area": schemes["scheme_id"].astype(str).to_numpy(),
        "area_name": schemes["name"].astype(str).to_numpy(),
        "region": schemes["region"].astype(str).to_numpy(),
    })


def grid_counts(grid: pd.DataFrame) -> pd.DataFrame:
    """How many KHIs of each status every area has (the grid in words, for a
    screen reader's summary): area_name, then one column per status."""
    counts = (
        grid.groupby(["area", "status"], sort=False).size().unstack(fill_value=0)
        .reindex(columns=list(STATUSES), fill_value=0)
    )
    order = grid.drop_duplicates("area")[["area", "area_name"]]
    return order.merge(counts.reset_index(), on="area", how="left").drop(columns="area")


# How a grid's columns can be ordered: the register's order, or the areas with
# the most KHIs worse (or better) than the benchmark first.
ORDERS = ("register", "worse", "better")


def order_areas(grid: pd.DataFrame, order: str = "register") -> pd.DataFrame:
    """``grid`` with its areas in ``order`` (ties keep the register's order)."""
    if order not in ORDERS:
        raise UnknownCode(f"Unknown order {order!r}: use one of {', '.join(ORDERS)}.")
    areas = list(dict.fromkeys(grid["area"]))
    if order != "register":
        count = grid[grid["status"] == order].groupby("area").size()
        areas.sort(key=lambda area: -int(count.get(area, 0)))
    position = {area: i for i, area in enumerate(areas)}
    keys = (
        grid["khi"].map({k: i for i, k in enumerate(dict.fromkeys(grid["khi"]))}) * len(areas)
        + grid["area"].map(position)
    )
    return grid.iloc[keys.argsort(kind="stable").to_numpy()].reset_index(drop=True)


# What the grid's download adds to the tidy columns (``kpi.downloads``).
DOWNLOAD_EXTRA = {
    "domain": "Domain", "area": "Area code", "region": "Region",
    "status": "Status (hidden, no answers, or the comparison at 95%)",
    "outside998": "Outside the 99.8% limits", "words": "In words",
}


def grid_download(grid: pd.DataFrame, quarter: str, as_of: str = "") -> pd.DataFrame:
    """The grid as a tidy table for a CSV: one row per KHI and area with the tidy
    columns every KHI download has (``kpi.downloads.TIDY_COLUMNS``), then the grid's
    own; hidden cells carry no number (the engine's disclosure control, kept)."""
    from kpi.downloads import tidy_frame  # kpi.downloads reads the catalogue only

    names = dict(zip(grid["area"].astype(str), grid["area_name"].astype(str)))
    return tidy_frame(grid, area="", quarter=quarter, by="area", names=names, as_of=as_of,
                      extra=DOWNLOAD_EXTRA)
