"""Building the board pack from the engine's outputs."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from kpi import indicators as engine
from kpi import stats as st_
from kpi.board.changes import (
    ChangeTest,
    change_test_means,
    change_test_proportions,
    change_test_same_people,
    sd_from_interval,
)
from kpi.board.pack import (
    BoardPack,
    BoardRow,
    Caveats,
    Flag,
    PeriodChange,
)
from kpi.board.watch import WatchItem, watch_item
from kpi.catalogue import KHI, catalogue
from kpi.errors import BadRequest, KhiError, NoData, UnknownCode
from kpi.indicators import Filters, Settings
from kpi.items import bank
from kpi.periods import parse_quarter, quarter_label, shift_quarter
from kpi.store import Store, queries
from kpi.wording import (
    as_number,
    change_sentence,
    is_improvement,
    trend_verdict,
)
from kpi.wording.board import (
    TREND_REASONS,
    benchmark_reason,
    change_reason,
    lead_sentences,
    summary_sentences,
)

ALL_AREAS = "England and the nations"
SERIES_QUARTERS = 8


# --------------------------------------------------------------------------------------
# building the pack from engine outputs
# --------------------------------------------------------------------------------------


def area_filters(
    store: Store, region: str | None, scheme: str | None, scope: tuple[str, ...] | None
) -> tuple[Filters, str, str]:
    """Filters, label and kind ("all", "region", "scheme") for an area.

    Raises
    ------
    ValueError
        For an unknown region or scheme, a scheme outside ``scope``, or both given.
    """
    if region and scheme:
        raise BadRequest("Give a region or a scheme, not both.")
    if scheme:
        register = store.schemes()
        match = register[register["scheme_id"] == scheme]
        if match.empty:
            raise UnknownCode(
                f"Unknown scheme {scheme!r}: use a scheme id from the register "
                "(the Schemes page or `python -m kpi uploads` lists them)."
            )
        if scope is not None and scheme not in scope:
            raise BadRequest(f"Scheme {scheme!r} is outside the schemes you may see.")
        row = match.iloc[0]
        label = f"{row['name']} ({row['region']})"
        return Filters(scheme_ids=(scheme,), scope=scope), label, "scheme"
    if region:
        by_key = {}
        for r in bank().regions:
            by_key[r.name.lower()] = r.name
            by_key[r.code.lower()] = r.name
        name = by_key.get(region.strip().lower())
        if name is None:
            raise UnknownCode(
                f"Unknown region {region!r}: use one of "
                + ", ".join(r.name for r in bank().regions)
                + "."
            )
        return Filters(regions=(name,), scope=scope), name, "region"
    return Filters(scope=scope), ALL_AREAS, "all"


def _float(row: pd.Series | dict, column: str) -> float | None:
    if column not in row:
        return None
    return as_number(row[column])


def _int(row: pd.Series | dict, column: str) -> int | None:
    value = _float(row, column)
    return None if value is None else int(round(value))


def _is_true(value: object) -> bool:
    try:
        return bool(value) and not pd.isna(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return bool(value)


def _with_quarters(series: pd.DataFrame | None) -> list[dict]:
    """The engine's per-quarter frame as plain records, each with a ``quarter`` date
    (from its label when the frame only has ``quarter_label``).

    Why records: the pack reads a few cells of a few rows per KHI, and pandas'
    indexing of a frame of eight rows cost more than the pack's own work."""
    if series is None or series.empty:
        return []
    columns = list(series.columns)
    records = [dict(zip(columns, row)) for row in series.to_numpy(dtype=object)]
    if "quarter" in series:
        for record in records:
            record["quarter"] = _date(record["quarter"])
    elif "quarter_label" in series:
        for record in records:
            record["quarter"] = parse_quarter(str(record["quarter_label"]))
    else:
        raise ValueError("the engine's trend frame has neither quarter nor quarter_label")
    return records


def _date(value: object) -> dt.date:
    """A quarter cell as a date (the engine's are dates already: kept as they are)."""
    if type(value) is dt.date:
        return value
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def _last_quarter(series: pd.DataFrame) -> dt.date:
    """The quarter of a non-empty engine frame's last row: one cell, not the frame
    made into records (the control chart's check, once per KHI)."""
    if "quarter" in series:
        return _date(series["quarter"].iloc[-1])
    return _with_quarters(series.tail(1))[-1]["quarter"]  # from its label, or the error


def _by_quarter(records: list[dict]) -> dict[dt.date, dict]:
    """Each quarter's first record (as ``drop_duplicates("quarter")`` keeps it)."""
    out: dict[dt.date, dict] = {}
    for record in records:
        out.setdefault(record["quarter"], record)
    return out


def _moments(row: pd.Series | dict, khi: KHI) -> tuple[float | None, float | None, float | None]:
    """(value, sd, n) of a mean cell; sd from the engine or backed out of its interval."""
    value, n = _float(row, "value"), _float(row, "n")
    sd = _float(row, "sd")
    if sd is None and n is not None:
        lo, up = _float(row, "lower95"), _float(row, "upper95")
        if lo is not None and up is not None:
            sd = sd_from_interval(lo, up, n)
    return value, sd, n


def period_change(
    khi: KHI,
    current: pd.Series | dict,
    earlier: pd.Series | dict | None,
    period: str,
    quarter: dt.date,
    settings: Settings,
    people: pd.DataFrame | None = None,
) -> PeriodChange:
    """The change since an earlier quarter and whether it is real: the one decision
    the board page, its PDF and the Overview's tiles all show. ``people``: for a
    change KHI, each person's change up to this quarter (``now``) and the earlier one
    (its own column): the same people are in both, so they are paired."""
    label = quarter_label(quarter)
    if earlier is None:
        return PeriodChange(period, quarter, label, None, False, ChangeTest.untested(), "no data")
    hidden = _is_true(earlier.get("suppressed", False))
    previous = None if hidden else _float(earlier, "value")
    if previous is None and not hidden:
        return PeriodChange(period, quarter, label, None, False, ChangeTest.untested(), "no data")
    n_now, n_then = _float(current, "n"), _float(earlier, "n")
    small = any(v is None or v < settings.min_compare for v in (n_now, n_then))
    if hidden or small or _is_true(current.get("suppressed", False)):
        return PeriodChange(
            period, quarter, label, previous, hidden, ChangeTest.untested(), "too few answers"
        )
    if khi.measure == "change":
        if people is None or quarter not in people:
            test = ChangeTest.untested()
        else:
            test = change_test_same_people(people["now"], people[quarter])
    elif khi.is_proportion:
        x_now, x_then = _float(current, "count"), _float(earlier, "count")
        if x_now is None or x_then is None:
            test = ChangeTest.untested()
        else:
            test = change_test_proportions(x_now, n_now, x_then, n_then)  # type: ignore[arg-type]
    else:
        m1, s1, k1 = _moments(current, khi)
        m2, s2, k2 = _moments(earlier, khi)
        if None in (m1, s1, k1, m2, s2, k2):
            test = ChangeTest.untested()
        else:
            test = change_test_means(m1, s1, k1, m2, s2, k2)  # type: ignore[arg-type]
    if test.significant:
        verdict = "improved" if is_improvement(khi, test.difference > 0) else "worsened"
    else:
        verdict = "could be chance"
    return PeriodChange(period, quarter, label, previous, hidden, test, verdict)


def _changes_by_end(
    store: Store, filters: Filters, ends: tuple[dt.date, ...]
) -> dict[str, pd.DataFrame]:
    """Per change KHI, each person's change up to each of ``ends`` (a column per end,
    empty when they had fewer than two answers by then), from one query per KHI."""
    out = {}
    with store.connect() as con:
        for khi in catalogue():
            if khi.measure != "change":
                continue
            frame = queries.person_changes(con, khi, filters, list(ends))
            frame = frame.set_index(["scheme_id", "person_key"])
            out[khi.code] = frame.rename(columns={f"d_{i}": end for i, end in enumerate(ends)})
    return out


def _paired_for(
    changes: dict[str, pd.DataFrame], ends: tuple[dt.date, ...]
) -> dict[str, pd.DataFrame]:
    """Per change KHI, each person's change up to ``ends[0]`` (column ``now``) and up
    to each earlier end (a column per quarter), indexed by person, from
    :func:`_changes_by_end`'s frames (which may hold more ends: each is its own
    column). Why: a change KHI counts people with two answers up to a quarter's end,
    so last year's people are mostly this year's, and a test between the two must
    pair them."""
    return {
        code: pd.DataFrame({("now" if i == 0 else end): frame[end].dropna()
                            for i, end in enumerate(ends)})
        for code, frame in changes.items()
    }


def _series_frame(by_quarter: dict[dt.date, dict], end: dt.date) -> pd.DataFrame:
    """The run-chart series over the ``SERIES_QUARTERS`` quarters ending ``end``.

    Columns: quarter, quarter_label, n, value, lower95, upper95, suppressed. Quarters
    the engine did not return are empty rows (a gap in the chart); hidden quarters
    keep ``suppressed`` true and no numbers. Built from plain lists (``by_quarter``:
    :func:`_by_quarter` of the KHI's records): a merge per KHI cost more than the
    rest of the pack's own work.
    """
    quarters = [shift_quarter(end, k - SERIES_QUARTERS + 1) for k in range(SERIES_QUARTERS)]
    records = [by_quarter.get(q, {}) for q in quarters]
    hidden = [_hidden(record) for record in records]
    data: dict[str, object] = {
        "quarter": quarters,
        "quarter_label": [quarter_label(q) for q in quarters],
    }
    for column in ("n", "value", "lower95", "upper95"):
        data[column] = pd.array(
            [None if h else as_number(r.get(column)) for r, h in zip(records, hidden)],
            dtype="Float64",
        )
    data["suppressed"] = hidden
    return pd.DataFrame(data)


def _hidden(record: dict) -> bool:
    """A record's ``suppressed`` flag, missing read as shown."""
    flag = record.get("suppressed")
    return False if flag is None or pd.isna(flag) else bool(flag)


def _recent_trend(khi: KHI, by_quarter: dict[dt.date, dict], end: dt.date) -> st_.TrendResult:
    """Fingertips' recent trend over the five quarters ending ``end`` (hidden or
    missing quarters leave it untested): the board's trend marker. ``by_quarter``:
    each quarter's shown record (:func:`_by_quarter` of the shown ones)."""
    quarters = [shift_quarter(end, k - st_.trend.RECENT_POINTS + 1)
                for k in range(st_.trend.RECENT_POINTS)]
    rows = [by_quarter.get(q, {}) for q in quarters]

    def column(name: str) -> list[float]:
        values = (as_number(row.get(name)) for row in rows)
        return [float("nan") if v is None else v for v in values]

    if khi.is_proportion:
        return st_.recent_trend("proportions", column("count"), column("n"))
    return st_.recent_trend("means", column("value"), column("sd"), column("n"))


def _flags(rows: list[BoardRow], benchmark_applies: bool) -> tuple[list[Flag], list[Flag]]:
    """Needs attention: every KHI worse than England (outside its 95% interval, by
    polarity) or getting significantly worse (since last quarter, since the same
    quarter last year, or by the recent trend). Improved is the mirror.

    A KHI can be in both lists (worse than England yet improving): each list gives
    its own reasons. Hidden KHIs are in neither.
    """
    attention, improved = [], []
    for r in rows:
        if r.suppressed:
            continue
        for kind, bench, verdict, trend, trend_reason, out in (
            ("attention", "worse", "worsened", "worsening",
             TREND_REASONS["worsening"], attention),
            ("improved", "better", "improved", "improving",
             TREND_REASONS["improving"], improved),
        ):
            reasons = []
            if benchmark_applies and r.comparison == bench:
                reasons.append(benchmark_reason(r))
            for change in (r.since_last_quarter, r.since_last_year):
                if change.verdict == verdict:
                    reasons.append(change_reason(r.khi, change, r.value))
            if r.trend == trend:
                reasons.append(trend_reason)
            if reasons:
                out.append(Flag(r.code, r.name, kind, "; ".join(reasons)))
    return attention, improved


def _control(chart: tuple[pd.DataFrame, st_.SpcResult] | None,
             quarter: dt.date) -> st_.SpcResult | None:
    """The control chart when its latest point is this quarter's value, else None:
    a verdict about an older quarter would read as this quarter's."""
    if chart is None:
        return None
    series, result = chart
    if series is None or series.empty or _last_quarter(series) != quarter:
        return None
    if not result.values or result.values[-1] != result.values[-1]:  # NaN: a gap
        return None
    return result


def _caveats(
    store: Store, quarter: dt.date, filters: Filters, settings: Settings,
    shared: engine.SharedReads,
) -> Caveats:
    """Responses, people supported, response rate and missing returns (engine outputs).
    ``shared``: what both quarters' caveats read (activity returns, lattices)."""
    totals = engine.response_totals(store, quarter, filters, settings, shared)
    responses = totals["responses"]
    people = totals["people_supported"]
    matched = totals["responses_with_return"]
    missing = engine.missing_returns(store, quarter=quarter, filters=filters)
    names: tuple[str, ...] = ()
    if missing is not None and len(missing):
        column = "name" if "name" in missing else "scheme_id"
        names = tuple(str(v) for v in missing[column])
    # The area's responses are a cell: hidden as the KHIs' rules hide it (below the
    # minimum, or beside a small one), as on the Data quality page.
    hidden = bool(totals["hidden"]) or (responses is not None and 0 < responses < settings.min_base)
    rate = None
    # Showing the rate shows how many surveys came from schemes with a return, and so
    # how many from those without. The area's total less its shown schemes already
    # gives the sum of its hidden ones; the split adds nothing to that when the hidden
    # schemes all sent a return or none did. When some did and some did not, it would
    # give away part of that sum (one pack less another: one hidden scheme), so the
    # rate is withheld.
    others = (responses or 0) - (matched or 0)
    withheld = 0 < others < settings.min_base
    # People supported are activity counts, hidden as the activity tables hide them.
    withheld = withheld or bool(matched and people is None)
    if matched and others and not withheld:
        rates = engine.response_rates(store, filters, quarter, shared, settings)
        dark = rates["suppressed"].astype(bool).to_numpy()
        returned = (rates["people_supported"].notna()
                    | rates["people_suppressed"].astype(bool)).to_numpy()
        withheld = bool((dark & returned).any() and (dark & ~returned).any())
    if matched and people and matched >= settings.min_base and not hidden and not withheld:
        rate = 100.0 * matched / people
    schemes = totals["schemes"]
    return Caveats(
        responses=None if hidden else responses,
        responses_hidden=hidden,
        people_supported=people or None,
        responses_with_return=matched if rate is not None else None,
        response_rate=rate,
        rate_withheld=withheld and not hidden,
        schemes=schemes,
        schemes_missing_return=names,
        min_base=settings.min_base,
        min_compare=settings.min_compare,
    )


def board_summary(
    store: Store,
    quarter: dt.date | str | None = None,
    region: str | None = None,
    scheme: str | None = None,
    settings: Settings | None = None,
    scope: tuple[str, ...] | None = None,
) -> BoardPack:
    """The board page for one quarter and area, from the engine's outputs.

    Parameters
    ----------
    store : Store
        The store to read.
    quarter : date, str or None
        "2026/27 Q1", a date inside the quarter, or None for the latest quarter
        with data.
    region : str, optional
        A region or nation (name or code); None for all of England and the nations.
    scheme : str, optional
        A scheme id (not with ``region``).
    settings : Settings, optional
        Disclosure and comparison minimums; defaults to the item bank's settings.
    scope : tuple of str, optional
        Scheme ids the user may see (None: all).

    Returns
    -------
    BoardPack

    Raises
    ------
    ValueError
        For an unknown quarter, region or scheme, both a region and a scheme, or a
        store without survey data.
    """
    with store.reading():  # one open of the file for the dozen reads below
        return _board_summaries(store, quarter, region, scheme, settings, scope, False)[0]


def board_summaries(
    store: Store,
    quarter: dt.date | str | None = None,
    region: str | None = None,
    scheme: str | None = None,
    settings: Settings | None = None,
    scope: tuple[str, ...] | None = None,
) -> tuple[BoardPack, BoardPack | None]:
    """This quarter's board pack and last quarter's, for the same area, from one pass.

    The pack carries last quarter's flags (``kpi.board.carry``), so the page, its PDF
    and the command line need both. Each is exactly :func:`board_summary` for its
    quarter, but the work they share is done once: the by-quarter table behind the
    trends and the control charts (each cut at its own quarter, its limits from its
    own quarters), which also holds each quarter's KHI rows (:func:`_rows_at`),
    and each person's change up to every quarter the two compare. Only the caveats
    are read per quarter.

    Parameters and errors as :func:`board_summary`.

    Returns
    -------
    tuple of BoardPack and (BoardPack or None)
        This quarter's pack, and last quarter's (None when that one could not be
        built: a :class:`~kpi.errors.KhiError` for that quarter alone).
    """
    with store.reading():
        now, then = _board_summaries(store, quarter, region, scheme, settings, scope, True)
    return now, then


def _board_summaries(
    store: Store,
    quarter: dt.date | str | None,
    region: str | None,
    scheme: str | None,
    settings: Settings | None,
    scope: tuple[str, ...] | None,
    with_last: bool,
) -> tuple[BoardPack, BoardPack | None]:
    settings = settings or engine.default_settings()
    filters, area_label, area_kind = area_filters(store, region, scheme, scope)
    if quarter is None or (isinstance(quarter, str) and not quarter.strip()):
        latest = engine.latest_quarter(store)
        if latest is None:
            raise NoData(
                "The store has no survey data yet: upload a survey export or load the "
                "demo (`python -m kpi demo`)."
            )
        q = parse_quarter(latest)
    else:
        q = parse_quarter(quarter)
    quarters = [q, shift_quarter(q, -1)] if with_last else [q]
    compared = {p: (p, shift_quarter(p, -1), shift_quarter(p, -4)) for p in quarters}
    ends = tuple(dict.fromkeys(e for p in quarters for e in compared[p]))
    # The caveats and each person's changes do not depend on the trends: read in a
    # second thread while this one builds the trends (DuckDB works outside Python's
    # lock). A cold board page for England on the 20,000-person demo: trends 0.74-1.05 s
    # and caveats 0.43-0.56 s one after the other, 0.88-1.14 s together (/tmp/board_par.py,
    # tests/README.md). The caller's read batch keeps writers out until both are done.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="board") as pool:
        besides = pool.submit(_caveats_and_changes, store, quarters, ends, filters, settings)
        # The trend's window and the control charts' every quarter up to each quarter
        # (hidden quarters as gaps, as on Indicator detail), from one engine pass.
        charts = engine.trends_and_control_charts_at(
            store, [k.code for k in catalogue()], filters, SERIES_QUARTERS, quarters,
            settings,
        )
        caveats, changes = besides.result()

    def pack(p: dt.date) -> BoardPack:
        series_by_code, controls = charts[p]
        if isinstance(caveats[p], KhiError):
            raise caveats[p]
        return _board_pack(store, p, filters, area_label, area_kind, scheme, settings,
                           series_by_code, controls, _paired_for(changes, compared[p]),
                           caveats[p])

    now = pack(q)
    if not with_last:
        return now, None
    try:
        then = pack(quarters[1])
    except KhiError:  # that quarter alone could not be built: the page shows none
        then = None
    return now, then


def _caveats_and_changes(
    store: Store, quarters: list[dt.date], ends: tuple[dt.date, ...], filters: Filters,
    settings: Settings,
) -> tuple[dict[dt.date, Caveats | KhiError], dict]:
    """Each quarter's caveats (or the error that quarter raised: the caller raises it
    for this quarter and leaves last quarter's pack out for it) and each person's
    changes up to ``ends``, in one read batch of their own."""
    with store.reading():
        shared = engine.SharedReads(store)  # read once for both quarters' caveats
        caveats: dict[dt.date, Caveats | KhiError] = {}
        for p in quarters:
            try:
                caveats[p] = _caveats(store, p, filters, settings, shared)
            except KhiError as exc:
                caveats[p] = exc
        return caveats, _changes_by_end(store, filters, ends)


def _rows_at(dated: dict[str, list[dict]], quarter: dt.date) -> dict[str, pd.Series]:
    """Each KHI's row of ``engine.indicator_table(quarter=quarter)``, read from its
    records of the by-quarter table the trends came from (:func:`_with_quarters`);
    a KHI without a row there is left out.

    Why it is the same row: the by-quarter table is the engine's table grouped by
    quarter, with the same England benchmark per quarter and each quarter's
    disclosure decided within that quarter; it only leaves out a KHI without
    answers, which the one-quarter table keeps (with its benchmark): the pack asks
    the engine for just those KHIs.
    """
    rows = {}
    for code, records in dated.items():
        hits = [r for r in records if r["quarter"] == quarter]
        if len(hits) == 1:
            cells = {k: v for k, v in hits[0].items() if k not in ("quarter", "quarter_label")}
            rows[code] = pd.Series({"khi": code, **cells}, dtype=object)
    return rows


def _board_pack(
    store: Store,
    q: dt.date,
    filters: Filters,
    area_label: str,
    area_kind: str,
    scheme: str | None,
    settings: Settings,
    series_by_code: dict[str, tuple[pd.DataFrame, st_.TrendResult]],
    controls: dict[str, tuple[pd.DataFrame, st_.SpcResult]],
    paired: dict[str, pd.DataFrame],
    caveats: Caveats,
) -> BoardPack:
    """One quarter's pack from the parts :func:`_board_summaries` shares."""
    previous_q, last_year_q = shift_quarter(q, -1), shift_quarter(q, -4)
    dated = {code: _with_quarters(series) for code, (series, _) in series_by_code.items()}
    by_code: dict[str, pd.Series] = _rows_at(dated, q)
    missing = [k.code for k in catalogue() if k.code not in by_code]
    if missing:
        # A KHI without answers here (often a scheme's carer KHIs): the quarter's own
        # table keeps its row, with England's benchmark. Each KHI's row is decided
        # on its own (its own lattice and benchmark), so the table of just these
        # KHIs holds the same rows as the whole table, for a fraction of its work.
        table = engine.indicator_table(store, khis=missing, quarter=q, filters=filters,
                                       settings=settings)
        if len(table):
            by_code |= {str(r["khi"]): r for _, r in table.iterrows()}

    rows: list[BoardRow] = []
    watch: list[WatchItem] = []
    for khi in catalogue():
        current = by_code.get(khi.code, pd.Series({"khi": khi.code, "suppressed": False}))
        _, trend_result = series_by_code[khi.code]
        records = dated[khi.code]
        series = _by_quarter(records)
        suppressed = _is_true(current.get("suppressed", False))
        previous_row = series.get(previous_q)
        last_year_row = series.get(last_year_q)
        lq = period_change(
            khi, current, previous_row, "last quarter", previous_q,
            settings, paired.get(khi.code),
        )
        ly = period_change(
            khi, current, last_year_row, "the same quarter last year",
            last_year_q, settings, paired.get(khi.code),
        )
        shown = _by_quarter([r for r in records if not _hidden(r)])
        trend_words, trend_p = trend_verdict(_recent_trend(khi, shown, q), khi)
        eight, _ = trend_verdict(trend_result, khi)
        comparison = str(current.get("comparison", "not compared") or "not compared")
        if area_kind == "all":
            comparison = "n/a"
        value = None if suppressed else _float(current, "value")
        if not suppressed:
            _, sd_now, n_now = _moments(current, khi)
            for change, earlier in ((lq, previous_row), (ly, last_year_row)):
                if earlier is None:
                    continue
                _, sd_then, n_then = _moments(earlier, khi)
                item = watch_item(khi, change, value, n_now, n_then, sd_now, sd_then)
                if item is not None:
                    watch.append(item)
                    break  # one line a KHI: last quarter's change, else last year's
        rows.append(
            BoardRow(
                khi=khi,
                n=None if suppressed else _int(current, "n"),
                count=None if suppressed else _int(current, "count"),
                value=value,
                lower95=None if suppressed else _float(current, "lower95"),
                upper95=None if suppressed else _float(current, "upper95"),
                lower998=None if suppressed else _float(current, "lower998"),
                upper998=None if suppressed else _float(current, "upper998"),
                suppressed=suppressed,
                since_last_quarter=lq,
                since_last_year=ly,
                benchmark=None if area_kind == "all" else _float(current, "benchmark"),
                comparison=comparison,
                outside998=area_kind != "all" and _is_true(current.get("outside998", False)),
                trend=trend_words,
                trend_p_value=trend_p,
                trend_8_quarters=eight,
                series=_series_frame(series, q),
                sentence=change_sentence(khi, value, suppressed, lq, settings.min_base),
                spc=_control(controls.get(khi.code), q),
            )
        )

    attention, improved = _flags(rows, area_kind != "all")
    kinds = {f.code: f.kind for f in improved} | {f.code: f.kind for f in attention}
    rows = [
        BoardRow(**{**r.__dict__, "flag": kinds.get(r.code, "")}) for r in rows
    ]
    label = quarter_label(q)
    summary = summary_sentences(
        rows, attention, improved, label, area_label, caveats, settings.min_compare,
        area_kind != "all",
    )
    summary[1:1] = lead_sentences(rows, area_kind != "all")
    return BoardPack(
        quarter=q,
        quarter_label=label,
        previous_label=quarter_label(previous_q),
        last_year_label=quarter_label(last_year_q),
        area_label=area_label,
        area_kind=area_kind,
        region=filters.regions[0] if filters.regions else None,
        scheme=scheme if area_kind == "scheme" else None,
        rows=tuple(rows),
        attention=tuple(attention),
        improved=tuple(improved),
        summary=tuple(summary),
        caveats=caveats,
        is_demo=store.is_demo(),
        settings=settings,
        watch=tuple(watch),
    )
