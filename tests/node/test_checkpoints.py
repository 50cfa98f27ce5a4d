"""While a node runs, its commits never checkpoint the WAL on the event
loop; a worker thread does, once enough commits wait or some time passed
(``node/checkpoints.py``, docs/store.md "Checkpoints")."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from intentcast.node.checkpoints import CHECKPOINT_COMMITS, keep_checkpointing
from intentcast.store import DiskFull, Store
from intentcast.store.connection import AUTO_CHECKPOINT_PAGES

from ..store import store_samples as s
from ..store.test_checkpoints import wal_pages
from .harness import market, run, wait_for


def test_a_running_node_checkpoints_in_a_thread_not_in_its_commits(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            relay = await m.relay()
            store: Store = relay.store
            assert store.path is not None
            db = store.path
            main_before = db.stat().st_size
            # Enough gossip for three automatic checkpoints, committed with
            # no turn for the node's tasks in between.
            for n in range(600):
                store.gossip.ingest_many([s.intent(n)], flush=False)
            assert store.commits >= CHECKPOINT_COMMITS
            assert wal_pages(db) > 2 * AUTO_CHECKPOINT_PAGES  # no commit checkpointed
            assert db.stat().st_size == main_before
            # The node's checkpointer, at its next look, copies it all home.
            await wait_for(relay, lambda: db.stat().st_size > main_before)

    run(main)


def test_checkpoints_wait_for_enough_commits_or_time(db_path_store: Store) -> None:
    store = db_path_store
    assert store.path is not None
    db = store.path

    async def grown_from(size: int) -> None:
        with trio.fail_after(10):
            while db.stat().st_size == size:
                await trio.sleep(0.02)

    async def main() -> None:
        # Due by count only (an hour would pass before it is due by time).
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                lambda: keep_checkpointing(store, commits=50, seconds=3600, poll=0.02)
            )
            await trio.sleep(0.05)  # started: it counts commits from here
            main_before = db.stat().st_size
            for n in range(40):  # fewer than are due
                store.gossip.ingest_many([s.intent(n)], flush=False)
            await trio.sleep(0.3)
            assert db.stat().st_size == main_before
            for n in range(40, 60):  # now more than are due
                store.gossip.ingest_many([s.intent(n)], flush=False)
            await grown_from(main_before)
            nursery.cancel_scope.cancel()
        # Due by time only (a million commits would be due by count).
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                lambda: keep_checkpointing(store, commits=1_000_000, seconds=0.3, poll=0.02)
            )
            await trio.sleep(0.05)
            main_before = db.stat().st_size
            for n in range(60, 65):
                store.gossip.ingest_many([s.intent(n)], flush=False)
            await grown_from(main_before)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_a_checkpoint_the_disk_refuses_is_logged_and_tried_again(
    db_path_store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = db_path_store
    real = store.checkpoint
    calls: list[int] = []

    def refusing_once() -> int:
        calls.append(len(calls))
        if len(calls) == 1:
            raise DiskFull("the disk is full (test)", path=store.path)
        return real()

    monkeypatch.setattr(store, "checkpoint", refusing_once)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(lambda: keep_checkpointing(store, commits=5, poll=0.02))
            await trio.sleep(0.05)  # started: it counts commits from here
            for round_ in range(2):
                for n in range(10):
                    store.gossip.ingest_many([s.intent(10 * round_ + n)], flush=False)
                with trio.fail_after(5):
                    while len(calls) <= round_:
                        await trio.sleep(0.02)
            nursery.cancel_scope.cancel()

    with caplog.at_level(logging.WARNING, logger="intentcast.node.checkpoints"):
        trio.run(main)
    assert len(calls) == 2  # the task went on after the refusal
    assert "the disk is full (test)" in caplog.text
    assert store.gossip.unseen([s.intent(n).id for n in range(20)]) == []


@pytest.fixture
def db_path_store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "node.db") as store:
        yield store
