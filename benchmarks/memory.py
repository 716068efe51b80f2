"""Peak memory of the running process, as every benchmark reports it."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB.

    VmHWM, this process's own peak: ``ru_maxrss`` of a spawned child can also
    carry the parent's peak (Linux keeps it across the exec). ``ru_maxrss``
    only where /proc is missing.
    """
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
