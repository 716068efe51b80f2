"""Who a signed-in session is: the provider's claims turned into a Scope.

Why not the email alone: any account whose provider lets people set their own
email claim would become whoever holds that email. So an email is trusted only
when the provider says it verified it (``email_verified`` the boolean true, or
Entra ID's ``xms_edov``), look-alike emails are refused (``normalise_email``),
and at a user's first sign-in the provider's subject (``iss`` + ``sub``) is
bound to them: from then on only that subject is that user, whatever email any
other account claims.

Sign-out is kept in the store (``users.signed_out_at``): a session whose ID
token was issued (``iat``) before the person's last sign-out is refused, so a
copied cookie ends with the session it was copied from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from kpi.errors import KhiError
from kpi.scope import AccessError, Scope, normalise_email, scope_for
from kpi.store import Store


@dataclass(frozen=True)
class Identity:
    """The claims a sign-in is matched on (from the provider's ID token)."""

    email: str | None
    issuer: str | None = None
    subject: str | None = None
    issued_at: dt.datetime | None = None  # the ID token's ``iat``, UTC, naive


def verified_email(claims: Mapping[str, object]) -> str | None:
    """The email claim when the provider vouches for it, else None.

    Only the JSON boolean true counts: the string "false" (or "true", or 1) is a
    provider or proxy that cannot be trusted to have checked. Entra ID sends no
    ``email_verified``; its ``xms_edov`` (email domain owner verified) optional
    claim, set to true, is its documented equivalent (see the README).
    """
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        return None
    verified = claims.get("email_verified")
    if verified is True or (verified is None and claims.get("xms_edov") is True):
        return email
    return None


def identity_from_claims(claims: Mapping[str, object]) -> Identity | None:
    """The Identity of a signed-in session's claims; None when its email is not
    verified or is a look-alike (the session gets no role)."""
    email = verified_email(claims)
    if email is None:
        return None
    try:
        email = normalise_email(email)
    except AccessError:
        return None
    issuer, subject, issued = claims.get("iss"), claims.get("sub"), claims.get("iat")
    issued_at = None
    if isinstance(issued, int | float) and not isinstance(issued, bool):
        issued_at = dt.datetime.fromtimestamp(issued, dt.UTC).replace(tzinfo=None)
    return Identity(
        email=email,
        issuer=issuer if isinstance(issuer, str) and issuer else None,
        subject=subject if isinstance(subject, str) and subject else None,
        issued_at=issued_at,
    )


def scope_for_identity(store: Store, who: Identity | None) -> Scope:
    """The Scope of a signed-in session (no role unless every check passes).

    - matched on the bound subject first (the person, whatever email they now have);
    - else on the email, when that user has no bound subject yet: then this subject
      is bound to them (their first sign-in);
    - a user bound to another subject, or a session issued before the user's last
      sign-out, gets no role.
    """
    if who is None or who.email is None:
        return Scope(role=None, email=None)
    if who.issuer is None or who.subject is None:
        return Scope(role=None, email=who.email)  # an ID token always has both
    row = store.user_by_subject(who.issuer, who.subject)
    if row is None:
        row = store.user(who.email)
        if row is None:
            return Scope(role=None, email=who.email)
        if row.get("subject") is not None:  # someone else signed in as them first
            return Scope(role=None, email=who.email)
        try:
            if not store.bind_subject(who.email, who.issuer, who.subject):
                return Scope(role=None, email=who.email)  # bound meanwhile, by another
        except KhiError:
            # The store is busy: this sign-in is the user's by their verified email,
            # as before subjects; the binding is tried again at the next visit.
            pass
    signed_out = row.get("signed_out_at")
    if _signed_out_since(signed_out, who.issued_at):
        return Scope(role=None, email=None)
    return scope_for(store, str(row["email"]))


def _signed_out_since(signed_out: object, issued_at: dt.datetime | None) -> bool:
    """Whether the person signed out after this session's token was issued."""
    if signed_out is None or signed_out != signed_out:  # None or NaT
        return False
    if issued_at is None:  # a token without iat cannot be shown to be newer
        return True
    return issued_at <= signed_out


def sign_out(store: Store, who: Identity | None) -> None:
    """End every session of this person issued until now (their cookies are refused)."""
    if who is None or who.issuer is None or who.subject is None:
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store.record_sign_out(who.issuer, who.subject, now)


def is_signed_out(store: Store, who: Identity | None) -> bool:
    """Whether this session ended at a sign-out (for a check outside the page run)."""
    if who is None or who.issuer is None or who.subject is None:
        return False
    row = store.user_by_subject(who.issuer, who.subject)
    return row is not None and _signed_out_since(row.get("signed_out_at"), who.issued_at)
