"""A commissioner compares the schemes of their region on the Schemes page.

With a region in the sidebar the page picks out that region's schemes among
England's (or shows them alone), lists them in a table with its CSV, names the
region on hover, and its scheme box offers only that region's schemes.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from kpi import indicators as engine
from kpi.catalogue import catalogue
from pages.views import schemes as page
from tests.browser.test_shared_links import choose, open_tab, options, tick

if TYPE_CHECKING:
    from tests.browser.conftest import App

pytestmark = pytest.mark.browser

REGION = "North West"


def register(app: App) -> pd.DataFrame:
    return app.server.store.schemes()


def table_csv(app: App) -> pd.DataFrame:
    """The schemes' table as its CSV download (in the page's Table tab)."""
    with app.page.expect_download() as info:
        app.page.get_by_role("button", name="Table (CSV)").click()
    return pd.read_csv(io.BytesIO(open(info.value.path(), "rb").read()))


def test_the_regions_schemes_are_picked_out_shown_alone_and_downloaded(app: App) -> None:
    schemes = register(app)
    in_region = set(schemes.loc[schemes["region"] == REGION, "name"])
    app.open("schemes")
    choose(app, "Region", REGION, "region", REGION, sidebar=True)
    assert app.exceptions() == []
    main = app.page.get_by_test_id("stMain")
    assert f"The schemes in {REGION} are outlined" in main.inner_text()
    # Highlighted: every scheme of England is listed, the region's first.
    open_tab(app, page.TABLE)
    everyone = table_csv(app)
    assert set(everyone["Region"]) - {REGION}, "England's other schemes are listed too"
    first = everyone["Region"].tolist()
    assert first[: first.count(REGION)] == [REGION] * first.count(REGION)
    # Alone: only the region's schemes, in the table, its CSV and the funnel.
    tick(app, "Only this region's")
    main.get_by_text(f"Only the schemes in {REGION} are shown").wait_for()
    app.idle()
    alone = table_csv(app)
    assert len(alone) > 0 and set(alone["Region"]) == {REGION}
    assert set(alone["Area"]) <= in_region  # the tidy download: each scheme is an area
    assert {"Area", "Value", "95% interval from", "95% interval to", "Base (answers)",
            "Benchmark", "Compared with the benchmark", "Hidden (too few answers)",
            "CQC rating"} <= set(alone.columns)
    assert set(alone["Benchmark"]) == {"England"}
    # Hidden schemes carry no value, interval or base (disclosure control).
    hidden = alone["Hidden (too few answers)"].astype(str) == "True"
    assert alone.loc[hidden, ["Value", "Base (answers)", "95% interval from"]].isna().all().all()
    open_tab(app, page.FUNNEL)
    funnel_chart = '.st-key-schemes_funnel [data-testid="stPlotlyChart"] .js-plotly-plot'
    app.page.locator(funnel_chart).wait_for()
    funnel = app.page.evaluate(
        """(css) => [...document.querySelectorAll(css)]
               .map(d => d.data.flatMap(t => t.hovertext || []))""",
        funnel_chart,
    )
    names = [text for chart in funnel[:1] for text in chart]
    assert names and all(f"({REGION})" in text for text in names)  # the region on hover
    # The profile's scheme box offers the region's schemes only.
    open_tab(app, page.PROFILE)
    offered = set(options(app, "Scheme"))
    assert offered and offered <= in_region
    app.screenshot("schemes_north_west_alone")


def test_the_sidebars_scheme_is_starred_on_the_funnel(app: App) -> None:
    schemes = register(app).set_index("scheme_id")
    code = next(k.code for k in catalogue() if k.measure != "change")  # the page's first
    points, _, _ = engine.funnel(app.server.store, code)  # latest quarter, as the page
    plotted = [s for s in points["scheme"] if schemes.loc[s, "region"] == REGION]
    name = schemes.loc[plotted[0], "name"]
    app.open("schemes")
    choose(app, "Region", REGION, "region", REGION, sidebar=True)
    choose(app, "Scheme", name, "scheme", plotted[0], sidebar=True)  # the URL names its id
    traces = app.page.evaluate(
        """() => document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot')
               .data.map(t => t.name)"""
    )
    assert f"Chosen: {name}" in traces
