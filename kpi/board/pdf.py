"""The quarterly board pack as a PDF.

``build_report(store, quarter=..., region=..., scheme=...)`` returns the PDF bytes
(``python -m kpi report`` writes them to a file). The content is exactly the
:class:`kpi.board.BoardPack` the Board page shows: the same numbers, sentences,
exceptions and caveats, so the two can never disagree.

Charts are :mod:`kpi.charts.run`'s, in :mod:`kpi.charts.palette`'s colours: the
board page draws the same run charts. The tagged PDF (:mod:`kpi.board.pack_html`)
draws them as SVG; the untagged fallback (:mod:`kpi.board.pack_fpdf`) and the PNG
downloads render them with kaleido (:mod:`kpi.charts.render`). If no browser can
be started the PDF is still built, with a note instead of charts.

Fonts: DejaVu Sans (Debian's ``fonts-dejavu-core``) for full Unicode (the ▲ ▼ ●
icons); without it, core Helvetica with text reduced to Latin-1.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import threading
import time

from kpi.board import BoardPack, area_filters, board_summaries, pack_html
from kpi.board.layout import FONT_DIR, chart_pngs
from kpi.charts.render import renderer
from kpi.indicators import Filters
from kpi.periods import parse_quarter
from kpi.store import Store

__all__ = ["build_report", "render_pdf", "render_untagged_pdf"]

log = logging.getLogger(__name__)


def render_pdf(pack: BoardPack, charts: dict[str, bytes] | None = None) -> bytes:
    """The board pack as a tagged PDF (Chromium printing :func:`kpi.board.pack_html.pack_html`).

    A screen reader can read it: headings, table headers, reading order, alternative
    text for every run chart, title and language (``pdfinfo`` says "Tagged: yes").
    Without Chromium, or if it fails, the untagged fpdf2 layout is built instead
    (``charts`` are its run-chart PNGs) so a board still gets its numbers.
    """
    browser = pack_html.chromium()
    if browser is not None:
        try:
            return pack_html.print_pdf(pack_html.pack_html(pack), browser)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            log.warning("Chromium could not print the tagged pack, using fpdf2: %s", exc)
    return render_untagged_pdf(pack, charts)


def render_untagged_pdf(pack: BoardPack, charts: dict[str, bytes] | None = None) -> bytes:
    """The board pack as PDF bytes, laid out by fpdf2 (no structure tags).

    Parameters
    ----------
    pack : BoardPack
        From :func:`kpi.board.board_summary`.
    charts : dict of str to bytes, optional
        Run-chart PNGs by KHI code; rendered with :func:`chart_pngs` when omitted. When
        rendering fails (no browser) the PDF says so instead of showing charts.

    Returns
    -------
    bytes
        A PDF document (A4).
    """
    chart_note = ""
    if charts is None:
        try:
            charts = chart_pngs(pack)
        except Exception as exc:  # noqa: BLE001 - the numbers matter more than pictures
            log.warning("run charts left out of the PDF: %s", exc)
            charts = {}
            chart_note = (
                "Run charts are not included: the chart renderer (Chromium) could not "
                "be started on this computer."
            )

    from kpi.board import pack_fpdf  # fpdf2 only when it is needed: it is slow to import

    return pack_fpdf.layout(pack, charts, chart_note, FONT_DIR)


def _with_everyones_notes(
    store: Store, pack: BoardPack, filters: Filters, kind: str, then: BoardPack | None,
) -> BoardPack:
    """``pack`` with its notes and "Last quarter" section (``then``: last quarter's
    pack, or None), as an administrator reads them: whoever runs the command line
    holds the store itself, and the page's PDF for the same area carries the same
    notes."""
    from kpi.board.carry import with_notes
    from kpi.board.notes import ALL
    from kpi.scope import LOCAL_ADMIN

    area = {"scheme": f"scheme:{filters.scheme_ids[0]}" if filters.scheme_ids else ALL,
            "region": f"region:{filters.regions[0]}" if filters.regions else ALL}.get(kind, ALL)
    return with_notes(store, LOCAL_ADMIN, pack, area, then)


def build_report(
    store: Store,
    quarter: dt.date | str | None = None,
    region: str | None = None,
    scheme: str | None = None,
) -> bytes:
    """The quarterly board page as PDF bytes (``python -m kpi report``).

    Parameters
    ----------
    store : Store
        The store to read.
    quarter : date, str or None
        "2026/27 Q1", a date inside it, or None for the latest quarter with data.
    region : str, optional
        A region or nation, by name or code.
    scheme : str, optional
        A scheme id (not with ``region``).

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    ValueError
        For an unknown quarter, region or scheme, or a store without data.
    """
    began = time.perf_counter()
    if quarter is not None and str(quarter).strip():
        parse_quarter(quarter)  # refuse a bad request before starting a browser
    filters, _, kind = area_filters(store, region, scheme, None)
    if pack_html.chromium() is None:  # the untagged layout's charts need kaleido
        # Start the browser while the engine works: the two overlap (about 1.5 s saved).
        threading.Thread(target=renderer().warm_up, name="kaleido-warm-up",
                         daemon=True).start()
    # This quarter's pack and last quarter's (its flags carry over) from one pass.
    pack, then = board_summaries(store, quarter=quarter, region=region, scheme=scheme)
    pack = _with_everyones_notes(store, pack, filters, kind, then)
    summarised = time.perf_counter()
    pdf = render_pdf(pack)
    log.info(
        "board report %s %s: summary %.2fs, charts and PDF %.2fs",
        pack.area_label,
        pack.quarter_label,
        summarised - began,
        time.perf_counter() - summarised,
    )
    return pdf
