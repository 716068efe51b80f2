"""Every path the project uses, built in one place from this file's location."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
BANK_DIR = PACKAGE_DIR / "bank"
DATA_DIR = PROJECT_DIR / "data"
DEFAULT_DB = DATA_DIR / "khi.duckdb"


def default_db_path() -> Path:
    """The store to use: ``KHI_DB`` when set, else ``data/khi.duckdb``."""
    return Path(os.environ.get("KHI_DB") or DEFAULT_DB)


def secret_path(db_path: Path) -> Path:
    """Where the installation secret lives: beside the store, never inside it.

    ``KHI_SECRET_FILE`` overrides the location; ``KHI_SECRET`` (the value itself)
    overrides the file altogether (see :mod:`kpi.privacy`).
    """
    override = os.environ.get("KHI_SECRET_FILE")
    if override:
        return Path(override)
    return Path(db_path).with_name(Path(db_path).name + ".secret")
