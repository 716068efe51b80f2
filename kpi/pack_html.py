"""Moved to :mod:`kpi.board.pack_html`; this name stays for one release."""

from kpi.board.pack_html import (
    chart_alt,
    chromium,
    css_string,
    pack_html,
    print_pdf,
    sparkline_img,
    sparkline_svg,
)

_css_string = css_string  # the old name, for one round

__all__ = [
    "chart_alt", "chromium", "css_string", "pack_html", "print_pdf", "sparkline_img",
    "sparkline_svg",
]
