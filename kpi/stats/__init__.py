"""Indicator statistics: intervals, funnel limits, benchmarking, trend and equity tests.

Pure functions on numbers (numpy and scipy only; never streamlit or duckdb), modelled on
DHSC's PHStatsMethods and the PHEindicatormethods R package, whose methods produce the
indicators published on England's Fingertips profiles. The project's golden tests check
these functions against that package's own test data.

One module per family: ``proportions`` (Wilson), ``means`` (t), ``counts`` (Byars),
``funnels`` (control limits), ``benchmark`` (better/similar/worse), ``trend``
(Cochran-Armitage, weighted regression), ``equity`` (chi-square, ANOVA), ``paired``
(same people twice), ``spc`` (control charts, Making Data Count); ``normal`` holds
the z quantile they share and ``_args`` the one argument check they all use. Import
the names from ``kpi.stats``.

Conventions, for every function here:

* Arguments are validated first (by ``kpi.stats._args``); an invalid argument raises
  ``ValueError`` with a message naming the argument and the rule it breaks.
* Numeric arguments may be scalars, sequences, numpy arrays or pandas Series (nullable
  pandas dtypes included). Results are numpy arrays of the broadcast shape (0-d for
  scalar inputs) or, where documented, a pandas DataFrame or a small frozen dataclass.
* A missing input (NaN, ``None`` or ``pd.NA``) gives a missing result, never an error.
* Proportions are on the 0-1 scale; multiply by 100 for percentages.
* Confidence levels are two-sided and written as fractions: 0.95 and 0.998 (the 95%
  "2 sigma" and 99.8% "3 sigma" levels used by Fingertips).

References
----------
.. [1] Wilson EB. Probable inference, the law of succession, and statistical inference.
   J Am Stat Assoc. 1927;22:209-212.
.. [2] Newcombe RG. Two-sided confidence intervals for the single proportion: comparison
   of seven methods. Stat Med. 1998;17:857-872.
.. [3] Public Health England. Technical Guide: Confidence Intervals. Fingertips guidance,
   https://fingertips.phe.org.uk/profile/guidance
.. [4] Breslow NE, Day NE. Statistical Methods in Cancer Research, Volume II: The Design
   and Analysis of Cohort Studies. IARC Scientific Publications No. 82; 1987 (Byars'
   approximation to the Poisson interval).
.. [5] Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med.
   2005;24:1185-1202.
.. [6] Armitage P. Tests for linear trends in proportions and frequencies. Biometrics.
   1955;11:375-386. Cochran WG. Some methods for strengthening the common chi-squared
   tests. Biometrics. 1954;10:417-451.
.. [7] PHEindicatormethods R package (UKHSA / PHE), functions ``phe_proportion``,
   ``phe_mean``, ``byars_lower``, ``byars_upper``, ``phe_funnels``,
   ``phe_funnel_significance``. https://github.com/ukhsa-collaboration/PHEindicatormethods
.. [8] Department of Health and Social Care. PHStatsMethods (Python package).
   https://github.com/dhsc-govuk/PHStatsMethods
"""

from __future__ import annotations

from kpi.stats.benchmark import compare_with_benchmark
from kpi.stats.counts import byars_interval
from kpi.stats.equity import EquityResult, equity_gap_test, equity_gap_test_means
from kpi.stats.funnels import (
    FUNNEL_LABELS,
    FUNNEL_POSITIONS,
    funnel_limits_proportion,
    funnel_position,
    funnel_significance,
)
from kpi.stats.means import mean_intervals_from_moments, mean_zero_p_value, t_interval
from kpi.stats.normal import z_for
from kpi.stats.paired import PairedChange, paired_change
from kpi.stats.proportions import proportion_with_intervals, wilson_interval
from kpi.stats.spc import SpcResult, p_chart, xmr_chart
from kpi.stats.trend import (
    TrendResult,
    recent_trend,
    trend_test_means,
    trend_test_proportions,
)

__all__ = [
    "EquityResult",
    "PairedChange",
    "SpcResult",
    "TrendResult",
    "FUNNEL_LABELS",
    "FUNNEL_POSITIONS",
    "byars_interval",
    "compare_with_benchmark",
    "equity_gap_test",
    "equity_gap_test_means",
    "funnel_limits_proportion",
    "funnel_position",
    "funnel_significance",
    "mean_zero_p_value",
    "mean_intervals_from_moments",
    "p_chart",
    "paired_change",
    "proportion_with_intervals",
    "t_interval",
    "recent_trend",
    "trend_test_means",
    "trend_test_proportions",
    "wilson_interval",
    "xmr_chart",
    "z_for",
]
