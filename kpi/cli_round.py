"""``python -m kpi round open|close|list``: survey rounds from the command line.

Kept apart from ``kpi.cli`` (which only registers it) so a round's arguments and
output live beside each other. The links are printed as full addresses on
``--base-url`` when the round is opened, and never again: the store keeps only
their hashes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
from pathlib import Path

from kpi.errors import KhiError
from kpi.export import safe_csv
from kpi.items import normalise_header
from kpi.scope import Scope
from kpi.store import Store

# Headings a list of references may have (else its first column is read).
_REFERENCE_HEADINGS = {"reference", "ref", "your reference", "respondent ref", "respondent_ref",
                       "person reference", "id"}


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Register ``round open|close|list`` on the command line's subcommands."""
    command = sub.add_parser("round", parents=[common],
                             help="survey rounds: open one (its links), close it, list them")
    action = command.add_subparsers(dest="round_command", required=True)
    for name, words in (("open", "open a round and print its links (shown only this once)"),
                        ("close", "close a round: its links stop working"),
                        ("list", "list rounds with their answers so far")):
        one = action.add_parser(name, parents=[common], help=words)
        needed = name == "open"
        one.add_argument("--scheme", required=needed, default=None, metavar="ID")
        one.add_argument("--quarter", required=needed, default=None,
                         help='"2026/27 Q3" or a date inside it')
        one.add_argument("--who", choices=("person", "carer"), default=None,
                         help="people (person, the default) or family carers (carer)")
        one.add_argument("--json", action="store_true")
        if name != "list":
            one.add_argument("--by", default=None, help="who is doing it (recorded)")
        one.add_argument("--as", dest="as_email", default=None, metavar="EMAIL",
                         help="run with this user's scope (default: the administrator)")
        if name == "open":
            one.add_argument("--refs", type=Path, default=None, metavar="FILE",
                             help="people's references, one a line (or a CSV with a "
                                  "'reference' column): one personal link each")
            one.add_argument("--base-url", required=True, metavar="URL",
                             help="the dashboard's address, e.g. https://khi.example.org")
            one.add_argument("--out", type=Path, default=None, metavar="FILE.csv",
                             help="also write the links as CSV (readable by you only)")
        if name == "close":
            one.add_argument("--round", dest="round_id", type=int, default=None, metavar="N",
                             help="the round's number (else every open round of --scheme "
                                  "and --quarter)")


def read_references(data: bytes) -> list[str]:
    """References from a file: one a line, or a CSV whose heading names the column."""
    text = data.decode("utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    if not rows:
        return []
    column = 0
    headings = [normalise_header(c) for c in rows[0]]
    named = [j for j, h in enumerate(headings) if h in _REFERENCE_HEADINGS]
    if named:
        column, rows = named[0], rows[1:]
    elif len(rows[0]) > 1:
        raise KhiError("The list of references has several columns but none is headed "
                       "'reference': head that column 'reference', or give one a line.")
    return [row[column].strip() for row in rows if len(row) > column and row[column].strip()]


def run(args: argparse.Namespace, store: Store, acting: Scope, user: str) -> int:
    """One ``round`` command; returns the exit code (``user``: who, when --by is not given)."""
    # Imported here: building the parser must not import kpi.collect (the form's tests
    # stand a fake in for it, which an imported module attribute would shadow).
    from kpi import collect

    by = getattr(args, "by", None) or acting.email or user
    if args.round_command == "open":
        refs: list[str] = []
        if args.refs is not None:
            refs = read_references(args.refs.read_bytes())
        opened = collect.open_round(store, acting, scheme_id=args.scheme, quarter=args.quarter,
                                    who=args.who or "person", references=refs, by=by)
        links = opened.links(args.base_url)
        if args.out is not None:
            _owner_only(args.out, safe_csv(links).encode("utf-8"))
        if args.json:
            print(json.dumps({
                "round_id": opened.round_id, "upload_id": opened.upload_id,
                "scheme_id": opened.scheme_id, "quarter": opened.quarter, "who": opened.who,
                "expires_at": opened.expires_at.isoformat(),
                "links": opened.link_rows(args.base_url),
            }))
        else:
            print(f"Round {opened.round_id} opened for {opened.scheme_id}, {opened.quarter} "
                  f"({opened.who}); its links work until the end of {opened.last_day:%-d %B %Y}. "
                  "These links are shown only now: keep them (or use --out FILE.csv).")
            print(links.fillna("").to_string(index=False))
        return 0
    frame = collect.rounds(store, acting, scheme_id=args.scheme, quarter=args.quarter)
    if args.who:
        frame = frame[frame["who"] == args.who]
    if args.round_command == "close":
        if args.round_id is not None:
            chosen = [args.round_id]
        else:
            if not args.scheme or not args.quarter:
                raise KhiError("Say which round to close: --round N, or --scheme ID and "
                               "--quarter Q (every open round of that scheme and quarter).")
            chosen = [int(r) for r in frame.loc[frame["state"] == "open", "round_id"]]
            if not chosen:
                raise KhiError(f"No open round for {args.scheme} in {args.quarter}: "
                               "`python -m kpi round list` lists them.")
        for round_id in chosen:
            collect.close_round(store, acting, round_id, by=by)
        if args.json:
            print(json.dumps({"closed": chosen}))
        else:
            print("Closed round " + ", ".join(map(str, chosen)) + ": its links stop working; "
                  "its answers stay (paper forms can still be entered).")
        return 0
    columns = ["round_id", "upload_id", "scheme_id", "quarter", "who", "state", "links_sent",
               "personal_answered", "online_answers", "paper_answers", "opened_by", "opened_at",
               "expires_at", "closed_at"]
    frame = frame[columns]
    if args.json:
        print(frame.to_json(orient="records", date_format="iso"))
    else:
        print(frame.to_string(index=False) if len(frame) else "No survey rounds yet.")
    return 0


def _owner_only(path: Path, data: bytes) -> None:
    """Working links (and references) written readable by their owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


__all__ = ["add_parser", "read_references", "run"]
