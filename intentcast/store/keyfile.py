"""Key files on disk: written atomically with mode 0600, refused when other
users can read them.

The format itself (text, with a checksum) is
:func:`intentcast.protocol.encode_key_file`; this module owns only the I/O.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from intentcast.protocol import decode_key_file, encode_key_file
from intentcast.protocol.errors import KeyFileError


class KeyFileExists(FileExistsError):
    """Refusing to overwrite an existing key file (it may hold the only copy of a seed)."""


class InsecureKeyFile(PermissionError):
    """A key file that users other than its owner can read or write."""


def write_key_file(path: Path, kind: str, seed: bytes) -> None:
    """Write a key file with mode 0600, atomically and durably.

    The file is created under a temporary name with ``O_EXCL`` and mode 0600
    from the start (no window where it is readable by others), fsynced,
    then linked into place; the directory is fsynced too. Raises
    :class:`KeyFileExists` if ``path`` exists.
    """
    data = encode_key_file(kind, seed)
    path = Path(path)
    if path.exists():
        raise KeyFileExists(f"{path} already exists; refusing to overwrite a key file")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask cannot widen it, but be explicit
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        # link() fails if the target appeared meanwhile: never clobber a seed.
        os.link(tmp, path)
    except FileExistsError:
        raise KeyFileExists(f"{path} already exists; refusing to overwrite a key file") from None
    finally:
        os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def check_private(path: Path) -> None:
    """Raise :class:`InsecureKeyFile` unless only the owner can read and write ``path``."""
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureKeyFile(
            f"{path} is accessible by other users (mode {stat.S_IMODE(mode):04o}); "
            f"run: chmod 600 {path}"
        )


def read_key_file(path: Path, *, expect_kind: str | None = None) -> bytes:
    """The seed in the key file at ``path``.

    Raises :class:`InsecureKeyFile` if the file is readable by others,
    :class:`~intentcast.protocol.errors.KeyFileError` if it is damaged, and
    ``FileNotFoundError`` if it is missing.
    """
    path = Path(path)
    check_private(path)
    data = path.read_bytes()
    try:
        return decode_key_file(data, expect_kind=expect_kind)
    except KeyFileError as exc:
        raise KeyFileError(f"{path}: {exc}") from None
