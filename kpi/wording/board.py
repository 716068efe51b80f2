"""The board's verdict words for one cell: the Board page, the tagged PDF and the
fpdf2 PDF all print these, so a cell reads the same everywhere.

Why here and not in the PDF module: the words were once in ``kpi.report``, which
the HTML and fpdf2 layouts imported while it imported them back (an import
cycle). Each function takes a :class:`kpi.board.BoardRow` (or its parts) and
returns text, with lines split by newline, and the colour the page and the PDF
give it (:mod:`kpi.palette`'s; never colour alone: the icon and words say it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpi.palette import BLUE, GREY, PRINT_INK, VERMILLION
from kpi.stats import spc
from kpi.stats.spc import MIN_POINTS
from kpi.wording import (
    LEVEL_95,
    LEVEL_998,
    chance_words,
    format_interval,
    format_value,
    is_improvement,
    value_pair,
)

if TYPE_CHECKING:  # kpi.board imports kpi.wording
    from kpi.board import BoardPack, BoardRow, Caveats, Flag, PeriodChange
    from kpi.catalogue import KHI

__all__ = [
    "TREND_REASONS",
    "arrow",
    "benchmark_reason",
    "benchmark_words",
    "change_reason",
    "change_words",
    "comparison_sentences",
    "join_names",
    "lead_sentences",
    "summary_sentences",
    "control_cell",
    "control_words",
    "row_cells",
    "tone",
    "trend_words",
    "value_words",
]

INK = PRINT_INK

# Why a KHI is on the board's lists for its recent trend (Fingertips' method).
TREND_REASONS = {
    "worsening": "getting worse over the last five quarters (recent trend, Fingertips' "
                 "method: very unlikely to be chance)",
    "improving": "improving over the last five quarters (recent trend, Fingertips' "
                 "method: very unlikely to be chance)",
}


def arrow(later: float | None, earlier: float | None) -> str:
    """▲ when the line goes up, ▼ when it goes down: the arrow follows the line, the
    words and colour say whether that is good (lower is better for some KHIs)."""
    if later is None or earlier is None or later == earlier:
        return "●"
    return "▲" if later > earlier else "▼"


def change_words(row: BoardRow, period: str) -> tuple[str, str]:
    """Icon, words and colour for a change ("quarter" or "year"); lines split by newline."""
    change = row.since_last_quarter if period == "quarter" else row.since_last_year
    if row.suppressed:
        return "–", GREY
    if change.verdict == "no data":
        return f"– No answers in {change.quarter_label}", GREY
    if change.verdict == "too few answers" or change.previous is None:
        return "– Too few answers to say", GREY
    before, after = value_pair(change.previous, row.value, row.khi)  # type: ignore[arg-type]
    moved = f"{before} → {after}"
    icon = arrow(row.value, change.previous)
    verb = "Rose" if icon == "▲" else "Fell"
    if change.verdict == "improved":
        return f"{icon} {verb}: an improvement\n{moved}\n{chance_words(change.test.level)}", BLUE
    if change.verdict == "worsened":
        return (f"{icon} {verb}: a worsening\n{moved}\n{chance_words(change.test.level)}",
                VERMILLION)
    return f"● Could be chance\n{moved}", INK


def value_words(row: BoardRow, min_base: int) -> str:
    """This quarter's value, interval and base; hidden cells show no number."""
    if row.suppressed:
        return f"Hidden\n(fewer than {min_base} answers)"
    if row.value is None:
        return "No answers"
    text = format_value(row.value, row.khi)
    interval = format_interval(row.lower95, row.upper95, row.khi)
    if interval:
        text += f"\n{interval}"
    if row.n is not None:
        text += f"\n{row.n:,} answered"
    return text


def benchmark_words(row: BoardRow, pack: BoardPack) -> tuple[str, str]:
    """The comparison with England in icon and words (never colour alone), and a colour.

    The arrow says whether the area is above or below England; the word says
    whether that is better or worse.
    """
    if not pack.benchmark_applies:
        return "n/a (this is the benchmark)", GREY
    england = format_value(row.benchmark, row.khi) if row.benchmark is not None else "–"
    if row.comparison in ("better", "worse"):
        icon = arrow(row.value, row.benchmark)
        side = "higher" if icon == "▲" else "lower"
        strength = "Clearly " if row.outside998 else ""
        word = row.comparison if strength else row.comparison.capitalize()
        colour = BLUE if row.comparison == "better" else VERMILLION
        return f"{icon} {strength}{word}: {side}\nEngland {england}", colour
    if row.comparison == "similar":
        return f"● Similar\nEngland {england}", INK
    return "○ Too few to compare", GREY


def trend_words(row: BoardRow) -> tuple[str, str]:
    """The recent trend (Fingertips' method) in icon and words, and a colour; the arrow is
    the line's direction (a falling line improves a KHI where lower is better)."""
    rising = is_improvement(row.khi, row.trend == "improving")
    icon, verb = ("▲", "Rising") if rising else ("▼", "Falling")
    if row.trend == "improving":
        return f"{icon} {verb}: improving", BLUE
    if row.trend == "worsening":
        return f"{icon} {verb}: worsening", VERMILLION
    if row.trend == "no significant trend":
        return "No clear trend", INK
    return "–", GREY


def control_words(row: BoardRow) -> tuple[str, str]:
    """The control chart's verdict in one line, and a colour by its variation icon.

    The sentence already opens with the icon's words ("Special cause variation,
    concerning (8 points, trial limits): …"), so they are not said twice."""
    words, sentence = row.control_words()
    if row.spc is not None and row.spc.verdict and not row.suppressed:
        text = sentence
    elif words == "Not enough quarters yet":
        k = 0 if row.spc is None else row.spc.points
        text = f"not enough quarters yet ({k} of the {MIN_POINTS} a control chart needs)."
    else:
        text = "no value this quarter, so no verdict."
    colour = {"special_cause_concern": VERMILLION,
              "special_cause_improvement": BLUE}.get(row.special_cause, INK)
    return f"Control chart: {text}", colour


def tone(text: str) -> str:
    """"good", "bad" or "" for one of the words above: the page colours by it."""
    if not text.startswith(("▲", "▼")):
        return ""  # an indicator's name, a value, a "could be chance"
    first = text.split("\n")[0].lower()
    if any(w in first for w in ("improvement", "improving", "better")):
        return "good"
    if any(w in first for w in ("worsening", "worse")):
        return "bad"
    return ""


def change_reason(khi: KHI, change: PeriodChange, value: float | None) -> str:
    """"got worse since last quarter (40% to 45%; unlikely to be chance)"."""
    verb = "improved" if change.verdict == "improved" else "got worse"
    before, after = value_pair(change.previous, value, khi)  # type: ignore[arg-type]
    return (f"{verb} since {change.period} ({before} to {after}; "
            f"{chance_words(change.test.level)})")


def benchmark_reason(row: BoardRow) -> str:
    """"clearly worse than England (32% against 25%; very unlikely to be chance)"."""
    strength = "clearly " if row.outside998 else ""
    level = LEVEL_998 if row.outside998 else LEVEL_95
    return (f"{strength}{row.comparison} than England ({format_value(row.value, row.khi)} "
            f"against {format_value(row.benchmark, row.khi)}; {chance_words(level)})")


# ------------------------------------------------------- the board's summary ---
def lead_sentences(rows: list[BoardRow], benchmark_applies: bool) -> list[str]:
    """What to look at first: special causes (concerning first), then KHIs worse
    than England without one; each says whether it is both."""
    shown = [r for r in rows if not r.suppressed]
    worse = {r.code for r in shown if benchmark_applies and r.comparison == "worse"}

    def named(r: BoardRow) -> str:
        return r.name + (" (also worse than England)" if r.code in worse else "")

    out = []
    for kind, words in ((spc.CONCERN, "concerning"), (spc.IMPROVEMENT, "improving"),
                        (spc.NEUTRAL_HIGH, "higher"), (spc.NEUTRAL_LOW, "lower")):
        hit = [named(r) for r in shown if r.special_cause == kind]
        if hit:
            out.append(f"Control chart, special cause variation ({words}): {join_names(hit)}.")
    plain = [r.name for r in shown if r.code in worse and not r.special_cause]
    if plain:
        out.append(f"Worse than England, with no special cause on its control chart: "
                   f"{join_names(plain)}.")
    return out


def join_names(names: list[str]) -> str:
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
        text = f"Worse than England: {join_names([r.name for r in worse])}."
        if clearly:
            text += (f" Clearly worse (very unlikely to be chance): {join_names(clearly)}.")
        out.append(text)
    if better:
        out.append(f"Better than England: {join_names([r.name for r in better])}.")
    return out


def summary_sentences(
    rows: list[BoardRow],
    attention: list[Flag],
    improved: list[Flag],
    quarter: str,
    area: str,
    caveats: Caveats,
    min_compare: int = 10,
    benchmark_applies: bool = True,
) -> list[str]:
    """The board's opening sentences: how the area compares with England, how many
    answered, what got worse, each real change, and what is too few to say."""
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
        sentences.append(f"Getting worse: {join_names(getting_worse)}.")
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


def control_cell(row: BoardRow) -> str:
    """The PDF's control-chart line without its label, for a table whose column's
    name already says it."""
    text = control_words(row)[0].removeprefix("Control chart: ")
    return text[:1].upper() + text[1:]


def row_cells(row: BoardRow, pack: BoardPack) -> tuple[str, str, str, str, str, str]:
    """One KHI's line of the board table in the PDF's words, each cell on one line:
    this quarter, since last quarter, since last year, recent trend, compared with
    England and the control chart (``control_cell``). Why one function: the board
    page's table and any other surface then say the same for the same cell."""

    def line(text: str) -> str:
        return text.replace("\n", " · ")

    return (
        line(value_words(row, pack.settings.min_base)),
        line(change_words(row, "quarter")[0]),
        line(change_words(row, "year")[0]),
        trend_words(row)[0],
        line(benchmark_words(row, pack)[0]),
        control_cell(row),
    )
