"""Disclosure control on plain pandas tables: which cells are hidden, worked out by hand.

Every expected set of hidden cells below is derived in the comments from the rule of
spec §4 and :mod:`kpi.disclosure`: hide a base of 1 to min_base - 1 (primary); in any
breakdown where exactly one cell is hidden, also hide its smallest cell with answers
(secondary); repeat until no breakdown has a lone hidden cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpi.disclosure import primary, suppress


def hidden_labels(frame: pd.DataFrame, mask: pd.Series, label: str) -> set:
    """The ``label`` values of the rows ``mask`` hides."""
    assert mask.dtype == bool
    assert mask.index.equals(frame.index)
    return set(frame.loc[mask, label])


def lone_hidden_breakdowns(
    frame: pd.DataFrame, mask: pd.Series, by: list[str], within: list[str]
) -> list[tuple]:
    """Breakdowns (one per dimension of ``by``) that have exactly one hidden cell.

    An independent check of the end state: written with groupby(dropna=False), not
    with the code under test.
    """
    bad = []
    for dimension in by:
        partition = [c for c in within if c != dimension]
        counts = (
            mask.groupby([frame[c] for c in partition], dropna=False).sum()
            if partition
            else pd.Series([mask.sum()])
        )
        bad.extend((dimension, key) for key, value in counts.items() if value == 1)
    return bad


# ------------------------------------------------------------------ primary ---
def test_primary_hides_bases_from_one_to_min_base_minus_one() -> None:
    n = pd.Series([0, 1, 2, 4, 5, 6, 100, np.nan])
    # min_base 5: 1, 2 and 4 are hidden; 0, 5, 6, 100 shown; a missing base is no base.
    assert primary(n, 5).tolist() == [False, True, True, True, False, False, False, False]
    # min_base 1 hides nothing; min_base 2 hides only a base of exactly 1.
    assert not primary(n, 1).any()
    assert primary(n, 2).tolist() == [False, True] + [False] * 6


def test_primary_accepts_text_numbers_and_nullable_ints() -> None:
    assert primary(pd.Series(["3", "7"]), 5).tolist() == [True, False]
    assert primary(pd.Series([pd.NA, 3, 0], dtype="Int64"), 5).tolist() == [False, True, False]


@pytest.mark.parametrize("min_base", [0, -1])
def test_min_base_below_one_is_refused(min_base: int) -> None:
    with pytest.raises(ValueError, match="min_base must be at least 1"):
        primary(pd.Series([1, 2]), min_base)
    frame = pd.DataFrame({"region": ["a", "b"], "n": [1, 9]})
    with pytest.raises(ValueError, match="min_base must be at least 1"):
        suppress(frame, by=["region"], within=["region"], min_base=min_base)


# --------------------------------------------------------------- secondary ---
def test_zero_bases_are_never_hidden_even_with_a_lone_hidden_cell() -> None:
    frame = pd.DataFrame({"region": ["a", "b", "c", "d"], "n": [0, 0, 0, 0]})
    assert not suppress(frame, by=["region"], within=["region"], min_base=5).any()
    # a is hidden (2); b (0) is the smallest cell but has no answers, so the next
    # smallest cell WITH answers, c (7), is hidden instead; d (9) is shown.
    frame = pd.DataFrame({"region": ["a", "b", "c", "d"], "n": [2, 0, 7, 9]})
    mask = suppress(frame, by=["region"], within=["region"], min_base=5)
    assert hidden_labels(frame, mask, "region") == {"a", "c"}


def test_a_lone_hidden_cell_pulls_in_the_next_smallest() -> None:
    # bases 12, 3, 40, 8, 25: only 3 is primary; the smallest other is 8 (d).
    frame = pd.DataFrame({"region": list("abcde"), "n": [12, 3, 40, 8, 25]})
    mask = suppress(frame, by=["region"], within=["region"], min_base=5)
    assert hidden_labels(frame, mask, "region") == {"b", "d"}
    # Without a breakdown dimension there is no secondary suppression.
    assert hidden_labels(frame, suppress(frame, by=[], within=["region"], min_base=5),
                         "region") == {"b"}


def test_two_hidden_cells_need_no_more() -> None:
    # 3 and 4 are both primary: a second hidden cell already protects each.
    frame = pd.DataFrame({"region": list("abcd"), "n": [3, 4, 6, 9]})
    mask = suppress(frame, by=["region"], within=["region"], min_base=5)
    assert hidden_labels(frame, mask, "region") == {"a", "b"}


def test_min_base_is_the_threshold_used() -> None:
    frame = pd.DataFrame({"region": list("abc"), "n": [9, 10, 30]})
    # min_base 10: 9 is hidden, 10 (next smallest) hidden with it.
    assert hidden_labels(frame, suppress(frame, ["region"], ["region"], 10), "region") == {
        "a", "b"}
    # min_base 5: nothing.
    assert not suppress(frame, ["region"], ["region"], 5).any()


def test_breakdowns_are_taken_within_the_other_keys() -> None:
    # Two KHIs: each KHI's regions add up to its own total, so they are separate
    # breakdowns. khi x: a=2 hidden, smallest other b=7. khi y: nothing small.
    frame = pd.DataFrame(
        {"khi": ["x", "x", "x", "y", "y", "y"], "region": list("abcabc"),
         "n": [2, 7, 9, 8, 7, 9]}
    )
    mask = suppress(frame, by=["region"], within=["khi", "region"], min_base=5)
    assert mask.tolist() == [True, True, False, False, False, False]


def test_the_base_column_can_be_named_and_the_index_is_kept() -> None:
    frame = pd.DataFrame(
        {"region": list("abc"), "people": [1, 50, 20]}, index=[10, 20, 30]
    )
    mask = suppress(frame, by=["region"], within=["region"], min_base=5, n="people")
    assert mask.index.tolist() == [10, 20, 30]
    assert mask.tolist() == [True, False, True]  # 1 hidden, then 20 (smaller than 50)


def test_two_dimensions_iterate_until_stable() -> None:
    # Bases by region (rows) and support type (columns); min_base 5:
    #
    #          s1   s2   s3
    #     r1    2   10   20        (r1, s1) = 2 is the only primary cell.
    #     r2   30    8   40
    #     r3   50   60   70
    #
    # Pass 1, dimension region (cells of one support type add up to its total):
    #   column s1 has one hidden cell (r1) -> hide its smallest other, (r2, s1) = 30.
    # Pass 1, dimension support_type (cells of one region):
    #   row r1: lone (r1, s1) -> hide (r1, s2) = 10 (smaller than 20);
    #   row r2: lone (r2, s1), hidden by the OTHER dimension -> hide (r2, s2) = 8.
    # Pass 2: columns s1 and s2 and rows r1 and r2 each have two hidden cells: stable.
    # (r2, s2) is hidden only because secondary suppression in one dimension left a
    # lone hidden cell in the other: a single pass per dimension would miss it.
    grid = {("r1", "s1"): 2, ("r1", "s2"): 10, ("r1", "s3"): 20,
            ("r2", "s1"): 30, ("r2", "s2"): 8, ("r2", "s3"): 40,
            ("r3", "s1"): 50, ("r3", "s2"): 60, ("r3", "s3"): 70}
    frame = pd.DataFrame(
        [(r, s, n) for (r, s), n in grid.items()], columns=["region", "support_type", "n"]
    )
    by = ["region", "support_type"]
    expected = {("r1", "s1"), ("r2", "s1"), ("r1", "s2"), ("r2", "s2")}
    for order in (by, by[::-1]):  # the order of the dimensions does not matter here
        mask = suppress(frame, by=order, within=by, min_base=5)
        got = set(zip(frame.loc[mask, "region"], frame.loc[mask, "support_type"]))
        assert got == expected
        assert lone_hidden_breakdowns(frame, mask, by, by) == []


def test_secondary_suppression_repeats_until_no_lone_cell_is_left() -> None:
    #          s1   s2   s3
    #     r1    2   10   20        (r1, s1) = 2 is the only primary cell.
    #     r2   30   40    9
    #     r3   50   60   70
    #
    # Pass 1, region (by support type): s1 lone (r1) -> hide (r2, s1) = 30.
    # Pass 1, support_type (by region): r1 lone (s1) -> hide (r1, s2) = 10;
    #   r2 lone (s1) -> hide (r2, s3) = 9.
    # Now columns s2 and s3 each have ONE hidden cell: a second pass is needed.
    # Pass 2, region: s2 lone (r1) -> hide (r2, s2) = 40 (< 60);
    #   s3 lone (r2) -> hide (r1, s3) = 20 (< 70).
    # Pass 2, support_type: rows r1 and r2 are fully hidden, r3 untouched: stable.
    grid = {("r1", "s1"): 2, ("r1", "s2"): 10, ("r1", "s3"): 20,
            ("r2", "s1"): 30, ("r2", "s2"): 40, ("r2", "s3"): 9,
            ("r3", "s1"): 50, ("r3", "s2"): 60, ("r3", "s3"): 70}
    frame = pd.DataFrame(
        [(r, s, n) for (r, s), n in grid.items()], columns=["region", "support_type", "n"]
    )
    by = ["region", "support_type"]
    mask = suppress(frame, by=by, within=by, min_base=5)
    got = set(zip(frame.loc[mask, "region"], frame.loc[mask, "support_type"]))
    assert got == {(r, s) for r in ("r1", "r2") for s in ("s1", "s2", "s3")}
    assert lone_hidden_breakdowns(frame, mask, by, by) == []
    # Taken in the other order the cells chosen differ, but no breakdown is left with
    # a lone hidden cell either.
    other = suppress(frame, by=by[::-1], within=by, min_base=5)
    assert bool(other[(frame["region"] == "r1") & (frame["support_type"] == "s1")].all())
    assert lone_hidden_breakdowns(frame, other, by, by) == []


def test_nesting_applies_the_rule_within_each_region() -> None:
    # London: A=3, B=30, C=40; North East: D=4, E=25.
    # Without nesting, schemes form one breakdown with two hidden cells (A, D): done.
    # With schemes nested in regions, each region's schemes add up to its published
    # total: London has lone A -> hide B (30 < 40); North East has lone D -> hide E.
    frame = pd.DataFrame(
        {"scheme": list("ABCDE"),
         "region": ["London"] * 3 + ["North East"] * 2,
         "n": [3, 30, 40, 4, 25]}
    )
    flat = suppress(frame, by=["scheme"], within=["scheme"], min_base=5)
    assert hidden_labels(frame, flat, "scheme") == {"A", "D"}
    nested = suppress(frame, by=["scheme"], within=["scheme"], min_base=5,
                      nest={"scheme": "region"})
    assert hidden_labels(frame, nested, "scheme") == {"A", "B", "D", "E"}
    # Region total minus the shown London scheme gives A + B = 33, never A alone.
    london = frame[frame["region"] == "London"]
    shown = london.loc[~nested[london.index], "n"].sum()
    assert london["n"].sum() - shown == 3 + 30


def test_nesting_does_not_cross_regions() -> None:
    # London: A=3 and B=60; North East: C=6. London's lone A pulls in B (its only other
    # scheme), not C, although C is smaller: C is in another region's breakdown.
    frame = pd.DataFrame(
        {"scheme": list("ABC"), "region": ["London", "London", "North East"],
         "n": [3, 60, 6]}
    )
    mask = suppress(frame, by=["scheme"], within=["scheme"], min_base=5,
                    nest={"scheme": "region"})
    assert hidden_labels(frame, mask, "scheme") == {"A", "B"}


def test_a_missing_group_code_is_a_cell_of_the_breakdown() -> None:
    # gender: woman 2 (hidden), man 10, not recorded (NaN) 6: the smallest other cell
    # is the not-recorded one, and it is hidden like any other.
    frame = pd.DataFrame({"gender": ["woman", "man", np.nan], "n": [2, 10, 6]})
    mask = suppress(frame, by=["gender"], within=["gender"], min_base=5)
    assert mask.tolist() == [True, False, True]


def test_a_missing_code_in_another_key_is_a_breakdown_of_its_own() -> None:
    # Regions within gender (gender is a key, not a breakdown dimension here).
    # gender NaN: r1=2 (hidden), r2=10, r3=9 -> r3 hidden too (9 < 10).
    # gender woman: r1=20, r2=30, r3=40 -> nothing hidden; the NaN rows must not be
    # dropped from the grouping nor merged with woman's.
    frame = pd.DataFrame(
        {"gender": [np.nan, np.nan, np.nan, "woman", "woman", "woman"],
         "region": ["r1", "r2", "r3", "r1", "r2", "r3"],
         "n": [2, 10, 9, 20, 30, 40]}
    )
    mask = suppress(frame, by=["region"], within=["gender", "region"], min_base=5)
    assert mask.tolist() == [True, False, True, False, False, False]


def test_a_missing_region_is_a_parent_of_its_own() -> None:
    # Schemes with no region on the register: a parent group of their own.
    # None: X=2 (hidden), Y=8 -> Y hidden; London: A=3 (hidden), B=9 -> B hidden.
    frame = pd.DataFrame(
        {"scheme": ["X", "Y", "A", "B"], "region": [None, None, "London", "London"],
         "n": [2, 8, 3, 9]}
    )
    mask = suppress(frame, by=["scheme"], within=["scheme"], min_base=5,
                    nest={"scheme": "region"})
    assert mask.tolist() == [True, True, True, True]


def test_a_missing_column_is_refused_with_its_name() -> None:
    frame = pd.DataFrame({"scheme": ["A"], "n": [3]})
    with pytest.raises(ValueError, match="columns missing from the frame: region"):
        suppress(frame, by=["scheme"], within=["scheme"], min_base=5,
                 nest={"scheme": "region"})
    with pytest.raises(ValueError, match="columns missing from the frame: quarter"):
        suppress(frame, by=["scheme"], within=["scheme", "quarter"], min_base=5)
    with pytest.raises(ValueError, match="columns missing from the frame: base"):
        suppress(frame, by=["scheme"], within=["scheme"], min_base=5, n="base")


def test_region_and_scheme_together_nest_schemes_in_their_regions() -> None:
    # by region and scheme at once: the region is a key of the cell and the parent.
    frame = pd.DataFrame(
        {
            "region": ["London", "London", "London", "Wales", "Wales"],
            "scheme": ["A", "B", "C", "D", "E"],
            "n": [3, 40, 9, 30, 20],
        }
    )
    hidden = suppress(frame, by=["region", "scheme"], within=["region", "scheme"],
                      min_base=5, nest={"scheme": "region"})
    # A (3) is hidden; C (9), London's next smallest, goes with it; Wales is untouched.
    assert hidden.tolist() == [True, False, True, False, False]


def test_a_hidden_parent_hides_two_of_its_children() -> None:
    # North East's only scheme C has 3 answers: the region is hidden in the regions'
    # own table, and so is the next-smallest region (Wales, 30). Here Wales's schemes
    # must not all be shown, or Wales's total (and so C, from England's) could be
    # worked out: its smallest scheme and, beside that lone one, a second are hidden.
    frame = pd.DataFrame(
        {
            "region": ["London", "London", "North East", "Wales", "Wales"],
            "scheme": ["A", "B", "C", "D", "E"],
            "n": [40, 45, 3, 10, 20],
        }
    )
    hidden = suppress(frame, by=["scheme"], within=["scheme"], min_base=5,
                      nest={"scheme": "region"})
    assert hidden.tolist() == [False, False, True, True, True]
