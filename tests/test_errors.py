"""One error family (issue 27): the engine refuses with a typed ``KhiError`` that
carries a message and a title; the command line shows those as refusals and
anything else (a pandas ``ValueError`` deep in a calculation) as the bug it is."""

from __future__ import annotations

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
