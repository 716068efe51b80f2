"""``python -m kpi``: see :mod:`kpi.cli`."""

import atexit
import contextlib
import gc
import os
import sys

from kpi.cli import ends_at_once, main

# What is loaded by now (pandas, pyarrow, DuckDB and the engine: most of the process's
# objects, none of them garbage) is frozen out of Python's garbage collections, which
# otherwise walk it again each time a command's work fills a generation (dashboard.py
# does the same for the server): the KHI table at 1M people took 0.05 s less
# (benchmarks/khi_table_benchmark.py's command, alternating with the commit before).
# Unfrozen at exit, so the interpreter's last collection still finalises DuckDB's
# objects (frozen, they outlived its bindings, which then reported them as leaked).
gc.freeze()
atexit.register(gc.unfreeze)
code = main()
if ends_at_once(sys.argv[1:]):
    for stream in (sys.stdout, sys.stderr):  # main() wrote and flushed its output
        with contextlib.suppress(OSError):  # already said by main() (closed pipe, full disk)
            stream.flush()
    os._exit(code)
sys.exit(code)
