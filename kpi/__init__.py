"""The Key Human Indicators engine: store, item bank, ingest, statistics, indicators.

Never imports streamlit (a test checks): the dashboard pages, the command line
and the board report all call this package. Public surface, by module:

- ``kpi.store.Store``: the DuckDB file (open, one transaction, close).
- ``kpi.items.bank()`` / ``kpi.catalogue.catalogue()``: the item bank and KHIs.
- ``kpi.ingest``: upload survey exports, activity returns and the register.
- ``kpi.stats``: Wilson, t, Byars, funnel limits, benchmark, trend, equity.
- ``kpi.indicators``: KHI tables for any grouping, trends, funnels, equity, change,
  and the data-quality figures (response rates, missing returns, completeness).
- ``kpi.disclosure``: which cells to hide (primary and secondary suppression).
- ``kpi.demo.load_demo``: the synthetic demo sector.
- ``kpi.board`` (PDF in ``kpi.board.pdf``): the quarterly board summary and its PDF.
- ``kpi.scope``: roles: the Scope a signed-in person's queries are narrowed to.
"""

from kpi.catalogue import KHI, catalogue
from kpi.items import bank
from kpi.store import Store

__all__ = ["KHI", "Store", "bank", "catalogue"]
