"""Pseudonymisation: raw respondent references never reach the store (spec §2.1)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from kpi.ingest import ingest_bytes, load_schemes
from kpi.privacy import SecretError, installation_secret, person_key
from kpi.store import Store
from tests.builders import kpi_main

# Distinctive enough that finding them anywhere can only mean they were stored.
REFS = ["NHS-9434765919-ZQX", "ZEBRA-QUOKKA-5521", "XYLOPHONE-REF-0007"]
CONTROL_FILE_NAME = "control-file-name-PLUMTREE-4417.csv"


def test_person_key_is_stable_per_scheme_and_ignores_case_and_spaces() -> None:
    secret = b"s" * 32
    key = person_key(secret, "SL001", "ab12")
    assert key == person_key(secret, "SL001", " AB12 ")
    assert len(key) == 32 and int(key, 16) >= 0
    assert key != person_key(secret, "SL002", "ab12")  # not linkable across schemes
    assert key != person_key(b"t" * 32, "SL001", "ab12")  # nor across installations
    assert "AB12" not in key and "ab12" not in key


def test_person_key_is_the_first_half_of_hmac_sha256_as_every_stored_key_was() -> None:
    """Keys already stored must still be found: the value is pinned (the first from
    ``printf 'SL001\\x1fAB12' | openssl dgst -sha256 -hmac sss...s``), the second
    with a secret longer than SHA-256's block."""
    assert person_key(b"s" * 32, "SL001", " ab12 ") == "e548c43c8f1cd2b615e0515418e1b23e"
    assert person_key(b"k" * 100, "SL002", REFS[0]) == "6d84ee5036da6fc69e049ba822e1c69d"


def test_the_installation_secret_lives_beside_the_store_readable_by_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KHI_SECRET", raising=False)
    monkeypatch.delenv("KHI_SECRET_FILE", raising=False)
    db = tmp_path / "khi.duckdb"
    first = installation_secret(db)
    path = tmp_path / "khi.duckdb.secret"
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert installation_secret(db) == first and len(first) >= 32


def _all_text_in_tables(store: Store) -> str:
    """Every text value of every table, one big string."""
    columns = store.query(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE data_type = 'VARCHAR'"
    )
    parts = []
    with store.reading():  # one connection for the lot
        for table, column in zip(columns["table_name"], columns["column_name"]):
            values = store.query(f'SELECT "{column}" AS v FROM "{table}"')["v"]
            parts += [str(v) for v in values]
    return "\n".join(parts)


def test_raw_references_are_nowhere_in_the_store(fresh_store: Store) -> None:
    load_schemes(fresh_store, b"scheme_id,name,region\nSL001,Alderley,North West\n")
    data = (
        "Your reference,Date completed,Who is answering?,How often do you feel lonely?\n"
        f"{REFS[0]},14/05/2026,I use Shared Lives,Never\n"
        f"{REFS[1]},15/05/2026,I use Shared Lives,Sometimes\n"  # set aside: bad label
        f"{REFS[2]},15/05/2099,I use Shared Lives,Never\n"  # set aside: future date
    ).encode()
    result = ingest_bytes(fresh_store, data, CONTROL_FILE_NAME, "SL001")
    assert (result.accepted, result.rejected) == (1, 2)
    # The user still gets their own references back, in memory, to fix the rows.
    assert result.set_aside["Your reference"].tolist() == REFS[1:]
    text = _all_text_in_tables(fresh_store)
    assert CONTROL_FILE_NAME in text  # the search does see stored text
    for ref in REFS:
        assert ref not in text and ref.lower() not in text
    with fresh_store.connect(write=True) as con:
        con.execute("CHECKPOINT")
    raw = b"".join(
        p.read_bytes() for p in fresh_store.path.parent.iterdir()
        if p.name.startswith(fresh_store.path.name) and not p.name.endswith(".secret")
    )
    assert CONTROL_FILE_NAME.encode() in raw  # the file search does see stored strings
    for ref in REFS:
        assert ref.encode() not in raw
        assert ref.encode("utf-16-le") not in raw


# ------------------------------------------------- the secret fails loud (issue 14) ---
ONE_ROW = (
    b"Your reference,Date completed,Who is answering?,How often do you feel lonely?\n"
    b"R1,14/05/2026,I use Shared Lives,Never\n"
)


def _store_with_keys(folder: Path) -> Store:
    store = Store(folder / "khi.duckdb")
    store.init()
    load_schemes(store, b"scheme_id,name,region\nSL001,Alderley,North West\n")
    assert ingest_bytes(store, ONE_ROW, "first.csv", "SL001").accepted == 1
    return store


def _responses(store: Store) -> int:
    return int(store.query("SELECT count(*) AS n FROM responses")["n"].iloc[0])


def test_a_missing_secret_is_not_replaced_once_person_keys_are_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KHI_SECRET", raising=False)
    monkeypatch.delenv("KHI_SECRET_FILE", raising=False)
    store = _store_with_keys(tmp_path)
    secret = tmp_path / "khi.duckdb.secret"
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    secret.unlink()
    with pytest.raises(SecretError, match=f"already holds .* must be at {secret}"):
        ingest_bytes(store, ONE_ROW.replace(b"R1,", b"R2,"), "second.csv", "SL001")
    assert not secret.exists() and _responses(store) == 1  # nothing new, nothing stored


@pytest.mark.parametrize("value", ["", "   ", "short-secret"])
def test_empty_or_short_secrets_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("KHI_SECRET", value)
    with pytest.raises(SecretError, match="KHI_SECRET is (empty|only 12 characters)"):
        installation_secret(tmp_path / "khi.duckdb")
    monkeypatch.delenv("KHI_SECRET")
    file = tmp_path / "khi.secret"
    file.write_text(value)
    file.chmod(0o600)
    monkeypatch.setenv("KHI_SECRET_FILE", str(file))
    with pytest.raises(SecretError, match=f"in {file} is (empty|only 12 characters)"):
        installation_secret(tmp_path / "khi.duckdb")


def _kpi(db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m kpi ARGS --db DB`` in process, with no secret but ``env``'s."""
    return kpi_main(*args, "--db", str(db), env={"KHI_SECRET": None, "KHI_SECRET_FILE": None,
                                                 **env})


def test_the_command_line_says_what_is_wrong_with_the_secret_without_a_traceback(
    tmp_path: Path,
) -> None:
    db = tmp_path / "khi.duckdb"
    (tmp_path / "register.csv").write_bytes(b"scheme_id,name,region\nSL001,Alderley,North West\n")
    (tmp_path / "one.csv").write_bytes(ONE_ROW)
    assert _kpi(db, "schemes", str(tmp_path / "register.csv")).returncode == 0
    # Unreadable: a folder where the secret file should be.
    (tmp_path / "khi.duckdb.secret").mkdir()
    done = _kpi(db, "ingest", str(tmp_path / "one.csv"), "--scheme", "SL001")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"secret at {tmp_path / 'khi.duckdb.secret'} cannot be read" in done.stderr
    (tmp_path / "khi.duckdb.secret").rmdir()
    done = _kpi(db, "ingest", str(tmp_path / "one.csv"), "--scheme", "SL001", KHI_SECRET="")
    assert done.returncode == 2 and "KHI_SECRET is empty" in done.stderr
    done = _kpi(db, "ingest", str(tmp_path / "one.csv"), "--scheme", "SL001")
    assert done.returncode == 0, done.stderr
    secret = tmp_path / "khi.duckdb.secret"
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    secret.unlink()
    (tmp_path / "two.csv").write_bytes(ONE_ROW.replace(b"R1,", b"R2,"))
    done = _kpi(db, "ingest", str(tmp_path / "two.csv"), "--scheme", "SL001")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "already holds pseudonymised references" in done.stderr
    assert "Put it back from the backup" in done.stderr


def test_a_different_secret_is_refused_by_its_fingerprint(
    fresh_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong backup of the secret file, or a KHI_SECRET that differs from the file,
    would give the same people new keys (40 people counted as 80): refused, saying
    which backup to restore; the store keeps the fingerprint, never the secret."""
    monkeypatch.delenv("KHI_SECRET", raising=False)
    monkeypatch.delenv("KHI_SECRET_FILE", raising=False)
    load_schemes(fresh_store, b"scheme_id,name,region\nSL001,Alderley,North West\n")
    ingest_bytes(fresh_store, ONE_ROW, "first.csv", "SL001")
    secret = fresh_store.path.with_name("khi.duckdb.secret")
    kept = fresh_store.meta("secret_fingerprint")
    assert kept and len(kept) == 16 and kept.encode() not in secret.read_bytes()
    assert secret.read_text().strip() not in _all_text_in_tables(fresh_store)

    monkeypatch.setenv("KHI_SECRET", "another-valid-secret-of-enough-length-0123")
    with pytest.raises(SecretError, match="not the one this store's people were") as caught:
        ingest_bytes(fresh_store, ONE_ROW.replace(b"R1,", b"R2,"), "second.csv", "SL001")
    assert "Restore the secret file from the backup" in str(caught.value)
    assert "khi.duckdb.secret" in str(caught.value) and "unset KHI_SECRET" in str(caught.value)
    monkeypatch.delenv("KHI_SECRET")
    original = secret.read_bytes()
    secret.write_bytes(b"a-wrong-backup-of-the-secret-0123456789abcdef")
    with pytest.raises(SecretError, match="not the one this store's people were"):
        ingest_bytes(fresh_store, ONE_ROW.replace(b"R1,", b"R2,"), "second.csv", "SL001")
    assert _responses(fresh_store) == 1  # nothing stored with either
    secret.write_bytes(original)
    ingest_bytes(fresh_store, ONE_ROW.replace(b"R1,", b"R2,"), "second.csv", "SL001")
    assert _responses(fresh_store) == 2


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_secret_file_others_may_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    monkeypatch.delenv("KHI_SECRET", raising=False)
    monkeypatch.delenv("KHI_SECRET_FILE", raising=False)
    db = tmp_path / "khi.duckdb"
    value = installation_secret(db)
    secret = tmp_path / "khi.duckdb.secret"
    secret.chmod(mode)
    with pytest.raises(SecretError, match=f"read or changed by others .*chmod 600 {secret}"):
        installation_secret(db)
    secret.chmod(0o600)
    assert installation_secret(db) == value
