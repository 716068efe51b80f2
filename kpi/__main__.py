"""``python -m kpi``: see :mod:`kpi.cli`."""

import atexit
import gc
import sys

from kpi.cli import main

# What is loaded by now (pandas, pyarrow, DuckDB and the engine: most of the process's
# objects, none of them garbage) is frozen out of Python's garbage collections, which
# otherwise walk it again each time a command's work fills a generation (dashboard.py
# does the same for the server): the KHI table at 1M people took 0.15 s less
# (benchmarks/khi_table_benchmark.py's command, alternating with the commit before).
# Unfrozen at exit, so the interpreter's last collection still finalises DuckDB's
# objects (frozen, they outlived its bindings, which then reported them as leaked).
gc.freeze()
atexit.register(gc.unfreeze)
sys.exit(main())
