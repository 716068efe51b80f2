"""What every page Chromium prints shares: the A4 ``@page`` rule, with the page's foot
bottom left and "Page n of m" bottom right (the board pack, You said, we did, and the
paper questionnaire). Pure strings: no browser, no plotly."""

from __future__ import annotations

from kpi.palette import MUTED

FONT = "'DejaVu Sans', Arial, sans-serif"


def css_string(text: str) -> str:
    """Text safe inside a CSS string in a <style> element."""
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
            .replace("\n", " "))


def page_css(margin: str, foot_pt: float, foot: str | None = None,
             colour: str = MUTED) -> str:
    """The A4 ``@page`` rule: ``margin`` as CSS, the foot's type ``foot_pt`` points in
    ``colour``, ``foot`` (escaped here) bottom left when given, page numbers bottom right."""
    font = f"font: {foot_pt:g}pt {FONT}; color: {colour};"
    left = "" if foot is None else f'  @bottom-left {{ content: "{css_string(foot)}"; {font} }}\n'
    pages = '"Page " counter(page) " of " counter(pages)'
    return (f"@page {{ size: A4; margin: {margin};\n{left}"
            f"  @bottom-right {{ content: {pages}; {font} }} }}\n")
