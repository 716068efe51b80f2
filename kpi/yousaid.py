""""You said, we did": a few results in easy-read words, and the board's actions.

For the people who answered: one sheet per scheme (or area) and quarter that a
scheme can hand out, on the page and as a tagged, large-print PDF. Which results
and how to say them is data (``bank/yousaid.toml``); their values are the
engine's (:func:`kpi.indicators.indicator_table`, after disclosure control), so a
hidden result is left out altogether: no number, no sentence, not even its name.
The page and the PDF both read one :class:`YouSaid`, so they say the same.

Pure (no streamlit). The PDF is HTML printed by Chromium, as the board pack is
(:mod:`kpi.board.pack_html`): Chromium tags headings, lists and every picture's ``alt``.
"""

from __future__ import annotations

import base64
import html
import math
import subprocess
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pandas as pd

from kpi import indicators as engine
from kpi.board import area_filters
from kpi.board.notes import Note, notes_for
from kpi.catalogue import khi as khi_by_code
from kpi.charts.palette import MUTED, PRINT_INK
from kpi.errors import KhiError, RefusedFile
from kpi.indicators import Settings, default_settings
from kpi.paths import BANK_DIR
from kpi.periods import parse_quarter, quarter_label
from kpi.print_css import page_css
from kpi.reach import Reach
from kpi.scope import Scope
from kpi.store import Store

# Who said it, by the KHI's population in the catalogue.
WHO = {"person": "people", "carer": "family carers"}
TITLE = "You said, we did"
THANKS = (
    "Thank you for answering our questions. This is what you told us, "
    "and what we are going to do."
)
SAID = "You said"
DOING = "What we are doing"
DEMO = "Demo data: made up to show how this works. These are not real people's answers."
NO_RESULTS = "Not enough people answered this time for us to share what they said."
NO_ACTIONS = "We have not written down any actions for this time yet."


class PrintError(KhiError):
    """The PDF could not be printed (no Chromium, or it failed): say so, not a
    half-made file."""


# ---------------------------------------------------------------- pictures ---
# Small drawings of our own (no licence to check), 64 by 64, dark outlines on
# light fills from the palette: each is shown with the alt text of yousaid.toml.
_INK = PRINT_INK
PICTURES: dict[str, str] = {
    "heart": (
        '<path d="M32 54C12 40 6 28 11 19c5-9 16-10 21-1 5-9 16-8 21 1 5 9-1 21-21 35z" '
        'fill="#F6C6B0" stroke="INK" stroke-width="3" stroke-linejoin="round"/>'
    ),
    "star": (
        '<polygon points="32,6 39,24 58,24 43,36 49,55 32,44 15,55 21,36 6,24 25,24" '
        'fill="#F0E442" stroke="INK" stroke-width="3" stroke-linejoin="round"/>'
    ),
    "speech": (
        '<path d="M10 12h44a4 4 0 0 1 4 4v24a4 4 0 0 1-4 4H28l-12 10v-10h-6a4 4 0 0 1-4-4V16'
        'a4 4 0 0 1 4-4z" fill="#CFE4F2" stroke="INK" stroke-width="3" '
        'stroke-linejoin="round"/><circle cx="22" cy="28" r="3" fill="INK"/>'
        '<circle cx="32" cy="28" r="3" fill="INK"/><circle cx="42" cy="28" r="3" fill="INK"/>'
    ),
    "scales": (
        '<g fill="none" stroke="INK" stroke-width="3" stroke-linecap="round">'
        '<path d="M32 10v42M20 56h24M10 18h44"/>'
        '<path d="M10 18l-7 16h14zM54 18l-7 16h14z" fill="#CFE4F2" '
        'stroke-linejoin="round"/></g>'
    ),
    "people": (
        '<g stroke="INK" stroke-width="3"><circle cx="21" cy="19" r="8" fill="#F6C6B0"/>'
        '<circle cx="43" cy="19" r="8" fill="#CFE4F2"/>'
        '<path d="M7 56c0-14 6-22 14-22s14 8 14 22z" fill="#F6C6B0" stroke-linejoin="round"/>'
        '<path d="M29 56c0-14 6-22 14-22s14 8 14 22z" fill="#CFE4F2" stroke-linejoin="round"/>'
        "</g>"
    ),
    "smile": (
        '<circle cx="32" cy="32" r="25" fill="#F0E442" stroke="INK" stroke-width="3"/>'
        '<circle cx="23" cy="26" r="3.5" fill="INK"/><circle cx="41" cy="26" r="3.5" fill="INK"/>'
        '<path d="M20 38c6 9 18 9 24 0" fill="none" stroke="INK" stroke-width="3" '
        'stroke-linecap="round"/>'
    ),
    "sun": (
        '<g stroke="INK" stroke-width="3" stroke-linecap="round">'
        '<path d="M32 4v8M32 52v8M4 32h8M52 32h8M12 12l6 6M46 46l6 6M12 52l6-6M46 18l6-6"/>'
        '<circle cx="32" cy="32" r="13" fill="#F0E442"/></g>'
    ),
    "tick": (
        '<circle cx="32" cy="32" r="25" fill="#CFE4F2" stroke="INK" stroke-width="3"/>'
        '<path d="M20 33l8 8 16-17" fill="none" stroke="INK" stroke-width="4" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
    ),
}
ACTION_ALT = "A tick: something we will do"


def picture_svg(name: str) -> str:
    """One of :data:`PICTURES` as a whole SVG document."""
    body = PICTURES[name].replace('"INK"', f'"{_INK}"')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        f"{body}</svg>"
    )


def picture_img(name: str, alt: str, size: int = 64) -> str:
    """The picture as an HTML image with its text alternative (WCAG 1.1.1), as the
    page and the PDF both show it."""
    data = base64.b64encode(picture_svg(name).encode()).decode()
    return (
        f'<img src="data:image/svg+xml;base64,{data}" width="{size}" height="{size}" '
        f'alt="{html.escape(alt, quote=True)}">'
    )


# -------------------------------------------------------- what to say (data) ---
@dataclass(frozen=True)
class Saying:
    """One entry of ``bank/yousaid.toml``: a KHI and how to say it."""

    khi: str
    said: str
    picture: str
    alt: str


def _refused(problem: str) -> RefusedFile:
    return RefusedFile(f"kpi/bank/yousaid.toml: {problem}. Correct the file and start again.",
                       title="You said, we did refused")


@cache
def sayings() -> tuple[Saying, ...]:
    """The results to hand back, in order; checked against the catalogue when read."""
    with open(BANK_DIR / "yousaid.toml", "rb") as fh:
        raw = tomllib.load(fh)
    out = tuple(Saying(**entry) for entry in raw["result"])
    for entry in out:
        khi = khi_by_code(entry.khi)  # raises on an unknown code
        if not khi.is_proportion:
            raise _refused(f"{entry.khi} is not a proportion ('8 out of 10')")
        if entry.picture not in PICTURES:
            raise _refused(f"{entry.khi}: no picture {entry.picture!r}")
        if not entry.alt.strip():
            raise _refused(f"{entry.khi}: every picture needs alt text")
    return out


def out_of_ten(percent: float) -> int:
    """A percentage as "k out of 10", rounded half up, but never 0 or 10 unless it
    is none or all (9.6 out of 10 is not "everyone")."""
    k = math.floor(percent / 10 + 0.5)
    if 0 < percent < 100:
        k = min(max(k, 1), 9)
    return k


def sentence(value: float, who: str, said: str) -> str:
    """The easy-read sentence for one shown value."""
    k = out_of_ten(value)
    if k == 0:
        return f"None of the {who} who answered said {said}."
    if k == 10:
        return f"All the {who} who answered said {said}."
    return f"{k} out of 10 {who} said {said}."


# ------------------------------------------------------------------- sheet ---
@dataclass(frozen=True)
class Result:
    """One shown result: its sentence, how many answered, and its picture."""

    khi: str
    name: str
    sentence: str
    answered: str
    picture: str
    alt: str


@dataclass(frozen=True)
class Action:
    """One action the board recorded, as the people who answered read it (free text
    from users: escaped wherever it is drawn)."""

    khi_name: str
    action: str
    owner: str
    due: str

    def lines(self) -> list[str]:
        """The action, then who does it and by when (each only when written)."""
        out = [self.action]
        if self.owner:
            out.append(f"Who: {self.owner}")
        if self.due:
            out.append(f"When: {self.due}")
        return out


@dataclass(frozen=True)
class YouSaid:
    """Everything the page and the PDF show for one area and quarter."""

    area_label: str
    quarter_label: str
    results: tuple[Result, ...]
    actions: tuple[Action, ...]
    min_base: int
    is_demo: bool

    @property
    def title(self) -> str:
        return f"{TITLE}: {self.area_label}, {self.quarter_label}"

    def privacy_line(self) -> str:
        """Why some results may be missing, said the same whatever is hidden (so it
        tells nobody which result was)."""
        return (
            f"We only share a result when at least {self.min_base} people answered "
            "the question, so that nobody's answers can be picked out."
        )


def results_for(table: pd.DataFrame, min_compare: int) -> tuple[Result, ...]:
    """Sentences for the engine's shown cells only: a hidden (suppressed) cell, or
    one with no answers, gives nothing at all."""
    by_code = {str(row["khi"]): row for _, row in table.iterrows()}
    out = []
    for entry in sayings():
        row = by_code.get(entry.khi)
        if row is None or bool(row["suppressed"]):
            continue
        value, n = row["value"], row["n"]
        if value is None or n is None or _missing(value) or _missing(n) or n <= 0:
            continue
        khi = khi_by_code(entry.khi)
        who = WHO[khi.population]
        answered = f"{int(n):,} {who} answered this question."
        if n < min_compare:
            answered += " That is not many, so this could change next time."
        out.append(Result(entry.khi, khi.name, sentence(float(value), who, entry.said),
                          answered, entry.picture, entry.alt))
    return tuple(out)


def _missing(value: object) -> bool:
    try:
        return bool(math.isnan(float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def actions_from(notes: Iterable[Note]) -> tuple[Action, ...]:
    """The board's notes that say what will be done (a note with no action, only
    what was discussed, is the board's own and is left out)."""
    return tuple(
        Action(note.khi_name, note.action.strip(), note.owner.strip(), note.due.strip())
        for note in notes
        if note.action.strip()
    )


def you_said(
    store: Store,
    scope: Scope,
    *,
    area: str,
    quarter: str,
    reach: Reach | None = None,
    settings: Settings | None = None,
) -> YouSaid:
    """The sheet for one area ("scheme:ID", "region:NAME" or "all": the board
    page's area key) and quarter, as ``scope`` may see it: the engine's shown
    results within ``reach`` (``scope.allowed(store)`` when not given) and the
    board's notes for that area and quarter that say what will be done.

    Raises
    ------
    ValueError
        For an unknown area or quarter, or a scheme outside ``reach``.
    """
    reach = scope.allowed(store) if reach is None else reach
    settings = settings or default_settings()
    start = parse_quarter(quarter)
    kind, _, value = area.partition(":")
    filters, label, _ = area_filters(
        store,
        value if kind == "region" else None,
        value if kind == "scheme" else None,
        reach.scheme_filter,
    )
    codes = [s.khi for s in sayings()]
    table = engine.indicator_table(
        store, khis=codes, quarter=start, filters=filters, settings=settings
    )
    notes = notes_for(store, scope, area=area, quarter=start, reach=reach)
    return YouSaid(
        area_label=label,
        quarter_label=quarter_label(start),
        results=results_for(table, settings.min_compare),
        actions=actions_from(notes),
        min_base=settings.min_base,
        is_demo=store.is_demo(),
    )


# -------------------------------------------------------------------- PDF ---
CSS = f"""
html {{ font: 16pt/1.5 'DejaVu Sans', Arial, sans-serif; color: {_INK};
        font-variant-ligatures: none; }}
body {{ margin: 0; }}
h1 {{ font-size: 28pt; line-height: 1.2; margin: 0 0 4pt; }}
.sub {{ font-size: 18pt; margin: 0 0 12pt; }}
h2 {{ font-size: 22pt; margin: 18pt 0 8pt; break-after: avoid; }}
ul {{ list-style: none; margin: 0; padding: 0; }}
li {{ display: flex; gap: 12pt; align-items: flex-start; margin: 0 0 14pt;
      break-inside: avoid; }}
li img {{ width: 22mm; height: 22mm; flex: none; }}
li p {{ margin: 0 0 2pt; }}
.small {{ color: {MUTED}; font-size: 14pt; }}
.banner {{ border: 2pt solid {_INK}; font-weight: bold; padding: 4pt; }}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# One entry of a list: its picture and alt text, then its lines (text, small?).
Item = tuple[str, str, list[tuple[str, bool]]]


def said_items(sheet: YouSaid) -> list[Item]:
    """The "You said" list: each shown result's picture, sentence and base."""
    return [(r.picture, r.alt, [(r.sentence, False), (r.answered, True)]) for r in sheet.results]


def action_items(sheet: YouSaid) -> list[Item]:
    """The "What we are doing" list: each action, who and by when, and what about."""
    return [
        ("tick", ACTION_ALT,
         [(line, False) for line in a.lines()] + [(f"About: {a.khi_name}", True)])
        for a in sheet.actions
    ]


# The page's inline styles (a page cannot take the PDF's stylesheet); the PDF's
# are in CSS. Small lines are muted by opacity, so they read on either theme.
_PAGE_STYLE = {
    "ul": "list-style:none;margin:0 0 1rem;padding:0",
    "li": "display:flex;gap:1rem;align-items:flex-start;margin:0 0 1rem",
    "p": "margin:0;font-size:1.25rem;line-height:1.5",
    "small": "margin:0;font-size:1rem;opacity:.85",
}


def list_html(items: list[Item], *, page: bool = False) -> str:
    """A list of pictures and words as escaped HTML, the same on the page
    (``page``: inline styles) and in the PDF (its stylesheet)."""

    def style(part: str) -> str:
        return f' style="{_PAGE_STYLE[part]}"' if page else ""

    out = [f"<ul{style('ul')}>"]
    for picture, alt, lines in items:
        text = "".join(
            f'<p class="small"{style("small")}>{_e(line)}</p>' if small
            else f"<p{style('p')}>{_e(line)}</p>"
            for line, small in lines
        )
        out.append(f"<li{style('li')}>{picture_img(picture, alt)}<div>{text}</div></li>")
    out.append("</ul>")
    return "".join(out)


def sheet_html(sheet: YouSaid) -> str:
    """The sheet as one HTML document in large print (what Chromium prints): a
    language, a title, real headings, lists, and alt text on every picture; each
    page's foot says whose sheet it is, so a page handed out alone still says."""
    foot = f"{TITLE} · {sheet.area_label} · {sheet.quarter_label}"
    out = [
        "<!doctype html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>{_e(sheet.title)}</title>",
        '<meta name="author" content="Key Human Indicators dashboard">',
        f"<style>{page_css('18mm 18mm 20mm 18mm', 11, foot)}{CSS}</style></head><body>",
        f"<h1>{_e(TITLE)}</h1>",
        f'<p class="sub">{_e(sheet.area_label)}, {_e(sheet.quarter_label)}</p>',
    ]
    if sheet.is_demo:
        out.append(f'<p class="banner">{_e(DEMO)}</p>')
    out.append(f"<p>{_e(THANKS)}</p>")
    out.append(f"<h2>{_e(SAID)}</h2>")
    out.append(list_html(said_items(sheet)) if sheet.results else f"<p>{_e(NO_RESULTS)}</p>")
    out.append(f'<p class="small">{_e(sheet.privacy_line())}</p>')
    out.append(f"<h2>{_e(DOING)}</h2>")
    out.append(list_html(action_items(sheet)) if sheet.actions else f"<p>{_e(NO_ACTIONS)}</p>")
    out.append("</body></html>")
    return "\n".join(out)


def render_pdf(sheet: YouSaid) -> bytes:
    """The sheet as a tagged PDF, printed by Chromium (``pdfinfo``: "Tagged: yes").

    Raises
    ------
    PrintError
        Without Chromium, or when it fails: an untagged PDF would not do for the
        people it is for.
    """
    from kpi.board import pack_html

    browser = pack_html.chromium()
    if browser is None:
        raise PrintError(
            "The PDF needs Chromium to print it, and none was found: install Chromium "
            "or set KHI_CHROMIUM to its path."
        )
    try:
        return pack_html.print_pdf(sheet_html(sheet), browser)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        raise PrintError(f"Chromium could not print the PDF: {exc}") from exc
