"""``python -m kpi users add|list|remove``, ``--as EMAIL`` and ``--by`` (issue 14), in a
subprocess as an administrator's script would run them."""

from __future__ import annotations

import csv
import getpass
import io
import json
from pathlib import Path

import pytest

from kpi.store import Store
from tests.builders import run_kpi

PROJECT_DIR = Path(__file__).resolve().parents[1]
REGISTER = (
    b"scheme_id,name,region\nSL001,Alderley,North West\nSL002,Bramhall,North West\n"
    b"SL003,Chester Vale,London\n"
)


def survey(prefix: str) -> bytes:
    rows = "".join(
        f"{prefix}{i},2{i % 9}/05/2026,I use Shared Lives,{'Agree' if i % 3 else 'Disagree'}\n"
        for i in range(12)
    )
    return ("Your reference,Date completed,Who is answering?,"
            "The people who support me are warm and kind\n" + rows).encode()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store with three schemes, each with twelve answers."""
    db = tmp_path / "khi.duckdb"
    assert run_kpi(db, "init").returncode == 0
    (tmp_path / "register.csv").write_bytes(REGISTER)
    done = run_kpi(db, "schemes", str(tmp_path / "register.csv"), "--by", "registrar@khi.example")
    assert done.returncode == 0, done.stderr
    for scheme in ("SL001", "SL002", "SL003"):
        (tmp_path / f"{scheme}.csv").write_bytes(survey(scheme))
        done = run_kpi(db, "ingest", str(tmp_path / f"{scheme}.csv"), "--scheme", scheme)
        assert done.returncode == 0, done.stderr
    return db


def test_users_add_list_remove(db: Path) -> None:
    done = run_kpi(db, "users", "add", "Staff@Alderley.example", "--role", "scheme",
               "--scheme", "SL001", "--by", "boss@khi.example")
    assert done.returncode == 0, done.stderr
    assert "staff@alderley.example may now sign in as scheme (SL001)" in done.stdout
    done = run_kpi(db, "users", "add", "nw@council.example", "--role", "commissioner",
               "--region", "north_west")
    assert done.returncode == 0, done.stderr
    listed = json.loads(run_kpi(db, "users", "list", "--json").stdout)
    by_email = {u["email"]: u for u in listed}
    assert by_email["staff@alderley.example"]["scheme_ids"] == ["SL001"]
    assert by_email["staff@alderley.example"]["added_by"] == "boss@khi.example"
    assert by_email["nw@council.example"]["regions"] == ["North West"]
    assert by_email["nw@council.example"]["added_by"] == getpass.getuser()  # the OS user
    assert "nw@council.example" in run_kpi(db, "users", "list").stdout
    done = run_kpi(db, "users", "remove", "NW@council.example", "--by", "boss@khi.example")
    assert done.returncode == 0, done.stderr
    assert [u["email"] for u in json.loads(run_kpi(db, "users", "list", "--json").stdout)] == [
        "staff@alderley.example"
    ]
    changes = Store(db).changes()
    assert set(changes["action"]) >= {"user added", "user removed", "register loaded"}
    removed = changes[changes["action"] == "user removed"].iloc[0]
    assert (removed["subject"], removed["changed_by"]) == ("nw@council.example",
                                                            "boss@khi.example")
    loaded = changes[changes["action"] == "register loaded"].iloc[0]
    assert loaded["changed_by"] == "registrar@khi.example"


REFUSALS = [
    (["users", "add", "x@y.example", "--role", "scheme", "--scheme", "SL404"],
     "'SL404' is not in the register"),
    (["users", "add", "x@y.example", "--role", "commissioner"], "needs an area"),
    (["users", "add", "nobody", "--role", "admin"], "is not an email address"),
    (["users", "remove", "ghost@y.example"], "There is no user 'ghost@y.example'"),
    (["indicators", "--khi", "warm_kind", "--as", "ghost@y.example"],
     "ghost@y.example is not a user"),
]


def test_refusals_say_what_to_do_with_exit_code_2(db: Path) -> None:
    for args, message in REFUSALS:
        done = run_kpi(db, *args)
        assert done.returncode == 2, args
        assert message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert Store(db).users().empty


def test_as_runs_indicators_uploads_and_report_with_that_users_scope(
    db: Path, tmp_path: Path
) -> None:
    assert run_kpi(db, "users", "add", "staff@alderley.example", "--role", "scheme",
               "--scheme", "SL001").returncode == 0
    everyone = run_kpi(db, "indicators", "--khi", "warm_kind", "--by", "scheme")
    assert {r["scheme"] for r in csv.DictReader(io.StringIO(everyone.stdout))} == {
        "SL001", "SL002", "SL003"
    }
    for asked in ([], ["--scheme", "SL002"], ["--region", "London"]):
        done = run_kpi(db, "indicators", "--khi", "warm_kind", "--by", "scheme", *asked,
                   "--as", "STAFF@alderley.example")
        assert done.returncode == 0, done.stderr
        assert {r["scheme"] for r in csv.DictReader(io.StringIO(done.stdout))} <= {"SL001"}
    mine = run_kpi(db, "indicators", "--khi", "warm_kind", "--by", "scheme",
               "--as", "staff@alderley.example")
    assert [r["scheme"] for r in csv.DictReader(io.StringIO(mine.stdout))] == ["SL001"]
    uploads = json.loads(run_kpi(db, "uploads", "--json", "--as", "staff@alderley.example").stdout)
    assert {u["scheme_id"] for u in uploads} == {"SL001"}
    assert len(json.loads(run_kpi(db, "uploads", "--json").stdout)) == 3
    done = run_kpi(db, "report", "--scheme", "SL002", "--out", str(tmp_path / "b.pdf"),
               "--as", "staff@alderley.example")
    assert done.returncode == 2 and "outside the schemes you may see" in done.stderr
    done = run_kpi(db, "report", "--out", str(tmp_path / "b.pdf"), "--as", "staff@alderley.example")
    assert done.returncode == 2 and "give --scheme ID" in done.stderr
    assert not (tmp_path / "b.pdf").exists()


def test_uploads_and_rollbacks_record_who_made_them(db: Path) -> None:
    uploads = json.loads(run_kpi(db, "uploads", "--json").stdout)
    assert {u["uploaded_by"] for u in uploads} == {getpass.getuser()}
    first = min(u["upload_id"] for u in uploads)
    done = run_kpi(db, "rollback", str(first), "--by", "admin@khi.example")
    assert done.returncode == 0, done.stderr
    rolled = {u["upload_id"]: u for u in json.loads(run_kpi(db, "uploads", "--json").stdout)}[first]
    assert rolled["status"] == "rolled_back" and rolled["rolled_back_by"] == "admin@khi.example"
    assert "admin@khi.example" in run_kpi(db, "uploads").stdout


def test_init_upgrades_a_store_made_before_users(tmp_path: Path) -> None:
    store = Store(tmp_path / "khi.duckdb")
    store.init()
    with store.transaction() as con:  # as a store made before issue 14 was
        con.execute("DROP TABLE users")
        con.execute("DROP TABLE changes")
        con.execute("ALTER TABLE uploads DROP COLUMN rolled_back_by")
    assert not store.has_access_tables()
    store.ensure()
    assert store.has_access_tables() and store.users().empty


# ------------------------------------------------------------- the Admin page ---
def test_the_admin_page_adds_users_and_loads_the_register_recording_who(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pages.views import admin
    from tests.apptest_helpers import open_page
    from tests.builders import make_store

    store = make_store(tmp_path / "khi.duckdb", [("SL001", "Alderley", "North West")])
    at = open_page(monkeypatch, store, "pages/admin.py", KHI_NO_DEMO="1")
    assert [t.value for t in at.title] == ["Admin"]
    at.text_input(key="admin_email").set_value("Lead@ICB.example")
    at.selectbox(key="admin_role").set_value("commissioner")
    at.multiselect(key="admin_regions").set_value(["North West"])
    at.button[[b.label for b in at.button].index("Save user")].click().run()
    assert not at.exception
    user = store.user("lead@icb.example")
    assert (user["role"], user["regions"]) == ("commissioner", ["North West"])
    assert user["added_by"].endswith("(local mode)")
    # A bad grant is refused with its message, and nothing is stored.
    at.text_input(key="admin_email").set_value("nobody")
    at.button[[b.label for b in at.button].index("Save user")].click().run()
    assert "is not an email address" in "\n".join(e.value for e in at.error)
    assert len(store.users()) == 1
    # The register has a tab of its own: opened by its link, as an administrator would.
    at = open_page(monkeypatch, store, "pages/admin.py", {admin.VIEWS_KEY: admin.REGISTER},
                   KHI_NO_DEMO="1")
    uploader = next(u for u in at.file_uploader if u.key == "admin_register")
    uploader.set_value(("register.csv", REGISTER, "text/csv")).run()
    at.button(key="admin_register_load").click().run()
    assert not at.exception
    assert store.scheme_ids() == {"SL001", "SL002", "SL003"}
    loaded = store.changes()
    assert (loaded["action"] == "register loaded").any()


def test_the_admin_page_is_for_administrators_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpi.scope import add_user
    from tests.apptest_helpers import open_page
    from tests.builders import make_store

    store = make_store(tmp_path / "khi.duckdb", [("SL001", "Alderley", "North West")])
    add_user(store, "lead@icb.example", "commissioner", [], ["North West"], by="test")
    # The commissioner's navigation does not register the page at all.
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(monkeypatch, store, "pages/admin.py", KHI_NO_DEMO="1",
                  KHI_AS="lead@icb.example")
    at = open_page(monkeypatch, store, None, KHI_NO_DEMO="1", KHI_AS="lead@icb.example")
    assert "Admin" not in [t.value for t in at.title]
