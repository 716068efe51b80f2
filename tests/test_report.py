"""The board pack PDF and CSV: right quarter, area and KHIs; hidden values never printed.

PDFs are read back with pypdf. One PDF per store is built with real run charts
(kaleido + Chromium, one browser per test process); the others pass ``charts={}``
to keep the suite lean.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from kpi.board import board_summary, layout
from kpi.board import pdf as board_pdf
from kpi.catalogue import catalogue
from kpi.export import neutralise, safe_csv
from kpi.periods import quarter_label
from kpi.store import Store
from tests.builders import kpi_main
from tests.test_board import (  # noqa: F401
    NW_IMPROVING,
    NW_WORSE,
    NW_WORSENING,
    PREVIOUS,
    SPC_SPECIAL,
    SPC_WATCH,
    SPC_WORSE,
    Q,
    add_responses,
    lonely,
    make_store,
    north_west,
    spc_board,
)

PROJECT_DIR = Path(__file__).resolve().parents[1]


def structure(reader: PdfReader) -> list[dict[str, str]]:
    """The tagged PDF's structure elements in reading order: type (H1, TH, Figure...)
    and alternative text."""
    found: list[dict[str, str]] = []

    def walk(node: object) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for kid in node:
                walk(kid)
            return
        if not hasattr(node, "get"):
            return
        kind = node.get("/S")
        if kind is not None:
            found.append({"type": str(kind).lstrip("/"), "alt": str(node.get("/Alt", ""))})
        kids = node.get("/K")
        if kids is not None:
            walk(kids)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def pdf_text(pdf: bytes) -> str:
    """Every page's text, whitespace collapsed (table cells wrap names over lines)."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture(scope="module")
def small_scheme(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """S1 answers normally; S9 has three people whose hidden values are distinctive:
    friends 71, 83, 78 (mean 77.3) and 2 of 3 often lonely (67%)."""
    store = make_store(
        tmp_path_factory.mktemp("report") / "khi.duckdb",
        [("S1", "Tynemere Shared Lives", "North East"),
         ("S9", "=HYPERLINK(\"http://x\") Tiny Scheme", "North East"),
         ("S8", "Wansbeck Shared Lives", "North East")],
    )
    # S8, smaller than S1, is the second cell hidden beside S9 in the North East (a
    # region minus its shown schemes must not give S9); S1 stays shown.
    add_responses(store, "S8", Q, lonely(4, 20))
    add_responses(store, "S1", PREVIOUS, lonely(160, 400), people_supported=900)
    add_responses(store, "S1", Q, lonely(20, 400), people_supported=900)
    add_responses(
        store, "S9", Q, {"lonely_how_often": [1, 1, 5], "friends_count": [71, 83, 78]}
    )
    return store


def test_demo_pdf_has_quarter_area_and_every_khi(demo_store: Store) -> None:
    pdf = board_pdf.build_report(demo_store)  # latest quarter, England, real charts
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    text = pdf_text(pdf)
    pack = board_summary(demo_store)
    assert pack.quarter_label in text
    assert "England and the nations" in text
    assert "DEMO DATA" in text
    for khi in catalogue():
        assert khi.name in text, khi.name
    assert "Definitions and methods" in text
    assert pack.attention or pack.improved  # the demo flags something to look for
    # Each flagged KHI, with its reason, under its own heading (not the summary's
    # "Needs attention: ..." sentence, which names them too).
    sections = re.search(
        r"Needs attention (?=!|No indicator)(.*?) Improved (?=✓|No indicator)(.*?) "
        r"About these numbers",
        text,
    )
    assert sections, "the PDF's two flag lists are missing"
    for section, flags in zip(sections.groups(), (pack.attention, pack.improved)):
        for flag in flags:
            assert flag.name in section and flag.reason.lower() in section.lower(), flag
    assert reader.metadata.title == f"Key Human Indicators: England and the nations, " \
        f"{pack.quarter_label}"
    # One run chart per KHI, each a figure with its alternative text.
    figures = [e for e in structure(reader) if e["type"] == "Figure"]
    assert len(figures) == len(catalogue())
    charts = layout.chart_pngs(pack)  # the page's PNG downloads still use kaleido
    assert set(charts) == {k.code for k in catalogue()}
    assert all(png.startswith(b"\x89PNG") for png in charts.values())


def test_region_pdf_names_region_and_benchmark(demo_store: Store) -> None:
    pack = board_summary(demo_store, region="London")
    text = pdf_text(board_pdf.render_pdf(pack, charts={}))
    assert "London" in text and pack.quarter_label in text
    assert "Compared with England" in text
    for sentence in pack.summary:
        assert " ".join(sentence.split()) in text


def test_a_tiny_scheme_never_prints_its_hidden_values(small_scheme: Store) -> None:
    pack = board_summary(small_scheme, quarter=Q, scheme="S9")
    assert all(row.suppressed or row.value is None for row in pack.rows)
    text = pdf_text(board_pdf.render_pdf(pack, charts={}))
    assert "Tiny Scheme" in text and "2025/26 Q2" in text
    assert "Hidden" in text and "Too few answers to say" in text
    for hidden in ("77.3", "77.33", "67%", "66.7", "3 surveys", "3 answered"):
        assert hidden not in text, hidden


def test_the_real_change_is_called_real_in_the_pdf(small_scheme: Store) -> None:
    pack = board_summary(small_scheme, quarter=Q, scheme="S1")
    text = pdf_text(board_pdf.render_pdf(pack, charts={}))
    assert (
        "Often or always lonely: fell from 40% to 5% since last quarter, an improvement; "
        "a change this large is very unlikely to be chance."
    ) in text


def test_csv_is_formula_safe_and_keeps_numbers(small_scheme: Store) -> None:
    pack = board_summary(small_scheme, quarter=Q, scheme="S9")
    text = safe_csv(pack.to_frame())
    frame = pd.read_csv(io.StringIO(text))
    assert set(frame["area"]) == {"'=HYPERLINK(\"http://x\") Tiny Scheme (North East)"}
    assert frame["value"].isna().all()  # every cell hidden: no number at all
    change = safe_csv(board_summary(small_scheme, quarter=Q, scheme="S1").to_frame())
    row = pd.read_csv(io.StringIO(change)).set_index("khi").loc["lonely_often"]
    assert row["change_since_previous"] == pytest.approx(-35.0)  # a number, not "'-35"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [("=1+2", "'=1+2"), ("+44 20", "'+44 20"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("Often lonely", "Often lonely"), (-3.5, -3.5), (12, 12)],
)
def test_export_neutralises_formula_triggers(cell: object, safe: object) -> None:
    assert neutralise(cell) == safe


def test_without_dejavu_the_pdf_falls_back_to_helvetica(
    small_scheme: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KHI_CHROMIUM", "/nonexistent/chromium")  # the untagged layout
    monkeypatch.setattr(board_pdf, "FONT_DIR", Path("/nonexistent"))
    pack = board_summary(small_scheme, quarter=Q, scheme="S1")
    text = pdf_text(board_pdf.render_pdf(pack, charts={}))
    assert "Tynemere Shared Lives" in text and "fell from 40% to 5%" in text


def test_without_a_browser_the_pdf_says_charts_are_missing(
    small_scheme: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_browser(pack: object) -> dict[str, bytes]:
        raise RuntimeError("Chromium not found")

    monkeypatch.setattr(board_pdf, "chart_pngs", no_browser)
    monkeypatch.setenv("KHI_CHROMIUM", "/nonexistent/chromium")
    pdf = board_pdf.render_pdf(board_summary(small_scheme, quarter=Q, scheme="S1"))
    text = pdf_text(pdf)
    assert "Run charts are not included" in text  # still the numbers, untagged
    assert "fell from 40% to 5%" in text


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m kpi report ARGS``, run in process (``tests.builders.kpi_main``)."""
    return kpi_main("report", *args, env={"KHI_SECRET": os.environ.get("KHI_SECRET")})


def test_cli_report_writes_a_pdf(small_scheme: Store, tmp_path: Path) -> None:
    out = tmp_path / "board" / "north_east.pdf"
    result = _cli("--db", str(small_scheme.path), "--quarter", quarter_label(Q),
                  "--region", "North East", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Board report written" in result.stdout
    text = pdf_text(out.read_bytes())
    assert out.read_bytes().startswith(b"%PDF-") and "North East" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--quarter", "2025 Q9"), "is not recognised"),
        (("--quarter", "2025/26 Q2", "--scheme", "NOPE"), "Unknown scheme 'NOPE'"),
    ],
)
def test_cli_refuses_bad_input_with_exit_2(
    small_scheme: Store, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "x.pdf"
    result = _cli("--db", str(small_scheme.path), *args, "--out", str(out))
    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()


def flag_sections(text: str) -> tuple[str, str]:
    sections = re.search(
        r"Needs attention (?=!|No indicator)(.*?) Improved (?=✓|No indicator)(.*?) "
        r"About these numbers", text)
    assert sections, "the PDF's two flag lists are missing"
    return sections.group(1), sections.group(2)


def test_the_pdf_lists_exactly_the_constructed_exceptions(
    north_west: Store,  # noqa: F811 - the fixture from tests.test_board
) -> None:
    pack = board_summary(north_west, quarter=Q, region="North West")
    text = pdf_text(board_pdf.render_pdf(pack, charts={}))
    attention, improved = flag_sections(text)
    for code in catalogue():
        name = code.name
        assert (f"! {name}:" in attention) == (code.code in {*NW_WORSE, NW_WORSENING}), name
        assert (f"✓ {name}:" in improved) == (code.code == NW_IMPROVING), name
    for flag in pack.attention:
        assert f"{flag.name}: {flag.reason}." in attention
    assert ("North West, 2025/26 Q2: worse than England on 2 of 4 indicators compared, "
            "better on 0 and similar on 2.") in text
    assert "Words used in this pack" in text and "Very unlikely to be chance" in text
    assert "level)" not in text and "p = " not in text


def test_the_pdf_is_tagged_for_screen_readers(north_west: Store, tmp_path: Path) -> None:  # noqa: F811
    """pdfinfo says Tagged; title and language are set; the structure tree has the
    headings in order, table header cells, and a figure with alt text per chart."""
    import time

    pack = board_summary(north_west, quarter=Q, region="North West")
    began = time.perf_counter()
    pdf = board_pdf.render_pdf(pack)
    took = time.perf_counter() - began
    out = tmp_path / "pack.pdf"
    out.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M), info.stdout
    assert f"Key Human Indicators: North West, {pack.quarter_label}" in info.stdout
    reader = PdfReader(io.BytesIO(pdf))
    assert str(reader.trailer["/Root"]["/Lang"]) == "en-GB"
    elements = structure(reader)
    kinds = [e["type"] for e in elements]
    assert kinds.count("H1") == 1
    headings = [k for k in kinds if k in ("H1", "H2")]
    assert headings[:1] == ["H1"] and len(headings) >= 6 + len(pack.domains())
    assert kinds.count("TH") >= len(pack.domains()) * len(layout.COLUMNS)  # column headers
    figures = [e for e in elements if e["type"] == "Figure"]
    assert len(figures) == len(pack.rows)
    assert all(f["alt"].startswith("Run chart of ") for f in figures)
    warm = pack.row("warm_kind")
    assert any(f["alt"].startswith(f"Run chart of {warm.name} over the last 8 quarters: ")
               and "50%" in f["alt"] for f in figures)
    assert took < 15  # under 5 s on an idle machine; the shared test machine is slower


def test_the_pdf_says_the_special_cause_the_watch_list_and_worse_than_england(
    spc_board: Store,  # noqa: F811 - the fixture from tests.test_board
) -> None:
    """The tagged PDF's text: the lead sentences, the watch list under its heading, and
    each KHI's control-chart line; nothing called significant."""
    pack = board_summary(spc_board, quarter=Q, region="North West")
    text = pdf_text(board_pdf.render_pdf(pack, charts={}))
    names = {r.code: r.name for r in pack.rows}
    assert (f"Control chart, special cause variation (concerning): {names[SPC_SPECIAL]}."
            in text)
    assert ("Worse than England, with no special cause on its control chart: "
            f"{names[SPC_WORSE]}.") in text
    watch = re.search(rf"{re.escape(layout.WATCH_HEADING)} (.*?) About these numbers", text)
    assert watch, "the PDF's watch list is missing"
    assert watch.group(1) == (
        f"? {names[SPC_WATCH]}: 41% → 59% since last quarter on 22 answers this quarter: "
        "too few to tell, worth a look.")
    attention = flag_sections(text)[0]
    assert names[SPC_WATCH] not in attention
    assert ("Control chart: Special cause variation, "
            "concerning (8 points, trial limits): the latest point is above the upper "
            "process limit (mean 24%)") in text
    too_few = [r.code for r in pack.rows if r.control_words()[0] == "Not enough quarters yet"]
    assert sorted(too_few) == sorted([SPC_WATCH, SPC_WORSE])
    assert text.count("Control chart: not enough quarters yet (") == 2
    assert "Control chart: not enough quarters yet (1 of the 6 a control chart needs)." in text
    assert "significant" not in text.lower()
