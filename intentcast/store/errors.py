"""Named errors of the store, and the one place that turns SQLite's
exceptions into them.

Every error a user can meet is a :class:`StoreError` whose message says
what happened to which file and what to do about it. Raw ``sqlite3``
exceptions never leave the package: :func:`guarded` translates them.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from intentcast.protocol.errors import DecodeError, InvalidMessage

# Primary SQLite result codes (https://sqlite.org/rescode.html).
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_NOMEM = 7
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


class StoreError(Exception):
    """Base class of every error the store raises. ``path`` names the
    database file (or is None for an in-memory store)."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class NewerDatabase(StoreError):
    """The database was written by a newer intentcast (its schema version
    is above the newest this code knows). Nothing was changed."""

    def __init__(self, path: Path | None, found: int, supported: int) -> None:
        super().__init__(
            f"{path}: database schema version {found} is newer than this intentcast "
            f"understands (up to {supported}); upgrade intentcast to open it. "
            "The file was not changed.",
            path=path,
        )
        self.found = found
        self.supported = supported


class CorruptDatabase(StoreError):
    """The file is not an intentcast database, or part of it is damaged."""


class DatabaseLocked(StoreError):
    """Another process holds the database's write lock for longer than the
    busy timeout (typically a second node running on the same data directory)."""


class DiskFull(StoreError):
    """A write failed because the disk (or the store's configured size limit)
    is full. The write was rolled back; nothing partial was saved."""


class DatabaseUnavailable(StoreError):
    """The file cannot be opened or written at all (missing directory,
    permissions, read-only file system, I/O error)."""


class RecordNotFound(StoreError, LookupError):
    """A write refers to a record the store does not hold (for example an
    offer for an intent this node never posted)."""


class KeyNotReserved(StoreError):
    """An own intent names a key counter that was never reserved with
    :meth:`~intentcast.store.OwnIntents.reserve_keys`: its keys could collide
    with a later intent's."""


def translate(exc: sqlite3.Error, path: Path | None) -> StoreError:
    """The named :class:`StoreError` for a SQLite exception raised while
    working on the database at ``path``."""
    code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    text = str(exc)
    where = str(path) if path is not None else "in-memory database"
    if code in (SQLITE_BUSY, SQLITE_LOCKED) or "locked" in text:
        return DatabaseLocked(
            f"{where} is locked by another process (is another intentcast node running "
            "on this data directory?). Stop it, or wait and retry.",
            path=path,
        )
    if code == SQLITE_FULL or "full" in text:
        return DiskFull(
            f"{where}: the disk or the database size limit is full; the last write was "
            "rolled back. Free disk space (or raise the limit) and retry.",
            path=path,
        )
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB) or "malformed" in text or "not a database" in text:
        return CorruptDatabase(
            f"{where} is damaged or is not an intentcast database ({text}). Move it aside "
            "and restore a backup, or start a new node; keep the file for recovery.",
            path=path,
        )
    if code in (SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_IOERR, SQLITE_NOMEM):
        return DatabaseUnavailable(
            f"{where} cannot be opened or written ({text}). Check that the directory "
            "exists, is writable by this user, and that the disk is healthy.",
            path=path,
        )
    return StoreError(f"{where}: database error ({text})", path=path)


def damaged_record(path: Path | None, table: str, exc: Exception) -> CorruptDatabase:
    """A stored envelope that no longer decodes: the file was altered or damaged."""
    where = str(path) if path is not None else "in-memory database"
    return CorruptDatabase(
        f"{where}: a stored record in {table} is damaged ({exc}). Run "
        "'PRAGMA integrity_check' on a copy, then restore a backup.",
        path=path,
    )


@contextlib.contextmanager
def guarded(path: Path | None) -> Iterator[None]:
    """Run a block, turning any ``sqlite3.Error`` (and damaged stored
    envelopes) into the matching :class:`StoreError`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc
    except (DecodeError, InvalidMessage) as exc:
        raise damaged_record(path, "a table", exc) from exc
