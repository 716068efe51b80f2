"""What each dashboard page draws.

``pages/<name>.py`` is the script Streamlit runs for a page; it imports
``pages.views.<name>`` and calls its ``render()``. Why the split: Streamlit
compiles and runs a page script afresh on every rerun, while an imported module
is compiled once per process, and its cached functions (``_common.on_store``)
are set up once too.

The pages' shared glue (``_common``) and figures (``charts``) live here too, not
beside the page scripts: Streamlit treats every ``*.py`` file in ``pages/`` as a
page when it runs the folder the old way (as AppTest does), so a helper module
there would be listed as a page.
"""
