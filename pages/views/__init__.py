"""What each dashboard page draws.

``pages/<name>.py`` is the script Streamlit runs for a page; it imports
``pages.views.<name>`` and calls its ``render()``. Why the split: Streamlit
compiles and runs a page script afresh on every rerun, while an imported module
is compiled once per process, and its cached functions (``cache.on_store``)
are set up once too.

The pages' shared helpers live here too (``_common``, the front door to
``menu``, ``access``, ``cache``, ``filters``, ``elements`` and ``charts``), not
beside the page scripts: Streamlit treats every ``*.py`` file in ``pages/`` as a
page when it runs the folder the old way (as AppTest does), so a helper module
there would be listed as a page.
"""
