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

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kpi import drivers as model
from kpi.catalogue import khi as khi_by_code
from kpi.indicators import Filters
from pages.views import _common as c

FACTOR_LABELS = {f.code: f.label for f in model.FACTORS}


drivers = c.on_store(model.drivers, spinner="Fitting the model…")


def table(found: list[model.Driver]) -> pd.DataFrame:
    """One row per group: base, share with the outcome, odds ratio and interval;
    "no estimate" (and no number) where the group is too small."""
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


def forest(found: list[model.Driver], title: str) -> go.Figure:
    """Odds ratios on a log scale with their 95% intervals and the line of no
    difference at 1."""
    shown = [d for d in found if d.estimated]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[d.odds_ratio for d in shown], y=[d.group for d in shown], mode="markers",
        marker={"color": c.PALETTE["blue"], "size": 10},
        error_x={"type": "data", "symmetric": False,
                 "array": [d.upper95 - d.odds_ratio for d in shown],
                 "arrayminus": [d.odds_ratio - d.lower95 for d in shown]},
        hovertemplate="%{y}: odds ratio %{x:.2f}<extra></extra>", name="odds ratio",
    ))
    # The line of no difference as a trace on its own 0-1 axis: shapes on a log axis
    # are placed differently by plotly.js versions (Streamlit's and kaleido's).
    fig.add_trace(go.Scatter(x=[1, 1], y=[0, 1], yaxis="y2", mode="lines",
                             line={"color": "#555555", "dash": "dash"}, hoverinfo="skip",
                             name="no difference"))
    fig.update_layout(yaxis2={"overlaying": "y", "range": [0, 1], "visible": False})
    values = [v for d in shown for v in (d.lower95, d.upper95)] or [0.5, 2]
    span = max(abs(math.log10(min(values))), abs(math.log10(max(values))), 0.3) * 1.1
    fig.update_xaxes(type="log", range=[-span, span],
                     title="Odds ratio (log scale; dashed line at 1: no difference)")
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(title=title, height=140 + 60 * max(len(shown), 1),
                      margin={"l": 10, "r": 20, "t": 60, "b": 50}, showlegend=False,
                      template="simple_white")
    return fig


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
        c.chart(forest(found, f"{khi.name}: odds ratios by {FACTOR_LABELS[factor].lower()}"),
                "drivers_chart")
    c.static_table(table(found), "Odds ratios")
    st.caption(
        f"An estimate needs at least {model.MIN_GROUP} people in a group and in the group it "
        f"is compared with, each with at least {c.settings().min_base} with and without the "
        f"outcome, and at least {model.MIN_MODEL} people in the model. An odds ratio above 1 "
        "means the outcome is more common in the group, below 1 less common; where the 95% "
        "interval crosses 1 the difference could be chance. Outcomes that are bad (such as "
        "loneliness) are better when lower."
    )
