"""The tiers are found by what a test does (tests/tiers.py): a test that opens a page or
starts a process, itself or through a helper of its module, is kept out of
``make check``; one that runs the command line in process is not."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.apptest_helpers import open_page
from tests.builders import kpi_main, run_kpi_process
from tests.tiers import module_tiers

HERE = sys.modules[__name__]


# Never run: read by the tier finder only.
def _opens_a_page(monkeypatch, store) -> None:
    open_page(monkeypatch, store, "pages/overview.py")


def _through_a_helper(monkeypatch, store) -> None:
    _opens_a_page(monkeypatch, store)


def _starts_python() -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "pass"], check=True)


def _runs_the_process() -> None:
    run_kpi_process(None, "--help")


def _runs_in_process() -> subprocess.CompletedProcess[str]:
    return kpi_main("--help")


def _prints_the_board_pack(pack) -> bytes:
    from kpi.board.pdf import render_pdf

    return render_pdf(pack)  # Chromium prints it


def test_a_page_or_a_process_is_found_directly_or_through_a_helper() -> None:
    tiers = module_tiers(HERE)
    assert tiers["_opens_a_page"] == {"pages"}
    assert tiers["_through_a_helper"] == {"pages"}
    assert tiers["_starts_python"] == {"process"}
    assert tiers["_runs_the_process"] == {"process"}
    assert tiers["_prints_the_board_pack"] == {"process"}
    assert tiers["_runs_in_process"] == set()  # its annotation names subprocess: no process


def test_this_file_is_in_make_check(request: pytest.FixtureRequest) -> None:
    assert not any(request.node.get_closest_marker(t) for t in ("pages", "process", "cli"))


def test_the_command_line_in_process_gives_the_exit_code_and_the_output(tmp_path) -> None:
    done = kpi_main("init", "--db", str(tmp_path / "khi.duckdb"))
    assert (done.returncode, done.stderr) == (0, "")
    assert "Store ready" in done.stdout
    refused = kpi_main("indicators", "--db", str(tmp_path / "none.duckdb"))
    assert refused.returncode == 2 and refused.stderr.startswith("error: No store at")
    assert kpi_main("no-such-command").returncode == 2  # argparse's refusal, not an exit
