"""The byte path under every stem hop, gossip copy and sync frame
(``intentcast.node.stream_repairs``), over real Noise/yamux/TCP streams
between two hosts: a small write waits its turn three times, not seven, a
Noise message costs one receive, and writers that share a connection still
get every byte through, in order."""

from __future__ import annotations

import random
from typing import Any

import trio

from intentcast.node.stream_repairs import RECEIVE_SIZE, BufferedTCPStream

from .harness import stream_pair, stream_pairs

PROTOCOL = "/intentcast-test/bytes/1.0.0"


def tcp_of(stream: Any) -> BufferedTCPStream:
    """The TCP stream under a libp2p stream (yamux, Noise, raw connection)."""
    tcp = stream.muxed_stream.conn.secured_conn.conn.read_writer.read_write_closer.stream
    assert isinstance(tcp, BufferedTCPStream)
    return tcp


class WriterSteps(trio.abc.Instrument):
    """Counts how often one task was scheduled to run: once at the start
    and once more after each checkpoint it passed."""

    def __init__(self, task: trio.lowlevel.Task) -> None:
        self.task = task
        self.steps = 0

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        if task is self.task:
            self.steps += 1


def test_a_small_write_waits_its_turn_at_most_three_times() -> None:
    """Upstream, a 1 KB write passed seven checkpoints (the net stream's
    lock, two yamux stream locks, the connection's lock, the TCP stream's
    lock, the send, and one more): seven times every other ready task ran
    first. Now: the net stream's lock, the TCP stream's lock and the send."""

    async def main() -> None:
        async with stream_pair(PROTOCOL) as (out, theirs):
            counted = []
            for _ in range(20):
                steps = WriterSteps(trio.lowlevel.current_task())
                await trio.sleep(0.001)  # the reader drains; our locks are free
                trio.lowlevel.add_instrument(steps)
                try:
                    await out.write(b"x" * 1_000)
                finally:
                    trio.lowlevel.remove_instrument(steps)
                counted.append(steps.steps)
            with trio.fail_after(10):
                got = 0
                while got < 20_000:
                    got += len(await theirs.read(65_536))
        assert max(counted) <= 3, counted

    trio.run(main)


def test_a_noise_message_is_read_with_one_receive() -> None:
    """Noise reads each message as its 2-byte length, then its body.
    Upstream each was a receive from the socket of its own: 400 receives
    for 200 messages. Now what one receive brought serves both."""

    async def main() -> None:
        async with stream_pair(PROTOCOL) as (out, theirs):
            tcp = tcp_of(theirs)
            socket_stream = tcp.stream
            receive_some = socket_stream.receive_some
            receives = 0

            async def counted(max_bytes: int | None = None) -> bytes:
                nonlocal receives
                receives += 1
                return await receive_some(max_bytes)

            socket_stream.receive_some = counted  # type: ignore[method-assign]
            try:
                for i in range(200):
                    await out.write(i.to_bytes(4, "big") + b"m" * 496)
                    await trio.sleep(0.001)  # one message per receive at most
                data = b""
                with trio.fail_after(10):
                    while len(data) < 200 * 500:
                        data += await theirs.read(65_536)
            finally:
                socket_stream.receive_some = receive_some  # type: ignore[method-assign]
        assert [int.from_bytes(data[k : k + 4], "big") for k in range(0, len(data), 500)] == list(
            range(200)
        )
        assert 200 * 0.5 <= receives <= 200 * 1.1, receives

    trio.run(main)


def test_writers_sharing_a_connection_get_every_byte_through_in_order() -> None:
    """Four streams on one connection, each written by its own task at once
    with sizes from 1 byte to past a yamux frame (64 KB) and past the
    receive window (256 KB): the fast path and upstream's (a lock held, a
    window short) take turns, and each stream reads back exactly what was
    written to it."""

    async def main() -> None:
        rng = random.Random(16)
        sizes = [
            [rng.choice((1, 700, 5_000, 70_000, 300_000)) for _ in range(40)] for _ in range(4)
        ]
        payloads = [b"".join(bytes([k + 1]) * size for size in row) for k, row in enumerate(sizes)]
        received = [bytearray() for _ in sizes]
        async with stream_pairs(PROTOCOL, len(sizes)) as pairs:

            async def write(k: int) -> None:
                view, at = memoryview(payloads[k]), 0
                for size in sizes[k]:
                    await pairs[k][0].write(bytes(view[at : at + size]))
                    at += size

            async def read(k: int) -> None:
                while len(received[k]) < len(payloads[k]):
                    received[k] += await pairs[k][1].read(RECEIVE_SIZE)

            with trio.fail_after(60):
                async with trio.open_nursery() as nursery:
                    for k in range(len(sizes)):
                        nursery.start_soon(write, k)
                        nursery.start_soon(read, k)
        assert [bytes(r) for r in received] == payloads

    trio.run(main)
