"""Which schemes one person may see, as one value that cannot read "none" as "all".

Why a type of its own: the grants used to travel as ``tuple | None`` (None every
scheme, ``()`` none). Three page-level filters read an empty tuple as "no
restriction" (Python's truthiness), so a commissioner granted a region with no
schemes yet was shown every scheme's name. A :class:`Reach` says which it is in
words (``every`` or the ids), and every reader asks it (``includes``, ``keep``,
``rows``) instead of testing a tuple's truth. This module imports nothing of the
product, so the store, the engine and the pages can all take one.

The model is datasette's single ``allowed()`` decision checked everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Reach:
    """Every scheme (``every``), or exactly ``ids`` — which may be none at all."""

    every: bool
    ids: tuple[str, ...] = ()  # sorted, each once (a tuple: Streamlit's cache hashes it)

    @classmethod
    def everything(cls) -> Reach:
        return cls(every=True)

    @classmethod
    def only(cls, ids: Iterable[str]) -> Reach:
        return cls(every=False, ids=tuple(sorted({str(i) for i in ids})))

    @classmethod
    def nothing(cls) -> Reach:
        return cls(every=False)

    @property
    def is_empty(self) -> bool:
        """True when not one scheme may be seen (an empty grant)."""
        return not self.every and not self.ids

    def includes(self, scheme_id: object) -> bool:
        return self.every or (scheme_id is not None and str(scheme_id) in self.ids)

    def keep(self, scheme_ids: Iterable[str]) -> tuple[str, ...]:
        """``scheme_ids`` that may be seen, in their order."""
        return tuple(s for s in scheme_ids if self.includes(s))

    def rows(self, frame: pd.DataFrame, column: str = "scheme_id") -> pd.DataFrame:
        """The rows of ``frame`` whose ``column`` may be seen (none for an empty grant)."""
        if self.every:
            return frame
        if column not in frame:
            return frame.iloc[0:0]
        return frame[frame[column].astype(str).isin(list(self.ids))]

    @property
    def scheme_filter(self) -> tuple[str, ...] | None:
        """For the engine's ``Filters.scope``: None keeps every row, ``()`` keeps none
        (the engine's queries read ``()`` as FALSE)."""
        return None if self.every else self.ids
