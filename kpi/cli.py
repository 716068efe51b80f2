"""The command line: the dashboard's operations for administrators and automation.

Exit codes: 0 done; 2 refused (bad input or arguments: nothing was stored);
3 the store is busy (another program is writing to it).
"""

from __future__ import annotations

import argparse
import errno
import getpass
import json
import os
import sys
from pathlib import Path

import duckdb
import pandas as pd

from kpi.errors import EXIT_BUSY, EXIT_REFUSED, BadRequest, KhiError, UnknownCode
from kpi.paths import default_db_path, secret_path
from kpi.scope import ENGLAND, ROLES, Scope, scope_for
from kpi.store import Store

EXIT_OK = 0
__all__ = ["EXIT_BUSY", "EXIT_OK", "EXIT_REFUSED", "cli_table", "main", "tidy_table"]


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
    _access_arguments(sub, common, schemes, rollback)

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
    indicators.add_argument(
        "--tidy", action="store_true",
        help="the dashboard's download columns (indicator, area, quarter, both intervals, "
        "benchmark, level, data as of) instead of the spec's; at most one --by",
    )

    report = sub.add_parser("report", parents=[common], help="the quarterly board page as PDF")
    report.add_argument("--quarter", default=None, help='"2026/27 Q1" or a date inside it')
    area = report.add_mutually_exclusive_group()
    area.add_argument("--region", default=None)
    area.add_argument("--scheme", default=None)
    report.add_argument("--out", type=Path, required=True)
    paper = sub.add_parser("questionnaire", parents=[common],
                           help="the printable easy-read questionnaire as a tagged PDF")
    paper.add_argument("--who", choices=("person", "carer"), required=True)
    paper.add_argument("--out", type=Path, required=True)
    paper.add_argument("--wording", choices=("easy_read", "standard"), default="easy_read")
    paper.add_argument("--reference", default=None, help="print this person's reference on it")
    paper.add_argument("--link", default=None, help="print this link and its QR code on it")
    person = _rights_arguments(sub, common)
    from kpi import cli_round

    cli_round.add_parser(sub, common)
    for command in (indicators, report, uploads, *person):
        command.add_argument(
            "--as", dest="as_email", default=None, metavar="EMAIL",
            help="run with this user's scope (default: the administrator)",
        )
    return parser


def _access_arguments(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
    *changing: argparse.ArgumentParser,
) -> None:
    """``users add|list|remove``, and ``--by`` on the commands that change the store."""
    for command in changing:
        command.add_argument("--by", default=None, help="who is making the change (recorded)")
    users = sub.add_parser("users", parents=[common], help="who may sign in, with which role")
    action = users.add_subparsers(dest="users_command", required=True)
    add = action.add_parser("add", parents=[common], help="add or change a user")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--scheme", action="append", default=[], metavar="ID")
    add.add_argument("--region", action="append", default=[], metavar="NAME",
                     help=f"a region or nation ({ENGLAND}: every scheme)")
    add.add_argument("--by", default=None, help="who is making the change (recorded)")
    listed = action.add_parser("list", parents=[common], help="list users")
    listed.add_argument("--json", action="store_true")
    remove = action.add_parser("remove", parents=[common], help="remove a user")
    remove.add_argument("email")
    remove.add_argument("--by", default=None, help="who is making the change (recorded)")


def _rights_arguments(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> tuple[argparse.ArgumentParser, ...]:
    """``person find|export|erase``, ``retention``, ``backup``, ``restore``; returns the
    person commands (they take ``--as``: only an administrator may use them)."""
    person = sub.add_parser("person", parents=[common],
                            help="one person's answers: find, export or erase them")
    action = person.add_subparsers(dest="person_command", required=True)
    commands = []
    for name, words in (("find", "say what is held for one person"),
                        ("export", "write everything held for one person, as CSV and PDF"),
                        ("erase", "erase everything held for one person")):
        command = action.add_parser(name, parents=[common], help=words)
        command.add_argument("--scheme", required=True, metavar="ID")
        command.add_argument("--ref", required=True, metavar="REF",
                             help="the person's reference at that scheme (never stored)")
        command.add_argument("--by", default=None, help="who is asking (recorded on erase)")
        commands.append(command)
    commands[1].add_argument("--out", type=Path, required=True, metavar="PATH",
                             help="writes PATH.csv and PATH.pdf")
    retention = sub.add_parser("retention", parents=[common],
                               help="what the retention rule would remove (--apply: remove it)")
    retention.add_argument("--apply", action="store_true", help="remove it, all or nothing")
    retention.add_argument("--by", default=None, help="who is applying it (recorded)")
    backup = sub.add_parser("backup", parents=[common],
                            help="a consistent copy of the store and its secret, with a manifest")
    backup.add_argument("dir", type=Path, help="a new or empty folder")
    restore = sub.add_parser("restore", parents=[common],
                             help="check a backup and restore it to --db (a new path)")
    restore.add_argument("dir", type=Path)
    restore.add_argument("--replace", action="store_true",
                         help="overwrite the store at --db (and its secret) if there is one")
    return tuple(commands)


def os_user() -> str:
    """Who the command line records when ``--by`` is not given: the OS user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "command line"


def cli_table(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The spec's columns (§6), in order; a quarter is written as people read it."""
    from kpi.indicators import VALUE_COLUMNS

    out = frame[["khi", *by, *VALUE_COLUMNS]].copy()
    if "quarter" in by:
        out["quarter"] = frame["quarter_label"]
    return out


def tidy_table(
    store: Store, frame: pd.DataFrame, by: list[str], args: argparse.Namespace,
    filters: object,
) -> pd.DataFrame:
    """The table as the dashboard's CSVs hold it (``kpi.downloads.tidy_frame``)."""
    from kpi.downloads import data_as_of, tidy_frame
    from kpi.indicators import latest_quarter
    from kpi.periods import parse_quarter, quarter_label
    from kpi.scope import ENGLAND_AND_NATIONS, YOUR_SCHEMES

    if len(by) > 1:
        raise UnknownCode("--tidy takes at most one --by dimension.")
    start = parse_quarter(args.quarter) if args.quarter else latest_quarter(store)
    names = dict(zip(store.schemes()["scheme_id"], store.schemes()["name"]))
    if args.scheme:
        area = names.get(args.scheme, args.scheme)
    elif args.region:
        area = args.region
    else:
        area = ENGLAND_AND_NATIONS if getattr(filters, "scope", None) is None else YOUR_SCHEMES
    return tidy_frame(
        frame, area=area, quarter=quarter_label(start) if start else "",
        by=by[0] if by else None, names=names, benchmark=args.benchmark,
        as_of=data_as_of(store),
    )


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    from kpi.export import safe_csv

    if fmt == "json":
        print(frame.to_json(orient="records", date_format="iso"))
    else:
        sys.stdout.write(safe_csv(frame))


# Commands that only read the store and write to standard output: their process
# ends at once when the output is written (``kpi/__main__.py``), skipping the
# interpreter's teardown (freeing the store's buffers, module by module), which
# took 0.12 s of a 1.4 s KHI table at 1M people. Never a command that writes the
# store or a file: those close them as Python exits.
ENDS_AT_ONCE = frozenset({"indicators"})


def ends_at_once(argv: list[str]) -> bool:
    """Whether the command in ``argv`` (``sys.argv[1:]``) is one of ``ENDS_AT_ONCE``."""
    return bool(argv) and argv[0] in ENDS_AT_ONCE


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    store = Store(args.db or default_db_path())
    try:
        code = _run(args, store)
        sys.stdout.flush()  # a closed pipe or a full disk shows here, not after exit
        return code
    except BrokenPipeError:
        _drop_output()
        return _fail(
            "the output was closed before all of it was written (for example by `head`). "
            "Run the command again and write the output to a file with `> FILE`.",
            EXIT_REFUSED,
        )
    except KhiError as exc:
        return _fail(str(exc), exc.exit_code)
    except OSError as exc:
        return _fail(_os_message(exc, store), EXIT_REFUSED)
    except duckdb.Error as exc:
        return _fail(_store_message(exc, store), EXIT_REFUSED)
    except Exception as exc:  # noqa: BLE001 - a sentence and an exit code, never a traceback
        return _fail(
            f"unexpected {type(exc).__name__}: {exc}. Nothing more can be done here; "
            "please report it with the command you ran.",
            EXIT_REFUSED,
        )


def _check_scheme_and_support(store: Store, scheme: str | None, support: str | None) -> None:
    """An unknown --scheme or --support is a refusal, not an empty table (a typo once
    printed every KHI with n = 0 and exit code 0)."""
    from kpi.items import bank

    if scheme and scheme not in store.scheme_ids():
        raise UnknownCode(
            f"Unknown scheme {scheme!r}: use a scheme id from the register (the Schemes "
            "page lists them; `python -m kpi schemes FILE` loads the register)."
        )
    support_types = [code for code, _ in bank().attribute("support_type").labels]
    if support and support not in support_types:  # the item bank's, as the sidebar offers
        raise UnknownCode(
            f"Unknown support type {support!r}: use one of {', '.join(support_types)}."
        )


# ------------------------------------------------------------------ failures ---
def _fail(message: str, code: int) -> int:
    """Print the sentence on stderr; output that can no longer be written is dropped."""
    try:
        sys.stdout.flush()
    except OSError:
        _drop_output()
    print(f"error: {message}", file=sys.stderr)
    return code


def _drop_output() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


_OS_ADVICE = {
    errno.ENOSPC: "The disk is full: free some space on it (or use another disk), then "
                  "run the command again.",
    errno.EDQUOT: "The disk quota is used up: free some space, then run the command again.",
    errno.EACCES: "Check its permissions: the user running this command must be able to "
                  "read it (and write it, to change the store).",
    errno.EPERM: "Check its permissions: the user running this command must be able to "
                 "read it (and write it, to change the store).",
    errno.EISDIR: "That path is a folder: give the path of a file.",
    errno.ENOENT: "Check the path: no such file or folder.",
    errno.EROFS: "The disk is read-only: put the store on a disk you can write to.",
}


def _os_message(exc: OSError, store: Store) -> str:
    """What could not be read or written, why, and what to do."""
    name = str(exc.filename) if exc.filename else None
    if name is None:
        what = "could not write the output"
    elif Path(name) == secret_path(store.path):
        what = (f"could not use the installation secret {name} (the key that "
                "pseudonymises respondent references)")
    else:
        what = f"could not use {name}"
    reason = exc.strerror or str(exc)
    advice = _OS_ADVICE.get(exc.errno, "Check the file and the disk, then run the command again.")
    return f"{what}: {reason}. {advice}"


def _store_message(exc: duckdb.Error, store: Store) -> str:
    """DuckDB's own failures (a full disk arrives as an IOException, not an OSError)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    causes = []
    cause: BaseException | None = exc
    while cause is not None and len(causes) < 10:  # a failed rollback hides the cause
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any("no space left" in str(c).lower() for c in causes):
        return (f"the disk holding the store {store.path} is full. Free some space on it "
                "(or use a store on another disk with --db), then run the command again.")
    return (f"the store {store.path} could not be read or written ({text}). Check the file "
            "and the disk, then run the command again.")


def _run(args: argparse.Namespace, store: Store) -> int:
    if args.command == "questionnaire":
        from kpi.form_html import questionnaire_pdf
        from kpi.questionnaire import questionnaire

        q = questionnaire(args.who, args.wording)
        pdf = questionnaire_pdf(q, reference=args.reference, link=args.link)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(pdf)
        print(f"Questionnaire ({args.who}, {args.wording}, {len(q.questions)} questions) "
              f"written to {args.out} ({len(pdf) // 1024} KB).")
        return EXIT_OK
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

        result = load_schemes(store, args.file, by=args.by or os_user())
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
            uploaded_by=args.by or os_user(),
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
        acting = _acting(args, store)
        frame = store.uploads(acting.allowed(store))
        if not acting.may_upload:
            # An upload's counts are a scheme's people, unprotected (an upload of 4
            # is 4 people): only those who may upload for the scheme see them.
            counted = [c for c in UPLOAD_COUNTS if c in frame]
            frame = frame.astype({c: "object" for c in counted})
            frame.loc[:, counted] = None
        if args.json:
            print(frame.to_json(orient="records", date_format="iso"))
        else:
            columns = ["upload_id", "uploaded_at", "scheme_id", "kind", "file_name", "status",
                       "accepted", "rejected", "duplicates", "corrected", "erased",
                       "expired", "uploaded_by", "rolled_back_by"]
            print(frame[columns].to_string(index=False) if len(frame) else "No uploads yet.")
        return EXIT_OK
    if args.command == "rollback":
        store.ensure()
        result = store.rollback(args.upload_id, by=args.by or os_user())
        print(
            f"Upload {args.upload_id} rolled back: {result['removed']} responses removed, "
            f"{result['restored']} earlier responses restored."
        )
        return EXIT_OK
    if args.command == "indicators":
        from kpi.indicators import Filters, indicator_table
        from kpi.stats.normal import start_loading_special

        start_loading_special()  # while the store is read (benchmarks/khi_table_benchmark.py)

        khis = [c.strip() for c in args.khi.split(",")] if args.khi else None
        by = [c.strip() for c in args.by.split(",")] if args.by else []
        _check_scheme_and_support(store, args.scheme, args.support)
        filters = Filters(
            regions=(args.region,) if args.region else None,
            scheme_ids=(args.scheme,) if args.scheme else None,
            support_types=(args.support,) if args.support else None,
        )
        acting = _acting(args, store)
        filters = acting.restrict(filters, acting.allowed(store))
        frame = indicator_table(
            store, khis=khis, by=by, quarter=args.quarter, filters=filters,
            benchmark=args.benchmark,
        )
        if args.tidy:
            _print_frame(tidy_table(store, frame, by, args, filters), args.format)
        else:
            _print_frame(cli_table(frame, by), args.format)
        return EXIT_OK
    if args.command == "report":
        from kpi.board.pdf import build_report

        acting = _acting(args, store)
        reach = acting.allowed(store)
        if not reach.every:
            from kpi.board import area_filters

            if not args.scheme:
                raise BadRequest(
                    f"{acting.email} may take the board page of their own schemes only: give "
                    "--scheme ID."
                )
            area_filters(store, None, args.scheme, reach.scheme_filter)
        pdf = build_report(store, quarter=args.quarter, region=args.region, scheme=args.scheme)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(pdf)
        print(f"Board report written to {args.out} ({len(pdf) // 1024} KB).")
        return EXIT_OK
    if args.command == "users":
        return _users(args, store)
    if args.command in ("person", "retention", "backup", "restore"):
        return _rights(args, store)
    if args.command == "round":
        from kpi import cli_round

        return cli_round.run(args, store, _acting(args, store), os_user())
    raise AssertionError(args.command)  # argparse only lets known commands through


# The columns of `uploads` that count rows, i.e. people.
UPLOAD_COUNTS = (
    "rows_read", "accepted", "rejected", "duplicates", "corrected", "erased", "expired",
)


def _acting(args: argparse.Namespace, store: Store) -> Scope:
    """The scope a command runs with: ``--as EMAIL``'s, else the administrator's."""
    from kpi.scope import LOCAL_ADMIN

    email = getattr(args, "as_email", None)
    if not email:
        return LOCAL_ADMIN
    scope = scope_for(store, email)
    if scope.role is None:
        raise UnknownCode(
            f"{email} is not a user: add them with `python -m kpi users add {email} --role ...`."
        )
    return scope


def _users(args: argparse.Namespace, store: Store) -> int:
    """``users add|list|remove``: the users table (every change records who made it)."""
    from kpi.scope import add_user, remove_user

    store.ensure()
    if args.users_command == "add":
        scope = add_user(store, args.email, args.role, args.scheme, args.region,
                         by=args.by or os_user())
        grants = ", ".join([*scope.scheme_ids, *scope.regions]) or "every scheme"
        print(f"{scope.email} may now sign in as {scope.role} ({grants}).")
        return EXIT_OK
    if args.users_command == "remove":
        remove_user(store, args.email, by=args.by or os_user())
        print(f"{args.email.strip().lower()} removed: they no longer have a role.")
        return EXIT_OK
    frame = store.users()
    if args.json:
        frame = frame.assign(
            scheme_ids=frame["scheme_ids"].map(list), regions=frame["regions"].map(list)
        )
        print(frame.to_json(orient="records", date_format="iso"))
    elif frame.empty:
        print("No users yet: add the first administrator with "
              "`python -m kpi users add EMAIL --role admin`.")
    else:
        shown = frame.assign(
            scheme_ids=frame["scheme_ids"].map(", ".join), regions=frame["regions"].map(", ".join)
        )
        print(shown[["email", "role", "scheme_ids", "regions", "added_by", "added_at"]]
              .to_string(index=False))
    return EXIT_OK


def _rights(args: argparse.Namespace, store: Store) -> int:
    """A person's answers, the retention rule, backup and restore."""
    if args.command == "person":
        from kpi import rights

        acting = _acting(args, store)
        if args.person_command == "erase":
            result = rights.erase_person(store, args.scheme, args.ref, acting,
                                         by=args.by or acting.email or os_user())
            print(rights.erase_words(result))
            return EXIT_OK
        record = rights.find_person(store, args.scheme, args.ref, acting)
        if args.person_command == "find":
            print(record.summary())
            return EXIT_OK
        out = args.out
        out.parent.mkdir(parents=True, exist_ok=True)
        csv_path, pdf_path = out.with_suffix(".csv"), out.with_suffix(".pdf")
        _owner_only_file(csv_path, rights.export_csv(record).encode("utf-8"))
        _owner_only_file(pdf_path, rights.export_pdf(record))
        print(f"{record.summary()} Written to {csv_path} and {pdf_path}.")
        return EXIT_OK
    if args.command == "retention":
        from kpi import rights

        if args.apply:
            plan = rights.retention_apply(store, by=args.by or os_user())
        else:
            plan = rights.retention_plan(store)
        print(rights.retention_words(plan, applied=args.apply))
        return EXIT_OK
    from kpi import backup

    if args.command == "backup":
        manifest = backup.backup(store, args.dir)
        print(backup.backup_words(manifest, args.dir))
        return EXIT_OK
    manifest = backup.restore(args.dir, store.path, replace=args.replace)
    print(backup.restore_words(manifest, store.path))
    return EXIT_OK


def _owner_only_file(path: Path, data: bytes) -> None:
    """A person's answers written readable by their owner only (0600), like the store."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file of the same name keeps no wider mode
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
