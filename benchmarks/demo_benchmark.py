"""How long ``load_demo`` takes for a big sector, against DuckDB doing the plain job.

The baseline, in the same run and on the same machine, is DuckDB alone generating
the same number of rows with pure SQL (``range()`` + ``random()``: random TINYINT
answers, random attribute codes, an md5 person key) and inserting them into an
identical ``responses`` table. Its time is roughly the floor for "make this many
rows and store them", so the ratio says what the demo's realism (latent model,
panel over quarters, activity returns, one transaction) costs on top, in a way
that compares across machines.

    .venv/bin/python benchmarks/demo_benchmark.py [--people N] [--quarters Q]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.memory import peak_rss_mb  # noqa: E402
from kpi.demo import load_demo  # noqa: E402
from kpi.items import bank  # noqa: E402
from kpi.store import ATTRIBUTE_COLUMNS, Store  # noqa: E402


def baseline_sql(rows: int) -> str:
    """One INSERT ... SELECT FROM range(): every column of ``responses``, random."""

    def pick(codes: tuple[str, ...]) -> str:
        listed = ", ".join(f"'{c}'" for c in codes)
        return f"[{listed}][1 + CAST(floor(random() * {len(codes)}) AS INTEGER)]"

    attributes = [pick(bank().attribute(code).codes) for code in ATTRIBUTE_COLUMNS]
    items = [
        f"CAST({item.scale.min} + floor(random() * {item.scale.max - item.scale.min + 1})"
        " AS TINYINT)"
        for item in bank().items
    ]
    day = "DATE '2024-04-01' + CAST(floor(random() * 730) AS INTEGER)"
    return f"""INSERT INTO responses
        SELECT range, 1, 'SL' || lpad(CAST(range % 150 + 1 AS VARCHAR), 3, '0'),
          md5(CAST(range AS VARCHAR)), {pick(("person", "carer"))},
          d, CAST(date_trunc('quarter', d) AS DATE),
          {", ".join(attributes)}, NULL, {", ".join(items)}
        FROM (SELECT range, {day} AS d FROM range({rows}))"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="khi-demo-bench-") as tmp:
        store = Store(Path(tmp) / "demo.duckdb")
        began = time.perf_counter()
        summary = load_demo(store, people=args.people, quarters=args.quarters, seed=args.seed)
        demo_seconds = time.perf_counter() - began
        demo_rss = peak_rss_mb()
        demo_size = store.path.stat().st_size / 2**20

        plain = Store(Path(tmp) / "plain.duckdb")
        plain.init()
        rows = int(summary["responses"])
        began = time.perf_counter()
        with plain.transaction() as con:
            con.execute(baseline_sql(rows))
        plain_seconds = time.perf_counter() - began
        stored = int(plain.query("SELECT count(*) AS n FROM responses")["n"].iloc[0])
        assert stored == rows, (stored, rows)

    print(f"demo: {args.people:,} people x {args.quarters} quarters -> {rows:,} responses, "
          f"{summary['schemes']} schemes, {summary['activity_returns']:,} activity returns")
    print(f"  load_demo            {demo_seconds:8.2f} s  ({rows / demo_seconds:,.0f} rows/s, "
          f"store {demo_size:,.0f} MB)")
    print(f"  baseline (pure SQL)  {plain_seconds:8.2f} s  ({rows / plain_seconds:,.0f} rows/s)")
    print(f"  ratio demo/baseline  {demo_seconds / plain_seconds:8.2f} x")
    print(f"  peak RSS after demo  {demo_rss:8.0f} MB; after baseline {peak_rss_mb():.0f} MB")
    limit = 120.0
    verdict = "OK" if demo_seconds < limit else "TOO SLOW"
    print(f"  target: under {limit:.0f} s for 1,000,000 people x 8 quarters -> {verdict}")
    return 0 if demo_seconds < limit else 1


if __name__ == "__main__":
    sys.exit(main())
