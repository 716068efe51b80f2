"""Moved to :mod:`kpi.board.pack_html`; this name stays for one release."""

from kpi.board.pack_html import (
    chart_alt,
    chromium,
    pack_html,
    print_pdf,
    sparkline_img,
    sparkline_svg,
)

__all__ = ["chart_alt", "chromium", "pack_html", "print_pdf", "sparkline_img", "sparkline_svg"]
