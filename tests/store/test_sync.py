"""``Store.sync``: writes committed without a flush are made durable later,
from a worker thread, while the node keeps writing (``post_intent``: the
intent leaves while its record is flushed)."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from intentcast.store import DatabaseUnavailable, DiskFull, Store, StoreError, Synchronous

from . import store_samples as s


def _spy_fdatasync(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files ``os.fdatasync`` is called on (it still syncs them)."""
    synced: list[str] = []
    real = os.fdatasync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fdatasync", spy)
    return synced


def test_sync_flushes_the_wal_that_holds_unflushed_commits(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = store.intents.reserve_keys(s.SEED, flush=False)
    intent = s.intent(keys.counter)
    assert store.intents.add(intent, counter=keys.counter, flush=False)
    synced = _spy_fdatasync(monkeypatch)
    store.sync()
    # In WAL mode a commit is durable once the WAL's frames are on the disk.
    assert synced == [str(db_path) + "-wal"]
    assert store.intents.get(intent.signer) is not None


def test_sync_does_nothing_where_no_flush_is_promised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced = _spy_fdatasync(monkeypatch)
    with Store.open(tmp_path / "fast.db", synchronous=Synchronous.NORMAL) as fast:
        fast.intents.reserve_keys(s.SEED, flush=False)
        fast.sync()
    with Store.open(":memory:") as memory:
        memory.intents.reserve_keys(s.SEED, flush=False)
        memory.sync()
    assert synced == []


def test_sync_in_a_thread_while_the_store_is_written_loses_nothing(db_path: Path) -> None:
    """The post's pattern under load: unflushed writes on one thread, syncs
    on another; every record is there after reopening, the file intact."""
    posted: list[bytes] = []
    with Store.open(db_path) as store:
        stop = threading.Event()
        errors: list[BaseException] = []

        def syncing() -> None:
            try:
                while not stop.is_set():
                    store.sync()
            except BaseException as exc:  # pragma: no cover - the assertion says it
                errors.append(exc)

        thread = threading.Thread(target=syncing)
        thread.start()
        try:
            for _ in range(200):
                keys = store.intents.reserve_keys(s.SEED, flush=False)
                intent = s.intent(keys.counter)
                store.intents.add(intent, counter=keys.counter, flush=False)
                posted.append(intent.signer)
        finally:
            stop.set()
            thread.join()
        assert errors == []
    with Store.open(db_path) as again:
        assert again.integrity_check() == ["ok"]
        assert {own.intent.signer for own in again.intents.list()} == set(posted)
        assert again.intents.next_counter() == 200


@pytest.mark.parametrize(
    ("error", "named"), [(errno.ENOSPC, DiskFull), (errno.EIO, DatabaseUnavailable)]
)
def test_a_flush_the_disk_refuses_is_a_named_error(
    store: Store, monkeypatch: pytest.MonkeyPatch, error: int, named: type[StoreError]
) -> None:
    store.intents.reserve_keys(s.SEED, flush=False)

    def refuse(fd: int) -> None:
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(os, "fdatasync", refuse)
    with pytest.raises(named, match="could not be flushed") as caught:
        store.sync()
    assert caught.value.path == store.path
    monkeypatch.undo()
    store.sync()  # the store still works
    assert store.intents.next_counter() == 1
