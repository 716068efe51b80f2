"""The Definitions page's words: who a KHI or question is about, its method, what
it is built from and its answer scale.

Why here and not on the page: the definitions CSV, the Definitions page and any
export read the same catalogue and bank, so the words are written once (no
streamlit; a function of the catalogue, the bank and the questionnaire only).
"""

from __future__ import annotations

import pandas as pd

from kpi.catalogue import KHI, catalogue
from kpi.export import safe_csv
from kpi.items import Item, Scale, bank
from kpi.questionnaire import item_question
from kpi.wording import polarity_words

__all__ = ["METHOD", "WHO", "definitions_csv", "easy_words", "item_table", "khi_details",
           "khi_table", "scale_words", "what_it_counts"]

WHO = {"person": "People using Shared Lives", "carer": "Family carers", "all": "Everyone"}
METHOD = {
    "proportion": "Percentage, with a Wilson score interval",
    "mean": "Average, with a Student's t interval",
    "change": "Average change per person, with a t interval; shares better / same / worse",
}


def scale_words(scale: Scale) -> str:
    """An answer scale as people read it: "1 Strongly disagree · 2 Disagree …"."""
    if scale.labelled:
        return " · ".join(f"{value} {label}" for value, label in scale.values)
    ends = " · ".join(f"{value} = {label}" for value, label in scale.values)
    return f"A number from {scale.min} to {scale.max} ({ends})"


def what_it_counts(khi: KHI) -> str:
    """The question(s) or score a KHI is built from, in words."""
    b = bank()
    if khi.score in b.item_codes:
        return f"“{b.item(khi.score).text}” ({khi.score})"
    if khi.score == "swemwbs_metric":
        return "SWEMWBS metric score (7-35) from the seven wellbeing questions"
    spec = b.scores.get(khi.score, {})
    return str(spec.get("name", khi.score))


def khi_details(khi: KHI) -> tuple[str, str, str, str]:
    """Who a KHI is about, its good direction, its method and what it is built from
    (the card's and the table's words, so the two never differ)."""
    return (
        WHO.get(khi.population, khi.population),
        polarity_words(khi).capitalize(),
        METHOD.get(khi.measure, khi.measure),
        what_it_counts(khi),
    )


def khi_table(khis: list[KHI]) -> pd.DataFrame:
    """One row per KHI: what the Definitions page shows (code first, for exports)."""
    details = [khi_details(k) for k in khis]
    return pd.DataFrame(
        {
            "Code": [k.code for k in khis],
            "Indicator": [k.name for k in khis],
            "Who": [d[0] for d in details],
            "Definition": [k.definition for k in khis],
            "Built from": [d[3] for d in details],
            "Good direction": [d[1] for d in details],
            "Method": [d[2] for d in details],
        }
    )


def easy_words(item: Item) -> tuple[str, str]:
    """The question and its answers as the easy-read questionnaire asks them."""
    easy = item_question(item, "easy_read")
    if easy.licensed:
        return "Same words (a licensed question: its exact wording is kept)", "Same"
    standard = item_question(item, "standard")
    answers = [o.words for o in easy.options if o.value is not None]
    same = answers == [o.words for o in standard.options if o.value is not None]
    return easy.text, ("Same" if same or easy.kind == "number"
                       else " · ".join(f"{o.value} {o.words}" for o in easy.options
                                       if o.value is not None))


def item_table(items: list[Item]) -> pd.DataFrame:
    """One row per survey question with its answer scale, in both wordings."""
    easy = [easy_words(i) for i in items]
    return pd.DataFrame(
        {
            "Code": [i.code for i in items],
            "Question": [i.text for i in items],
            "Asked of": [WHO.get(i.audience, i.audience) for i in items],
            "Answers": [scale_words(i.scale) for i in items],
            "Easy read": [e[0] for e in easy],
            "Easy-read answers": [e[1] for e in easy],
        }
    )


def definitions_csv() -> str:
    """The catalogue as a spreadsheet-safe CSV (what the Indicators tab shows)."""
    return safe_csv(khi_table(list(catalogue())))
