"""What a request may ask for: filters, settings, breakdowns, benchmarks and the checks.

Every public function of the engine takes these; the column names of the KHI
table live here too, because the table, the trend series and the command line
all speak them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kpi.catalogue import KHI, catalogue
from kpi.catalogue import khi as khi_by_code
from kpi.errors import BadRequest, UnknownCode
from kpi.items import bank

# Dimensions a KHI can be broken down by (CLI --by names = output column names).
DIMENSIONS = (
    "region",
    "scheme",
    "quarter",
    "support_type",
    "respondent_type",
    "age_band",
    "gender",
    "ethnicity",
    "primary_need",
    "completed_by",
    # Where the answer came from (issue 25): an upload, the online form or paper;
    # and the wording asked (standard or easy read).
    "channel",
    "wording",
)


# Columns of indicator_table(), in order, after khi and the --by columns.
VALUE_COLUMNS = (
    "n",
    "count",
    "value",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "suppressed",
    "benchmark",
    "comparison",
)


LIMITS = ("lower95", "upper95", "lower998", "upper998")


# What a value is compared with: all of England; the row's own region;
# schemes of the same support type (England, same support type).
BENCHMARKS = ("england", "region", "support_type")


@dataclass(frozen=True)
class Filters:
    """Which responses count. ``None`` means no restriction.

    ``scope`` is the set of scheme ids the user may see (roles): it restricts
    every result, and benchmarks too are computed over England (all schemes)
    regardless of scope — a benchmark is public information.
    """

    regions: tuple[str, ...] | None = None  # region names as in register.toml
    scheme_ids: tuple[str, ...] | None = None
    support_types: tuple[str, ...] | None = None
    respondent_types: tuple[str, ...] | None = None
    scope: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Settings:
    min_base: int = 5  # disclosure control: hide cells with n below this
    min_compare: int = 10  # below this, comparison is "not compared"


def default_settings() -> Settings:
    """The settings of ``register.toml`` (one place users change them)."""
    values = bank().settings
    return Settings(
        min_base=int(values.get("min_base", 5)), min_compare=int(values.get("min_compare", 10))
    )


def check_by(by: Sequence[str]) -> list[str]:
    by = list(by)
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise UnknownCode(
            f"Unknown breakdown {', '.join(map(repr, unknown))}: use any of "
            f"{', '.join(DIMENSIONS)}."
        )
    if len(set(by)) != len(by):
        raise BadRequest("Each breakdown can be named only once in --by.")
    return by


def khis_for(codes: Sequence[str] | None) -> list[KHI]:
    if codes is None:
        return list(catalogue())
    return [khi_by_code(code) for code in codes]
