"""The engine's shape: no import cycle inside ``kpi`` and no private name imported
across its modules (issue 27). Both read the source with ``ast``: nothing is imported.

Why: the board's words once lived in ``kpi.report``, which the HTML and fpdf2
layouts imported while it imported them back; and ``_names`` reached across
modules are promises nobody knows they made.
"""

from __future__ import annotations

import ast
from pathlib import Path

KPI = Path(__file__).resolve().parents[1] / "kpi"


def modules(root: Path = KPI) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Nodes under ``if TYPE_CHECKING:``: never run, so no import at run time."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for part in node.body for n in ast.walk(part)}
    return skip


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, str]]:
    """(module, imported name) for every ``kpi`` import in a module, at any depth
    (a function's lazy import closes a cycle too); the name is "" for ``import x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [(a.name, "") for a in node.names if a.name.split(".")[0] == "kpi"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            if base.split(".")[0] != "kpi":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub, "") if sub in known else (base, alias.name))
    return found


def owner(dotted: str, known: dict[str, Path]) -> str | None:
    """The module a dotted import lands in (``kpi.a.b`` is ``kpi.a`` if b is a name)."""
    while dotted and dotted not in known:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def import_graph(root: Path = KPI) -> dict[str, set[str]]:
    known = modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = {owner(m, known) for m, _ in imports(name, path, known)}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def private_imports(root: Path = KPI) -> list[str]:
    """"importer: module._name" for every ``_name`` one kpi module imports from another."""
    known = modules(root)
    out = []
    for name, path in known.items():
        for module, imported in imports(name, path, known):
            if imported.startswith("_") and not imported.startswith("__") and module != name:
                out.append(f"{name}: {module}.{imported}")
    return sorted(out)


def test_the_engine_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path) -> None:
    """The check can fail: two modules importing each other lazily are a cycle."""
    pkg = tmp_path / "kpi"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from kpi import b\n")
    (pkg / "b.py").write_text("from kpi.a import f\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from kpi import a\n")
    assert cycles(import_graph(pkg)) == [["kpi.a", "kpi.b"]]


# Private names imported across kpi's modules, to be made public: none is left
# (issue 27 counted 71; 76 uses by this scan, 20 after the first round, none after the
# errors branch made kpi.indicators' shared helpers public). A new
# ``from kpi.x import _name`` elsewhere in kpi fails the test below.
KNOWN_PRIVATE_IMPORTS: set[str] = set()


def test_no_new_private_name_is_imported_across_modules() -> None:
    found = set(private_imports())
    assert found - KNOWN_PRIVATE_IMPORTS == set(), "import a public name instead"
    # Made public since: take it off the list so it cannot come back.
    assert KNOWN_PRIVATE_IMPORTS - found == set()


def test_the_private_name_scan_finds_one(tmp_path: Path) -> None:
    pkg = tmp_path / "kpi"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def _helper():\n    pass\n")
    (pkg / "b.py").write_text("from kpi.a import _helper\nfrom kpi import a\n")
    assert private_imports(pkg) == ["kpi.b: kpi.a._helper"]


def role_literals(roots: tuple[Path, ...]) -> list[str]:
    """"file:line" where a role name is compared as a bare string (``role == "admin"``,
    ``role in ("scheme", "admin")``) outside kpi/scope.py, whose table decides roles."""
    from kpi.scope import ROLES

    found = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if path.name == "scope.py" and path.parent.name == "kpi":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Compare) or "role" not in ast.unparse(node).lower():
                    continue
                names = [n.value for side in (node.left, *node.comparators)
                         for n in ast.walk(side) if isinstance(n, ast.Constant)]
                if any(name in ROLES for name in names):
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def test_roles_are_decided_by_the_role_table_only() -> None:
    root = KPI.parent
    # kpi/store/access.py: the users table's own check that one administrator is left.
    found = {place.rsplit(":", 1)[0] for place in role_literals((KPI, root / "pages"))}
    assert found == {"kpi/store/access.py"}


def pages_with(tmp_path: Path, source: str, name: str = "x.py") -> Path:
    """A ``pages/`` folder under ``tmp_path`` holding one file of ``source``, for the
    scans' own tests: each must find what it looks for."""
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / name).write_text(source)
    return pages


def test_the_role_scan_finds_a_literal(tmp_path: Path) -> None:
    pages = pages_with(tmp_path, "ok = scope.role in ('scheme', 'admin')\n")
    assert role_literals((pages,)) == ["pages/x.py:1"]


# ------------------------------------------------------- pages only draw ---
# Functions in pages/ (async ones too) that never touch ``st`` (issue 27: "pages read choices, call
# kpi, draw"), counted per file. What remains is page-level: sign-in and the
# request guard (access, guard, listening, answer), the cache and URL/widget state
# (cache, filters, menu), HTML and Markdown made for Streamlit (elements, grid, the
# tiles, the board's notes and narrow-table CSS, the Definitions card), and glue that
# reads the viewer's choices and fetches through the page cache before calling kpi
# (scheme_rows, profile_frame, change_frame, all_gaps, history_choices, refusal, the
# board's and You said's cached packs and downloads). A table's rows, a sentence, a
# verdict or a figure is decided in kpi and tested there (tests/test_deciders.py).
# The ceilings may only shrink: move a decider into kpi, then lower its file's number.
PAGES = KPI.parent / "pages"
PAGE_LEVEL_CEILING = {
    "pages/views/access.py": 17,
    "pages/views/answer.py": 8,
    "pages/views/board.py": 16,
    "pages/views/cache.py": 8,
    "pages/views/change.py": 2,
    "pages/views/data_quality.py": 2,
    "pages/views/definitions.py": 1,
    "pages/views/elements.py": 10,
    "pages/views/equity.py": 1,
    "pages/views/filters.py": 8,
    "pages/views/grid.py": 3,
    "pages/views/guard.py": 16,
    "pages/views/listening.py": 1,
    "pages/views/menu.py": 2,
    "pages/views/overview.py": 2,
    "pages/views/regions.py": 2,
    "pages/views/schemes.py": 10,
    "pages/views/upload.py": 10,
    "pages/views/yousaid.py": 2,
}


def functions_without_st(root: Path = PAGES) -> dict[str, list[str]]:
    """For each file under ``root`` (named from its parent), its functions (nested
    ones too) whose body never names ``st``."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if not any(isinstance(n, ast.Name) and n.id == "st" for n in ast.walk(node)):
                found.setdefault(str(path.relative_to(root.parent)), []).append(node.name)
    return found


def test_pages_decide_nothing_new_and_the_ceilings_only_shrink() -> None:
    found = functions_without_st()
    over = {f: names for f, names in found.items()
            if len(names) > PAGE_LEVEL_CEILING.get(f, 0)}
    assert over == {}, "a page function that never touches st: if it decides, it is kpi's"
    under = {f: (len(found.get(f, [])), most) for f, most in PAGE_LEVEL_CEILING.items()
             if len(found.get(f, [])) < most}
    assert under == {}, "fewer than the ceiling: lower it, so the page cannot grow back"


def test_the_page_scan_finds_a_function_without_st(tmp_path: Path) -> None:
    pages = pages_with(tmp_path, "import streamlit as st\n\n"
                       "def draws():\n    st.write(words())\n\n"
                       "def words():\n    return 'a verdict'\n")
    assert functions_without_st(pages) == {"pages/x.py": ["words"]}


# ------------------------------------------------- Streamlit's public API only ---
ROOT = KPI.parent
# Streamlit's documented modules; anything else under ``streamlit.`` is its internals,
# which change without notice between releases.
PUBLIC_STREAMLIT = ("streamlit", "streamlit.testing.v1", "streamlit.components.v1",
                    "streamlit.column_config", "streamlit.errors")
# Where the app still reaches inside Streamlit, "file: module": may only shrink.
# The server guard reads Streamlit's signed sign-in cookie and its wire messages
# (there is no public API for either); listening asks whether a server runs.
PRIVATE_STREAMLIT_ALLOWED = {
    "pages/views/guard.py: streamlit.runtime",
    "pages/views/guard.py: streamlit.runtime.secrets",
    "pages/views/guard.py: streamlit.web.server.starlette.starlette_server_config",
    "pages/views/guard.py: streamlit.web.server.starlette.starlette_websocket",
    "pages/views/guard.py: streamlit.proto.ForwardMsg_pb2",
    "pages/views/guard.py: streamlit.proto.BackMsg_pb2",
    "pages/views/listening.py: streamlit.runtime",
}


def private_streamlit_imports(root: Path = ROOT) -> list[str]:
    """"file: module" for every import of Streamlit's internals in the app's code
    (dashboard.py, pages/, kpi/): ``import streamlit.x``, ``from streamlit.x import y``
    and ``from streamlit import x`` where ``streamlit.x`` is a module of its own."""
    import importlib.util

    files = [root / "dashboard.py", *sorted((root / "pages").rglob("*.py")),
             *sorted((root / "kpi").rglob("*.py"))]
    found = set()
    for path in files:
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                modules = [node.module]
                if node.module == "streamlit":
                    modules = [f"streamlit.{a.name}" for a in node.names
                               if importlib.util.find_spec(f"streamlit.{a.name}") is not None]
            for module in modules:
                if module.split(".")[0] == "streamlit" and module not in PUBLIC_STREAMLIT:
                    found.add(f"{path.relative_to(root).as_posix()}: {module}")
    return sorted(found)


def test_the_app_imports_no_new_streamlit_internals() -> None:
    found = set(private_streamlit_imports())
    assert found - PRIVATE_STREAMLIT_ALLOWED == set(), "use Streamlit's public API (st.*)"
    assert PRIVATE_STREAMLIT_ALLOWED - found == set()  # gone since: take it off the list
    menu = (ROOT / "pages" / "views" / "menu.py").read_text(encoding="utf-8")
    assert "_getframe" not in menu and "PagesManager" not in menu


def test_the_streamlit_scan_finds_one(tmp_path: Path) -> None:
    pages_with(tmp_path, "import streamlit as st\nfrom streamlit.testing.v1 import AppTest\n"
               "from streamlit.runtime.pages_manager import PagesManager\n"
               "from streamlit import runtime, session_state\n", name="a.py")
    assert private_streamlit_imports(tmp_path) == [
        "pages/a.py: streamlit.runtime", "pages/a.py: streamlit.runtime.pages_manager"]


def test_one_page_rule_for_every_printed_page() -> None:
    """The A4 @page rule (foot and page numbers) is written once, in kpi.print_css."""
    from kpi.print_css import page_css

    holding = sorted(p.relative_to(ROOT).as_posix() for p in KPI.rglob("*.py")
                     if "@page" in p.read_text(encoding="utf-8"))
    assert holding == ["kpi/print_css.py"]
    rule = page_css("14mm", 7.5, 'Scheme "A" <b>')
    assert rule.count("@page") == 1 and 'content: "Scheme \\"A\\" \\3c b>"' in rule
    assert "@bottom-left" not in page_css("16mm", 16)


ALERTS = {"error", "warning", "info", "success", "caption", "markdown", "toast", "write"}


def unescaped_engine_words(root: Path) -> list[str]:
    """"file:line" of every alert, caption or Markdown in ``root`` (the pages) drawn
    straight from an exception's words (``str(exc)``) or an engine result's
    ``.message``: they carry what a user typed or uploaded, so they go through
    ``c.md`` first."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ALERTS and node.args):
                continue
            first = node.args[0]
            raw = (isinstance(first, ast.Call) and isinstance(first.func, ast.Name)
                   and first.func.id == "str") or (
                isinstance(first, ast.Attribute) and first.attr == "message")
            if raw:
                found.append(f"{path.relative_to(root.parent).as_posix()}:{node.lineno}")
    return found


def test_no_page_draws_an_errors_words_unescaped() -> None:
    """Escaping itself is proved on the pages by tests/test_escaping.py."""
    assert unescaped_engine_words(ROOT / "pages") == []


def test_the_unescaped_words_scan_finds_one(tmp_path: Path) -> None:
    pages = pages_with(tmp_path, "import streamlit as st\n"
                       "def f(exc, result, c):\n"
                       "    st.error(str(exc))\n"
                       "    st.warning(result.message, icon='!')\n"
                       "    st.error(c.md(str(exc)))\n")
    assert unescaped_engine_words(pages) == ["pages/x.py:3", "pages/x.py:4"]
