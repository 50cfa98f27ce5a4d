"""Key files on disk: 0600 from birth, never overwritten, refused when exposed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from intentcast.protocol import KeyFileError
from intentcast.store import InsecureKeyFile, KeyFileExists, read_key_file, write_key_file

SEED = bytes(range(32))


def test_written_key_file_is_private_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "seed.key"
    old = os.umask(0)  # even a permissive umask must not widen it
    try:
        write_key_file(path, "customer-seed", SEED)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path, expect_kind="customer-seed") == SEED
    assert [p.name for p in tmp_path.iterdir()] == ["seed.key"]  # no temp file left


def test_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "seed.key"
    write_key_file(path, "customer-seed", SEED)
    with pytest.raises(KeyFileExists):
        write_key_file(path, "customer-seed", bytes(32))
    assert read_key_file(path) == SEED


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "seed.key"
    write_key_file(path, "vendor-seed", SEED)
    path.chmod(mode)
    with pytest.raises(InsecureKeyFile, match="chmod 600"):
        read_key_file(path)


def test_damaged_key_file_names_the_file_not_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "seed.key"
    write_key_file(path, "vendor-seed", SEED)
    path.write_bytes(path.read_bytes().replace(b"check = ", b"check = 0"))
    with pytest.raises(KeyFileError) as err:
        read_key_file(path)
    assert str(path) in str(err.value)
    assert SEED.hex() not in str(err.value)
