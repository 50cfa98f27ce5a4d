"""The sync protocol against a peer that sends anything: ``read_frame`` on
its bytes, and whole ``respond`` and ``request`` sessions in which the
peer's side is scripted by the input.

The stream is a real object, not a mock of the code under test: it hands
out the peer's bytes in chunks of a size the input chooses, then ends
(a closed stream, or a reset: an exception, as libp2p raises), and keeps
what the node writes.

Input: one byte (bits 0-5: chunk size; bits 6-7: read frames, serve a
session, request a session, read frames on a stream that resets at the
end), then the peer's bytes.

Oracles: only :class:`SyncError`, :class:`StreamGone` and (a requester
answered ``busy``) :class:`SyncBusy` are raised; a
responder sends only messages it offered, each at most once; a requester
delivers only messages it wanted, each at most once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, Final

import msgpack
import trio

from intentcast.node.sync import (
    MAX_FRAME,
    StreamGone,
    SyncBusy,
    SyncError,
    read_frame,
    request,
    respond,
)
from intentcast.peer.config import SyncLimits
from intentcast.protocol import message_id

from .harness import Finding, Known
from .samples import market

KNOWN: Final[tuple[Known, ...]] = ()

READ, RESPOND, REQUEST, READ_RESET = range(4)
TOPIC: Final = "intentcast/1/intents/electronics"
LIMITS: Final = SyncLimits(max_inventory=64)


class PeerReset(Exception):
    """What a libp2p stream raises when the peer resets it."""


class ScriptedStream:
    """A stream whose peer sends ``incoming`` in chunks of at most
    ``chunk`` bytes and then closes it (or resets it, with ``reset``)."""

    def __init__(self, incoming: bytes, *, chunk: int, reset: bool = False) -> None:
        self.incoming = incoming
        self.chunk = chunk
        self.reset = reset
        self.at = 0
        self.written: list[bytes] = []

    async def read(self, n: int | None = None) -> bytes:
        await trio.lowlevel.checkpoint()
        if self.at >= len(self.incoming):
            if self.reset:
                raise PeerReset("stream reset by peer")
            return b""
        size = min(self.chunk, len(self.incoming) - self.at, n or MAX_FRAME)
        out = self.incoming[self.at : self.at + size]
        self.at += size
        return out

    async def write(self, data: bytes) -> None:
        await trio.lowlevel.checkpoint()
        self.written.append(data)

    def frames_written(self) -> list[dict[str, Any]]:
        """What the node wrote, as frames."""
        data = b"".join(self.written)
        frames, at = [], 0
        while at < len(data):
            size = int.from_bytes(data[at : at + 4], "big")
            frames.append(msgpack.unpackb(data[at + 4 : at + 4 + size], raw=False))
            at += 4 + size
        return frames


def frame(**fields: Any) -> bytes:
    """One frame as the protocol encodes it."""
    payload: bytes = msgpack.packb(fields, use_bin_type=True)
    return len(payload).to_bytes(4, "big") + payload


def stock() -> dict[bytes, bytes]:
    """The messages the node under test holds, by id."""
    raws = [market().intent.raw, market().withdraw.raw, market().sealed_offer.raw]
    return {message_id(raw): raw for raw in raws}


async def _read_frames(stream: ScriptedStream) -> None:
    while True:
        got = await read_frame(stream, timeout=10)  # type: ignore[arg-type]
        if type(got) is not dict or type(got.get("t")) is not str:
            raise Finding("read_frame returned something other than a typed map")


async def _respond(stream: ScriptedStream) -> None:
    held = stock()

    async def inventory(
        topics: Sequence[str], limit: int, recent: int | None
    ) -> list[tuple[bytes, str]]:
        return [(i, TOPIC) for i in held][:limit]

    async def fetch(ids: Sequence[bytes]) -> dict[bytes, bytes]:
        return {i: held[i] for i in ids if i in held}

    try:
        await respond(stream, inventory=inventory, fetch=fetch, limits=LIMITS)  # type: ignore[arg-type]
    finally:
        sent = [f["data"] for f in stream.frames_written() if f.get("t") == "msg"]
        if not set(sent) <= set(held.values()):
            raise Finding("the responder sent a message it did not offer")
        if len(set(sent)) != len(sent):
            raise Finding(f"the responder sent one message {len(sent) - len(set(sent)) + 1} times")


async def _request(stream: ScriptedStream) -> None:
    held = stock()
    delivered: list[bytes] = []
    asked: list[bytes] = []

    async def missing(ids: Sequence[bytes]) -> list[bytes]:
        wanted = [i for i in dict.fromkeys(ids) if i not in held]  # it has the samples
        asked.extend(wanted)
        return wanted

    async def deliver(topic: str, data: bytes, peer: str) -> bool:
        delivered.append(data)
        return False

    try:
        await request(
            stream,  # type: ignore[arg-type]
            topics=[TOPIC],
            missing=missing,
            deliver=deliver,
            peer="fuzz",
            limits=LIMITS,
        )
    finally:
        ids = [message_id(d) for d in delivered]
        if not set(ids) <= set(asked):
            raise Finding("the requester delivered a message it did not want")
        if len(set(ids)) != len(ids):
            raise Finding("the requester delivered one message twice")


def one_input(data: bytes) -> None:
    if not data:
        return
    mode, chunk = data[0] >> 6, 1 + (data[0] & 0x3F) * 97
    stream = ScriptedStream(data[1:], chunk=chunk, reset=mode == READ_RESET)
    session = {READ: _read_frames, READ_RESET: _read_frames, RESPOND: _respond, REQUEST: _request}
    with contextlib.suppress(SyncError, StreamGone, SyncBusy):
        trio.run(session[mode], stream)


def _selector(mode: int, chunk_code: int) -> bytes:
    return bytes([mode << 6 | chunk_code])


def seeds() -> list[bytes]:
    held = stock()
    ids = list(held)
    unknown = bytes(32)
    served = frame(t="hello", topics=[TOPIC]) + frame(t="want", ids=ids[:2]) + frame(t="want-end")
    new = market().offer.raw  # a message the requester lacks (any bytes do for sync)
    pulled = (
        frame(t="inv", ids=[*ids, message_id(new)])
        + frame(t="inv-end")
        + frame(t="msg", topic=TOPIC, data=new)
        + frame(t="end")
    )
    return [
        _selector(READ, 63) + frame(t="hello", topics=[TOPIC]) + frame(t="inv-end"),
        _selector(READ_RESET, 0) + (2**31).to_bytes(4, "big"),  # a 2 GiB frame, byte by byte
        _selector(RESPOND, 5) + served,
        _selector(RESPOND, 0) + frame(t="hello", topics=[1]),  # a topic that is not text
        _selector(REQUEST, 63) + pulled,
        _selector(REQUEST, 3)
        + frame(t="inv", ids=[unknown])
        + frame(t="inv-end")
        + frame(t="msg", topic=TOPIC, data=b"not wanted")
        + frame(t="end"),
    ]
