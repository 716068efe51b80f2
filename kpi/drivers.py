"""What goes with better outcomes: odds ratios from a logistic regression.

Pure (no streamlit). For an outcome KHI (loneliness, wellbeing, life
satisfaction, friendships) and a factor (a process KHI people experience, their
support type, or who filled in the form), :func:`drivers` fits

    logit P(outcome) = b0 + b * factor + age band + main support need + support type

by maximum likelihood (``statsmodels.Logit``) over each person's latest response
in the quarter and area, and reports ``exp(b)`` with its 95% Wald interval. The
adjustment compares like with like (a person with dementia in short breaks with
another), but it is still an association, not proof of cause: the words say so.

Disclosure and minimum sample
-----------------------------
Every count shown is a cell of the KHI tables, decided as they decide it (see
:func:`_published`). No estimate is shown unless the model has at least ``MIN_MODEL`` people and the
factor's group and its comparison group each have at least ``MIN_GROUP`` people,
with at least ``Settings.min_base`` of them with and without the outcome (a
group where everyone, or nearly everyone, has the outcome gives no stable
odds). The shares shown beside each estimate are over groups that passed.
Covariate groups smaller than ``MIN_COVARIATE`` are merged into one ("small
groups"); that group still that small, or a covariate group where everyone or no one has the
outcome (it would stop the model from fitting for every group), is counted with
the covariate's reference group, and the page says which and why. One such group
never costs the whole model its estimates.

References
----------
Hosmer DW, Lemeshow S, Sturdivant RX. Applied Logistic Regression, 3rd ed. Wiley; 2013.
Spector LC, Mazzeo M. Probit analysis and economic education. J Econ Educ.
1980;11:37-44 (the worked example the tests check the fit against).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpi import indicators as engine
from kpi.catalogue import KHI
from kpi.catalogue import khi as khi_by_code
from kpi.errors import NoEstimate, UnknownCode
from kpi.indicators import Filters, Settings
from kpi.items import bank
from kpi.periods import quarter_label
from kpi.store import Store, one_read_batch, queries
from kpi.wording import estimate_chance

__all__ = [
    "drivers_table",
    "ADJUSTED_FOR",
    "FACTORS",
    "OUTCOMES",
    "Driver",
    "Factor",
    "drivers",
    "odds_ratios",
]

# Outcome KHIs (proportions, so a logistic model fits them).
OUTCOMES: tuple[str, ...] = (
    "lonely_often", "lonely_ucla", "emotional_health_better", "life_satisfaction_high",
    "friends_any", "friends_support_helps",
)
ADJUSTED_FOR: tuple[str, ...] = ("age_band", "primary_need", "support_type")
MIN_MODEL = 100
MIN_GROUP = 30
MIN_COVARIATE = 30


@dataclass(frozen=True)
class Factor:
    """A factor the page can look at: a process KHI (yes/no) or an attribute."""

    code: str
    label: str  # "Fully involved in planning", "Support type"
    kind: str  # "khi" or "attribute"


FACTORS: tuple[Factor, ...] = (
    Factor("planning_full", "Fully involved in planning their support", "khi"),
    Factor("choice_control", "Have choice and control over their support", "khi"),
    Factor("listened_to", "Feel listened to", "khi"),
    Factor("support_type", "Support type", "attribute"),
    Factor("completed_by", "Who filled in the form", "attribute"),
)


@dataclass(frozen=True)
class Driver:
    """One group of a factor against its comparison group."""

    factor: str
    group: str  # "Fully involved in planning", "Short breaks"
    reference: str  # "not", "Long-term"
    n: int | None  # people in the group (None when too few to show)
    share: float | None  # percent of the group with the outcome
    reference_n: int | None
    reference_share: float | None
    odds_ratio: float | None  # None: no estimate (too few, or the model failed)
    lower95: float | None
    upper95: float | None
    p_value: float | None
    reason: str  # why there is no estimate ("" when there is one)
    # Covariate groups the model counted with their reference, and why.
    joined: tuple[str, ...] = ()

    @property
    def estimated(self) -> bool:
        return self.odds_ratio is not None

    def sentence(self, outcome: KHI) -> str:
        """The estimate in plain words, ending "an association, not proof of cause"."""
        if not self.estimated:
            return f"{self.group}: no estimate — {self.reason}."
        what = outcome_words(outcome)
        ratio = self.odds_ratio
        shares = ""
        if self.share is not None and self.reference_share is not None:
            shares = (f" ({self.share:.0f}% of them, against {self.reference_share:.0f}% of "
                      f"{self.reference})")
        interval = f"95% interval {self.lower95:.2f} to {self.upper95:.2f}"
        chance = self.lower95 > 1 or self.upper95 < 1  # type: ignore[operator]
        if ratio >= 1:  # type: ignore[operator]
            size = f"{ratio:.1f} times the odds of {what}"
        else:
            size = f"lower odds of {what} ({ratio:.2f} times)"
        words = (f"{self.group} had {size}{shares}, allowing for age, main support need "
                 f"and support type (odds ratio {ratio:.2f}, {interval}")
        words += f"; {estimate_chance(chance)})"
        return words + " — an association, not proof of cause."


def outcome_words(outcome: KHI) -> str:
    """What the outcome's "yes" means, to follow "the odds of"."""
    return {
        "lonely_often": "feeling lonely often or always",
        "lonely_ucla": "being lonely on the UCLA-3 scale",
        "emotional_health_better": "saying their support helped how they feel in themselves",
        "life_satisfaction_high": "being highly satisfied with their life",
        "friends_any": "having at least one friend",
        "friends_support_helps": "saying their support helps them make and keep friends",
    }.get(outcome.code, outcome.name.lower())


# Groups as the sentences name them.
PEOPLE_WORDS: dict[str, dict[str, str]] = {
    "planning_full": {"yes": "People fully involved in planning their support",
                      "no": "people who were partly or not involved"},
    "choice_control": {"yes": "People with choice and control over their support",
                       "no": "people without"},
    "listened_to": {"yes": "People who feel listened to", "no": "people who do not"},
    "completed_by": {"self": "people who filled in the form themselves",
                     "with_help": "People who had some help filling in the form",
                     "proxy": "People whose form someone else filled in"},
}


# ------------------------------------------------------------------ the model ---
def odds_ratios(y: pd.Series, x: pd.DataFrame) -> pd.DataFrame:
    """Fit a logistic regression of ``y`` (0/1) on ``x`` (numeric columns, no
    constant: one is added) and give each term's odds ratio and 95% Wald interval.

    Parameters
    ----------
    y : Series
        The outcome, 0 or 1.
    x : DataFrame
        Covariates, numeric (dummy-coded already).

    Returns
    -------
    DataFrame
        Indexed by term ("const" first): coef, se, odds_ratio, lower95, upper95,
        p_value.

    Raises
    ------
    ValueError
        When the model cannot be fitted (perfect separation, or no convergence).
    """
    import statsmodels.api as sm

    design = sm.add_constant(x.astype(float), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # separation and non-convergence raise
        try:
            fit = sm.Logit(y.astype(float), design).fit(disp=0, maxiter=200)
        except Exception as exc:  # noqa: BLE001 - statsmodels raises several kinds
            raise NoEstimate(
                "the model could not be fitted: in some group (of age, need or support "
                "type) everyone or no one has the outcome; try a wider area or another "
                "quarter"
            ) from exc
    if not fit.mle_retvals.get("converged", True):
        raise NoEstimate("the model could not be fitted (it did not converge); try a "
                         "wider area or another quarter")
    coef, se = fit.params, fit.bse
    z = 1.959963984540054
    return pd.DataFrame(
        {
            "coef": coef,
            "se": se,
            "odds_ratio": np.exp(coef),
            "lower95": np.exp(coef - z * se),
            "upper95": np.exp(coef + z * se),
            "p_value": fit.pvalues,
        }
    )


def _dummies(column: pd.Series, reference: str, prefix: str) -> pd.DataFrame:
    levels = [v for v in pd.unique(column) if v != reference]
    return pd.DataFrame(
        {f"{prefix}={v}": (column == v).astype(float) for v in sorted(map(str, levels))},
        index=column.index,
    )


# Small covariate groups together (not "other": main support need has its own).
SMALL = "small groups"


def _covariate(column: pd.Series) -> tuple[pd.Series, str]:
    """Missing as its own group, small groups merged; the largest is the reference."""
    out = column.astype(object).where(column.notna(), "not recorded").astype(str)
    counts = out.value_counts()
    small = counts[counts < MIN_COVARIATE].index
    out = out.where(~out.isin(small), SMALL)
    counts = out.value_counts()
    return out, str(counts.index[0])


COVARIATE_WORDS = {"age_band": "age band", "primary_need": "main support need",
                   "support_type": "support type"}


def _joined_words(name: str, level: str, reference: str, why: str) -> str:
    """"main support need “Other needs (fewer than 30 each)” counted with
    “Learning disability” (no one in it has the outcome)"."""
    labels = dict(bank().attribute(name).labels)
    labels[SMALL] = f"groups of fewer than {MIN_COVARIATE} people together"
    def word(code: str) -> str:
        return str(labels.get(code, code))
    return (f"{COVARIATE_WORDS.get(name, name)} “{word(level)}” counted with "
            f"“{word(reference)}” ({why})")


def _join_reference(
    y: pd.Series, columns: dict[str, pd.Series], references: dict[str, str],
) -> tuple[dict[str, pd.Series], list[str]]:
    """Covariate groups a logistic model cannot estimate join their reference.

    A group smaller than ``MIN_COVARIATE`` (the "other" of small groups can stay
    small) or where everyone, or no one, has the outcome (separation: its
    coefficient runs off to infinity and the fit fails for every group) is counted
    with the covariate's reference group instead. The model then still allows for
    the rest of that covariate; the returned sentences say which group joined
    which, and why (Hosmer, Lemeshow & Sturdivant 2013, section 4.5: collapse
    categories with zero cells).
    """
    out, said = {}, []
    for name, column in columns.items():
        ref = references[name]
        for level in sorted(set(column) - {ref}):
            inside = y[column == level]
            yes = int(inside.sum())
            if len(inside) >= MIN_COVARIATE and 0 < yes < len(inside):
                continue
            why = ("everyone in it has the outcome" if yes == len(inside) else
                   "no one in it has the outcome" if yes == 0 else
                   f"fewer than {MIN_COVARIATE} people")
            column = column.where(column != level, ref)
            said.append(_joined_words(name, level, ref, why))
        out[name] = column
    return out, said


def _weakest(y: pd.Series, columns: dict[str, pd.Series], references: dict[str, str],
             ) -> tuple[str, str] | None:
    """The covariate group with the fewest people on its rarer side (with or
    without the outcome): the one most likely to stop a fit."""
    best: tuple[int, str, str] | None = None
    for name, column in columns.items():
        for level in set(column) - {references[name]}:
            inside = y[column == level]
            yes = int(inside.sum())
            rarer = min(yes, len(inside) - yes)
            if best is None or (rarer, name, level) < best:
                best = (rarer, name, level)
    return None if best is None else (best[1], best[2])


def _fit(y: pd.Series, factor_x: pd.DataFrame, columns: dict[str, pd.Series],
         references: dict[str, str]) -> tuple[pd.DataFrame | None, str, list[str]]:
    """Fit the model; a covariate group that stops it joins its reference (one at
    a time, the weakest first) rather than the whole model being refused.

    Returns the fit (None when even the factor alone cannot be fitted), the reason
    when there is no fit, and the sentences saying which groups joined which."""
    columns, said = _join_reference(y, columns, references)
    while True:
        x = pd.concat([factor_x, *(_dummies(c, references[n], n)
                                   for n, c in columns.items())], axis=1)
        x = x.loc[:, x.std() > 0]  # a covariate that no longer varies adds nothing
        try:
            return odds_ratios(y, x), "", said
        except ValueError as exc:
            weakest = _weakest(y, columns, references)
            if weakest is None:
                return None, str(exc), said
            name, level = weakest
            ref = references[name]
            columns = {**columns, name: columns[name].where(columns[name] != level, ref)}
            said.append(_joined_words(name, level, ref,
                                      "the model could not be fitted with it apart"))


# ------------------------------------------------------------------ the data ---
def _people(
    store: Store, outcome: KHI, factor: Factor, quarter: dt.date | str | None,
    filters: Filters,
) -> pd.DataFrame:
    """One row per person (latest response in the quarter, in the area): y, the
    factor and the covariates. People without an answer to the outcome are left out."""
    hits = {"y": outcome}
    attributes = {}
    if factor.kind == "khi":
        hits["factor"] = khi_by_code(factor.code)
    else:
        attributes["factor"] = factor.code
    attributes.update({name: name for name in ADJUSTED_FOR})
    filters = Filters(regions=filters.regions, scheme_ids=filters.scheme_ids,
                      support_types=filters.support_types,
                      respondent_types=(outcome.population,), scope=filters.scope)
    with store.connect() as con:
        people = queries.latest_people(con, quarter, filters, hits, attributes)
    if factor.kind == "khi":  # the process KHI met or not, in the words of the groups
        people["factor"] = people["factor"].map({1: "yes", 0: "no"})
    return people.dropna(subset=["y", "factor"]).reset_index(drop=True)


def _label(factor: Factor, code: str, reference: bool = False) -> str:
    """The group in words: "People fully involved in planning their support" for a
    group, "people who were partly or not involved" for its comparison."""
    words = PEOPLE_WORDS.get(factor.code, {}).get(code)
    if words is None:
        label = dict(bank().attribute(factor.code).labels).get(code, code)
        words = f"people in {label.lower()}" if factor.code == "support_type" else label
    if reference:
        return words[0].lower() + words[1:]
    return words[0].upper() + words[1:]


def _published(
    store: Store, outcome: KHI, factor: Factor, quarter: dt.date | str | None,
    filters: Filters, settings: Settings,
) -> tuple[dict[str, int | None], int | None]:
    """The counts the page may show: each group's people and the model's base, as
    the KHI tables publish them (the one disclosure decision), else None.

    A group of an attribute factor (support type, who filled in the form) is the
    outcome KHI's cell for that group: shown when the KHI table by that factor shows
    it. The base is the area's total less its "not recorded" cell, so it is shown
    only when both are. The groups of a process KHI (involved in planning or not)
    are no table's cells: their counts, and the base of people who answered both
    questions, would give away small groups by subtraction, so they are not shown.
    """
    if factor.kind == "khi":
        return {}, None
    rows = engine.indicator_table(store, [outcome.code], by=[factor.code], quarter=quarter,
                                  filters=filters, settings=settings)
    total = engine.indicator_table(store, [outcome.code], quarter=quarter, filters=filters,
                                   settings=settings)
    shown: dict[str, int | None] = {}
    missing: int | None = 0
    for code, n, hidden in zip(rows[factor.code], rows["n"], rows["suppressed"]):
        value = None if bool(hidden) or pd.isna(n) else int(n)
        if pd.isna(code):
            missing = value
        else:
            shown[str(code)] = value
    if total.empty or bool(total["suppressed"].iloc[0]) or missing is None:
        return shown, None
    return shown, int(total["n"].iloc[0]) - missing


@one_read_batch
def drivers(
    store: Store,
    outcome: str,
    factor: str,
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> tuple[list[Driver], int | None, str]:
    """Odds ratios of ``outcome`` for each group of ``factor`` against its reference.

    Parameters
    ----------
    store : Store
    outcome : str
        An outcome KHI code (one of ``OUTCOMES``).
    factor : str
        A factor code (one of ``FACTORS``).
    quarter, filters, settings
        As :func:`kpi.indicators.indicator_table`.

    Returns
    -------
    drivers, base, note
        One :class:`Driver` per non-reference group; the number of people who
        answered both questions, None where the KHI tables' disclosure decision does
        not publish it (see :func:`_published`); a note when no model was fitted
        at all ("" otherwise).

    Raises
    ------
    ValueError
        For an unknown outcome or factor.
    """
    if outcome not in OUTCOMES:
        raise UnknownCode(f"Unknown outcome {outcome!r}: use one of {', '.join(OUTCOMES)}.")
    chosen = {f.code: f for f in FACTORS}.get(factor)
    if chosen is None:
        raise UnknownCode(
            f"Unknown factor {factor!r}: use one of {', '.join(f.code for f in FACTORS)}."
        )
    settings = settings or engine.default_settings()
    filters = filters or Filters()
    target = khi_by_code(outcome)
    people = _people(store, target, chosen, quarter, filters)
    published, base = _published(store, target, chosen, quarter, filters, settings)
    if len(people) < MIN_MODEL:
        label = quarter_label(quarter) if isinstance(quarter, dt.date) else "this quarter"
        return [], base, (f"Too few people answered both questions in {label} for an estimate "
                          f"(a model needs at least {MIN_MODEL}).")
    # The factor's reference: "no" for a process KHI, else its largest group.
    groups = people["factor"].astype(str)
    counts = groups.value_counts()
    reference = "no" if chosen.kind == "khi" else str(counts.index[0])
    covariates: dict[str, pd.Series] = {}
    references: dict[str, str] = {}
    for name in ADJUSTED_FOR:
        if name == chosen.code:
            continue
        covariates[name], references[name] = _covariate(people[name])

    def enough(code: str) -> bool:
        in_group = people["y"][groups == code]
        yes = int(in_group.sum())
        return (len(in_group) >= MIN_GROUP and yes >= settings.min_base
                and len(in_group) - yes >= settings.min_base)

    shown = {code for code in counts.index if enough(code)}
    out: list[Driver] = []
    ref_ok = reference in shown
    ref_share = 100.0 * float(people["y"][groups == reference].mean()) if ref_ok else None
    fit: pd.DataFrame | None = None
    failure = ""
    joined: list[str] = []
    if ref_ok and len(shown) >= 2:
        use = groups.isin(shown)  # too-small groups leave the model, not just the table
        fit, failure, joined = _fit(
            people["y"][use], _dummies(groups[use], reference, "factor"),
            {n: c[use] for n, c in covariates.items()}, references,
        )
    others = [code for code in counts.index if code != reference]
    if chosen.kind == "khi":
        others = ["yes"] if "yes" in counts.index else []
    for code in others:
        n = int(counts.get(code, 0))
        share = 100.0 * float(people["y"][groups == code].mean())
        term = f"factor={code}"
        reason = ""
        if not ref_ok:
            reason = (f"too few answers among {_label(chosen, reference, reference=True)} "
                      f"for an estimate (at least {MIN_GROUP} people, {settings.min_base} "
                      "with and without the outcome)")
        elif code not in shown:
            reason = (f"too few answers for an estimate (at least {MIN_GROUP} people, "
                      f"{settings.min_base} with and without the outcome)")
        elif failure:
            reason = failure
        elif fit is None or term not in fit.index:
            reason = "the model could not separate this group from the others"
        hide = published.get(code) is None
        row = fit.loc[term] if not reason and fit is not None else None
        out.append(
            Driver(
                factor=chosen.code,
                group=_label(chosen, code),
                reference=_label(chosen, reference, reference=True),
                n=None if hide else n,
                share=None if (hide and chosen.kind != "khi") or reason else share,
                reference_n=published.get(reference),
                reference_share=ref_share if not reason else None,
                odds_ratio=None if row is None else float(row["odds_ratio"]),
                lower95=None if row is None else float(row["lower95"]),
                upper95=None if row is None else float(row["upper95"]),
                p_value=None if row is None else float(row["p_value"]),
                reason=reason,
                joined=tuple(joined) if row is not None else (),
            )
        )
    return out, base, ""


def drivers_table(found: Sequence[Driver]) -> pd.DataFrame:
    """One row per group: base, share with the outcome, odds ratio and interval;
    "No estimate" (and no number) where the group is too small."""
    rows = []
    for d in found:
        rows.append({
            "Group": d.group,
            "Compared with": d.reference,
            "Answered": "" if d.n is None else f"{d.n:,}",
            "With the outcome": "" if d.share is None else f"{d.share:.0f}%",
            "Odds ratio": f"{d.odds_ratio:.2f}" if d.estimated else "No estimate",
            "95% interval": (f"{d.lower95:.2f} to {d.upper95:.2f}" if d.estimated
                             else d.reason),
        })
    return pd.DataFrame(rows)
