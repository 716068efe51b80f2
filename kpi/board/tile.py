"""The Overview tile's verdicts: its change since an earlier quarter and its count of
comparisons with England, decided by the board's own test and words.

Why in ``kpi``: the Overview drew these itself, so the PDF and the command line
could not say the same; the change test is :func:`kpi.board.period_change` (the
board page's, with the same minimums and hidden cells) and the words are
:mod:`kpi.wording`'s, so a tile, a board row and the PDF never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from kpi.board.build import period_change
from kpi.catalogue import KHI
from kpi.indicators import Settings
from kpi.wording import as_number, change_since_words

__all__ = ["LAST_QUARTER", "LAST_YEAR", "comparison_counts", "is_hidden", "tile_change"]

LAST_QUARTER, LAST_YEAR = "last quarter", "the same quarter last year"


def is_hidden(row: pd.Series | None) -> bool:
    """True when the engine hid this cell (disclosure control)."""
    if row is None:
        return False
    flag = row.get("suppressed", False)
    return bool(flag) and not pd.isna(flag)


def tile_change(
    khi: KHI, now: pd.Series | None, before: pd.Series | None, previous: dt.date,
    settings: Settings, since: str = LAST_QUARTER,
) -> str:
    """Since an earlier quarter (``since``: last quarter, or the same quarter last
    year), in words: the difference and whether it could be chance. Never says
    anything about a hidden quarter."""
    none = f"No answers {since if since == LAST_QUARTER else 'in ' + since} to compare with."
    value_now = None if now is None else as_number(now.get("value"))
    if now is None or (value_now is None and not is_hidden(now)):
        return none
    change = period_change(khi, now, before, since, previous, settings)
    if change.verdict == "no data":
        return none
    if change.verdict == "too few answers":
        return f"Too few answers to say whether it changed since {since}."
    if value_now is None or change.previous is None:
        return none
    return change_since_words(
        khi, value_now, change.previous, change.test.significant, change.test.level, since
    )


def comparison_counts(comparisons: Iterable[object]) -> str:
    """"Compared with England: 3 ▲ better, 20 ● similar, 5 ▼ worse (of the indicators
    shown)." from the engine's comparison per KHI."""
    counts = pd.Series([str(c) for c in comparisons], dtype=object).value_counts()
    parts = [
        f"{counts.get(key, 0)} {words.lower()}"
        for key, words in (("better", "▲ Better"), ("similar", "● Similar"), ("worse", "▼ Worse"))
    ]
    return "Compared with England: " + ", ".join(parts) + " (of the indicators shown)."
