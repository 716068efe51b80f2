"""The KHI catalogue, read from ``bank/catalogue.toml``.

The engine, the command line and the Definitions page all read these entries,
so a definition shown to users is the definition computed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache

from kpi.errors import RefusedFile, UnknownCode
from kpi.items import bank
from kpi.paths import BANK_DIR

MEASURES = ("proportion", "mean", "change")
POPULATIONS = ("person", "carer")


@dataclass(frozen=True)
class KHI:
    code: str
    name: str
    domain: str
    population: str
    measure: str
    score: str
    polarity: str
    definition: str
    hit: str | None = None

    @property
    def score_sql(self) -> str:
        return bank().score_sql(self.score)

    @property
    def hit_sql(self) -> str:
        if self.hit is None:
            raise ValueError(f"KHI {self.code} is a {self.measure}: it has no hit condition")
        return self.hit.format(score=f"({self.score_sql})")

    @property
    def is_proportion(self) -> bool:
        return self.measure == "proportion"


def _refused(problem: str) -> RefusedFile:
    return RefusedFile(f"kpi/bank/catalogue.toml: {problem}. Correct the file and start "
                       "again.", title="Catalogue refused")


@cache
def catalogue() -> tuple[KHI, ...]:
    """Every KHI, in catalogue order; validated when first read."""
    with open(BANK_DIR / "catalogue.toml", "rb") as fh:
        raw = tomllib.load(fh)
    khis = tuple(KHI(**spec) for spec in raw["khi"])
    seen: set[str] = set()
    for khi in khis:
        if khi.code in seen:
            raise _refused(f"KHI code {khi.code!r} appears twice")
        seen.add(khi.code)
        if khi.measure not in MEASURES:
            raise _refused(f"{khi.code}: measure must be one of {MEASURES}")
        if khi.population not in POPULATIONS:
            raise _refused(f"{khi.code}: population must be one of {POPULATIONS}")
        if khi.polarity not in ("high", "low"):
            raise _refused(f"{khi.code}: polarity must be 'high' or 'low'")
        if khi.measure == "proportion" and not khi.hit:
            raise _refused(f"{khi.code}: a proportion needs `hit`")
        bank().score_sql(khi.score)  # raises on an unknown score
    return khis


def khi(code: str) -> KHI:
    for entry in catalogue():
        if entry.code == code:
            return entry
    raise UnknownCode(
        f"Unknown KHI code {code!r}. Known codes: {', '.join(k.code for k in catalogue())}."
    )


def domains() -> tuple[str, ...]:
    """Domains in catalogue order."""
    return tuple(dict.fromkeys(k.domain for k in catalogue()))


def change_khis() -> dict[str, str]:
    """The catalogue's change KHIs (the same people over time): code -> name, for the
    Change over time page's choice and any report that lists them."""
    return {k.code: k.name for k in catalogue() if k.measure == "change"}


def khi_items(khi: KHI) -> list[str]:
    """The survey questions a KHI is built from, in item-bank order: its item, or
    the items its score's SQL reads (SWEMWBS's metric score is its raw score's)."""
    b = bank()
    if khi.score in b.item_codes:
        return [khi.score]
    sql = b.scores.get("swemwbs_raw" if khi.score == "swemwbs_metric" else khi.score, {})
    words = set(re.findall(r"[a-z_0-9]+", str(sql.get("sql", ""))))
    return [code for code in b.item_codes if code in words]
