"""How long the quarterly board PDF takes, against the floor of making any PDF with a chart.

Target (issue "The quarterly board KHI page and board pack"): under 5 seconds for
``python -m kpi report`` on the default demo sector (20,000 people, 8 quarters).

The baseline, in the same run and on the same machine, is the least any PDF with
a plotly chart costs here: start a Python process, start Chromium through kaleido,
render one one-line chart and write a one-page fpdf2 PDF with the same font. The
ratio says what the board pack's content (28 KHIs from the engine, three quarters
compared, 28 run charts, four pages) costs on top.

    .venv/bin/python benchmarks/report_benchmark.py [--people N] [--quarters Q]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kpi.demo import load_demo  # noqa: E402
from kpi.store import Store  # noqa: E402

TARGET_SECONDS = 5.0

BASELINE = """
import io, kaleido, plotly.graph_objects as go
from fpdf import FPDF
png = kaleido.calc_fig_sync(go.Figure(go.Scatter(y=[1, 3, 2])).to_dict(),
                            opts={"format": "png", "width": 300, "height": 130},
                            kopts={"mathjax": False})
pdf = FPDF()
pdf.add_font("DejaVu", "", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
pdf.add_page()
pdf.set_font("DejaVu", size=10)
pdf.cell(0, 10, "Key Human Indicators")
pdf.image(io.BytesIO(png), w=30)
pdf.output("{out}")
"""


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (best is kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "khi.duckdb"
        store = Store(db)
        load_demo(store, people=args.people, quarters=args.quarters, seed=2026)
        schemes = store.schemes()
        biggest = (
            store.query(
                "SELECT scheme_id, count(*) AS n FROM responses GROUP BY 1 ORDER BY 2 DESC "
                "LIMIT 1"
            )["scheme_id"].iloc[0]
        )
        region = str(schemes["region"].iloc[0])

        out = Path(tmp) / "out.pdf"
        baseline = min(
            timed([sys.executable, "-c", BASELINE.replace("{out}", str(out))])
            for _ in range(args.repeat)
        )
        cases = {
            "England and the nations": [],
            f"region {region}": ["--region", region],
            f"scheme {biggest}": ["--scheme", str(biggest)],
        }
        cold = {}
        for name, extra in cases.items():
            command = [sys.executable, "-m", "kpi", "report", "--db", str(db), *extra,
                       "--out", str(out)]
            cold[name] = min(timed(command) for _ in range(args.repeat))

        # Warm: the dashboard's case, one process, the browser already running.
        from kpi.board import board_summary
        from kpi.board.pdf import build_report, render_pdf

        build_report(store)
        began = time.perf_counter()
        build_report(store)
        warm = time.perf_counter() - began
        began = time.perf_counter()
        pack = board_summary(store)
        summary = time.perf_counter() - began
        began = time.perf_counter()
        render_pdf(pack)
        charts_and_pdf = time.perf_counter() - began

    worst = max(cold.values())
    report = {
        "people": args.people,
        "quarters": args.quarters,
        "baseline_seconds": round(baseline, 2),
        "cli_seconds": {k: round(v, 2) for k, v in cold.items()},
        "cli_ratio_to_baseline": round(worst / baseline, 2),
        "in_process_warm_seconds": round(warm, 2),
        "board_summary_seconds": round(summary, 2),
        "charts_and_pdf_seconds": round(charts_and_pdf, 2),
        "target_seconds": TARGET_SECONDS,
        "meets_target": worst < TARGET_SECONDS,
    }
    print(json.dumps(report, indent=2))
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
