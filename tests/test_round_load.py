"""Load: 200 answers through one open link of a survey round, over loopback HTTP,
against a real ``streamlit run`` (benchmarks/round_load.py does the work): none lost
or doubled, in bounded time, the server's memory bounded, the dashboard answering."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "round_load.py"


def test_200_answers_through_one_link_none_lost_or_doubled_memory_bounded(monkeypatch):
    # run() sets KHI_SECRET for its own store; monkeypatch gives the worker's back after
    # (left set, it made a later test's store refuse the tests' secret).
    monkeypatch.setenv("KHI_SECRET", "load-test-secret-not-for-production")
    spec = importlib.util.spec_from_file_location("round_load", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(answers=200, threads=4, deadline_s=420)
    assert result["failures"] == [], result
    assert result["stored"] == 200 and result["all_sent_stored_once"], result
    assert result["channels"] == ["online"] and result["wordings"] == ["easy_read"]
    # Bounded time: under 2 s an answer even on a loaded two-core machine (measured
    # 0.8 s an answer with 4 senders while other test suites ran).
    assert result["seconds"] < 400, result
    # The server keeps nothing per answer: its memory grows by less than 64 MiB.
    assert result["rss_after_mib"] - result["rss_before_mib"] < 64, result
    # The dashboard kept answering throughout, and after.
    assert result["health_checks"] > 0 and result["health_slowest_s"] < 5, result
    assert result["health_after"] == 200
