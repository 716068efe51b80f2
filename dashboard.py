"""Key Human Indicators dashboard: the entry script.

``streamlit run dashboard.py`` opens the store named by ``KHI_DB`` (default
data/khi.duckdb). An empty store is filled with the demo sector on first start,
unless ``KHI_NO_DEMO=1`` (tests use that to see the empty-store welcome). The
pages and their menu are listed in ``pages.views.menu.MENU``.

With an ``[auth]`` section in the secrets file, only the sign-in page is served
until a person signs in, and the menu lists only the pages their role may open
(``kpi.scope``); without it the dashboard runs in local mode (administrator),
served to this machine only (``pages.views.listening``).

Two uses of this one file: Streamlit runs it as ``__main__`` for each session's
page (below), and ``streamlit run`` first imports it for its web server, finding
``app``: Streamlit's server with the guard in front (``pages.views.guard``: no
metrics, media only to their owner, no cache clearing from a browser).
"""

from __future__ import annotations

import streamlit as st

if __name__ == "__main__":
    from pages.views import _common
    from pages.views.listening import refuse_exposed_local_mode

    st.set_page_config(
        page_title="Key Human Indicators", page_icon=":material/diversity_3:", layout="wide"
    )
    _common.prepare_store()
    scope = None if refuse_exposed_local_mode() else _common.access_gate()
    if scope is not None:
        pages = _common.menu(scope)
        navigation = st.navigation(pages, position=_common.NAV_POSITION)
        _common.open_landing(scope, navigation)
        _common.entry_ran()
        _common.access_banner(scope)
        _common.sidebar(pages)
        navigation.run()
else:
    import gc
    import importlib
    import pkgutil

    import pages.views
    from pages.views.answer import routes
    from pages.views.guard import middleware

    # The server's start: every page's code imported, then what is loaded frozen
    # (gc.freeze), so Python's full garbage collections skip it for good. Streamlit
    # runs one after every script run (runner.postScriptGC), and Python now and then
    # in the middle of one: each walked the 140,000 objects of the libraries and
    # pages, which never become garbage (30-40 ms each in a bare process, 86 ms inside
    # a cold board pass), and the browser waits for it, as the run's last message
    # goes out after it. benchmarks/browser_benchmark.py, the same run before and
    # after: every page's warm view 90-250 ms sooner (the empty page 202 -> 116 ms).
    for view in pkgutil.iter_modules(pages.views.__path__, "pages.views."):
        importlib.import_module(view.name)
    gc.collect()
    gc.freeze()
    app = st.App(__file__, middleware=middleware(), routes=routes())
