"""Local mode listens on this machine only (issue 20).

Local mode has no sign-in: whoever opens the dashboard is the administrator, so
``streamlit run dashboard.py`` as ``make run`` starts it (no address given) must
not be reachable from another machine. A real server is started and tried on a
non-loopback address of this machine; the same server started on 0.0.0.0 is
reachable there (so the first check can fail) and serves only the refusal.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from kpi.store import Store
from pages.views.listening import is_loopback

PROJECT_DIR = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _other_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (none on an isolated box)."""
    found = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(info[4][0])
    except socket.gaierror:
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: picks the route's address
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    return sorted(a for a in found if not is_loopback(a) and a != "0.0.0.0")


def _answers(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/_stcore/health", timeout=3) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def _dashboard(store: Store, args: Sequence[str] = ()) -> Iterator[int]:
    """``streamlit run dashboard.py`` from the project folder (so .streamlit/config.toml
    applies), as ``make run`` starts it, plus ``args``; yields its port."""
    port = _free_port()
    env = {**os.environ, "KHI_DB": str(store.path), "KHI_NO_DEMO": "1",
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    env.pop("STREAMLIT_SERVER_ADDRESS", None)
    log = store.path.with_name(f"streamlit-{port}.log")
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port",
             str(port), "--server.fileWatcherType", "none", *args],
            cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while not _answers("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()}")
            time.sleep(0.25)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def test_the_config_binds_loopback() -> None:
    config = tomllib.loads((PROJECT_DIR / ".streamlit" / "config.toml").read_text())
    assert is_loopback(config["server"]["address"])


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.0.1.1", True),
    ("unix:///run/khi.sock", True), (None, False), ("", False), ("0.0.0.0", False),
    ("::", False), ("192.168.1.20", False), ("khi.example.org", False),
])
def test_which_addresses_are_this_machine_only(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_local_mode_is_not_reachable_from_another_address(tmp_path: Path) -> None:
    others = _other_addresses()
    if not others:
        pytest.skip("this machine has no address but loopback to try")
    store = Store(tmp_path / "khi.duckdb")
    store.init()
    with _dashboard(store) as port:  # as `make run` starts it
        assert _answers("127.0.0.1", port)
        assert [a for a in others if _answers(a, port)] == []
    # The check can fail: on every address the same server is reachable there.
    with _dashboard(store, ["--server.address", "0.0.0.0"]) as port:
        assert [a for a in others if _answers(a, port)] == others


def test_local_mode_on_another_address_serves_only_the_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pages.views import listening
    from tests.apptest_helpers import open_page

    store = Store(tmp_path / "khi.duckdb")
    store.init()
    monkeypatch.setattr(listening, "served_address", lambda: "0.0.0.0")
    at = open_page(monkeypatch, store, None, KHI_NO_DEMO="1")
    assert [t.value for t in at.title] == ["Key Human Indicators"]
    assert "listens on 0.0.0.0" in at.error[0].value
    assert not at.sidebar.children  # no menu, no filters: nothing but the refusal
    monkeypatch.setattr(listening, "served_address", lambda: "127.0.0.1")
    at = open_page(monkeypatch, store, None, KHI_NO_DEMO="1")
    assert not at.error and at.sidebar.children
