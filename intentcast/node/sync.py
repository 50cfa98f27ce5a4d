"""Store-and-forward: the sync protocol ``/intentcast/sync/1.0.0``.

When two peers connect, each pulls from the other what it missed while it
was away: live intents, withdrawals, sealed offers and deals, profiles.

One session, initiated by the side that wants to catch up::

    requester -> hello {topics[, recent]}  topics it cares about
    responder -> inv {ids} ... inv-end     ids of live messages on those topics
    requester -> want {ids} ... want-end   the ids it does not have
    responder -> msg {topic, data} ... end the envelopes

A hello with ``recent`` (seconds, 1 to ``MAX_RECENT``) asks only for the
ids of intents-topic messages (intents, their revisions, withdrawals)
created within the last ``recent`` seconds: a quiet customer's probe
(:func:`probe`), which wants nothing of them (docs/wire.md section 4).
A responder offers only messages on topics it follows itself.

A responder already serving this peer (or as many peers as it serves at
once) answers a hello with ``busy`` and closes the stream
(:class:`SyncBusy`).

Frames are a 4-byte big-endian length and a msgpack map. Everything is
bounded: frame size, ids per frame, ids offered and wanted per session,
seconds per frame and per session, one session per peer, envelopes read
from the store in batches of :data:`FETCH_BATCH`. A peer that breaks a
bound gets a named :class:`SyncError`, its stream is reset, and it is
penalised; the node keeps running. Every message received through sync
goes through the same inbound pipeline as gossip, per-peer admission
included: the requester paces its reads to the peer's buckets
(:class:`SyncPaced` when the session's time runs out first).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import msgpack
import trio
from libp2p.abc import INetStream

from intentcast.peer import sync as policy
from intentcast.peer.config import SyncLimits
from intentcast.peer.sync import MAX_RECENT, MAX_TOPICS
from intentcast.protocol import message_id
from intentcast.protocol.kinds import MAX_ANY_ENVELOPE

log = logging.getLogger(__name__)

PROTOCOL: Final = "/intentcast/sync/1.0.0"
#: Ids per inv/want frame, and the largest frame (an id list, or one envelope).
IDS_PER_FRAME: Final = 2_048
MAX_FRAME: Final = IDS_PER_FRAME * 34 + 1_024
#: Envelopes a responder reads from its store at once.
FETCH_BATCH: Final = 256


class SyncError(Exception):
    """The other side broke the sync protocol (malformed, oversized, too slow)."""


class StreamGone(Exception):
    """The stream closed or was reset mid-session: the peer left (no fault)."""


class SyncBusy(Exception):
    """The responder refused a session: it is serving another session of
    this requester (a second ``hello`` from one peer while one runs), or
    as many sessions as it serves at once. An honest requester never opens
    two sessions with one peer, so only the first case is a fault."""


class SyncPaced(Exception):
    """The requester ended a session itself: handing over the messages it
    wanted at the rate the peer's buckets allow (``limits.py``) would have
    run past the session's time. No fault of the peer; what was not
    delivered is wanted again at the next sync."""

    def __init__(self, received: int, accepted: int, wanted: int) -> None:
        super().__init__(f"paced: {received} of {wanted} wanted messages received")
        self.received = received
        self.accepted = accepted


# --- frames -----------------------------------------------------------------


async def _read_exactly(stream: INetStream, n: int) -> bytes:
    chunks = []
    got = 0
    while got < n:
        try:
            chunk = await stream.read(n - got)
        except Exception as exc:  # libp2p's StreamEOF, StreamReset, ...
            raise StreamGone(f"{type(exc).__name__} after {got} of {n} bytes") from None
        if not chunk:
            raise SyncError(f"stream closed after {got} of {n} bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


async def read_frame(stream: INetStream, *, timeout: float) -> dict[str, Any]:
    """Read one frame; raises :class:`SyncError` on anything out of bounds."""
    return await _frame_from(stream, b"", timeout=timeout)


async def _frame_from(stream: INetStream, first: bytes, *, timeout: float) -> dict[str, Any]:
    """The frame whose first header bytes ``first`` were read already; all
    of it within ``timeout`` seconds."""
    with trio.move_on_after(timeout) as scope:
        header = first + await _read_exactly(stream, 4 - len(first))
        size = int.from_bytes(header, "big")
        if size > MAX_FRAME:
            raise SyncError(f"frame of {size} bytes, at most {MAX_FRAME}")
        payload = await _read_exactly(stream, size)
    if scope.cancelled_caught:
        raise SyncError(f"no complete frame within {timeout} s")
    return _decode(payload)


async def next_frame(stream: INetStream, *, idle: float, timeout: float) -> dict[str, Any] | None:
    """The next frame of a stream that carries many, or None if the stream
    ends cleanly or stays idle for ``idle`` seconds before a frame starts.
    A frame once started must be complete within ``timeout`` seconds;
    raises :class:`SyncError` as :func:`read_frame` does."""
    first = b""
    with trio.move_on_after(idle):
        try:
            first = await stream.read(1)
        except EOFError:  # libp2p's StreamEOF: the sender closed, between frames
            return None
        except Exception as exc:  # StreamReset, ...
            raise StreamGone(type(exc).__name__) from None
    if not first:
        return None
    return await _frame_from(stream, first, timeout=timeout)


def _decode(payload: bytes) -> dict[str, Any]:
    try:
        frame = msgpack.unpackb(payload, raw=False, strict_map_key=True)
    except Exception as exc:
        raise SyncError(f"frame is not msgpack: {type(exc).__name__}") from None
    if type(frame) is not dict or type(frame.get("t")) is not str:
        raise SyncError("frame is not a map with a type")
    return frame


async def write_frame(stream: INetStream, frame: dict[str, Any]) -> None:
    payload = msgpack.packb(frame, use_bin_type=True)
    try:
        await stream.write(len(payload).to_bytes(4, "big") + payload)
    except Exception as exc:
        raise StreamGone(type(exc).__name__) from None


def _ids(frame: dict[str, Any]) -> list[bytes]:
    ids = frame.get("ids")
    if type(ids) is not list or len(ids) > IDS_PER_FRAME:
        raise SyncError(f"{frame['t']} frame needs a list of at most {IDS_PER_FRAME} ids")
    if not all(type(i) is bytes and len(i) == 32 for i in ids):
        raise SyncError("ids must be 32-byte message ids")
    return ids


def _expect(frame: dict[str, Any], *types: str) -> str:
    if frame["t"] not in types:
        raise SyncError(f"expected {' or '.join(types)}, got {frame['t']!r}")
    return str(frame["t"])


# --- the two sides ------------------------------------------------------------

#: Live messages this node can offer: ``(topics, at most, recent) ->
#: [(id, topic)]``; ``recent`` (None: any age): only intents-topic messages
#: created within the last that many seconds.
Inventory = Callable[[Sequence[str], int, int | None], Awaitable[list[tuple[bytes, str]]]]
#: Envelope bytes of messages by id (at most :data:`FETCH_BATCH`); an id
#: whose message expired meanwhile is left out.
Fetch = Callable[[Sequence[bytes]], Awaitable[dict[bytes, bytes]]]
#: Which of these ids this node lacks.
Missing = Callable[[Sequence[bytes]], Awaitable[list[bytes]]]
#: Handle one received envelope: ``(topic, data, peer) -> accepted``.
Deliver = Callable[[str, bytes, str], Awaitable[bool]]


async def respond(
    stream: INetStream, *, inventory: Inventory, fetch: Fetch, limits: SyncLimits
) -> int:
    """Serve one sync session; returns the number of messages sent."""
    sent = 0
    with trio.fail_after(limits.session_timeout):
        hello = await read_frame(stream, timeout=limits.frame_timeout)
        _expect(hello, "hello")
        topics = hello.get("topics")
        if not policy.hello_topics_ok(topics):
            raise SyncError(f"hello needs a list of at most {MAX_TOPICS} topics")
        assert isinstance(topics, list)
        recent = hello.get("recent")
        if not policy.hello_recent_ok(recent):
            raise SyncError(f"hello's recent must be whole seconds from 1 to {MAX_RECENT}")
        assert recent is None or isinstance(recent, int)
        offer = (await inventory(topics, limits.max_inventory, recent))[: limits.max_inventory]
        topic_of = dict(offer)
        for start in range(0, len(offer), IDS_PER_FRAME):
            chunk = [i for i, _ in offer[start : start + IDS_PER_FRAME]]
            await write_frame(stream, {"t": "inv", "ids": chunk})
        await write_frame(stream, {"t": "inv-end"})
        wanted: dict[bytes, None] = {}
        while True:
            frame = await read_frame(stream, timeout=limits.frame_timeout)
            if _expect(frame, "want", "want-end") == "want-end":
                break
            wanted.update(dict.fromkeys(i for i in _ids(frame) if i in topic_of))
            if len(wanted) > limits.max_inventory:
                raise SyncError("wanted more ids than were offered")
        # Only what is served is read from the store (policy.serve: each
        # offered id once, at most max_wanted), a batch at a time, so memory,
        # event-loop time and bytes sent per session stay bounded.
        ids = policy.serve(wanted, topic_of, limits)
        for start in range(0, len(ids), FETCH_BATCH):
            batch = ids[start : start + FETCH_BATCH]
            found = await fetch(batch)
            for message_id in batch:
                data = found.get(message_id)
                if data is not None:
                    frame = {"t": "msg", "topic": topic_of[message_id], "data": data}
                    await write_frame(stream, frame)
                    sent += 1
        await write_frame(stream, {"t": "end"})
    return sent


async def refuse_busy(stream: INetStream) -> None:
    """Answer a session the responder will not serve now with ``busy``."""
    await write_frame(stream, {"t": "busy"})


async def probe(
    stream: INetStream, *, topics: Sequence[str], recent: int, limits: SyncLimits
) -> set[bytes]:
    """A quiet customer's probe as the requester: the ids the peer holds of
    messages on ``topics`` created within the last ``recent`` seconds (a
    hello with ``recent``), wanting none of them. Raises
    :class:`SyncBusy` if the responder refuses the session, and
    :class:`SyncError` if it breaks the protocol."""
    if not 1 <= recent <= MAX_RECENT:
        raise ValueError(f"recent must be whole seconds from 1 to {MAX_RECENT}")
    with trio.fail_after(limits.session_timeout):
        hello = {"t": "hello", "topics": list(topics)[:MAX_TOPICS], "recent": recent}
        offered = await _inventory_after(stream, hello, limits)
        await write_frame(stream, {"t": "want-end"})
        _expect(await read_frame(stream, timeout=limits.frame_timeout), "end")
    return set(offered)


async def _inventory_after(
    stream: INetStream, hello: dict[str, Any], limits: SyncLimits
) -> list[bytes]:
    """Send ``hello`` and read the responder's inventory, in its order.
    Raises :class:`SyncBusy` (refused) or :class:`SyncError` (too many ids)."""
    await write_frame(stream, hello)
    offered: list[bytes] = []
    while True:
        frame = await read_frame(stream, timeout=limits.frame_timeout)
        if frame["t"] == "busy" and not offered:
            raise SyncBusy("the peer is serving another session")
        if _expect(frame, "inv", "inv-end") == "inv-end":
            return offered
        offered.extend(_ids(frame))
        if len(offered) > limits.max_inventory:
            raise SyncError(f"inventory over {limits.max_inventory} ids")


async def request(
    stream: INetStream,
    *,
    topics: Sequence[str],
    missing: Missing,
    deliver: Deliver,
    peer: str,
    limits: SyncLimits,
) -> tuple[int, int]:
    """Run one sync session as the requester; returns (received, accepted).

    ``deliver`` may wait (the node paces it to the peer's rate limits);
    when that would run past the session's time the session ends early
    with :class:`SyncPaced`, never with a fault of the peer. Raises
    :class:`SyncBusy` if the responder refuses the session."""
    received = accepted = 0
    # Our own pacing stops a frame timeout before the session's end, so a
    # slow hand-over of ours is never mistaken for a slow peer.
    paced_until = trio.current_time() + max(
        limits.session_timeout / 2, limits.session_timeout - limits.frame_timeout
    )
    with trio.fail_after(limits.session_timeout):
        hello = {"t": "hello", "topics": list(topics)[:MAX_TOPICS]}
        offered = await _inventory_after(stream, hello, limits)
        unseen = set(await missing(offered))
        wanted = policy.want(offered, lambda i: i not in unseen, limits)
        wanted_set = set(wanted)
        for start in range(0, len(wanted), IDS_PER_FRAME):
            await write_frame(stream, {"t": "want", "ids": wanted[start : start + IDS_PER_FRAME]})
        await write_frame(stream, {"t": "want-end"})
        while True:
            frame = await read_frame(stream, timeout=limits.frame_timeout)
            if _expect(frame, "msg", "end") == "end":
                break
            data, topic = frame.get("data"), frame.get("topic")
            if type(data) is not bytes or len(data) > MAX_ANY_ENVELOPE or type(topic) is not str:
                raise SyncError("msg frame needs a topic and at most one envelope of data")
            received += 1
            if message_id(data) not in wanted_set:
                raise SyncError("sent a message that was not wanted")
            wanted_set.discard(message_id(data))
            with trio.move_on_at(paced_until):
                if await deliver(topic, data, peer):
                    accepted += 1
                continue
            raise SyncPaced(received - 1, accepted, len(wanted))
    return received, accepted
