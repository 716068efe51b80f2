"""Which tier a test belongs to by what it does (see conftest.py and tests/README.md).

Why by what it does, not by file: some files mix unit tests with tests that open a
page or start a process, and ``make check`` (the inner loop) must leave those out.
"""

from __future__ import annotations

import inspect
import re

import pytest

# A test whose code (or a helper or fixture of its module that it calls) opens a page
# under AppTest is ``pages``; one that starts a process of its own is ``process``: a
# child Python, ``python -m kpi``, ``streamlit run``, or Chromium printing the board
# pack or drawing its charts (kpi.board.pdf, kpi.board.pack_html).
TIER_BY_CALL = (
    ("pages", ("open_page(", "AppTest")),
    ("process", ("subprocess.run(", "Popen(", "run_kpi_process(", "kill_when_paused(",
                 "running_dashboard(", "render_pdf(", "build_report(", "chart_pngs(",
                 "domain_pngs(", "print_pdf(", 'kpi_main("report"')),
)


def tiers_by_call(item: pytest.Item) -> set[str]:
    """The tiers of ``TIER_BY_CALL`` that the test's code, or a fixture it uses, reaches."""
    function = getattr(item, "function", None)
    if function is None:
        return set()
    reached = module_tiers(item.module)
    found = set().union(*(reached.get(n, set()) for n in _names_used(function)))
    fixtures = getattr(item, "_fixtureinfo", None)
    for name in getattr(fixtures, "names_closure", ()):
        for definition in fixtures.name2fixturedefs.get(name, ()):
            found |= _function_tiers(definition.func)
    return found


_MODULE_TIERS: dict[str, dict[str, set[str]]] = {}


def module_tiers(module) -> dict[str, set[str]]:
    """For each function of ``module`` (tests, helpers, fixtures), the tiers it reaches,
    directly or through the module's other functions (to a fixed point)."""
    if module.__name__ in _MODULE_TIERS:
        return _MODULE_TIERS[module.__name__]
    functions = {
        name: value for name, value in vars(module).items()
        if inspect.isfunction(value) and getattr(value, "__module__", None) == module.__name__
    }
    functions.update({
        name: value.__wrapped__ for name, value in vars(module).items()
        if hasattr(value, "__wrapped__") and inspect.isfunction(value.__wrapped__)
    })
    tiers = {name: _direct_tiers(f) for name, f in functions.items()}
    uses = {name: _names_used(f) & set(functions) for name, f in functions.items()}
    changed = True
    while changed:
        changed = False
        for name in functions:
            more = set().union(tiers[name], *(tiers[u] for u in uses[name]))
            if more != tiers[name]:
                tiers[name], changed = more, True
    _MODULE_TIERS[module.__name__] = tiers
    return tiers


def _function_tiers(function) -> set[str]:
    function = inspect.unwrap(function)
    module = inspect.getmodule(function)
    if module is None:
        return _direct_tiers(function)
    return module_tiers(module).get(function.__name__, set()) | _direct_tiers(function)


def _direct_tiers(function) -> set[str]:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return set()
    return {tier for tier, calls in TIER_BY_CALL if any(c in source for c in calls)}


def _names_used(function) -> set[str]:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return set()
    return set(re.findall(r"\b([A-Za-z_]\w*)\b", source))
