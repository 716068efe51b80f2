"""Pseudonymisation: the raw respondent reference is never stored.

A person key is HMAC-SHA256(installation secret, scheme id + reference), so
the same person links across quarters within a scheme, but the key cannot be
reversed or linked across installations without the secret. The secret lives
outside the database (beside it, mode 0600), created on first use;
``KHI_SECRET`` overrides it (RFC 2104 HMAC; NIST SP 800-188 on pseudonymisation).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from kpi.paths import secret_path


def installation_secret(db_path: str | Path) -> bytes:
    """The installation's secret key, created on first use."""
    from_env = os.environ.get("KHI_SECRET")
    if from_env:
        return from_env.encode("utf-8")
    path = secret_path(Path(db_path))
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    return value


def normalise_reference(ref: object) -> str:
    """References match ignoring case and surrounding spaces ("ab12 " == "AB12")."""
    return str(ref).strip().upper()


def person_key(secret: bytes, scheme_id: str, ref: object) -> str:
    """The stored key for one person of one scheme (32 hex characters)."""
    message = f"{scheme_id}\x1f{normalise_reference(ref)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def person_keys(secret: bytes, scheme_id: str, refs: Iterable[object]) -> list[str]:
    return [person_key(secret, scheme_id, ref) for ref in refs]
