"""Sign-in identity (issue 21): which claims make a session a user, and which never do.

The claims are what Streamlit's ``st.user`` holds after an OpenID Connect sign-in
(the ID token's claims); the browser test (tests/browser/test_signin.py) sends the
same tricks through a real provider.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from kpi.identity import (
    Identity,
    identity_from_claims,
    is_signed_out,
    scope_for_identity,
    sign_out,
)
from kpi.scope import AccessError, add_user, normalise_email, scope_for
from kpi.store import Store

ISSUER = "https://login.example/tenant"
KELVIN = "\u212a"  # KELVIN SIGN: lower-cases to a plain "k"


def claims(email: str, sub: str = "sub-kate", verified: object = True, **more) -> dict:
    now = dt.datetime.now(dt.UTC).timestamp()
    return {"email": email, "email_verified": verified, "iss": ISSUER, "sub": sub,
            "iat": int(now), **more}


@pytest.fixture
def store(fresh_store: Store) -> Store:
    add_user(fresh_store, "Kate@example.org", "admin", by="test")
    # A second administrator: the only one can be neither removed nor demoted.
    add_user(fresh_store, "deputy@example.org", "admin", by="test")
    return fresh_store


@pytest.mark.parametrize("flag", ["false", "true", "False", 1, 0, None, [True], {"v": True}])
def test_only_the_boolean_true_verifies_an_email(flag: object) -> None:
    assert identity_from_claims(claims("kate@example.org", verified=flag)) is None


def test_entra_ids_domain_owner_claim_is_its_equivalent() -> None:
    entra = {k: v for k, v in claims("kate@example.org").items() if k != "email_verified"}
    assert identity_from_claims(entra) is None
    assert identity_from_claims({**entra, "xms_edov": "true"}) is None
    assert identity_from_claims({**entra, "xms_edov": True}).email == "kate@example.org"
    # A provider that says "not verified" is not overruled by the other claim.
    assert identity_from_claims({**entra, "xms_edov": True, "email_verified": False}) is None


@pytest.mark.parametrize(
    "lookalike",
    [
        f"{KELVIN}ate@example.org",  # Kelvin sign
        "\uff4bate@example.org",  # fullwidth k
        "kate@example.org\u200b",  # zero-width space (NFKC keeps it; non-ASCII)
        "kate\uff20example.org",  # fullwidth @
        "\u0130kate@example.org",  # dotted capital I: lower-cases to i + a dot
        "ka\u0301te@example.org",  # combining accent: NFKC composes it
    ],
)
def test_lookalike_emails_are_refused_not_folded(store: Store, lookalike: str) -> None:
    with pytest.raises(AccessError, match="look-alike"):
        normalise_email(lookalike)
    assert identity_from_claims(claims(lookalike)) is None
    assert scope_for(store, lookalike).role is None
    with pytest.raises(AccessError):
        add_user(store, lookalike, "admin", by="test")


def test_a_plain_non_ascii_email_still_matches_itself(fresh_store: Store) -> None:
    add_user(fresh_store, "José@Example.org", "admin", by="test")
    assert scope_for(fresh_store, "josé@example.org").role == "admin"


def test_first_sign_in_binds_the_subject_and_a_second_subject_gets_nothing(store: Store) -> None:
    kate = identity_from_claims(claims("KATE@example.org", sub="sub-kate"))
    assert scope_for_identity(store, kate).role == "admin"
    row = store.user("kate@example.org")
    assert (row["issuer"], row["subject"]) == (ISSUER, "sub-kate")

    # Another account (or tenant) whose email claim is Kate's gets no role.
    other = identity_from_claims(claims("kate@example.org", sub="sub-mallory"))
    assert scope_for_identity(store, other).role is None
    same_sub_other_issuer = Identity("kate@example.org", "https://evil.example", "sub-kate")
    assert scope_for_identity(store, same_sub_other_issuer).role is None
    # Kate herself still matches, by subject, even after her email claim changed.
    renamed = identity_from_claims(claims("kate.new@example.org", sub="sub-kate"))
    assert scope_for_identity(store, renamed).role == "admin"


def test_a_changed_role_keeps_the_bound_subject(store: Store) -> None:
    scope_for_identity(store, identity_from_claims(claims("kate@example.org")))
    add_user(store, "kate@example.org", "board", regions=["England"], by="test")
    assert store.user("kate@example.org")["subject"] == "sub-kate"
    other = identity_from_claims(claims("kate@example.org", sub="sub-mallory"))
    assert scope_for_identity(store, other).role is None


def test_a_removed_user_has_no_role_by_subject_either(store: Store) -> None:
    kate = identity_from_claims(claims("kate@example.org"))
    assert scope_for_identity(store, kate).role == "admin"
    store.remove_user("kate@example.org", by="test")
    assert scope_for_identity(store, kate).role is None


def test_sign_out_ends_sessions_issued_before_it(store: Store) -> None:
    earlier = dt.datetime.now(dt.UTC).timestamp() - 60
    old = identity_from_claims(claims("kate@example.org", iat=int(earlier)))
    assert scope_for_identity(store, old).role == "admin"
    sign_out(store, old)
    assert is_signed_out(store, old)
    assert scope_for_identity(store, old).role is None
    later = identity_from_claims(claims("kate@example.org", iat=int(earlier) + 3600))
    assert not is_signed_out(store, later)
    assert scope_for_identity(store, later).role == "admin"


def test_a_store_from_before_subjects_is_upgraded(tmp_path) -> None:
    """An old users table (no issuer, subject, signed_out_at) keeps its users and
    gains the columns at ``ensure``."""
    store = Store(tmp_path / "old.duckdb")
    store.init()
    with duckdb.connect(str(store.path)) as con:
        for column in ("issuer", "subject", "signed_out_at"):
            con.execute(f"ALTER TABLE users DROP COLUMN {column}")
        con.execute(
            "INSERT INTO users VALUES ('kate@example.org', 'admin', [], [], 'test', now())"
        )
    assert not store.has_access_tables()
    assert store.user_by_subject(ISSUER, "sub-kate") is None  # readable before
    store.ensure()
    assert store.has_access_tables()
    kate = identity_from_claims(claims("kate@example.org"))
    assert scope_for_identity(store, kate).role == "admin"
    assert store.user("kate@example.org")["subject"] == "sub-kate"
