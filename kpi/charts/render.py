"""Figures to PNG with kaleido, which drives a headless Chromium.

Starting Chromium costs about a second and a half, so one browser session is
kept per process (:class:`ChartRenderer`) and every chart of a report is
rendered in one batch. MathJax is switched off (no network fetch).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from kpi.charts.run import CHART_WIDTH

log = logging.getLogger(__name__)

CHART_SCALE = 1.5  # ~190 dpi on the page: sharp, and a PDF of about 1 MB


class ChartRenderer:
    """One headless Chromium (via kaleido) per process, reused for every batch.

    Kaleido is asynchronous; it runs on a private event loop in a daemon thread, so
    callers (the CLI, Streamlit's script and download threads) just call
    :meth:`render`, which is serialised by a lock. If the browser has died the
    session is restarted once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None

    def _start(self) -> None:
        import kaleido

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kaleido", daemon=True)
        thread.start()

        async def open_browser() -> Any:
            session = kaleido.Kaleido(n=1, mathjax=False, timeout=60)
            await session.open()
            return session

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(open_browser(), loop).result(60)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            raise
        self._loop, self._thread = loop, thread

    def warm_up(self) -> None:
        """Start the browser now (e.g. while the engine works); errors surface later."""
        with self._lock:
            if self._loop is None:
                try:
                    self._start()
                except Exception:  # noqa: BLE001 - render() retries and reports
                    log.debug("kaleido warm-up failed", exc_info=True)

    def close(self) -> None:
        """Close the browser (registered at exit)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        loop, session = self._loop, self._kaleido
        self._loop = self._thread = self._kaleido = None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(session.close(), loop).result(15)
        except Exception:  # noqa: BLE001 - closing a dead browser is not an error
            log.debug("kaleido session did not close cleanly", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)

    def render(
        self, figures: Sequence[go.Figure | dict[str, Any]], scale: float = CHART_SCALE
    ) -> list[bytes]:
        """PNG bytes for each figure (a plotly Figure or figure dict), in one batch."""
        specs = []
        for fig in figures:
            spec = fig if isinstance(fig, dict) else fig.to_dict()
            layout = spec.get("layout", {})
            size = {"width": layout.get("width") or CHART_WIDTH,
                    "height": layout.get("height") or 400}
            specs.append((spec, {"format": "png", "scale": scale, **size}))
        with self._lock:
            for attempt in (1, 2):
                if self._loop is None:
                    self._start()
                try:
                    return self._batch(specs)
                except Exception:
                    self._close()
                    if attempt == 2:
                        raise
                    log.warning("chart rendering failed; restarting the browser", exc_info=True)
        raise AssertionError("unreachable")

    def _batch(self, specs: list[tuple[dict, dict]]) -> list[bytes]:
        session = self._kaleido

        async def run() -> list[bytes]:
            return list(
                await asyncio.gather(*(session.calc_fig(f, opts=o) for f, o in specs))
            )

        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(120)


_renderer: ChartRenderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> ChartRenderer:
    """The process's chart renderer (started on first use, closed at exit)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = ChartRenderer()
            atexit.register(_renderer.close)
        return _renderer
