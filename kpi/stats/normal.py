"""The two-sided normal quantile every interval and funnel limit uses."""

from __future__ import annotations

import functools
import importlib
import sys
import threading

from kpi.stats._args import check_confidence

SPECIAL_LOADER = "khi-import-scipy-special"  # the thread's name


def start_loading_special() -> None:
    """Start importing ``scipy.special`` in a thread of its own, for a process that
    will compute statistics after reading the store (the command line's KHI table).

    Why: the statistics import it where they are first computed (ingest never needs
    it), which is after the DuckDB scan, so its import (0.1-0.2 s) added to the whole
    command's time. Started before the scan, it is done while DuckDB works without
    Python's lock; a statistic that needs it first waits for the import to finish
    (Python's import lock), never uses it half-loaded. Nothing happens when it is
    already loaded (the dashboard imports it at start).
    """
    if "scipy.special" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("scipy.special",),
                         name=SPECIAL_LOADER, daemon=True).start()


def z_for(confidence: float) -> float:
    """Two-sided standard normal quantile for a confidence level.

    Parameters
    ----------
    confidence : float
        Two-sided confidence level as a fraction, strictly between 0 and 1.

    Returns
    -------
    float
        ``z`` such that ``P(-z < Z < z) = confidence`` for a standard normal ``Z``:
        1.959964 for 0.95 and 3.090232 for 0.998.

    Raises
    ------
    ValueError
        If ``confidence`` is not a number strictly between 0 and 1.

    References
    ----------
    PHE, "Technical Guide: Confidence Intervals" (Fingertips guidance).
    """
    return _z(check_confidence(confidence))


@functools.lru_cache(maxsize=64)
def _z(confidence: float) -> float:
    from scipy import special  # here, not at the top: 0.2 s to import; ingest never needs it
    # Why cached: every interval asks for z at 95% or 99.8%, and scipy's ppf costs
    # far more than the interval arithmetic itself (pages compute hundreds a rerun).
    return float(special.ndtri(0.5 + confidence / 2.0))
