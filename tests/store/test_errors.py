"""Every failure a user can meet is a named StoreError with a message that
says what to do; raw sqlite3 errors never escape."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from intentcast.store import (
    SCHEMA_VERSION,
    CorruptDatabase,
    DatabaseLocked,
    DatabaseUnavailable,
    DiskFull,
    Ingest,
    NewerDatabase,
    RecordNotFound,
    Store,
    StoreError,
)

from . import store_samples as s


def test_garbage_file_is_reported_corrupt(db_path: Path) -> None:
    db_path.write_bytes(b"this is not a database at all, " * 200)
    with pytest.raises(CorruptDatabase, match="damaged or is not an intentcast database") as err:
        Store.open(db_path)
    assert str(db_path) in str(err.value)
    assert db_path.read_bytes().startswith(b"this is not")  # left untouched for recovery


def test_damaged_pages_are_reported_corrupt(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.gossip.ingest_many([s.intent(n) for n in range(40)])
    data = bytearray(db_path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # leave the header page intact
        data[offset : offset + 64] = b"\xa5" * 64
    db_path.write_bytes(bytes(data))
    with pytest.raises(CorruptDatabase), Store.open(db_path) as store:
        store.gossip.live_intents(now=s.T0)
        assert store.integrity_check() == ["ok"]


def test_damaged_stored_envelope_is_reported_corrupt(store: Store, db_path: Path) -> None:
    i = s.intent(1)
    store.gossip.ingest(i)
    other = sqlite3.connect(db_path)
    other.execute("UPDATE cached_intents SET raw = ?", (i.raw[:-5],))
    other.commit()
    other.close()
    with pytest.raises(CorruptDatabase, match="cached_intents"):
        store.gossip.intent(i.id)


def test_database_of_another_application_is_refused(db_path: Path) -> None:
    other = sqlite3.connect(db_path)
    other.execute("PRAGMA application_id = 1234")
    other.execute("CREATE TABLE photos (x)")
    other.commit()
    other.close()
    with pytest.raises(CorruptDatabase, match="another application"):
        Store.open(db_path)


def test_newer_database_is_refused_and_left_unchanged(db_path: Path) -> None:
    Store.open(db_path).close()
    other = sqlite3.connect(db_path)
    other.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    other.commit()
    other.close()
    before = db_path.read_bytes()
    with pytest.raises(NewerDatabase, match="upgrade intentcast") as err:
        Store.open(db_path)
    assert (err.value.found, err.value.supported) == (SCHEMA_VERSION + 3, SCHEMA_VERSION)
    assert db_path.read_bytes() == before


def test_write_while_another_process_holds_the_lock(db_path: Path) -> None:
    with Store.open(db_path, busy_timeout=0.05) as store:
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(DatabaseLocked, match="another intentcast node"):
                store.gossip.ingest(s.intent(1))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        # once the other side lets go, the store works again
        assert store.gossip.ingest(s.intent(1)) is Ingest.NEW


def test_open_while_another_process_holds_the_lock(db_path: Path) -> None:
    holder = sqlite3.connect(db_path, isolation_level=None)  # a new file, rollback journal
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE x (y)")
    try:
        with pytest.raises(DatabaseLocked):
            Store.open(db_path, busy_timeout=0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_full_disk_rolls_back_and_says_so(db_path: Path) -> None:
    """A full disk is simulated with SQLite's page limit (``max_bytes``, i.e.
    ``PRAGMA max_page_count``): SQLite reports SQLITE_FULL either way."""
    with Store.open(db_path, max_bytes=320 * 1024) as store:  # the empty schema: 232 KiB
        stored = 0
        with pytest.raises(DiskFull, match="Free disk space"):
            for n in range(0, 10_000, 50):
                store.gossip.ingest_many([s.intent(k) for k in range(n, n + 50)])
                stored = n + 50
        assert stored > 0
        # the failed batch was rolled back whole; everything before is intact
        assert len(store.gossip.live_intents(now=s.T0)) == stored
        assert store.integrity_check() == ["ok"]


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable, match="directory exists"):
        Store.open(tmp_path / "no" / "such" / "dir" / "node.db")


def test_offer_for_a_stranger_intent_is_refused(store: Store) -> None:
    i = s.intent(1)
    o = s.offer(i)
    with pytest.raises(RecordNotFound, match="did not post"):
        store.offers.add_received(s.sealed(o, i), o)


def test_every_named_error_is_a_store_error() -> None:
    for error in (CorruptDatabase, DatabaseLocked, DatabaseUnavailable, DiskFull, NewerDatabase,
                  RecordNotFound):  # fmt: skip
        assert issubclass(error, StoreError)


def test_new_database_files_are_private(db_path: Path) -> None:
    """Deal records hold what a customer disclosed: only the owner may read them."""
    with Store.open(db_path) as store:
        store.gossip.ingest(s.intent(1))
        for suffix in ("", "-wal", "-shm"):
            mode = (db_path.parent / (db_path.name + suffix)).stat().st_mode & 0o777
            assert mode == 0o600, (suffix, oct(mode))
