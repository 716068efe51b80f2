"""The item bank, read from ``bank/items.toml`` and ``bank/register.toml``.

One source of truth: ingest matches headers and labels with it, the engine
builds scores from it, the Definitions page and the survey template show it.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from kpi.paths import BANK_DIR


@dataclass(frozen=True)
class Scale:
    code: str
    name: str
    values: tuple[tuple[int, str], ...]
    min: int
    max: int

    @property
    def labelled(self) -> bool:
        """True when every value has a label (a categorical scale)."""
        return len(self.values) == self.max - self.min + 1


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    scale: Scale
    audience: str
    domain: str


@dataclass(frozen=True)
class Attribute:
    code: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.labels)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    nation: str
    col: int
    row: int


@dataclass(frozen=True)
class Bank:
    items: tuple[Item, ...]
    attributes: tuple[Attribute, ...]
    scales: dict[str, Scale]
    missing_labels: tuple[str, ...]
    scores: dict[str, dict]
    swemwbs_conversion: dict[int, float]
    ons_bands: dict[str, list]
    activity_columns: tuple[tuple[str, str], ...]
    regions: tuple[Region, ...]
    cqc_ratings: tuple[tuple[str, str], ...]
    settings: dict[str, int] = field(default_factory=dict)

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def attribute(self, code: str) -> Attribute:
        for attribute in self.attributes:
            if attribute.code == code:
                return attribute
        raise KeyError(code)

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    @property
    def attribute_codes(self) -> tuple[str, ...]:
        return tuple(attribute.code for attribute in self.attributes)

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(region.name for region in self.regions)

    def score_sql(self, name: str) -> str:
        """SQL for a score: an item column, a [scores] entry or swemwbs_metric."""
        if name in self.item_codes:
            return name
        if name == "swemwbs_metric":
            table = ", ".join(f"{v:.2f}" for _, v in sorted(self.swemwbs_conversion.items()))
            raw = self.scores["swemwbs_raw"]["sql"]
            # DuckDB lists are 1-based: raw 7 is the first entry.
            return f"(CAST([{table}] AS DOUBLE[]))[({raw}) - 6]"
        if name in self.scores:
            return f"({self.scores[name]['sql']})"
        raise KeyError(f"unknown score {name!r}")


@cache
def bank() -> Bank:
    """The item bank and register, parsed once per process."""
    with open(BANK_DIR / "items.toml", "rb") as fh:
        raw = tomllib.load(fh)
    with open(BANK_DIR / "register.toml", "rb") as fh:
        register = tomllib.load(fh)
    scales = {}
    for code, spec in raw["scales"].items():
        values = tuple((int(v), str(label)) for v, label in spec["values"])
        numbers = [v for v, _ in values]
        scales[code] = Scale(
            code=code,
            name=spec["name"],
            values=values,
            min=int(spec.get("min", min(numbers))),
            max=int(spec.get("max", max(numbers))),
        )
    items = tuple(
        Item(
            code=spec["code"],
            text=spec["text"],
            scale=scales[spec["scale"]],
            audience=spec["audience"],
            domain=spec["domain"],
        )
        for spec in raw["items"]
    )
    attributes = tuple(
        Attribute(
            code=spec["code"],
            header=spec["header"],
            required=bool(spec.get("required", False)),
            aliases=tuple(spec.get("aliases", ())),
            labels=tuple((str(c), str(lab)) for c, lab in spec.get("labels", ())),
        )
        for spec in raw["attributes"]
    )
    conversion = dict(zip(raw["swemwbs_conversion"]["raw"], raw["swemwbs_conversion"]["metric"]))
    return Bank(
        items=items,
        attributes=attributes,
        scales=scales,
        missing_labels=tuple(raw["missing_labels"]),
        scores=raw["scores"],
        swemwbs_conversion={int(k): float(v) for k, v in conversion.items()},
        ons_bands=raw["ons_bands"],
        activity_columns=tuple((c, h) for c, h in raw["activity"]["columns"]),
        regions=tuple(Region(*row) for row in register["regions"]),
        cqc_ratings=tuple((c, lab) for c, lab in register["cqc_ratings"]),
        settings=dict(register["settings"]),
    )


# ------------------------------------------------------------ normalising ---
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_NUMBERING = re.compile(r"^\s*(q(uestion)?\s*)?\d+[a-z]?\s*[.):\-]\s*|^\s*q\d+[a-z]?\s+", re.I)
_VENDOR_SUFFIX = re.compile(
    r"\s*[-:(\[]\s*(open-ended response|response|other \(please specify\)|"
    r"required|optional|text|single choice|multiple choice)\s*[)\]]?\s*$",
    re.I,
)
_NON_WORD = re.compile(r"[^a-z0-9+]+")


def normalise_header(text: object) -> str:
    """A header as we compare it: no numbering, vendor suffix, case or punctuation.

    ``"Q3. How often do you feel lonely? - Response"`` -> ``"how often do you feel lonely"``.
    """
    s = unicodedata.normalize("NFKC", str(text or "")).translate(_QUOTES).strip()
    s = _NUMBERING.sub("", s)
    for _ in range(2):
        s = _VENDOR_SUFFIX.sub("", s)
    s = s.lower().replace("'", "")
    return _NON_WORD.sub(" ", s).strip()


def normalise_label(text: object) -> str:
    """An answer as we compare it: case, curly quotes and spacing ignored."""
    s = unicodedata.normalize("NFKC", str(text or "")).translate(_QUOTES)
    s = re.sub(r"\s+", " ", s).strip().lower()
    return s.rstrip(".")


@cache
def header_index() -> dict[str, str]:
    """Normalised header text -> the item or attribute code it means."""
    b = bank()
    index: dict[str, str] = {}
    for item in b.items:
        index[normalise_header(item.code)] = item.code
        index[normalise_header(item.text)] = item.code
    for attribute in b.attributes:
        for name in (attribute.code, attribute.header, *attribute.aliases):
            index.setdefault(normalise_header(name), attribute.code)
    return index


@cache
def missing_index() -> frozenset[str]:
    return frozenset(normalise_label(x) for x in bank().missing_labels) | {""}


@cache
def item_label_index(code: str) -> dict[str, int]:
    """Normalised answer label (or number) -> stored value for one item."""
    item = bank().item(code)
    index = {normalise_label(label): value for value, label in item.scale.values}
    for value in range(item.scale.min, item.scale.max + 1):
        index[str(value)] = value
    return index


@cache
def attribute_label_index(code: str) -> dict[str, str]:
    """Normalised label or code -> stored code for one attribute."""
    attribute = bank().attribute(code)
    index: dict[str, str] = {}
    for value, label in attribute.labels:
        index[normalise_label(value)] = value
        index[normalise_label(label)] = value
        index[normalise_label(value.replace("_", " "))] = value
    return index


def region_by_name() -> dict[str, Region]:
    """Region lookup by normalised name or code."""
    out: dict[str, Region] = {}
    for region in bank().regions:
        out[normalise_header(region.name)] = region
        out[normalise_header(region.code)] = region
    return out
