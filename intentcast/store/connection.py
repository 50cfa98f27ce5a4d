"""Opening the node's SQLite file: pragmas, version checks, migrations, and
the transaction helper every repository writes through.

Durability (docs/store.md, "Durability"): WAL journal with
``synchronous=FULL``. Every write is one ``BEGIN IMMEDIATE ... COMMIT``
and a repository method returns only after ``COMMIT`` returned, so what
the node acknowledges survives ``kill -9`` (the WAL frames are written
before COMMIT returns) and also a power cut (FULL fsyncs the WAL on every
commit; NORMAL would not, and could lose the last key-counter reservation,
letting a derived intent key be used twice). A write committed with
``flush=False`` on a latency path is made durable later by
:meth:`Connection.sync` (a post: its intent leaves meanwhile).
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence, Sized
from pathlib import Path
from typing import Any, Final

import sqlite_utils

from intentcast.protocol import decode_stored
from intentcast.protocol.errors import DecodeError, InvalidMessage
from intentcast.protocol.signing import Signed

from .errors import (
    CorruptDatabase,
    DatabaseUnavailable,
    DiskFull,
    NewerDatabase,
    damaged_record,
    guarded,
    translate,
)
from .schema import APPLICATION_ID, LATEST, MIGRATIONS, Migration, application_id, migrate
from .schema import schema_version as read_version


class Synchronous(enum.StrEnum):
    """SQLite ``synchronous`` levels the store allows (both survive ``kill -9``
    in WAL mode; only FULL survives a power cut)."""

    FULL = "FULL"
    NORMAL = "NORMAL"


class Connection:
    """One open database file: the sqlite-utils database, its path, and
    transactions that translate SQLite errors into :class:`StoreError`.

    Not thread-safe: one node owns one store from one thread (trio). Two
    calls may run in a worker thread meanwhile: :meth:`sync` and
    :meth:`checkpoint`.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        path: Path | None,
        synchronous: Synchronous = Synchronous.FULL,
        busy_timeout: float = 5.0,
    ) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.path = path
        self.synchronous = synchronous
        self.busy_timeout = busy_timeout
        #: Write transactions committed since the file was opened.
        self.commits = 0
        self._closed = False
        # checkpoint()'s own connection, opened on first use, one thread at a time.
        self._checkpointer: sqlite3.Connection | None = None
        self._checkpoint_lock = threading.Lock()

    @contextlib.contextmanager
    def write(self, *, flush: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` (takes the write lock up
        front, so a busy database waits the busy timeout instead of failing
        mid-transaction), ``COMMIT`` on success, ``ROLLBACK`` on any error.

        ``flush=False`` commits without waiting for the disk
        (``synchronous=NORMAL`` for this transaction only): the commit still
        survives ``kill -9`` (the WAL frames are in the operating system's
        cache) and the next flushed commit makes it durable too, but a power
        cut may lose it. For data the network can hand back (others' gossip).
        """
        with guarded(self.path):
            if not flush:
                self.conn.execute("PRAGMA synchronous = NORMAL")
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                    self.conn.execute("COMMIT")
                    self.commits += 1
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
            finally:
                if not flush:
                    self.conn.execute(f"PRAGMA synchronous = {self.synchronous.value}")

    def sync(self) -> None:
        """Make every transaction committed so far durable, as a flushed
        commit would: ``fdatasync`` of the WAL file, where SQLite appends
        commits (in WAL mode a commit is durable once its WAL frames are on
        the disk; a checkpoint syncs what it moves into the main file).

        For a caller that commits with ``flush=False`` on a latency path and
        waits for the disk after (``post_intent``: the intent leaves while
        its record is flushed). Safe in a worker thread while this thread
        keeps using the connection: it touches no SQLite object, only the
        file. Nothing to do for ``:memory:``, a store opened with
        ``synchronous=NORMAL``, or a WAL file that is gone (everything was
        checkpointed into the main file). Raises :class:`DiskFull` or
        :class:`DatabaseUnavailable` if the disk refuses the flush."""
        if self.path is None or self.synchronous is not Synchronous.FULL:
            return
        wal = f"{self.path}-wal"
        try:
            fd = os.open(wal, os.O_RDONLY)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise _flush_failed(wal, exc, self.path) from exc
        try:
            os.fdatasync(fd)
        except OSError as exc:
            raise _flush_failed(wal, exc, self.path) from exc
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def checkpoints_apart(self) -> Iterator[None]:
        """While the block runs, no commit moves the WAL into the main file;
        the caller runs :meth:`checkpoint` from a worker thread instead.

        SQLite's automatic checkpoint runs inside the commit that takes the
        WAL past :data:`AUTO_CHECKPOINT_PAGES`: it copies those pages home
        and flushes both files, 6-9 ms on the committing thread (a node's
        event loop: every message passing through waits). On exit the
        automatic checkpoint is back. Nothing to do for ``:memory:``."""
        if self.path is None:
            yield
            return
        with guarded(self.path):
            self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        try:
            yield
        finally:
            if not self._closed:
                with guarded(self.path):
                    self.conn.execute(f"PRAGMA wal_autocheckpoint = {AUTO_CHECKPOINT_PAGES}")

    def checkpoint(self, *, truncate: bool = False) -> int:
        """Copy committed WAL pages into the main file (a checkpoint), over
        a connection of its own: safe in a worker thread while this thread
        keeps committing, and a commit never waits for it. It copies what
        no open read still needs (``PASSIVE``), the rest next time.

        ``truncate``: copy every page, waiting for reads and writes to end
        (up to the busy timeout), then empty the WAL file; for a forget,
        whose old pages must not live on in the log. Returns how many WAL
        pages are left to copy (0: all of them). Raises :class:`DiskFull` or
        :class:`DatabaseUnavailable` if the disk refuses; nothing is lost
        then (the pages stay in the WAL). Nothing to do for ``:memory:``."""
        if self.path is None:
            return 0
        mode = "TRUNCATE" if truncate else "PASSIVE"
        with self._checkpoint_lock, guarded(self.path):
            if self._closed:
                return 0
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(
                    str(self.path),
                    timeout=self.busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
                # A checkpoint flushes as the store's commits do.
                self._checkpointer.execute(f"PRAGMA synchronous = {self.synchronous.value}")
            busy, pages, copied = self._checkpointer.execute(
                f"PRAGMA wal_checkpoint({mode})"
            ).fetchone()
        left = max(0, int(pages) - int(copied))
        return max(left, 1) if busy else left

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read: one consistent snapshot, errors translated."""
        with guarded(self.path):
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")

    def row(self, sql: str, args: Sequence[Any] = ()) -> Any | None:
        """The first row of one query read on its own snapshot, or None."""
        with self.read() as conn:
            return conn.execute(sql, args).fetchone()

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        """Every row of one query read on its own snapshot."""
        with self.read() as conn:
            return conn.execute(sql, args).fetchall()

    def value(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """The first column of the first row of one query (a count, a
        maximum), or None if it returns no row."""
        row = self.row(sql, args)
        return None if row is None else row[0]

    def decode(self, raw: bytes, table: str) -> Signed[Any]:
        """Rebuild a stored envelope; damage becomes :class:`CorruptDatabase`."""
        try:
            return decode_stored(raw)
        except (DecodeError, InvalidMessage) as exc:
            raise damaged_record(self.path, table, exc) from exc

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._checkpoint_lock:
            self._closed = True
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None
        self.conn.close()


class Repository:
    """What every repository of the store is: typed reads and writes of
    some tables of one open file (``self._c``), handed out by
    :class:`~intentcast.store.Store`."""

    def __init__(self, conn: Connection) -> None:
        self._c = conn


#: WAL pages after which a commit checkpoints (SQLite's default), unless
#: checkpoints are run apart (:meth:`Connection.checkpoints_apart`).
AUTO_CHECKPOINT_PAGES: Final = 1000

#: Host parameters per ``IN (...)`` query; far below SQLite's limit.
CHUNK: Final = 500


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most :data:`CHUNK`, one ``IN (...)`` query each."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def marks(values: Sized) -> str:
    """The ``?`` placeholders of an ``IN (...)`` list of ``values``."""
    return ",".join("?" * len(values))


def rows_in(conn: sqlite3.Connection, sql: str, keys: Sequence[Any], *before: Any) -> Iterator[Any]:
    """The rows of ``sql`` for any number of ``keys``: one query per
    :func:`chunks` slice, its ``{}`` the slice's :func:`marks`, its
    parameters ``before`` and then the slice."""
    for part in chunks(keys):
        yield from conn.execute(sql.format(marks(part)), (*before, *part))


def narrowed(
    sql: str, args: tuple[Any, ...], clause: str, value: object
) -> tuple[str, tuple[Any, ...]]:
    """``sql`` and its ``args`` with ``clause`` (one parameter) appended for
    ``value``; unchanged when ``value`` is None (no filter asked for)."""
    return (sql, args) if value is None else (sql + clause, (*args, value))


def _flush_failed(wal: str, exc: OSError, path: Path | None) -> DiskFull | DatabaseUnavailable:
    """:meth:`Connection.sync` could not flush the WAL: what was committed
    since the last flush may not survive a power cut (it survives a crash
    of the process)."""
    cls = DiskFull if exc.errno == errno.ENOSPC else DatabaseUnavailable
    return cls(
        f"{wal} could not be flushed to the disk ({exc.strerror}): the last writes "
        "survive a crash of this process but maybe not a power cut. Check the disk.",
        path=path,
    )


def connect(
    path: Path | str,
    *,
    busy_timeout: float = 5.0,
    synchronous: Synchronous = Synchronous.FULL,
    max_bytes: int | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> Connection:
    """Open (creating if needed) the node database at ``path`` and migrate it
    to the latest schema.

    Raises :class:`NewerDatabase`, :class:`CorruptDatabase`,
    :class:`DatabaseLocked`, :class:`DiskFull` or
    :class:`DatabaseUnavailable`; never a raw ``sqlite3`` error.
    """
    memory = str(path) == ":memory:"
    where = None if memory else Path(path)
    try:
        if where is not None:
            _create_private(where)
        raw = sqlite3.connect(
            str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise translate(exc, where) from exc
    except OSError as exc:
        raise DatabaseUnavailable(
            f"{where} cannot be created ({exc.strerror}). Check that the directory "
            "exists and is writable by this user.",
            path=where,
        ) from exc
    try:
        return _prepare(
            raw,
            where=where,
            memory=memory,
            synchronous=synchronous,
            max_bytes=max_bytes,
            migrations=migrations,
            busy_timeout=busy_timeout,
        )
    except BaseException:
        raw.close()
        raise


def _create_private(path: Path) -> None:
    """Create a new database file readable by its owner only: it holds deal
    records with what the customer disclosed (contact, shipping address).
    SQLite gives the -wal and -shm files the same mode."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _prepare(
    raw: sqlite3.Connection,
    *,
    where: Path | None,
    memory: bool,
    synchronous: Synchronous,
    max_bytes: int | None,
    migrations: Sequence[Migration],
    busy_timeout: float,
) -> Connection:
    with guarded(where):
        # Reading the header first turns "not a database" into a clear error
        # before any pragma tries to write to the file.
        version = read_version(raw)
        app = application_id(raw)
        latest = migrations[-1].version if migrations else LATEST
        if app not in (0, APPLICATION_ID):
            raise CorruptDatabase(
                f"{where} is an SQLite database of another application "
                f"(application_id {app:#x}), not an intentcast node database.",
                path=where,
            )
        if version > latest:
            raise NewerDatabase(where, version, latest)
        db = sqlite_utils.Database(raw, recursive_triggers=False, execute_plugins=False)
        if not memory:
            mode = raw.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise CorruptDatabase(f"{where}: cannot switch to WAL mode (got {mode})")
        raw.execute(f"PRAGMA synchronous = {Synchronous(synchronous).value}")
        raw.execute("PRAGMA foreign_keys = ON")
        if max_bytes is not None:
            page = int(raw.execute("PRAGMA page_size").fetchone()[0])
            raw.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page)}")
        migrate(raw, migrations)
    return Connection(db, where, Synchronous(synchronous), busy_timeout)
