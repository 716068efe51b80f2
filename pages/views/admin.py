"""Admin (administrators only): users and their roles, the scheme register, rollback,
one person's answers (find, give back, erase), the retention rule, backups.

Every change records who made it (the signed-in email, in local mode the OS
user) in the store's change log, shown at the foot of the page. The checks on a
user's grants are ``kpi.scope.add_user``'s, the same as ``python -m kpi users add``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import ingest
from kpi.errors import KhiError
from kpi.items import bank
from kpi.scope import ENGLAND, ROLES, AccessError, add_user, remove_user
from kpi.store import StoreLockedError
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
    choices = c.scheme_choices()
    with st.form("admin_add_user", clear_on_submit=False):
        st.markdown("**Add or change a user**")
        email = st.text_input("Email they sign in with", key="admin_email")
        role = st.selectbox("Role", ROLES, format_func=ROLE_WORDS.get, key="admin_role")
        schemes = st.multiselect(
            "Schemes", list(choices.ids), format_func=lambda s: f"{choices.plain[s]} ({s})",
            key="admin_schemes",
        )
        regions = st.multiselect(
            "Regions", [ENGLAND, *bank().region_names], key="admin_regions",
            help=f"{ENGLAND}: every scheme (a national commissioner or board).",
        )
        if st.form_submit_button("Save user", type="primary"):
            try:
                scope = add_user(c.store(), email, role, schemes, regions, by=c.acting_as())
            except (AccessError, StoreLockedError) as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.session_state["admin_done"] = f"{scope.email} saved as {scope.role}."
                st.rerun()
    if not users.empty:
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        gone = left.selectbox("Remove a user", list(users["email"]), key="admin_remove_email")
        if right.button("Remove", key="admin_remove"):
            try:
                remove_user(c.store(), gone, by=c.acting_as())
            except (AccessError, StoreLockedError) as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.session_state["admin_done"] = f"{gone} removed."
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
            result = ingest.load_schemes(c.store(), file.getvalue(), file.name)
            if not result.refused:
                c.store().record_register_change(c.acting_as(), f"file={file.name}")
        except (StoreLockedError, ValueError) as exc:
            st.error(str(exc), icon=":material/error:")
            return
        if result.refused:
            st.error(result.message, icon=":material/error:")
        else:
            st.success(result.message, icon=":material/check_circle:")
        for problem in result.problems[:20]:
            st.caption(str(problem))


def rollback_section() -> None:
    st.markdown("### Roll back an upload")
    _, _, labels = upload.history_choices(None)
    upload._rollback(labels)


def changes_section() -> None:
    st.markdown("### Who changed what")
    changes = c.store().changes()
    if changes.empty:
        st.caption("No changes recorded yet.")
        return
    st.dataframe(
        pd.DataFrame({
            "When": pd.to_datetime(changes["changed_at"]).dt.strftime("%d %b %Y %H:%M"),
            "By": changes["changed_by"],
            "What": changes["action"],
            "Subject": changes["subject"],
            "Detail": changes["detail"],
        }),
        hide_index=True, key="admin_changes",
    )


def render() -> None:
    st.title("Admin")
    if not c.is_admin():  # the menu lists this page for administrators only
        st.stop()
    users_section()
    st.divider()
    register_section()
    st.divider()
    rollback_section()
    st.divider()
    erased_message()
    person_section()
    st.divider()
    retention_section()
    st.divider()
    backup_section()
    st.divider()
    changes_section()


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
            st.error(str(exc), icon=":material/error:")
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
            st.error(str(exc), icon=":material/error:")
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
        st.error(str(exc), icon=":material/error:")
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
            st.error(str(exc), icon=":material/error:")
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
