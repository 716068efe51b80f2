"""Paired change: people who answered twice, latest answer minus first."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kpi import stats
from kpi.catalogue import catalogue
from kpi.catalogue import khi as khi_by_code
from kpi.errors import BadRequest
from kpi.indicators.cells import change_cells
from kpi.indicators.filters import LIMITS, Filters, Settings, check_by, default_settings
from kpi.indicators.protection import protect_table
from kpi.store import Store, one_read_batch, queries


@one_read_batch
def change(
    store: Store,
    khi: str,
    by: list[str] | tuple[str, ...] = (),
    quarter: dt.date | str | None = None,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Paired change for people with two or more answers up to the period's end.

    One row per group: the ``by`` columns, n (people), mean_change (latest minus
    first), sd_change, lower95 .. upper998 (Student's t, paired), p_value (paired
    t-test of no change), share_better / share_same / share_worse (0-100, by
    polarity), suppressed. Groups follow each person's latest answer.

    References
    ----------
    Altman DG (1991) Practical Statistics for Medical Research, section 9.5.
    """
    entry = khi_by_code(khi)
    if entry.measure != "change":
        raise BadRequest(f"KHI {khi!r} is not a change KHI: use one of "
                         + ", ".join(k.code for k in catalogue() if k.measure == "change"))
    by = check_by(by)
    filters = filters or Filters()
    settings = settings or default_settings()
    # A scheme's region rides along: the disclosure lattice places each scheme in it.
    extra_region = "scheme" in by and "region" not in by
    keys = [*by, "region"] if extra_region else list(by)
    with store.connect() as con:
        period_sql, period_params, start = queries.period(con, quarter)
        if start is None:
            return pd.DataFrame(columns=[*by, "n", "mean_change", "suppressed"])
        cells, _ = change_cells(con, [entry], keys, [start], filters)
        cells = cells[cells["n"] > 0].reset_index(drop=True) if by else cells
        # The same decision per cell as the KHI table's (one lattice over England).
        hidden, _ = protect_table(
            con, cells, pd.DataFrame(columns=["khi"]), [], [entry], by, [],
            (period_sql, period_params), [start], filters, settings,
            store_version=store.version(),
        )
    if "quarter" not in by:
        cells = cells.drop(columns="quarter")
    if extra_region:
        cells = cells.drop(columns="region")
    if cells.empty or int(cells["n"].sum()) == 0:
        return pd.DataFrame(columns=[*by, "n", "mean_change", "suppressed"])
    ci = stats.mean_intervals_from_moments(
        cells["n"].to_numpy(), cells["total"].fillna(0).to_numpy(),
        cells["total_sq"].fillna(0).to_numpy(),
    )
    out = cells[[*by, "n"]].copy()  # quarters are dates already (change_cells)
    out["mean_change"] = ci["value"].to_numpy()
    out["sd_change"] = ci["sd"].to_numpy()
    for column in LIMITS:
        out[column] = ci[column].to_numpy()
    out["p_value"] = stats.mean_zero_p_value(out["mean_change"], out["sd_change"], out["n"])
    with np.errstate(divide="ignore", invalid="ignore"):
        for key in ("better", "same", "worse"):
            out[f"share_{key}"] = 100.0 * cells[key].to_numpy(dtype=float) / cells["n"].to_numpy()
    out["suppressed"] = hidden
    if by:
        out = out.sort_values(list(by), kind="stable", na_position="last")
    hidden = out["suppressed"]
    values = ["n", "mean_change", "sd_change", *LIMITS, "p_value",
              "share_better", "share_same", "share_worse"]
    for column in values:
        out[column] = out[column].astype("float64").mask(hidden)
    out["n"] = out["n"].astype("Int64")
    return out.reset_index(drop=True)
