"""The SQL behind every indicator: each read the engine makes, in one place.

``kpi.indicators`` and ``kpi.drivers`` call these functions and never write SQL
themselves. Each runs on a connection from :meth:`kpi.store.Store.connect` (so a
table and its disclosure checks share one open file) and returns a DataFrame of
aggregates for the engine to finish.

Every value (a quarter, a region, a scheme id, a respondent type) goes in as a
``?`` parameter; table and column names come from this package, the item bank,
the catalogue or :data:`DIMENSION_SQL`, never from input, and are quoted with
:func:`kpi.store.schema.ident`. A KHI's score and hit expressions are SQL the
catalogue writes (``kpi.catalogue.KHI.score_sql``).

Each person counts once per period, by their latest response in it:
the store keeps the responses a later one replaced in ``superseded`` (see
:meth:`kpi.store.Store.refresh_superseded`), so "latest" is an anti-join, not a
window over every response.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol

import duckdb
import pandas as pd

from kpi.errors import UnknownCode
from kpi.items import bank
from kpi.periods import parse_quarter
from kpi.store.schema import ACTIVITY_COUNTS, ident

# Breakdown dimension -> its column in the de-duplicated responses (alias ``r``).
_DIMENSION_COLUMNS = {
    "region": "region",
    "scheme": "scheme_id",
    "quarter": "quarter_start",
    "support_type": "support_type",
    "respondent_type": "respondent_type",
    "age_band": "age_band",
    "gender": "gender",
    "ethnicity": "ethnicity",
    "primary_need": "primary_need",
    "completed_by": "completed_by",
    "channel": "channel",
    "wording": "wording",
}
#: Dimension -> the SQL expression over the de-duplicated responses (alias ``r``).
DIMENSION_SQL = {d: f"r.{ident(c)}" for d, c in _DIMENSION_COLUMNS.items()}

# The activity counts that are people supported (the four support types).
SUPPORT_COLUMNS = ("long_term", "short_break", "day_support", "home_from_hospital")

#: A query's period: (SQL condition, its parameters).
PeriodSQL = tuple[str, list]


class AreaFilter(Protocol):
    """Which responses count (``kpi.indicators.Filters``); None: no restriction."""

    regions: tuple[str, ...] | None
    scheme_ids: tuple[str, ...] | None
    support_types: tuple[str, ...] | None
    respondent_types: tuple[str, ...] | None
    scope: tuple[str, ...] | None


class Counted(Protocol):
    """A KHI, or a count protected like one: its code, population and score."""

    code: str
    population: str

    @property
    def score_sql(self) -> str: ...


# ------------------------------------------------------------ conditions ---
def _placeholders(values: Sequence) -> str:
    return ", ".join("?" * len(values))


def region_names(regions: Sequence[str]) -> list[str]:
    """Region names from names or codes ("North West" or "north_west")."""
    by_code = {r.code: r.name for r in bank().regions}
    names = set(bank().region_names)
    out = []
    for value in regions:
        if value in names:
            out.append(value)
        elif value in by_code:
            out.append(by_code[value])
        else:
            raise UnknownCode(
                f"Unknown region {value!r}: use one of {', '.join(bank().region_names)}."
            )
    return out


def _area_sql(
    filters: AreaFilter, params: list, region: str = "s.region", scheme: str = "r.scheme_id"
) -> str:
    """Conditions on the scheme (region, scheme, scope) and the respondent type:
    safe before de-duplication (both are part of a person's key). ``region`` and
    ``scheme`` name the columns in the caller's query."""
    parts = ["TRUE"]
    if filters.regions is not None:
        names = region_names(filters.regions)
        parts.append(f"{region} IN ({_placeholders(names)})" if names else "FALSE")
        params.extend(names)
    for ids in (filters.scheme_ids, filters.scope):
        if ids is not None:
            parts.append(f"{scheme} IN ({_placeholders(ids)})" if ids else "FALSE")
            params.extend(ids)
    if filters.respondent_types is not None:
        types = filters.respondent_types
        parts.append(f"r.respondent_type IN ({_placeholders(types)})" if types else "FALSE")
        params.extend(types)
    return " AND ".join(parts)


def _support_sql(filters: AreaFilter, params: list, column: str = "r.support_type") -> str:
    """The support-type condition, applied after de-duplication (an attribute of the
    person's latest response, so each person stays in one group)."""
    if filters.support_types is None:
        return "TRUE"
    types = filters.support_types
    params.extend(types)
    return f"{column} IN ({_placeholders(types)})" if types else "FALSE"


def _latest_sql(period_sql: str, area_sql: str) -> str:
    """Each person's latest response per quarter, in the period and area."""
    return f"""
        SELECT r.*, s.region
        FROM responses r JOIN schemes s USING (scheme_id)
        ANTI JOIN superseded x ON r.response_id = x.response_id
        WHERE {period_sql} AND {area_sql}"""


def _area_only(filters: AreaFilter) -> AreaFilter:
    """The area of the filters, whoever answered (respondent type is a separate key)."""
    return dataclasses.replace(filters, respondent_types=None)


# --------------------------------------------------------------- periods ---
def quarters(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Quarter starts that have survey responses, oldest first."""
    rows = con.execute("SELECT DISTINCT quarter_start FROM responses ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def period(
    con: duckdb.DuckDBPyConnection, quarter: dt.date | str | None
) -> tuple[str, list, dt.date | None]:
    """(SQL condition, params, quarter start or None for every quarter).

    ``quarter`` None or blank: the latest quarter with data (FALSE when there is
    none); "all": every quarter.
    """
    if isinstance(quarter, str) and quarter.strip().lower() == "all":
        return "TRUE", [], None
    if quarter is None or (isinstance(quarter, str) and not quarter.strip()):
        found = quarters(con)
        if not found:
            return "FALSE", [], None
        start = found[-1]
    else:
        start = parse_quarter(quarter)
    return "r.quarter_start = ?", [start], start


def one_quarter(start: dt.date | None) -> PeriodSQL:
    """The period of one quarter start, or every quarter for None."""
    return ("TRUE", []) if start is None else ("r.quarter_start = ?", [start])


# ------------------------------------------------------------------ KHIs ---
def _sum_items(khis: Sequence[Counted]) -> list[tuple[str, str]]:
    """(column, SQL aggregate) per KHI: its base ``n_k`` and numerator ``x_k``
    (proportions) or sum ``s_k`` and sum of squares ``q_k`` (means)."""
    items: list[tuple[str, str]] = []
    for k, khi in enumerate(khis):
        score = khi.score_sql
        items.append((f"n_{k}", f"count({score})"))
        if khi.is_proportion:
            items.append((f"x_{k}", f"count_if({khi.hit_sql})"))
        else:
            value = f"CAST({score} AS DOUBLE)"
            items += [(f"s_{k}", f"sum({value})"), (f"q_{k}", f"sum({value} * {value})")]
    return items


def sum_columns(khis: Sequence[Counted]) -> list[str]:
    """The columns of :func:`finest_sums` after its keys, in order."""
    return [name for name, _ in _sum_items(khis)]


def _aggregate_sql(khis: Sequence[Counted]) -> str:
    """SELECT items of :func:`_sum_items`. Populations are a GROUP BY key, not a
    FILTER per KHI: one hash aggregate with plain counts is the cheapest pass DuckDB
    can make."""
    return ",\n".join(f"{sql} AS {name}" for name, sql in _sum_items(khis))


def finest_bases(
    con: duckdb.DuckDBPyConnection,
    counted: Sequence[Counted],
    keys: Sequence[str],
    period_sql: str,
    period_params: list,
    filters: AreaFilter,
) -> pd.DataFrame:
    """Bases (``n_i``: people with the i-th score) per ``keys`` and respondent type,
    over the area of ``filters``, before support-type filtering (wide)."""
    counts = ", ".join(f"count({k.score_sql}) AS n_{i}" for i, k in enumerate(counted))
    return _finest(con, counts, keys, period_sql, period_params, filters)


def finest_sums(
    con: duckdb.DuckDBPyConnection,
    khis: Sequence[Counted],
    keys: Sequence[str],
    period_sql: str,
    period_params: list,
    filters: AreaFilter,
) -> pd.DataFrame:
    """Every KHI's sums (:func:`sum_columns`: ``n_k`` with ``x_k`` or ``s_k`` and
    ``q_k``) per ``keys`` and respondent type, over the area of
    ``filters``, before support-type filtering (wide). With the finest keys (region,
    scheme, quarter and the breakdowns) every view and benchmark is a sum of its rows."""
    return _finest(con, _aggregate_sql(khis), keys, period_sql, period_params, filters)


def _finest(
    con: duckdb.DuckDBPyConnection, aggregates: str, keys: Sequence[str], period_sql: str,
    period_params: list, filters: AreaFilter,
) -> pd.DataFrame:
    parts = [f"{DIMENSION_SQL[d]} AS {ident(d)}" for d in keys if d != "respondent_type"]
    params: list = list(period_params)
    area = _area_sql(filters, params)
    return con.execute(
        f"WITH latest AS ({_latest_sql(period_sql, area)}) "
        f"SELECT {', '.join(parts)}, r.respondent_type, {aggregates} FROM latest r GROUP BY ALL",
        params,
    ).df()


def change_sums(
    con: duckdb.DuckDBPyConnection,
    khis: Sequence[Counted],
    keys: Sequence[str],
    bench_keys: Sequence[str] | None,
    filters: AreaFilter,
    ends: Sequence[dt.date],
) -> pd.DataFrame:
    """Per person, their first and latest score up to each of ``ends``; then
    aggregates by group, every change KHI of one population in one query.

    "First" and "latest" order by completion date, then response id; a person's
    groups follow their latest scored answer up to the end (its own value, "not
    recorded" included). The benchmark is a second grouping set of the same pass,
    as a GROUPING SET of the same pass; ``bench_keys`` None: no benchmark, and the scan covers
    the chosen area only.

    Two plans, the same numbers (tests/test_change_pass.py holds them together),
    each where it was measured faster:

    - one end: a grouped pass (``arg_min``/``arg_max`` per person), a hash
      aggregate: 0.74-0.84 s at 1M people, where the running window sorts for
      2.3-2.6 s;
    - several ends: a running window over each person's answers in order, which
      gives every end from one sort, where a grouped pass per end reads the early
      quarters again for each later end: the board page's disclosure lattice over
      8 quarters took 0.19-0.26 s that way and 0.11 s this way on the demo sector
      (at 1M people the two are level, 3.1 s against 3.2-3.6 s).

    Columns: k (the KHI's position in ``khis``), e (the end's position in
    ``ends``), the keys but quarter, in_area, is_benchmark, n, total, total_sq,
    better, same, worse.
    """
    attributes = [d for d in keys if d not in ("scheme", "region", "quarter")]
    if bench_keys is not None:
        attributes += [d for d in bench_keys if d not in ("scheme", "region", "quarter")]
    if filters.support_types is not None:
        attributes.append("support_type")
    attributes = list(dict.fromkeys(attributes))
    group = [d for d in dict.fromkeys([*keys, *(bench_keys or [])]) if d != "quarter"]
    params: list = []
    plan = _change_cells_grouped if len(ends) == 1 else _change_cells_running
    cells = plan(_ChangeAsk(khis, group, attributes, bench_keys, filters, ends), params)
    sets = f"({', '.join(['k', 'e', *[ident(d) for d in keys if d != 'quarter'], 'in_area'])})"
    if bench_keys is not None:
        sets += f", ({', '.join(['k', 'e', *[ident(d) for d in bench_keys if d != 'quarter']])})"
    sql = f"""
        {cells}
        SELECT k, e, {''.join(ident(c) + ', ' for c in group)}in_area,
               GROUPING(in_area) AS is_benchmark,
               sum(n) AS n, sum(total) AS total, sum(total_sq) AS total_sq,
               sum(better) AS better, sum(same) AS same, sum(worse) AS worse
        FROM cells
        GROUP BY GROUPING SETS ({sets})"""
    return con.execute(sql, params).df()


# One BIGINT orders by completion date, then response id (ids stay below 2**40):
# arg_max over a row of columns is several times slower at national scale. The
# quarter follows the completion date, so this is also the order of quarters.
_ANSWER_ORDER = (
    "date_diff('day', DATE '2000-01-01', r.completed_on) * 1099511627776 + r.response_id"
)


@dataclasses.dataclass(frozen=True)
class _ChangeAsk:
    """What :func:`change_sums` asks of either plan: the change KHIs of one
    population, the groups (keys and benchmark keys but quarter), the answers'
    attributes those need, the benchmark keys (None: none), the area, the ends."""

    khis: Sequence[Counted]
    group: Sequence[str]
    attributes: Sequence[str]
    bench_keys: Sequence[str] | None
    filters: AreaFilter
    ends: Sequence[dt.date]


def _change_scan(
    filters: AreaFilter, bench_keys: Sequence[str] | None, params: list
) -> tuple[str, str]:
    """The scan's area condition and the join it needs: without a benchmark only the
    chosen area is read; with one, everyone (the area is decided per person)."""
    scan = _area_sql(_area_only(filters), params) if bench_keys is None else "TRUE"
    return scan, "JOIN schemes s USING (scheme_id)" if "s.region" in scan else ""


def _change_cells_grouped(ask: _ChangeAsk, params: list) -> str:
    """``WITH ... cells AS (...)`` for one end: per person, ``arg_min``/``arg_max``
    of each score (they skip a NULL score by themselves)."""
    khis, group, attributes, bench_keys, filters, ends = (
        ask.khis, ask.group, ask.attributes, ask.bench_keys, ask.filters, ask.ends)
    order = _ANSWER_ORDER
    params.append(ends[0])
    scan, join = _change_scan(filters, bench_keys, params)
    params.append(khis[0].population)
    scores = [f"CAST({k.score_sql} AS DOUBLE)" for k in khis]
    per_person = []
    for j, score in enumerate(scores):
        scored = f"FILTER ({score} IS NOT NULL)"
        per_person.append(f"count({score}) AS c_{j}")
        per_person.append(f"arg_max({score}, {order}) - arg_min({score}, {order}) AS d_{j}")
        # arg_max_null: the latest answer's own value, "not recorded" included.
        per_person += [f"arg_max_null(r.{ident(d)}, {order}) {scored} AS {ident(f'{d}_{j}')}"
                       for d in attributes]
    # No "some score answered" condition on the rows: a person without two scored
    # answers drops out at ``c_j >= 2`` anyway, and evaluating every score twice
    # per response cost a quarter of the pass at 1M people (measured).
    people = f"""
        SELECT g.*, s.region FROM (
            SELECT r.scheme_id, r.person_key, {', '.join(per_person)}
            FROM responses r {join}
            WHERE r.quarter_start <= ? AND {scan} AND r.respondent_type = ?
            GROUP BY r.scheme_id, r.person_key
        ) g JOIN schemes s USING (scheme_id)"""
    parts = []
    for j, khi in enumerate(khis):
        params.append(j)  # the KHI's position, the part's first placeholder
        in_area = "TRUE"
        if bench_keys is not None:
            in_area = _area_sql(_area_only(filters), params, "p.region", "p.scheme_id")
        support = _support_sql(filters, params, f"p.{ident(f'support_type_{j}')}")
        column = {"scheme": "p.scheme_id", "region": "p.region"}
        select_keys = [f"{column.get(d, 'p.' + ident(f'{d}_{j}'))} AS {ident(d)}"
                       for d in group]
        better, worse = (f"d_{j} > 0", f"d_{j} < 0")
        if khi.polarity != "high":
            better, worse = worse, better
        parts.append(f"""
        SELECT CAST(? AS INTEGER) AS k, 0 AS e, {''.join(c + ', ' for c in select_keys)}
               ({in_area}) AS in_area,
               count(*) AS n, sum(d_{j}) AS total, sum(d_{j} * d_{j}) AS total_sq,
               count(*) FILTER ({better}) AS better, count(*) FILTER (d_{j} = 0) AS same,
               count(*) FILTER ({worse}) AS worse
        FROM people p
        WHERE c_{j} >= 2 AND {support}
        GROUP BY ALL""")
    body = "\nUNION ALL BY NAME\n".join(parts)
    return f"WITH people AS MATERIALIZED ({people}), cells AS ({body})"


def _change_cells_running(ask: _ChangeAsk, params: list) -> str:
    """``WITH ... cells AS (...)`` for several ends: a running window gives, at each
    scored answer, the person's state as of it (scored answers so far, latest minus
    first, the answer's own groups); the answer that is their latest by an end (the
    next comes after it, or none does) is their state at that end."""
    khis, group, attributes, bench_keys, filters, ends = (
        ask.khis, ask.group, ask.attributes, ask.bench_keys, ask.filters, ask.ends)
    params += [x for i, end in enumerate(ends) for x in (i, end)]
    ends_sql = ", ".join("(CAST(? AS INTEGER), CAST(? AS DATE))" for _ in ends)
    params.append(max(ends))
    scan, join = _change_scan(filters, bench_keys, params)
    params.append(khis[0].population)
    # Long: a row per scored answer and KHI (UNNEST pairs the two lists).
    positions = ", ".join(str(j) for j in range(len(khis)))
    scores = ", ".join(f"CAST({k.score_sql} AS DOUBLE)" for k in khis)
    carried = "".join(f"r.{ident(d)}, " for d in attributes)
    person = "PARTITION BY k, scheme_id, person_key ORDER BY o"
    in_area = "TRUE"
    if bench_keys is not None:
        in_area = _area_sql(_area_only(filters), params, "s.region", "p.scheme_id")
    support = _support_sql(filters, params, "p.support_type")
    column = {"scheme": "p.scheme_id", "region": "s.region"}
    select_keys = "".join(f"{column.get(d, 'p.' + ident(d))} AS {ident(d)}, " for d in group)
    highs = [j for j, k in enumerate(khis) if k.polarity == "high"]  # a rise is better
    high = f"p.k IN ({', '.join(map(str, highs))})" if highs else "FALSE"
    return f"""
        WITH ends(e, q) AS (VALUES {ends_sql}),
        answers AS (
            SELECT * FROM (
                SELECT r.scheme_id, r.person_key, r.quarter_start, {carried}
                       {_ANSWER_ORDER} AS o,
                       UNNEST([{positions}]) AS k, UNNEST([{scores}]) AS v
                FROM responses r {join}
                WHERE r.quarter_start <= ? AND {scan} AND r.respondent_type = ?
            ) WHERE v IS NOT NULL
        ),
        states AS (
            SELECT *, count(*) OVER so_far AS c, v - first_value(v) OVER so_far AS d,
                   lead(quarter_start) OVER ({person}) AS next_quarter
            FROM answers
            WINDOW so_far AS ({person} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        cells AS (
            SELECT p.k, ends.e, {select_keys}({in_area}) AS in_area,
                   count(*) AS n, sum(p.d) AS total, sum(p.d * p.d) AS total_sq,
                   count(*) FILTER (CASE WHEN {high} THEN p.d > 0 ELSE p.d < 0 END) AS better,
                   count(*) FILTER (p.d = 0) AS same,
                   count(*) FILTER (CASE WHEN {high} THEN p.d < 0 ELSE p.d > 0 END) AS worse
            FROM states p
            JOIN ends ON p.quarter_start <= ends.q
                     AND (p.next_quarter IS NULL OR p.next_quarter > ends.q)
            JOIN schemes s USING (scheme_id)
            WHERE p.c >= 2 AND {support}
            GROUP BY ALL
        )"""


# --------------------------------------------------------------- answers ---
def person_changes(
    con: duckdb.DuckDBPyConnection,
    khi: Counted,
    filters: AreaFilter,
    ends: Sequence[dt.date],
) -> pd.DataFrame:
    """Each person's change (latest minus first score) up to each of ``ends``, as
    :func:`change_sums` counts it (two or more scored answers; first and latest by
    completion date, then response id): scheme_id, person_key, then one column
    ``d_<i>`` per end (empty when the person had fewer than two answers by then).

    Why per person: the change KHI of two period ends shares most of its people, so
    a test between them has to pair each person with themself. The area is the
    scheme's (support-type filters do not apply: the board pack has none).
    """
    params: list = []
    order = _ANSWER_ORDER
    score = f"CAST({khi.score_sql} AS DOUBLE)"
    columns = []
    for i, end in enumerate(ends):
        columns.append(
            f"CASE WHEN count({score}) FILTER (r.quarter_start <= ?) >= 2 THEN "
            f"arg_max({score}, {order}) FILTER (r.quarter_start <= ?) - "
            f"arg_min({score}, {order}) FILTER (r.quarter_start <= ?) END AS d_{i}"
        )
        params.extend([end, end, end])
    params.append(max(ends))
    area = _area_sql(_area_only(filters), params)
    params.append(khi.population)
    return con.execute(
        f"""SELECT r.scheme_id, r.person_key, {', '.join(columns)}
            FROM responses r JOIN schemes s USING (scheme_id)
            WHERE r.quarter_start <= ? AND {area} AND r.respondent_type = ?
              AND {score} IS NOT NULL
            GROUP BY r.scheme_id, r.person_key""",
        params,
    ).df()


def answer_counts(
    con: duckdb.DuckDBPyConnection,
    item: str,
    audience: str,
    period_sql: str,
    period_params: list,
    filters: AreaFilter,
) -> pd.DataFrame:
    """How many people gave each answer to ``item`` (value, count), among its
    ``audience`` ("all", "person" or "carer")."""
    params = list(period_params)
    area = _area_sql(filters, params)
    support = _support_sql(filters, params)
    audience_sql = ""
    if audience != "all":
        audience_sql = "AND r.respondent_type = ?"
        params.append(audience)
    column = f"r.{ident(item)}"
    return con.execute(
        f"""WITH latest AS ({_latest_sql(period_sql, area)})
        SELECT {column} AS value, count(*) AS count FROM latest r
        WHERE {support} {audience_sql} AND {column} IS NOT NULL GROUP BY 1""",
        params,
    ).df()


def item_counts(
    con: duckdb.DuckDBPyConnection,
    items: Sequence,
    period_sql: str,
    period_params: list,
    filters: AreaFilter,
) -> pd.Series:
    """Per item (k-th of ``items``): ``asked_k``, people of its audience, and
    ``answered_k``, those who answered it (one row)."""
    params = list(period_params)
    area = _area_sql(filters, params)
    select_params: list = []
    parts = []
    for k, item in enumerate(items):
        who = "TRUE"
        if item.audience != "all":
            who = "r.respondent_type = ?"
            select_params.append(item.audience)
        parts.append(f"count(*) FILTER (WHERE {who}) AS asked_{k}")
        if item.audience != "all":
            select_params.append(item.audience)
        parts.append(f"count(r.{ident(item.code)}) FILTER (WHERE {who}) AS answered_{k}")
    support_params: list = []
    support = _support_sql(filters, support_params)
    return con.execute(
        f"WITH latest AS ({_latest_sql(period_sql, area)}) "
        f"SELECT {', '.join(parts)} FROM latest r WHERE {support}",
        params + select_params + support_params,
    ).df().iloc[0]


def latest_people(
    con: duckdb.DuckDBPyConnection,
    quarter: dt.date | str | None,
    filters: AreaFilter,
    hits: Mapping[str, Counted],
    attributes: Mapping[str, str],
) -> pd.DataFrame:
    """One row per person (their latest response in the quarter, in the area).

    ``hits``: column name -> KHI, the column 1 when the person's answer counts
    towards the KHI, 0 when it does not, empty when they gave none.
    ``attributes``: column name -> a response column, as answered.
    """
    period_sql, params, _ = period(con, quarter)
    params = list(params)
    area = _area_sql(filters, params)
    support = _support_sql(filters, params)
    columns = [
        f"CASE WHEN {k.score_sql} IS NULL THEN NULL WHEN {k.hit_sql} THEN 1 ELSE 0 END "
        f"AS {ident(name)}"
        for name, k in hits.items()
    ] + [f"r.{ident(column)} AS {ident(name)}" for name, column in attributes.items()]
    return con.execute(
        f"WITH latest AS ({_latest_sql(period_sql, area)}) "
        f"SELECT {', '.join(columns)} FROM latest r WHERE {support}",
        params,
    ).df()


# ------------------------------------------------------ responses, returns ---
def scheme_regions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every registered scheme's region (scheme_id, region)."""
    return con.execute("SELECT scheme_id, region FROM schemes").df()


def rate_cells(
    con: duckdb.DuckDBPyConnection,
    filters: AreaFilter,
    start: dt.date | None,
) -> pd.DataFrame:
    """People who answered (each once) and people supported, per scheme and quarter
    (one quarter, or every quarter with responses for None): scheme_id, quarter,
    responses, people_supported."""
    params: list = []
    area = _area_sql(_area_only(filters), params)
    support = _support_sql(filters, params)
    period_sql = "TRUE AND r.respondent_type = ?"
    params.insert(0, "person")
    if start is not None:
        period_sql = "r.quarter_start = ? AND r.respondent_type = ?"
        params.insert(0, start)
    people_sql = " + ".join(
        f"coalesce(a.{ident(c)}, 0)" for c in (filters.support_types or SUPPORT_COLUMNS)
        if c in SUPPORT_COLUMNS
    ) or "0"
    activity_params: list = []
    activity_area = _area_sql(_area_only(filters), activity_params, scheme="a.scheme_id")
    activity_period = "TRUE"
    if start is not None:
        activity_period = "a.quarter_start = ?"
        activity_params.insert(0, start)
    sql = f"""
        WITH latest AS ({_latest_sql(period_sql, area)}),
        answered AS (
            SELECT scheme_id, quarter_start, count(*) AS responses
            FROM latest r WHERE {support} GROUP BY ALL
        ),
        supported AS (
            SELECT a.scheme_id, a.quarter_start, {people_sql} AS people_supported
            FROM activity_returns a JOIN schemes s USING (scheme_id)
            WHERE {activity_period} AND {activity_area}
        ),
        quarters AS (SELECT DISTINCT quarter_start FROM responses)
        SELECT coalesce(n.scheme_id, p.scheme_id) AS scheme_id,
               coalesce(n.quarter_start, p.quarter_start) AS quarter,
               coalesce(n.responses, 0) AS responses, p.people_supported
        FROM answered n FULL OUTER JOIN supported p
          ON n.scheme_id = p.scheme_id AND n.quarter_start = p.quarter_start
        WHERE coalesce(n.quarter_start, p.quarter_start) IN (SELECT quarter_start FROM quarters)
        ORDER BY scheme_id, quarter"""
    return con.execute(sql, params + activity_params).df()


def missing_returns(
    con: duckdb.DuckDBPyConnection, start: dt.date, filters: AreaFilter
) -> pd.DataFrame:
    """Registered schemes in the area with no activity return for the quarter:
    scheme_id, name, region, last_return (their latest return's quarter, or empty)."""
    params: list = [start]
    area = _area_sql(_area_only(filters), params, scheme="s.scheme_id")
    return con.execute(
        f"""SELECT s.scheme_id, s.name, s.region,
               (SELECT max(a.quarter_start) FROM activity_returns a
                WHERE a.scheme_id = s.scheme_id) AS last_return
            FROM schemes s
            WHERE NOT EXISTS (SELECT 1 FROM activity_returns a
                              WHERE a.scheme_id = s.scheme_id AND a.quarter_start = ?)
              AND {area}
            ORDER BY s.scheme_id""",
        params,
    ).df()


def activity_sums(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    year_before: dt.date,
    filters: AreaFilter,
    by: str,
) -> pd.DataFrame:
    """Activity counts per region or scheme (``by``) for the quarter: ``by``,
    schemes, each activity count, people_supported, and for the schemes that sent
    both returns people_now and people_year_before."""
    area_params: list = []
    area = _area_sql(_area_only(filters), area_params, scheme="a.scheme_id")
    people = " + ".join(f"coalesce(a.{ident(c)}, 0)" for c in SUPPORT_COLUMNS)
    now = "a.quarter_start = ?"
    sums = ", ".join(f"sum(a.{ident(c)}) FILTER (WHERE {now}) AS {ident(c)}"
                     for c in ACTIVITY_COUNTS)
    key = {"region": "a.region", "scheme": "a.scheme_id"}[by]
    sql = f"""
        WITH a AS (
            SELECT a.*, s.region, {people} AS people,
                   count(*) OVER (PARTITION BY a.scheme_id) AS returns
            FROM activity_returns a JOIN schemes s USING (scheme_id)
            WHERE a.quarter_start IN (?, ?) AND {area}
        )
        SELECT {key} AS {ident(by)},
               count(*) FILTER (WHERE {now}) AS schemes,
               {sums},
               sum(a.people) FILTER (WHERE {now}) AS people_supported,
               sum(a.people) FILTER (WHERE {now} AND a.returns = 2) AS people_now,
               sum(a.people) FILTER (WHERE a.quarter_start = ? AND a.returns = 2)
                   AS people_year_before
        FROM a GROUP BY 1 HAVING count(*) FILTER (WHERE {now}) > 0
        ORDER BY 1"""
    # Parameters in the order the placeholders appear in the SQL text.
    params = [
        start, year_before, *area_params,  # the CTE
        start,  # schemes
        *([start] * len(ACTIVITY_COUNTS)),  # sums
        start, start, year_before,  # people_supported, people_now, people_year_before
        start,  # HAVING
    ]
    return con.execute(sql, params).df()
