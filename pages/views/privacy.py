"""The privacy notice for the people asked: opened from the sidebar of every page, in
plain English and easy read, each downloadable (Markdown and PDF) for schemes to
hand out. The words are ``kpi.notice``'s, generated from the settings."""

from __future__ import annotations

import streamlit as st

from kpi.errors import KhiError
from pages.views.elements import md


@st.dialog("Privacy notice", width="large")
def _notice() -> None:
    from kpi.notice import notice_markdown, notice_pdf

    try:
        versions = (("Plain English", False, "privacy_notice"),
                    ("Easy read", True, "privacy_notice_easy_read"))
        for tab, (title, easy, stem) in zip(st.tabs([v[0] for v in versions]), versions):
            with tab:
                text = notice_markdown(easy)
                st.markdown(text)
                one, two = st.columns(2)
                one.download_button(f"Download ({title.lower()}) as PDF", notice_pdf(easy),
                                    f"{stem}.pdf", mime="application/pdf",
                                    key=f"{stem}_pdf", icon=":material/download:")
                two.download_button(f"Download ({title.lower()}) as text", text,
                                    f"{stem}.md", mime="text/markdown",
                                    key=f"{stem}_md", icon=":material/download:")
    except KhiError as exc:
        st.error(md(str(exc)), icon=":material/error:")


def sidebar_notice() -> None:
    """The sidebar's link to the notice (every page, every role)."""
    if st.sidebar.button("Privacy notice", key="privacy_notice", icon=":material/policy:",
                         type="tertiary"):
        _notice()
