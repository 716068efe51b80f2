"""Statistical process control charts, as NHS England's *Making Data Count* reads them.

Why: boards in the NHS are told to read a series against its own process limits,
not two quarters against each other. The rules, constants and icons follow the
NHSRplotthedots R package (nhs-r-community/NHSRplotthedots, MIT), which implements
Making Data Count's "plot the dots":

* XmR chart: mean, moving ranges, limits mean ± 2.66 × mean moving range; moving
  ranges of 3.267 × their mean or more are screened out first (``screen_outliers``,
  the package default); "near the limits" is two thirds of the way (2 sigma)
  (R/ptd_spc_standard.R).
* p-chart, for proportions whose bases differ: p̄ = Σx/Σn, limits
  p̄ ± 3√(p̄(1−p̄)/nᵢ), near-limits at 2 sigma (same rules on top).
* Special cause, per point, in this order of precedence (R/ptd_calculate_point_type.R):
  beyond a limit; part of 7 points all increasing or all decreasing; two of three
  beyond 2 sigma on the same side of the mean; part of 7 points on one side of the
  mean (a point on the mean breaks a run).
* Variation icon: the type of the latest point, oriented by the KHI's polarity
  (R/geom_ptd_icon.R); assurance icon from the target against the latest limits
  (R/ptd_calculate_assurance_type.R).

Points: missing values (hidden or empty quarters) are gaps. They take no part in
the limits or the rules, which run over the shown points in order, and their point
type is ``"gap"``. NHSRplotthedots has no hard minimum; it calls limits from fewer
than 12 points "trial limits" (vignettes/number-of-points-required.Rmd) and says
"as long as you have 5 or 6 points, you can begin to use these charts". Here fewer
than :data:`MIN_POINTS` shown points give no verdict, and fewer than
:data:`TRIAL_BELOW` give a verdict on trial limits, said so in the sentence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kpi.errors import BadArgument

#: Fewer shown points than this: no verdict ("5 or 6 points" to begin, the stricter).
MIN_POINTS = 6
#: Fewer shown points than this: limits are trial limits (NHSRplotthedots' warning).
TRIAL_BELOW = 12
#: XmR limits: 3 sigma estimated from the mean moving range (3 / 1.128).
XMR_LIMIT = 2.66
#: Moving ranges at or above this multiple of their mean are screened out.
MR_SCREEN = 3.267
#: Runs and trends: 7 points (NHSRplotthedots' fixed shift and trend length).
RUN_LENGTH = 7

COMMON = "common_cause"
IMPROVEMENT = "special_cause_improvement"
CONCERN = "special_cause_concern"
NEUTRAL_HIGH = "special_cause_neutral_high"
NEUTRAL_LOW = "special_cause_neutral_low"
TOO_FEW = "too_few_points"
GAP = "gap"

PASS = "consistent_pass"
FAIL = "consistent_fail"
INCONSISTENT = "inconsistent"

#: Icon names as Making Data Count's legend says them.
VARIATION_WORDS = {
    COMMON: "Common cause variation",
    IMPROVEMENT: "Special cause variation: improving",
    CONCERN: "Special cause variation: concerning",
    NEUTRAL_HIGH: "Special cause variation: higher",
    NEUTRAL_LOW: "Special cause variation: lower",
    TOO_FEW: "Too few points for a verdict",
}
ASSURANCE_WORDS = {
    PASS: "Will consistently meet the target",
    FAIL: "Will consistently miss the target",
    INCONSISTENT: "Will sometimes meet and sometimes miss the target",
}


@dataclass(frozen=True)
class SpcResult:
    """A control chart and its verdicts; per-point tuples align with the input.

    ``special`` holds NHSRplotthedots' special-cause label for each point ("Above
    UCL", "7 Point Trend (Increasing)", "2 in 3 Below CL", "7 Points Above CL",
    "Common Cause", or "" for a gap); ``point_type`` the oriented type. ``variation``
    is the latest shown point's type (or ``"too_few_points"``); ``assurance`` is
    None without a target or with too few points.
    """

    chart: str
    values: tuple[float, ...]
    mean: float
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    points: int
    special: tuple[str, ...]
    point_type: tuple[str, ...]
    variation: str
    assurance: str | None
    target: float | None
    trial: bool
    sentence: str
    assurance_sentence: str | None

    @property
    def verdict(self) -> bool:
        """Whether there were enough points for a verdict."""
        return self.variation != TOO_FEW

    @property
    def sentences(self) -> str:
        """Every verdict, one sentence each, as shown under the chart."""
        return " ".join(s for s in (self.sentence, self.assurance_sentence) if s)


# ------------------------------------------------------------ the rules ---
# Ports of NHSRplotthedots' helpers (R/ptd_calculate_point_type.R), on arrays.


def seven_point_one_side_mean(relative_to_mean: Sequence[float]) -> np.ndarray:
    """1 where this point and the 6 before it are on the same side of the mean."""
    v = np.asarray(relative_to_mean, dtype=float)
    out = np.zeros(len(v))
    for i in range(RUN_LENGTH - 1, len(v)):
        window = v[i - RUN_LENGTH + 1 : i + 1]
        out[i] = float(v[i] != 0 and np.all(window == v[i]))
    return out


def part_of_seven(flags: Sequence[float]) -> np.ndarray:
    """1 where this point or one of the next 6 ends a run of 7 (so it is part of it)."""
    v = np.abs(np.asarray(flags, dtype=float)) == 1
    return np.array([float(v[i : i + RUN_LENGTH].any()) for i in range(len(v))])


def seven_point_trend(y: Sequence[float]) -> np.ndarray:
    """1 (-1) where this point ends 7 points each higher (lower) than the one before."""
    y = np.asarray(y, dtype=float)
    out = np.zeros(len(y))
    for i in range(RUN_LENGTH - 1, len(y)):
        d = np.sign(np.diff(y[i - RUN_LENGTH + 1 : i + 1]))
        if np.all(d == 1):
            out[i] = 1
        elif np.all(d == -1):
            out[i] = -1
    return out


def two_in_three(close: Sequence[float], relative_to_mean: Sequence[float]) -> np.ndarray:
    """1 where a window of 3 holding this point has 2+ near-limit points, all 3 on one side."""
    close = np.asarray(close, dtype=float)
    rtm = np.asarray(relative_to_mean, dtype=float)
    if len(close) == 0:
        return np.zeros(0)
    vp = np.concatenate([[0, 0], close, [0, 0]])
    rp = np.concatenate([[0, 0], rtm, [0, 0]])
    out = np.zeros(len(close))
    for i in range(len(close)):
        out[i] = float(any(
            vp[i + s : i + s + 3].sum() >= 2 and abs(rp[i + s : i + s + 3].sum()) == 3
            for s in range(3)
        ))
    return out


def special_cause_type(
    y: Sequence[float],
    relative_to_mean: Sequence[float],
    close_to_limits: Sequence[bool],
    outside_limits: Sequence[bool],
) -> list[str]:
    """NHSRplotthedots' label for each point, the first rule that applies winning."""
    y = np.asarray(y, dtype=float)
    rtm = np.asarray(relative_to_mean, dtype=float)
    close = np.asarray(close_to_limits, dtype=float)
    outside = np.asarray(outside_limits, dtype=bool)
    trend = part_of_seven(seven_point_trend(y))
    two3 = (two_in_three(close, rtm) == 1) & (close == 1)
    run = part_of_seven(seven_point_one_side_mean(rtm))
    sdy = np.sign(np.diff(y))
    # A point in a trend takes the direction of the step after it, where that step
    # is in the trend too (the package's "use right side"); else the step before.
    nxt = np.append(trend[1:], 0)
    right = np.append(sdy, sdy[-1:]) if len(sdy) else np.zeros(len(y))
    left = np.concatenate([[0], sdy])
    sdy = np.where((nxt != 0) & (trend != 0), right, left)
    out = []
    for i in range(len(y)):
        side = "Above" if rtm[i] > 0 else "Below"
        if outside[i]:
            out.append("Above UCL" if rtm[i] == 1 else "Below LCL")
        elif trend[i]:
            out.append(f"7 Point Trend ({'In' if sdy[i] == 1 else 'De'}creasing)")
        elif two3[i]:
            out.append(f"2 in 3 {side} CL")
        elif run[i]:
            out.append(f"7 Points {side} CL")
        else:
            out.append("Common Cause")
    return out


def point_type(special: str, improvement_direction: int) -> str:
    """A label oriented by which way is better (1 higher, -1 lower, 0 neither)."""
    v = 1 if ("Above" in special or "Increasing" in special) else (
        -1 if ("Below" in special or "Decreasing" in special) else 0
    )
    if improvement_direction == 0:
        return NEUTRAL_HIGH if v > 0 else NEUTRAL_LOW if v < 0 else COMMON
    v *= improvement_direction
    return IMPROVEMENT if v > 0 else CONCERN if v < 0 else COMMON


def assurance_type(target: float, lower: float, upper: float, improvement_direction: int) -> str:
    """Whether the process will meet the target: the target against the limits."""
    if target > upper:
        return FAIL if improvement_direction > 0 else PASS
    if target < lower:
        return PASS if improvement_direction > 0 else FAIL
    return INCONSISTENT


# ------------------------------------------------------------ the charts ---


def _direction(polarity: str) -> int:
    if polarity not in ("high", "low", "neutral"):
        raise BadArgument(f"polarity must be 'high', 'low' or 'neutral', not {polarity!r}")
    return {"high": 1, "low": -1, "neutral": 0}[polarity]


def xmr_limits(y: Sequence[float], screen_outliers: bool = True) -> tuple[float, float]:
    """The mean and the mean moving range (after screening) of complete values."""
    y = np.asarray(y, dtype=float)
    mean = float(y.mean())
    mr = np.abs(np.diff(y))
    if not len(mr):
        return mean, float("nan")
    amr = float(mr.mean())
    if screen_outliers:
        mr = mr[mr < MR_SCREEN * amr]
        amr = float(mr.mean()) if len(mr) else amr
    return mean, amr


def xmr_chart(
    values: Sequence[float | None],
    polarity: str = "high",
    target: float | None = None,
    screen_outliers: bool = True,
    unit: str = "",
) -> SpcResult:
    """An XmR (individuals) chart of ``values``; missing values are gaps."""
    y = _floats(values)
    shown = ~np.isnan(y)
    ys = y[shown]
    if len(ys) < MIN_POINTS:
        return _too_few("xmr", y, polarity, target, unit)
    mean, amr = xmr_limits(ys, screen_outliers)
    lower = np.full(len(y), mean - XMR_LIMIT * amr)
    upper = np.full(len(y), mean + XMR_LIMIT * amr)
    near = np.full(len(y), 2 * XMR_LIMIT / 3 * amr)
    return _finish("xmr", y, mean, lower, upper, mean - near, mean + near, polarity,
                   target, unit)


def p_chart(
    counts: Sequence[float | None],
    bases: Sequence[float | None],
    polarity: str = "high",
    target: float | None = None,
    scale: float = 100.0,
    unit: str = "%",
) -> SpcResult:
    """A p-chart of ``counts / bases`` (times ``scale``); missing counts are gaps."""
    x = _floats(counts)
    n = _floats(bases)
    if len(x) != len(n):
        raise BadArgument("counts and bases must have the same length")
    n = np.where(np.isnan(x), np.nan, n)
    if np.any(n[~np.isnan(n)] <= 0) or np.any(x[~np.isnan(x)] < 0) or np.any(x > n):
        raise BadArgument("bases must be positive and counts between 0 and the base")
    shown = ~np.isnan(x) & ~np.isnan(n)
    x = np.where(shown, x, np.nan)
    y = x / n * scale
    if shown.sum() < MIN_POINTS:
        return _too_few("p", y, polarity, target, unit)
    p = float(np.nansum(x) / np.nansum(n))
    sigma = np.sqrt(p * (1 - p) / n)
    lower = np.clip(p - 3 * sigma, 0, 1) * scale
    upper = np.clip(p + 3 * sigma, 0, 1) * scale
    return _finish("p", y, p * scale, lower, upper, (p - 2 * sigma) * scale,
                   (p + 2 * sigma) * scale, polarity, target, unit)


def _floats(values: Sequence[float | None]) -> np.ndarray:
    out = []
    for v in values:
        try:
            f = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            f = float("nan")
        out.append(f)
    return np.asarray(out, dtype=float)


def _too_few(chart: str, y: np.ndarray, polarity: str, target: float | None,
             unit: str) -> SpcResult:
    _direction(polarity)
    k = int((~np.isnan(y)).sum())
    nan = tuple(float("nan") for _ in y)
    return SpcResult(
        chart=chart, values=tuple(float(v) for v in y), mean=float("nan"), lower=nan,
        upper=nan, points=k, special=tuple("" for _ in y),
        point_type=tuple(GAP if math.isnan(v) else TOO_FEW for v in y),
        variation=TOO_FEW, assurance=None, target=target, trial=True,
        sentence=(
            f"Only {k} point{'s' if k != 1 else ''} to plot: a control chart needs at "
            f"least {MIN_POINTS}, so there is no verdict on variation yet."
        ),
        assurance_sentence=None,
    )


def _finish(chart, y, mean, lower, upper, near_lower, near_upper, polarity, target,
            unit) -> SpcResult:
    direction = _direction(polarity)
    shown = ~np.isnan(y)
    idx = np.flatnonzero(shown)
    ys = y[idx]
    outside = (ys > upper[idx]) | (ys < lower[idx])
    rtm = np.sign(ys - mean)
    close = ~outside & ((ys < near_lower[idx]) | (ys > near_upper[idx]))
    labels = special_cause_type(ys, rtm, close, outside)
    special = [""] * len(y)
    types = [GAP] * len(y)
    for i, label in zip(idx, labels, strict=True):
        special[i] = label
        types[i] = point_type(label, direction)
    last = int(idx[-1])
    variation = types[last]
    assurance = None
    if target is not None and not math.isnan(float(target)) and direction != 0:
        assurance = assurance_type(float(target), lower[last], upper[last], direction)
    trial = len(ys) < TRIAL_BELOW
    return SpcResult(
        chart=chart, values=tuple(float(v) for v in y), mean=float(mean),
        lower=tuple(float(v) for v in lower), upper=tuple(float(v) for v in upper),
        points=len(ys), special=tuple(special), point_type=tuple(types),
        variation=variation, assurance=assurance,
        target=None if target is None else float(target), trial=trial,
        sentence=_variation_sentence(variation, special[last], len(ys), mean, trial, unit),
        assurance_sentence=None if assurance is None else _assurance_sentence(
            assurance, float(target), unit),
    )


def _num(value: float, unit: str) -> str:
    """Percentages to whole points, other values to one decimal (as the pages do)."""
    return f"{value:.0f}%" if unit == "%" else f"{value:.1f}{unit}"


_RULE_WORDS = {
    "Above UCL": "the latest point is above the upper process limit",
    "Below LCL": "the latest point is below the lower process limit",
    "7 Point Trend (Increasing)": "the latest point is part of 7 rising in a row",
    "7 Point Trend (Decreasing)": "the latest point is part of 7 falling in a row",
    "2 in 3 Above CL": "2 of the latest 3 points are close to the upper limit",
    "2 in 3 Below CL": "2 of the latest 3 points are close to the lower limit",
    "7 Points Above CL": "the latest point is part of a run of 7 above the mean",
    "7 Points Below CL": "the latest point is part of a run of 7 below the mean",
}


def _variation_sentence(variation: str, special: str, k: int, mean: float, trial: bool,
                        unit: str) -> str:
    basis = f"{k} points" + (", trial limits" if trial else "")
    if variation == COMMON:
        return (
            f"Common cause variation ({basis}): the latest point is within what this "
            f"process usually does around its mean of {_num(mean, unit)}, so nothing "
            "special has changed."
        )
    meaning = {
        IMPROVEMENT: "something has changed for the better",
        CONCERN: "something has changed for the worse and is worth looking into",
        NEUTRAL_HIGH: "something has changed",
        NEUTRAL_LOW: "something has changed",
    }[variation]
    kind = {IMPROVEMENT: "improving", CONCERN: "concerning"}.get(variation, "special cause")
    return (
        f"Special cause variation, {kind} ({basis}): {_RULE_WORDS[special]} "
        f"(mean {_num(mean, unit)}), so {meaning}."
    )


def _assurance_sentence(assurance: str, target: float, unit: str) -> str:
    return {
        PASS: f"The process limits are all on the good side of the target of "
              f"{_num(target, unit)}, so it will consistently meet it unless something "
              "changes.",
        FAIL: f"The process limits are all on the wrong side of the target of "
              f"{_num(target, unit)}, so it will consistently miss it unless the "
              "process changes.",
        INCONSISTENT: f"The target of {_num(target, unit)} lies between the process "
                      "limits, so it will sometimes be met and sometimes missed.",
    }[assurance]
