"""Backup and restore: the store and its secret, copied whole, with a manifest that
proves the copy (rows per table, checksums, schema version).

Why both files: a store without its secret cannot take another upload (every
person key would change), and a secret without its store holds nothing. A backup
is written into a new folder; its manifest is written last, so a folder without
one is a backup that did not finish. A restore checks every checksum and count
before anything is put in place, and goes to a new path unless told to replace.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb

from kpi.errors import KhiError
from kpi.paths import secret_path
from kpi.privacy import installation_secret
from kpi.store import SCHEMA_VERSION, Store, owner_only

MANIFEST = "manifest.json"
STORE_FILE = "khi.duckdb"
SECRET_FILE = "khi.duckdb.secret"
FORMAT = "khi-backup 1"


class BackupError(KhiError):
    """A backup cannot be made, or cannot be restored (a message to show)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _private_write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def backup(store: Store, directory: Path) -> dict:
    """Copy the store and its secret into ``directory`` (new or empty), then write the
    manifest. Safe while the dashboard runs: the copy is DuckDB's own, under one read
    connection (writers wait for it), so it holds whole uploads only."""
    directory = Path(directory)
    if not store.exists():
        raise BackupError(f"There is no store at {store.path} to back up.")
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(
            f"{directory} is not empty: give a new folder for each backup (for example one "
            "named by the date), so an older backup is never overwritten."
        )
    secret = installation_secret(store.path)  # refused first: no folder left behind
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)  # the answers and the secret: their owner only
    partial = directory / (STORE_FILE + ".partial")
    counts = store.copy_to(partial)
    owner_only(partial)
    copy = Store(partial)
    version = copy.schema_version()
    os.replace(partial, directory / STORE_FILE)
    _private_write(directory / SECRET_FILE, secret)
    manifest = {
        "format": FORMAT,
        "made_at": dt.datetime.now().isoformat(timespec="seconds"),
        "source": str(store.path),
        "schema_version": version,
        "duckdb_version": duckdb.__version__,
        "tables": counts,
        "files": {
            name: {"sha256": _sha256(directory / name),
                   "bytes": (directory / name).stat().st_size}
            for name in (STORE_FILE, SECRET_FILE)
        },
    }
    temporary = directory / (MANIFEST + ".partial")
    _private_write(temporary, json.dumps(manifest, indent=2).encode())
    os.replace(temporary, directory / MANIFEST)
    return manifest


def backup_words(manifest: dict, directory: Path) -> str:
    tables = manifest["tables"]
    size = manifest["files"][STORE_FILE]["bytes"] / 1e6
    return (
        f"Backup written to {directory} ({size:.1f} MB): {tables.get('responses', 0)} "
        f"responses, {tables.get('response_history', 0)} earlier answers, "
        f"{tables.get('uploads', 0)} uploads, schema version {manifest['schema_version']}, "
        f"with the secret and {MANIFEST}. Keep it as safe as the store: it holds both."
    )


def read_manifest(directory: Path) -> dict:
    """The backup's manifest, checked against its files (checksums and sizes)."""
    directory = Path(directory)
    where = directory / MANIFEST
    if not directory.is_dir():
        raise BackupError(f"There is no backup folder at {directory}. Nothing was restored.")
    try:
        manifest = json.loads(where.read_text(encoding="utf-8"))
        files = manifest["files"]
        tables = {str(k): int(v) for k, v in manifest["tables"].items()}
        version = int(manifest["schema_version"])
    except FileNotFoundError:
        raise BackupError(
            f"{directory} is not a complete backup: it has no {MANIFEST} (a backup writes "
            "it last, so this one did not finish, or the folder is not a backup). Use "
            "another backup. Nothing was restored."
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(
            f"The backup in {directory} is damaged: its {MANIFEST} cannot be read ({exc}). "
            "Use another backup. Nothing was restored."
        ) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{directory} was not made by `python -m kpi backup` ({FORMAT}).")
    if version > SCHEMA_VERSION:
        raise BackupError(
            f"The backup in {directory} has schema version {version}, newer than this "
            f"program's ({SCHEMA_VERSION}): restore it with the version that made it."
        )
    for name in (STORE_FILE, SECRET_FILE):
        path = directory / name
        expected = files.get(name) or {}
        if not path.is_file():
            raise BackupError(
                f"The backup in {directory} is damaged: {name} is missing. Use another "
                "backup. Nothing was restored."
            )
        if path.stat().st_size != expected.get("bytes") or _sha256(path) != expected.get(
            "sha256"
        ):
            raise BackupError(
                f"The backup in {directory} is damaged: {name} does not match the checksum "
                f"in its {MANIFEST} (it changed after the backup was made, or was copied "
                "only in part). Use another backup. Nothing was restored."
            )
    manifest["tables"] = tables
    return manifest


def restore(directory: Path, target: Path, replace: bool = False) -> dict:
    """Check the backup in ``directory`` and put it at ``target`` with its secret.

    Refuses a damaged backup, and a ``target`` (or a secret beside it) that exists
    unless ``replace``: restoring over a live store loses what it gained since.
    """
    directory, target = Path(directory), Path(target)
    manifest = read_manifest(directory)
    secret = (directory / SECRET_FILE).read_bytes().strip()
    key_file = secret_path(target)
    if not replace:
        if target.exists():
            raise BackupError(
                f"There is already a store at {target}: restore into a new path (--db NEW), "
                "check it, then point the dashboard at it (KHI_DB). To overwrite this one, "
                "stop the dashboard and add --replace. Nothing was restored."
            )
        if key_file.exists() and key_file.read_bytes().strip() != secret:
            raise BackupError(
                f"There is already a different secret at {key_file}: restore into another "
                "folder, or add --replace. Nothing was restored."
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.restoring")
    staging.unlink(missing_ok=True)
    shutil.copyfile(directory / STORE_FILE, staging)
    owner_only(staging)
    try:
        copy = Store(staging)
        found = copy.table_counts()
        version = copy.schema_version()
    except duckdb.Error as exc:
        staging.unlink(missing_ok=True)
        raise BackupError(
            f"The backup in {directory} is damaged: its store cannot be opened ({exc}). "
            "Use another backup. Nothing was restored."
        ) from exc
    if found != manifest["tables"] or version != manifest["schema_version"]:
        staging.unlink(missing_ok=True)
        raise BackupError(
            f"The backup in {directory} is damaged: its store holds {found}, its manifest "
            f"says {manifest['tables']}. Use another backup. Nothing was restored."
        )
    if target.exists():
        Store(target).checkpoint()  # waits for a writer, and empties the old log
    Path(str(target) + ".wal").unlink(missing_ok=True)  # never replayed on the new file
    os.replace(staging, target)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_staging = key_file.with_name(f".{key_file.name}.restoring")
    key_staging.unlink(missing_ok=True)
    _private_write(key_staging, secret)
    os.replace(key_staging, key_file)
    Store(target).ensure()  # an older backup is upgraded to this program's schema
    return manifest


def restore_words(manifest: dict, target: Path) -> str:
    tables = manifest["tables"]
    return (
        f"Restored the backup made {manifest['made_at']} to {target}: checksums and row "
        f"counts match its manifest ({tables.get('responses', 0)} responses, "
        f"{tables.get('uploads', 0)} uploads), with its secret at {secret_path(target)}."
    )
