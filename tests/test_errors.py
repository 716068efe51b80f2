"""One error family (issue 27): the engine refuses with a typed ``KhiError`` that
carries a message and a title; the command line shows those as refusals and
anything else (a pandas ``ValueError`` deep in a calculation) as the bug it is."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kpi import cli, errors
from kpi.board import board_summary
from kpi.periods import parse_quarter
from kpi.store import Store


def test_a_refusal_has_a_message_and_a_title() -> None:
    exc = errors.BadRequest("Give a region or a scheme, not both.")
    assert (exc.message, exc.title, str(exc)) == (
        "Give a region or a scheme, not both.", "Cannot answer that",
        "Give a region or a scheme, not both.")
    assert errors.NoData("x", title="Nothing here").title == "Nothing here"
    assert isinstance(exc, ValueError)  # callers written before the family still catch it


def test_user_mistakes_raise_the_family(fresh_store: Store) -> None:
    with pytest.raises(errors.BadRequest, match="not recognised"):
        parse_quarter("next spring")
    with pytest.raises(errors.NoData, match="no survey data yet"):
        board_summary(fresh_store)


def _refusal_then_bug(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, exc: Exception,
                      capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    def run(args: object, store: object) -> int:
        raise exc

    monkeypatch.setattr(cli, "_run", run)
    code = cli.main(["init", "--db", str(tmp_path / "khi.duckdb")])
    return code, capsys.readouterr().err


def test_the_cli_shows_a_refusal_as_a_refusal_and_a_bug_as_a_bug(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _refusal_then_bug(monkeypatch, tmp_path, errors.BadRequest("Say which."),
                                  capsys)
    assert (code, err.strip()) == (errors.EXIT_REFUSED, "error: Say which.")
    code, err = _refusal_then_bug(monkeypatch, tmp_path, ValueError("cannot reshape"), capsys)
    assert code == errors.EXIT_REFUSED
    assert "unexpected ValueError: cannot reshape" in err and "report it" in err


# ------------------------------------------------------ no bare ValueError ---
KPI = Path(__file__).resolve().parents[1] / "kpi"

# Where kpi may still raise a bare ValueError: each is a programming error (an
# impossible state, a caller's frame without its columns), never something a user can
# cause, so the command line shows it as a bug to report, and pages do not catch it.
# "module:function" -> how many. This list may only shrink.
BARE_VALUE_ERRORS_ALLOWED = {
    "kpi/board/build.py:_with_quarters": 1,  # the engine's own frame lost its quarter
    "kpi/catalogue.py:hit_sql": 1,  # asked a mean KHI for its hit condition
    "kpi/charts/control.py:control_chart": 1,  # series and result built apart
    "kpi/disclosure.py:suppress": 1,  # the caller's frame lacks the named columns
    "kpi/disclosure.py:suppress_linked": 1,  # same
}


def bare_value_errors(root: Path = KPI) -> dict[str, int]:
    """"file:function" -> how many ``raise ValueError`` (called or not) it holds, for
    every module under ``root`` (the innermost function; ``<module>`` outside any)."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, where: str, path: Path) -> None:
        for child in ast.iter_child_nodes(node):
            inside = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inside = child.name
            if isinstance(child, ast.Raise):
                exc = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                if isinstance(exc, ast.Name) and exc.id == "ValueError":
                    key = f"{path.relative_to(root.parent).as_posix()}:{where}"
                    found[key] = found.get(key, 0) + 1
            visit(child, inside, path)

    for path in sorted(root.rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8")), "<module>", path)
    return found


def test_kpi_raises_no_new_bare_value_error() -> None:
    """A refusal a user can cause is a KhiError subclass (BadArgument, UnknownCode,
    RefusedFile... each still a ValueError); only the listed programming errors stay."""
    found = bare_value_errors()
    new = {k: v for k, v in found.items() if v > BARE_VALUE_ERRORS_ALLOWED.get(k, 0)}
    assert new == {}, "raise a KhiError subclass (kpi/errors.py) with what to do instead"
    # One gone since: take it off the list so it cannot come back.
    gone = {k: v for k, v in BARE_VALUE_ERRORS_ALLOWED.items() if found.get(k, 0) < v}
    assert gone == {}


def test_the_bare_value_error_scan_finds_one(tmp_path: Path) -> None:
    pkg = tmp_path / "kpi"
    pkg.mkdir()
    (pkg / "a.py").write_text(
        "from kpi.errors import BadArgument\n"
        "def f(x):\n    if x:\n        raise ValueError('no')\n    raise BadArgument('ok')\n"
        "def g():\n    raise ValueError\n"
        "if __name__ == 'x':\n    raise ValueError('at import')\n"
    )
    assert bare_value_errors(pkg) == {"kpi/a.py:f": 1, "kpi/a.py:g": 1,
                                      "kpi/a.py:<module>": 1}


# ------------------------------------------------- pages catch the family ---
PAGES = KPI.parent / "pages"
# What a page may catch: the family, and where a standard call's own contract is the
# reason (not a calculation of ours). The sign-in guard catches anything: it reads a
# cookie and a busy store, and refuses rather than guess.
CAUGHT_ALLOWED = {"KhiError", "AccessError", "StoreBusy", "StoreLockedError",
                  "StoreMissing", "SecretError"}
CAUGHT_FOR_A_REASON = {
    "pages/views/access.py": {"KeyError", "OSError"},  # getpass.getuser() without a user
    "pages/views/listening.py": {"ValueError"},  # ipaddress.ip_address() of a host name
    # A cookie that is not JSON is no sign-in.
    "pages/views/guard.py": {"Exception", "UnicodeDecodeError", "JSONDecodeError"},
}


def page_catches(root: Path = PAGES) -> dict[str, set[str]]:
    """Each page file's caught exception names (``except X``, ``except (X, Y)``)."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ExceptHandler) or node.type is None:
                continue
            types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            names = {t.attr if isinstance(t, ast.Attribute) else getattr(t, "id", "?")
                     for t in types}
            found.setdefault(str(path.relative_to(root.parent)), set()).update(names)
    return found


def test_pages_catch_the_family_only() -> None:
    """A page shows a KhiError as the user's refusal; a bare ValueError (a pandas bug
    deep in a calculation) is not caught, so it shows as the bug it is."""
    caught = {f: names - CAUGHT_ALLOWED - CAUGHT_FOR_A_REASON.get(f, set())
              for f, names in page_catches().items()}
    assert {f: n for f, n in caught.items() if n} == {}


def test_the_page_catch_scan_finds_a_value_error(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "x.py").write_text(
        "try:\n    pass\nexcept (KhiError, ValueError):\n    pass\n"
        "try:\n    pass\nexcept errors.StoreBusy:\n    pass\n"
    )
    assert page_catches(tmp_path / "pages") == {
        "pages/x.py": {"KhiError", "ValueError", "StoreBusy"}}


def test_an_argument_check_is_a_refusal_and_still_a_value_error() -> None:
    """kpi.stats' checks are reached by settings, uploads and the command line: they
    raise BadArgument, which pages and the CLI show, and numpy-style callers still
    catch as ValueError."""
    from kpi import stats

    with pytest.raises(errors.BadArgument, match="x must be less than or equal to n") as got:
        stats.wilson_interval(5, 3)
    assert isinstance(got.value, ValueError) and isinstance(got.value, errors.KhiError)
    with pytest.raises(errors.BadArgument, match="confidence"):
        stats.wilson_interval(1, 3, confidence=95)


# ------------------------------------------- each user mistake on the CLI ---
@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    from kpi.demo import load_demo

    store = Store(tmp_path_factory.mktemp("errors") / "khi.duckdb")
    load_demo(store, people=300, quarters=2, seed=3)
    return store


def _files(tmp: Path) -> dict[str, Path]:
    (tmp / "notes.txt").write_text("hello\n")
    (tmp / "other.csv").write_text("colour,size\nred,2\n")
    return {"txt": tmp / "notes.txt", "csv": tmp / "other.csv"}


USER_MISTAKES = [
    # (what, arguments (FILE: a file below, SCHEME: a registered scheme), the message)
    ("bad quarter", ["indicators", "--quarter", "next spring"], "write it like '2026/27 Q1'"),
    ("unknown region", ["indicators", "--region", "Atlantis"], "Unknown region 'Atlantis'"),
    ("unknown scheme", ["indicators", "--scheme", "NOPE"], "Unknown scheme 'NOPE'"),
    ("unknown support", ["indicators", "--support", "XX"], "Unknown support type 'XX'"),
    ("unknown KHI", ["indicators", "--khi", "NOPE"], "Unknown KHI code 'NOPE'"),
    ("unknown breakdown", ["indicators", "--by", "colour"], "Unknown breakdown 'colour'"),
    ("report: bad quarter", ["report", "--quarter", "2030-Q9", "--out", "OUT"],
     "is not recognised"),
    ("report: unknown scheme", ["report", "--scheme", "NOPE", "--out", "OUT"],
     "Unknown scheme 'NOPE'"),
    ("bad file", ["ingest", "txt", "--scheme", "SCHEME"], "Check you exported the responses"),
    ("wrong file", ["ingest", "csv", "--scheme", "SCHEME"], "match the survey questions"),
    ("no such upload", ["rollback", "999"], "There is no upload 999"),
    ("bad argument", ["demo", "--people", "-5"], "--people 1 or more"),
]


@pytest.mark.parametrize(("what", "argv", "message"), USER_MISTAKES,
                         ids=[m[0] for m in USER_MISTAKES])
def test_each_user_mistake_is_a_message_and_exit_code_2(
    small_store: Store, tmp_path: Path, what: str, argv: list[str], message: str
) -> None:
    from tests.builders import kpi_main

    db = tmp_path / "khi.duckdb"
    db.write_bytes(small_store.path.read_bytes())  # a copy: ingest and demo write
    files = _files(tmp_path)
    scheme = sorted(small_store.scheme_ids())[0]
    args = [files.get(a, a) if argv[0] == "ingest" else a for a in argv]
    args = [str(tmp_path / "x.pdf") if a == "OUT" else scheme if a == "SCHEME" else str(a)
            for a in args]
    done = kpi_main(*args, "--db", str(db))  # a traceback would escape here
    said = done.stdout + done.stderr
    assert done.returncode == errors.EXIT_REFUSED, said
    assert message in said
    assert "Traceback" not in said and "unexpected" not in said  # a refusal, not a bug
