"""The command line: the dashboard's operations for administrators and automation.

Exit codes: 0 done; 2 refused (bad input or arguments: nothing was stored);
3 the store is busy (another program is writing to it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from kpi.paths import default_db_path
from kpi.store import Store, StoreLockedError, StoreMissingError

EXIT_OK = 0
EXIT_REFUSED = 2
EXIT_BUSY = 3


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=Path,
        default=None,
        help="the store (default: $KHI_DB, else data/khi.duckdb)",
    )
    parser = argparse.ArgumentParser(
        prog="python -m kpi", description="Key Human Indicators: store, uploads and reports."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", parents=[common], help="create or upgrade the store")

    demo = sub.add_parser("demo", parents=[common], help="load a synthetic demo sector")
    demo.add_argument("--people", type=int, default=20000)
    demo.add_argument("--quarters", type=int, default=8)
    demo.add_argument("--seed", type=int, default=2026)

    schemes = sub.add_parser("schemes", parents=[common], help="load the scheme register")
    schemes.add_argument("file", type=Path)
    schemes.add_argument("--json", action="store_true")

    ingest = sub.add_parser("ingest", parents=[common], help="upload one export")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--scheme", default=None, help="the scheme id the file belongs to")
    ingest.add_argument("--kind", choices=("survey", "activity"), default="survey")
    ingest.add_argument("--strict", action="store_true", help="refuse the file if any row is bad")
    ingest.add_argument("--json", action="store_true")
    ingest.add_argument("--by", default=None, help="who is uploading (recorded)")
    ingest.add_argument(
        "--dates", choices=("day-first", "month-first"), default=None,
        help="which way round dates like 04/03/2026 are, when the file cannot tell",
    )
    ingest.add_argument(
        "--accept-partial", action="store_true",
        help="store the file even when less than half of its answers match a question",
    )

    uploads = sub.add_parser("uploads", parents=[common], help="list uploads")
    uploads.add_argument("--json", action="store_true")

    rollback = sub.add_parser("rollback", parents=[common], help="remove one upload")
    rollback.add_argument("upload_id", type=int)

    indicators = sub.add_parser("indicators", parents=[common], help="the KHI table")
    indicators.add_argument("--khi", default=None, help="comma-separated KHI codes")
    indicators.add_argument("--by", default=None, help="comma-separated dimensions")
    indicators.add_argument("--quarter", default=None, help='"2026/27 Q1" or a date inside it')
    indicators.add_argument("--format", choices=("csv", "json"), default="csv")
    indicators.add_argument("--region", default=None)
    indicators.add_argument("--scheme", default=None)
    indicators.add_argument("--support", default=None, help="one support type code")
    indicators.add_argument(
        "--benchmark", choices=("england", "region", "support_type"), default="england",
        help="compare with England, the row's region, or the same support type",
    )

    report = sub.add_parser("report", parents=[common], help="the quarterly board page as PDF")
    report.add_argument("--quarter", default=None, help='"2026/27 Q1" or a date inside it')
    area = report.add_mutually_exclusive_group()
    area.add_argument("--region", default=None)
    area.add_argument("--scheme", default=None)
    report.add_argument("--out", type=Path, required=True)
    return parser


def cli_table(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The spec's columns (§6), in order; a quarter is written as people read it."""
    from kpi.indicators import VALUE_COLUMNS

    out = frame[["khi", *by, *VALUE_COLUMNS]].copy()
    if "quarter" in by:
        out["quarter"] = frame["quarter_label"]
    return out


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    from kpi.export import safe_csv

    if fmt == "json":
        print(frame.to_json(orient="records", date_format="iso"))
    else:
        sys.stdout.write(safe_csv(frame))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    store = Store(args.db or default_db_path())
    try:
        return _run(args, store)
    except StoreLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (StoreMissingError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED


def _run(args: argparse.Namespace, store: Store) -> int:
    if args.command == "init":
        version = store.init()
        print(f"Store ready at {store.path} (schema version {version}).")
        return EXIT_OK
    if args.command == "demo":
        from kpi.demo import load_demo

        summary = load_demo(store, people=args.people, quarters=args.quarters, seed=args.seed)
        print(json.dumps(summary, default=str))
        return EXIT_OK
    if args.command == "schemes":
        from kpi.ingest import load_schemes

        result = load_schemes(store, args.file)
        if args.json:
            print(json.dumps(result.to_dict(), default=str))
        else:
            print(result.summary())
        return EXIT_REFUSED if result.refused else EXIT_OK
    if args.command == "ingest":
        from kpi.ingest import ingest_path

        result = ingest_path(
            store,
            args.file,
            scheme_id=args.scheme,
            kind=args.kind,
            strict=args.strict,
            uploaded_by=args.by or "command line",
            dates=args.dates,
            accept_partial=args.accept_partial,
        )
        if args.json:
            print(json.dumps(result.to_dict(), default=str))
        else:
            print(result.summary())
        return EXIT_REFUSED if result.refused else EXIT_OK
    if args.command == "uploads":
        store.ensure()
        frame = store.uploads()
        if args.json:
            print(frame.to_json(orient="records", date_format="iso"))
        else:
            columns = ["upload_id", "uploaded_at", "scheme_id", "kind", "file_name", "status",
                       "accepted", "rejected", "duplicates", "corrected"]
            print(frame[columns].to_string(index=False) if len(frame) else "No uploads yet.")
        return EXIT_OK
    if args.command == "rollback":
        result = store.rollback(args.upload_id)
        print(
            f"Upload {args.upload_id} rolled back: {result['removed']} responses removed, "
            f"{result['restored']} earlier responses restored."
        )
        return EXIT_OK
    if args.command == "indicators":
        from kpi.indicators import Filters, indicator_table

        khis = [c.strip() for c in args.khi.split(",")] if args.khi else None
        by = [c.strip() for c in args.by.split(",")] if args.by else []
        filters = Filters(
            regions=(args.region,) if args.region else None,
            scheme_ids=(args.scheme,) if args.scheme else None,
            support_types=(args.support,) if args.support else None,
        )
        frame = indicator_table(
            store, khis=khis, by=by, quarter=args.quarter, filters=filters,
            benchmark=args.benchmark,
        )
        _print_frame(cli_table(frame, by), args.format)
        return EXIT_OK
    if args.command == "report":
        from kpi.report import build_report

        pdf = build_report(store, quarter=args.quarter, region=args.region, scheme=args.scheme)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(pdf)
        print(f"Board report written to {args.out} ({len(pdf) // 1024} KB).")
        return EXIT_OK
    raise AssertionError(args.command)  # argparse only lets known commands through
