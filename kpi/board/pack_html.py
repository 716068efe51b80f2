"""The board pack as accessible HTML, printed to a tagged PDF by Chromium.

Why HTML: a screen reader needs a *tagged* PDF (a structure tree in reading
order, real headings, table header cells, alternative text for every chart, the
document's title and language). fpdf2 tags only images; Chromium's printer tags
whatever the HTML says (``<h1>``-``<h3>``, ``<th scope>``, ``<img alt>``,
``<html lang>``, ``<title>``), so the pack is written once as semantic HTML and
printed with ``chromium --headless --print-to-pdf`` (Chromium 131+ tags by
default). Run charts are :func:`kpi.charts.run.sparkline_svg`: the board page's
run-chart traces drawn as small SVGs (no second browser), each with a sentence
saying what it shows.

The words are :mod:`kpi.wording.board`'s and :mod:`kpi.board`'s, so the PDF, the page
and the CSV say the same thing.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kpi.board import BoardPack
from kpi.board.layout import COLUMNS, METHODS, flag_lists, quarter_span
from kpi.catalogue import catalogue
from kpi.charts.palette import BAD_TEXT, GOOD_TEXT, MUTED, PRINT_INK, YELLOW
from kpi.charts.run import chart_alt, sparkline_img, sparkline_svg
from kpi.print_css import page_css
from kpi.wording import GLOSSARY, polarity_words
from kpi.wording.board import (
    benchmark_words,
    change_words,
    control_words,
    tone,
    trend_words,
    value_words,
)

__all__ = [
    "chart_alt", "chromium", "pack_html", "print_pdf", "sparkline_img",
    "sparkline_svg",
]

INK = PRINT_INK

CSS = f"""
html {{ font: 9.5pt/1.35 'DejaVu Sans', Arial, sans-serif; color: {INK};
        font-variant-ligatures: none; }}  /* "fi" stays two letters for text and readers */
body {{ margin: 0; }}
.kicker {{ color: {MUTED}; margin: 0; font-size: 8.5pt; }}
h1 {{ font-size: 19pt; margin: 2pt 0 0; }}
.sub {{ font-size: 12pt; margin: 2pt 0 6pt; }}
h2 {{ font-size: 13pt; margin: 10pt 0 4pt; break-after: avoid; }}
h3 {{ font-size: 11pt; margin: 8pt 0 3pt; break-after: avoid; }}
ul {{ margin: 0 0 4pt; padding-left: 14pt; }}
li {{ margin: 0 0 2.5pt; }}
ul.flags {{ list-style: none; padding-left: 0; }}
.mark {{ font-weight: bold; display: inline-block; width: 10pt; }}
.attention .mark {{ color: {BAD_TEXT}; }} .improved .mark {{ color: {GOOD_TEXT}; }}
.banner {{ background: {YELLOW}; font-weight: bold; text-align: center; padding: 3pt; }}
.about, .glossary {{ color: {MUTED}; font-size: 8.5pt; }}
table {{ border-collapse: collapse; width: 100%; font-size: 7.3pt; margin-bottom: 4pt; }}
thead th {{ background: #EBEBEB; text-align: left; vertical-align: bottom; }}
th, td {{ padding: 2pt 3pt; border-bottom: 0.5pt solid #BBBBBB; vertical-align: top; }}
tbody th {{ text-align: left; font-weight: bold; width: 20%; }}
tr {{ break-inside: avoid; }}
tr.khi th, tr.khi td {{ border-bottom: none; }}
tr.khi {{ break-after: avoid; }}
tr.spc td {{ padding: 0 3pt 3pt; font-size: 7pt; }}
td.chart {{ width: 31mm; padding: 1pt; }}
td.chart img {{ width: 30mm; height: 12mm; display: block; }}
.good {{ color: {GOOD_TEXT}; }} .bad {{ color: {BAD_TEXT}; }} .none {{ color: {MUTED}; }}
.flag {{ color: {BAD_TEXT}; font-weight: normal; display: block; }}
section.domain {{ break-inside: avoid-page; }}
.methods {{ font-size: 8pt; }}
.definitions {{ columns: 2; column-gap: 6mm; font-size: 7.3pt; }}
.definitions p {{ margin: 0 0 3pt; break-inside: avoid; }}
.code {{ color: {MUTED}; }}
.notes, .carried {{ overflow-wrap: anywhere; }}
.notes {{ margin: 0 0 6pt; padding-left: 0; list-style: none; font-size: 8.5pt; }}
.notes li {{ border-left: 2pt solid #BBBBBB; padding-left: 5pt; margin-bottom: 4pt; }}
.carried h3 {{ margin-top: 6pt; }}
.carried p {{ margin: 0 0 2pt; }}
.written {{ color: {MUTED}; }}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _lines(text: str) -> str:
    return "<br>".join(_e(part) for part in text.split("\n"))


def _cell(text: str, colour_class: str) -> str:
    return f'<td class="{colour_class}">{_lines(text)}</td>'


def pack_html(pack: BoardPack, chart_note: str = "") -> str:
    """The whole pack as one HTML document (what Chromium prints)."""
    title = f"Key Human Indicators: {pack.area_label}, {pack.quarter_label}"
    foot = f"Key Human Indicators · {pack.area_label} · {pack.quarter_label}"
    if pack.is_demo:
        foot += " · DEMO DATA"
    out = [
        "<!doctype html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title>",
        '<meta name="author" content="Key Human Indicators dashboard">',
        "<style>" + page_css("14mm 14mm 16mm 14mm", 7.5, foot) + CSS + "</style></head><body>",
        '<p class="kicker">Key Human Indicators · Quarterly board page</p>',
        f"<h1>{_e(pack.area_label)}</h1>",
        f'<p class="sub">{_e(pack.quarter_label)} ({_e(quarter_span(pack))})</p>',
    ]
    if pack.is_demo:
        out.append('<p class="banner">DEMO DATA: a synthetic sector made up for '
                   "demonstration, not real schemes.</p>")
    out += _last_quarter(pack)
    out.append("<h2>Summary</h2><ul>")
    out += [f"<li>{_e(s)}</li>" for s in pack.summary]
    out.append("</ul>")
    for flags, css in zip(flag_lists(pack), ("attention", "improved", "watch")):
        out.append(f"<h2>{_e(flags.heading)}</h2>")
        if flags.lines:
            out.append(f'<ul class="flags {css}">')
            out += [f'<li><span class="mark">{_e(flags.mark)}</span> {_e(line)}</li>'
                    for line in flags.lines]
            out.append("</ul>")
        else:
            out.append(f"<p>{_e(flags.none)}</p>")
    out.append('<h2>About these numbers</h2><ul class="about">')
    out += [f"<li>{_e(s)}</li>" for s in pack.caveats.sentences()]
    if chart_note:
        out.append(f"<li>{_e(chart_note)}</li>")
    out.append('</ul><h2>Words used in this pack</h2><ul class="glossary">')
    out += [f"<li><strong>{_e(term)}</strong>: {_e(meaning)}</li>" for term, meaning in GLOSSARY]
    out.append("</ul>")
    tones = {"good": "good", "bad": "bad"}
    for domain, rows in pack.domains():
        out.append(f'<section class="domain"><h2>{_e(domain)}</h2><table>')
        out.append("<thead><tr>" + "".join(f'<th scope="col">{_e(t)}</th>'
                                            for t, _ in COLUMNS) + "</tr></thead><tbody>")
        for row in rows:
            flag = ('<span class="flag">! needs attention</span>'
                    if row.flag == "attention" else "")
            cells = [f'<th scope="row">{_e(row.name)}{flag}</th>',
                     f"<td>{_lines(value_words(row, pack.settings.min_base))}</td>"]
            for text, _ in (change_words(row, "quarter"), change_words(row, "year"),
                            trend_words(row), benchmark_words(row, pack)):
                cells.append(_cell(text, tones.get(tone(text), "")))
            cells.append(f'<td class="chart">{sparkline_img(row)}</td>')
            out.append('<tr class="khi">' + "".join(cells) + "</tr>")
            spc_text, _ = control_words(row)
            spc_tone = {"special_cause_concern": "bad",
                    "special_cause_improvement": "good"}.get(row.special_cause, "none")
            out.append(f'<tr class="spc"><td colspan="{len(COLUMNS)}" '
                       f'class="{spc_tone}">{_e(spc_text)}</td></tr>')
        out.append("</tbody></table>")
        out += _notes(pack, rows)
        out.append("</section>")
    out.append('<h2 style="break-before: page">Definitions and methods</h2>')
    out.append(f'<p class="methods">{_e(METHODS)}</p><div class="definitions">')
    shown = {r.code for r in pack.rows}
    for khi in catalogue():
        if khi.code not in shown:
            continue
        good = polarity_words(khi)
        out.append(f"<p><strong>{_e(khi.name)}</strong> <span class=\"code\">({_e(khi.code)}, "
                   f"{_e(khi.domain)}; {good})</span><br>{_e(khi.definition)}</p>")
    out.append("</div></body></html>")
    return "\n".join(out)


def _note_items(notes: list) -> list[str]:
    """Notes as list items: every line escaped (a user's text), the last in grey."""
    from kpi.board.notes import note_lines

    items = []
    for note in notes:
        *text, written = note_lines(note)
        items.append("<li>" + "<br>".join(_lines(t) for t in text)
                     + f'<br><span class="written">{_e(written)}</span></li>')
    return items


def _notes(pack: BoardPack, rows: list) -> list[str]:
    """This quarter's notes on the domain's KHIs, under its table (none: nothing)."""
    out = []
    for row in rows:
        notes = pack.notes_on(row.code)
        if notes:
            out.append(f"<h3>Notes: {_e(row.name)}</h3><ul class=\"notes\">")
            out += _note_items(notes)
            out.append("</ul>")
    return out


def _last_quarter(pack: BoardPack) -> list[str]:
    """The pack's opening: last quarter's flags and notes, and what happened since."""
    carried = pack.last_quarter
    if carried is None:
        return []
    out = [f'<section class="carried"><h2>{_e(carried.heading)}</h2>']
    if not carried.items:
        out.append(f"<p>{_e(carried.none)}</p>")
    for item in carried.items:
        out.append(f"<h3>{_e(item.name)}</h3>")
        if item.flags:
            out.append("<p><strong>Flagged then:</strong> " + _e("; ".join(item.flags)) + "</p>")
        out.append(f"<p><strong>Then:</strong> {_e(item.then)}. <strong>Now:</strong> "
                   f"{_e(item.now)}. <strong>Since:</strong> {_e(item.since)}</p>")
        if item.flags_now:
            out.append("<p><strong>Flagged now:</strong> " + _e("; ".join(item.flags_now))
                       + "</p>")
        if item.notes:
            out.append('<ul class="notes">')
            out += _note_items(list(item.notes))
            out.append("</ul>")
    out.append("</section>")
    return out


def chromium() -> str | None:
    """The Chromium to print with: ``KHI_CHROMIUM``, else the first on the PATH."""
    configured = os.environ.get("KHI_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(document: str, browser: str, timeout: float = 60.0) -> bytes:
    """Print an HTML document to a tagged A4 PDF with headless Chromium.

    Raises
    ------
    RuntimeError
        When Chromium fails or writes no PDF.
    """
    with tempfile.TemporaryDirectory(prefix="khi-pack-") as folder:
        page = Path(folder) / "pack.html"
        out = Path(folder) / "pack.pdf"
        page.write_text(document, encoding="utf-8")
        command = [
            browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
            "--disable-extensions", "--no-pdf-header-footer",
            "--generate-pdf-document-outline", f"--user-data-dir={folder}/profile",
            f"--print-to-pdf={out}", page.as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        if not out.exists() or out.stat().st_size == 0:
            raise RuntimeError(
                f"Chromium did not print the pack (exit {result.returncode}): "
                + result.stderr.decode(errors="replace")[-300:]
            )
        return out.read_bytes()
