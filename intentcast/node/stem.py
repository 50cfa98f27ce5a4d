"""Stem-then-fluff: the node's side of origin hiding (docs/privacy.md).

A message this node writes (an intent, withdrawal, sealed offer or sealed
deal; :func:`intentcast.protocol.stem.stems`) is not gossiped from here. It
goes to one peer over ``/intentcast/stem/1.0.0``; each peer on the stem
passes it to one successor, until a peer that is a *diffuser* this epoch
publishes it by gossip (the *fluff*). The policy (roles, successors,
per-inbound-edge forwarding, embargo timers) is pure code in
:mod:`intentcast.protocol.stem`; this module carries it out: the stream
protocol, the timers, and the rule that a message still on its stem is not
handed out by sync (sync would name its author).

The fail-safe: the author, and every relay that follows the message's topic,
holds the message with an *embargo* timer; if the message has not come back
by gossip when the timer fires, the holder fluffs it itself. A stem peer
that drops or delays a message therefore delays it, never suppresses it.
Relays that do not follow the topic cannot see the fluff, so they keep no
timer (a blind timer would republish every message they relayed); the
author always follows the topics of what it sends (it subscribes when it
sends), so its timer always stands.
"""

from __future__ import annotations

import logging
import random
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import trio

from intentcast.protocol import (
    Action,
    IntentState,
    Kind,
    OfferState,
    Signed,
    message_id,
    validate,
)
from intentcast.protocol.stem import Fluff, StemRouter, stems

from . import sync as frames
from .base import NodeBase, NodeError
from .limits import Pacer

log = logging.getLogger(__name__)

PROTOCOL: Final = "/intentcast/stem/1.0.0"
#: Messages held on the stem at once (own and relayed); past it, a new
#: relayed message is fluffed at once instead of held (bounded memory
#: under a flood).
MAX_HELD: Final = 2_000
#: Relayed stem message ids remembered for loop detection.
MAX_RELAYED: Final = 10_000
#: Seconds to hand a message to a successor, and to read one from a peer.
SEND_TIMEOUT: Final = 5.0
FRAME_TIMEOUT: Final = 5.0
#: A stem stream is kept open between messages: the receiver ends one idle
#: for RECEIVER_IDLE seconds; the sender starts a new one after
#: SENDER_IDLE, well before, so it never writes into a stream just dropped.
SENDER_IDLE: Final = 600.0
RECEIVER_IDLE: Final = 900.0
#: How often the keeper checks that a stream to each successor is open (and
#: renews one nearing SENDER_IDLE): no message waits for a stream to open.
KEEPER_PERIOD: Final = 5.0
#: After a restart, seconds from the first connection until own messages
#: still on their stem are sent down a stem again: sync on connect brings
#: back those the network has by then, and they are not sent again.
RESEND_GRACE: Final = 3.0
#: Stem streams one peer may hold open to this node at once. An honest
#: sender keeps one per successor and briefly two while it renews it.
MAX_STREAMS_IN: Final = 3
#: Why a node ended a stem by publishing the message itself: it is a
#: diffuser this epoch; the stem came back to a node that had it (a loop);
#: its embargo timer fired (the message did not come back by gossip in
#: time: a successor swallowed it, or left with it); no successor would
#: take it; the node already held as many stem messages as it may.
STEM_ENDS: Final = ("diffuser", "loop", "embargo", "no-successor", "full")


@dataclass(slots=True, eq=False)
class _Held:
    topic: str
    signed: Signed[Any]
    #: Written by this node (else relayed from ``inbound``).
    own: bool
    inbound: str | None = None
    #: The peer it was handed to down the stem, while it is on its way.
    successor: str | None = None


class StemRouting(NodeBase):
    """Stem-then-fluff methods of :class:`~intentcast.node.node.Node`
    (active when ``NodeConfig.stem`` is set)."""

    _stem_router: StemRouter[str] | None
    _stem_held: dict[bytes, _Held]
    #: Ids of stem messages relayed lately (loop detection), oldest first.
    _stem_relayed: OrderedDict[bytes, None]
    #: Stream kept open to each successor, with when it was last written.
    _stem_streams: dict[str, tuple[Any, float]]
    _stem_locks: dict[str, trio.Lock]
    _stem_rng: random.SystemRandom
    #: Ids of own messages on their stem, as in ``store.stems`` (held in
    #: ``_stem_held`` too, except after a restart until they are resent).
    _stem_pending: set[bytes]
    #: Paces what this node sends to each successor, and what it reads from
    #: each predecessor (``PeerLimitConfig.stem_per_second``).
    _stem_out: Pacer
    _stem_in: Pacer
    #: Stem streams each peer holds open to this node now.
    _stem_streams_in: dict[str, int]

    def _stem_setup(self) -> None:
        params = self.config.stem
        self._stem_rng = random.SystemRandom()
        self._stem_router = None if params is None else StemRouter(params, self._stem_rng)
        self._stem_held = {}
        self._stem_relayed = OrderedDict()
        self._stem_streams = {}
        self._stem_locks = {}
        self._stem_pending = set()
        limits = self.config.limits
        self._stem_out = Pacer(limits.stem_per_second, limits.stem_burst)
        factor = limits.stem_intake_factor
        self._stem_in = Pacer(limits.stem_per_second * factor, limits.stem_burst * factor)
        self._stem_streams_in = {}

    def stem_held(self) -> list[bytes]:
        """Ids of the messages this node holds on their stem now."""
        return list(self._stem_held)

    # --- sending ----------------------------------------------------------------

    async def _publish_own(self, topic: str, signed: Signed[Any]) -> None:
        if self._stem_router is None or not stems(signed.kind):
            await super()._publish_own(topic, signed)
            return
        held = _Held(topic, signed, own=True)
        self._stem_held[signed.id] = held
        self._stem_pending.add(signed.id)
        self.store.stems.add(signed, topic)  # a restart sends it again
        await self.p2p.subscribe(topic)  # to see it come back fluffed
        assert self._nursery is not None
        self._nursery.start_soon(self._carry_own, held)

    async def _carry_own(self, held: _Held) -> None:
        """Send an own message down its stem; fluff it if no successor takes
        it, or if it has not come back by gossip when the embargo ends."""
        router = self._stem_router
        assert router is not None
        if not await self._until_connected(held):
            return
        if not await self._forward(held):
            await self._fluff(held, "no-successor")
            return
        self._count("stem:own-sent")
        await self._embargo(held)

    async def _until_connected(self, held: _Held) -> bool:
        """A lone node holds its own message until it has a peer: fluffing
        it to no one would leave sync to hand it out, naming this node.
        False if the message was taken off the stem meanwhile."""
        while not self.p2p.connected_peers():
            await trio.sleep(0.5)
            if self._stem_held.get(held.signed.id) is not held:
                return False
        return True

    def _route(self, held: _Held) -> Fluff | str:
        """Where ``held`` goes next by this epoch's routes: a successor, or
        ``FLUFF`` (a relayed message at a diffuser, or no successor)."""
        router = self._refreshed()
        if held.own:
            route = router.route_own()
        else:
            assert held.inbound is not None
            route = router.route_relayed(held.inbound, self._stem_rng)
        return route if isinstance(route, Fluff) else route.peer

    async def _forward(self, held: _Held) -> bool:
        """Hand ``held`` to its successor; a successor that does not take it
        is replaced (``peer_lost``) and the next one tried. False if none
        took it (the caller fluffs it)."""
        router = self._stem_router
        assert router is not None
        for _ in range(router.params.successors + 1):
            peer = self._route(held)
            if isinstance(peer, Fluff):
                return False
            if await self._send(peer, held):
                return True
            router.peer_lost(peer, self._peers(), self._stem_rng)
        return False

    async def _embargo(self, held: _Held) -> None:
        router = self._stem_router
        assert router is not None
        await trio.sleep(router.embargo_seconds(self._stem_rng))
        if self._stem_held.get(held.signed.id) is held:
            # A relayed message's timer fires as often as a predecessor
            # sends messages that do not come back: rate-limited per peer.
            self.p2p.remote_log.note(
                "own" if held.own else str(held.inbound), "stem-embargo",
                "stem: %s not seen fluffed in time; fluffing it", held.signed.id.hex()[:12],
            )  # fmt: skip
            await self._fluff(held, "embargo")

    async def _send(self, peer: str, held: _Held) -> bool:
        """Write ``held`` to ``peer`` on the stream kept open to it (a hop
        then costs one link latency, not the three of opening a stream;
        docs/simulations.md, Anonymity); a stream found dead is replaced once."""
        frame = {"t": "stem", "topic": held.topic, "msg": held.signed.raw}
        lock = self._stem_locks.setdefault(peer, trio.Lock())
        async with lock:  # FIFO: messages to one successor keep their order
            # Paced: a receiver reads a peer's stem at twice this pace at most
            # (limits.py), so this node never blocks on a successor, and a
            # flood pushed into it leaves at this pace, not the flooder's.
            wait = self._stem_out.delay(peer, trio.current_time())
            if wait > 0:
                self._count("stem:paced-out")
                await trio.sleep(wait)
            self._stem_out.take(peer, trio.current_time())
            for fresh in (False, True):
                kept = self._stem_streams.pop(peer, None)
                if kept is not None and trio.current_time() - kept[1] > SENDER_IDLE:
                    await _close(kept[0])  # the receiver may drop it soon: start anew
                    kept = None
                if kept is None and not fresh:
                    continue  # nothing kept: open one below
                stream = None if kept is None else kept[0]
                try:
                    with trio.fail_after(SEND_TIMEOUT):
                        if stream is None:
                            stream = await self.p2p.new_stream(peer, PROTOCOL)
                        await frames.write_frame(stream, frame)
                except Exception as exc:  # NetworkError, StreamGone, TooSlow, libp2p's own
                    log.debug("stem: %s did not take a message: %s", peer, type(exc).__name__)
                    if stream is not None:
                        await _reset(stream)
                    continue
                self._stem_streams[peer] = (stream, trio.current_time())
                held.successor = peer
                self._trace("stem-sent", held.signed.id, ("own:" if held.own else "") + peer)
                return True
        return False

    async def _fluff(self, held: _Held, reason: str) -> None:
        """Publish ``held`` by gossip (the stem ends here, for ``reason``, one
        of :data:`STEM_ENDS`) and take it in."""
        if self._stem_held.get(held.signed.id) is held:
            del self._stem_held[held.signed.id]
        held.successor = None
        if held.own:
            self._stem_ended(held, reason)
            await super()._publish_own(held.topic, held.signed)
            self._stem_done(held.signed.id)
            return
        # A relayed message: store and handle it as if it came by gossip
        # (it was validated on arrival); publish it if it is still news.
        assert held.inbound is not None
        if super()._inbound(held.topic, held.signed.raw, held.inbound, stem_end=True):
            self._stem_ended(held, reason)
            await self.p2p.publish(held.topic, held.signed.raw)

    def _stem_ended(self, held: _Held, reason: str) -> None:
        self._count(f"stem-end:{reason}")
        self._trace("stem-end", held.signed.id, reason)

    def _stem_done(self, message_id: bytes) -> None:
        """An own message's stem is over: it is out by gossip."""
        if message_id in self._stem_pending:
            self._stem_pending.discard(message_id)
            self.store.stems.done(message_id)

    def resend_unfluffed(self) -> int:
        """After a restart: send down a stem again the own messages whose stem
        a stop cut short (they never came back by gossip, so the network may
        not have them); returns how many are scheduled. Until then sync does
        not hand them out (it would name this node as their author). Each
        waits for a peer and ``RESEND_GRACE`` seconds more, in which sync on
        connect brings back those the network has after all. An intent
        superseded, withdrawn or closed since, and an offer for an intent
        withdrawn or superseded, stay put."""
        assert self._nursery is not None
        scheduled = 0
        for pending in self.store.stems.pending(now=self.now()):
            signed = pending.signed
            if not self._worth_resending(signed):
                self.store.stems.done(signed.id)
                continue
            self._stem_pending.add(signed.id)
            self._nursery.start_soon(self._resend, pending.topic, signed)
            scheduled += 1
        if scheduled:
            log.info("%d own messages whose stem a stop cut short will be sent again", scheduled)
        return scheduled

    def _worth_resending(self, signed: Signed[Any]) -> bool:
        kind = signed.kind
        if kind is Kind.INTENT:
            own = self.store.intents.get(signed.signer)
            return (
                own is not None
                and own.intent.id == signed.id
                and own.state in (IntentState.OPEN, IntentState.AMENDED)
            )
        if kind is Kind.SEALED_OFFER:
            made = [m for m in self.store.offers.made(signed.message.intent_id)
                    if m.sealed.id == signed.id]  # fmt: skip
            return (
                bool(made)
                and made[0].state is OfferState.RECEIVED
                and self._still_open(made[0].intent)
            )
        return True

    async def _resend(self, topic: str, signed: Signed[Any]) -> None:
        while not self.p2p.connected_peers():
            await trio.sleep(0.5)
        await trio.sleep(RESEND_GRACE)
        if signed.id not in self._stem_pending:
            return  # back by sync meanwhile
        self._count("stem:resent")
        if self._stem_router is None:  # stem routing is off now: plain gossip
            await super()._publish_own(topic, signed)
            self._stem_done(signed.id)
            return
        await self._publish_own(topic, signed)

    async def _stem_keeper(self) -> None:
        """Keep a stream open to each current successor (drawn afresh each
        epoch), so a stem hop costs one link latency, never the three of
        opening a stream (docs/simulations.md, Anonymity); close streams to
        peers that are no longer successors once they go stale."""
        if self._stem_router is None:
            return
        while True:
            await trio.sleep(KEEPER_PERIOD)
            if not self.p2p.connected_peers():
                continue
            successors = set(self._refreshed().successors)
            now = trio.current_time()
            for peer, (stream, used) in list(self._stem_streams.items()):
                if peer not in successors and now - used > SENDER_IDLE:
                    del self._stem_streams[peer]
                    await _close(stream)
            for peer in successors:
                kept = self._stem_streams.get(peer)
                if kept is None or now - kept[1] > SENDER_IDLE - 2 * KEEPER_PERIOD:
                    await self._open_stem_stream(peer)

    async def _open_stem_stream(self, peer: str) -> None:
        lock = self._stem_locks.setdefault(peer, trio.Lock())
        async with lock:
            try:
                with trio.fail_after(SEND_TIMEOUT):
                    stream = await self.p2p.new_stream(peer, PROTOCOL)
            except Exception as exc:  # the peer left, or does not speak the stem
                log.debug("stem: no stream to %s: %s", peer, type(exc).__name__)
                return
            old = self._stem_streams.get(peer)
            self._stem_streams[peer] = (stream, trio.current_time())
            if old is not None:
                await _close(old[0])

    def _refreshed(self) -> StemRouter[str]:
        router = self._stem_router
        assert router is not None
        router.refresh(time.time(), self._peers(), self._stem_rng)
        return router

    def _peers(self) -> Sequence[str]:
        """Who may be a stem successor: the peers this node dialled, when it
        has at least one per successor slot (Dandelion++ and Monero route
        stems over outbound connections only: an adversary can connect to
        everyone, but cannot make a node dial it); else every peer, so that
        a node others dialled (a relay with a public address) still stems."""
        router = self._stem_router
        dialled = self.p2p.outbound_peers()
        if router is not None and len(dialled) >= router.params.successors:
            return dialled
        return sorted(self.p2p.connected_peers())

    # --- receiving ----------------------------------------------------------------

    async def _serve_stem(self, stream: Any) -> None:
        """Read the stem messages a peer sends on one stream until it closes
        it, sends garbage (penalised), or leaves it idle. A peer gets at most
        ``MAX_STREAMS_IN`` such streams at once (each would be a task
        waiting on the same pace)."""
        peer = stream.muxed_conn.peer_id.to_base58()
        if self._stem_streams_in.get(peer, 0) >= MAX_STREAMS_IN:
            self._count("ignore:stem-streams")
            await _reset(stream)
            return
        self._stem_streams_in[peer] = self._stem_streams_in.get(peer, 0) + 1
        try:
            await self._read_stem(stream, peer)
        except NodeError:  # the node stopped while this stream was paced
            await _reset(stream)
        finally:
            left = self._stem_streams_in.pop(peer, 1) - 1
            if left > 0:
                self._stem_streams_in[peer] = left

    async def _read_stem(self, stream: Any, peer: str) -> None:
        while True:
            try:
                frame = await frames.next_frame(stream, idle=RECEIVER_IDLE, timeout=FRAME_TIMEOUT)
                if frame is None:
                    # Idle or closed: reset, so a late write fails at the
                    # sender (which then opens a new stream) instead of
                    # vanishing into a stream nobody reads.
                    await _reset(stream)
                    return
                topic, raw = frame.get("topic"), frame.get("msg")
                if frame["t"] != "stem" or type(topic) is not str or type(raw) is not bytes:
                    raise frames.SyncError("not a stem frame")
            except frames.SyncError as exc:
                self._count("reject:stem-frame")
                self.p2p.penalise(peer, f"stem: {exc}")
                await _reset(stream)
                return
            except frames.StreamGone:
                await _reset(stream)
                return
            # Paced per predecessor: while a peer is over its pace this
            # stream is not read, so its writes block; nothing is dropped
            # and no one is charged (limits.py, stem_per_second).
            wait = self._stem_in.delay(peer, trio.current_time())
            if wait > 0:
                self._count("stem:paced-in")
                await trio.sleep(wait)
            self._stem_in.take(peer, trio.current_time())
            if self.p2p.limits.is_banned(peer, time.monotonic()):
                await _reset(stream)
                return
            if self._stem_router is None:
                # Stem routing is off here: take the message as gossip would.
                if self._inbound(topic, raw, peer):
                    await self.p2p.publish(topic, raw)
                continue
            await self._stem_arrived(topic, raw, peer)

    async def _stem_arrived(self, topic: str, raw: bytes, peer: str) -> None:
        verdict = validate(raw, now=self.now(), params=self.params)
        if verdict.action is not Action.ACCEPT or verdict.signed is None:
            self._count(f"{verdict.action.value}:{verdict.reason}")
            if verdict.action is Action.REJECT:
                self.p2p.penalise(peer, f"stem: {verdict.reason}")
            return
        signed = verdict.signed
        if not stems(signed.kind) or not self._fits_topic(topic, signed):
            self._count("reject:stem-topic")
            self.p2p.penalise(peer, "stem: wrong kind or topic")
            return
        held = self._stem_held.get(signed.id)
        if held is not None or signed.id in self._stem_relayed:
            # The stem looped back to a node that had it: end it here (a
            # relay that keeps no timer remembers what it relayed, or a loop
            # of such relays would circle until some author's timer fired).
            await self._fluff(held or _Held(topic, signed, own=False, inbound=peer), "loop")
            return
        if signed.id in self._queued or self.store.gossip.has_seen(signed.id):
            self._count("stem:already-fluffed")
            return
        held = _Held(topic, signed, own=False, inbound=peer)
        if len(self._stem_held) >= MAX_HELD:
            await self._fluff(held, "full")
            return
        if self._refreshed().diffuser:
            await self._fluff(held, "diffuser")
            return
        self._stem_held[signed.id] = held
        self._stem_relayed[signed.id] = None
        while len(self._stem_relayed) > MAX_RELAYED:
            self._stem_relayed.popitem(last=False)
        if not await self._forward(held):
            await self._fluff(held, "no-successor")
            return
        self._count("stem:relayed")
        assert self._nursery is not None
        if topic in self.p2p.topics:  # this node will see the fluff: keep a timer
            self._nursery.start_soon(self._embargo, held)
        else:
            # It cannot see the fluff, so it keeps no timer; it holds the
            # message only while the stem can still be under way, to send
            # it on again should its successor leave meanwhile.
            self._nursery.start_soon(self._release, held)

    async def _release(self, held: _Held) -> None:
        router = self._stem_router
        assert router is not None
        await trio.sleep(router.params.embargo_base_seconds)
        if self._stem_held.get(held.signed.id) is held:
            del self._stem_held[held.signed.id]

    def _stem_peer_left(self, peer: str) -> None:
        """A connection closed: a stem message handed to ``peer`` that has
        not come back by gossip may have left with it. Send each such one
        down another stem now (or fluff it), rather than wait for the
        embargo timer (10 s and more) to notice; the timer stays as the
        fail-safe against a successor that takes messages and drops them."""
        self._stem_streams.pop(peer, None)
        router = self._stem_router
        if router is None or self._nursery is None:
            return
        router.peer_lost(peer, self._peers(), self._stem_rng)
        for held in list(self._stem_held.values()):
            if held.successor == peer:
                held.successor = None
                self._count("stem:rerouted")
                self._trace("stem-rerouted", held.signed.id, peer)
                self._nursery.start_soon(self._reroute, held)

    async def _reroute(self, held: _Held) -> None:
        if held.own and not await self._until_connected(held):
            return
        if self._stem_held.get(held.signed.id) is not held:
            return  # back by gossip meanwhile
        if not await self._forward(held):
            await self._fluff(held, "no-successor")

    def _inbound(self, topic: str, data: bytes, peer: str, *, stem_end: bool = False) -> bool:
        if self._stem_held:
            mid = message_id(data)
            held = self._stem_held.get(mid)
            if held is not None and held.own and held.topic == topic:
                # Our own message, fluffed by someone down its stem. Take it
                # in, and forward it as every other node does: an author
                # that alone did not pass its message on would stand out.
                del self._stem_held[mid]
                self._count("stem:own-fluffed")
                self.store.gossip.ingest(held.signed)
                self._stem_done(mid)
                return True
        accepted = super()._inbound(topic, data, peer, stem_end=stem_end)
        if self._stem_held or self._stem_pending:
            # Back by gossip or sync: someone fluffed it; its stem is over here.
            mid = message_id(data)
            if accepted:
                self._stem_held.pop(mid, None)
            self._stem_done(mid)
        return accepted

    def _on_stem(self, message_id: bytes) -> bool:
        held = self._stem_held.get(message_id)
        return (held is not None and held.own) or message_id in self._stem_pending


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
