"""The one argument check for every function in :mod:`kpi.stats`.

Each family module converts and checks its arguments here, so the same mistake (a
negative count, a confidence of 95, ``x`` above ``n``) gets the same ``ValueError``,
naming the argument and the rule it breaks, whichever function it reached.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kpi.errors import BadArgument

ArrayLike = Any  # scalar, sequence, numpy array or pandas Series of numbers

POLARITIES = ("high", "low")

_NUMBER = int | float | np.integer | np.floating


def numbers(
    name: str,
    value: ArrayLike,
    *,
    one_d: bool = False,
    minimum: float | None = None,
    positive: bool = False,
    unit: bool = False,
) -> np.ndarray:
    """``value`` as a float array, checked against the rules asked for.

    Missing values (NaN, ``None`` inside a sequence, ``pd.NA``) become NaN and pass every
    rule, so a missing input gives a missing result; infinities fail. ``minimum`` is an
    inclusive lower bound, ``positive`` means greater than 0, ``unit`` means within
    [0, 1] (a proportion).
    """
    if value is None:
        raise BadArgument(f"{name} is required")
    try:
        if isinstance(value, pd.Series | pd.Index):
            arr = value.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise BadArgument(f"{name} must be numeric") from exc
    if np.any(np.isinf(arr)):
        raise BadArgument(f"{name} must be finite (NaN is allowed for missing values)")
    if one_d and arr.ndim != 1:
        raise BadArgument(f"{name} must be one-dimensional")
    if minimum is not None and np.any(arr < minimum):
        raise BadArgument(f"{name} must be greater than or equal to {minimum:g}")
    if positive and np.any(arr <= 0):
        raise BadArgument(f"{name} must be greater than 0")
    if unit and np.any((arr < 0) | (arr > 1)):
        raise BadArgument(f"{name} must be between 0 and 1")
    return arr


def not_above(x: np.ndarray, n: np.ndarray) -> None:
    """Numerators never exceed their denominators (same shapes, already converted)."""
    if np.any(x > n):
        raise BadArgument("x must be less than or equal to n")


def same_length(**arrays: np.ndarray) -> None:
    """One value per group or period in every argument."""
    names = list(arrays)
    first = arrays[names[0]]
    for name in names[1:]:
        if arrays[name].shape != first.shape:
            raise BadArgument(f"{', '.join(names)} must have the same length")


def check_confidence(confidence: float) -> float:
    """A two-sided level written as a fraction (0.95, not 95)."""
    if isinstance(confidence, bool) or not isinstance(confidence, _NUMBER):
        raise BadArgument("confidence must be a number between 0 and 1 (exclusive)")
    confidence = float(confidence)
    if not (0.0 < confidence < 1.0):
        raise BadArgument(
            f"confidence must be between 0 and 1 (exclusive), e.g. 0.95; got {confidence}"
        )
    return confidence


def check_polarity(polarity: str) -> str:
    """Whether a high value is good (``"high"``) or a low one (``"low"``)."""
    if polarity not in POLARITIES:
        raise BadArgument(f'polarity must be "high" or "low"; got {polarity!r}')
    return polarity


def check_min_n(min_n: float) -> float:
    """The smallest base that is compared: a number, not below 0."""
    if not isinstance(min_n, _NUMBER) or min_n < 0:
        raise BadArgument("min_n must be a number greater than or equal to 0")
    return min_n


def index_of(value: ArrayLike) -> pd.Index | None:
    """The index a result keeps when its input was a pandas Series."""
    return value.index if isinstance(value, pd.Series) else None
