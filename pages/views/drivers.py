"""What goes with better outcomes: how an outcome KHI differs by what people
experience (involvement in planning, choice and control, being listened to), by
support type and by who filled in the form.

The page reads the two choices and the sidebar's filters, calls
:func:`kpi.drivers.drivers` (a logistic regression adjusted for age band, main
support need and support type) and draws its odds ratios with their 95%
intervals, in the engine's words. Groups too small for an estimate say so and
show no number.
"""

from __future__ import annotations

import streamlit as st

from kpi import charts
from kpi import drivers as model
from kpi.catalogue import khi as khi_by_code
from kpi.indicators import Filters
from pages.views import _common as c

FACTOR_LABELS = {f.code: f.label for f in model.FACTORS}


drivers = c.on_store(model.drivers, spinner="Fitting the model…")


def render() -> None:
    """Draw the page for the sidebar's filters."""
    label = c.start_page("What goes with better outcomes")
    if label is None:
        return
    st.caption(
        "For one outcome, how people's answers differ by what they experience, their "
        "support type and who filled in the form: odds ratios from a logistic regression "
        "that allows for age band, main support need and support type. An association, "
        "not proof of cause."
    )
    left, right = st.columns(2)
    with left:
        outcome = st.selectbox(
            "Outcome", model.OUTCOMES, format_func=lambda k: khi_by_code(k).name,
            key="drivers_outcome",
        )
    with right:
        factor = st.selectbox(
            "Differs by", list(FACTOR_LABELS), format_func=FACTOR_LABELS.get,
            key="drivers_factor",
        )
    draw(label, outcome, factor, c.current_filters())


def draw(label: str, outcome: str, factor: str, filters: Filters) -> None:
    """Everything under the two choices."""
    khi = khi_by_code(outcome)
    found, base, note = drivers(
        outcome, factor, quarter=label, filters=filters, settings=c.settings()
    )
    st.caption(f"{c.area_label(filters)} · {label}. {c.khi_explained(khi)}")
    if note:
        st.info(note)
        return
    if base is None:
        st.markdown(
            "**Base:** not shown. How many people answered both questions is shown only "
            "where the indicator tables publish it, so that no group of fewer than "
            f"{c.settings().min_base} people can be worked out by subtraction."
        )
    else:
        st.markdown(f"**Base:** {base:,} people answered both questions in this quarter.")
    for d in found:
        st.markdown(f"- {c.md(d.sentence(khi))}")
    joined = next((d.joined for d in found if d.joined), ())
    if joined:
        st.caption(c.md("To fit the model, " + "; ".join(joined) + "."))
    if any(d.estimated for d in found):
        title = f"{khi.name}: odds ratios by {FACTOR_LABELS[factor].lower()}"
        c.chart(charts.forest_chart(found, title), "drivers_chart")
    c.static_table(model.drivers_table(found), "Odds ratios")
    st.caption(
        f"An estimate needs at least {model.MIN_GROUP} people in a group and in the group it "
        f"is compared with, each with at least {c.settings().min_base} with and without the "
        f"outcome, and at least {model.MIN_MODEL} people in the model. An odds ratio above 1 "
        "means the outcome is more common in the group, below 1 less common; where the 95% "
        "interval crosses 1 the difference could be chance. Outcomes that are bad (such as "
        "loneliness) are better when lower."
    )
