"""One palette for the pages, the board pack, its PNGs and both PDFs.

Okabe-Ito (Okabe & Ito 2008, "Color Universal Design"): distinguishable with
every common colour-vision deficiency. Colours that are also text must reach
4.5:1 against white (WCAG 2.2, 1.4.3): Okabe-Ito vermillion is only
3.9:1, so it is darkened here and nowhere else.
"""

from __future__ import annotations

from kpi.wording import COMPARISON_WORDS

PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    # Okabe-Ito vermillion darkened to 5:1 on white: it is also text ("worse", "!").
    "vermillion": "#B84F00",
    "purple": "#CC79A7",
    "grey": "#999999",
    "black": "#000000",
}
SEQUENCE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky")]
BLUE, SKY, ORANGE = PALETTE["blue"], PALETTE["sky"], PALETTE["orange"]
VERMILLION, GREY, YELLOW = PALETTE["vermillion"], PALETTE["grey"], PALETTE["yellow"]
# Text on white with at least 4.5:1: the pack's "better" and "worse" words and
# muted notes (blue #0072B2 is 5.1:1, just enough for large marks, not small print).
GOOD_TEXT = "#005A8C"
BAD_TEXT = "#A33F00"
MUTED = "#555555"

# Benchmark results: icon, words (kpi.wording's) and colour; never colour alone.
COMPARISON_STYLE = {
    key: (icon, words, {"better": BLUE, "worse": VERMILLION}.get(key, GREY))
    for key, (icon, words) in COMPARISON_WORDS.items()
}
# Plotly marker symbols that echo the icons above (shape, not only colour).
COMPARISON_SYMBOL = {
    "better": "triangle-up",
    "similar": "circle",
    "worse": "triangle-down",
    "not compared": "circle-open",
}
# A perceptually uniform scale designed for colour-vision deficiency.
SEQUENTIAL = "Cividis"
BAND = "rgba(0, 114, 178, 0.18)"  # a 95% interval band: the blue, light

# Type: the dashboard's font and ink; the pack's (DejaVu: the PDF's font, full Unicode).
FONT = "Source Sans Pro, Arial, sans-serif"
INK = "#262730"
PRINT_FONT = "DejaVu Sans, Arial, sans-serif"
PRINT_INK = "#222222"
