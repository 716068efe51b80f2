"""The quarterly board page: what changed, is it real, what needs attention.

Pure (no streamlit): the Board page, the PDF (:mod:`kpi.report`) and the tests
all read one :class:`BoardPack` built by :func:`board_summary`. Every number
comes from the engine (:mod:`kpi.indicators`), which has already applied
disclosure control; this module only *compares* numbers the engine shows, and
never mentions a hidden one.

How a change is judged real
---------------------------
A change between two quarters compares two independent samples:
:func:`difference_of_proportions` (Newcombe's hybrid score interval, which
inherits the Wilson intervals' good small-sample behaviour) and
:func:`difference_of_means` (Welch's unequal-variance t interval). A change is

* "very unlikely to be chance" when the 99.8% interval for the difference excludes 0,
* "unlikely to be chance" when only the 95% interval excludes 0,
* "could be chance" otherwise,

and is not tested at all when either quarter is hidden, missing, or has fewer
than ``Settings.min_compare`` answers (the same rule as benchmark comparisons).
People who answer in both quarters make the samples positively correlated,
which makes the independent-samples test conservative: it may miss a real
change, but does not invent one.

With 28 indicators, about one in twenty comparisons reaches the 95% level by
chance alone; the 99.8% level is rarely reached by chance, which is why the
level is always stated.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

# scipy.special, not scipy.stats: the same t quantile (stats.t.ppf calls stdtrit),
# without a second of importing scipy.stats in every report.
from scipy.special import stdtrit

from kpi import indicators as engine
from kpi import statistics as st_
from kpi.catalogue import KHI, catalogue
from kpi.indicators import Filters, Settings
from kpi.items import bank
from kpi.periods import parse_quarter, quarter_label, shift_quarter
from kpi.store import Store
from kpi.wording import (
    GLOSSARY,
    LEVEL_95,
    LEVEL_998,
    LEVEL_NONE,
    LEVEL_UNTESTED,
    as_number,
    chance_words,
    change_sentence,
    format_interval,
    format_value,
    is_improvement,
    trend_verdict,
    value_pair,
)

__all__ = [
    "BoardPack",
    "BoardRow",
    "Caveats",
    "ChangeTest",
    "Flag",
    "PeriodChange",
    "area_filters",
    "board_summary",
    "change_sentence",
    "difference_of_means",
    "difference_of_proportions",
    "group_flags",
    "change_test_means",
    "change_test_proportions",
    "chance_words",
    "value_pair",
    "comparison_sentences",
    "format_interval",
    "format_value",
    "GLOSSARY",
]

ALL_AREAS = "England and the nations"
SERIES_QUARTERS = 8


# --------------------------------------------------------------------------------------
# statistics: difference between two independent periods
# --------------------------------------------------------------------------------------


def _finite(name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number") from exc
    if math.isinf(number):
        raise ValueError(f"{name} must be finite")
    return number


def difference_of_proportions(
    x1: float, n1: float, x2: float, n2: float, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Newcombe's hybrid score interval for a difference of two independent proportions.

    With ``p1 = x1/n1``, ``p2 = x2/n2`` and Wilson limits ``(l1, u1)``, ``(l2, u2)``
    at the same confidence level, the interval for ``D = p1 - p2`` is

    .. math::

        D - \\sqrt{(p_1 - l_1)^2 + (u_2 - p_2)^2}, \\qquad
        D + \\sqrt{(u_1 - p_1)^2 + (p_2 - l_2)^2}

    (Newcombe 1998, method 10). It keeps within [-1, 1], needs no continuity
    correction, and agrees with the Wilson intervals shown beside each value.

    Parameters
    ----------
    x1, n1 : float
        Events and base in the later period.
    x2, n2 : float
        Events and base in the earlier period.
    confidence : float, default 0.95
        Two-sided level, strictly between 0 and 1 (0.95 or 0.998 here).

    Returns
    -------
    difference, lower, upper : float
        ``p1 - p2`` and its limits, as proportions (-1 to 1). All NaN when an input
        is missing (NaN) or a base is 0.

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1, an input is infinite or
        negative, or a count exceeds its base.

    References
    ----------
    Newcombe RG. Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med. 1998;17:873-890 (method 10).
    Wilson EB. J Am Stat Assoc. 1927;22:209-212.
    """
    values = {name: _finite(name, v) for name, v in (("x1", x1), ("n1", n1), ("x2", x2),
                                                      ("n2", n2))}
    for name, number in values.items():
        if number < 0:
            raise ValueError(f"{name} must be greater than or equal to 0")
    if values["x1"] > values["n1"]:
        raise ValueError("x1 must be less than or equal to n1")
    if values["x2"] > values["n2"]:
        raise ValueError("x2 must be less than or equal to n2")
    l1, u1 = st_.wilson_interval(values["x1"], values["n1"], confidence)
    l2, u2 = st_.wilson_interval(values["x2"], values["n2"], confidence)
    nan = float("nan")
    if any(math.isnan(float(v)) for v in (l1, u1, l2, u2)):
        return nan, nan, nan
    p1 = values["x1"] / values["n1"]
    p2 = values["x2"] / values["n2"]
    d = p1 - p2
    lower = d - math.sqrt((p1 - float(l1)) ** 2 + (float(u2) - p2) ** 2)
    upper = d + math.sqrt((float(u1) - p1) ** 2 + (p2 - float(l2)) ** 2)
    return d, lower, upper


def difference_of_means(
    mean1: float,
    sd1: float,
    n1: float,
    mean2: float,
    sd2: float,
    n2: float,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """Welch's t interval for a difference of two independent means, from summaries.

    .. math::

        D = m_1 - m_2, \\quad
        SE = \\sqrt{s_1^2/n_1 + s_2^2/n_2}, \\quad
        \\nu = \\frac{SE^4}{\\frac{(s_1^2/n_1)^2}{n_1 - 1} + \\frac{(s_2^2/n_2)^2}{n_2 - 1}}

    and the interval is ``D -/+ t(confidence, nu) * SE`` (Welch-Satterthwaite degrees
    of freedom; the interval excludes 0 exactly when ``scipy.stats.ttest_ind_from_stats``
    with ``equal_var=False`` gives ``p < 1 - confidence``).

    Parameters
    ----------
    mean1, sd1, n1 : float
        Mean, sample SD and size in the later period.
    mean2, sd2, n2 : float
        The same for the earlier period.
    confidence : float, default 0.95
        Two-sided level, strictly between 0 and 1.

    Returns
    -------
    difference, lower, upper : float
        ``mean1 - mean2`` and its limits. Limits are NaN when an input is missing,
        a size is below 2, or both SDs are 0 (no sampling variation to test against).

    Raises
    ------
    ValueError
        If ``confidence`` is not strictly between 0 and 1, an input is infinite, or an
        SD or size is negative.

    References
    ----------
    Welch BL. The generalization of "Student's" problem when several different population
    variances are involved. Biometrika. 1947;34:28-35. Satterthwaite FE. Biometrics
    Bulletin. 1946;2:110-114.
    """
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive); got {confidence}")
    m1, s1, k1 = _finite("mean1", mean1), _finite("sd1", sd1), _finite("n1", n1)
    m2, s2, k2 = _finite("mean2", mean2), _finite("sd2", sd2), _finite("n2", n2)
    for name, number in (("sd1", s1), ("sd2", s2), ("n1", k1), ("n2", k2)):
        if number < 0:
            raise ValueError(f"{name} must be greater than or equal to 0")
    nan = float("nan")
    d = m1 - m2
    if any(math.isnan(v) for v in (m1, s1, k1, m2, s2, k2)) or k1 < 2 or k2 < 2:
        return d, nan, nan
    v1, v2 = s1 * s1 / k1, s2 * s2 / k2
    se2 = v1 + v2
    if se2 <= 0:
        return d, nan, nan
    dof = se2**2 / (v1**2 / (k1 - 1) + v2**2 / (k2 - 1))
    half = float(stdtrit(dof, 0.5 + confidence / 2.0)) * math.sqrt(se2)
    return d, d - half, d + half


@dataclass(frozen=True)
class ChangeTest:
    """The difference between two periods, in the KHI's display units, and its level.

    ``difference`` and the limits are percentage points for proportions and the
    measure's own units for means. ``level`` is ``"99.8%"`` or ``"95%"`` when that
    interval excludes 0, ``"none"`` when tested and it could be chance, and
    ``"untested"`` when the test could not be run (limits NaN).
    """

    difference: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    level: str

    @property
    def significant(self) -> bool:
        return self.level in (LEVEL_998, LEVEL_95)

    @classmethod
    def untested(cls) -> ChangeTest:
        nan = float("nan")
        return cls(nan, nan, nan, nan, nan, LEVEL_UNTESTED)


def _level(lo95: float, up95: float, lo998: float, up998: float) -> str:
    if any(math.isnan(v) for v in (lo95, up95, lo998, up998)):
        return LEVEL_UNTESTED
    if lo998 > 0 or up998 < 0:
        return LEVEL_998
    if lo95 > 0 or up95 < 0:
        return LEVEL_95
    return LEVEL_NONE


def change_test_proportions(x1: float, n1: float, x2: float, n2: float) -> ChangeTest:
    """Test a change in a proportion between two periods (Newcombe method 10).

    Parameters
    ----------
    x1, n1 : float
        Count and base in the later period.
    x2, n2 : float
        Count and base in the earlier period.

    Returns
    -------
    ChangeTest
        Difference and limits in percentage points; the level reached.

    Raises
    ------
    ValueError
        As :func:`difference_of_proportions`.

    References
    ----------
    Newcombe RG. Stat Med. 1998;17:873-890 (method 10).
    """
    d, lo95, up95 = difference_of_proportions(x1, n1, x2, n2, 0.95)
    _, lo998, up998 = difference_of_proportions(x1, n1, x2, n2, 0.998)
    values = [100.0 * v for v in (d, lo95, up95, lo998, up998)]
    return ChangeTest(*values, _level(*values[1:]))


def change_test_means(
    mean1: float, sd1: float, n1: float, mean2: float, sd2: float, n2: float
) -> ChangeTest:
    """Test a change in a mean between two periods (Welch's t).

    Parameters
    ----------
    mean1, sd1, n1 : float
        Later period.
    mean2, sd2, n2 : float
        Earlier period.

    Returns
    -------
    ChangeTest
        Difference and limits in the measure's units; the level reached.

    Raises
    ------
    ValueError
        As :func:`difference_of_means`.

    References
    ----------
    Welch BL. Biometrika. 1947;34:28-35.
    """
    d, lo95, up95 = difference_of_means(mean1, sd1, n1, mean2, sd2, n2, 0.95)
    _, lo998, up998 = difference_of_means(mean1, sd1, n1, mean2, sd2, n2, 0.998)
    return ChangeTest(d, lo95, up95, lo998, up998, _level(lo95, up95, lo998, up998))


def _sd_from_interval(lower95: float, upper95: float, n: float) -> float:
    """The sample SD behind a Student's t 95% interval (the engine's mean interval).

    Inverts ``half = t(0.975, n - 1) * sd / sqrt(n)``; used when the engine's table
    has no ``sd`` column.
    """
    if n < 2 or any(math.isnan(v) for v in (lower95, upper95)):
        return float("nan")
    half = (upper95 - lower95) / 2.0
    return half * math.sqrt(n) / float(stdtrit(n - 1, 0.975))


# --------------------------------------------------------------------------------------
# the board pack
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodChange:
    """This quarter against an earlier one, for one KHI.

    ``verdict`` is one of ``"improved"``, ``"worsened"`` (a real change, by polarity),
    ``"could be chance"``, ``"too few answers"`` (either quarter hidden or below the
    comparison minimum) or ``"no data"`` (no answers in the earlier quarter).
    ``previous`` is None whenever the earlier value is hidden or missing.
    """

    period: str  # "last quarter" / "the same quarter last year"
    quarter: dt.date
    quarter_label: str
    previous: float | None
    previous_hidden: bool
    test: ChangeTest
    verdict: str

    @property
    def significant(self) -> bool:
        return self.verdict in ("improved", "worsened")


@dataclass(frozen=True)
class BoardRow:
    """One KHI on the board page. Values are None when hidden or missing."""

    khi: KHI
    n: int | None
    count: int | None
    value: float | None
    lower95: float | None
    upper95: float | None
    lower998: float | None
    upper998: float | None
    suppressed: bool
    since_last_quarter: PeriodChange
    since_last_year: PeriodChange
    benchmark: float | None
    comparison: str  # better / similar / worse / not compared / n/a
    outside998: bool
    trend: str  # improving / worsening / no significant trend / not tested
    trend_p_value: float | None
    series: pd.DataFrame
    sentence: str
    flag: str = ""  # "attention", "improved" or ""

    @property
    def code(self) -> str:
        return self.khi.code

    @property
    def name(self) -> str:
        return self.khi.name

    @property
    def domain(self) -> str:
        return self.khi.domain


@dataclass(frozen=True)
class Flag:
    """An exception for the board: needs attention, or improved."""

    code: str
    name: str
    kind: str  # "attention" or "improved"
    reason: str


@dataclass(frozen=True)
class Caveats:
    """How much to trust this quarter's numbers.

    ``responses`` and ``response_rate`` are None when fewer than ``min_base``
    responses were made (the base of every hidden cell is never shown).
    """

    responses: int | None
    responses_hidden: bool
    people_supported: int | None  # by the schemes that sent an activity return
    responses_with_return: int | None  # surveys from those schemes
    response_rate: float | None  # percent: responses_with_return / people_supported
    rate_withheld: bool  # not shown: it would reveal a small scheme's number of surveys
    schemes: int
    schemes_missing_return: tuple[str, ...]
    min_base: int
    min_compare: int

    def sentences(self) -> list[str]:
        out = []
        if self.responses_hidden:
            out.append(
                f"Fewer than {self.min_base} surveys were returned this quarter, so "
                "every number is hidden to protect privacy."
            )
        elif self.responses is not None:
            out.append(f"{self.responses:,} surveys were returned this quarter.")
        if self.response_rate is not None:
            out.append(
                f"Response rate {self.response_rate:.0f}%: {self.responses_with_return:,} "
                f"surveys for the {self.people_supported:,} people supported by the schemes "
                "that sent an activity return."
            )
        elif self.rate_withheld:
            out.append("The response rate is not shown: the schemes without an activity "
                       f"return sent fewer than {self.min_base} surveys, and the rate would "
                       "give their number away.")
        elif not self.responses_hidden:
            out.append("No activity return gives the number of people supported, so there "
                       "is no response rate.")
        missing = self.schemes_missing_return
        if missing:
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more"
                                              if len(missing) > 8 else "")
            noun = "scheme has" if len(missing) == 1 else "schemes have"
            out.append(
                f"{len(missing)} {noun} not sent an activity return for this quarter "
                f"({shown}); the response rate leaves them out."
            )
        out.append(
            f"Numbers based on fewer than {self.min_base} answers are hidden; below "
            f"{self.min_compare} answers a number is shown but not compared."
        )
        return out


@dataclass(frozen=True)
class BoardPack:
    """Everything the board page shows for one quarter and area."""

    quarter: dt.date
    quarter_label: str
    previous_label: str
    last_year_label: str
    area_label: str
    area_kind: str  # "all", "region" or "scheme"
    region: str | None
    scheme: str | None
    rows: tuple[BoardRow, ...]
    attention: tuple[Flag, ...]
    improved: tuple[Flag, ...]
    summary: tuple[str, ...]
    caveats: Caveats
    is_demo: bool
    settings: Settings = field(default_factory=Settings)

    @property
    def benchmark_applies(self) -> bool:
        return self.area_kind != "all"

    def domains(self) -> list[tuple[str, list[BoardRow]]]:
        """Rows grouped by domain, in catalogue order."""
        grouped: dict[str, list[BoardRow]] = {}
        for row in self.rows:
            grouped.setdefault(row.domain, []).append(row)
        return list(grouped.items())

    def row(self, code: str) -> BoardRow:
        for row in self.rows:
            if row.code == code:
                return row
        raise ValueError(f"The board pack has no KHI {code!r}")

    def to_frame(self) -> pd.DataFrame:
        """The numbers as a tidy table (one row per KHI) for the CSV download.

        Hidden cells are empty (never a number); flags and sentences are included.
        """
        records = []
        for r in self.rows:
            lq, ly = r.since_last_quarter, r.since_last_year
            records.append(
                {
                    "quarter": self.quarter_label,
                    "area": self.area_label,
                    "domain": r.domain,
                    "khi": r.code,
                    "name": r.name,
                    "measure": r.khi.measure,
                    "unit": "percent" if r.khi.is_proportion else "mean",
                    "polarity": r.khi.polarity,
                    "n": r.n,
                    "count": r.count,
                    "value": r.value,
                    "lower95": r.lower95,
                    "upper95": r.upper95,
                    "lower998": r.lower998,
                    "upper998": r.upper998,
                    "suppressed": r.suppressed,
                    "previous_quarter": lq.quarter_label,
                    "previous_value": lq.previous,
                    "change_since_previous": as_number(lq.test.difference),
                    "change_since_previous_lower95": as_number(lq.test.lower95),
                    "change_since_previous_upper95": as_number(lq.test.upper95),
                    "change_since_previous_level": lq.test.level,
                    "change_since_previous_verdict": lq.verdict,
                    "last_year_quarter": ly.quarter_label,
                    "last_year_value": ly.previous,
                    "change_since_last_year": as_number(ly.test.difference),
                    "change_since_last_year_lower95": as_number(ly.test.lower95),
                    "change_since_last_year_upper95": as_number(ly.test.upper95),
                    "change_since_last_year_level": ly.test.level,
                    "change_since_last_year_verdict": ly.verdict,
                    "benchmark": r.benchmark,
                    "comparison": r.comparison,
                    "outside998": r.outside998,
                    "trend": r.trend,
                    "trend_p_value": r.trend_p_value,
                    "flag": r.flag,
                    "summary": r.sentence,
                }
            )
        frame = pd.DataFrame.from_records(records)
        for column in ("n", "count"):
            frame[column] = pd.array(frame[column], dtype="Int64")
        return frame


def group_flags(flags: tuple[Flag, ...] | list[Flag]) -> list[tuple[str, list[str]]]:
    """Flags that share a reason, together: [(reason, [names...]), ...] in first-seen order.

    Fourteen KHIs "improving over the last quarters" read better as one line.
    """
    grouped: dict[str, list[str]] = {}
    for flag in flags:
        grouped.setdefault(flag.reason, []).append(flag.name)
    return list(grouped.items())


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
        raise ValueError("Give a region or a scheme, not both.")
    if scheme:
        register = store.schemes()
        match = register[register["scheme_id"] == scheme]
        if match.empty:
            raise ValueError(
                f"Unknown scheme {scheme!r}: use a scheme id from the register "
                "(the Schemes page or `python -m kpi uploads` lists them)."
            )
        if scope is not None and scheme not in scope:
            raise ValueError(f"Scheme {scheme!r} is outside the schemes you may see.")
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
            raise ValueError(
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


def _with_quarters(series: pd.DataFrame | None) -> pd.DataFrame:
    """The engine's per-quarter frame with a ``quarter`` date column (from its label
    when the frame only has ``quarter_label``)."""
    if series is None or series.empty:
        return pd.DataFrame(columns=["quarter"])
    out = series.copy()
    if "quarter" in out:
        out["quarter"] = pd.to_datetime(out["quarter"]).dt.date
    elif "quarter_label" in out:
        out["quarter"] = [parse_quarter(str(label)) for label in out["quarter_label"]]
    else:
        raise ValueError("the engine's trend frame has neither quarter nor quarter_label")
    return out


def _quarter_row(series: pd.DataFrame, quarter: dt.date) -> pd.Series | None:
    hit = series[series["quarter"] == quarter] if len(series) else series
    return None if hit.empty else hit.iloc[0]


def _moments(row: pd.Series | dict, khi: KHI) -> tuple[float | None, float | None, float | None]:
    """(value, sd, n) of a mean cell; sd from the engine or backed out of its interval."""
    value, n = _float(row, "value"), _float(row, "n")
    sd = _float(row, "sd")
    if sd is None and n is not None:
        lo, up = _float(row, "lower95"), _float(row, "upper95")
        if lo is not None and up is not None:
            sd = _sd_from_interval(lo, up, n)
    return value, sd, n


def _period_change(
    khi: KHI,
    current: pd.Series | dict,
    earlier: pd.Series | None,
    period: str,
    quarter: dt.date,
    settings: Settings,
) -> PeriodChange:
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
    if khi.is_proportion:
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


def _series_frame(series: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    """The run-chart series over the ``SERIES_QUARTERS`` quarters ending ``end``.

    Columns: quarter, quarter_label, n, value, lower95, upper95, suppressed. Quarters
    the engine did not return are empty rows (a gap in the chart); hidden quarters
    keep ``suppressed`` true and no numbers. Built from plain lists: a merge per KHI
    cost more than the rest of the pack's own work.
    """
    quarters = [shift_quarter(end, k - SERIES_QUARTERS + 1) for k in range(SERIES_QUARTERS)]
    by_quarter: dict[dt.date, dict] = {}
    if len(series):
        for record in series.drop_duplicates("quarter").to_dict("records"):
            by_quarter[record["quarter"]] = record
    records = [by_quarter.get(q, {}) for q in quarters]
    hidden = []
    for record in records:
        flag = record.get("suppressed")
        hidden.append(False if flag is None or pd.isna(flag) else bool(flag))
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


def _change_reason(khi: KHI, change: PeriodChange, value: float | None) -> str:
    """"got worse since last quarter (40% to 45%; unlikely to be chance)"."""
    verb = "improved" if change.verdict == "improved" else "got worse"
    before, after = value_pair(change.previous, value, khi)  # type: ignore[arg-type]
    return (f"{verb} since {change.period} ({before} to {after}; "
            f"{chance_words(change.test.level)})")


def _benchmark_reason(row: BoardRow) -> str:
    """"clearly worse than England (32% against 25%; very unlikely to be chance)"."""
    strength = "clearly " if row.outside998 else ""
    level = LEVEL_998 if row.outside998 else LEVEL_95
    return (f"{strength}{row.comparison} than England ({format_value(row.value, row.khi)} "
            f"against {format_value(row.benchmark, row.khi)}; {chance_words(level)})")


def _flags(rows: list[BoardRow], benchmark_applies: bool) -> tuple[list[Flag], list[Flag]]:
    """Needs attention: every KHI worse than England (outside its 95% interval, by
    polarity) or getting significantly worse (since last quarter, since the same
    quarter last year, or over the eight-quarter trend). Improved is the mirror.

    A KHI can be in both lists (worse than England yet improving): each list gives
    its own reasons. Hidden KHIs are in neither.
    """
    attention, improved = [], []
    for r in rows:
        if r.suppressed:
            continue
        for kind, bench, verdict, trend, trend_reason, out in (
            ("attention", "worse", "worsened", "worsening",
             "getting worse over the last eight quarters (a steady trend, unlikely to be "
             "chance)", attention),
            ("improved", "better", "improved", "improving",
             "improving over the last eight quarters (a steady trend, unlikely to be "
             "chance)", improved),
        ):
            reasons = []
            if benchmark_applies and r.comparison == bench:
                reasons.append(_benchmark_reason(r))
            for change in (r.since_last_quarter, r.since_last_year):
                if change.verdict == verdict:
                    reasons.append(_change_reason(r.khi, change, r.value))
            if r.trend == trend:
                reasons.append(trend_reason)
            if reasons:
                out.append(Flag(r.code, r.name, kind, "; ".join(reasons)))
    return attention, improved


def _names(names: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def comparison_sentences(rows: list[BoardRow] | tuple[BoardRow, ...]) -> list[str]:
    """How the area compares with England, counted over the KHIs compared.

    "Worse than England on 7 of 26 indicators compared, better on 2 and similar on
    17." then the worse ones by name (those beyond the 99.8% limit said so).
    """
    compared = [r for r in rows if not r.suppressed and r.comparison in
                ("better", "similar", "worse")]
    if not compared:
        return ["Too few answers to compare any indicator with England."]
    worse = [r for r in compared if r.comparison == "worse"]
    better = [r for r in compared if r.comparison == "better"]
    similar = len(compared) - len(worse) - len(better)
    noun = "indicator" if len(compared) == 1 else "indicators"
    out = [f"Worse than England on {len(worse)} of {len(compared)} {noun} compared, "
           f"better on {len(better)} and similar on {similar}."]
    if worse:
        clearly = [r.name for r in worse if r.outside998]
        text = f"Worse than England: {_names([r.name for r in worse])}."
        if clearly:
            text += (f" Clearly worse (very unlikely to be chance): {_names(clearly)}.")
        out.append(text)
    if better:
        out.append(f"Better than England: {_names([r.name for r in better])}.")
    return out


def _summary(
    rows: list[BoardRow],
    attention: list[Flag],
    improved: list[Flag],
    quarter: str,
    area: str,
    caveats: Caveats,
    min_compare: int = 10,
    benchmark_applies: bool = True,
) -> list[str]:
    sentences = []
    if caveats.responses_hidden:
        sentences.append(f"{area}, {quarter}: too few surveys were returned to show any number.")
    elif benchmark_applies:
        opening = comparison_sentences(rows)
        first = opening[0][0].lower() + opening[0][1:]
        sentences.append(f"{area}, {quarter}: {first}")
        sentences.extend(opening[1:])
    if caveats.responses is not None and not caveats.responses_hidden:
        lead = "" if benchmark_applies else f"{area}, {quarter}: "
        sentences.append(f"{lead}{caveats.responses:,} surveys were returned.")
    getting_worse = [
        r.name for r in rows if not r.suppressed and (
            "worsened" in (r.since_last_quarter.verdict, r.since_last_year.verdict)
            or r.trend == "worsening")
    ]
    if getting_worse:
        sentences.append(f"Getting worse: {_names(getting_worse)}.")
    real = [r for r in rows if r.since_last_quarter.significant]
    sentences.extend(r.sentence for r in real)
    chance = [r for r in rows if r.since_last_quarter.verdict == "could be chance"]
    if chance:
        if real:
            sentences.append(
                f"The other {len(chance)} changes since last quarter are small enough "
                "to be chance."
            )
        else:
            sentences.append(
                f"None of the {len(chance)} changes since last quarter is big enough "
                "to rule out chance."
            )
    untested = [r for r in rows if r.since_last_quarter.verdict == "too few answers"
                and not r.suppressed]
    if untested and not real and not chance:
        sentences.append(
            "Too few answers to test any change since last quarter (a change is tested "
            f"only when both quarters have at least {min_compare} answers)."
        )
    yearly: dict[str, list[str]] = {"improved": [], "worsened": []}
    for r in rows:
        if r.since_last_year.significant:
            yearly[r.since_last_year.verdict].append(r.name)
    parts = [
        f"{len(names)} {'indicator' if len(names) == 1 else 'indicators'} {verdict}: "
        + ", ".join(names)
        for verdict, names in yearly.items()
        if names
    ]
    if parts:
        sentences.append("Compared with the same quarter last year, " + "; ".join(parts) + ".")
    few = [r.name for r in rows if r.suppressed]
    if few:
        sentences.append("Too few answers to say: " + ", ".join(few) + ".")
    return sentences


def _caveats(
    store: Store, quarter: dt.date, filters: Filters, settings: Settings
) -> Caveats:
    """Responses, people supported, response rate and missing returns (engine outputs)."""
    totals = engine.response_totals(store, quarter, filters)
    responses = totals["responses"]
    people = totals["people_supported"]
    matched = totals["responses_with_return"]
    missing = engine.missing_returns(store, quarter=quarter, filters=filters)
    names: tuple[str, ...] = ()
    if missing is not None and len(missing):
        column = "name" if "name" in missing else "scheme_id"
        names = tuple(str(v) for v in missing[column])
    hidden = responses is not None and 0 < responses < settings.min_base
    rate = None
    # Showing the rate shows how many surveys came from schemes with a return; when
    # the rest are 1-4 surveys that would give away a small scheme's count.
    others = (responses or 0) - (matched or 0)
    withheld = 0 < others < settings.min_base
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
        return _board_summary(store, quarter, region, scheme, settings, scope)


def _board_summary(
    store: Store,
    quarter: dt.date | str | None,
    region: str | None,
    scheme: str | None,
    settings: Settings | None,
    scope: tuple[str, ...] | None,
) -> BoardPack:
    settings = settings or engine.default_settings()
    filters, area_label, area_kind = area_filters(store, region, scheme, scope)
    if quarter is None or (isinstance(quarter, str) and not quarter.strip()):
        latest = engine.latest_quarter(store)
        if latest is None:
            raise ValueError(
                "The store has no survey data yet: upload a survey export or load the "
                "demo (`python -m kpi demo`)."
            )
        q = parse_quarter(latest)
    else:
        q = parse_quarter(quarter)
    previous_q, last_year_q = shift_quarter(q, -1), shift_quarter(q, -4)

    table = engine.indicator_table(store, quarter=q, filters=filters, settings=settings)
    by_code = {str(r["khi"]): r for _, r in table.iterrows()} if len(table) else {}

    rows: list[BoardRow] = []
    series_by_code = engine.trends(
        store, [k.code for k in catalogue()], filters, SERIES_QUARTERS, q, settings
    )
    for khi in catalogue():
        current = by_code.get(khi.code, pd.Series({"khi": khi.code, "suppressed": False}))
        raw_series, trend_result = series_by_code[khi.code]
        series = _with_quarters(raw_series)
        suppressed = _is_true(current.get("suppressed", False))
        lq = _period_change(
            khi, current, _quarter_row(series, previous_q), "last quarter", previous_q,
            settings,
        )
        ly = _period_change(
            khi, current, _quarter_row(series, last_year_q), "the same quarter last year",
            last_year_q, settings,
        )
        trend_words, trend_p = trend_verdict(trend_result, khi)
        comparison = str(current.get("comparison", "not compared") or "not compared")
        if area_kind == "all":
            comparison = "n/a"
        value = None if suppressed else _float(current, "value")
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
                series=_series_frame(series, q),
                sentence=change_sentence(khi, value, suppressed, lq, settings.min_base),
            )
        )

    attention, improved = _flags(rows, area_kind != "all")
    kinds = {f.code: f.kind for f in improved} | {f.code: f.kind for f in attention}
    rows = [
        BoardRow(**{**r.__dict__, "flag": kinds.get(r.code, "")}) for r in rows
    ]
    caveats = _caveats(store, q, filters, settings)
    label = quarter_label(q)
    summary = _summary(
        rows, attention, improved, label, area_label, caveats, settings.min_compare,
        area_kind != "all",
    )
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
    )
