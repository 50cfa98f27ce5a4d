"""Crash durability: a writer process acknowledges each record only after
its commit returned; we SIGKILL it at random moments, reopen the file, and
every acknowledged record must be there and the file must be intact.

Iterations: ``INTENTCAST_CRASH_ITERATIONS`` (default 25, about 3 s); run
longer locally with e.g. ``INTENTCAST_CRASH_ITERATIONS=500``.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

from intentcast.store import GossipBudget, Store

from . import store_samples as s

ITERATIONS = int(os.environ.get("INTENTCAST_CRASH_ITERATIONS", "25"))
RECORD = 33  # one tag byte + 32 bytes: below PIPE_BUF, so each write is atomic
GOSSIP_BASE = 1_000_000  # key counters of "other people's" intents
#: Room for every intent of a long run (``INTENTCAST_CRASH_ITERATIONS=500``
#: writes ~75,000): this test is about durability, not the budget's eviction.
BUDGET = GossipBudget(intent=1_000_000)


def writer(path: Path, ack: int, iteration: int) -> None:
    """Write forever, acknowledging each record after its commit returned."""
    rng = random.Random(iteration)
    n = GOSSIP_BASE + iteration * 100_000
    with Store.open(path, budget=BUDGET) as store:
        if iteration % 2:
            # As a running node: commits never checkpoint, a thread does,
            # and may be killed in the middle of one.
            store.checkpoints_apart().__enter__()
            threading.Thread(target=checkpointing, args=(store,), daemon=True).start()
        while True:
            choice = rng.random()
            if choice < 0.3:
                # Unflushed half the time, as a customer reserves its next
                # keys and records a post (``Store.sync`` flushes after): it
                # must survive kill -9 all the same.
                flush = choice < 0.15
                keys = store.intents.reserve_keys(s.SEED, flush=flush)
                os.write(ack, b"K" + keys.counter.to_bytes(32, "big"))
                intent = s.intent(keys.counter)
                store.intents.add(intent, counter=keys.counter, flush=flush)
                os.write(ack, b"O" + intent.id)
                if not flush:
                    store.sync()
            else:
                batch = [s.intent(n + k) for k in range(rng.randint(1, 4))]
                n += len(batch)
                store.gossip.ingest_many(batch)
                os.write(ack, b"".join(b"G" + m.id for m in batch))


def checkpointing(store: Store) -> None:
    while True:
        store.checkpoint()
        time.sleep(0.002)


def run_and_kill(path: Path, iteration: int, rng: random.Random) -> bytes:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        os.close(read_end)
        try:
            writer(path, write_end, iteration)
        finally:
            os._exit(1)
    os.close(write_end)
    time.sleep(rng.uniform(0.01, 0.12))
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status), "the writer died before it was killed"
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    return b"".join(chunks)


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "node.db"
    Store.open(path).close()
    rng = random.Random(2026)
    counters: list[int] = []
    own: list[bytes] = []
    gossip: list[bytes] = []
    checked = checked_own = 0  # acknowledged records verified after earlier runs
    for iteration in range(ITERATIONS):
        acks = run_and_kill(path, iteration, rng)
        assert len(acks) % RECORD == 0
        for at in range(0, len(acks), RECORD):
            tag, body = acks[at : at + 1], acks[at + 1 : at + RECORD]
            {b"K": lambda b: counters.append(int.from_bytes(b, "big")),
             b"O": own.append, b"G": gossip.append}[tag](body)  # fmt: skip
        last = iteration == ITERATIONS - 1
        with Store.open(path, budget=BUDGET) as store:
            assert store.integrity_check() == ["ok"]
            # this run's acknowledgements now; everything ever acknowledged at the end
            new_gossip = gossip if last else gossip[checked:]
            assert [g for g in new_gossip if store.gossip.intent(g) is None] == []
            new_own = own if last else own[checked_own:]
            assert [o for o in new_own if store.intents.by_revision(o) is None] == []
            # no acknowledged key counter is ever handed out again
            assert store.intents.next_counter() > max(counters, default=-1)
        checked, checked_own = len(gossip), len(own)
    assert len(counters) == len(set(counters)), "a key counter was handed out twice"
    assert len(gossip) > ITERATIONS  # the kills landed mid-stream, not before the first write
