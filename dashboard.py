"""Key Human Indicators dashboard: the entry script.

``streamlit run dashboard.py`` opens the store named by ``KHI_DB`` (default
data/khi.duckdb). An empty store is filled with the demo sector on first start,
unless ``KHI_NO_DEMO=1`` (tests use that to see the empty-store welcome).
"""

from __future__ import annotations

import streamlit as st

from pages import _common

st.set_page_config(
    page_title="Key Human Indicators",
    page_icon=":material/diversity_3:",
    layout="wide",
)
_common.prepare_store()

PAGES = {
    "Explore": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/regions.py", title="Regions", icon=":material/map:"),
        st.Page("pages/schemes.py", title="Schemes", icon=":material/scatter_plot:"),
        st.Page("pages/indicator.py", title="Indicator detail", icon=":material/insights:"),
        st.Page("pages/equity.py", title="Equity", icon=":material/balance:"),
        st.Page("pages/change.py", title="Change over time", icon=":material/trending_up:"),
    ],
    "Report": [
        st.Page("pages/board.py", title="Quarterly board page", icon=":material/summarize:"),
    ],
    "Data": [
        st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:"),
        st.Page("pages/data_quality.py", title="Data quality", icon=":material/fact_check:"),
        st.Page("pages/definitions.py", title="Definitions", icon=":material/menu_book:"),
    ],
}

navigation = st.navigation(PAGES)
_common.entry_ran()
if _common.is_demo():
    st.sidebar.caption("Showing **demo data**: a synthetic sector, not real schemes.")
_common.filter_bar()
navigation.run()
