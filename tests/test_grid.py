"""The overview grid (kpi.indicators.grid): every KHI by every area in view, each
cell the engine's own comparison, hidden cells marked, only the viewer's schemes."""

from __future__ import annotations

import pandas as pd
import pytest

from kpi import indicators as engine
from kpi.catalogue import catalogue
from kpi.downloads import TIDY_COLUMNS
from kpi.errors import UnknownCode
from kpi.indicators import Filters
from kpi.indicators import grid as g
from kpi.items import bank
from kpi.periods import quarter_label
from kpi.store import Store
from kpi.wording import format_value

SCORED = [k.code for k in catalogue() if k.measure != "change"]


@pytest.fixture(scope="module")
def label(demo_store: Store) -> str:
    return quarter_label(engine.latest_quarter(demo_store))


def test_every_khi_by_every_region_with_the_engines_comparison(
    demo_store: Store, label: str
) -> None:
    grid = g.overview_grid(demo_store, label)
    regions = list(bank().region_names)
    assert list(dict.fromkeys(grid["khi"])) == SCORED  # catalogue order
    assert list(dict.fromkeys(grid["area"])) == regions  # register order, every region
    assert len(grid) == len(SCORED) * len(regions)
    table = engine.indicator_table(demo_store, khis=SCORED, by=["region"], quarter=label)
    merged = grid.merge(table, left_on=["khi", "area"], right_on=["khi", "region"],
                       suffixes=("", "_engine"))
    assert len(merged) == len(table)
    shown = merged[~merged["suppressed"]]
    assert (shown["status"] == shown["comparison_engine"]).all()
    assert (shown["value"] == shown["value_engine"]).all()
    assert (shown["benchmark_name"] == "England").all()
    for row in shown.head(30).itertuples():
        khi = next(k for k in catalogue() if k.code == row.khi)
        assert row.cell == f"{g.MARKS[row.status]} {format_value(row.value, khi)}"
        assert row.words.startswith(f"{row.name}, {row.area_name}: ")
    # Icons and words, never colour alone: each comparison has its own mark and words.
    assert {"▲", "●", "▼"} <= set(g.MARKS.values())
    assert set(grid["status"]) <= set(g.STATUSES)


def test_hidden_cells_are_marked_and_carry_no_number(demo_store: Store, label: str) -> None:
    grid = g.overview_grid(
        demo_store, label, Filters(regions=("London",)), columns="scheme", benchmark="region"
    )
    hidden = grid[grid["status"] == g.HIDDEN]
    assert len(hidden) > 0  # small schemes: disclosure control hides some cells
    assert (hidden["cell"] == "⊘ hidden").all()
    assert hidden[["value", "n", "count", "lower95", "upper95"]].isna().all().all()
    assert hidden["words"].str.endswith("hidden: too few answers to show").all()
    assert hidden["suppressed"].all()
    # Compared with each scheme's own region, by name.
    assert (grid["benchmark_name"] == "London").all()
    assert (grid["region"] == "London").all()
    london = set(demo_store.schemes().query("region == 'London'")["scheme_id"])
    assert set(grid["area"]) == london  # every London scheme, also one with no answers
    assert (grid["status"] == g.NO_ANSWERS).any()


def test_a_scheme_users_grid_has_only_their_scheme(demo_store: Store, label: str) -> None:
    mine = str(demo_store.schemes()["scheme_id"].iloc[0])
    scoped = Filters(scope=(mine,))
    assert g.grid_column_kinds(scoped) == ("scheme",)
    grid = g.overview_grid(demo_store, label, scoped, columns="scheme")
    assert set(grid["area"]) == {mine}
    assert len(grid) == len(SCORED)
    # Regions would be worked out over their scheme alone: refused, never drawn.
    with pytest.raises(UnknownCode):
        g.overview_grid(demo_store, label, scoped, columns="region")
    # An empty grant sees no scheme at all.
    assert g.overview_grid(demo_store, label, Filters(scope=()), columns="scheme").empty


def test_a_region_cannot_be_its_own_benchmark(demo_store: Store, label: str) -> None:
    with pytest.raises(UnknownCode):
        g.overview_grid(demo_store, label, columns="region", benchmark="region")


def test_columns_ordered_by_most_worse_first(demo_store: Store, label: str) -> None:
    grid = g.overview_grid(demo_store, label)
    ordered = g.order_areas(grid, "worse")
    worse = ordered.groupby("area", sort=False)["status"].apply(lambda s: (s == "worse").sum())
    assert list(worse) == sorted(worse, reverse=True)
    assert list(dict.fromkeys(ordered["khi"])) == SCORED  # rows unchanged
    pd.testing.assert_frame_equal(
        ordered.sort_values(["khi", "area"]).reset_index(drop=True),
        grid.sort_values(["khi", "area"]).reset_index(drop=True),
    )


def test_counts_in_words_add_up(demo_store: Store, label: str) -> None:
    grid = g.overview_grid(demo_store, label)
    counts = g.grid_counts(grid)
    assert list(counts["area_name"]) == list(bank().region_names)
    assert (counts[list(g.STATUSES)].sum(axis=1) == len(SCORED)).all()


def test_the_download_reads_alone_and_keeps_hidden_cells_empty(
    demo_store: Store, label: str
) -> None:
    grid = g.overview_grid(
        demo_store, label, Filters(regions=("London",)), columns="scheme", benchmark="region"
    )
    frame = g.grid_download(grid, label, "2026-12-05 10:00")
    assert len(frame) == len(grid)
    assert (frame["Quarter"] == label).all() and (frame["Data as of"] == "2026-12-05 10:00").all()
    # The tidy columns every KHI download has (kpi.downloads), then the grid's own.
    assert list(frame.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS.values())
    assert list(frame["Area"]) == list(grid["area_name"])
    hidden = frame[frame["Hidden (too few answers)"]]
    numbers = ["Value", "Base (answers)", "Count", "95% interval from", "99.8% interval to"]
    assert len(hidden) and hidden[numbers].isna().all().all()
    assert (frame["Benchmark"] == "London").all()
    # The level by the one rule (kpi.wording.comparison_level), as every page says it.
    level = frame[TIDY_COLUMNS["level"]]
    status = frame["Status (hidden, no answers, or the comparison at 95%)"]
    outside = frame["Outside the 99.8% limits"].astype(bool)
    assert (level[status.isin(["better", "worse"]) & outside] == "99.8%").all()
    assert (level[status.isin(["better", "worse"]) & ~outside] == "95%").all()
    assert (level[status == "similar"] == "none").all()
    assert (level[hidden.index] == "untested").all()
    assert {"95%", "none", "untested"} <= set(level)
    words = frame["Compared with the benchmark"]
    assert (words[(level == "99.8%") & (status == "worse")] == "clearly worse").all()
    # Against England, every scheme: some cells reach 99.8%, and the file says so.
    every = pd.concat(
        g.grid_download(g.overview_grid(demo_store, label, Filters(regions=(region,)),
                                        columns="scheme"), label)
        for region in bank().region_names
    )
    strong = every["Outside the 99.8% limits"].astype(bool)
    assert strong.any()
    assert (every.loc[strong, TIDY_COLUMNS["level"]]
            == "99.8%").all()


def test_one_scheme_chosen_is_never_drawn_as_its_region(demo_store: Store, label: str) -> None:
    """A region's column over one chosen scheme would read as the whole region."""
    one = Filters(scheme_ids=(str(demo_store.schemes()["scheme_id"].iloc[0]),))
    assert g.grid_column_kinds(one) == ("scheme",)
    with pytest.raises(UnknownCode):
        g.overview_grid(demo_store, label, one, columns="region")
    assert g.grid_column_kinds(Filters(regions=("London",))) == ("scheme", "region")
    assert g.grid_column_kinds(Filters()) == ("region",)
