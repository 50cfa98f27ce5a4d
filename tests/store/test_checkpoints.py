"""Checkpoints apart from commits (docs/store.md, "Checkpoints"): while a
node runs, no commit copies the WAL into the main file (SQLite's automatic
checkpoint: milliseconds with two flushes, on the node's event loop); a
worker thread does, over a connection of its own, and nothing is lost."""

from __future__ import annotations

import threading
from pathlib import Path

from intentcast.store import Store
from intentcast.store.connection import AUTO_CHECKPOINT_PAGES

from . import store_samples as s

#: Intents whose commits fill well over AUTO_CHECKPOINT_PAGES of WAL.
MANY = 300


def wal_pages(db_path: Path) -> int:
    """Pages the WAL file has room for: its high-water mark (SQLite reuses
    the file from the start after a checkpoint copied all of it)."""
    size = Path(f"{db_path}-wal").stat().st_size
    return (size - 32) // (24 + 4096)


def test_commits_checkpoint_only_while_checkpoints_are_not_apart(db_path: Path) -> None:
    with Store.open(db_path) as store:
        for n in range(MANY):
            store.gossip.ingest_many([s.intent(n)], flush=False)
        # Automatic: a commit copied the WAL home whenever it passed the mark.
        assert wal_pages(db_path) < 1.2 * AUTO_CHECKPOINT_PAGES
        with store.checkpoints_apart():
            main_before = db_path.stat().st_size
            for n in range(MANY, 3 * MANY):
                store.gossip.ingest_many([s.intent(n)], flush=False)
            assert wal_pages(db_path) > 2 * AUTO_CHECKPOINT_PAGES
            assert db_path.stat().st_size == main_before  # nothing copied home
            assert store.checkpoint() == 0  # every page copied
            assert db_path.stat().st_size > main_before
        assert store.integrity_check() == ["ok"]
        ids = [s.intent(n).id for n in range(3 * MANY)]
        assert store.gossip.unseen(ids) == []


def test_checkpoints_in_a_thread_while_the_store_is_written_lose_nothing(db_path: Path) -> None:
    """The node's pattern: unflushed gossip commits on one thread,
    checkpoints on another; everything is there after reopening."""
    ids = [s.intent(n).id for n in range(MANY)]
    with Store.open(db_path) as store, store.checkpoints_apart():
        stop = threading.Event()
        errors: list[BaseException] = []
        rounds = 0

        def checkpointing() -> None:
            nonlocal rounds
            try:
                while not stop.is_set():
                    store.checkpoint()
                    rounds += 1
            except BaseException as exc:  # pragma: no cover - the assertion says it
                errors.append(exc)

        thread = threading.Thread(target=checkpointing)
        thread.start()
        try:
            for n in range(MANY):
                store.gossip.ingest_many([s.intent(n)], flush=False)
        finally:
            stop.set()
            thread.join()
        assert errors == []
        assert rounds > 1
    with Store.open(db_path) as store:
        assert store.integrity_check() == ["ok"]
        assert store.gossip.unseen(ids) == []


def test_checkpoints_of_a_memory_or_closed_store_do_nothing(db_path: Path) -> None:
    with Store.open(":memory:") as memory, memory.checkpoints_apart():
        memory.gossip.ingest(s.intent(1))
        assert memory.checkpoint() == 0
    store = Store.open(db_path)
    store.gossip.ingest(s.intent(1))
    store.close()
    assert store.checkpoint() == 0  # a worker thread that comes too late
