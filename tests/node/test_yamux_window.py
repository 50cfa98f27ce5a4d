"""Yamux flow control over real Noise/yamux streams (node/repairs.py,
HalfWindowYamuxStream): a receiver gives its writer credit back once half
the window has been read, not with every read, so a stream of small
messages (a stem, gossip, a feed) costs no frame back per message, and a
large transfer still flows."""

from __future__ import annotations

from typing import Any

import trio
from libp2p.stream_muxer.yamux.yamux import DEFAULT_WINDOW_SIZE

from intentcast.node.stream_repairs import HalfWindowYamuxStream

from .harness import stream_pair

PROTOCOL = "/intentcast/test-window/1.0.0"


def counting_updates(stream: Any) -> list[int]:
    """The window updates ``stream`` (a net stream) writes from now on."""
    sent: list[int] = []
    muxed = stream.muxed_stream
    original = muxed.send_window_update

    async def counted(increment: int, skip_lock: bool = False) -> None:
        sent.append(increment)
        await original(increment, skip_lock)

    muxed.send_window_update = counted
    return sent


async def read_exactly(stream: Any, size: int) -> bytes:
    got = bytearray()
    while len(got) < size:
        got += await stream.read(65_536)
    return bytes(got)


def test_small_messages_read_one_by_one_send_no_credit_back() -> None:
    async def main() -> None:
        async with stream_pair(PROTOCOL) as (out, theirs):
            assert isinstance(theirs.muxed_stream, HalfWindowYamuxStream)
            updates = counting_updates(theirs)
            window = out.muxed_stream.send_window  # less the protocol's negotiation
            message = b"m" * 400  # a stem hop's size
            for _ in range(200):  # 80 kB: under half the window
                await out.write(message)
                with trio.fail_after(5):
                    assert await read_exactly(theirs, len(message)) == message
            # Upstream wrote one update per read: 200 frames back.
            assert updates == []
            assert out.muxed_stream.send_window == window - 200 * len(message)

    trio.run(main)


def test_a_transfer_many_windows_long_arrives_whole() -> None:
    async def main() -> None:
        async with stream_pair(PROTOCOL) as (out, theirs):
            updates = counting_updates(theirs)
            data = bytes(range(256)) * (16 * 1024)  # 4 MiB: 16 windows
            async with trio.open_nursery() as nursery:
                nursery.start_soon(out.write, data)
                with trio.fail_after(30):
                    got = await read_exactly(theirs, len(data))
            assert got == data
            # Credit came back in halves of the window (or more, once the
            # window grew for a writer it held back), never per read.
            assert updates
            assert min(updates) >= DEFAULT_WINDOW_SIZE // 2
            assert len(updates) <= 2 * len(data) // DEFAULT_WINDOW_SIZE

    trio.run(main)
