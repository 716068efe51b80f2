"""Who may see and change what: the one place roles are decided.

A :class:`Scope` is what a signed-in person (or ``python -m kpi --as EMAIL``)
may reach. The engine never trusts a page to narrow its queries: callers turn
a Scope into the engine's :class:`~kpi.indicators.Filters` with
:meth:`Scope.restrict`, which sets ``Filters.scope`` (the scheme ids every
query keeps, in ``kpi.store.queries``) whatever region or scheme was
asked for. Benchmarks (England, a region, a support type) stay computed over
every scheme: they are published figures that name no scheme.

Roles (the users table in the store, matched on the sign-in email, any case):

- ``scheme``: their own schemes, named; upload and fix rows for them only.
- ``commissioner``: the schemes and regions granted, named; no uploads.
- ``board``: the board page and read-only pages for their area.
- ``admin``: everything: users, the scheme register, rollback.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass

from kpi.errors import KhiError
from kpi.indicators import Filters
from kpi.items import bank
from kpi.reach import Reach
from kpi.store import Store
from kpi.store.access import LastAdminError

# ------------------------------------------------------------------- roles ---
# The role names as stored in the users table; compare with these, never a literal.
SCHEME, COMMISSIONER, BOARD, ADMIN = "scheme", "commissioner", "board", "admin"


@dataclass(frozen=True)
class Role:
    """What one role may do, as data: every decision about a role reads this table.

    ``pages``: the page names its menu lists (the script pages/<name>.py); a page
    left out is not served to that role, whatever URL is typed. ``grant``: what a
    person of this role must be given: "none" (every scheme), "schemes" (their own
    schemes, no region) or "area" (schemes or regions; England for every scheme).
    """

    name: str
    pages: tuple[str, ...]
    grant: str
    may_upload: bool = False
    administers: bool = False
    landing: str = "overview"  # where a bare "/" opens


_READ = ("overview", "grid", "regions", "schemes", "indicator", "equity", "change", "drivers",
         "board", "yousaid")
# Every role's first page is the Overview, so a page has one address whoever opens it
# (the default page is served at "/" and nowhere else); ``landing`` says where a
# role opens on a bare "/": a board member on their board page.
ROLE_TABLE: dict[str, Role] = {
    r.name: r
    for r in (
        Role(SCHEME, ("overview", "grid", "schemes", "indicator", "equity", "change",
                      "drivers", "board", "yousaid", "upload", "rounds", "data_quality",
                      "definitions"),
             grant="schemes", may_upload=True),
        Role(COMMISSIONER, (*_READ, "data_quality", "definitions"), grant="area"),
        Role(BOARD, ("overview", "grid", "board", "yousaid", "indicator", "equity", "change",
                     "drivers", "definitions"), grant="area", landing="board"),
        Role(ADMIN, (*_READ, "upload", "rounds", "data_quality", "definitions", "admin"),
             grant="none", may_upload=True, administers=True),
    )
}
ROLES = tuple(ROLE_TABLE)
# The same table by page and landing, as callers written before it read them.
ROLE_PAGES: dict[str, tuple[str, ...]] = {name: r.pages for name, r in ROLE_TABLE.items()}
LANDING: dict[str, str] = {
    name: r.landing for name, r in ROLE_TABLE.items() if r.landing != "overview"
}

# A grant of every scheme (a national commissioner or the national body's board).
ENGLAND = "England"
# The sidebar's whole area, in words: all of England for those who see every
# scheme, the person's own schemes for everyone else (never "England" over them).
ALL_OF_ENGLAND = "All of England and nations"
ALL_YOURS = "All your schemes"
# The same, in a heading.
ENGLAND_AND_NATIONS = "England and the nations"
YOUR_SCHEMES = "Your schemes"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccessError(KhiError, ValueError):
    """A person asked for something their role does not allow (a message to show);
    one of the engine's own refusals, so pages and the command line catch it with
    the rest of the family."""


def normalise_email(email: str) -> str:
    """Emails match ignoring case and surrounding spaces (OIDC ``email`` claims vary).

    Look-alike forms are refused (AccessError), not folded: an email that Unicode
    normalisation (NFKC) changes, or with a character that lower-cases to plain
    ASCII (the Kelvin sign U+212A becomes "k"), would otherwise match someone else;
    invisible, combining or space characters outside ASCII are refused too.
    """
    text = str(email).strip()
    if unicodedata.normalize("NFKC", text) != text or any(
        not ch.isascii()
        and (any(low.isascii() for low in ch.lower()) or unicodedata.category(ch)[0] in "CMZ")
        for ch in text
    ):
        raise AccessError(
            f"{text!r} holds look-alike characters (not the plain letters people type): "
            "give the email address exactly as the sign-in provider has it."
        )
    return text.lower()


@dataclass(frozen=True)
class Scope:
    """What one person may reach. ``role`` None: signed in but given no role yet.

    ``scheme_ids`` and ``regions`` are the grants as stored; :meth:`allowed`
    turns them into scheme ids with the register (a region's schemes today).
    """

    role: str | None
    email: str | None = None
    scheme_ids: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    @property
    def role_entry(self) -> Role | None:
        """This person's row of :data:`ROLE_TABLE` (None without a role)."""
        return ROLE_TABLE.get(self.role or "")

    @property
    def is_admin(self) -> bool:
        return self.role_entry is not None and self.role_entry.administers

    @property
    def sees_all(self) -> bool:
        """Administrators, and those granted an area that is all of England."""
        entry = self.role_entry
        return entry is not None and (
            entry.grant == "none" or (entry.grant == "area" and ENGLAND in self.regions)
        )

    @property
    def may_upload(self) -> bool:
        return self.role_entry is not None and self.role_entry.may_upload

    @property
    def may_roll_back(self) -> bool:
        return self.is_admin

    @property
    def pages(self) -> tuple[str, ...]:
        """The page names this person's menu lists (none without a role)."""
        return self.role_entry.pages if self.role_entry else ()

    def allowed(self, store: Store) -> Reach:
        """The schemes this person may see, as one :class:`~kpi.reach.Reach`.

        Nobody without a role sees any scheme; a grant of a region that has no
        registered schemes yet is an empty reach, never "every scheme".
        """
        if self.sees_all:
            return Reach.everything()
        if self.role is None:
            return Reach.nothing()
        ids = set(self.scheme_ids)
        if self.regions and self.role_entry and self.role_entry.grant == "area":
            register = store.schemes()
            ids |= set(register.loc[register["region"].isin(self.regions), "scheme_id"])
        return Reach.only(ids)

    def restrict(self, filters: Filters | None, reach: Reach) -> Filters:
        """``filters`` narrowed to ``reach`` (from :meth:`allowed`), whatever they ask.

        An existing ``Filters.scope`` is intersected, never widened.
        """
        filters = filters or Filters()
        if reach.every:
            return filters
        keep = reach.scheme_filter or ()
        if filters.scope is not None:
            keep = reach.keep(filters.scope)
        return dataclasses.replace(filters, scope=tuple(keep))

    def check_upload(self, scheme_id: str | None, reach: Reach) -> None:
        """Refuse an upload this person may not make (before anything is read)."""
        if not self.may_upload:
            raise AccessError("Your role may not upload: ask an administrator.")
        if not reach.every and (scheme_id is None or not reach.includes(scheme_id)):
            raise AccessError(
                "You may upload only for your own schemes: choose one of them."
            )


# The scope of the command line and of the dashboard in local mode (no sign-in).
LOCAL_ADMIN = Scope(role=ADMIN, email=None)


def scope_for(store: Store, email: str | None) -> Scope:
    """The Scope of the person signed in as ``email`` (no role when not in the table)."""
    if not email:
        return Scope(role=None, email=None)
    try:
        email = normalise_email(email)
    except AccessError:  # a look-alike of someone's email: nobody's role
        return Scope(role=None, email=None)
    row = store.user(email)
    if row is None:
        return Scope(role=None, email=email)
    return Scope(
        role=row["role"],
        email=row["email"],
        scheme_ids=tuple(row["scheme_ids"]),
        regions=tuple(row["regions"]),
    )


# ------------------------------------------------------------------- users ---
def add_user(
    store: Store,
    email: str,
    role: str,
    scheme_ids: list[str] | tuple[str, ...] = (),
    regions: list[str] | tuple[str, ...] = (),
    *,
    by: str,
) -> Scope:
    """Add or replace one person's role after checking every grant; returns their Scope.

    Refused (AccessError, nothing stored): a malformed email, an unknown role,
    a scheme not in the register, an unknown region, a scheme user without a
    scheme, a commissioner or board without an area, grants for an administrator,
    another role for the only administrator (nobody could then manage users).
    """
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise AccessError(f"{email!r} is not an email address: give the one people sign in with.")
    if role not in ROLES:
        raise AccessError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    schemes = tuple(dict.fromkeys(s.strip() for s in scheme_ids if s.strip()))
    wanted_regions = tuple(dict.fromkeys(r.strip() for r in regions if r.strip()))
    names = {n.lower(): n for n in bank().region_names}
    names.update({r.code.lower(): r.name for r in bank().regions})
    names[ENGLAND.lower()] = ENGLAND
    unknown_regions = [r for r in wanted_regions if r.lower() not in names]
    if unknown_regions:
        raise AccessError(
            f"Unknown region {unknown_regions[0]!r}: use {ENGLAND} (every scheme) or one of "
            + ", ".join(bank().region_names) + "."
        )
    region_names = tuple(names[r.lower()] for r in wanted_regions)
    if schemes:
        known = store.scheme_ids() if store.exists() else set()
        missing = [s for s in schemes if s not in known]
        if missing:
            raise AccessError(
                f"Scheme {missing[0]!r} is not in the register: load the register first "
                "(`python -m kpi schemes FILE`) or check the id."
            )
    grant = ROLE_TABLE[role].grant
    if grant == "none" and (schemes or region_names):
        raise AccessError("An administrator sees every scheme: give no --scheme or --region.")
    if grant == "schemes" and (not schemes or region_names):
        raise AccessError("A scheme user needs their --scheme ID (one or more) and no --region.")
    if grant == "area" and not (schemes or region_names):
        raise AccessError(
            f"A {role} needs an area: --scheme ID or --region NAME (--region {ENGLAND} for "
            "every scheme)."
        )
    try:
        store.put_user(email, role, schemes, region_names, by=by)
    except LastAdminError as exc:
        raise AccessError(str(exc)) from exc
    return Scope(role=role, email=email, scheme_ids=schemes, regions=region_names)


def remove_user(store: Store, email: str, *, by: str) -> None:
    """Remove one person's role (they keep signing in, and see whom to ask).

    Refused (AccessError) for the only administrator: with sign-in on, nobody
    could then add or change users from the dashboard.
    """
    email = normalise_email(email)
    try:
        found = store.remove_user(email, by=by)
    except LastAdminError as exc:
        raise AccessError(str(exc)) from exc
    if not found:
        raise AccessError(f"There is no user {email!r}. `python -m kpi users list` lists them.")
