"""Private files on disk: written atomically with mode 0600 (key files, and
the daemon's config and cookie through the same writer); key files are
refused when other users can read them.

The format itself (text, with a checksum) is
:func:`intentcast.protocol.encode_key_file`; this module owns only the I/O.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from intentcast.protocol import decode_key_file, encode_key_file
from intentcast.protocol.errors import KeyFileError


class KeyFileExists(FileExistsError):
    """Refusing to overwrite an existing key file (it may hold the only copy of a seed)."""


class InsecureKeyFile(PermissionError):
    """A key file that users other than its owner can read or write."""


def write_private(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically and durably: the
    one writer of every private file (key files, a home's config and cookie).

    The data goes to a temporary name created with ``O_EXCL`` and mode 0600
    from the start (no window where others can read it), is fsynced, then
    moved into place, and the directory is fsynced too. With ``overwrite``
    an existing ``path`` is replaced (``os.replace``); without, the move is
    a ``link()`` that raises ``FileExistsError`` if ``path`` exists, even if
    it appeared meanwhile.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # left by a crash of an earlier process with this pid
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)  # the umask cannot widen it, but be explicit
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_key_file(path: Path, kind: str, seed: bytes) -> None:
    """Write a key file with mode 0600, atomically and durably
    (:func:`write_private`); raises :class:`KeyFileExists` if ``path``
    exists: it may hold the only copy of a seed, so it is never clobbered.
    """
    data = encode_key_file(kind, seed)
    path = Path(path)
    if path.exists():
        raise KeyFileExists(f"{path} already exists; refusing to overwrite a key file")
    try:
        write_private(path, data, overwrite=False)
    except FileExistsError:
        raise KeyFileExists(f"{path} already exists; refusing to overwrite a key file") from None


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
