"""Admin (administrators only): users and their roles, the scheme register, rollback.

Every change records who made it (the signed-in email, in local mode the OS
user) in the store's change log, shown at the foot of the page. The checks on a
user's grants are ``kpi.scope.add_user``'s, the same as ``python -m kpi users add``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import ingest
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
    changes_section()
