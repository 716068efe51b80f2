"""The explore pages under Streamlit's AppTest: Overview, Regions, Schemes, Indicator
detail, Equity, Change over time and Definitions.

Every page runs without an exception on the shared demo store and on an empty
store, says so (not an error) when the filters match nothing, and shows the
engine's own numbers for the same filters: the pages draw, they never compute.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Iterator

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kpi import indicators as engine
from kpi.board import watch
from kpi.catalogue import catalogue, khi
from kpi.indicators import Filters, Settings
from kpi.items import bank
from kpi.periods import quarter_label, shift_quarter
from kpi.store import Store
from pages.views import _common as c
from pages.views import indicator, regions, schemes
from tests.apptest_helpers import (
    cards,
    chart_keys,
    dataframe_with,
    figure,
    markdown,
    open_page,
    static_tables,
    texts,
    trace_values,
)
from tests.builders import make_store
from tests.test_indicators import agree, people, upload

PAGES = ("overview", "regions", "schemes", "indicator", "equity", "change", "definitions")
DATA_PAGES = tuple(p for p in PAGES if p != "definitions")
HIDDEN = "Too few answers to show"


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    """Cached engine calls are keyed on the store path, but stores come and go: start clean."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture(scope="module")
def settings() -> Settings:
    values = bank().settings
    return Settings(min_base=int(values["min_base"]), min_compare=int(values["min_compare"]))


def latest_label(store: Store) -> str:
    """The sidebar's default quarter: the latest with data."""
    return quarter_label(engine.latest_quarter(store))


def shown(value: object, code: str) -> str:
    """A value formatted as the pages format it."""
    return c.format_value(value, khi(code))


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# ---------------------------------------------------------------- empty store ---
@pytest.mark.parametrize("page", PAGES)
def test_every_page_welcomes_an_empty_store(
    fresh_store: Store, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = open_page(monkeypatch, fresh_store, f"pages/{page}.py", KHI_NO_DEMO="1")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    if page in DATA_PAGES:
        assert "no survey data yet" in texts(at.info)
        assert not at.get("plotly_chart")


# ---------------------------------------------------------------- demo store ---
def test_overview_tiles_show_the_engines_values(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/overview.py")
    assert not at.exception, [e.value for e in at.exception]
    label = latest_label(demo_store)
    table = engine.indicator_table(demo_store, quarter=label, filters=Filters(), settings=settings)
    tiles = cards(at)
    checked = 0
    for _, row in table.iterrows():
        entry = khi(str(row["khi"]))
        if entry.measure == "change":
            continue
        hidden = bool(row["suppressed"])
        expected = HIDDEN if hidden else shown(row["value"], entry.code)
        assert tiles[entry.name] == expected, entry.code
        checked += 1
    assert checked >= 20
    # The tile's interval is the engine's, in the same words.
    first = table[~table["suppressed"].astype(bool)].iloc[0]
    interval = c.format_interval(first["lower95"], first["upper95"], khi(str(first["khi"])))
    assert f"95% interval {interval}" in markdown(at)


def card_texts(at: AppTest) -> dict[str, str]:
    """Every card's whole text (tags removed, entities undone), by the card's name."""
    found = {}
    for element in at.markdown:
        for label, body in re.findall(
            r'role="group" aria-label="([^"]+)"[^>]*>(.*?)</div>', str(element.value)
        ):
            found[html.unescape(label)] = html.unescape(re.sub("<[^>]+>", " ", body))
    return found


def test_overview_tiles_say_the_change_since_last_quarter(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/overview.py")
    label = latest_label(demo_store)
    previous = quarter_label(shift_quarter(engine.latest_quarter(demo_store), -1))
    scored = [k.code for k in catalogue() if k.measure != "change"]
    now, before = (
        engine.indicator_table(demo_store, khis=scored, quarter=q, filters=Filters(),
                               settings=settings).set_index("khi")
        for q in (label, previous)
    )
    texts, moved = card_texts(at), 0
    for code in scored:
        entry = khi(code)
        text = texts[entry.name]
        if bool(now.loc[code, "suppressed"]) or bool(before.loc[code, "suppressed"]):
            assert "Too few answers to say whether it changed since last quarter." in text, code
            continue
        diff = float(now.loc[code, "value"]) - float(before.loc[code, "value"])
        size = f"{abs(diff):.{0 if entry.is_proportion else 1}f}"
        if float(size) > 0:  # the engine's two values, as the tile words their difference
            assert f"{'Up' if diff > 0 else 'Down'} {size}" in text, (code, text)
            moved += 1
    assert texts and moved >= 10  # so the loop checked real changes


def test_overview_compares_a_region_with_england(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/overview.py", {"region": "London"})
    assert not at.exception, [e.value for e in at.exception]
    label = latest_label(demo_store)
    scored = [k.code for k in catalogue() if k.measure != "change"]  # the tiles
    table = engine.indicator_table(
        demo_store, khis=scored, quarter=label, filters=Filters(regions=("London",)),
        settings=settings,
    )
    text = markdown(at)
    for word in ("better", "similar", "worse"):
        count = int((table["comparison"] == word).sum())
        assert f"{count} {c.COMPARISON_STYLE[word][0]} {word}" in text
    tiles = cards(at)
    for _, row in table.iterrows():
        entry = khi(str(row["khi"]))
        if entry.measure != "change":
            expected = HIDDEN if bool(row["suppressed"]) else shown(row["value"], entry.code)
            assert tiles[entry.name] == expected


def test_regions_show_every_region_as_the_engine_does(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/regions.py",
                   {regions.VIEWS_KEY: regions.TABLE})
    assert not at.exception, [e.value for e in at.exception]
    code = at.selectbox(key="regions_khi").value
    label = latest_label(demo_store)
    table = engine.indicator_table(
        demo_store, khis=[code], by=["region"], quarter=label, filters=Filters(), settings=settings
    ).set_index("region")
    frame = dataframe_with(at, "Region").set_index("Region")
    assert list(frame.index) == list(bank().region_names)
    for region, row in table.iterrows():
        expected = HIDDEN if bool(row["suppressed"]) else shown(row["value"], code)
        assert frame.loc[region, "Value"] == expected
        if not bool(row["suppressed"]):
            assert frame.loc[region, "Compared with England"] == c.comparison_words(
                row["comparison"], outside998=row["outside998"]
            )
    at = open_page(monkeypatch, demo_store, "pages/regions.py")  # the first tab: the map
    assert at.selectbox(key="regions_khi").value == code
    tiles = " ".join(figure(at, "regions_map")["data"][0]["text"])
    for region in bank().region_names:
        assert region.split()[0] in tiles
    ranked = trace_values(figure(at, "regions_ranked"), "x")
    visible = table.loc[~table["suppressed"].astype(bool), "value"].astype(float)
    assert sorted(ranked) == pytest.approx(sorted(visible))
    at = open_page(monkeypatch, demo_store, "pages/regions.py",
                   {regions.VIEWS_KEY: regions.TRENDS})
    assert figure(at, "regions_trends")["data"]


def test_schemes_draw_the_engines_funnel_ranking_and_profile(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/schemes.py")  # the first tab: the funnel
    assert not at.exception, [e.value for e in at.exception]
    code = at.selectbox(key="schemes_khi").value
    assert khi(code).is_proportion  # the first KHI: the funnel is drawn
    label = latest_label(demo_store)
    table = engine.indicator_table(
        demo_store, khis=[code], by=["scheme"], quarter=label, filters=Filters(), settings=settings
    )
    visible = table.loc[~table["suppressed"].astype(bool), "value"].astype(float)
    funnel = figure(at, "schemes_funnel")
    names = {t.get("name") for t in funnel["data"]}
    assert {"95% limits", "99.8% limits"} <= names
    at = open_page(monkeypatch, demo_store, "pages/schemes.py", {schemes.VIEWS_KEY: schemes.RANKED})
    assert at.selectbox(key="schemes_khi").value == code
    ranked = trace_values(figure(at, "schemes_ranked"), "y")
    assert sorted(ranked) == pytest.approx(sorted(visible))
    at = open_page(monkeypatch, demo_store, "pages/schemes.py",
                   {schemes.VIEWS_KEY: schemes.PROFILE})
    assert "schemes_spine" in chart_keys(at)
    # The profile: one scheme's values are the engine's, row by row.
    scheme = at.selectbox(key="schemes_profile").value
    profile = dataframe_with(at, "This scheme").set_index("Indicator")
    by_scheme = engine.indicator_table(
        demo_store, by=["scheme"], quarter=label, filters=Filters(), settings=settings
    )
    mine = by_scheme[by_scheme["scheme"] == scheme]
    for _, row in mine.iterrows():
        entry = khi(str(row["khi"]))
        if entry.measure == "change":  # change has its own page
            continue
        expected = HIDDEN if bool(row["suppressed"]) else shown(row["value"], entry.code)
        assert profile.loc[entry.name, "This scheme"] == expected
    assert "CQC rating" in markdown(at)
    # With no scheme chosen in the sidebar it opens on a scheme with the most
    # indicators shown, not on the register's first (often a profile of gaps).
    scored = by_scheme[by_scheme["measure"] != "change"]
    shown_per_scheme = scored.groupby("scheme")["value"].count()
    assert shown_per_scheme[scheme] == shown_per_scheme.max() > 0
    first = demo_store.schemes()["scheme_id"].iloc[0]  # what the box would open on
    assert shown_per_scheme.get(first, 0) < shown_per_scheme.max()  # so this checks it


def test_a_scheme_with_every_indicator_hidden_is_said_so_not_charted(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    label = latest_label(demo_store)
    by_scheme = engine.indicator_table(
        demo_store, by=["scheme"], quarter=label, filters=Filters(), settings=settings
    )
    scored = by_scheme[by_scheme["measure"] != "change"]
    counts = scored.groupby("scheme").agg(shown=("value", "count"), hidden=("suppressed", "sum"))
    gaps = counts[(counts["shown"] == 0) & (counts["hidden"] > 0)].index
    assert len(gaps), "the demo has no scheme whose indicators are all hidden"
    at = open_page(monkeypatch, demo_store, "pages/schemes.py",
                   {schemes.VIEWS_KEY: schemes.PROFILE}, state={"schemes_profile": gaps[0]})
    assert at.selectbox(key="schemes_profile").value == gaps[0]
    assert not at.exception, [e.value for e in at.exception]
    assert any("too few answers" in str(i.value) for i in at.info)
    assert "schemes_spine" not in chart_keys(at)
    assert not static_tables(at)  # nor a table of gaps
    assert "CQC rating" in markdown(at)  # the line on the scheme is still there


# What each tab draws (charts by key; tables by their first column: display-only
# dataframes carry no key under AppTest).
TABLES = {"Scheme": "schemes_table", "Indicator": "schemes_profile_table",
          "Region": "regions_table"}


def drawn_in_tabs(at: AppTest) -> list[tuple[str, set[str]]]:
    """Each tab's label and what it holds: its charts' keys and its tables' names
    (grids, and the static tables by their first heading)."""
    return [
        (tab.label, {str(getattr(e, "key", "")) for e in tab.get("plotly_chart")}
         | {TABLES[str(e.value.columns[0])] for e in tab.dataframe}
         | {TABLES[str(t.columns[0])] for t in static_tables(tab) if t.columns[0] in TABLES})
        for tab in at.tabs
    ]


@pytest.mark.parametrize(
    ("page", "key", "open_tab", "drawn"),
    [
        ("schemes", schemes.VIEWS_KEY, None, {"schemes_funnel"}),
        ("schemes", schemes.VIEWS_KEY, schemes.RANKED, {"schemes_ranked"}),
        ("schemes", schemes.VIEWS_KEY, schemes.TABLE, {"schemes_table"}),
        ("schemes", schemes.VIEWS_KEY, schemes.PROFILE, {"schemes_spine", "schemes_profile_table"}),
        ("regions", regions.VIEWS_KEY, None, {"regions_map", "regions_ranked"}),
        ("regions", regions.VIEWS_KEY, regions.TABLE, {"regions_table"}),
        ("regions", regions.VIEWS_KEY, regions.TRENDS, {"regions_trends"}),
        ("regions", regions.VIEWS_KEY, regions.SECTOR, {"regions_people", "regions_growth"}),
        ("indicator", indicator.VIEWS_KEY, None, {"indicator_trend"}),
        ("indicator", indicator.VIEWS_KEY, indicator.CONTROL, {"indicator_control"}),
        ("indicator", indicator.VIEWS_KEY, indicator.BY_GROUP, {"indicator_breakdown"}),
        ("indicator", indicator.VIEWS_KEY, indicator.ANSWERS, {"indicator_answers"}),
        ("indicator", indicator.VIEWS_KEY, "No such tab", {"indicator_trend"}),  # typed by hand
    ],
)
def test_only_the_open_tab_is_drawn(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, page: str, key: str,
    open_tab: str | None, drawn: set[str],
) -> None:
    """The Schemes, Regions and Indicator detail pages draw one view at a time (their
    charts and grids kept the browser busy): the tab named in the link, else the first
    (a tab typed by hand that does not exist too)."""
    at = open_page(monkeypatch, demo_store, f"pages/{page}.py",
                   {key: open_tab} if open_tab else {})
    assert not at.exception, [e.value for e in at.exception]
    views = {schemes.VIEWS_KEY: schemes.views(at.selectbox(key=f"{page}_khi").value),
             regions.VIEWS_KEY: regions.VIEWS, indicator.VIEWS_KEY: indicator.VIEWS}[key]
    tabs = [(label, held) for label, held in drawn_in_tabs(at) if label in views]
    assert [label for label, _ in tabs] == list(views)  # every view is offered
    wanted = open_tab if open_tab in views else views[0]
    for label, held in tabs:
        if label == wanted:
            assert drawn <= held, (label, held)
        else:
            assert not held & drawn, (label, held)  # a closed tab draws nothing of it
    # The closed tabs' charts are nowhere else on the page either.
    closed = {"schemes_funnel", "schemes_ranked", "schemes_spine", "regions_map",
              "regions_trends", "regions_people", "indicator_trend", "indicator_control",
              "indicator_breakdown", "indicator_answers"} - drawn
    assert not closed & set(chart_keys(at)), chart_keys(at)
    if open_tab in views:  # the link's tab stays in the URL, so the view can be shared
        assert at.query_params[key] in (open_tab, [open_tab])


def test_schemes_open_a_mean_on_its_ranked_chart(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mean KHI has no funnel limits: no funnel tab, and a link naming one (made
    for a proportion) opens the ranked chart instead of failing."""
    code = next(k.code for k in catalogue() if k.measure == "mean")
    at = open_page(monkeypatch, demo_store, "pages/schemes.py",
                   {"khi": code, schemes.VIEWS_KEY: schemes.FUNNEL})
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="schemes_khi").value == code
    labels = [tab.label for tab in at.tabs]
    assert schemes.FUNNEL not in labels
    assert labels == [schemes.RANKED, schemes.TABLE, schemes.PROFILE]
    assert "schemes_ranked" in chart_keys(at) and "schemes_funnel" not in chart_keys(at)
    assert schemes.VIEWS_KEY not in at.query_params  # the stale tab left the URL


def test_indicator_detail_shows_the_engines_trend_and_breakdown(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/indicator.py")
    assert not at.exception, [e.value for e in at.exception]
    code = at.selectbox(key="indicator_khi").value
    label = latest_label(demo_store)
    series, _ = engine.trend(demo_store, code, Filters(), 8, label, settings)
    values = series.loc[~series["suppressed"].astype(bool), "value"].astype(float)
    assert trace_values(figure(at, "indicator_trend"), "y", name="Value") == pytest.approx(
        list(values)
    )
    assert "trend" in markdown(at)
    at = open_page(monkeypatch, demo_store, "pages/indicator.py",
                   {"khi": code, indicator.VIEWS_KEY: indicator.BY_GROUP})
    dimension = at.selectbox(key="indicator_by").value
    table = engine.indicator_table(
        demo_store, khis=[code], by=[dimension], quarter=label, filters=Filters(),
        settings=settings,
    )
    visible = table.loc[~table["suppressed"].astype(bool), "value"].astype(float)
    drawn = trace_values(figure(at, "indicator_breakdown"), "x")
    assert sorted(drawn) == pytest.approx(sorted(visible))
    at = open_page(monkeypatch, demo_store, "pages/indicator.py",
                   {"khi": code, indicator.VIEWS_KEY: indicator.ANSWERS})
    assert figure(at, "indicator_answers")["data"]


def test_indicator_detail_says_the_engines_control_chart_verdict(
    tmp_path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    # Eight quarters of "warm and kind" for one scheme: the third has 3 answers
    # (hidden), the last 25 of 25 agree, beyond its upper process limit.
    store = make_store(tmp_path / "khi.duckdb", [("A", "Ash Shared Lives", "London")])
    bases, agreeing = [20, 24, 3, 22, 20, 26, 21, 25], [10, 12, 2, 11, 10, 13, 11, 25]
    for i, (n, yes) in enumerate(zip(bases, agreeing, strict=True)):
        quarter = shift_quarter(dt.date(2024, 7, 1), i)
        upload(store, "A", people(f"q{i}-", warm_kind=agree(yes, n),
                                  on=quarter + dt.timedelta(days=10)))
    at = open_page(monkeypatch, store, "pages/indicator.py",
                   {"khi": "warm_kind", indicator.VIEWS_KEY: indicator.CONTROL})
    assert not at.exception, [e.value for e in at.exception]
    label = latest_label(store)
    _, result = engine.control_chart(store, "warm_kind", Filters(), label, settings)
    assert result.chart == "p" and result.variation == "special_cause_improvement"
    shown = [str(e.value) for e in at.markdown]
    assert result.sentences in shown  # the sentence under the chart is the engine's
    fig = figure(at, "indicator_control")
    assert trace_values(fig, "y", name="Special cause: improving") == pytest.approx([100.0])
    subtitle = fig["layout"]["title"]["subtitle"]["text"].replace("<br>", " ")
    assert "Special cause variation: improving" in subtitle


def test_equity_states_the_engines_gap(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/equity.py")
    assert not at.exception, [e.value for e in at.exception]
    code = at.selectbox(key="equity_khi").value
    dimension = at.selectbox(key="equity_by").value
    label = latest_label(demo_store)
    groups, result = engine.equity(
        demo_store, code, dimension, quarter=label, filters=Filters(), settings=settings
    )
    text = markdown(at)
    assert f"The gap is {result.gap:.0f} percentage points" in text
    # The groups named are the ones the test compared: "not recorded" is not one.
    gap_line = next(line for line in text.splitlines() if "The gap is" in line)
    assert "Not recorded" not in gap_line
    recorded = groups[~groups["suppressed"].astype(bool) & groups[dimension].notna()]
    top = recorded.loc[recorded["value"].astype(float).idxmax(), dimension]
    assert dict(bank().attribute(dimension).labels)[top] in gap_line
    assert ("really differ" in text) == bool(result.significant)
    visible = groups.loc[~groups["suppressed"].astype(bool), "value"].astype(float)
    drawn = trace_values(figure(at, "equity_chart"), "x")
    assert sorted(drawn) == pytest.approx(sorted(visible))
    gaps = dataframe_with(at, "Real difference?")
    from pages.views.equity import GROUPINGS

    assert len(gaps) == len(GROUPINGS) == 8  # every grouping, channel and wording included


def test_change_shows_the_engines_paired_change(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/change.py")
    assert not at.exception, [e.value for e in at.exception]
    code = at.radio(key="change_khi").value
    label = latest_label(demo_store)
    overall = engine.change(demo_store, code, quarter=label, filters=Filters(), settings=settings)
    row = overall.iloc[0]
    text = markdown(at)
    assert f"For the {int(row['n']):,} people" in text
    assert f"{abs(float(row['mean_change'])):.2f}" in text
    drawn = trace_values(figure(at, "change_mean"), "x")
    assert drawn == pytest.approx([float(row["mean_change"])])
    shares = figure(at, "change_shares")
    better = [t for t in shares["data"] if t["name"] == "Better"][0]
    assert better["x"][0] == pytest.approx(float(row["share_better"]))


def test_change_breaks_down_by_a_chosen_group(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    state = {"change_by": "support_type"}
    at = open_page(monkeypatch, demo_store, "pages/change.py", state=state)
    assert not at.exception, [e.value for e in at.exception]
    code = at.radio(key="change_khi").value
    label = latest_label(demo_store)
    overall = engine.change(demo_store, code, quarter=label, filters=Filters(), settings=settings)
    groups = engine.change(
        demo_store, code, by=["support_type"], quarter=label, filters=Filters(), settings=settings
    )
    visible = groups.loc[~groups["suppressed"].astype(bool), "mean_change"].astype(float)
    drawn = trace_values(figure(at, "change_mean"), "x")
    expected = [float(overall["mean_change"].iloc[0]), *visible]
    assert sorted(drawn) == pytest.approx(sorted(expected))
    labels = dict(bank().attribute("support_type").labels)
    drawn_groups = " ".join(
        str(y) for t in figure(at, "change_shares")["data"] for y in t.get("y", [])
    )
    for code_ in groups["support_type"].dropna():
        assert labels[code_] in drawn_groups


def test_definitions_list_every_catalogue_code_and_item(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/definitions.py")
    assert not at.exception, [e.value for e in at.exception]
    text = markdown(at)
    drawn = cards(at)
    for entry in catalogue():
        assert entry.name in drawn, entry.code
        assert f"<code>{entry.code}</code>" in text, entry.code
        assert html.escape(entry.definition) in text
    items = pd.concat(static_tables(at))
    assert set(items["Code"]) == set(bank().item_codes)
    assert "Wilson" in text and "funnel" in text.lower()
    # The board's watch list and control charts: their rules, as kpi states them.
    assert watch.RULE.replace("**", "") in text and "Control charts (Making Data Count)" in text


# ------------------------------------------------------- filters with no data ---
def _empty_combination(store: Store, settings: Settings) -> tuple[str, str] | None:
    """A (scheme, support type) whose carers gave no answers in the latest quarter."""
    label = engine.latest_quarter(store)
    for scheme in store.schemes()["scheme_id"]:
        for support, _ in bank().attribute("support_type").labels:
            table = engine.indicator_table(
                store,
                quarter=label,
                filters=Filters(
                    scheme_ids=(scheme,), support_types=(support,), respondent_types=("carer",)
                ),
                settings=settings,
            )
            if table.empty or not (
                table["value"].notna().any() or table["suppressed"].astype(bool).any()
            ):
                return scheme, support
    return None


def test_filters_that_match_nothing_say_so(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    combination = _empty_combination(demo_store, settings)
    if combination is None:
        pytest.skip("every scheme has carers of every support type in the demo")
    scheme, support = combination
    region = demo_store.schemes().set_index("scheme_id").loc[scheme, "region"]
    params = {"region": region, "scheme": scheme, "support": support, "who": "carer"}
    for page in DATA_PAGES:
        st.cache_data.clear()
        at = open_page(monkeypatch, demo_store, f"pages/{page}.py", params)
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, page
        if page != "regions":  # Regions shows every region whatever the sidebar's area
            assert texts(at.info), page


def test_schemes_can_be_compared_with_their_own_region(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/schemes.py",
                   {schemes.VIEWS_KEY: schemes.RANKED}, state={"schemes_benchmark": "region"})
    assert not at.exception, [e.value for e in at.exception]
    code = at.selectbox(key="schemes_khi").value
    label = latest_label(demo_store)
    table = engine.indicator_table(
        demo_store, khis=[code], by=["scheme"], quarter=label, filters=Filters(),
        settings=settings, benchmark="region",
    )
    ranked = figure(at, "schemes_ranked")
    names = {t.get("name") for t in ranked["data"]}
    shown = table[~table["suppressed"].astype(bool)]
    expected = {
        c.COMPARISON_STYLE[k][1].replace("England", "its region")
        for k in shown["comparison"].unique()
    }
    assert names == expected
    # Each comparison word's trace holds exactly the schemes the engine compared so.
    for word in shown["comparison"].unique():
        trace = next(t for t in ranked["data"]
                     if t["name"] == c.COMPARISON_STYLE[word][1].replace("England", "its region"))
        assert len(trace["y"]) == int((shown["comparison"] == word).sum())


def test_schemes_follow_the_sidebars_region_alone_or_highlighted(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    region = "North West"
    register = demo_store.schemes()
    mine = set(register.loc[register["region"] == region, "name"])
    at = open_page(monkeypatch, demo_store, "pages/schemes.py",
                   {"region": region, schemes.VIEWS_KEY: schemes.TABLE},
                   state={"schemes_show": "alone"})
    assert not at.exception, [e.value for e in at.exception]
    table = dataframe_with(at, "CQC rating")
    assert len(table) and set(table["Scheme"]) <= mine and set(table["Region"]) == {region}
    # Disclosure: a hidden scheme shows no value and no base.
    hidden = table["Compared with England"] == "Too few answers to show"
    assert hidden.any() and (~hidden).any()  # both kinds, so the check below bites
    assert table.loc[hidden, ["Value (%)", "Base (answers)"]].isna().all().all()
    at = open_page(monkeypatch, demo_store, "pages/schemes.py", {"region": region},
                   state={"schemes_show": "alone"})  # the first tab: the funnel
    funnel = figure(at, "schemes_funnel")
    hovers = [h for t in funnel["data"] for h in (t.get("hovertext") or [])]
    assert hovers and all(f"({region})" in h for h in hovers)
    assert at.query_params["show"] == ["alone"] or at.query_params["show"] == "alone"
    at = open_page(monkeypatch, demo_store, "pages/schemes.py",
                   {"region": region, schemes.VIEWS_KEY: schemes.PROFILE})
    options = set(at.selectbox(key="schemes_profile").options)
    assert options and options <= mine  # the region's schemes only


def test_schemes_highlight_the_region_among_englands(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    region = "North West"
    at = open_page(monkeypatch, demo_store, "pages/schemes.py",
                   {"region": region, schemes.VIEWS_KEY: schemes.TABLE})
    assert not at.exception, [e.value for e in at.exception]
    table = dataframe_with(at, "CQC rating")
    assert {region} < set(table["Region"])  # England's schemes too
    listed = table["Region"].tolist()
    assert listed[: listed.count(region)] == [region] * listed.count(region)  # region first
    at = open_page(monkeypatch, demo_store, "pages/schemes.py", {"region": region})
    names = {t.get("name") for t in figure(at, "schemes_funnel")["data"]}
    assert f"Schemes in {region} (outlined)" in names


def test_a_pages_choices_come_from_the_url(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(monkeypatch, demo_store, "pages/indicator.py",
                   {"khi": "swemwbs_mean", "by": "age_band", "region": "London",
                    indicator.VIEWS_KEY: indicator.BY_GROUP})
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="indicator_khi").value == "swemwbs_mean"
    assert at.selectbox(key="indicator_by").value == "age_band"
    # Within a region its schemes are a breakdown too.
    assert "Scheme (in this region)" in at.selectbox(key="indicator_by").options
    # Typed by hand without a region: England's schemes are no breakdown; the first is.
    at = open_page(monkeypatch, demo_store, "pages/indicator.py",
                   {"by": "scheme", indicator.VIEWS_KEY: indicator.BY_GROUP})
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="indicator_by").value == indicator.BREAKDOWNS[0]
    assert at.query_params["by"] in (indicator.BREAKDOWNS[0], [indicator.BREAKDOWNS[0]])
    at = open_page(monkeypatch, demo_store, "pages/change.py",
                   {"khi": "friends_change", "by": "age_band"})
    assert at.radio(key="change_khi").value == "friends_change"
    assert at.selectbox(key="change_by").value == "age_band"
    at = open_page(monkeypatch, demo_store, "pages/equity.py",
                   {"khi": "swemwbs_mean", "by": "age_band"})
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="equity_by").value == "age_band"
    assert at.query_params["by"] == "age_band"


@pytest.mark.parametrize(
    ("page", "keys", "tab"),
    [
        ("overview", {"overview_csv"}, {}),
        ("regions", {"regions_csv"}, {}),  # under the tabs, whichever is open
        ("schemes", {"schemes_table_csv"}, {schemes.VIEWS_KEY: schemes.TABLE}),  # the table's
        ("indicator", {"indicator_trend_csv"}, {}),  # each of its tabs its own
        ("indicator", {"indicator_by_csv"}, {indicator.VIEWS_KEY: indicator.BY_GROUP}),
        ("indicator", {"indicator_answers_csv"}, {indicator.VIEWS_KEY: indicator.ANSWERS}),
        ("change", {"change_csv"}, {}),
    ],
)
def test_every_explore_page_has_visible_csv_downloads(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, page: str, keys: set[str],
    tab: dict[str, str],
) -> None:
    at = open_page(monkeypatch, demo_store, f"pages/{page}.py", {"region": "London", **tab})
    assert not at.exception, [e.value for e in at.exception]
    found = {getattr(e, "key", None) or e.proto.id for e in at.get("download_button")}
    assert all(any(key in str(f) for f in found) for key in keys), found


def test_the_overview_tile_and_the_board_page_give_one_verdict_per_change(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """"Changed since last quarter?" is decided once (``kpi.board.period_change``): for
    the same area and quarter every tile says what the board pack (and so its PDF,
    drawn from the pack) says: real and which way, could be chance, or too few."""
    from kpi.board import board_summary

    region = "London"
    label = latest_label(demo_store)
    at = open_page(monkeypatch, demo_store, "pages/overview.py",
                   params={"region": region, "quarter": label})
    texts = card_texts(at)
    pack = board_summary(demo_store, quarter=label, region=region)
    verdicts = {"improved": 0, "worsened": 0, "could be chance": 0, "too few answers": 0}
    for row in pack.rows:
        if row.khi.measure == "change" or row.khi.name not in texts:
            continue
        text, verdict = texts[row.khi.name], row.since_last_quarter.verdict
        if verdict == "too few answers":
            assert "Too few answers to say whether it changed since last quarter." in text, (
                row.khi.code
            )
        elif verdict in ("improved", "worsened"):
            assert "real change" in text, (row.khi.code, text)
            from kpi.wording import CHANGE_NOUN

            noun = CHANGE_NOUN["better" if verdict == "improved" else "worse"]
            assert noun in text, (row.khi.code, text)
        elif verdict == "could be chance":
            assert "real change" not in text and "Too few answers" not in text, row.khi.code
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    assert sum(verdicts.values()) >= 20 and verdicts["could be chance"], verdicts


def test_the_tile_the_schemes_table_and_its_csv_say_one_level(
    demo_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    """"Real or chance?" has one answer (``kpi.wording.comparison_level``): for the same
    scheme, KHI and quarter the Overview tile, the Schemes table and the table's CSV
    all say "clearly worse" (99.8%) or "worse" (95%), as the engine's flags decide."""
    import io

    from kpi.downloads import TIDY_COLUMNS
    from kpi.export import safe_csv
    from kpi.wording import LEVEL_95, LEVEL_998, comparison_level, level_words

    label = latest_label(demo_store)
    by_scheme = engine.indicator_table(
        demo_store, by=["scheme"], quarter=label, filters=Filters(), settings=settings
    )
    scored = by_scheme[(by_scheme["measure"] != "change") & (by_scheme["comparison"] == "worse")]
    levels = [comparison_level(w, o) for w, o in zip(scored["comparison"], scored["outside998"])]
    scored = scored.assign(level=levels)
    # A scheme with a KHI at each level, so both words are checked.
    both = scored.groupby("scheme")["level"].nunique()
    scheme = str(both[both == 2].index[0])
    cells = scored[scored["scheme"] == scheme].drop_duplicates("level")
    assert set(cells["level"]) == {LEVEL_95, LEVEL_998}
    at = open_page(monkeypatch, demo_store, "pages/overview.py",
                   {"scheme": scheme, "quarter": label})
    tiles = card_texts(at)
    frames: dict[str, pd.DataFrame] = {}
    original = c.csv_download

    def kept(frame: pd.DataFrame, stem: str, key: str, **kw: object) -> None:
        frames[key] = frame
        original(frame, stem, key, **kw)

    monkeypatch.setattr(c, "csv_download", kept)
    for _, cell in cells.iterrows():
        words = c.comparison_words("worse", outside998=cell["outside998"])
        assert ("Clearly worse" in words) == (cell["level"] == LEVEL_998)
        assert words in tiles[khi(str(cell["khi"])).name], (cell["khi"], words)
        at = open_page(monkeypatch, demo_store, "pages/schemes.py",
                       {schemes.VIEWS_KEY: schemes.TABLE, "khi": str(cell["khi"]),
                        "quarter": label})
        assert not at.exception, [e.value for e in at.exception]
        column = "Compared with England"
        table = dataframe_with(at, column)
        name = c.scheme_choices().names.get(scheme, scheme)
        assert table.loc[table["Scheme"] == name, column].tolist() == [words]
        csv = pd.read_csv(io.StringIO(safe_csv(frames["schemes_table_csv"])))
        row = csv[csv["Area"] == name]  # the tidy columns (kpi.downloads)
        assert row[TIDY_COLUMNS["comparison"]].tolist() == [level_words("worse", cell["level"])]
        assert row[TIDY_COLUMNS["level"]].tolist() == [cell["level"]]


@pytest.fixture(scope="module")
def year_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A demo sector with five quarters: the latest has a same quarter last year."""
    from kpi.demo import load_demo

    store = Store(tmp_path_factory.mktemp("year") / "khi.duckdb")
    load_demo(store, people=3000, quarters=5, seed=7)
    return store


def said_as_the_board_decides(text: str, change: object, since: str) -> str:
    """Checks a tile's (or the detail page's) words against the board's decision
    for one change; returns the verdict checked."""
    from kpi.wording import CHANGE_NOUN

    verdict = change.verdict  # type: ignore[attr-defined]
    if verdict == "too few answers":
        assert f"Too few answers to say whether it changed since {since}." in text
    elif verdict in ("improved", "worsened"):
        noun = CHANGE_NOUN["better" if verdict == "improved" else "worse"]
        assert re.search(f"since {since}: {noun}, (likely )?a real change", text), text
    elif verdict == "could be chance":
        assert re.search(f"(since {since}; this could be chance|No change since {since})",
                         text), text
    return verdict


def test_overview_tiles_say_the_change_since_the_same_quarter_last_year(
    year_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beside last quarter, each tile says the change since the same quarter last
    year as the board pack decides it (``kpi.board.period_change``)."""
    from kpi.board import board_summary

    region, label = "London", latest_label(year_store)
    at = open_page(monkeypatch, year_store, "pages/overview.py",
                   params={"region": region, "quarter": label})
    texts = card_texts(at)
    pack = board_summary(year_store, quarter=label, region=region)
    verdicts: dict[str, int] = {}
    for row in pack.rows:
        if row.khi.measure == "change":
            continue
        text = texts[row.khi.name]
        said_as_the_board_decides(text, row.since_last_quarter, "last quarter")
        verdict = said_as_the_board_decides(text, row.since_last_year,
                                            "the same quarter last year")
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    # Real year-on-year changes and chance alike were checked.
    assert verdicts.get("could be chance") and (
        verdicts.get("improved", 0) + verdicts.get("worsened", 0)
    ), verdicts


def test_indicator_detail_gives_both_changes_and_englands_line(
    year_store: Store, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from kpi.board import board_summary

    region, label = "London", latest_label(year_store)
    at = open_page(monkeypatch, year_store, "pages/indicator.py",
                   {"region": region, "quarter": label})
    assert not at.exception, [e.value for e in at.exception]
    code = at.selectbox(key="indicator_khi").value
    trend = figure(at, "indicator_trend")
    england = engine.england_table(
        year_store, khis=[code], quarter="all", filters=Filters(regions=(region,)),
        settings=settings, by=["quarter"],
    ).set_index("quarter_label")
    line = next(t for t in trend["data"] if t.get("name") == "England")
    assert len(line["x"]) >= 5
    for quarter, value in zip(line["x"], line["y"]):
        assert close(float(value), float(england.loc[quarter, "value"])), quarter
    # The region's own values differ from England's: the line is not the series.
    series = next(t for t in trend["data"] if t.get("name") == "Value")
    assert [round(float(v), 6) for v in series["y"]] != [round(float(v), 6) for v in line["y"]]
    row = next(r for r in board_summary(year_store, quarter=label, region=region).rows
               if r.khi.code == code)
    text = markdown(at)
    assert row.since_last_year.verdict != "no data"  # so the words are checked
    said_as_the_board_decides(text, row.since_last_quarter, "last quarter")
    said_as_the_board_decides(text, row.since_last_year, "the same quarter last year")
