"""The words and number formats every page, the board pack and the PDF use.

Why one module: "is a rise good for this KHI?" (its polarity), "better" or
"worse", what a test's level means in plain words and how a value is printed
were written out on several pages and in the pack. Two copies drift, and a board
member would then read on the Overview that a change is an improvement while the
board page calls it chance. Everything here is a function of a KHI and numbers
the engine has already computed and disclosure-controlled: no streamlit, no
statistics, no store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the board's types; kpi.board imports this module
    from kpi.board import PeriodChange
    from kpi.catalogue import KHI

__all__ = [
    "CHANGE_NOUN",
    "BENCHMARK_NAMES",
    "COMPARISON_WORDS",
    "GLOSSARY",
    "LEVEL_95",
    "LEVEL_998",
    "LEVEL_NONE",
    "LEVEL_UNTESTED",
    "as_number",
    "chance_words",
    "change_headline",
    "change_row_headline",
    "change_sentence",
    "change_since_words",
    "comparison_level",
    "comparison_words",
    "level_words",
    "direction",
    "estimate_chance",
    "gap_answer",
    "gap_verdict",
    "fmt",
    "format_base",
    "format_interval",
    "format_value",
    "is_improvement",
    "p_words",
    "points_words",
    "polarity_words",
    "trend_sentence",
    "trend_verdict",
    "unit_words",
    "value_pair",
]

# A test's level: outside the 99.8% interval, outside the 95% only, tested and
# inside both (could be chance), or not tested (too few answers, no variation).
LEVEL_998 = "99.8%"
LEVEL_95 = "95%"
LEVEL_NONE = "none"
LEVEL_UNTESTED = "untested"


# ------------------------------------------------------------------ polarity ---
def polarity_words(khi: KHI) -> str:
    """Which direction is good, as the definitions say it: "higher is better"."""
    return "higher is better" if khi.polarity == "high" else "lower is better"


def is_improvement(khi: KHI, rising: bool) -> bool:
    """True when the KHI moving up (``rising``) or down (not ``rising``) is good.

    The one place that reads a KHI's polarity for words: where lower is better
    (loneliness), a falling line is an improvement.
    """
    return rising == (khi.polarity == "high")


def direction(khi: KHI, difference: float, significant: bool = True) -> str:
    """A change in words by polarity: "better", "worse" or "no clear change".

    ``significant`` false (the test says it could be chance) or no difference at
    all is "no clear change", whatever the sign.
    """
    if not significant or difference == 0 or math.isnan(difference):
        return "no clear change"
    return "better" if is_improvement(khi, difference > 0) else "worse"


# "an improvement" / "a worsening": what a real change is called in a sentence.
CHANGE_NOUN = {"better": "an improvement", "worse": "a worsening"}


# ------------------------------------------------------------ significance ---
def chance_words(level: str) -> str:
    """A test's level in plain words (the glossary explains them)."""
    if level == LEVEL_998:
        return "very unlikely to be chance"
    if level == LEVEL_95:
        return "unlikely to be chance"
    return "could be chance"


def p_words(p_value: float) -> str:
    """A p-value as printed in reports: ``p = 0.03``, ``p < 0.001``."""
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


# Benchmark results (the engine's ``comparison``) as an icon and words: never
# colour alone (WCAG 1.4.1). The colours are ``kpi.charts.palette``'s.
COMPARISON_WORDS = {
    "better": ("▲", "Better than England"),
    "similar": ("●", "Similar to England"),
    "worse": ("▼", "Worse than England"),
    "not compared": ("○", "Not compared (too few answers)"),
}


# Each benchmark of the engine (``kpi.indicators.BENCHMARKS``) by name, for the words
# of a comparison: a cell says what it was compared with.
BENCHMARK_NAMES = {
    "england": "England",
    "region": "its region",
    "support_type": "schemes of the same support type",
}


def comparison_level(comparison: object, outside998: object = False) -> str:
    """The level a benchmark comparison reached, by the one rule every page uses.

    Why one rule: the schemes table flagged at 95% while the funnel named only the
    99.8% outliers, so "real or chance?" had two answers. "better"/"worse" is at
    least the 95% level; the engine's ``outside998`` lifts it to 99.8%. "similar" is
    tested and inside (``LEVEL_NONE``); anything else was not tested.
    """
    word = str(comparison)
    if word in ("better", "worse"):
        return LEVEL_998 if _true(outside998) else LEVEL_95
    return LEVEL_NONE if word == "similar" else LEVEL_UNTESTED


def level_words(comparison: object, level: str) -> str:
    """"clearly worse" (99.8%), "worse" (95%), else the comparison's own word."""
    word = str(comparison)
    if word in ("better", "worse") and level == LEVEL_998:
        return f"clearly {word}"
    return word


def comparison_words(
    comparison: object, benchmark: str = "england", outside998: object = False
) -> str:
    """"▼ Clearly worse than England (99.8% level)", "▲ Better than its region (95%
    level)", "● Similar to England"; unknown words as given. The level is
    ``comparison_level``'s, so a tile, a table and a CSV say the same."""
    word = str(comparison)
    icon, words = COMPARISON_WORDS.get(word, ("", word))
    if benchmark != "england" and word in ("better", "similar", "worse"):
        words = words.replace("England", BENCHMARK_NAMES[benchmark])
    level = comparison_level(word, outside998)
    if level in (LEVEL_95, LEVEL_998):
        words = f"{level_words(word, level).capitalize()}{words[len(word):]} ({level} level)"
    return f"{icon} {words}".strip()


def _true(flag: object) -> bool:
    """A flag from the engine's table: NaN and None are false."""
    try:
        return bool(flag) and not math.isnan(float(flag))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return bool(flag)


# The pack's short glossary: the words it uses for its statistics.
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("95% interval", "the range the true value is likely to lie in, given how many people "
     "answered; fewer answers give a wider range."),
    ("Unlikely to be chance", "a difference as large as this would turn up by chance "
     "alone less than once in 20 times (outside the 95% interval)."),
    ("Very unlikely to be chance", "less than once in 500 times (outside the 99.8% "
     "interval). \"Clearly worse\" or \"clearly better\" than England means this."),
    ("Could be chance", "the difference is small enough to be the luck of who answered."),
    ("Similar to England", "England's value lies inside the area's 95% interval."),
    ("Recent trend", "a steady rise or fall over the last five quarters, very unlikely to "
     "be chance (99.8%) and still there with any one quarter left out (Fingertips' "
     "method)."),
    ("Hidden", "fewer than the minimum number of people answered, so no number is shown "
     "to protect their privacy."),
)


# ------------------------------------------------------------------- numbers ---
def as_number(value: object) -> float | None:
    """A number, or None for missing (None, NaN, pandas NA, text)."""
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def fmt(value: object, percent: bool, digits: int | None = None) -> str:
    """A value as a chart labels it: ``67%`` or ``23.4``; empty for missing.

    Percentages to whole points and means to one decimal, as everywhere.
    """
    number = as_number(value)
    if number is None:
        return ""
    places = (0 if percent else 1) if digits is None else digits
    return f"{number:.{places}f}{'%' if percent else ''}"


def format_value(value: object, khi: KHI, decimals: int | None = None) -> str:
    """A KHI value as people read it: 14%, 23.4, or +1.2 for a change measure; "–"
    when hidden or missing. A value that rounds to nothing is 0, never "-0%"."""
    number = as_number(value)
    if number is None:
        return "–"
    places = (0 if khi.is_proportion else 1) if decimals is None else decimals
    if round(number, places) == 0:
        number = 0.0
    if khi.is_proportion:
        return f"{number:.{places}f}%"
    if khi.measure == "change" and number != 0:
        return f"{number:+.{places}f}"
    return f"{number:.{places}f}"


def format_interval(lower: object, upper: object, khi: KHI) -> str:
    """A 95% interval: "12% to 18%" or "22.1 to 24.0"; empty when either end is missing."""
    low, up = as_number(lower), as_number(upper)
    if low is None or up is None:
        return ""
    if khi.is_proportion:
        return f"{low:.0f}% to {up:.0f}%"
    return f"{low:.1f} to {up:.1f}"


def format_base(n: object) -> str:
    """How many answered: "1,234"; "–" when unknown (or hidden)."""
    number = as_number(n)
    return "–" if number is None else f"{int(number):,}"


def value_pair(earlier: float, later: float, khi: KHI) -> tuple[str, str]:
    """Both values formatted with enough decimals to tell them apart (up to 2 more)."""
    base = 0 if khi.is_proportion else 1
    for extra in range(3):
        a = format_value(earlier, khi, base + extra)
        b = format_value(later, khi, base + extra)
        if a != b:
            return a, b
    return format_value(earlier, khi), format_value(later, khi)


# -------------------------------------------------------------------- trends ---
def trend_verdict(result: object, khi: KHI) -> tuple[str, float | None]:
    """The engine's trend test as the board says it: "improving", "worsening",
    "no significant trend" or "not tested", with its p-value."""
    trend = getattr(result, "direction", None)
    p_value = as_number(getattr(result, "p_value", None))
    if trend in ("increasing", "decreasing"):
        good = is_improvement(khi, trend == "increasing")
        return ("improving" if good else "worsening"), p_value
    if p_value is None:
        return "not tested", None
    return "no significant trend", p_value


def trend_sentence(result: object, khi: KHI, quarters: int) -> str:
    """The engine's trend test in plain English (Markdown), by the KHI's polarity."""
    trend = getattr(result, "direction", None)
    p_value = as_number(getattr(result, "p_value", None))
    periods = getattr(result, "periods", quarters)
    if trend in ("increasing", "decreasing") and p_value is not None:
        good = is_improvement(khi, trend == "increasing")
        moving = "rising" if trend == "increasing" else "falling"
        verdict = "improving" if good else "getting worse"
        return (
            f"**{'▲' if good else '▼'} {khi.name} is {moving} over the last {periods} quarters: "
            f"it is {verdict}, and the trend is unlikely to be chance** (linear trend test "
            f"over the quarters shown, 95%: {p_words(p_value)})."
        )
    if p_value is None:
        return "There are too few quarters with enough answers to test for a trend."
    return (
        f"**● No clear trend** over the last {periods} quarters: the ups and downs could be "
        f"chance (linear trend test over the quarters shown, 95%: {p_words(p_value)})."
    )


# ------------------------------------------------------------------- changes ---
def change_sentence(
    khi: KHI,
    value: float | None,
    suppressed: bool,
    change: PeriodChange,
    min_base: int = 5,
) -> str:
    """One plain-English sentence about a KHI's change since an earlier quarter.

    It says a change is real only when the test reached the 95% or 99.8% level, uses
    "improved"/"worsened" only then (by the KHI's polarity), never quotes a hidden
    value, and says "too few answers" when either quarter is hidden or small.

    Parameters
    ----------
    khi : KHI
        The indicator (name, measure, polarity).
    value : float or None
        This quarter's value as the engine shows it (None when hidden or missing).
    suppressed : bool
        True when the engine hid this quarter's value.
    change : PeriodChange
        The comparison with the earlier quarter.
    min_base : int, default 5
        The disclosure minimum, quoted in "fewer than N answers".

    Returns
    -------
    str
        The sentence.
    """
    name = khi.name
    since = f"since {change.period}"
    if suppressed:
        return f"{name}: too few answers to say (fewer than {min_base} this quarter)."
    if as_number(value) is None:
        return f"{name}: no answers this quarter."
    now = format_value(value, khi)
    if change.verdict == "no data":
        return f"{name}: {now} this quarter; no answers in {change.quarter_label} to compare with."
    if change.verdict == "too few answers" or change.previous is None:
        return f"{name}: {now} this quarter; too few answers to say whether it changed {since}."
    before, after = value_pair(change.previous, value, khi)  # type: ignore[arg-type]
    if before == after:
        moved = f"stayed at {after} {since}"
    else:
        verb = "rose" if value > change.previous else "fell"  # type: ignore[operator]
        moved = f"{verb} from {before} to {after} {since}"
    if change.verdict in ("improved", "worsened"):
        good = CHANGE_NOUN["better" if change.verdict == "improved" else "worse"]
        return f"{name}: {moved}, {good}; a change this large is {chance_words(change.test.level)}."
    if change.test.level == LEVEL_UNTESTED:
        return f"{name}: {moved}; there is too little variation to test the change."
    return f"{name}: {moved}; a change this small could be chance."


def change_since_words(
    khi: KHI, value_now: float, value_before: float, significant: bool, level: str,
    since: str = "last quarter",
) -> str:
    """Since an earlier quarter in words, for a tile: the difference (in points for
    percentages) and whether it could be chance (``level`` as the board's tests give
    it). ``since``: "last quarter" or "the same quarter last year"."""
    diff = value_now - value_before
    digits = 0 if khi.is_proportion else 1
    size = f"{abs(diff):.{digits}f}"
    if float(size) == 0 and not significant:
        return f"No change since {since}."
    moved = f"{'Up' if diff > 0 else 'Down'} "
    moved += f"{points_words(size) if khi.is_proportion else size} since {since}"
    if significant:
        verdict = CHANGE_NOUN["better" if is_improvement(khi, diff > 0) else "worse"]
        real = "a real change" if level == LEVEL_998 else "likely a real change"
        return f"{moved}: {verdict}, {real} ({level} level)."
    if level == LEVEL_UNTESTED:
        return f"{moved}; too few answers to test the change."
    return f"{moved}; this could be chance."


# ------------------------------------------------------- gaps and estimates ---
def gap_verdict(significant: bool) -> str:
    """The Equity page's test of a gap between groups, as a sentence."""
    if significant:
        return "The groups really differ: a gap this large is unlikely to be chance."
    return "The difference could be chance."


def gap_answer(has_gap: bool, significant: bool) -> str:
    """"Real difference?" in the table of every grouping's gap: yes, no or a dash."""
    if not has_gap:
        return "–"
    return "Yes: unlikely to be chance" if significant else "No: could be chance"


def estimate_chance(real: bool) -> str:
    """How an interval that leaves out "no effect" (or not) ends a sentence."""
    return "unlikely to be chance" if real else "this could be chance"


def points_words(size: str, *, percentage: bool = False) -> str:
    """A difference of percentages as written (``size``, e.g. "6"), in points: "1
    point", "6 points" ("percentage points" where a sentence names the unit)."""
    unit = "point" if size.lstrip("-") == "1" else "points"
    return f"{size} {'percentage ' if percentage else ''}{unit}"


def unit_words(khi: KHI) -> str:
    """The unit a change KHI's average moves in."""
    return "points on the wellbeing scale" if "swemwbs" in khi.code else "friends"


def change_headline(
    khi: KHI, change: float | None, lower: float | None, upper: float | None,
    n: int | None, suppressed: bool = False,
) -> str:
    """The same people's average change in words (the Change over time page): size,
    interval, and whether it is real: only when the 95% interval leaves out zero."""
    if suppressed or as_number(change) is None:
        return "Too few people with two or more answers to show."
    low, up = as_number(lower), as_number(upper)
    direction = "rose" if change > 0 else "fell" if change < 0 else "did not change"  # type: ignore[operator]
    amount = f" by {abs(change):.2f} {unit_words(khi)} on average" if change else " on average"  # type: ignore[arg-type]
    tested = low is not None and up is not None
    interval = f" (95% interval {low:+.2f} to {up:+.2f})" if tested else ""
    if tested and (low > 0 or up < 0):  # type: ignore[operator]
        noun = "improvement" if is_improvement(khi, change > 0) else "worsening"  # type: ignore[operator]
        verdict = f" **This is a real {noun}.**"
    else:
        verdict = " This could be chance."
    people = f"For the {n:,} people" if n else "For people"
    return (
        f"{people} who answered two or more times, {khi.name.lower().removeprefix('change in ')}"
        f" {direction}{amount}{interval} between their first and latest answer.{verdict}"
    )


def change_row_headline(khi: KHI, row: Mapping[str, object]) -> str:
    """``change_headline`` for a row of the engine's ``change`` table (its
    mean_change, lower95, upper95, n and suppressed)."""
    n = as_number(row.get("n"))
    return change_headline(
        khi, as_number(row.get("mean_change")), row.get("lower95"), row.get("upper95"),  # type: ignore[arg-type]
        int(n) if n is not None else None, bool(row.get("suppressed", False)),
    )
