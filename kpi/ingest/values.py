"""Answers as words: each distinct label in a column mapped once to its stored code."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd

from kpi.items import (
    attribute_label_index,
    bank,
    item_label_index,
    missing_index,
    normalise_label,
)

# ---------------------------------------------------------------- answers ---
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_LEADING = re.compile(r"(\d{1,2})\s*(?:[-\u2013\u2014.:)=]\s*|\s+)(.+)")


def _loose(text: str) -> str:
    """A label compared ignoring punctuation too: "Long-term" == "long term", "18–24" == "18-24".

    Not :func:`normalise_header`: that drops leading numbering, which in an
    answer ("18-24", "7 - label") is the answer itself.
    """
    return re.sub(r"[^a-z0-9+]+", " ", normalise_label(text)).strip()


@cache
def _loose_item_index(code: str) -> dict[str, int]:
    """Labels compared ignoring punctuation as well ("Neither agree, nor disagree")."""
    return {_loose(k): v for k, v in item_label_index(code).items()}


@cache
def _allowed_item_answers(code: str) -> str:
    scale = bank().item(code).scale
    if scale.labelled:
        labels = ", ".join(label for _, label in scale.values)
        return f"{labels} (or {scale.min} to {scale.max}, or Don't know)"
    named = " or ".join(label for _, label in scale.values)
    return f"a whole number from {scale.min} to {scale.max} ({named} also accepted)"


def item_value(code: str, text: str) -> tuple[int | None, str | None]:
    """One answer to one item: (stored value, None) or (None, reason it is a problem).

    Accepted: the label (any case, curly or straight quotes), the number, a
    missing label such as "Don't know" (stored as missing), and "7 - label"
    when the label after the number is that number's own label.
    """
    norm = normalise_label(text)
    if norm in missing_index():
        return None, None
    index = item_label_index(code)
    if norm in index:
        return index[norm], None
    scale = bank().item(code).scale
    if NUMBER.fullmatch(norm):
        number = float(norm)
        if not number.is_integer():
            what = "one of the answers here" if scale.labelled else "a whole number"
            return None, f"'{text}' is not {what}: {_allowed_item_answers(code)}"
        if scale.min <= number <= scale.max:
            return int(number), None
        return None, (
            f"'{text}' is outside the answers allowed here ({scale.min} to {scale.max})"
        )
    if m := _LEADING.fullmatch(norm):
        number, rest = int(m[1]), m[2]
        label = index.get(rest, _loose_item_index(code).get(_loose(rest)))
        if label == number:
            return number, None
        if label is not None:
            return None, (f"'{text}' is not one of the answers here: the number and the words "
                          f"disagree; {_allowed_item_answers(code)}")
    if _loose(norm) in _loose_item_index(code):
        return _loose_item_index(code)[_loose(norm)], None
    return None, f"'{text}' is not one of the answers here: {_allowed_item_answers(code)}"


@cache
def _loose_attribute_index(code: str) -> dict[str, str]:
    return {_loose(k): v for k, v in attribute_label_index(code).items()}


def attribute_value(code: str, text: str) -> tuple[str | None, str | None]:
    """One attribute: (stored code, None), (None, None) when not recorded, or a reason."""
    norm = normalise_label(text)
    if norm in missing_index():
        return None, None
    index = attribute_label_index(code)
    value = index.get(norm) or _loose_attribute_index(code).get(_loose(norm))
    if value is not None:
        return value, None
    attribute = bank().attribute(code)
    labels = ", ".join(label for _, label in attribute.labels)
    return None, f"'{text}' is not one of the answers for '{attribute.header}': {labels}"


def map_unique(
    series: pd.Series, convert: Callable[[str], tuple[object, str | None]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply ``convert`` to each distinct text once: (factor codes, values, reasons) per unique."""
    codes, uniques = pd.factorize(series)
    results = [convert(str(u)) for u in uniques]
    values = np.array([r[0] for r in results] + [None], dtype=object)[:-1]
    reasons = np.array([r[1] for r in results] + [None], dtype=object)[:-1]
    return codes, values, reasons


def item_label(code: str, value: int) -> str:
    labels = dict(bank().item(code).scale.values)
    return f"{labels[value]} ({value})" if value in labels else str(value)


def attribute_label(code: str, value: str) -> str:
    if code not in bank().attribute_codes:
        return value
    labels = dict(bank().attribute(code).labels)
    return labels.get(value, value)
