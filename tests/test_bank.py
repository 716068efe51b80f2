"""The item bank and KHI catalogue are data in one place: check they hold together."""

import ast
from pathlib import Path

import duckdb
import pytest

from kpi.catalogue import catalogue, domains, khi
from kpi.items import (
    attribute_label_index,
    bank,
    header_index,
    item_label_index,
    normalise_header,
    normalise_label,
)

SPEC_CODES = """friends_any friends_mean friends_support_helps friends_support_hinders
social_contact_as_wanted lonely_often lonely_ucla community_part community_support
social_life_better swemwbs_mean life_satisfaction_high anxiety_high balance_right
physical_health_better emotional_health_better warm_kind dignity_respect listened_to
planning_full choice_control carer_break_fits carer_cared_for_enjoys carer_life_alongside
carer_easy_to_arrange carer_swemwbs_mean swemwbs_change friends_change""".split()


def test_catalogue_has_exactly_the_spec_codes_in_order() -> None:
    assert [k.code for k in catalogue()] == SPEC_CODES


def test_domains_in_catalogue_order() -> None:
    assert domains() == (
        "Friendship",
        "Connection",
        "Wellbeing",
        "Warmth, kindness, dignity",
        "Involvement",
        "Carers",
        "Change",
    )


def test_unknown_khi_lists_known_codes() -> None:
    with pytest.raises(ValueError, match="Unknown KHI code 'happiness'.*friends_any"):
        khi("happiness")


def test_every_khi_sql_runs_on_a_table_of_items() -> None:
    con = duckdb.connect()
    columns = ", ".join(f"{c} TINYINT" for c in bank().item_codes)
    con.execute(f"CREATE TABLE r ({columns})")
    for entry in catalogue():
        expression = entry.hit_sql if entry.is_proportion else entry.score_sql
        con.execute(f"SELECT count(*) FILTER (WHERE {expression}) FROM r").fetchall()


def test_swemwbs_metric_uses_the_published_table() -> None:
    con = duckdb.connect()
    sql = bank().score_sql("swemwbs_metric")
    for raw, metric in [(7, 7.00), (21, 19.25), (28, 25.03), (35, 35.00)]:
        # Spread the raw score over seven items.
        items = [raw // 7 + (1 if i < raw % 7 else 0) for i in range(7)]
        values = ", ".join(f"{v} AS swemwbs_{i + 1}" for i, v in enumerate(items))
        got = con.execute(f"SELECT {sql} FROM (SELECT {values})").fetchone()[0]
        assert got == pytest.approx(metric)
    nulls = ", ".join(f"{'NULL' if i == 3 else 3} AS swemwbs_{i + 1}" for i in range(7))
    assert con.execute(f"SELECT {sql} FROM (SELECT {nulls})").fetchone()[0] is None


def test_ucla3_needs_all_three() -> None:
    con = duckdb.connect()
    sql = bank().score_sql("ucla3")
    row = "SELECT 2 AS ucla_companionship, 2 AS ucla_left_out, 2 AS ucla_isolated"
    assert con.execute(f"SELECT {sql} FROM ({row})").fetchone()[0] == 6
    row = "SELECT 3 AS ucla_companionship, NULL AS ucla_left_out, 3 AS ucla_isolated"
    assert con.execute(f"SELECT {sql} FROM ({row})").fetchone()[0] is None


def test_twelve_regions() -> None:
    assert len(bank().regions) == 12
    assert "Yorkshire and the Humber" in bank().region_names


@pytest.mark.parametrize(
    "header",
    [
        "How often do you feel lonely?",
        "Q7. How often do you feel lonely?",
        "7) HOW OFTEN DO YOU FEEL LONELY",
        "How often do you feel lonely? - Response",
        "lonely_how_often",
    ],
)
def test_headers_match_whatever_the_tool_adds(header: str) -> None:
    assert header_index()[normalise_header(header)] == "lonely_how_often"


def test_curly_quotes_match_straight_ones() -> None:
    assert header_index()[normalise_header("I\u2019ve been feeling useful")] == "swemwbs_2"
    assert normalise_label("Don\u2019t know") == normalise_label("Don't know")


def test_labels_map_to_codes() -> None:
    assert item_label_index("warm_kind")["strongly agree"] == 5
    assert item_label_index("friends_count")["none"] == 0
    assert attribute_label_index("respondent_type")["i am a family carer"] == "carer"
    assert attribute_label_index("support_type")["short breaks"] == "short_break"


def test_kpi_never_imports_streamlit() -> None:
    """The engine must run without Streamlit (STYLE.md §1)."""
    offenders = []
    for path in Path(__file__).resolve().parents[1].joinpath("kpi").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] == "streamlit" for n in names):
                offenders.append(path.name)
    assert offenders == []
