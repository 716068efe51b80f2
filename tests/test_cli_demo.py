"""``python -m kpi demo`` (run in process, ``kpi.cli.main``): exit codes and the JSON summary."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from kpi.store import Store
from tests.builders import kpi_main


def _kpi(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m kpi ARGS``, run in this process (``tests.builders.kpi_main``)."""
    return kpi_main(*args)


def test_demo_command_loads_and_prints_a_json_summary(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    result = _kpi("demo", "--people", "2000", "--quarters", "3", "--db", str(db))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"schemes", "people", "responses", "quarters", "activity_returns", "seconds"} <= set(
        summary
    )
    assert summary["people"] == 2000
    assert len(summary["quarters"]) == 3
    # All but the few late returns (about 5% in the latest quarter, 1% before).
    assert 0.9 < summary["activity_returns"] / (summary["schemes"] * 3) < 1
    store = Store(db)
    assert store.is_demo()
    assert int(store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0]) == summary[
        "responses"
    ]


def test_demo_command_refuses_a_store_with_real_uploads(tmp_path: Path) -> None:
    store = Store(tmp_path / "real.duckdb")
    store.init()
    with store.transaction() as con:
        store.new_upload(
            con, scheme_id="X1", kind="survey", file_name="real.csv", sha256="abc",
            uploaded_by="test", layout="template",
        )
    result = _kpi("demo", "--people", "200", "--quarters", "1", "--db", str(store.path))
    assert result.returncode == 2
    assert "holds real data" in result.stderr
    assert store.is_empty()
