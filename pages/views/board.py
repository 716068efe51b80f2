"""Quarterly board page: one quarter, one area; what changed, is it real, what needs attention.

Everything shown comes from one ``kpi.board.BoardPack`` (the PDF reads the same
pack), so the page, the PDF and the CSV always agree.
"""

from __future__ import annotations

import html
import io
import zipfile

import pandas as pd
import streamlit as st

from kpi import charts
from kpi.board import BoardPack, BoardRow, board_summaries, layout
from kpi.board import pdf as pack_pdf
from kpi.board.carry import LastQuarter, board_frame, with_notes
from kpi.board.notes import (
    FIELDS,
    LABELS,
    Note,
    add_note,
    edit_note,
    may_change,
    may_write,
    note_lines,
    withdraw_note,
)
from kpi.charts.palette import BAD_TEXT, GOOD_TEXT
from kpi.downloads import board_download, file_name, part_slug
from kpi.errors import KhiError
from kpi.export import safe_csv
from kpi.scope import Scope
from kpi.store import Store
from kpi.wording import GLOSSARY
from kpi.wording import board as board_words
from kpi.wording.board import row_cells
from pages.views import _common as c

ALL = "all"


# ------------------------------------------------------------------- cached work ---
def _board_packs(
    store: Store, quarter: str, area: str, scope: tuple[str, ...] | None
) -> tuple[BoardPack, BoardPack | None]:
    """This quarter's pack and last quarter's (its flags carry over), from one pass
    (``kpi.board.board_summaries``): the first view waits for one build, not two."""
    kind, _, value = area.partition(":")
    return board_summaries(
        store,
        quarter=quarter,
        region=value if kind == "region" else None,
        scheme=value if kind == "scheme" else None,
        settings=c.settings(),
        scope=scope,
    )


board_packs = c.on_store(_board_packs, spinner="Preparing the board page…")


# Who is reading, as plain values (Streamlit hashes them for the cache): notes are
# the reader's to see, so the pack with notes is kept per reader.
Who = tuple[str | None, str | None, tuple[str, ...], tuple[str, ...]]


def who_reads() -> Who:
    scope = c.current_scope()
    return (scope.role, scope.email, tuple(scope.scheme_ids), tuple(scope.regions))


def _noted_pack(
    store: Store, quarter: str, area: str, scope: tuple[str, ...] | None, who: Who
) -> BoardPack:
    """The board pack with this quarter's notes and last quarter's flags and notes, as
    this reader may see them (kpi.board.carry)."""
    now, then = board_packs(quarter, area, scope)  # then None: its notes still shown
    return with_notes(store, Scope(*who), now, area, then)


noted_pack = c.on_store(_noted_pack)


# The PDF and the PNGs are printed by a browser, which takes seconds: cached like
# the pack, so a second click (or a second person) does not wait again.
def _pdf(
    store: Store, quarter: str, area: str, scope: tuple[str, ...] | None, who: Who
) -> bytes:
    return pack_pdf.render_pdf(noted_pack(quarter, area, scope, who))


def _charts_zip(
    store: Store, quarter: str, area: str, scope: tuple[str, ...] | None, stem: str
) -> bytes:
    """Every domain's run charts as PNG (as the PDF draws them), one file a domain,
    zipped: rendered in one batch by the report's browser."""
    pngs = layout.domain_pngs(board_packs(quarter, area, scope)[0])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed
        for domain, png in pngs.items():
            archive.writestr(f"{stem}_{part_slug(domain)}.png", png)
    return buffer.getvalue()


board_pdf = c.on_store(_pdf)
board_charts_zip = c.on_store(_charts_zip)


# ------------------------------------------------------------------- choices ---
def area_of(filters: c.Filters) -> str | None:
    """The board pack's area from the sidebar: its scheme, else its region, else
    England and the nations ("all"). None for a user limited to some schemes who
    has not chosen one: the pack for England or a region is not theirs to take."""
    if filters.scheme_ids:
        return f"scheme:{filters.scheme_ids[0]}"
    if not c.user_reach().every:
        # A whole region granted (commissioners, boards) is theirs to take; else none.
        granted = filters.regions and filters.regions[0] in c.current_scope().regions
        return f"region:{filters.regions[0]}" if granted else None
    if filters.regions:
        return f"region:{filters.regions[0]}"
    return ALL


# ------------------------------------------------------------------- drawing ---
TREND = "Recent trend (5 quarters, Fingertips' method)"
CONTROL = "Control chart (Making Data Count)"
TABLE_COLUMNS = (
    "Indicator", "This quarter", "Since last quarter", "Since last year", TREND,
    "Compared with England", CONTROL,
)
# The domain tables, each an HTML table in a block of this class (the CSS is sent
# with this page alone).
BOARD_TABLE = "khi-board-table"
TABLES = f".{BOARD_TABLE}"
# A run chart's size on the page, in CSS pixels: its axis labels at 10 px.
RUN_CHART_SIZE = (190.0, 80.0)


def domain_table(rows: list[BoardRow], pack: BoardPack) -> pd.DataFrame:
    """One line per KHI in the PDF's words (``kpi.wording.board.row_cells``); the
    trend's words coloured above its run chart (the PDF's, as an HTML image: so the
    trend cell is already HTML, every other cell is text)."""
    cells = [row_cells(r, pack) for r in rows]
    columns = [list(column) for column in zip(*cells)] or [[] for _ in range(6)]
    columns[3] = [coloured(trend) + "<br>"
                  + charts.sparkline_img(r, *RUN_CHART_SIZE, labelled=True)
                  for r, trend in zip(rows, columns[3])]
    return pd.DataFrame(dict(zip(TABLE_COLUMNS, [[r.name for r in rows], *columns])))


def narrow_tables_css(columns: tuple[str, ...]) -> str:
    """CSS that stacks each table row into a card when the page is narrow.

    Six columns of words cannot fit beside the sidebar in an 800 px window (the
    page was wider than the window: WCAG 1.4.10 asks for no sideways scrolling).
    Below 40 rem of width each KHI becomes a block, every cell on its own line
    after its column's name; wider, the table is a table. The header row stays in
    the page for screen readers, only out of sight.
    """
    scope = TABLES
    labels = "\n".join(
        f'{scope} td:nth-child({i}):not(:empty)::before {{ content: "{name}: "; '
        "font-weight: 600; }"
        for i, name in enumerate(columns, start=1) if i > 1
    )
    return f"""<style>
{scope} {{ container-type: inline-size; }}
@container (max-width: 40rem) {{
  {scope} table, {scope} tbody, {scope} tr, {scope} td {{ display: block; width: 100%; }}
  {scope} thead {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
                  clip-path: inset(50%); white-space: nowrap; }}
  {scope} tr {{ border-bottom: 1px solid rgba(128, 128, 128, .35); padding: .4rem 0; }}
  {scope} td {{ border: none !important; padding: .1rem .5rem !important; }}
  {scope} td:first-child {{ font-weight: 600; font-size: 1.05rem; }}
{labels}
}}
{scope} .good {{ color: {GOOD_TEXT}; }} {scope} .bad {{ color: {BAD_TEXT}; }}
</style>"""


def coloured(cell: object) -> str:
    """A table cell as HTML: escaped, in the board pack's blue for better and orange
    for worse (``good``/``bad``, as the PDF's classes); the icon and words already
    say it, the colour only helps the eye."""
    text = html.escape(str(cell))
    tone = board_words.tone(str(cell))
    return f'<span class="{tone}">{text}</span>' if tone in ("good", "bad") else text


def _flags(pack: BoardPack) -> None:
    """The two lists side by side, in a grid that stacks them on a narrow screen."""
    cards = []
    for flags in layout.flag_lists(pack):
        items = "".join(
            f'<li style="margin:0 0 .25rem"><span style="color:{flags.colour}">{flags.mark}'
            f"</span> {html.escape(line)}</li>"
            for line in flags.lines
        )
        listed = (
            f'<ul style="margin:0;padding:0;list-style:none">{items}</ul>'
            if flags.lines
            else f'<p style="margin:0">{html.escape(flags.none)}</p>'
        )
        title = f'<strong style="font-size:1.1rem">{html.escape(flags.heading)}</strong>'
        cards.append(c.card(flags.heading, title + listed))
    c.card_grid(cards, min_width="20rem")


def note_html(note: Note) -> str:
    """A note as HTML: every line a user's text, escaped (``html.escape``), so tags,
    Markdown and addresses in it show as typed (inside an HTML block Markdown does
    not run, so nothing becomes a link); who wrote it in grey."""
    *text, written = note_lines(note)
    lines = [html.escape(t).replace("\n", "<br>") for t in text]
    return ("<br>".join(lines) + f'<br><span style="opacity:.75">'
            f"{html.escape(written)}</span>")


def notes_list(items: list[str]) -> str:
    """List items as one HTML block on one line (a blank line would end the block)."""
    return (f'<ul style="{NOTES_STYLE}">'
            + "".join(f'<li style="margin:0 0 .6rem">{i}</li>' for i in items) + "</ul>")


def notes_block(pack: BoardPack, rows: list[BoardRow]) -> str:
    """This quarter's notes on a domain's KHIs, under its table ("" when none)."""
    items = [f"<strong>Note on {html.escape(row.name)}</strong><br>{note_html(note)}"
             for row in rows for note in pack.notes_on(row.code)]
    if not items:
        return ""
    return "#### :material/edit_note: Notes this quarter\n\n" + notes_list(items)


def last_quarter_block(carried: LastQuarter) -> str:
    """The page's opening, as the PDF's: last quarter's flags and notes, and since."""
    heading = f"### :material/history: {c.md(carried.heading)}\n\n"
    if not carried.items:
        return heading + c.md(carried.none)
    items = []
    for item in carried.items:
        lines = [f"<strong>{html.escape(item.name)}</strong>"]
        if item.flags:
            lines.append("Flagged then: " + html.escape("; ".join(item.flags)))
        lines.append(f"Then {html.escape(item.then)}; now {html.escape(item.now)}. "
                     f"Since: {html.escape(item.since)}")
        if item.flags_now:
            lines.append("Flagged now: " + html.escape("; ".join(item.flags_now)))
        lines += [f'<div style="{NOTE_STYLE}">{note_html(n)}</div>' for n in item.notes]
        items.append("<br>".join(lines))
    return heading + notes_list(items)


# Notes wrap their long words instead of widening the page; a note under its KHI is
# set off by a rule on its left.
NOTES_STYLE = "margin:0 0 1rem;padding-left:1.2rem;overflow-wrap:anywhere"
NOTE_STYLE = ("border-left:3px solid rgba(128,128,128,.45);padding:0 0 0 .6rem;"
              "margin:.3rem 0")


@c.per_revision
def body(quarter: str, area: str, scope: tuple[str, ...] | None, who: Who) -> None:
    """Everything under the downloads: last quarter carried over, the summary, the
    flags, what to know about the numbers, then each domain's table, in the PDF's
    words and with its run charts (SVG, as the PDF draws them: no plotly to wait
    for), and the notes on its KHIs."""
    pack = noted_pack(quarter, area, scope, who)
    if pack.last_quarter is not None:
        # HTML for the notes' escaped text only (note_html); every other part is ours.
        st.markdown(last_quarter_block(pack.last_quarter), unsafe_allow_html=True)
    st.markdown("### Summary\n\n" + "\n".join(f"- {c.md(s)}" for s in pack.summary))
    _flags(pack)
    st.markdown(
        "#### :material/info: About these numbers\n\n"
        + "\n".join(f"- {c.md(s)}" for s in pack.caveats.sentences())
    )
    with st.expander("How to read this page"):
        st.markdown(
            c.md(layout.METHODS) + "\n\n**Words used on this page**\n\n"
            + "\n".join(f"- **{c.md(term)}**: {c.md(meaning)}" for term, meaning in GLOSSARY)
        )
    for domain, rows in pack.domains():
        st.markdown(f"### {c.md(domain)}")
        # An HTML table, not Markdown: the browser parsed the Markdown and then its
        # HTML (the run charts) in JavaScript on every visit. The run charts' images
        # are the only HTML put in as it is; every other cell is escaped.
        table = c.html_table(domain_table(rows, pack), cell=coloured, html_columns=[TREND])
        st.html(f'<div class="{c.STATIC_TABLE} {BOARD_TABLE}">{table}</div>')
        notes = notes_block(pack, rows)
        if notes:
            st.markdown(notes, unsafe_allow_html=True)  # the notes' text escaped
    st.caption(c.suppressed_note(pack.settings.min_base))


def board_csv(
    quarter: str, area: str, scope: tuple[str, ...] | None, who: Who, as_of: str
) -> pd.DataFrame:
    """The board CSV: the tidy columns, the pack's own, and the notes this reader may
    see (``kpi.board.carry.board_frame``)."""
    noted = noted_pack(quarter, area, scope, who)
    return board_download(noted, as_of, board_frame(noted))


def downloads(pack: BoardPack, quarter: str, area: str) -> None:
    """The take-aways in one row: the PDF, the numbers, and the run charts as PNGs
    (as the PDF draws them), each built only when clicked."""
    scope = c.user_reach().scheme_filter
    who = who_reads()
    as_of = c.data_as_of()
    stem = file_name("board", area=pack.area_label, quarter=pack.quarter_label,
                     as_of=as_of).removesuffix(".csv")
    c.download_row(
        [
            c.Download(
                "Board pack (PDF)",
                lambda: board_pdf(quarter, area, scope, who),
                f"{stem}.pdf",
                "application/pdf",
                "board_pdf",
                ":material/picture_as_pdf:",
            ),
            c.Download(
                "Numbers (CSV)",
                lambda: safe_csv(board_csv(quarter, area, scope, who, as_of)),
                f"{stem}.csv",
                "text/csv",
                "board_csv",
                ":material/table:",
            ),
            c.Download(
                "Run charts (PNG, zip)",
                lambda: board_charts_zip(quarter, area, scope, stem),
                f"{stem}_charts.zip",
                "application/zip",
                "board_png",
                ":material/image:",
                help="Each domain's run charts as a PNG, as the PDF draws them (for slides).",
            ),
        ]
    )


def area_page(title: str, caption: str, what: str) -> tuple[str, c.Filters, str] | None:
    """The start of a page made for one quarter and area (the board page, You said, we
    did): its title and caption, then the sidebar's quarter, filters and area, or None
    when there is nothing to show (an empty store, or no scheme chosen yet by someone
    limited to some schemes: ``what`` names the page in that message)."""
    st.title(title)
    st.caption(caption)
    quarter = c.current_quarter()
    if not c.available_quarters() or quarter is None:
        c.empty_store_message()
        return None
    filters = c.current_filters()
    area = area_of(filters)
    if area is None:
        st.info(f"Choose one of your schemes in the sidebar to see its {what}.")
        return None
    return quarter, filters, area


def render() -> None:
    chosen = area_page(
        "Quarterly board page",
        "One page per quarter and area, for the quarter, region or scheme chosen in the "
        "sidebar: what changed, whether it is real, what needs attention. Take it away as "
        "PDF, the numbers as CSV, the charts as PNG.",
        "board page",
    )
    if chosen is None:
        return
    quarter, filters, area = chosen
    scope = c.user_reach().scheme_filter
    try:
        pack = board_packs(quarter, area, scope)[0]
    except KhiError as exc:  # anything else is a bug, and shows as one
        st.warning(c.md(str(exc)))
        return
    st.subheader(f"{c.md(pack.area_label)} · {pack.quarter_label}")
    if pack.is_demo:
        st.warning(
            "**Demo data**: a synthetic sector, not real schemes.", icon=":material/science:"
        )
    if filters.support_types or filters.respondent_types:
        st.caption(
            "The board pack covers every support type and both people using Shared Lives "
            "and family carers, whatever the sidebar's support type and respondents say."
        )
    downloads(pack, quarter, area)
    # Outside the replayed body: a style-only element goes to Streamlit's event
    # container, which a replay cannot reach.
    st.html(narrow_tables_css(TABLE_COLUMNS))
    who = who_reads()
    note_forms(noted_pack(quarter, area, scope, who), quarter, area)
    body(quarter, area, scope, who)


# ------------------------------------------------------------------- notes ---
FLASH = "note_flash"  # what the last save, change or withdrawal said, shown once


def note_forms(pack: BoardPack, quarter: str, area: str) -> None:
    """Write a note (board members, scheme staff, administrators), and change or
    withdraw one's own (an administrator: any). Commissioners read only. ``pack``:
    with this quarter's notes as this reader may see them (``noted_pack``: read once
    a revision, and a note written changes the revision).

    The writes run in the buttons' callbacks: a refused note keeps what was typed,
    a stored one empties the form, and the outcome shows above the forms (not
    inside a collapsed expander)."""
    scope, reach = c.current_scope(), c.user_reach()
    if not may_write(scope, reach, area):
        return
    flash = st.session_state.pop(FLASH, None)
    if flash is not None:
        (st.success if flash[0] == "ok" else st.error)(c.md(flash[1]))
    names = {r.code: r.name for r in pack.rows}
    refused = flash is not None and flash[0] == "refused"
    with st.expander(":material/edit_note: Write a note for this quarter",
                     expanded=refused and flash[2] == "new"):
        st.caption(
            "What the board discussed about one indicator, what will be done, by whom and "
            "when. Everyone who may see this area's board page reads it, here, in the PDF "
            "and the CSV, and next quarter's page opens with it. Write about the service: "
            "never name a person who answered the survey."
        )
        with st.form("board_note"):
            st.selectbox("Indicator", list(names), format_func=names.get, key="note_khi")
            for field, limit in FIELDS.items():
                (st.text_area if limit > 200 else st.text_input)(
                    LABELS[field] + (" (optional)" if field != "discussed" else ""),
                    max_chars=limit, key=f"note_{field}",
                )
            st.form_submit_button("Save the note", icon=":material/save:", on_click=save_note,
                                  args=(scope, reach, area, quarter, names))
    mine = [n for n in pack.notes if may_change(scope, n)]
    if mine:
        with st.expander(":material/edit: Change or withdraw a note",
                         expanded=refused and flash[2] == "edit"):
            change_note_form(scope, mine, names)


def save_note(scope: Scope, reach: c.Reach, area: str, quarter: str,
              names: dict[str, str]) -> None:
    """The "Save the note" button: store it, or say why not (the text stays)."""
    state = st.session_state
    code = state.get("note_khi")
    try:
        add_note(c.store(), scope, khi_code=code or "", area=area, quarter=quarter,
                 by=c.acting_as(), reach=reach,
                 **{field: state.get(f"note_{field}") or "" for field in FIELDS})
    except KhiError as exc:
        state[FLASH] = ("refused", str(exc), "new")
        return
    for field in FIELDS:
        state[f"note_{field}"] = ""
    state[FLASH] = ("ok", f"Note saved on {names.get(code, code)}.")


def change_note_form(scope: Scope, mine: list[Note], names: dict[str, str]) -> None:
    """One of the person's notes (an administrator: any), edited or withdrawn."""
    by_id = {n.note_id: n for n in mine}
    chosen = st.selectbox(
        "Note", list(by_id),
        format_func=lambda i: f"{names.get(by_id[i].khi_code, by_id[i].khi_code)}: "
        f"{by_id[i].discussed[:60]}",
        key="note_chosen",
    )
    note = by_id[chosen]
    with st.form(f"note_edit_{chosen}"):
        for field, limit in FIELDS.items():
            (st.text_area if limit > 200 else st.text_input)(
                LABELS[field], value=getattr(note, field), max_chars=limit,
                key=f"note_edit_{chosen}_{field}",
            )
        st.form_submit_button("Save changes", icon=":material/save:", on_click=change_note,
                              args=(scope, chosen, False))
        st.form_submit_button("Withdraw this note", icon=":material/delete:",
                              on_click=change_note, args=(scope, chosen, True))


def change_note(scope: Scope, note_id: int, withdraw: bool) -> None:
    """The "Save changes" and "Withdraw this note" buttons."""
    state = st.session_state
    try:
        if withdraw:
            withdraw_note(c.store(), scope, note_id, by=c.acting_as())
            state[FLASH] = ("ok", "Note withdrawn: nobody sees it any more (the change log "
                                  "keeps who withdrew it).")
        else:
            edit_note(c.store(), scope, note_id, by=c.acting_as(),
                      **{f: state.get(f"note_edit_{note_id}_{f}") or "" for f in FIELDS})
            state[FLASH] = ("ok", "Note changed.")
    except KhiError as exc:
        state[FLASH] = ("refused", str(exc), "edit")
