"""What the person chose: the sidebar's filter bar (in the URL, so a view can be
shared as a link), the engine's Filters and Settings for it, the start of a page
(its quarter), the explore pages' KHI and breakdown choices, and a page's own
choices kept in the URL (``url_choice``, ``keep_in_url``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from kpi import indicators as engine
from kpi.catalogue import catalogue
from kpi.indicators import Filters, Settings
from kpi.items import bank
from kpi.periods import quarter_label
from kpi.scope import ALL_OF_ENGLAND, ALL_YOURS, ENGLAND_AND_NATIONS, YOUR_SCHEMES
from pages.views.access import SchemeChoices, scheme_choices, user_reach
from pages.views.cache import available_quarters, latest_shown_quarter
from pages.views.elements import empty_store_message

# ------------------------------------------------------------------ filters ---


def _param(key: str) -> str | None:
    value = st.query_params.get(key)
    return value or None


def filter_bar() -> None:
    """The shared filters, drawn once in the sidebar by dashboard.py.

    Values persist across pages (session state) and live in the URL query
    string, so a view can be shared as a link. Only areas the person may see are
    offered, and a first visit opens on their own (``own_area``) and the latest
    quarter their area can show.
    """
    choices = scheme_choices()
    reach = user_reach()
    everything = reach.every
    own_region, own_scheme = own_area(choices)
    labels = [quarter_label(q) for q in reversed(available_quarters())]
    all_areas = ALL_OF_ENGLAND if everything else ALL_YOURS
    regions = [r.name for r in bank().regions if everything or r.name in choices.by_region]
    support_codes = bank().attribute("support_type").labels
    state = st.session_state

    def seed(key: str, options: list[str], default: str) -> None:
        if key not in state:
            # The URL names filters without the "f_" prefix (see the end of this function).
            wanted = _param(key.removeprefix("f_"))
            state[key] = wanted if wanted in options else default

    with st.sidebar:
        st.markdown("**Filters**")
        region_options = [all_areas, *regions]
        seed("f_region", region_options, own_region or all_areas)
        if state.get("f_region") not in region_options:  # e.g. a grant narrowed
            state["f_region"] = own_region or all_areas
        if labels:
            if "f_quarter" not in state:
                default = default_quarter(own_region, own_scheme)
                seed("f_quarter", labels, quarter_label(default) if default else labels[0])
            st.selectbox("Quarter", labels, key="f_quarter")
        st.selectbox("Region", region_options, key="f_region")
        in_region = (
            choices.ids
            if state["f_region"] == all_areas
            else choices.by_region.get(state["f_region"], ())
        )
        scheme_options = ["All schemes", *in_region]
        # Seed from the URL first, then drop a scheme outside the chosen region.
        seed("f_scheme", scheme_options, own_scheme or "All schemes")
        if state.get("f_scheme") not in scheme_options:
            state["f_scheme"] = "All schemes"
        st.selectbox(
            "Scheme",
            scheme_options,
            key="f_scheme",
            format_func=lambda s: choices.plain.get(s, s),
        )
        support_options = ["All support types", *[c for c, _ in support_codes]]
        support_labels = dict(support_codes)
        seed("f_support", support_options, support_options[0])
        st.selectbox(
            "Support type",
            support_options,
            key="f_support",
            format_func=lambda s: support_labels.get(s, s),
        )
        who_options = ["person", "carer", "both"]
        seed("f_who", who_options, "both")
        st.radio(
            "Respondents",
            who_options,
            key="f_who",
            format_func={
                "person": "People using Shared Lives",
                "carer": "Family carers",
                "both": "Both",
            }.get,
            horizontal=False,
        )
    wanted = {
        key.removeprefix("f_"): state[key]
        for key in ("f_quarter", "f_region", "f_scheme", "f_support", "f_who")
        if key in state
    }
    # Only the sidebar's own keys: the page's choices (see ``url_choice``) stay.
    params = st.query_params
    for name, value in wanted.items():
        if params.get(name) != value:  # most reruns change no filter
            params[name] = value


def own_area(choices: SchemeChoices) -> tuple[str | None, str | None]:
    """(region, scheme) a person opens on: their only scheme, else their only
    region (granted, or the one all their schemes lie in); nothing for those who
    see every scheme (they open on England)."""
    if user_reach().every:
        return None, None
    if len(choices.ids) == 1:
        only = choices.ids[0]
        region = next((r for r, ids in choices.by_region.items() if only in ids), None)
        return region, only
    if len(choices.by_region) == 1:
        return next(iter(choices.by_region)), None
    return None, None


def default_quarter(region: str | None, scheme: str | None) -> object:
    """The latest quarter the person's own area can show (kpi decides)."""
    filters = Filters(
        regions=(region,) if region else None,
        scheme_ids=(scheme,) if scheme else None,
        scope=user_reach().scheme_filter,
    )
    return latest_shown_quarter(filters)


def current_filters() -> Filters:
    """The engine's Filters for the sidebar's choices and the user's scope."""
    state = st.session_state
    region = state.get("f_region")
    scheme = state.get("f_scheme")
    support = state.get("f_support")
    who = state.get("f_who", "both")
    return Filters(
        regions=(region,) if region and region in bank().region_names else None,
        scheme_ids=(scheme,) if scheme and scheme != "All schemes" else None,
        support_types=(support,)
        if support and support != "All support types"
        else None,
        respondent_types=None if who in (None, "both") else (who,),
        scope=user_reach().scheme_filter,
    )


def without_area(filters: Filters) -> Filters:
    """The same filters with region and scheme lifted (e.g. to compare schemes)."""
    return replace(filters, regions=None, scheme_ids=None)


def current_quarter() -> str | None:
    """The chosen quarter label, or None when the store has no data."""
    return st.session_state.get("f_quarter")


def area_label(filters: Filters) -> str:
    """The area a page shows, in a heading: the scheme, the region, else England
    (for those who see every scheme) or the person's own schemes."""
    if filters.scheme_ids:
        return scheme_choices().names.get(filters.scheme_ids[0], filters.scheme_ids[0])
    if filters.regions:
        return filters.regions[0]
    return ENGLAND_AND_NATIONS if filters.scope is None else YOUR_SCHEMES


def settings() -> Settings:
    """The register's disclosure and comparison settings (the engine's defaults)."""
    return engine.default_settings()


# ------------------------------------------------------------ a page's start ---
def start_page(title: str) -> str | None:
    """The page's title, then the sidebar's quarter; on an empty store, the way in
    (upload or demo) instead, and None."""
    st.title(title)
    label = current_quarter()
    if not available_quarters() or label is None:
        empty_store_message()
        return None
    return label


# ------------------------------------------------------------ explore pages ---
# The groups of people every KHI can be broken down by (spec §4, equity), in the
# order the pages offer them; a page adds "region" where places are compared too.
GROUPS_OF_PEOPLE = (
    "support_type", "primary_need", "age_band", "gender", "ethnicity", "completed_by"
)

# The groups of the provenance breakdowns, as a scheme worker names them.
PROVENANCE_LABELS = {
    "channel": (("upload", "Survey tool export (upload)"), ("online", "Online form"),
                ("paper", "Paper form")),
    "wording": (("standard", "Standard wording"), ("easy_read", "Easy read")),
}

DIMENSION_LABELS = {
    "region": "Region",
    "scheme": "Scheme",
    "quarter": "Quarter",
    "support_type": "Support type",
    "respondent_type": "Respondent type",
    "age_band": "Age band",
    "gender": "Gender",
    "ethnicity": "Ethnic group",
    "primary_need": "Main support need",
    "completed_by": "Who filled in the form",
    "channel": "How they answered",
    "wording": "Wording asked",
}


def khi_picker(key: str, *, label: str = "Indicator") -> str:
    """A KHI select box for the sidebar's respondents (change KHIs have their own page).

    Shared by the explore pages so the same choice reads the same everywhere.
    """
    who = st.session_state.get("f_who", "both")
    options = {
        k.code: f"{k.name} ({k.domain})"
        for k in catalogue()
        if k.measure != "change" and who in ("both", k.population)
    }
    url_choice(key, "khi", list(options))
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    chosen = st.selectbox(label, list(options), format_func=options.get, key=key)
    keep_in_url("khi", chosen)
    return chosen


def dimension_codes(dimension: str) -> tuple[tuple[str, str], ...]:
    """(stored code, label) of a breakdown's groups, in the order people expect."""
    if dimension == "region":
        return tuple((name, name) for name in bank().region_names)
    if dimension == "scheme":
        choices = scheme_choices()
        return tuple((scheme, choices.names[scheme]) for scheme in choices.ids)
    if dimension in bank().attribute_codes:
        return bank().attribute(dimension).labels
    if dimension in PROVENANCE_LABELS:
        return PROVENANCE_LABELS[dimension]
    return ()


# ------------------------------------------------------- page choices in the URL ---
def url_choice(key: str, param: str, options: list[Any] | tuple[Any, ...]) -> None:
    """Before a page's widget ``key`` is drawn: a new session takes its value from
    the URL's ``param`` (when it is one of ``options``), so a shared link opens on
    the same view. Options that are not strings are matched by their text
    (``None`` is the URL's ``none``)."""
    state = st.session_state
    # Only the session's first run of the widget: after that the widget leads and
    # the URL follows (``keep_in_url``), or the URL would undo every click.
    if state.get(_URL_SEEDED + key):
        return
    state[_URL_SEEDED + key] = True
    wanted = _param(param)
    if wanted is None:
        return
    for option in options:
        if _url_text(option) == wanted:
            state[key] = option
            return


def keep_in_url(param: str, value: object) -> None:
    """After a page's widget: its value in the URL beside the sidebar's filters."""
    text = _url_text(value)
    if st.query_params.get(param) != text:
        st.query_params[param] = text


def _url_text(value: object) -> str:
    return "none" if value is None else str(value)


_URL_SEEDED = "_khi_url_seeded_"
