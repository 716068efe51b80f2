"""The quarterly board page: what changed, is it real, what needs attention.

Pure (no streamlit): the Board page, the PDF (:mod:`kpi.board.pdf`) and the tests
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

from kpi.board.build import (
    ALL_AREAS,
    SERIES_QUARTERS,
    area_filters,
    board_summaries,
    board_summary,
    period_change,
)
from kpi.board.changes import (
    ChangeTest,
    change_test_means,
    change_test_proportions,
    difference_of_means,
    difference_of_proportions,
)
from kpi.board.pack import BoardPack, BoardRow, Caveats, Flag, PeriodChange, group_flags
from kpi.wording import (
    GLOSSARY,
    LEVEL_95,
    LEVEL_998,
    LEVEL_NONE,
    LEVEL_UNTESTED,
    chance_words,
    change_sentence,
    format_interval,
    format_value,
    value_pair,
)
from kpi.wording.board import comparison_sentences

__all__ = [
    "BoardPack",
    "BoardRow",
    "Caveats",
    "ChangeTest",
    "Flag",
    "PeriodChange",
    "area_filters",
    "board_summaries",
    "board_summary",
    "period_change",
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
    # importable from kpi.board as before the package
    "ALL_AREAS",
    "SERIES_QUARTERS",
    "LEVEL_95",
    "LEVEL_998",
    "LEVEL_NONE",
    "LEVEL_UNTESTED",
]
