"""The board pack laid out by fpdf2: the PDF when Chromium cannot print the tagged one.

No structure tags (a screen reader gets only the text), but a board still gets
its numbers and run charts (PNGs from :func:`kpi.board.layout.chart_pngs`). The words
are :mod:`kpi.wording.board`'s, the colours :mod:`kpi.charts.palette`'s. Imported only
when used: fpdf2 takes about half a second to import.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from kpi.board import BoardPack, BoardRow
from kpi.board.layout import COLUMNS, METHODS, flag_lists, quarter_span
from kpi.catalogue import catalogue
from kpi.charts.palette import PRINT_INK as INK
from kpi.charts.palette import YELLOW
from kpi.wording import GLOSSARY, polarity_words
from kpi.wording.board import (
    benchmark_words,
    change_words,
    control_words,
    trend_words,
    value_words,
)

__all__ = ["layout"]


_ASCII = str.maketrans(
    {
        "▲": "^", "▼": "v", "✓": "+", "●": "=", "○": "o", "–": "-", "—": "-", "→": "->",
        "’": "'", "‘": "'", "“": '"', "”": '"', "·": "-", "…": "...", "≥": ">=",
        "•": "-",
    }
)


def plain_document(font_dir: Path) -> tuple[FPDF, str, Callable[[object], str]]:
    """An A4 fpdf2 document with DejaVu when the fonts are there (else Helvetica):
    (pdf, font family, a function giving text the font can show). The privacy notice
    and a person's answers use it; the board pack has its own class."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    unicode = (font_dir / "DejaVuSans.ttf").exists()
    family = "Helvetica"
    if unicode:
        pdf.add_font("DejaVu", "", str(font_dir / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(font_dir / "DejaVuSans-Bold.ttf"))
        family = "DejaVu"

    def shown(text: object) -> str:
        words = str(text)
        if unicode:
            return words
        return words.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")

    return pdf, family, shown


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class _BoardPDF(FPDF):
    """A4 portrait with a running header and footer."""

    def __init__(self, pack: BoardPack, font_dir: Path) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.pack = pack
        self.unicode = (font_dir / "DejaVuSans.ttf").exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(font_dir / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(font_dir / "DejaVuSans-Bold.ttf"))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_title(f"Key Human Indicators: {pack.area_label}, {pack.quarter_label}")
        self.set_author("Key Human Indicators dashboard")
        self.set_creator("kpi.report")

    def t(self, text: str) -> str:
        """Text the current font can show."""
        if self.unicode:
            return text
        return text.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, style: str = "", colour: str = INK) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*_rgb(colour))

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.font(8, colour="#555555")
        text = f"Key Human Indicators · {self.pack.area_label} · {self.pack.quarter_label}"
        if self.pack.is_demo:
            text += " · DEMO DATA"
        self.cell(0, 5, self.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.font(8, colour="#555555")
        left = f"Generated {dt.date.today():%d %B %Y}"
        if self.pack.is_demo:
            left += " · demo data: a synthetic sector, not real schemes"
        self.cell(130, 5, self.t(left))
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    # ---------------------------------------------------------------- blocks ---
    def heading(self, text: str, size: float = 14, space: float = 4) -> None:
        self.ln(space)
        self.font(size, "B")
        self.multi_cell(0, size * 0.5, self.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 10, colour: str = INK, style: str = "") -> None:
        self.font(size, style, colour)
        self.multi_cell(
            0, size * 0.48, self.t(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def bullet(self, icon: str, text: str, colour: str, size: float = 10) -> None:
        self.font(size, "B", colour)
        self.cell(6, size * 0.48, self.t(icon))
        self.font(size, "", INK)
        self.multi_cell(
            0, size * 0.48, self.t(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.ln(0.8)

    def banner(self, text: str) -> None:
        self.set_fill_color(*_rgb(YELLOW))
        self.font(10, "B")
        self.multi_cell(
            0, 6, self.t(text), fill=True, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.set_fill_color(255, 255, 255)  # tables fill with the current colour

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit on this one."""
        if self.get_y() + height > self.h - self.b_margin:
            self.add_page()


def _domain_table(
    pdf: _BoardPDF, rows: Sequence[BoardRow], pack: BoardPack, charts: dict[str, bytes]
) -> None:
    """One table per domain; the last column is each KHI's run chart."""
    pdf.font(7.5)
    heading = FontFace(emphasis="BOLD", color=_rgb(INK), fill_color=(235, 235, 235))
    with pdf.table(
        col_widths=tuple(w for _, w in COLUMNS),
        text_align="LEFT",
        v_align="TOP",
        line_height=3.4,
        padding=(1.2, 1.0, 1.0, 1.0),
        headings_style=heading,
        borders_layout="HORIZONTAL_LINES",
        width=sum(w for _, w in COLUMNS),
        align="LEFT",
    ) as table:
        head = table.row()
        for title, _ in COLUMNS:
            head.cell(pdf.t(title))
        for row in rows:
            cells = table.row()
            name = row.name + ("\n! needs attention" if row.flag == "attention" else "")
            cells.cell(pdf.t(name), style=FontFace(emphasis="BOLD"))
            cells.cell(pdf.t(value_words(row, pack.settings.min_base)))
            for text, colour in (
                change_words(row, "quarter"),
                change_words(row, "year"),
                trend_words(row),
                benchmark_words(row, pack),
            ):
                cells.cell(pdf.t(text), style=FontFace(color=_rgb(colour)))
            image = charts.get(row.code)
            if image:
                cells.cell(img=io.BytesIO(image), padding=(0.6, 0.5, 0.6, 0.5))
            else:
                cells.cell("")
            text, colour = control_words(row)
            table.row().cell(pdf.t(text), colspan=len(COLUMNS),
                             style=FontFace(color=_rgb(colour)))


def _domain_section(
    pdf: _BoardPDF, domain: str, rows: Sequence[BoardRow], pack: BoardPack,
    charts: dict[str, bytes],
) -> None:
    """Heading and table of one domain."""
    pdf.need(40)
    pdf.heading(domain, size=13, space=4)
    _domain_table(pdf, rows, pack, charts)
    for row in rows:
        notes = pack.notes_on(row.code)
        if notes:
            pdf.heading(f"Notes: {row.name}", size=10, space=2)
            _note_bullets(pdf, notes)


def _note_bullets(pdf: _BoardPDF, notes: Sequence) -> None:
    """Notes as plain text (fpdf2 draws no markup: a user's text shows as typed)."""
    from kpi.board.notes import note_lines

    for note in notes:
        *text, written = note_lines(note)
        pdf.bullet("•", "\n".join(text), INK, size=9)
        pdf.paragraph(written, size=8, colour="#555555")


def _last_quarter(pdf: _BoardPDF, pack: BoardPack) -> None:
    """The pack's opening: last quarter's flags and notes, and what happened since."""
    carried = pack.last_quarter
    if carried is None:
        return
    pdf.heading(carried.heading, size=12)
    if not carried.items:
        pdf.paragraph(carried.none)
    for item in carried.items:
        pdf.heading(item.name, size=10.5, space=2)
        if item.flags:
            pdf.paragraph("Flagged then: " + "; ".join(item.flags), size=9)
        pdf.paragraph(f"Then: {item.then}. Now: {item.now}. Since: {item.since}", size=9)
        if item.flags_now:
            pdf.paragraph("Flagged now: " + "; ".join(item.flags_now), size=9)
        _note_bullets(pdf, item.notes)


def _section_height(rows: Sequence[BoardRow]) -> float:
    """Estimated height (mm) of a domain's heading and table.

    A row is 3 lines (value, interval, base) unless the name wraps to more: about
    17 characters a line in the 32 mm column at 7.5 pt, plus "needs attention".
    """
    height = 22.0  # heading and the table's header row
    for row in rows:
        lines = max(3, math.ceil(len(row.name) / 17) + (row.flag == "attention"))
        height += 2.2 + 3.4 * lines + 9.0  # and its control chart's line
    return height


def layout(
    pack: BoardPack, charts: dict[str, bytes], chart_note: str, font_dir: Path
) -> bytes:
    """The whole pack as PDF bytes (A4); ``charts`` are run-chart PNGs by KHI code."""
    pdf = _BoardPDF(pack, font_dir)
    pdf.alias_nb_pages()
    pdf.add_page()

    # ---- title
    pdf.font(9, colour="#555555")
    pdf.cell(0, 5, pdf.t("Key Human Indicators · Quarterly board page"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(20, "B")
    pdf.multi_cell(0, 9, pdf.t(pack.area_label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(13)
    pdf.cell(0, 7, pdf.t(f"{pack.quarter_label}  ({quarter_span(pack)})"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    if pack.is_demo:
        pdf.banner("DEMO DATA: a synthetic sector made up for demonstration, not real schemes.")

    _last_quarter(pdf, pack)

    # ---- summary
    pdf.heading("Summary")
    for sentence in pack.summary:
        pdf.bullet("•", sentence, INK, size=10)

    # ---- exceptions
    for flags in flag_lists(pack):
        pdf.heading(flags.heading, size=12)
        for line in flags.lines:
            pdf.bullet(flags.mark, line, flags.colour)
        if not flags.lines:
            pdf.paragraph(flags.none)

    # ---- caveats
    pdf.heading("About these numbers", size=12)
    for sentence in pack.caveats.sentences():
        pdf.bullet("•", sentence, "#555555", size=9.5)
    if chart_note:
        pdf.bullet("•", chart_note, "#555555", size=9.5)

    # ---- glossary
    pdf.heading("Words used in this pack", size=12)
    for term, meaning in GLOSSARY:
        pdf.bullet("•", f"{term}: {meaning}", "#555555", size=9.5)

    # ---- one section per domain
    for domain, rows in pack.domains():
        # Keep a domain's heading and table on one page when they fit one. An
        # estimate (rows are 3-4 lines or a 12 mm chart): fpdf2's offset_rendering
        # would measure exactly but deep-copies the document, ~0.1 s per domain.
        if pdf.get_y() + _section_height(rows) > pdf.h - pdf.b_margin:
            pdf.add_page()
        _domain_section(pdf, domain, rows, pack, charts)

    # ---- definitions
    pdf.add_page()
    pdf.heading("Definitions and methods", size=13, space=0)
    pdf.paragraph(METHODS, size=8.5)
    pdf.ln(2)
    shown = {r.code for r in pack.rows}
    pdf.font(7.5)
    with pdf.text_columns(ncols=2, gutter=6, text_align="LEFT", line_height=1.15) as cols:
        for khi in catalogue():
            if khi.code not in shown:
                continue
            good = polarity_words(khi)
            with cols.paragraph(bottom_margin=1.6) as par:
                pdf.font(7.5, "B")
                par.write(pdf.t(f"{khi.name} "))
                pdf.font(7.5, colour="#555555")
                par.write(pdf.t(f"({khi.code}, {khi.domain}; {good})\n"))
                pdf.font(7.5)
                par.write(pdf.t(khi.definition))
    return bytes(pdf.output())
