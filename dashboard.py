"""Key Human Indicators dashboard: the entry script.

``streamlit run dashboard.py`` opens the store named by ``KHI_DB`` (default
data/khi.duckdb). An empty store is filled with the demo sector on first start,
unless ``KHI_NO_DEMO=1`` (tests use that to see the empty-store welcome). The
pages and their menu are listed in ``pages.views._common.MENU``.
"""

from __future__ import annotations

import streamlit as st

from pages.views import _common

st.set_page_config(
    page_title="Key Human Indicators", page_icon=":material/diversity_3:", layout="wide"
)
_common.prepare_store()
navigation = st.navigation(_common.menu(), position=_common.NAV_POSITION)
_common.entry_ran()
_common.sidebar()
navigation.run()
