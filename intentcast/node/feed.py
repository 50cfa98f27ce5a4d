"""The offer feed's wire and tasks: ``/intentcast/feed/1.0.0``
(docs/wire.md section 6; why, docs/privacy.md section 12).

A customer in feed mode (``NodeConfig.offer_feed``) follows no offer
bucket topic; it keeps one feed open to one *carrier* (a connected peer
that follows every bucket) and takes every sealed offer from it. The
decisions (which carrier, what is kept for catch-up, the limits) are the
pure :mod:`intentcast.peer.feed`'s; this module reads and writes the
streams.

- **Carrier** (:meth:`OfferFeed.serve`): reads the customer's one request
  ``{"t": "feed", "recent": seconds}``, writes every offer created in
  those last seconds (from its store, and those accepted too lately to be
  stored yet), then ``{"t": "live", "n": count}``,
  then each offer as it accepts it (``{"t": "offer", "topic", "msg"}``),
  and a ``{"t": "tick"}`` when the feed has been quiet for a while. A
  customer whose queue overflows is cut (it comes back and catches up);
  past ``max_subscribers`` a request is answered ``{"t": "busy"}``.
- **Customer** (:meth:`OfferFeed.keep`): opens a feed to a carrier, takes
  each offer through the node's per-peer admission (as sync does), keeps
  those to its own intents (into the node's pipeline, through the stem
  part as every inbound message) and drops the rest once validated (a
  carrier sending junk is penalised), and on any end tries again,
  elsewhere if the carrier failed.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from typing import Any, Final

import trio

from intentcast.peer import feed as policy
from intentcast.peer import topics
from intentcast.protocol import Kind, message_id, validate

from . import sync as frames
from .base import NodeCore, NodeError, Part
from .stem import StemRouting
from .stem_streams import FRAME_TIMEOUT, FrameReader, _close, _reset

log = logging.getLogger(__name__)

PROTOCOL: Final = "/intentcast/feed/1.0.0"
#: Seconds to open a feed and for its request to arrive, and to write one frame.
OPEN_TIMEOUT: Final = 10.0
WRITE_TIMEOUT: Final = 10.0
_OFFER_TOPICS: Final = frozenset(topics.ALL_OFFER_TOPICS)
#: Envelopes a catch-up reads from the store at a time.
CATCH_UP_BATCH: Final = 256


class OfferFeed(Part):
    """The feeds of one node: those it serves as a carrier, and the one it
    takes as a feed customer."""

    def __init__(self, core: NodeCore, stem: StemRouting, *, carrier: bool) -> None:
        super().__init__(core)
        self.stem = stem
        self.limits = core.config.feed
        #: Whether this node serves feeds (it follows every offer bucket).
        self.carrier = carrier
        self.backlog = policy.Backlog(self.limits)
        self._subscribers: dict[str, trio.MemorySendChannel[tuple[str, bytes]]] = {}
        #: The carrier this customer's feed comes from now (None: none live).
        self.source: str | None = None
        #: When this node last watched the network before this start (its
        #: last heartbeat; None: never): its first feed catches up from there.
        self.away_since = core.store.ratings.last_alive()
        if carrier:
            core.offer_sink = self.push

    # --- the carrier ------------------------------------------------------------

    def subscribers(self) -> list[str]:
        """Peers this node serves a feed to now."""
        return sorted(self._subscribers)

    def push(self, topic: str, raw: bytes) -> None:
        """A sealed offer this node accepted or published: into the backlog
        and every feed it serves. A feed whose customer does not keep up is
        cut (it catches up from the backlog when it comes back)."""
        if topic not in _OFFER_TOPICS:
            return
        self.backlog.add(trio.current_time(), topic, raw)
        for peer, send in list(self._subscribers.items()):
            try:
                send.send_nowait((topic, raw))
            except trio.WouldBlock:
                self._count("feed:cut-slow")
                log.info("feed to %s cut: it did not keep up", peer)
                del self._subscribers[peer]
                send.close()
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                del self._subscribers[peer]

    async def serve(self, stream: Any) -> None:
        """The feed protocol's stream handler (carrier side)."""
        peer = stream.muxed_conn.peer_id.to_base58()
        if not self.carrier or self.p2p.limits.is_banned(peer, time.monotonic()):
            self._count("ignore:feed-not-served")
            await _reset(stream)
            return
        request = await FrameReader(stream).expect(
            _is_feed_request, what="feed request", core=self.core, peer=peer,
            idle=OPEN_TIMEOUT, timeout=OPEN_TIMEOUT,
        )  # fmt: skip
        if request is None:
            return
        old = self._subscribers.pop(peer, None)
        if old is not None:
            old.close()  # the customer came back before its old feed ended
        elif len(self._subscribers) >= self.limits.max_subscribers:
            self._count("ignore:feed-full")
            await self._write(stream, {"t": "busy"})
            await _close(stream)
            return
        send, receive = trio.open_memory_channel[tuple[str, bytes]](self.limits.queue)
        self._subscribers[peer] = send
        self._count("feed:served")
        try:
            # The customer writes nothing after its request: its end closing
            # ends the feed at once, so a customer that left stops counting
            # against ``max_subscribers`` without waiting for a write to fail.
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_until_closed, stream, nursery.cancel_scope)
                await self._feed(stream, receive, self._catch_up(request["recent"]))
                nursery.cancel_scope.cancel()
        finally:
            if self._subscribers.get(peer) is send:
                del self._subscribers[peer]
            send.close()
            await _reset(stream)

    def _catch_up(self, recent: int) -> Iterator[tuple[str, bytes]]:
        """The offers created in the last ``recent`` seconds, oldest first:
        from the store (the newest ``catch_up_max``; their ids first, the
        envelopes read :data:`CATCH_UP_BATCH` at a time as they are
        written, so a feed holds a batch in memory, not a week of offers),
        then those accepted lately that it may not hold yet (the backlog)."""
        if recent == 0:
            return
        now = self.now()
        stored = self.store.gossip.recent_offers(
            since=now - recent, now=now, limit=self.limits.catch_up_max
        )
        lately = self.backlog.since(trio.current_time(), recent)
        for start in range(0, len(stored), CATCH_UP_BATCH):
            batch = stored[start : start + CATCH_UP_BATCH]
            raws = self.store.gossip.raw_many([mid for mid, _ in batch], now=self.now())
            for mid, key in batch:
                if mid in raws:  # not expired or swept meanwhile
                    yield topics.offers(key), raws[mid]
        ids = {mid for mid, _ in stored}
        yield from ((t, raw) for t, raw in lately if message_id(raw) not in ids)

    async def _feed(
        self,
        stream: Any,
        receive: trio.MemoryReceiveChannel[tuple[str, bytes]],
        backlog: Iterator[tuple[str, bytes]],
    ) -> None:
        """Write the catch-up, ``live``, then each offer as it comes, until
        a write fails or the customer is cut."""
        caught_up = 0
        for topic, raw in backlog:
            caught_up += 1
            # What comes live meanwhile goes first: a long catch-up (paced by
            # the customer's admission of this carrier) must not fill the
            # queue and get the feed cut, over and over.
            while True:
                try:
                    live = receive.receive_nowait()
                except trio.WouldBlock:
                    break
                except trio.EndOfChannel:
                    return
                if not await self._write(stream, _offer_frame(*live)):
                    return
            if not await self._write(stream, _offer_frame(topic, raw)):
                return
        if not await self._write(stream, {"t": "live", "n": caught_up}):
            return
        while True:
            item = None
            with trio.move_on_after(self.limits.tick_seconds):
                try:
                    item = await receive.receive()
                except trio.EndOfChannel:
                    return  # cut: too slow, or replaced by a newer feed
            frame = {"t": "tick"} if item is None else _offer_frame(*item)
            if not await self._write(stream, frame):
                return

    async def _write(self, stream: Any, frame: dict[str, Any]) -> bool:
        try:
            with trio.fail_after(WRITE_TIMEOUT):
                await frames.write_frame(stream, frame)
        except Exception as exc:  # gone, reset, too slow: the feed ends
            log.debug("feed: write failed: %s", type(exc).__name__)
            return False
        return True

    # --- the customer -----------------------------------------------------------

    async def keep(self) -> None:
        """Keep a feed open while the node runs (feed mode only): to a
        carrier among the connected peers (:func:`~intentcast.peer.feed.feed_peer`),
        asking for the offers created since the last one ended (at start:
        since the node last watched the network before it stopped); after
        a failure elsewhere, after a wait that doubles up to ``retry_max``;
        every ``rotate_seconds`` from another carrier if there is one."""
        if not self.core.feed_mode:
            return
        lost_at: float | None = None
        last_alive = self.away_since
        avoid: set[str] = set()
        delay = self.limits.retry_min
        while True:
            followers = {t: self.p2p.followers(t) for t in topics.ALL_OFFER_TOPICS}
            peer = policy.feed_peer(policy.carriers(followers), avoid, random.random())
            if peer is None:
                self._count("feed:no-carrier")
                await trio.sleep(self.limits.retry_min)
                continue
            if lost_at is not None:
                away: float | None = trio.current_time() - lost_at
            else:  # since its last heartbeat before this start, if it ever ran
                away = None if last_alive is None else self.now() - last_alive
            fed = False
            with trio.move_on_after(self.limits.rotate_seconds) as rotation:
                fed = await self._follow(peer, policy.catch_up_seconds(away))
            if fed or rotation.cancelled_caught:
                # It had everything up to now (a feed that ended before its
                # catch-up did leaves the gap as it was, to be asked again).
                lost_at = trio.current_time()
            if rotation.cancelled_caught:  # time for another carrier, at once
                self._count("feed:rotated")
                avoid = {peer}
                continue
            if fed:
                avoid.clear()
                delay = self.limits.retry_min
            else:
                avoid.add(peer)
                delay = min(delay * 2, self.limits.retry_max)
            await trio.sleep(delay)

    async def _follow(self, peer: str, recent: int) -> bool:
        """Take one feed from ``peer`` until it ends; True if it went live."""
        try:
            with trio.fail_after(OPEN_TIMEOUT):
                stream = await self.p2p.new_stream(peer, PROTOCOL)
                await frames.write_frame(stream, {"t": "feed", "recent": recent})
        except Exception as exc:  # NetworkError, StreamGone, libp2p's own
            log.info("no feed from %s: %s", peer, type(exc).__name__)
            self._count("feed:open-failed")
            return False
        self._count("feed:opened")
        live = False
        reader = FrameReader(stream)
        try:
            while True:
                frame = await reader.next(idle=self.limits.idle, timeout=FRAME_TIMEOUT)
                if frame is None:
                    self._count("feed:ended")
                    return live
                kind = frame["t"]
                if kind == "offer":
                    await self._offer(frame, peer)
                elif kind == "live":
                    live = True
                    self.source = peer
                    self._count("feed:live")
                elif kind == "busy":
                    self._count("feed:busy")
                    return False
                elif kind != "tick":
                    raise frames.SyncError(f"unknown feed frame {kind!r}")
        except frames.SyncError as exc:
            self._count("reject:feed-frame")
            self.p2p.penalise(peer, f"feed: {exc}")
            return False
        except frames.StreamGone:
            self._count("feed:ended")
            return live
        except NodeError:
            return live
        finally:
            self.source = None
            with trio.CancelScope(shield=True), trio.move_on_after(1.0):
                await _reset(stream)  # also when rotated: the carrier ends it now

    async def _offer(self, frame: dict[str, Any], peer: str) -> None:
        """One offer from the feed: admitted as sync's are (the carrier's
        per-peer rate, its ban), validated; one to an own intent goes on
        into the node, any other is dropped."""
        topic, raw = frame.get("topic"), frame.get("msg")
        if type(topic) is not str or type(raw) is not bytes or topic not in _OFFER_TOPICS:
            raise frames.SyncError("not an offer frame")
        await self.core.admit_sync(raw, peer)
        signed = validate(raw, now=self.now(), params=self.params).signed
        if signed is None or signed.kind is not Kind.SEALED_OFFER:
            # Rejected by the node's pipeline, which penalises the carrier.
            self._count("feed:invalid")
        elif self.store.intents.has_revision(signed.message.intent_id):
            self._count("feed:ours")
        else:
            self._count("feed:not-ours")
            return
        self.stem.inbound(topic, raw, peer)


def _offer_frame(topic: str, raw: bytes) -> dict[str, Any]:
    return {"t": "offer", "topic": topic, "msg": raw}


async def _until_closed(stream: Any, scope: trio.CancelScope) -> None:
    """Return when the customer closes or resets its end of a feed (it
    writes nothing after its request), and end the feed then."""
    try:
        while await stream.read(1024):
            pass  # nothing is expected; whatever comes is not read as a frame
    except Exception as exc:  # StreamEOF, StreamReset: the customer went away
        log.debug("feed: the customer's end closed: %s", type(exc).__name__)
    scope.cancel()


def _is_feed_request(frame: dict[str, Any]) -> bool:
    recent = frame.get("recent")
    return frame["t"] == "feed" and type(recent) is int and policy.recent_ok(recent)
