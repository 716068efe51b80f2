"""Pseudonymisation: the raw respondent reference is never stored.

A person key is HMAC-SHA256(installation secret, scheme id + reference), so
the same person links across quarters within a scheme, but the key cannot be
reversed or linked across installations without the secret. The secret lives
outside the database (beside it, mode 0600: a file others may read is refused),
created on first use; ``KHI_SECRET`` overrides it (RFC 2104 HMAC; NIST SP 800-188
on pseudonymisation). The store keeps the secret's fingerprint, never the secret,
so a different secret is refused instead of counting everyone twice.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import duckdb

from kpi.errors import KhiError
from kpi.paths import secret_path

# Shorter than this is refused: a guessable secret lets anyone with the store
# recompute every person key from the references (token_hex(32) gives 64).
MIN_SECRET_CHARS = 24


class SecretError(KhiError, ValueError):
    """The pseudonymisation secret is missing, too short or unreadable (a message to show)."""


def installation_secret(db_path: str | Path) -> bytes:
    """The installation's secret key, created on first use (mode 0600).

    Fails loud rather than quietly making a new one: when the store already
    holds person keys and the secret is gone, a new secret would stop people
    linking across quarters (counted twice), so nothing is stored until the
    secret is back. Empty or short secrets are refused (``MIN_SECRET_CHARS``).
    """
    if "KHI_SECRET" in os.environ:
        value = _checked(os.environ["KHI_SECRET"].encode("utf-8"), "KHI_SECRET")
        return _matching(db_path, value, "KHI_SECRET")
    path = secret_path(Path(db_path))
    try:
        found = path.read_bytes().strip()
        _owner_only(path)
        return _matching(db_path, _checked(found, str(path)), str(path))
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise SecretError(
            f"The pseudonymisation secret at {path} cannot be read ({exc.strerror}). Make it "
            "readable by the user running the dashboard (and by nobody else: chmod 600), or "
            "set KHI_SECRET_FILE to where it is. Nothing was stored."
        ) from exc
    if _has_person_keys(Path(db_path)):
        raise SecretError(
            f"The store {db_path} already holds pseudonymised references, but its secret is "
            f"missing: it must be at {path} (or named by KHI_SECRET_FILE, or given in "
            "KHI_SECRET). Put it back from the backup kept with the store; a new secret "
            "would stop people linking across quarters. Nothing was stored."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise SecretError(
            f"The pseudonymisation secret cannot be created at {path} ({exc.strerror}). "
            "Check that folder is writable, or set KHI_SECRET_FILE. Nothing was stored."
        ) from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    return _matching(db_path, value, str(path))


# A label only this use of the secret hashes: the fingerprint is HMAC(secret, label),
# so it tells two secrets apart and reveals nothing of either.
_FINGERPRINT_LABEL = b"khi: which secret made this store's person keys (v1)"
FINGERPRINT_KEY = "secret_fingerprint"


def secret_fingerprint(secret: bytes) -> str:
    """What the store keeps of its secret (16 hex characters): never the secret."""
    return hmac.new(secret, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def _matching(db_path: str | Path, value: bytes, where: str) -> bytes:
    """``value``, when it is the secret the store's person keys were made with.

    Why: another valid secret (a wrong backup, a ``KHI_SECRET`` that differs from the
    file) gives every person a new key, so the same people would be counted twice,
    silently. The store keeps the secret's fingerprint from its first use (a store
    from before fingerprints records the one in use at its next upload); a different
    one is refused.
    """
    from kpi.store import Store

    store = Store(db_path)
    if not store.exists():
        return value
    mine = secret_fingerprint(value)
    try:
        kept = store.meta(FINGERPRINT_KEY)
        if kept is None:
            store.put_meta(FINGERPRINT_KEY, mine)
            return value
    except duckdb.CatalogException:  # a store without tables yet: nothing to match
        return value
    except KhiError:  # busy, a full disk, read-only: its own message says what to do
        raise
    except (duckdb.Error, RuntimeError) as exc:
        raise SecretError(
            f"The store {db_path} could not be checked against the pseudonymisation "
            f"secret ({exc}). Try again in a minute. Nothing was stored."
        ) from exc
    if kept != mine:
        raise SecretError(
            f"The pseudonymisation secret in {where} is not the one this store's people "
            f"were pseudonymised with (its fingerprint is {mine}; the store {db_path} "
            f"expects {kept}). Restore the secret file from the backup taken together with "
            f"this store (the {secret_path(Path(db_path)).name} saved beside that copy of "
            f"{Path(db_path).name}), or unset KHI_SECRET if it differs from that file. "
            "A different secret would count every person twice. Nothing was stored."
        )
    return value


def _owner_only(path: Path) -> None:
    """Refuse a secret file others may read or change, as SSH refuses a private key.

    Why refuse, not fix: a secret that was readable may already be copied, and its
    owner should know (``chmod 600`` it, and consider whether it leaked).
    """
    info = path.stat()
    if info.st_mode & 0o077:
        raise SecretError(
            f"The pseudonymisation secret at {path} can be read or changed by others "
            f"(mode {oct(info.st_mode & 0o777)[2:]}): anyone who reads it can re-identify "
            f"people from their references. Make it private with `chmod 600 {path}` (and "
            "ask whether it was copied meanwhile). Nothing was stored."
        )


def _checked(value: bytes, where: str) -> bytes:
    if len(value.strip()) < MIN_SECRET_CHARS:
        state = "empty" if not value.strip() else f"only {len(value.strip())} characters"
        raise SecretError(
            f"The pseudonymisation secret in {where} is {state}: it needs at least "
            f"{MIN_SECRET_CHARS} (make one with `python -c \"import secrets; "
            "print(secrets.token_hex(32))\"`). Nothing was stored."
        )
    return value


def _has_person_keys(db_path: Path) -> bool:
    """Whether the store holds any person key (responses or their history).

    Refuses when the store cannot be read now: a wrong "no" would make a new
    secret for old keys.
    """
    if not db_path.exists():
        return False
    from kpi.store import Store

    try:
        stored = Store(db_path).person_key_rows()
    except duckdb.CatalogException:  # a store without tables yet
        return False
    except (duckdb.Error, RuntimeError) as exc:  # busy: a wrong "no" would cost the links
        raise SecretError(
            f"The pseudonymisation secret is missing at {secret_path(db_path)}, and the store "
            f"could not be checked for existing person keys ({exc}). Try again in a minute. "
            "Nothing was stored."
        ) from exc
    return stored > 0


def normalise_reference(ref: object) -> str:
    """References match ignoring case and surrounding spaces ("ab12 " == "AB12")."""
    return str(ref).strip().upper()


def person_key(secret: bytes, scheme_id: str, ref: object) -> str:
    """The stored key for one person of one scheme (32 hex characters)."""
    message = f"{scheme_id}\x1f{normalise_reference(ref)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def person_keys(secret: bytes, scheme_id: str, refs: Iterable[object]) -> list[str]:
    return [person_key(secret, scheme_id, ref) for ref in refs]


def key_for_reference(db_path: str | Path, scheme_id: str, ref: object) -> str:
    """The key one person's answers are stored under, worked out from their scheme,
    their reference and the installation secret, as an upload works it out (a request
    to see or erase their answers names the reference; the key is never stored as given).
    """
    if not normalise_reference(ref):
        raise KhiError("Give the person's reference (the scheme's own ID for them).")
    return person_key(installation_secret(db_path), scheme_id, ref)
