"""The README stays true: two set-up commands that exist, CLI lines that parse."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from kpi.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_exactly_two_set_up_commands_and_make_knows_them() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", _section("Set up"), re.S)
    commands = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    commands = [c for c in commands if c]
    assert commands == ["make run", "make test"]
    for command in commands:
        dry = subprocess.run([*command.split(), "-n"], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0, dry.stderr


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


CLI_LINES = [
    line.split("#")[0].strip()
    for line in _section("Using it").splitlines()
    if line.startswith("python -m kpi ")
]


@pytest.mark.parametrize("line", CLI_LINES)
def test_every_readme_cli_line_parses(line: str) -> None:
    args = shlex.split(line)[3:]
    _parser().parse_args(args)


def test_readme_lists_every_cli_command() -> None:
    documented = {shlex.split(line)[3] for line in CLI_LINES}
    parser = _parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001
    assert commands <= documented
