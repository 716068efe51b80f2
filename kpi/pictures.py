"""Pictures for the questionnaire's answers, drawn as small inline SVGs.

Why draw them: they then ship with the code (no icon font, no licence to track,
no network), print in the PDF exactly as on screen, and carry their alt text
inside (``role="img"`` with ``<title>`` and ``aria-label``), so a screen reader
reads the answer's words and never a file name.
"""

from __future__ import annotations

import html
import re

__all__ = ["PICTURES", "is_picture", "svg"]

_INK = "#1a1a1a"
_FILL = "#ffe9a8"
_FACE = re.compile(r"^face-(\d|10)$")
PICTURES = ("no-answer", "person", "helper", "someone-else", "number") + tuple(
    f"face-{n}" for n in range(11)
)


def is_picture(name: str) -> bool:
    return name in PICTURES


def _face(n: int) -> str:
    """A face from 0 (very unhappy) to 10 (very happy): the mouth bends with n."""
    bend = (n - 5) / 5  # -1 .. 1
    mouth_y = 64 - 4 * bend
    ctrl_y = mouth_y + 22 * bend
    brow = ""
    if n <= 2:  # sad brows (raised in the middle) on the unhappiest faces
        brow = (
            f'<path d="M26 34 L40 29 M74 34 L60 29" stroke="{_INK}" stroke-width="4" '
            'stroke-linecap="round" fill="none"/>'
        )
    return (
        f'<circle cx="50" cy="50" r="44" fill="{_FILL}" stroke="{_INK}" stroke-width="4"/>'
        f'<circle cx="35" cy="42" r="5" fill="{_INK}"/>'
        f'<circle cx="65" cy="42" r="5" fill="{_INK}"/>'
        f"{brow}"
        f'<path d="M30 {mouth_y:.1f} Q50 {ctrl_y:.1f} 70 {mouth_y:.1f}" stroke="{_INK}" '
        'stroke-width="5" stroke-linecap="round" fill="none"/>'
    )


def _person(x: float, scale: float = 1.0) -> str:
    r = 13 * scale
    return (
        f'<circle cx="{x}" cy="{34 - (1 - scale) * 10}" r="{r}" fill="{_FILL}" '
        f'stroke="{_INK}" stroke-width="4"/>'
        f'<path d="M{x - 26 * scale} 88 Q{x} {48 + (1 - scale) * 20} {x + 26 * scale} 88 Z" '
        f'fill="{_FILL}" stroke="{_INK}" stroke-width="4" stroke-linejoin="round"/>'
    )


_SHAPES = {
    # A circle crossed through: "I don't want to answer".
    "no-answer": (
        f'<circle cx="50" cy="50" r="40" fill="#ffffff" stroke="{_INK}" stroke-width="6"/>'
        f'<path d="M22 78 L78 22" stroke="{_INK}" stroke-width="6" stroke-linecap="round"/>'
    ),
    "person": _person(50),
    "helper": _person(34, 0.8) + _person(68),
    "someone-else": _person(62)
    + f'<path d="M8 50 L34 50 M24 40 L34 50 L24 60" stroke="{_INK}" stroke-width="5" '
    'stroke-linecap="round" stroke-linejoin="round" fill="none"/>',
    # A box with digits: the answer is a number written in.
    "number": (
        f'<rect x="10" y="22" width="80" height="56" rx="8" fill="#ffffff" '
        f'stroke="{_INK}" stroke-width="4"/>'
        '<text x="50" y="62" font-size="32" font-family="sans-serif" '
        f'text-anchor="middle" fill="{_INK}">123</text>'
    ),
}


def svg(name: str, alt: str, size: int = 64) -> str:
    """The picture as inline SVG; ``alt`` is what a screen reader says for it."""
    match = _FACE.match(name)
    if match:
        body = _face(int(match.group(1)))
    elif name in _SHAPES:
        body = _SHAPES[name]
    else:
        raise KeyError(f"no picture called {name!r}")
    label = html.escape(alt, quote=True)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="{size}" '
        f'height="{size}" role="img" aria-label="{label}" focusable="false">'
        f"<title>{label}</title>{body}</svg>"
    )
