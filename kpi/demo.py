"""A realistic synthetic Shared Lives sector, so every page has something true to show.

Why synthetic and why this shape: the dashboard's statistics (funnels at 99.8%,
trend tests, equity gaps, change per person) only look right on data with real
structure, so answers are drawn from latent per-person wellbeing, connection,
warmth and involvement with modest, genuine effects:

* scheme random effects, with a few schemes clearly better or worse (funnel
  outliers), and small regional differences;
* group differences (mental health need and proxy-completed forms lower on
  wellbeing and involvement, older frailty and dementia lonelier);
* a slow improving trend in connection (loneliness falls) and in wellbeing;
* per-person persistence: a person's repeat answers are correlated, so
  change over time is real and modest.

The sector has ~150 fictional schemes (names and councils are made up) in all
twelve regions of ``register.toml``, sized lognormally (a handful of people to
several hundred) so funnel plots are meaningful. Activity returns are built
from the same panel, so people supported always cover the respondents.

Everything is vectorised with numpy (no Python loop over people or responses)
and written as one pyarrow Table in one transaction, so a million people over
eight quarters loads in well under two minutes on two cores. The same seed and
end quarter always give the same data.

The store is clearly marked as demo (meta ``demo`` = ``true``, ``schemes.is_demo``,
one upload of kind ``demo``); a store holding real uploads or schemes is refused.

The demo makes no pseudonymisation secret and needs none: its person keys are
random, not made from references with a secret, so ``kpi.privacy`` does not count
them as keys a lost secret would unlink (``Store.person_key_rows``), and the first
upload to a demo store makes the secret as on any new store.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
import pyarrow as pa

from kpi.errors import BadRequest, RefusedFile
from kpi.items import bank
from kpi.periods import quarter_end, quarter_label, quarter_start, shift_quarter
from kpi.store import ACTIVITY_COUNTS, Store

# ------------------------------------------------------------------ register ---
# Fictional scheme places per region code (made up, but plausible for the area).
# The number of places sets the number of schemes: more in the big English
# regions, few in Northern Ireland, 150 in all.
PLACES: dict[str, tuple[str, ...]] = {
    "north_east": (
        "Tynemere", "Wearholme", "Cheviot Vale", "Allenmouth", "Teesbridge", "Blythwick",
        "Coquetford", "Hexmoor",
    ),
    "north_west": (
        "Ribbleton Vale", "Mersey Heath", "Pendlebrook", "Irwell Vale", "Lunedale",
        "Fyldeholme", "Wyreside", "Edenholme", "Calderbrook", "Rossendene", "Bowland Edge",
        "Mossley Green", "Tamebridge", "Duddon Vale", "Weaverham Vale", "Darwenford",
        "Hindleigh", "Ashworth Moor", "Lowther Dale",
    ),
    "yorkshire_humber": (
        "Airedale Vale", "Calderdene", "Swaledale Moor", "Wharfeholme", "Dearne Valley",
        "Holmebridge", "Ryedale Forest", "Nidderford", "Spurn Coast", "Don Vale",
        "Ousebridge", "Wolds Edge", "Aireholme",
    ),
    "east_midlands": (
        "Trentside", "Soar Valley", "Charnwood Vale", "Dovedale Peak", "Welland Fields",
        "Nene Meadows", "Erewash Vale", "Witham Fen", "Sherwood Edge", "Derwent Hills",
    ),
    "west_midlands": (
        "Arden Vale", "Severnbridge", "Teme Valley", "Blackbrook", "Rea Valley", "Wrekin Vale",
        "Stour Valley", "Chasewater Vale", "Malvern Edge", "Potteries North", "Tame Meadows",
        "Lickey Vale", "Avonmere",
    ),
    "east_of_england": (
        "Broadland Vale", "Stourmouth", "Fenland Meadows", "Colne Valley", "Ouse Fens",
        "Brecklands", "Wensum Vale", "Lea Valley North", "Chiltern Edge", "Deben Coast",
        "Cam Valley", "Blackwater Estuary",
    ),
    "london": (
        "Thamesmead North", "Lea Bridge", "Wandle Valley", "Fleetside", "Brentmouth",
        "Ravensbourne", "Cray Valley", "Pymmes Park", "Beverley Brook", "Effra", "Tyburn",
        "Westbourne", "Walbrook", "Silk Stream", "Quaggy Vale", "Hogsmill", "Yeading Brook",
    ),
    "south_east": (
        "Medway Vale", "Weald Central", "Downsview", "Arun Valley", "Rother Vale", "Wey Valley",
        "Itchen Vale", "Solent Shores", "Kennet Vale", "Thames Valley West", "Chiltern Vale",
        "Evenlode Vale", "Romney Levels", "Stour Downs", "Adur Vale", "Mole Vale",
        "Hamble Water", "Loddon Vale", "Darent Valley", "Swale Coast", "Forest Ridge",
    ),
    "south_west": (
        "Exe Valley", "Tamar Vale", "Mendip Edge", "Quantock Vale", "Purbeck Coast",
        "Cotswold Edge", "Dart Valley", "Polden Hills", "Axe Vale", "Frome Valley",
        "Camel Estuary", "Avon Gorge", "Blackdown Vale", "Torridge Coast",
    ),
    "scotland": (
        "Clydeside North", "Tayside East", "Forth Valley West", "Lomond", "Speyside",
        "Tweeddale", "Galloway Coast", "Lothian Hills", "Moray Firth", "Ayr Valley",
        "Fife Coast", "Highland West",
    ),
    "wales": (
        "Teifi Valley", "Dyfi Vale", "Taf Valley", "Usk Vale", "Clwyd Vale", "Tawe Valley",
        "Gwent Hills", "Lleyn Coast",
    ),
    "northern_ireland": ("Lagan Valley", "Foyle", "Mourne Coast"),
}
# Relative size of a region's schemes (London and the South East run larger ones).
REGION_SIZE = {"london": 1.15, "south_east": 1.1, "north_west": 1.1, "northern_ireland": 0.8}
# Growth per quarter in people placed, by region: England grows by ~8% a year
# overall while regions diverge (the South West and North West fastest, the
# North East and Northern Ireland flat).
REGION_GROWTH = {
    "north_east": -0.005, "north_west": 0.03, "yorkshire_humber": 0.01, "east_midlands": 0.015,
    "west_midlands": 0.02, "east_of_england": 0.02, "london": 0.005, "south_east": 0.025,
    "south_west": 0.035, "scotland": 0.01, "wales": 0.015, "northern_ireland": 0.0,
}
# Small regional differences (latent SD units): wellbeing, connection.
REGION_EFFECT = {
    "north_east": (-0.06, 0.05), "north_west": (-0.03, 0.0), "yorkshire_humber": (-0.04, 0.0),
    "west_midlands": (-0.02, -0.03), "east_of_england": (0.03, 0.0), "london": (-0.02, -0.12),
    "south_east": (0.05, 0.0), "south_west": (0.04, 0.04), "scotland": (0.0, 0.03),
    "wales": (-0.02, 0.06), "northern_ireland": (0.03, 0.08),
}
# Ethnicity (ONS five groups) by region: asian, black, mixed, white, other, not_said.
ETHNICITY = {
    "north_east": (0.03, 0.01, 0.01, 0.93, 0.005, 0.015),
    "north_west": (0.06, 0.015, 0.015, 0.89, 0.005, 0.015),
    "yorkshire_humber": (0.07, 0.015, 0.015, 0.88, 0.005, 0.015),
    "east_midlands": (0.06, 0.02, 0.02, 0.88, 0.005, 0.015),
    "west_midlands": (0.10, 0.03, 0.02, 0.83, 0.005, 0.015),
    "east_of_england": (0.04, 0.02, 0.02, 0.90, 0.005, 0.015),
    "london": (0.17, 0.13, 0.05, 0.59, 0.04, 0.02),
    "south_east": (0.05, 0.015, 0.02, 0.895, 0.005, 0.015),
    "south_west": (0.02, 0.01, 0.015, 0.94, 0.005, 0.01),
    "scotland": (0.025, 0.01, 0.01, 0.94, 0.005, 0.01),
    "wales": (0.02, 0.007, 0.01, 0.95, 0.003, 0.01),
    "northern_ireland": (0.01, 0.005, 0.005, 0.97, 0.002, 0.008),
}
ETHNICITY_CODES = ("asian", "black", "mixed", "white", "other", "not_said")

# England had just under 12,000 people using Shared Lives at the end of the
# year; at the default 20,000 demo people the last quarter's returns match it.
ENGLAND_SUPPORTED = 11_890
DEFAULT_PEOPLE = 20_000
CARER_SHARE = 0.20
CQC_SHARES = {"outstanding": 0.05, "requires_improvement": 0.04}  # the rest good, none inadequate

# --------------------------------------------------------------- respondents ---
NEEDS = (
    "learning_disability", "autism", "mental_health", "dementia", "older_frailty",
    "physical_disability", "other",
)
SUPPORTS = ("long_term", "short_break", "day_support", "home_from_hospital")
AGES = ("18-24", "25-34", "35-49", "50-64", "65-74", "75+")
GENDERS = ("woman", "man", "non_binary", "self_describe", "not_said")
COMPLETED_BY = ("self", "with_help", "proxy")

NEED_PERSON = (0.62, 0.09, 0.11, 0.04, 0.06, 0.05, 0.03)
NEED_CARER = (0.72, 0.10, 0.05, 0.05, 0.04, 0.03, 0.01)  # the cared-for person's need
# Support type given need (rows follow NEEDS, columns SUPPORTS).
SUPPORT_PERSON = (
    (0.66, 0.20, 0.13, 0.01), (0.60, 0.25, 0.14, 0.01), (0.62, 0.10, 0.18, 0.10),
    (0.25, 0.30, 0.35, 0.10), (0.20, 0.15, 0.30, 0.35), (0.45, 0.20, 0.20, 0.15),
    (0.50, 0.20, 0.20, 0.10),
)
SUPPORT_CARER = (
    (0.30, 0.45, 0.23, 0.02), (0.25, 0.50, 0.23, 0.02), (0.45, 0.25, 0.20, 0.10),
    (0.10, 0.45, 0.40, 0.05), (0.10, 0.35, 0.35, 0.20), (0.30, 0.35, 0.25, 0.10),
    (0.30, 0.35, 0.25, 0.10),
)
# Age band given need (persons); carers are mostly middle-aged or older parents.
AGE_PERSON = (
    (0.14, 0.24, 0.27, 0.24, 0.08, 0.03), (0.32, 0.33, 0.22, 0.10, 0.02, 0.01),
    (0.10, 0.22, 0.30, 0.25, 0.09, 0.04), (0.0, 0.0, 0.01, 0.10, 0.30, 0.59),
    (0.0, 0.0, 0.01, 0.07, 0.27, 0.65), (0.08, 0.14, 0.22, 0.28, 0.16, 0.12),
    (0.12, 0.18, 0.24, 0.24, 0.12, 0.10),
)
AGE_CARER = (0.02, 0.05, 0.18, 0.38, 0.25, 0.12)
GENDER_PERSON = (0.43, 0.55, 0.006, 0.004, 0.01)
GENDER_CARER = (0.68, 0.30, 0.004, 0.002, 0.014)
# Who completed the form, given need; carers nearly always answer themselves.
COMPLETED_PERSON = (
    (0.35, 0.47, 0.18), (0.45, 0.38, 0.17), (0.80, 0.15, 0.05), (0.10, 0.35, 0.55),
    (0.55, 0.30, 0.15), (0.70, 0.22, 0.08), (0.60, 0.30, 0.10),
)
COMPLETED_CARER = (0.96, 0.03, 0.01)
# Chance per quarter that an arrangement ends, by support type (home from
# hospital is short by design).
LEAVE_RATE = (0.035, 0.06, 0.05, 0.45)
TYPICAL_LEAVE_RATE = 0.045  # of the longer arrangements, for planning growth
# Share of each attribute not recorded on a response.
ATTRIBUTE_MISSING = {
    "completed_by": 0.04, "support_type": 0.02, "age_band": 0.03, "gender": 0.03,
    "ethnicity": 0.05, "primary_need": 0.03,
}

# Latents: W wellbeing, C connection, K warmth of support, P involvement,
# B carers' experience of breaks. Group effects in latent SD units.
LATENTS = ("W", "C", "K", "P", "B")
NEED_EFFECT = {  # W, C, K, P
    "learning_disability": (0.0, 0.05, 0.0, -0.05),
    "autism": (-0.10, -0.15, 0.0, 0.0),
    "mental_health": (-0.38, -0.30, -0.10, 0.0),
    "dementia": (-0.12, -0.30, 0.0, -0.30),
    "older_frailty": (-0.10, -0.45, 0.05, 0.0),
    "physical_disability": (-0.08, -0.10, 0.0, 0.05),
    "other": (-0.05, -0.05, 0.0, 0.0),
}
COMPLETED_EFFECT = {
    "self": (0.05, 0.0, 0.0, 0.10),
    "with_help": (0.0, 0.0, 0.0, 0.0),
    "proxy": (-0.25, -0.12, -0.10, -0.40),
}
SUPPORT_EFFECT = {  # W, C, K, P, B
    "long_term": (0.05, 0.10, 0.05, 0.0, -0.05),
    "short_break": (0.0, -0.05, 0.0, 0.0, 0.15),
    "day_support": (0.0, 0.0, 0.0, 0.0, 0.05),
    "home_from_hospital": (-0.15, -0.20, 0.0, -0.10, -0.15),
}
AGE_EFFECT = {"18-24": (0.0, -0.05), "75+": (-0.05, -0.20)}  # W, C
GENDER_EFFECT = {  # W, C
    "woman": (-0.05, 0.0), "non_binary": (-0.20, -0.15), "self_describe": (-0.20, -0.15),
}
ETHNICITY_EFFECT = {"asian": (-0.05, -0.12), "black": (-0.05, -0.12), "mixed": (0.0, -0.05),
                    "other": (0.0, -0.05)}  # K, P
CARER_NEED_W = {"dementia": -0.20, "mental_health": -0.10}
CARER_W_SHIFT = -0.25  # carers' own wellbeing runs a little below the people they care for
TREND_PER_QUARTER = {"W": 0.012, "C": 0.035}  # loneliness falls, wellbeing edges up

# Items: latent, direction (+1: a higher latent gives a higher value), loading,
# and the share of each value from the scale's minimum up, for an average person.
ITEM_MODEL: dict[str, tuple[str, int, float, tuple[float, ...]]] = {
    "friends_support": ("C", 1, 0.55, (0.06, 0.29, 0.65)),
    "social_contact": ("C", -1, 0.75, (0.50, 0.25, 0.17, 0.08)),
    "lonely_how_often": ("C", 1, 0.80, (0.14, 0.20, 0.26, 0.22, 0.18)),
    "ucla_companionship": ("C", -1, 0.78, (0.55, 0.32, 0.13)),
    "ucla_left_out": ("C", -1, 0.78, (0.57, 0.31, 0.12)),
    "ucla_isolated": ("C", -1, 0.78, (0.56, 0.31, 0.13)),
    "community_part": ("C", 1, 0.60, (0.04, 0.09, 0.24, 0.42, 0.21)),
    "support_helps_community": ("C", 1, 0.55, (0.03, 0.07, 0.20, 0.45, 0.25)),
    "social_life_better": ("C", 1, 0.60, (0.03, 0.06, 0.18, 0.45, 0.28)),
    "balance_right": ("W", 1, 0.60, (0.03, 0.06, 0.16, 0.47, 0.28)),
    "physical_health_better": ("W", 1, 0.50, (0.04, 0.09, 0.27, 0.40, 0.20)),
    "emotional_health_better": ("W", 1, 0.65, (0.03, 0.05, 0.16, 0.46, 0.30)),
    "warm_kind": ("K", 1, 0.70, (0.01, 0.015, 0.045, 0.35, 0.58)),
    "dignity_respect": ("K", 1, 0.70, (0.01, 0.02, 0.05, 0.37, 0.55)),
    "listened_to": ("K", 1, 0.60, (0.02, 0.04, 0.10, 0.44, 0.40)),
    "choice_control": ("P", 1, 0.70, (0.03, 0.06, 0.13, 0.45, 0.33)),
    "planning_involvement": ("P", -1, 0.70, (0.55, 0.35, 0.10)),
    **{
        f"swemwbs_{k}": ("W", 1, 0.75, (0.04, 0.09, 0.26, 0.38, 0.23))
        for k in range(1, 8)
    },
    "ons_life_satisfied": (
        "W", 1, 0.70, (0.02, 0.01, 0.02, 0.03, 0.04, 0.10, 0.10, 0.18, 0.22, 0.12, 0.16)
    ),
    "ons_worthwhile": (
        "W", 1, 0.65, (0.01, 0.01, 0.02, 0.02, 0.03, 0.09, 0.10, 0.19, 0.23, 0.13, 0.17)
    ),
    "ons_happy": (
        "W", 1, 0.60, (0.03, 0.02, 0.03, 0.04, 0.05, 0.11, 0.10, 0.17, 0.19, 0.10, 0.16)
    ),
    "ons_anxious": (
        "W", -1, 0.55, (0.28, 0.12, 0.11, 0.09, 0.07, 0.10, 0.06, 0.06, 0.05, 0.03, 0.03)
    ),
    "carer_break_fits": ("B", 1, 0.70, (0.03, 0.07, 0.14, 0.46, 0.30)),
    "carer_cared_for_enjoys": ("B", 1, 0.50, (0.01, 0.02, 0.06, 0.38, 0.53)),
    "carer_life_alongside": ("W", 1, 0.60, (0.06, 0.14, 0.22, 0.38, 0.20)),
    "carer_easy_to_arrange": ("B", 1, 0.70, (0.05, 0.10, 0.18, 0.42, 0.25)),
}
# friends_count: Poisson with a lognormal rate driven by connection.
FRIENDS_MEDIAN = 2.6
ITEM_MISSING = (0.03, 0.08)  # each item's no-answer share is drawn from this range


@dataclass
class DemoData:
    """One generated sector, before it touches a store (tests and benchmarks use it)."""

    schemes: pd.DataFrame
    responses: pa.Table
    activity: pd.DataFrame
    quarters: list[dt.date]
    people: int


# ------------------------------------------------------------------- helpers ---
def default_end_quarter(today: dt.date | None = None) -> dt.date:
    """The last complete UK financial quarter before ``today``: its first day."""
    return shift_quarter(quarter_start(today or dt.date.today()), -1)


def _normalise(rows: object) -> np.ndarray:
    """Probability rows as a float array whose rows sum to one."""
    arr = np.asarray(rows, dtype=np.float64)
    return arr / arr.sum(axis=-1, keepdims=True)


def _draw(rng: np.random.Generator, probs: np.ndarray, group: np.ndarray | None, n: int):
    """Vectorised categorical draw: row ``group[i]`` of ``probs`` (or the one row)."""
    cum = np.cumsum(_normalise(probs), axis=-1)
    u = rng.random(n)
    rows = cum[group] if group is not None else cum[None, :]
    return np.minimum((u[:, None] > rows).sum(axis=1), cum.shape[-1] - 1).astype(np.int8)


def _effects(table: dict[str, tuple[float, ...]], codes: tuple[str, ...], width: int):
    """A lookup array (codes x width) from a sparse code -> effects table."""
    out = np.zeros((len(codes), width), dtype=np.float32)
    for i, code in enumerate(codes):
        if code in table:
            out[i, : len(table[code])] = table[code]
    return out


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a fast, well-mixed 64-bit hash, vectorised."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def person_keys(seed: int, n: int) -> pa.Array:
    """``n`` synthetic 32-hex-character person keys: a hash of (seed, counter).

    Demo people never had a raw reference, so there is nothing to pseudonymise;
    the keys only need the stored format (32 hex characters, as
    :func:`kpi.privacy.person_key`) and to be unique and reproducible.
    """
    counter = np.arange(n, dtype=np.uint64) + (np.uint64(seed & 0xFFFFFFFF) << np.uint64(32))
    high = _splitmix64(counter)
    low = _splitmix64(high ^ np.uint64(0xD1B54A32D192ED03))
    raw = np.stack([high, low], axis=1).astype(">u8").view(np.uint8).reshape(n, 16)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    text = np.empty((n, 32), dtype=np.uint8)
    text[:, 0::2] = digits[raw >> 4]
    text[:, 1::2] = digits[raw & 15]
    offsets = np.arange(n + 1, dtype=np.int32) * 32
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(text.tobytes())]
    )


def _codes_array(index: np.ndarray, codes: tuple[str, ...], missing: np.ndarray | None):
    """Dictionary-encoded Arrow column: small integer codes, strings stored once."""
    indices = pa.array(index, mask=missing) if missing is not None else pa.array(index)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(codes), pa.string()))


# ------------------------------------------------------------------- schemes ---
def _scheme_register(rng: np.random.Generator, end: dt.date) -> pd.DataFrame:
    """~150 fictional schemes across the register's regions, with sizes and effects."""
    rows = []
    for region in bank().regions:
        places = PLACES.get(region.code) or tuple(
            f"{region.name} {k}" for k in ("North", "South")
        )
        for i, place in enumerate(places):
            if region.code == "london":
                council = f"London Borough of {place}"
            elif region.code == "northern_ireland":
                council = f"{place} Health and Social Care Trust"
            elif region.code == "scotland":
                council = f"{place} Council"
            elif region.code == "wales":
                council = f"{place} County Borough Council"
            else:
                council = place + (
                    " Council", " Borough Council", " City Council", " County Council",
                    " Metropolitan Borough Council",
                )[i % 5]
            if region.code in ("scotland", "northern_ireland") and i % 3 == 2:
                name = f"{place} Adult Placement Service"
            else:
                name = (f"{place} Shared Lives", f"Shared Lives {place}",
                        f"{place} Shared Lives Scheme", f"{place} Shared Lives")[i % 4]
            rows.append((region.code, region.name, name, council))
    frame = pd.DataFrame(rows, columns=["region_code", "region", "name", "local_authority"])
    n = len(frame)
    frame.insert(0, "scheme_id", [f"SL{i + 1:03d}" for i in range(n)])
    # Sizes vary a lot within a region (lognormal), but each region's total
    # stays proportional to its number of schemes, so no region is swamped.
    size = pd.Series(rng.lognormal(0.0, 0.8, n))
    size = size / size.groupby(frame["region_code"]).transform("mean")
    size = size * frame["region_code"].map(REGION_SIZE).fillna(1.0)
    frame["weight"] = np.clip(size / size.mean(), 0.06, 6.0).to_numpy()
    # Scheme quality: mostly small differences, plus three clearly better and
    # three clearly worse among the bigger schemes, shifting every latent in
    # full so they stand outside 99.8% funnel limits on most KHIs.
    quality = rng.normal(0.0, 0.12, n)
    big = np.flatnonzero(frame["weight"].to_numpy() >= np.median(frame["weight"]))
    chosen = rng.choice(big, size=6, replace=False)
    standout = np.zeros(n)
    standout[chosen[:3]] = 0.5
    standout[chosen[3:]] = -0.7
    for latent, share, sd in (("W", 0.6, 0.08), ("C", 0.6, 0.10), ("K", 1.0, 0.08),
                              ("P", 0.8, 0.10), ("B", 0.7, 0.12)):
        frame[f"eff_{latent}"] = share * quality + standout + rng.normal(0.0, sd, n)
    quality = quality + standout
    frame["quality"] = quality
    frame["response_p"] = rng.uniform(0.42, 0.78, n)
    # CQC: ~5% outstanding, ~91% good, ~4% requires improvement, none inadequate,
    # leaning (not strictly) towards the schemes whose people say they do well.
    # CQC inspects England only: schemes in Scotland, Wales and Northern Ireland
    # answer to the Care Inspectorate, CIW and RQIA, so they have no CQC rating.
    nations = {r.code: r.nation for r in bank().regions}
    english = frame["region_code"].map(nations).eq("England").to_numpy()
    order = np.argsort(-(quality + rng.normal(0.0, 0.15, n)))
    order = order[english[order]]
    outstanding = max(1, round(len(order) * CQC_SHARES["outstanding"]))
    requires = max(1, round(len(order) * CQC_SHARES["requires_improvement"]))
    rating = np.where(english, "good", None).astype(object)
    rating[order[:outstanding]] = "outstanding"
    rating[order[len(order) - requires:]] = "requires_improvement"
    frame["cqc_rating"] = rating
    days_ago = rng.integers(60, 5 * 365, n)
    frame["cqc_rating_date"] = [
        end - dt.timedelta(days=int(d)) if rated else None
        for d, rated in zip(days_ago, english)
    ]
    frame["is_demo"] = True
    return frame


# -------------------------------------------------------------------- sector ---
def generate(
    people: int = DEFAULT_PEOPLE,
    quarters: int = 8,
    seed: int = 2026,
    end_quarter: dt.date | None = None,
    today: dt.date | None = None,
) -> DemoData:
    """Build the whole synthetic sector in memory (no store involved)."""
    if people < 1:
        raise BadRequest("The demo needs at least one person (--people 1 or more).")
    if quarters < 1:
        raise BadRequest("The demo needs at least one quarter (--quarters 1 or more).")
    today = today or dt.date.today()
    end = quarter_start(end_quarter) if end_quarter is not None else default_end_quarter(today)
    if end > today:
        raise BadRequest(
            f"The demo's last quarter ({quarter_label(end)}) has not started yet: "
            "choose a quarter up to the current one."
        )
    starts = [shift_quarter(end, k - quarters + 1) for k in range(quarters)]
    rng = np.random.default_rng(seed)
    b = bank()
    _check_codes()
    schemes = _scheme_register(rng, min(quarter_end(end), today))
    n_s = len(schemes)
    region_codes = tuple(r.code for r in b.regions)
    scheme_region = schemes["region_code"].map(region_codes.index).to_numpy(np.int16)

    # People: each belongs to one scheme (people sorted by scheme, so responses
    # come out grouped by quarter and scheme, as uploads would).
    n = people
    scheme = np.sort(rng.choice(n_s, size=n, p=schemes["weight"] / schemes["weight"].sum()))
    scheme = scheme.astype(np.int16)
    region = scheme_region[scheme]
    carer = rng.random(n) < CARER_SHARE
    need = np.where(carer, _draw(rng, NEED_CARER, None, n), _draw(rng, NEED_PERSON, None, n))
    support = np.where(carer, _draw(rng, SUPPORT_CARER, need, n),
                       _draw(rng, SUPPORT_PERSON, need, n))
    age = np.where(carer, _draw(rng, AGE_CARER, None, n), _draw(rng, AGE_PERSON, need, n))
    gender = np.where(carer, _draw(rng, GENDER_CARER, None, n),
                      _draw(rng, GENDER_PERSON, None, n))
    eth_table = [ETHNICITY.get(code, ETHNICITY["south_east"]) for code in region_codes]
    ethnicity = _draw(rng, eth_table, region, n)
    completed = np.where(carer, _draw(rng, COMPLETED_CARER, None, n),
                         _draw(rng, COMPLETED_PERSON, need, n))

    # Time in Shared Lives: some already placed at the first quarter, the rest
    # join later at the rate that makes their region grow as REGION_GROWTH says;
    # arrangements end at a rate that depends on support type. Home from
    # hospital stays are short, so those people start at any quarter.
    start = _draw(rng, _start_shares(region_codes, quarters), region, n).astype(np.int16)
    brief = support == SUPPORTS.index("home_from_hospital")
    start[brief] = rng.integers(0, quarters, int(brief.sum()))
    stay = rng.geometric(np.asarray(LEAVE_RATE)[support]).astype(np.int32)
    last = (start + stay - 1).astype(np.int32)  # may run past the window: still placed
    q_index = np.arange(quarters, dtype=np.int32)
    active = (start[:, None] <= q_index) & (q_index <= last[:, None])
    p_respond = schemes["response_p"].to_numpy()[scheme] * np.where(carer, 0.85, 1.0)
    answered = active & (rng.random((n, quarters), dtype=np.float32) < p_respond[:, None])
    # Everyone in the demo answered at least once (in one of their quarters).
    silent = np.flatnonzero(~answered.any(axis=1))
    span = np.minimum(last[silent], quarters - 1) - start[silent] + 1
    answered[silent, start[silent] + (rng.random(len(silent)) * span).astype(np.int32)] = True

    # Responses, ordered by quarter then person.
    r_q, r_p = np.nonzero(answered.T)
    r_q = r_q.astype(np.int16)
    r_p = r_p.astype(np.int32)
    m = len(r_p)
    r_carer = carer[r_p]

    # Latents per response: person effect (persistent) + scheme + region +
    # groups + trend + this occasion's noise.
    person_eff = np.empty((n, len(LATENTS)), dtype=np.float32)
    pw = rng.normal(0.0, 0.75, n)
    person_eff[:, 0] = pw
    person_eff[:, 1] = 0.5 * pw + rng.normal(0.0, 0.62, n)
    person_eff[:, 2] = 0.3 * pw + rng.normal(0.0, 0.55, n)
    person_eff[:, 3] = 0.3 * pw + rng.normal(0.0, 0.55, n)
    person_eff[:, 4] = 0.3 * pw + rng.normal(0.0, 0.65, n)
    group = np.zeros((n, len(LATENTS)), dtype=np.float32)
    group[:, :4] += _effects(NEED_EFFECT, NEEDS, 4)[need]
    group[:, :4] += _effects(COMPLETED_EFFECT, COMPLETED_BY, 4)[completed]
    group += _effects(SUPPORT_EFFECT, SUPPORTS, 5)[support]
    group[:, :2] += _effects(AGE_EFFECT, AGES, 2)[age]
    group[:, :2] += _effects(GENDER_EFFECT, GENDERS, 2)[gender]
    group[:, 2:4] += _effects(ETHNICITY_EFFECT, ETHNICITY_CODES, 2)[ethnicity]
    # Carers: their own wellbeing, shaped by the cared-for person's need.
    carer_w = CARER_W_SHIFT + _effects({k: (v,) for k, v in CARER_NEED_W.items()}, NEEDS, 1)[
        need, 0
    ]
    group[:, 0] = np.where(carer, carer_w, group[:, 0])
    scheme_eff = schemes[[f"eff_{x}" for x in LATENTS]].to_numpy(np.float32)
    region_eff = np.zeros((len(region_codes), len(LATENTS)), dtype=np.float32)
    region_eff[:, :2] = _effects(REGION_EFFECT, region_codes, 2)
    base = person_eff + group + scheme_eff[scheme] + region_eff[region]
    trend = np.array([TREND_PER_QUARTER.get(x, 0.0) for x in LATENTS], dtype=np.float32)
    # One contiguous row per latent (memory: a million people make ~3.3M responses).
    latent = np.empty((len(LATENTS), m), dtype=np.float32)
    for k in range(len(LATENTS)):
        latent[k] = base[r_p, k]
        latent[k] += r_q * trend[k]
        latent[k] += 0.5 * rng.standard_normal(m, dtype=np.float32)

    columns: dict[str, pa.Array] = {}
    person_rows = np.flatnonzero(~r_carer)
    carer_rows = np.flatnonzero(r_carer)
    for item in b.items:
        rows = {"person": person_rows, "carer": carer_rows}.get(item.audience)
        rows = np.arange(m) if rows is None else rows
        values = np.zeros(m, dtype=np.int8)
        absent = np.ones(m, dtype=bool)
        absent[rows] = rng.random(len(rows), dtype=np.float32) < rng.uniform(*ITEM_MISSING)
        values[rows] = _answer(rng, item.code, item.scale.min, item.scale.max, latent, rows)
        columns[item.code] = pa.array(values, mask=absent)

    del latent, base, person_eff, group  # the largest arrays: free them before the rest

    # Dates: uniform inside the quarter, never after today.
    q_starts = np.array([s.toordinal() for s in starts], dtype=np.int32)
    q_ends = np.array([min(quarter_end(s), today).toordinal() for s in starts], dtype=np.int32)
    length = (q_ends - q_starts + 1)[r_q]
    day = q_starts[r_q] + (rng.random(m) * length).astype(np.int32)
    epoch = dt.date(1970, 1, 1).toordinal()

    lost = {code: rng.random(m, dtype=np.float32) < share
            for code, share in ATTRIBUTE_MISSING.items()}

    def attribute(code: str, values: np.ndarray, codes: tuple[str, ...]) -> pa.Array:
        return _codes_array(values[r_p], codes, lost[code])

    keys = person_keys(seed, n)
    table = {
        "scheme_id": pa.DictionaryArray.from_arrays(
            pa.array(scheme[r_p]), pa.array(schemes["scheme_id"].tolist(), pa.string())
        ),
        "person_key": pa.DictionaryArray.from_arrays(pa.array(r_p), keys),
        "respondent_type": _codes_array(r_carer.astype(np.int8), ("person", "carer"), None),
        "completed_on": pa.array(day - epoch, pa.int32()).cast(pa.date32()),
        "completed_by": attribute("completed_by", completed, COMPLETED_BY),
        "support_type": attribute("support_type", support, SUPPORTS),
        "age_band": attribute("age_band", age, AGES),
        "gender": attribute("gender", gender, GENDERS),
        "ethnicity": attribute("ethnicity", ethnicity, ETHNICITY_CODES),
        "primary_need": attribute("primary_need", need, NEEDS),
        **columns,
    }
    responses = pa.table(table)
    # The support type as stored (-1 where not recorded), for the activity check.
    support_seen = np.where(lost["support_type"], -1, support[r_p]).astype(np.int8)
    activity = _activity(
        rng, schemes, starts, scheme, carer, support, active, start, last,
        r_p, r_q, r_carer, support_seen,
    )
    return DemoData(
        schemes=schemes, responses=responses, activity=activity, quarters=starts, people=n
    )


def _check_codes() -> None:
    """Fail loudly if the item bank's attribute codes drifted from the demo's tables."""
    for code, ours in (
        ("primary_need", NEEDS), ("support_type", SUPPORTS), ("age_band", AGES),
        ("gender", GENDERS), ("completed_by", COMPLETED_BY), ("ethnicity", ETHNICITY_CODES),
    ):
        unknown = set(ours) - set(bank().attribute(code).codes)
        if unknown:
            raise RuntimeError(
                f"kpi/demo.py writes {code} codes the item bank does not know: "
                f"{sorted(unknown)}. Update the demo's tables to match items.toml."
            )


def _start_shares(region_codes: tuple[str, ...], quarters: int) -> np.ndarray:
    """Per region, the share of its people whose placement starts in each quarter.

    Placed people follow ``(1 + growth) ** q``; each quarter's joiners replace
    those who left (at the typical ending rate) and add the growth.
    """
    q = np.arange(quarters)
    rows = []
    for code in region_codes:
        placed = (1.0 + REGION_GROWTH.get(code, 0.01)) ** q
        joins = np.empty(quarters)
        joins[0] = placed[0]
        joins[1:] = np.maximum(placed[1:] - placed[:-1] * (1 - TYPICAL_LEAVE_RATE), 0.0)
        rows.append(joins / joins.sum())
    return np.array(rows)


def _thresholds(shares: tuple[float, ...]) -> np.ndarray:
    """Cut points on a standard normal that give ``shares`` of each value."""
    cum = np.cumsum(_normalise(shares))[:-1]
    return np.array([NormalDist().inv_cdf(min(max(c, 1e-9), 1 - 1e-9)) for c in cum],
                    dtype=np.float32)


def _answer(
    rng: np.random.Generator,
    code: str,
    lo: int,
    hi: int,
    latent: np.ndarray,
    rows: np.ndarray,
) -> np.ndarray:
    """One item's answers for ``rows`` from the latents: ordinal cut points, in scale."""
    n = len(rows)
    if code == "friends_count":
        x = 0.7 * latent[LATENTS.index("C"), rows]
        x += 0.71 * rng.standard_normal(n, dtype=np.float32)
        rate = FRIENDS_MEDIAN * np.exp(0.55 * x)
        # A few people count a large circle (a club, a church, a big family).
        rate = np.where(rng.random(n, dtype=np.float32) < 0.01, rate * 6, rate)
        return np.clip(rng.poisson(rate), lo, hi).astype(np.int8)
    name, sign, loading, shares = ITEM_MODEL.get(
        code, ("W", 1, 0.5, tuple([1.0] * min(hi - lo + 1, 11)))
    )
    x = loading * latent[LATENTS.index(name), rows]
    x += np.float32(np.sqrt(1 - loading**2)) * rng.standard_normal(n, dtype=np.float32)
    x *= sign
    values = lo + np.searchsorted(_thresholds(shares), x, side="right")
    return np.clip(values, lo, hi).astype(np.int8)


def _activity(
    rng: np.random.Generator,
    schemes: pd.DataFrame,
    starts: list[dt.date],
    scheme: np.ndarray,
    carer: np.ndarray,
    support: np.ndarray,
    active: np.ndarray,
    start: np.ndarray,
    last: np.ndarray,
    r_p: np.ndarray,
    r_q: np.ndarray,
    r_carer: np.ndarray,
    r_support: np.ndarray,
) -> pd.DataFrame:
    """One return per scheme per quarter, consistent with the survey panel.

    People supported = the panel's people placed in that quarter, scaled up by
    a per-scheme factor for people not in the panel (calibrated so England's
    last quarter is just under 12,000 at 20,000 demo people), and never fewer
    than the respondents of that support type: response rates ~30-70%.
    """
    n_s, n_q, n_t = len(schemes), len(starts), len(SUPPORTS)
    persons = ~carer
    placed = np.zeros((n_s * n_q, n_t), dtype=np.int64)
    for q in range(n_q):  # people placed per scheme and support type, quarter by quarter
        here = active[:, q] & persons
        counts = np.bincount(scheme[here].astype(np.int64) * n_t + support[here],
                             minlength=n_s * n_t).reshape(n_s, n_t)
        placed[np.arange(n_s) * n_q + q] = counts
    responded = np.zeros_like(placed)
    seen = r_support >= 0
    resp_cell = scheme[r_p].astype(np.int64) * n_q + r_q
    np.add.at(responded, (resp_cell[seen], r_support[seen]), 1)

    england = schemes["region"].map({r.name: r.nation for r in bank().regions}) == "England"
    england_cells = np.repeat(england.to_numpy(), n_q) & np.tile(np.arange(n_q) == n_q - 1, n_s)
    target = ENGLAND_SUPPORTED * len(scheme) / DEFAULT_PEOPLE
    spread = rng.uniform(0.93, 1.08, n_s)
    jitter = rng.uniform(0.98, 1.02, n_s * n_q)
    factor = 1.0
    for _ in range(3):  # the floor at 1 and the rounding move the total: re-aim twice
        cell_scale = np.repeat(np.maximum(1.0, factor * spread), n_q) * jitter
        supported = np.maximum(np.round(placed * cell_scale[:, None]), responded)
        factor *= target / max(1.0, supported[england_cells].sum())
    supported = supported.astype(np.int64)

    joined = np.bincount(scheme[persons].astype(np.int64) * n_q + start[persons],
                         minlength=n_s * n_q)
    ended_at = np.clip(last[persons], 0, n_q)  # n_q: still placed after the window
    ended = np.bincount(scheme[persons].astype(np.int64) * (n_q + 1) + ended_at,
                        minlength=n_s * (n_q + 1)).reshape(n_s, n_q + 1)[:, :n_q].ravel()
    new = np.round(joined * cell_scale).astype(np.int64)
    # Before the window everyone "joined" at quarter 0: estimate its new
    # arrangements from the scheme's turnover instead.
    first = np.arange(n_s) * n_q
    new[first] = rng.poisson(np.maximum(ended[first], 1) * cell_scale[first])
    total = supported.sum(axis=1)
    carers = np.ceil(total * np.repeat(rng.uniform(0.7, 0.9, n_s), n_q)).astype(np.int64)

    frame = pd.DataFrame(supported, columns=list(SUPPORTS))
    frame.insert(0, "scheme_id", np.repeat(schemes["scheme_id"].to_numpy(), n_q))
    frame.insert(1, "quarter_start", np.tile(np.array(starts, dtype=object), n_s))
    frame["approved_carers"] = carers
    frame["new_arrangements"] = new
    frame["ended_arrangements"] = np.round(ended * cell_scale).astype(np.int64)
    # Real returns arrive late: about 5% of schemes have not sent the latest
    # quarter's yet, and 1% of earlier returns are missing, so the Data quality
    # page has something true to show.
    latest = np.tile(np.arange(n_q) == n_q - 1, n_s)
    late = rng.random(n_s * n_q) < np.where(latest, 0.05, 0.01)
    return frame.loc[~late, ["scheme_id", "quarter_start", *ACTIVITY_COUNTS]].reset_index(
        drop=True
    )


# ---------------------------------------------------------------------- load ---
def _refuse_real(counts: dict[str, int], store: Store) -> None:
    if counts["uploads"] or counts["schemes"]:
        raise RefusedFile(
            f"{store.path} holds real data ({counts['uploads']} uploads and "
            f"{counts['schemes']} schemes that are not demo), so the demo was not loaded: "
            "it would mix invented people with real ones. Load the demo into its own "
            "file instead, e.g. `python -m kpi demo --db data/demo.duckdb`."
        )


def load_demo(
    store: Store,
    people: int = DEFAULT_PEOPLE,
    quarters: int = 8,
    seed: int = 2026,
    end_quarter: dt.date | None = None,
) -> dict:
    """Replace any demo in ``store`` with a fresh synthetic sector; return a summary.

    Refuses (ValueError) a store that holds real uploads or schemes. The last
    quarter defaults to the last complete UK financial quarter before today.
    Summary keys: schemes, people, responses, quarters (labels),
    activity_returns, seconds, upload_id.
    """
    began = time.perf_counter()
    store.ensure()
    with store.connect() as con:  # refuse before spending time generating
        _refuse_real(store.non_demo_counts(con), store)
    data = generate(people=people, quarters=quarters, seed=seed, end_quarter=end_quarter)
    labels = [quarter_label(q) for q in data.quarters]
    note = json.dumps({"people": people, "quarters": labels, "seed": seed})
    with store.transaction() as con:
        _refuse_real(store.non_demo_counts(con), store)
        store.clear_demo(con)
        store.upsert_schemes(con, data.schemes)
        upload_id = store.new_upload(
            con, scheme_id=None, kind="demo", file_name="synthetic demo sector",
            sha256=None, uploaded_by="python -m kpi demo", layout="demo",
            rows_read=data.responses.num_rows, is_demo=True,
        )
        stored = store.bulk_insert_responses(con, upload_id, data.responses)
        store.store_activity(con, upload_id, data.activity)
        store.finish_upload(con, upload_id, accepted=stored, rejected=0, note=note)
        store.mark_demo(con)
    return {
        "schemes": len(data.schemes),
        "people": data.people,
        "responses": stored,
        "quarters": labels,
        "activity_returns": len(data.activity),
        "seconds": round(time.perf_counter() - began, 2),
        "upload_id": upload_id,
    }
