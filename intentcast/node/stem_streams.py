"""The stem's wire: ``/intentcast/stem/1.0.0`` streams, kept open, paced.

A stem hop is one frame (``{"t": "stem", "topic", "msg"}``, framed as sync's
frames) on a stream the sender keeps open to each successor, so a hop
costs one link latency, never the three of opening a stream
(docs/simulations.md, Anonymity). :class:`StemStreams` owns those streams
for one node: it writes to successors (paced per successor), keeps a
stream open to each current successor, and reads what predecessors send
(paced per predecessor, at most ``MAX_STREAMS_IN`` streams per peer). What
a message means, and where it goes next, is :mod:`intentcast.node.stem`'s
(and the pure :class:`intentcast.peer.stem.StemNode`'s) business.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final

import trio

from intentcast.peer.limits import Pacer
from intentcast.peer.stem import KEEPER_PERIOD, RECEIVER_IDLE, SENDER_IDLE

from . import sync as frames
from .base import NodeCore, NodeError

log = logging.getLogger(__name__)

PROTOCOL: Final = "/intentcast/stem/1.0.0"
#: Seconds to hand a message to a successor, and to read one from a peer.
SEND_TIMEOUT: Final = 5.0
FRAME_TIMEOUT: Final = 5.0
#: Stem streams one peer may hold open to this node at once. An honest
#: sender keeps one per successor and briefly two while it renews it.
MAX_STREAMS_IN: Final = 3

#: What a reader hands on: ``(topic, envelope, peer)``.
OnFrame = Callable[[str, bytes, str], Awaitable[None]]


class StemStreams:
    """The stem streams of one node, both ways."""

    def __init__(self, core: NodeCore) -> None:
        self.core = core
        #: Stream kept open to each successor, with when it was last written.
        self._out: dict[str, tuple[Any, float]] = {}
        self._locks: dict[str, trio.Lock] = {}
        #: Stem streams each peer holds open to this node now.
        self._in: dict[str, int] = {}
        limits = core.config.limits
        #: Paces what this node sends to each successor, and what it reads
        #: from each predecessor (``PeerLimitConfig.stem_per_second``).
        self._pace_out = Pacer(limits.stem_per_second, limits.stem_burst)
        factor = limits.stem_intake_factor
        self._pace_in = Pacer(limits.stem_per_second * factor, limits.stem_burst * factor)

    # --- sending ----------------------------------------------------------------

    async def send(self, peer: str, topic: str, raw: bytes) -> bool:
        """Write one stem message to ``peer`` on the stream kept open to it
        (a stream found dead is replaced once); False if it did not take it.
        Messages to one successor keep their order (a FIFO lock) and leave
        at most at ``stem_per_second``: a receiver reads a peer's stem at
        twice that at most, so this node never blocks on a successor, and a
        flood pushed into it leaves at this pace, not the flooder's."""
        frame = {"t": "stem", "topic": topic, "msg": raw}
        async with self._locks.setdefault(peer, trio.Lock()):
            wait = self._pace_out.delay(peer, trio.current_time())
            if wait > 0:
                self.core._count("stem:paced-out")
                await trio.sleep(wait)
            self._pace_out.take(peer, trio.current_time())
            for fresh in (False, True):
                kept = self._out.pop(peer, None)
                if kept is not None and trio.current_time() - kept[1] > SENDER_IDLE:
                    await _close(kept[0])  # the receiver may drop it soon: start anew
                    kept = None
                if kept is None and not fresh:
                    continue  # nothing kept: open one below
                stream = None if kept is None else kept[0]
                try:
                    with trio.fail_after(SEND_TIMEOUT):
                        if stream is None:
                            stream = await self.core.p2p.new_stream(peer, PROTOCOL)
                        await frames.write_frame(stream, frame)
                except Exception as exc:  # NetworkError, StreamGone, TooSlow, libp2p's own
                    log.debug("stem: %s did not take a message: %s", peer, type(exc).__name__)
                    if stream is not None:
                        await _reset(stream)
                    continue
                self._out[peer] = (stream, trio.current_time())
                return True
        return False

    def forget(self, peer: str) -> None:
        """``peer`` left: its stream is gone with it."""
        self._out.pop(peer, None)

    async def keep(self, successors: Callable[[], Iterable[str]]) -> None:
        """Keep a stream open to each current successor (``successors()``,
        drawn afresh each epoch); close streams to peers that are no longer
        successors once they go stale."""
        p2p = self.core.p2p
        while True:
            await trio.sleep(KEEPER_PERIOD)
            if not p2p.connected_peers():
                continue
            current = set(successors())
            now = trio.current_time()
            for peer, (stream, used) in list(self._out.items()):
                if peer not in current and now - used > SENDER_IDLE:
                    del self._out[peer]
                    await _close(stream)
            for peer in current:
                kept = self._out.get(peer)
                if kept is None or now - kept[1] > SENDER_IDLE - 2 * KEEPER_PERIOD:
                    await self._open(peer)

    async def _open(self, peer: str) -> None:
        async with self._locks.setdefault(peer, trio.Lock()):
            try:
                with trio.fail_after(SEND_TIMEOUT):
                    stream = await self.core.p2p.new_stream(peer, PROTOCOL)
            except Exception as exc:  # the peer left, or does not speak the stem
                log.debug("stem: no stream to %s: %s", peer, type(exc).__name__)
                return
            old = self._out.get(peer)
            self._out[peer] = (stream, trio.current_time())
            if old is not None:
                await _close(old[0])

    # --- receiving ----------------------------------------------------------------

    async def serve(self, stream: Any, on_frame: OnFrame) -> None:
        """Read the stem messages a peer sends on one stream, handing each
        to ``on_frame``, until the peer closes it, sends garbage
        (penalised), or leaves it idle. A peer gets at most
        ``MAX_STREAMS_IN`` such streams at once (each would be a task
        waiting on the same pace)."""
        peer = stream.muxed_conn.peer_id.to_base58()
        if self._in.get(peer, 0) >= MAX_STREAMS_IN:
            self.core._count("ignore:stem-streams")
            await _reset(stream)
            return
        self._in[peer] = self._in.get(peer, 0) + 1
        try:
            await self._read(stream, peer, on_frame)
        except NodeError:  # the node stopped while this stream was paced
            await _reset(stream)
        finally:
            left = self._in.pop(peer, 1) - 1
            if left > 0:
                self._in[peer] = left

    async def _read(self, stream: Any, peer: str, on_frame: OnFrame) -> None:
        core = self.core
        reader = FrameReader(stream)
        while True:
            # Idle or closed: reset (by expect), so a late write fails at
            # the sender (which then opens a new stream) instead of
            # vanishing into a stream nobody reads.
            frame = await reader.expect(
                _is_stem_frame, what="stem frame", core=core, peer=peer,
                idle=RECEIVER_IDLE, timeout=FRAME_TIMEOUT,
            )  # fmt: skip
            if frame is None:
                return
            topic, raw = frame["topic"], frame["msg"]
            # Paced per predecessor: while a peer is over its pace this
            # stream is not read, so its writes block; nothing is dropped
            # and no one is charged (limits.py, stem_per_second).
            wait = self._pace_in.delay(peer, trio.current_time())
            if wait > 0:
                core._count("stem:paced-in")
                await trio.sleep(wait)
            self._pace_in.take(peer, trio.current_time())
            if core.p2p.limits.is_banned(peer, time.monotonic()):
                await _reset(stream)
                return
            await on_frame(topic, raw, peer)


class FrameReader:
    """The frames of one stream (as :func:`~.sync.next_frame` reads them:
    4-byte length, msgpack map), read in as few reads as the bytes arrive.

    One read takes everything buffered (at most :data:`READ_CHUNK`),
    usually the whole frame, or several when frames come in together,
    where reading a frame as 1, 3 and then its remaining bytes would take
    three reads of the yamux stream (upstream, each of them also wrote a
    window update back; :mod:`intentcast.node.stream_repairs`)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._buffer = bytearray()

    async def _fill(self, *, between_frames: bool = False) -> bool:
        """Read what the stream holds into the buffer; False if it ended
        cleanly (between frames: the sender closed; within one, an empty
        read). Raises :class:`~.sync.StreamGone` if it went away."""
        try:
            chunk = await self._stream.read(READ_CHUNK)
        except EOFError as exc:  # libp2p's StreamEOF: the sender closed
            if between_frames:
                return False
            raise frames.StreamGone(type(exc).__name__) from None
        except Exception as exc:  # StreamReset, ...
            raise frames.StreamGone(type(exc).__name__) from None
        if not chunk:
            return False
        self._buffer += chunk
        return True

    async def next(self, *, idle: float, timeout: float) -> dict[str, Any] | None:
        """The next frame, or None if the stream ends cleanly or stays idle
        for ``idle`` seconds before a frame starts. A frame once started
        must be complete within ``timeout`` seconds; raises
        :class:`~.sync.SyncError` for one out of bounds or cut short,
        :class:`~.sync.StreamGone` if the stream is reset."""
        buffer = self._buffer
        if not buffer:
            with trio.move_on_after(idle):
                if not await self._fill(between_frames=True):
                    return None
            if not buffer:
                return None
        with trio.move_on_after(timeout) as scope:
            while len(buffer) < 4:
                if not await self._fill():
                    raise frames.SyncError(f"stream closed after {len(buffer)} of 4 bytes")
            size = int.from_bytes(buffer[:4], "big")
            if size > frames.MAX_FRAME:
                raise frames.SyncError(f"frame of {size} bytes, at most {frames.MAX_FRAME}")
            while len(buffer) < 4 + size:
                if not await self._fill():
                    got = len(buffer) - 4
                    raise frames.SyncError(f"stream closed after {got} of {size} bytes")
        if scope.cancelled_caught:
            raise frames.SyncError(f"no complete frame within {timeout} s")
        payload = bytes(buffer[4 : 4 + size])
        del buffer[: 4 + size]
        return frames._decode(payload)

    async def expect(
        self,
        check: Callable[[dict[str, Any]], bool],
        *,
        what: str,
        core: NodeCore,
        peer: str,
        idle: float,
        timeout: float,
    ) -> dict[str, Any] | None:
        """The next frame (:meth:`next`), if it is one ``check`` takes. Else
        the stream is reset and None returned: when it ends, idles or is
        reset; and for a malformed frame, or one ``check`` refuses, also
        counted (``reject:`` and ``what``, dashed) and ``peer`` penalised."""
        try:
            frame = await self.next(idle=idle, timeout=timeout)
            if frame is not None and not check(frame):
                raise frames.SyncError("wrong type or fields")
        except frames.SyncError as exc:
            core._count("reject:" + what.replace(" ", "-"))
            core.p2p.penalise(peer, f"{what}: {exc}")
            frame = None
        except frames.StreamGone:
            frame = None
        if frame is None:
            await _reset(self._stream)
        return frame


def _is_stem_frame(frame: dict[str, Any]) -> bool:
    return (
        frame["t"] == "stem" and type(frame.get("topic")) is str and type(frame.get("msg")) is bytes
    )


#: Most bytes one read of a stem stream takes (a stem frame is at most
#: a few kB; a burst of them comes in one read).
READ_CHUNK: Final = 65_536


async def _reset(stream: Any) -> None:
    try:
        await stream.reset()
    except Exception as exc:  # already gone
        log.debug("stem: reset failed: %s", exc)


async def _close(stream: Any) -> None:
    try:
        await stream.close()
    except Exception as exc:
        log.debug("stem: close failed: %s", exc)
