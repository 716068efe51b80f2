"""How long Chromium takes to draw each chart the pages draw, with and without the
room for their labels set beforehand (``kpi.charts.reserve_label_room``).

Why: where a chart's labels need more room than its margins give, plotly.js draws
it a second time (``Plots.doAutoMargin``). This collects every chart the pages draw
on a demo store (each page under Streamlit's AppTest with England, a region and a
scheme chosen, and each tab of the pages with tabs), once as the figure stood before
(``reserve_label_room`` left out) and once as drawn; then draws each in Chromium
with plotly.js (plotly.py's bundled ``plotly.min.js``, the major version Streamlit
bundles) at the widths of a chart beside the sidebar in 1280, 1400 and 800 px
windows, both versions in turn, and reports the median time to draw and how many
drawings plotly had to make again (its drawn margins wider than the figure's).
A measuring tool, not a test.

    .venv/bin/python benchmarks/chart_margins.py [--rounds 7] [--people 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONFIG = {"displaylogo": False, "displayModeBar": True, "modeBarButtons": [["toImage"]]}
WIDTHS = (820, 940, 468)  # a chart beside the open sidebar: 1280, 1400 and 800 px windows
VIEWS = {
    "pages/schemes.py": [{"schemes_view": v} for v in ("Ranked with intervals",
                                                       "One scheme's profile")],
    "pages/indicator.py": [{"indicator_view": v} for v in ("Control chart", "By group",
                                                           "Answers")],
}
SECRET = "chart-margins-benchmark-secret-not-for-production"
DRAW = """async ([figure, config, width]) => {
    const g = document.getElementById('g'); g.style.width = width + 'px'; Plotly.purge(g);
    const start = performance.now();
    await Plotly.newPlot(g, figure.data, figure.layout, config);
    const took = performance.now() - start;
    const set = g._fullLayout.margin, drawn = g._fullLayout._size;
    return [took, ['l', 'r', 't', 'b'].some(k => drawn[k] > set[k] + 0.5)];
}"""


def collect(db: Path) -> list[tuple[str, dict, dict]]:
    """(name, figure before, figure as drawn) of every chart the pages draw."""
    import pytest

    import pages.views.charts as drawing
    from kpi.store import Store
    from pages.views._common import menu_pages
    from tests.apptest_helpers import open_page

    os.chdir(ROOT)
    found: dict[str, dict[str, dict]] = {}
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("KHI_SECRET", SECRET)
    for kind, reserve in (("before", lambda figure, share=1.0: figure),
                          ("drawn", drawing.reserve_label_room)):
        # A copy of the store each: the pages keep what they drew per store path.
        store = Store(shutil.copy(db, db.with_name(f"{kind}.duckdb")))
        monkeypatch.setattr(drawing, "reserve_label_room", reserve)
        for path, _, _ in menu_pages():
            for params in [{}, {"region": "North West"}, {"scheme": "SL050"},
                           *VIEWS.get(path, [])]:
                at = open_page(monkeypatch, store, path, params=params)
                for k, chart in enumerate(at.get("plotly_chart")):
                    name = f"{Path(path).stem} {params or ''} #{k}"
                    found.setdefault(name, {})[kind] = json.loads(chart.proto.spec)
    monkeypatch.undo()
    return [(name, pair["before"], pair["drawn"]) for name, pair in found.items()
            if len(pair) == 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--people", type=int, default=20000)
    args = parser.parse_args()
    import plotly
    from playwright.sync_api import sync_playwright

    from benchmarks.browser_benchmark import CHROMIUM, CHROMIUM_ARGS

    script = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "khi.duckdb"
        subprocess.run([sys.executable, "-m", "kpi", "demo", "--db", str(db), "--people",
                        str(args.people)], cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "KHI_SECRET": SECRET})
        figures = collect(db)
    times: dict[tuple[str, int, str], list[float]] = {}
    again: dict[tuple[int, str], int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_content('<div id="g"></div>')
        page.add_script_tag(path=str(script))
        for name, before, drawn in figures:
            for width in WIDTHS:
                for figure in (before, drawn):
                    page.evaluate(DRAW, [figure, CONFIG, width])  # once unmeasured
                for round_ in range(args.rounds):
                    pair = (("before", before), ("drawn", drawn))
                    for kind, figure in pair if round_ % 2 == 0 else pair[::-1]:
                        took, twice = page.evaluate(DRAW, [figure, CONFIG, width])
                        times.setdefault((name, width, kind), []).append(took)
                        if round_ == 0:
                            again[(width, kind)] = again.get((width, kind), 0) + int(twice)
        browser.close()
    print(f"{len(figures)} charts from the pages; {args.rounds} drawings each; medians in ms")
    for width in WIDTHS:
        total = {kind: sum(statistics.median(times[(n, width, kind)]) for n, _, _ in figures)
                 for kind in ("before", "drawn")}
        print(f"chart {width} px wide: all charts {total['before']:7.0f} -> {total['drawn']:7.0f}"
              f" ms; drawn twice {again.get((width, 'before'), 0):3d} -> "
              f"{again.get((width, 'drawn'), 0):3d} of {len(figures)}")
    print(f"{'chart':58s} {'before':>7s} {'drawn':>7s}  (820 px)")
    for name, _, _ in figures:
        b, d = (statistics.median(times[(name, 820, k)]) for k in ("before", "drawn"))
        print(f"{name[:58]:58s} {b:7.1f} {d:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
