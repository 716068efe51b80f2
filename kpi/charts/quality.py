"""The Data quality page's figures: response rates against scheme size, and the
share who answered each question.

Why here and not on the page: a figure is a decision about what to show (hidden
cells keep their row, never a bar); kept with the other figures it can be tested
and reused without streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from kpi.charts.bars import share_bars
from kpi.charts.palette import PALETTE
from kpi.charts.style import empty_figure, hidden_mask, style_figure, wrap
from kpi.items import bank
from kpi.tables import HIDDEN_SHORT, quarter_words, suppressed_rows

__all__ = ["completeness_chart", "rates_chart"]


def rates_chart(rates: pd.DataFrame, label: str, names: Mapping[str, str]) -> go.Figure:
    """The chosen quarter: each scheme's response rate against its size (``names``:
    scheme id to the name shown).

    Why a scatter and not a bar per scheme: 150 schemes do not fit a bar chart,
    and a rate means more beside the number of people it is out of.
    """
    data = rates[[quarter_words(q) == label for q in rates["quarter"]]]
    data = data[~hidden_mask(data, "rate") & data["rate"].notna()]
    if data.empty:
        return empty_figure(f"No response rates to show for {label}.")
    fig = go.Figure(
        go.Scatter(
            x=data["people_supported"],
            y=data["rate"],
            mode="markers",
            marker={"color": PALETTE["blue"], "size": 9, "opacity": 0.8},
            text=[names.get(s, s) for s in data["scheme_id"]],
            customdata=data["responses"],
            hovertemplate=(
                "<b>%{text}</b><br>Response rate %{y:.0f}%<br>"
                "%{customdata:,} responses from %{x:,} people supported<extra></extra>"
            ),
            name="Scheme",
        )
    )
    fig.update_xaxes(title={"text": "People supported in the quarter"}, tickformat=",")
    top = float(data["rate"].max())
    fig.update_yaxes(
        title={"text": "Response rate"}, ticksuffix="%", range=[0, max(100.0, top * 1.05)]
    )
    return style_figure(
        fig,
        f"Response rate by scheme, {label}",
        380,
        legend=False,
        subtitle="Each dot is a scheme: surveys returned ÷ people supported",
    )


# The questions' lines, in characters: at 60 their labels took 370 px of a chart an
# 800 px window draws 470 px wide, leaving its bars 50 px; at 46, about 290 px, and no
# question takes more than two lines.
QUESTION_WIDTH = 46
ROW_PX, LINE_PX = 30, 16  # a bar's row, and a label's line, in pixels


def completeness_chart(items: pd.DataFrame, label: str) -> go.Figure:
    """Share answered per question, in the survey's order, top to bottom.

    Hidden cells keep their row, marked "too few to show", never a bar.
    """
    texts = {i.code: i.text for i in bank().items}
    hidden = suppressed_rows(items)
    share = pd.to_numeric(items["share"], errors="coerce").astype(float).mask(hidden)
    labels = [
        wrap(texts.get(code, code), QUESTION_WIDTH) + (f"<br>({HIDDEN_SHORT})" if h else "")
        for code, h in zip(items["item"], hidden)
    ]
    # Every row as tall as the tallest label: plotly gives each category the same room.
    lines = max((text.count("<br>") + 1 for text in labels), default=1)
    return share_bars(labels, share, title=f"Share who answered each question, {label}",
                      axis_title="Share answered", x_max=110,
                      height=120 + len(labels) * max(ROW_PX, LINE_PX * lines + 4),
                      hover=" answered")
