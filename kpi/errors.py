"""Why the engine refuses: one small family, each with its command-line exit code.

The command line turns any of these into its message and exit code (the README's command line:
2 refused, nothing was stored; 3 the store is busy); pages show the message.
The message itself always says what to do. Refusals about input are also
``ValueError`` so that callers written before this family still catch them.
"""

from __future__ import annotations

EXIT_REFUSED = 2
EXIT_BUSY = 3


class KhiError(Exception):
    """A refusal the user can act on; ``exit_code`` is the command line's."""

    exit_code = EXIT_REFUSED


class RefusedFile(KhiError, ValueError):
    """A whole file cannot be read or stored (wrong type, empty, wrong scheme...)."""


class UnknownCode(KhiError, ValueError):
    """A code that is not in the catalogue or register: KHI, region, breakdown..."""


class StoreMissing(KhiError):
    """There is no store at the path yet."""


class StoreBusy(KhiError):
    """Another program kept the store busy for longer than we wait."""

    exit_code = EXIT_BUSY
