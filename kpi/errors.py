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
    """A refusal the user can act on: ``message`` says what to do, ``title`` names it
    in a word or two (harlequin's ``HarlequinError(msg, title)``), ``exit_code`` is
    the command line's. Anything else raised is a bug, and shows as one."""

    exit_code = EXIT_REFUSED
    title = "Cannot do that"

    def __init__(self, message: str = "", title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title


class RefusedFile(KhiError, ValueError):
    """A whole file cannot be read or stored (wrong type, empty, wrong scheme...)."""

    title = "File refused"


class UnknownCode(KhiError, ValueError):
    """A code that is not in the catalogue or register: KHI, region, breakdown..."""

    title = "Unknown code"


class BadRequest(KhiError, ValueError):
    """A question asked in a way the engine cannot answer: two choices that do not go
    together, a quarter it cannot read, an area outside what the user may see."""

    title = "Cannot answer that"


class BadArgument(BadRequest):
    """A value that breaks its rule (a confidence of 95, a negative count, an option
    that is not one of the choices): the message names the value and the rule. Raised
    by every argument check in :mod:`kpi.stats` too, because settings, uploads and the
    command line reach them; still a ``ValueError``, as numpy and pandas callers expect."""

    title = "Bad value"


class NoData(KhiError, ValueError):
    """The store (or the chosen area) has no data to answer with yet."""

    title = "No data yet"


class NoEstimate(KhiError, ValueError):
    """A model could not be fitted to these answers (too few, or no variation)."""

    title = "No estimate"


class StoreMissing(KhiError):
    """There is no store at the path yet."""


class StoreBusy(KhiError):
    """Another program kept the store busy for longer than we wait."""

    exit_code = EXIT_BUSY
