"""Admin (administrators only): users and their roles, the scheme register, rollback,
one person's answers (find, give back, erase), the retention rule, backups.

Every change records who made it (the signed-in email, in local mode the OS
user) in the store's change log, shown at the foot of the page. The checks on a
user's grants are ``kpi.scope.add_user``'s, the same as ``python -m kpi users add``,
including the one that keeps an administrator: the page cannot lock everyone out.
A user is changed or removed only after being chosen (nobody is pre-selected),
and removed only after "Yes, remove …".
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import ingest
from kpi.errors import KhiError
from kpi.items import bank
from kpi.scope import ENGLAND, ROLES, AccessError, add_user, normalise_email, remove_user
from kpi.store import StoreLockedError
from kpi.tables import change_log
from pages.views import _common as c
from pages.views import upload

ROLE_WORDS = {
    "scheme": "Scheme staff (their own schemes; upload)",
    "commissioner": "Commissioner (the schemes and regions granted)",
    "board": "Board (the board page for their area)",
    "admin": "Administrator (everything)",
}


def users_section() -> None:
    st.markdown("### Users")
    done = st.session_state.pop("admin_done", None)
    if done:
        st.success(done, icon=":material/check_circle:")
    users = c.store().users()
    if users.empty:
        st.caption("No users yet: nobody can sign in with a role until you add them.")
    else:
        st.dataframe(
            pd.DataFrame({
                "Email": users["email"],
                "Role": users["role"],
                "Schemes": users["scheme_ids"].map(", ".join),
                "Regions": users["regions"].map(", ".join),
                "Added by": users["added_by"],
                "Added": pd.to_datetime(users["added_at"]).dt.strftime("%d %b %Y %H:%M"),
            }),
            hide_index=True, key="admin_users",
        )
    with st.form("admin_add_user", clear_on_submit=False):
        st.markdown("**Add a user**")
        email = st.text_input("Email they sign in with", key="admin_email")
        role, schemes, regions = _grant_widgets("admin")
        if st.form_submit_button("Save user", type="primary"):
            if c.store().user(normalise_email(email)) is not None:
                # Adding again would replace their grants unseen: change them below.
                st.error(
                    f"{c.md(normalise_email(email))} is already a user: choose them under "
                    "*Change or remove a user* to see and change their role and grants.",
                    icon=":material/error:",
                )
            else:
                _save(email, role, schemes, regions)
    if not users.empty:
        _change_or_remove(users)


def _grant_widgets(
    key: str, role: str | None = None, schemes: list[str] | None = None,
    regions: list[str] | None = None,
) -> tuple[str, list[str], list[str]]:
    """Role, schemes and regions, pre-filled with a user's (to change them in place).

    Why ``select_all=False``: Streamlit's multiselect offers "Select all" or
    "Select N matches" as the first entry while typing, so Enter after typing
    part of a name granted every match. Without it Enter takes only the one
    match the box highlights, shown as a chip before anything is saved.
    """
    choices = c.scheme_choices()
    options = list(choices.ids)
    options += [s for s in schemes or [] if s not in options]  # left the register: shown
    role = st.selectbox(
        "Role", ROLES, index=ROLES.index(role) if role in ROLES else 0,
        format_func=ROLE_WORDS.get, key=f"{key}_role",
    )
    picked = st.multiselect(
        "Schemes", options, default=schemes or None,
        format_func=lambda s: f"{choices.plain[s]} ({s})" if s in choices.plain else s,
        key=f"{key}_schemes", select_all=False,
        placeholder="Choose schemes: type part of a name, then pick it",
    )
    areas = st.multiselect(
        "Regions", [ENGLAND, *bank().region_names], default=regions or None,
        key=f"{key}_regions", select_all=False, placeholder="Choose regions",
        help=f"{ENGLAND}: every scheme (a national commissioner or board).",
    )
    return role, picked, areas


def _save(email: str, role: str, schemes: list[str], regions: list[str]) -> None:
    """Through ``kpi.scope.add_user``, so the page applies the command line's every check."""
    try:
        scope = add_user(c.store(), email, role, schemes, regions, by=c.acting_as())
    except (AccessError, StoreLockedError) as exc:
        st.error(c.md(str(exc)), icon=":material/error:")
    else:
        st.session_state["admin_done"] = f"{c.md(scope.email)} saved as {scope.role}."
        st.rerun()


def _change_or_remove(users: pd.DataFrame) -> None:
    """Choose a user (nobody at first): their role and grants to change, or remove them
    after saying yes (the choice is never pre-filled, so nothing acts on the wrong person)."""
    st.markdown("**Change or remove a user**")
    chosen = st.selectbox(
        "Change or remove a user", list(users["email"]), index=None,
        placeholder="Choose a user", key="admin_edit_email", label_visibility="collapsed",
    )
    if chosen is None:
        return
    row = users[users["email"] == chosen].iloc[0]
    # The keys name the user and when they were last saved: another user, or a
    # save, starts from the stored grants instead of the last user's widgets.
    stamp = f"{chosen}|{pd.Timestamp(row['added_at']).isoformat()}"
    with st.form(f"admin_edit_form|{stamp}", clear_on_submit=False):
        role, schemes, regions = _grant_widgets(
            f"admin_edit|{stamp}", row["role"], [str(s) for s in row["scheme_ids"]],
            [str(r) for r in row["regions"]],
        )
        if st.form_submit_button("Save changes", type="primary"):
            _save(chosen, role, schemes, regions)
    pending = st.session_state.get("admin_remove_pending")
    if pending != chosen:
        if st.button(
            f"Remove {c.md(chosen)}…", key="admin_remove", icon=":material/person_remove:"
        ):
            st.session_state["admin_remove_pending"] = chosen
            st.rerun()
        return
    st.warning(
        f"{c.md(chosen)} will lose their role: they can still sign in, but see nothing until "
        "someone adds them again.",
        icon=":material/warning:",
    )
    yes, no, _ = st.columns([2, 1, 3])
    if yes.button(f"Yes, remove {c.md(chosen)}", key="admin_remove_confirm", type="primary"):
        st.session_state.pop("admin_remove_pending", None)
        try:
            remove_user(c.store(), chosen, by=c.acting_as())
        except (AccessError, StoreLockedError) as exc:
            st.error(c.md(str(exc)), icon=":material/error:")
        else:
            st.session_state.pop("admin_edit_email", None)
            st.session_state["admin_done"] = f"{c.md(chosen)} removed."
            st.rerun()
    if no.button("Cancel", key="admin_remove_cancel"):
        st.session_state.pop("admin_remove_pending", None)
        st.rerun()


def register_section() -> None:
    st.markdown("### Scheme register")
    st.caption(
        "A CSV or Excel file with scheme_id, name, region (and local_authority, cqc_rating, "
        "cqc_rating_date). Schemes already registered are updated."
    )
    file = st.file_uploader("Register file", type=["csv", "xlsx"], key="admin_register")
    if file is not None and st.button("Load the register", key="admin_register_load"):
        try:
            result = ingest.load_schemes(
                c.store(), file.getvalue(), file.name, by=c.acting_as()
            )
        except KhiError as exc:  # refused, or the store busy (StoreLockedError)
            st.error(c.md(str(exc)), icon=":material/error:")
            return
        # The register's own text (file name, schemes' names) shown as typed.
        if result.refused:
            st.error(c.md(result.message), icon=":material/error:")
        else:
            st.success(c.md(result.message), icon=":material/check_circle:")
        for problem in result.problems[:20]:
            st.caption(c.md(str(problem)))


def rollback_section() -> None:
    st.markdown("### Roll back an upload")
    _, _, labels = upload.history_choices(None)
    upload.rollback_form(labels)


def changes_section() -> None:
    """Every change: uploads, rollbacks, users and the register, with who, when and what."""
    st.markdown("### Who changed what")
    changes = c.store().changes()
    if changes.empty:
        st.caption("No changes recorded yet.")
        return
    st.dataframe(
        change_log(changes, c.store().uploads()), hide_index=True, key="admin_changes",
        column_config={"Detail": st.column_config.TextColumn(width="large")},
    )



# ------------------------------------------------- people's rights, retention ---
def person_section() -> None:
    """Find, give back or erase one person's answers (UK GDPR articles 15 and 17).

    The reference typed here is turned into the person's key by ``kpi.rights`` and
    never stored; the erasure is logged without it.
    """
    from kpi import rights

    st.markdown("### One person's answers")
    st.caption(
        "When a person asks what is held about them, or asks for it to be erased, find "
        "them by their scheme and their reference (the scheme's own ID for them). The "
        "reference is not stored anywhere: it is turned into the code the answers are kept "
        "under. The same on the command line: `python -m kpi person find|export|erase`."
    )
    choices = c.scheme_choices()
    left, right = st.columns(2)
    scheme = left.selectbox(
        "Scheme", list(choices.ids), format_func=lambda s: f"{choices.plain[s]} ({s})",
        key="rights_scheme", index=None, placeholder="Choose the person's scheme",
    )
    ref = right.text_input("Their reference", key="rights_ref")
    if st.button("Find their answers", key="rights_find", icon=":material/person_search:"):
        if not scheme or not ref.strip():
            st.error("Choose the scheme and type the reference.", icon=":material/error:")
            return
        try:
            record = rights.find_person(c.store(), scheme, ref, c.current_scope())
        except (KhiError, AccessError) as exc:
            st.error(c.md(str(exc)), icon=":material/error:")
            return
        st.session_state["rights_found"] = (scheme, ref.strip(), record)
    found = st.session_state.get("rights_found")
    if not found or found[:2] != (scheme, (ref or "").strip()):
        return
    record = found[2]
    st.info(record.summary(), icon=":material/info:")
    if not record.held:
        return
    words = rights.answers_in_words(record)
    with st.expander(f"Every answer held ({len(words)} lines)"):
        st.dataframe(words, hide_index=True, key="rights_words")
    stem = f"answers_{scheme}"
    one, two = st.columns(2)
    one.download_button("Download as CSV", rights.export_csv(record), f"{stem}.csv",
                        mime="text/csv", key="rights_csv", icon=":material/download:")
    two.download_button("Download as PDF", rights.export_pdf(record), f"{stem}.pdf",
                        mime="application/pdf", key="rights_pdf", icon=":material/download:")
    sure = st.checkbox(
        "I have checked the scheme and reference: erase everything held for this person "
        "(this cannot be undone, and the KHIs will no longer count them)",
        key="rights_sure",
    )
    if st.button("Erase their answers", key="rights_erase", type="primary", disabled=not sure,
                 icon=":material/delete_forever:"):
        try:
            result = rights.erase_person(c.store(), scheme, ref, c.current_scope(),
                                         by=c.acting_as())
        except (KhiError, AccessError, StoreLockedError) as exc:
            st.error(c.md(str(exc)), icon=":material/error:")
            return
        st.session_state.pop("rights_found", None)
        st.session_state["rights_done"] = rights.erase_words(result)
        st.rerun()


def erased_message() -> None:
    done = st.session_state.pop("rights_done", None)
    if done:
        st.success(done, icon=":material/check_circle:")


def retention_section() -> None:
    """The retention rule: when it last ran, what it would remove now, and applying it."""
    from kpi import rights

    st.markdown("### Retention")
    store = c.store()
    try:
        plan = rights.retention_plan(store)
        last = rights.last_retention(store)
    except KhiError as exc:
        st.error(c.md(str(exc)), icon=":material/error:")
        return
    st.caption(f"The rule (register.toml's settings): {plan['rule']}.")
    if last is None:
        st.markdown("The retention rule has not been applied yet.")
    else:
        st.markdown(
            f"Last applied {pd.Timestamp(last['changed_at']):%d %b %Y %H:%M} by "
            f"{c.md(str(last['changed_by']))}: {c.md(str(last['detail']))}."
        )
    now = rights.retention_words(plan, applied=False, command_line=False)
    st.markdown(c.md(f"Now it {now[0].lower()}{now[1:]}"))
    if not (plan["responses"] or plan["history"] or plan["set_aside"]):
        return
    if st.button("Apply the retention rule now", key="rights_retention",
                 icon=":material/auto_delete:"):
        try:
            done = rights.retention_apply(store, by=c.acting_as())
        except (KhiError, StoreLockedError) as exc:
            st.error(c.md(str(exc)), icon=":material/error:")
            return
        st.session_state["rights_done"] = rights.retention_words(done, applied=True,
                                                                 command_line=False)
        st.rerun()


def backup_section() -> None:
    st.markdown("### Backups")
    st.caption(
        "Back up the store and its secret together with `python -m kpi backup DIR` (safe "
        "while the dashboard runs); check a backup by restoring it to a new path with "
        "`python -m kpi restore DIR --db NEW`. The README says how often."
    )


# ----------------------------------------------------------------------- tabs ---
# The administrator's tasks, one tab each; only the open tab is worked out and drawn
# (a page of every section took 0.55 s to show again in the browser benchmark, the
# users' alone 0.14 s). The open one is kept in the URL as ``admin_view``.
USERS, REGISTER, ROLLBACK, RIGHTS, BACKUPS, CHANGES = (
    "Users", "Scheme register", "Roll back an upload", "People's answers and retention",
    "Backups", "Change log",
)
VIEWS_KEY = "admin_view"


def _rights() -> None:
    person_section()
    st.divider()
    retention_section()


SECTIONS = {
    USERS: users_section, REGISTER: register_section, ROLLBACK: rollback_section,
    RIGHTS: _rights, BACKUPS: backup_section, CHANGES: changes_section,
}


def render() -> None:
    st.title("Admin")
    if not c.is_admin():  # the menu lists this page for administrators only
        st.stop()
    erased_message()  # what an erasure or the retention rule just did, once
    names = tuple(SECTIONS)
    for name, tab in zip(names, st.tabs(names, key=VIEWS_KEY, bind="query-params")):
        if tab.open:
            with tab:
                SECTIONS[name]()
