"""The spine chart: a scheme's KHIs against the range of all schemes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kpi.charts.palette import (
    COMPARISON_STYLE,
    COMPARISON_SYMBOL,
    INK,
    PALETTE,
)
from kpi.charts.style import (
    HIDDEN_TEXT,
    empty_figure,
    fmt,
    hidden_mask,
    style_figure,
    top_down,
    wrap,
)


# ---------------------------------------------------------------- spine chart ---
def spine_frame(
    by_scheme: pd.DataFrame,
    england: pd.DataFrame,
    spread: pd.DataFrame,
    scheme: str,
    khis: Sequence,
) -> pd.DataFrame:
    """Arrange the engine's tables for :func:`spine_chart`: one row per KHI.

    ``by_scheme`` is ``indicator_table(by=["scheme"])`` (khi, scheme, value,
    limits, suppressed, comparison) holding the scheme's rows, ``england`` the
    engine's ``england_table`` and ``spread`` its ``scheme_spread`` (the range and
    middle half of England's schemes, over the values the engine shows), and
    ``khis`` the catalogue entries to show, in order. England and the range are
    the sector's, whoever looks: never worked out from the viewer's own rows.
    """
    columns = [
        "label",
        "value",
        "lower95",
        "upper95",
        "benchmark",
        "lowest",
        "q25",
        "q75",
        "highest",
        "polarity",
        "percent",
        "comparison",
        "suppressed",
    ]
    rows = []
    for khi in khis:
        part = by_scheme[by_scheme["khi"] == khi.code] if len(by_scheme) else by_scheme
        mine = part[part["scheme"] == scheme] if len(part) else part
        ranges = spread[spread["khi"] == khi.code] if len(spread) else spread
        bounds = ranges.iloc[0] if len(ranges) else None
        row = mine.iloc[0] if len(mine) else None
        hidden = row is not None and _is_suppressed(row)
        bench = england[england["khi"] == khi.code]["value"] if len(england) else pd.Series()
        rows.append(
            {
                "label": khi.name,
                "value": np.nan if row is None or hidden else row.get("value"),
                "lower95": np.nan if row is None or hidden else row.get("lower95"),
                "upper95": np.nan if row is None or hidden else row.get("upper95"),
                "benchmark": float(bench.iloc[0])
                if len(bench) and pd.notna(bench.iloc[0])
                else np.nan,
                **{
                    column: np.nan if bounds is None else float(bounds[column])
                    for column in ("lowest", "q25", "q75", "highest")
                },
                "polarity": khi.polarity,
                "percent": khi.is_proportion,
                "comparison": "not compared"
                if row is None or hidden
                else str(row.get("comparison") or "not compared"),
                "suppressed": hidden,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _is_suppressed(row: pd.Series) -> bool:
    flag = row.get("suppressed", False)
    return bool(flag) and not pd.isna(flag)


def spine_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    subtitle: str | None = None,
) -> go.Figure:
    """One scheme across every KHI, each drawn relative to England.

    ``frame``: one row per KHI with label, value, benchmark (England), lowest,
    q25, q75, highest (of the schemes' shown values), polarity ("high"/"low"),
    percent (bool), comparison, suppressed. Each row is scaled so England sits
    in the middle and the furthest scheme at the edge; rows where low is good are
    flipped, so right is always better. The grey bar is the range of schemes,
    the darker bar the middle half, the mark this scheme.
    """
    if frame.empty:
        return empty_figure("No indicators to show.")
    data = frame.reset_index(drop=True)
    hidden = hidden_mask(data)
    labels = [wrap(str(v), 40) for v in data["label"]]
    fig = go.Figure()

    def scaled(column: str, i: int) -> float:
        raw = data[column].iloc[i]
        if raw is None or pd.isna(raw):
            return np.nan
        centre = float(data["benchmark"].iloc[i])
        spread = max(
            abs(float(v) - centre)
            for v in (
                data["lowest"].iloc[i],
                data["highest"].iloc[i],
                data["value"].iloc[i],
                centre + 1e-9,
            )
            if v is not None and not pd.isna(v)
        )
        position = (float(raw) - centre) / spread if spread > 0 else 0.0
        return -position if data["polarity"].iloc[i] == "low" else position

    # Each kind of bar is one trace, its rows' segments apart by gaps (None): a
    # trace per row and kind made some thirty traces for the browser to draw.
    for ends, colour in ((("lowest", "highest"), "#d9d9d9"), (("q25", "q75"), "#a6a6a6")):
        xs: list[float | None] = []
        ys: list[str | None] = []
        for i, name in enumerate(labels):
            if pd.isna(data["benchmark"].iloc[i]):
                continue
            a, b = sorted(scaled(column, i) for column in ends)
            if not any(pd.isna([a, b])):
                xs += [a, b, None]
                ys += [name, name, None]
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"color": colour, "width": 16},
                    hoverinfo="skip",
                    showlegend=False,
                    connectgaps=False,
                )
            )
    percent_flags = data["percent"].astype(bool)
    comparisons = data["comparison"].astype(str) if "comparison" in data else None
    for key, (icon, words, colour) in COMPARISON_STYLE.items():
        idx = [
            i
            for i in range(len(data))
            if not hidden.iloc[i]
            and (comparisons is None or comparisons.iloc[i] == key)
            and not pd.isna(data["benchmark"].iloc[i])
        ]
        if not idx:
            continue
        fig.add_trace(
            go.Scatter(
                x=[scaled("value", i) for i in idx],
                y=[labels[i] for i in idx],
                mode="markers",
                name=words,
                marker={
                    "color": PALETTE["black"] if key in ("similar", "not compared") else colour,
                    "size": 13,
                    "symbol": COMPARISON_SYMBOL[key],
                    "line": {
                        "width": 2 if key == "not compared" else 1,
                        "color": PALETTE["black"] if key == "not compared" else "white",
                    },
                },
                hovertext=[
                    f"<b>{data['label'].iloc[i]}</b><br>This scheme "
                    f"{fmt(data['value'].iloc[i], percent_flags.iloc[i])}"
                    f"<br>England {fmt(data['benchmark'].iloc[i], percent_flags.iloc[i])}"
                    f"<br>Schemes range {fmt(data['lowest'].iloc[i], percent_flags.iloc[i])} to "
                    f"{fmt(data['highest'].iloc[i], percent_flags.iloc[i])}<br>{icon} {words}"
                    for i in idx
                ],
                hoverinfo="text",
            )
        )
    for i in np.flatnonzero(hidden.to_numpy()):
        fig.add_annotation(
            x=0,
            y=labels[i],
            text=HIDDEN_TEXT,
            showarrow=False,
            font={"size": 11, "color": PALETTE["grey"]},
            bgcolor="rgba(255,255,255,0.8)",
        )
    fig.add_vline(x=0, line={"color": INK, "width": 2})
    fig.update_xaxes(
        range=[-1.12, 1.12],
        tickvals=[-1, 0, 1],
        ticktext=["◀ Worse", "England", "Better ▶"],
        showgrid=False,
        zeroline=False,
    )
    top_down(fig, labels)
    return style_figure(
        fig,
        title,
        max(320, 120 + 34 * len(labels)),
        subtitle=subtitle
        or "Light grey: range of all schemes; dark grey: the middle half of schemes; "
        "the mark is this scheme. Right is always better.",
    )
