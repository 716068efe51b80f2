"""Administration that cannot lock itself out (issue 20): the last administrator,
removing only after saying yes, changing a user in place, and a change log that
lists every upload, rollback, user change and register change with who and when."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi.ingest import ingest_bytes, load_schemes
from kpi.scope import AccessError, add_user, remove_user
from kpi.store import Store
from tests.builders import make_store, run_kpi

SCHEMES = [("SL001", "Alderley", "North West"), ("SL002", "Alderbrook", "North West"),
           ("SL003", "Chester Vale", "London")]


def survey(prefix: str, n: int = 12) -> bytes:
    rows = "".join(
        f"{prefix}{i},2{i % 9}/05/2026,I use Shared Lives,{'Agree' if i % 3 else 'Disagree'}\n"
        for i in range(n)
    )
    return ("Your reference,Date completed,Who is answering?,"
            "The people who support me are warm and kind\n" + rows).encode()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = make_store(tmp_path / "khi.duckdb", SCHEMES)
    add_user(store, "boss@khi.example", "admin", by="setup")
    add_user(store, "lead@icb.example", "commissioner", ["SL001"], ["London"], by="setup")
    return store


# ------------------------------------------------------ the last administrator ---
def test_the_only_administrator_cannot_be_removed_or_demoted(store: Store) -> None:
    with pytest.raises(AccessError, match="only administrator.*Make someone else an admin"):
        remove_user(store, "Boss@KHI.example", by="boss@khi.example")
    with pytest.raises(AccessError, match="only administrator"):
        add_user(store, "boss@khi.example", "commissioner", [], ["England"], by="boss")
    assert store.user("boss@khi.example")["role"] == "admin"
    assert set(store.changes()["action"]) == {"user added"}  # the refusals logged nothing
    # With a second administrator, either may go.
    add_user(store, "deputy@khi.example", "admin", by="boss@khi.example")
    add_user(store, "boss@khi.example", "board", [], ["England"], by="deputy@khi.example")
    assert store.user("boss@khi.example")["role"] == "board"
    with pytest.raises(AccessError, match="deputy@khi.example is the only administrator"):
        remove_user(store, "deputy@khi.example", by="deputy@khi.example")
    remove_user(store, "boss@khi.example", by="deputy@khi.example")
    assert store.user("boss@khi.example") is None


def test_the_command_line_refuses_to_remove_the_last_administrator(store: Store) -> None:
    done = run_kpi(store.path, "users", "remove", "boss@khi.example")
    assert done.returncode == 2 and "only administrator" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    done = run_kpi(store.path, "users", "add", "boss@khi.example", "--role", "scheme",
                   "--scheme", "SL001")
    assert done.returncode == 2 and "only administrator" in done.stderr, done.stderr
    assert store.user("boss@khi.example")["role"] == "admin"


# ------------------------------------------------------------ the Admin page ---
def _admin_page(monkeypatch: pytest.MonkeyPatch, store: Store, tab: str | None = None):
    """The Admin page on its first tab (Users), or on ``tab`` as its link opens it."""
    from pages.views import admin
    from tests.apptest_helpers import open_page

    params = {admin.VIEWS_KEY: tab} if tab else None
    return open_page(monkeypatch, store, "pages/admin.py", params, KHI_NO_DEMO="1")


def _errors(at) -> str:
    return "\n".join(e.value for e in at.error)


def test_removing_a_user_starts_from_nobody_and_asks_first(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _admin_page(monkeypatch, store)
    chooser = at.selectbox(key="admin_edit_email")
    assert chooser.value is None  # nobody chosen: nothing to act on by accident
    assert not [b for b in at.button if b.key == "admin_remove"]
    chooser.set_value("lead@icb.example").run()
    at.button(key="admin_remove").click().run()
    assert store.user("lead@icb.example") is not None  # one click removes nobody
    assert at.button(key="admin_remove_confirm").label == "Yes, remove lead@icb.example"
    at.button(key="admin_remove_cancel").click().run()
    assert store.user("lead@icb.example") is not None
    at.button(key="admin_remove").click().run()
    at.button(key="admin_remove_confirm").click().run()
    assert not at.exception
    assert store.user("lead@icb.example") is None
    assert "lead@icb.example removed." in [s.value for s in at.success]
    assert at.selectbox(key="admin_edit_email").value is None


def test_the_page_refuses_to_remove_the_last_administrator(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _admin_page(monkeypatch, store)
    at.selectbox(key="admin_edit_email").set_value("boss@khi.example").run()
    at.button(key="admin_remove").click().run()
    at.button(key="admin_remove_confirm").click().run()
    assert "only administrator" in _errors(at)
    assert store.user("boss@khi.example")["role"] == "admin"


def _edit_widgets(at, kind: str, label: str):
    found = [w for w in getattr(at, kind) if str(w.key).startswith("admin_edit|")
             and w.label == label]
    assert len(found) == 1, [(w.key, w.label) for w in getattr(at, kind)]
    return found[0]


def test_a_users_role_and_grants_are_changed_in_place(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _admin_page(monkeypatch, store)
    at.selectbox(key="admin_edit_email").set_value("lead@icb.example").run()
    # Pre-filled with what is stored.
    assert _edit_widgets(at, "selectbox", "Role").value == "commissioner"
    assert _edit_widgets(at, "multiselect", "Schemes").value == ["SL001"]
    assert _edit_widgets(at, "multiselect", "Regions").value == ["London"]
    # Saving replaces them, through kpi.scope.add_user's checks.
    _edit_widgets(at, "selectbox", "Role").set_value("board")
    _edit_widgets(at, "multiselect", "Schemes").set_value(["SL001", "SL002"])
    _edit_widgets(at, "multiselect", "Regions").set_value([])
    at.button[[b.label for b in at.button].index("Save changes")].click().run()
    assert not at.exception
    user = store.user("lead@icb.example")
    assert (user["role"], user["scheme_ids"], user["regions"]) == ("board",
                                                                    ["SL001", "SL002"], [])
    # The form now starts from the saved grants.
    assert _edit_widgets(at, "selectbox", "Role").value == "board"
    assert _edit_widgets(at, "multiselect", "Schemes").value == ["SL001", "SL002"]
    changed = store.changes().iloc[0]
    assert (changed["action"], changed["subject"]) == ("user changed", "lead@icb.example")
    assert changed["detail"] == ("role commissioner → board; schemes added: SL002; "
                                 "regions taken away: London")
    # "Add a user" does not replace an existing user's grants unseen.
    at.text_input(key="admin_email").set_value(" Lead@ICB.example")
    at.selectbox(key="admin_role").set_value("admin")
    at.button[[b.label for b in at.button].index("Save user")].click().run()
    assert "lead@icb.example is already a user" in _errors(at)
    assert store.user("lead@icb.example")["role"] == "board"
    # A change add_user refuses is not stored.
    _edit_widgets(at, "multiselect", "Schemes").set_value([])
    at.button[[b.label for b in at.button].index("Save changes")].click().run()
    assert "needs an area" in _errors(at)
    assert store.user("lead@icb.example")["scheme_ids"] == ["SL001", "SL002"]


def test_grant_boxes_offer_no_select_all(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Enter after typing part of a name took "Select N matches" (the browser test
    types it); the boxes are drawn without that entry."""
    at = _admin_page(monkeypatch, store)
    at.selectbox(key="admin_edit_email").set_value("lead@icb.example").run()
    boxes = [m for m in at.multiselect if m.label in ("Schemes", "Regions")]
    assert len(boxes) == 4
    for box in boxes:
        assert box.proto.select_all == 0, box.key  # 0: never offered


# ------------------------------------------------------------ the change log ---
def test_the_change_log_lists_uploads_rollbacks_users_and_the_register(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = ingest_bytes(store, survey("A"), "alderley_may.csv", "SL001",
                          uploaded_by="staff@alderley.example")
    assert stored.accepted == 12
    again = ingest_bytes(store, survey("A"), "alderley_may.csv", "SL001",
                         uploaded_by="staff@alderley.example")
    assert again.accepted == 0
    store.rollback(stored.upload_id, by="boss@khi.example")
    loaded = load_schemes(
        store, b"scheme_id,name,region\nSL001,Alderley Edge,North West\nSL004,Dene,London\n"
        b"SL003,Chester Vale,London\n", "register.csv", by="registrar@khi.example",
    )
    assert not loaded.refused
    remove_user(store, "lead@icb.example", by="boss@khi.example")
    log = store.changes()
    entries = {(r.action, r.subject): r for r in log.itertuples()}
    first = entries[("upload stored", f"upload {stored.upload_id}")]
    assert first.changed_by == "staff@alderley.example"
    assert first.detail == ("alderley_may.csv (survey) for Alderley (SL001): 12 rows read, "
                            "12 stored, 0 set aside, 0 already stored, 0 corrected")
    second = entries[("upload stored", f"upload {again.upload_id}")]
    assert "12 already stored" in second.detail and "same file as upload" in second.detail
    rollback = entries[("upload rolled back", f"upload {stored.upload_id}")]
    assert rollback.changed_by == "boss@khi.example"
    assert rollback.detail == "alderley_may.csv (survey) for Alderley (SL001): 12 rows removed"
    register = entries[("register loaded", "scheme register")]
    assert register.changed_by == "registrar@khi.example"
    assert register.detail == ("file register.csv; 1 added (SL004); 1 changed (SL001: name "
                               "Alderley → Alderley Edge); 1 unchanged")
    removed = entries[("user removed", "lead@icb.example")]
    assert removed.detail == "was commissioner (SL001, London)"
    assert entries[("user added", "lead@icb.example")].detail == (
        "role commissioner; schemes SL001; regions London")
    assert all(log["changed_at"].notna())
    # The page shows every entry, with no "None" anywhere.
    from pages.views import admin

    at = _admin_page(monkeypatch, store, admin.CHANGES)
    shown = next(d.value for d in at.dataframe if "When" in d.value.columns)
    assert len(shown) == len(log)
    assert "None" not in shown.to_csv(index=False)
    assert (shown["What"] == "Upload rolled back").sum() == 1
    assert (shown["What"] == "Upload stored").sum() == 2


def test_a_rollback_logged_before_details_reads_as_its_upload(store: Store) -> None:
    """A store's old rollback row has only the upload's number and no detail."""
    from kpi.tables import change_log

    stored = ingest_bytes(store, survey("A"), "alderley_may.csv", "SL001")
    with store.transaction() as con:  # as the log was written before issue 20
        con.execute("DELETE FROM changes")
        con.execute("INSERT INTO changes VALUES (now(), 'boss@khi.example', "
                    "'upload rolled back', ?, NULL)", [str(stored.upload_id)])
    shown = change_log(store.changes(), store.uploads()).iloc[0]
    assert shown["Subject"] == f"upload {stored.upload_id}"
    assert shown["Detail"].startswith("alderley_may.csv for Alderley (SL001)")
    assert "None" not in " ".join(map(str, shown))


# ------------------------------------------------------------------- the tabs ---
# A widget each tab draws, by key: what an administrator finds there.
TAB_WIDGETS = {
    "Users": "admin_email", "Scheme register": "admin_register",
    "People's answers and retention": "rights_ref", "Change log": "grid: When",
}


@pytest.mark.parametrize("tab", [None, *TAB_WIDGETS, "No such tab"])
def test_the_admin_page_draws_only_its_open_tab(
    store: Store, monkeypatch: pytest.MonkeyPatch, tab: str | None
) -> None:
    """One task at a time: the tab in the link (else Users) is drawn, no other (every
    section at once kept the browser busy: tests/README.md), and the tab stays in
    the URL so the view can be shared. A tab typed by hand that does not exist opens
    the first."""
    from pages.views import admin

    run_kpi(store.path, "users", "add", "lead@icb.example", "--role", "commissioner",
            "--region", "London")  # a change to log
    at = _admin_page(monkeypatch, store, tab)
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.tabs] == list(admin.SECTIONS)
    keys = {str(w.key) for kind in ("text_input", "file_uploader") for w in at.get(kind)}
    keys |= {f"grid: {d.value.columns[0]}" for d in at.dataframe}  # grids by first column
    wanted = tab if tab in TAB_WIDGETS else admin.USERS
    assert TAB_WIDGETS[wanted] in keys, keys
    assert not {k for name, k in TAB_WIDGETS.items() if name != wanted} & keys, keys
    if tab in TAB_WIDGETS and tab != admin.USERS:  # the first tab leaves the URL clean
        assert at.query_params[admin.VIEWS_KEY] in (tab, [tab])
