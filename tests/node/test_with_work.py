"""Proof of work off the event loop: a node keeps serving its peers while it
mints real work, and skips a worker thread's hand-off for tiny work."""

from __future__ import annotations

import threading

import trio

from intentcast.node.base import INLINE_WORK_BITS, with_work
from intentcast.protocol.params import DEFAULT_POW_BITS


def test_tiny_work_is_minted_on_the_event_loop_and_real_work_in_a_worker_thread() -> None:
    async def main() -> None:
        loop = threading.get_ident()
        assert await with_work(INLINE_WORK_BITS, threading.get_ident) == loop
        assert await with_work(INLINE_WORK_BITS + 1, threading.get_ident) != loop
        # Every kind's work on a real network goes to a thread.
        assert min(DEFAULT_POW_BITS.values()) > INLINE_WORK_BITS

        # Inline, it is still a checkpoint (as the thread's hand-off was): a
        # loop of posts with tiny work lets the node's other tasks run.
        steps = 0

        async def other_task() -> None:
            nonlocal steps
            while True:
                steps += 1
                await trio.lowlevel.checkpoint()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(other_task)
            for _ in range(100):
                await with_work(0, lambda: None)
            assert steps > 0
            nursery.cancel_scope.cancel()

        # While a worker mints, the event loop runs the node's other tasks.
        ticks = 0
        release = threading.Event()

        async def tick() -> None:
            nonlocal ticks
            while not release.is_set():
                ticks += 1
                await trio.sleep(0.001)

        def mint() -> int:
            release.wait(5.0)
            return ticks

        async with trio.open_nursery() as nursery:
            nursery.start_soon(tick)
            await trio.sleep(0.01)
            before = ticks
            threading.Timer(0.05, release.set).start()
            # Inline, this would block the loop: no tick while it mints.
            during = await with_work(16, mint)
        assert during > before

    trio.run(main)
