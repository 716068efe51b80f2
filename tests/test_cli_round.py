"""``python -m kpi round open|close|list`` as a user's shell runs it."""

from __future__ import annotations

import datetime as dt
import json
import stat

from builders import make_store, run_kpi

from kpi import collect
from kpi.periods import quarter_label
from kpi.scope import add_user

QUARTER = quarter_label(dt.date.today())
BASE = "https://khi.example.org/"


def test_round_open_list_close(tmp_path):
    db = tmp_path / "khi.duckdb"
    store = make_store(db, [("S1", "Scheme One", "London"), ("S2", "Scheme Two", "Wales")])
    refs = tmp_path / "refs.csv"
    refs.write_text("Name,Reference\nAnn,AB-1\nBob,CD-2\n,\n", encoding="utf-8")
    out = tmp_path / "links.csv"
    opened = run_kpi(db, "round", "open", "--scheme", "S1", "--quarter", QUARTER, "--refs",
                     str(refs), "--base-url", BASE, "--json", "--out", str(out), "--by", "me")
    assert opened.returncode == 0, opened.stderr
    result = json.loads(opened.stdout)
    links = result["links"]
    assert [(x["kind"], x["reference"]) for x in links] == [
        ("open", None), ("personal", "AB-1"), ("personal", "CD-2")]
    tokens = []
    for link in links:
        assert link["url"].startswith("https://khi.example.org/answer/")
        token = link["url"].rsplit("/", 1)[1]
        tokens.append(token)
        info = collect.link_info(store, token)
        assert info.usable and info.round_id == result["round_id"] and info.kind == link["kind"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and tokens[1] in out.read_text()

    listed = run_kpi(db, "round", "list", "--scheme", "S1", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["round_id"], r["state"], r["links_sent"], r["opened_by"]) for r in rows] == [
        (result["round_id"], "open", 2, "me")]
    assert not any(t in listed.stdout for t in tokens)

    closed = run_kpi(db, "round", "close", "--scheme", "S1", "--quarter", QUARTER, "--json")
    assert closed.returncode == 0, closed.stderr
    assert json.loads(closed.stdout) == {"closed": [result["round_id"]]}
    assert not any(collect.link_info(store, t).usable for t in tokens)
    again = run_kpi(db, "round", "close", "--scheme", "S1", "--quarter", QUARTER)
    assert again.returncode == 2 and "No open round" in again.stderr


def test_round_only_for_schemes_in_reach(tmp_path):
    db = tmp_path / "khi.duckdb"
    store = make_store(db, [("S1", "Scheme One", "London"), ("S2", "Scheme Two", "Wales")])
    add_user(store, "boss@example.org", "admin", [], [], by="test")
    add_user(store, "staff@s1.example", "scheme", ["S1"], [], by="test")
    refused = run_kpi(db, "round", "open", "--scheme", "S2", "--quarter", QUARTER,
                      "--base-url", BASE, "--as", "staff@s1.example")
    assert refused.returncode == 2 and "own schemes" in refused.stderr
    assert store.query("SELECT count(*) AS n FROM rounds")["n"].iloc[0] == 0
    mine = run_kpi(db, "round", "open", "--scheme", "S1", "--quarter", QUARTER, "--who",
                   "carer", "--base-url", BASE, "--as", "staff@s1.example")
    assert mine.returncode == 0, mine.stderr
    assert "shown only now" in mine.stdout
