"""The stem stream's frame reader over a real Noise/yamux stream: frames
that arrive in pieces, several frames in one write, a frame cut short, an
oversized length, and an idle stream (node/stem_streams.py, FrameReader:
one read of what is buffered per frame, not three)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgpack
import pytest
import trio

from intentcast.node import sync
from intentcast.node.stem_streams import FrameReader

from .harness import stream_pair

PROTOCOL = "/intentcast/test-frames/1.0.0"


def frame(n: int) -> bytes:
    payload: bytes = msgpack.packb({"t": "stem", "topic": "t", "msg": bytes([n]) * 300})
    return len(payload).to_bytes(4, "big") + payload


def run_with(body: Callable[[Any, Any], Awaitable[None]]) -> None:
    async def main() -> None:
        async with stream_pair(PROTOCOL) as (out, theirs):
            await body(out, FrameReader(theirs))

    trio.run(main)


def test_frames_in_pieces_and_together_arrive_whole_and_in_order() -> None:
    async def body(out: Any, reader: FrameReader) -> None:
        one, two, three = frame(1), frame(2), frame(3)
        await out.write(one[:2])
        await trio.sleep(0.05)
        await out.write(one[2:10])
        await trio.sleep(0.05)
        await out.write(one[10:] + two + three[:7])
        await trio.sleep(0.05)
        await out.write(three[7:])
        got = [await reader.next(idle=5, timeout=5) for _ in range(3)]
        assert [f["msg"][0] for f in got if f is not None] == [1, 2, 3]

    run_with(body)


def test_a_frame_cut_short_by_the_sender_is_not_taken() -> None:
    async def body(out: Any, reader: FrameReader) -> None:
        await out.write(frame(1) + frame(2)[:50])
        await out.close()
        first = await reader.next(idle=5, timeout=5)
        assert first is not None and first["msg"][0] == 1
        with pytest.raises((sync.SyncError, sync.StreamGone)):
            await reader.next(idle=5, timeout=5)

    run_with(body)


def test_an_oversized_length_is_refused_before_reading_the_rest() -> None:
    async def body(out: Any, reader: FrameReader) -> None:
        await out.write((sync.MAX_FRAME + 1).to_bytes(4, "big") + b"x" * 10)
        with pytest.raises(sync.SyncError, match="at most"):
            await reader.next(idle=5, timeout=5)

    run_with(body)


def test_an_idle_stream_and_a_clean_close_end_without_a_frame() -> None:
    async def body(out: Any, reader: FrameReader) -> None:
        assert await reader.next(idle=0.3, timeout=5) is None  # idle
        await out.write(frame(4))
        got = await reader.next(idle=5, timeout=5)
        assert got is not None and got["msg"][0] == 4
        await out.close()
        assert await reader.next(idle=5, timeout=5) is None  # closed between frames

    run_with(body)


def test_a_frame_started_but_not_finished_in_time_is_refused() -> None:
    async def body(out: Any, reader: FrameReader) -> None:
        await out.write(frame(5)[:20])
        with pytest.raises(sync.SyncError, match="within"):
            await reader.next(idle=5, timeout=0.3)

    run_with(body)
