"""What every role of a node shares: configuration, events, the inbound
pipeline (validate, topic rules, flood caps, durable storage), publishing."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import trio

from intentcast.peer import topics
from intentcast.peer.config import NodeConfig
from intentcast.peer.inbound import Inbound
from intentcast.peer.vendor import VendorHandler
from intentcast.protocol import (
    Action,
    Intent,
    Kind,
    NetworkParams,
    Signed,
    VendorKeys,
    validate,
)
from intentcast.protocol.fields import DAY
from intentcast.protocol.keys import derive
from intentcast.protocol.lifecycle import ON_MARKET
from intentcast.protocol.validation import Verdict as Validation
from intentcast.store import Ingest, Store

from . import sync as sync_protocol
from .p2p import P2P

#: Proof of work of up to this many bits (64 tries on average; with the
#: signature ~0.1 ms, ~0.4 ms at p99) is minted on the event loop: a worker
#: thread's hand-off and wake-up cost more (docs/benchmarks.md, hops). More
#: (every kind at the network's default, 10-16 bits) goes to a thread.
INLINE_WORK_BITS: Final = 6

T = TypeVar("T")


async def with_work(bits: int, fn: Callable[[], T]) -> T:
    """``fn()``, which mints ``bits`` of proof of work: on the event loop if
    that is cheap (:data:`INLINE_WORK_BITS`), else in a worker thread, so
    that the node keeps serving its peers meanwhile. Either way a
    checkpoint, as the thread's hand-off was: a loop of posts still lets
    the node's other tasks run, and can be cancelled."""
    if bits <= INLINE_WORK_BITS:
        result = fn()
        await trio.lowlevel.checkpoint()
        return result
    return await trio.to_thread.run_sync(fn)


#: The key-derivation label of the material a customer's offer buckets are
#: drawn from (:func:`intentcast.peer.topics.bucket_set`; local, not wire).
OFFER_BUCKETS_LABEL: Final = "offer-buckets"

log = logging.getLogger(__name__)


#: Live deals: how long a sealed accept/confirm stays on the network.
DEAL_TTL: Final = 3 * DAY


class NodeError(Exception):
    """A request to the node that cannot be carried out (unknown intent,
    offer that breaks the customer's terms, wrong state)."""


class EventKind(enum.StrEnum):
    INTENT_POSTED = "intent-posted"
    INTENT_RECEIVED = "intent-received"
    OFFER_SENT = "offer-sent"
    OFFER_RECEIVED = "offer-received"
    ACCEPT_SENT = "accept-sent"
    ACCEPT_RECEIVED = "accept-received"
    DEAL_CONFIRMED = "deal-confirmed"
    DEAL_DECLINED = "deal-declined"
    INTENT_WITHDRAWN = "intent-withdrawn"
    #: After the deal (node/relationships.py).
    THREAD_MESSAGE = "thread-message"
    DETAIL_UPDATED = "detail-updated"
    ACK_RECEIVED = "ack-received"
    DATA_DELETED = "data-deleted"
    PEER_CONNECTED = "peer-connected"
    PEER_BANNED = "peer-banned"
    RATING_RECEIVED = "rating-received"


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened on this node; ``subject`` is the message id
    (or peer id) it concerns, ``detail`` a short human text."""

    kind: EventKind
    subject: bytes | str
    detail: str = ""
    #: The own intent (its key) the event belongs to, when there is one.
    intent_key: bytes | None = None


#: A message's journey through this node, for tests and benchmarks:
#: ``(what, message id, detail)``. ``what`` is ``"accepted"`` (new and valid,
#: taken in by the inbound pipeline, whatever brought it: gossip, the end of
#: a stem, sync), ``"stem-sent"`` (handed to a stem successor; detail: the
#: peer, prefixed ``own:`` for an own message), ``"stem-end"`` (this node
#: ended a stem by publishing the message; detail: why, one of
#: :data:`intentcast.node.stem.STEM_ENDS`) or ``"stem-rerouted"`` (its
#: successor left before the stem could have ended; detail: the peer).
Trace = Callable[[str, bytes, str], None]


class NodeCore:
    """What every part of a node shares: the store, the configuration,
    events and counters, the inbound pipeline's driver and the queue to the
    store, plain gossip publishing. The market node
    (:class:`intentcast.node.node.Node`) owns one, and its parts (stem,
    peering, customer, vendor) each hold it; obtain a node with
    ``open_node``."""

    def __init__(
        self,
        *,
        store: Store,
        p2p: P2P,
        nursery: trio.Nursery,
        customer_seed: bytes | None,
        vendor_keys: VendorKeys | None,
        vendor: VendorHandler | None,
        config: NodeConfig,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.config = config
        self.params = config.params
        self._seed = customer_seed
        #: The offer buckets this node's customer draws its intents' keys
        #: into: ``config.offer_buckets`` of them, drawn once from its seed
        #: (which its home keeps), so the same at every start.
        #: A customer that takes its offers from a carrier's feed
        #: (``config.offer_feed``; :mod:`.feed`) draws its keys in every
        #: bucket and follows none.
        self.feed_mode = (
            config.offer_feed
            and customer_seed is not None
            and vendor_keys is None
            and not config.relay
        )
        self.intent_buckets: tuple[int, ...] = (
            ()
            if customer_seed is None
            else tuple(range(topics.BUCKETS))
            if self.feed_mode
            else topics.bucket_set(
                derive(customer_seed, OFFER_BUCKETS_LABEL, 0), config.offer_buckets
            )
        )
        #: The offer buckets it follows: those, and any of its intents on the
        #: market in a bucket its owner has since dropped
        #: (:func:`~intentcast.peer.topics.followed_buckets`); none in feed
        #: mode (the feed brings every bucket's offers).
        self.offer_buckets: tuple[int, ...] = (
            ()
            if self.feed_mode
            else topics.followed_buckets(
                self.intent_buckets,
                store.intents.keys_in(ON_MARKET, now=int(clock())) if customer_seed else (),
            )
        )
        #: Called with every sealed offer this node accepts or publishes
        #: (``(topic, envelope)``): the feeds it serves as a carrier.
        self.offer_sink: Callable[[str, bytes], None] | None = None
        self._vendor_keys = vendor_keys
        self._vendor = vendor
        self._clock = clock
        #: The running host, and the nursery the node's tasks run in.
        self.p2p = p2p
        self.nursery = nursery
        self._work_send, self._work_receive = trio.open_memory_channel[Signed[Any]](10_000)
        self._listeners: list[trio.MemorySendChannel[Event]] = []
        #: Ids validated and queued but not stored yet.
        self._queued: set[bytes] = set()
        self.pipeline = Inbound(max_relayed_offers_per_intent=config.max_relayed_offers_per_intent)
        self._known = _StoreKnown(store, self._queued)
        #: Counters for status and tests: verdicts by reason, work done.
        self.counters: dict[str, int] = {}
        #: Set by a test or benchmark to follow messages through the node.
        self.trace: Trace | None = None

    # --- basics ---------------------------------------------------------------

    def now(self) -> int:
        return int(self._clock())

    @property
    def vendor(self) -> VendorHandler | None:
        """The vendor handler this node answers intents with, if it sells."""
        return self._vendor

    @property
    def vendor_keys(self) -> VendorKeys | None:
        """The vendor's keys, if it sells."""
        return self._vendor_keys

    @property
    def peer_id(self) -> str:
        return self.p2p.peer_id

    def addrs(self) -> list[str]:
        return self.p2p.addrs()

    def _count(self, key: str) -> None:
        self.counters[key] = self.counters.get(key, 0) + 1

    def _spawn(self, fn: Callable[..., Awaitable[object]], *args: Any) -> None:
        """Start ``fn(*args)`` in the node's nursery, from synchronous code
        (a py-libp2p notification); nothing once the node is stopping."""
        try:
            self.nursery.start_soon(fn, *args)
        except RuntimeError:  # the nursery closed: the node is stopping
            log.debug("node stopping; %s not started", getattr(fn, "__name__", fn))

    def _trace(self, what: str, message_id: bytes, detail: str = "") -> None:
        if self.trace is not None:
            self.trace(what, message_id, detail)

    def _emit(
        self,
        kind: EventKind,
        subject: bytes | str,
        detail: str = "",
        intent_key: bytes | None = None,
    ) -> None:
        event = Event(kind, subject, detail, intent_key)
        for channel in list(self._listeners):
            try:
                channel.send_nowait(event)
            except trio.WouldBlock:
                log.warning("event listener is not keeping up; dropped %s", kind)
            except trio.BrokenResourceError:
                self._listeners.remove(channel)

    @asynccontextmanager
    async def events(self, buffer: int = 1_000) -> AsyncIterator[trio.MemoryReceiveChannel[Event]]:
        """Receive this node's events while the block runs."""
        send, receive = trio.open_memory_channel[Event](buffer)
        self._listeners.append(send)
        try:
            yield receive
        finally:
            if send in self._listeners:
                self._listeners.remove(send)
            await send.aclose()

    async def connect(self, addr: str) -> str:
        """Dial a peer; returns its peer id. Raises :class:`NetworkError`."""
        peer = await self.p2p.connect(addr)
        self.store.peers.seen(peer, [addr], now=self.now())
        return peer

    # --- the inbound pipeline -------------------------------------------------------

    def inbound(self, topic: str, data: bytes, peer: str, *, stem_end: bool = False) -> bool:
        """Validate one envelope from ``peer`` (gossip or sync) and queue it
        for storage and the role's work. True if it is new and valid: gossip
        forwards it at once. Nothing here waits for the disk: duplicates and
        withdrawn intents are found by reads, and the worker stores what is
        queued in batches, one flush per batch (a flush per message on the
        forwarding path cost 10-33 ms per hop under load; docs/benchmarks.md,
        network)."""
        validation = validate(data, now=self.now(), params=self.params)
        return self.take_in(topic, validation, peer, stem_end=stem_end)

    def take_in(
        self, topic: str, validation: Validation[Any], peer: str, *, stem_end: bool = False
    ) -> bool:
        """:meth:`inbound` for an envelope validated already (a relayed stem
        message is validated once, on arrival)."""
        verdict = self.pipeline.judge_valid(topic, validation, self._known, stem_end=stem_end)
        self._count(verdict.reason)
        if verdict.action is Action.REJECT:
            self.p2p.penalise(peer, verdict.reason.removeprefix("reject:"))
        if not verdict.accepted or verdict.signed is None:
            return False
        signed = verdict.signed
        forward = verdict.forward
        if not forward:  # counted under its kind too, as every accepted message
            self._count(f"accept:{signed.kind.value}")
        self._trace("accepted", signed.id)
        if signed.kind is Kind.SEALED_OFFER and self.offer_sink is not None:
            self.offer_sink(topic, signed.raw)
        try:
            self._work_send.send_nowait(signed)
            self._queued.add(signed.id)
        except trio.WouldBlock:
            # Overloaded: still forward it (it is valid); we will get it back
            # by sync once the queue drains.
            self._count("deferred:queue-full")
        return forward

    async def admit_sync(self, data: bytes, peer: str) -> None:
        """Admit one envelope a peer handed over on sync: the same per-peer
        admission as gossip (``P2P.admit``: its buckets, its ban); the
        caller then runs it through the same pipeline. The requester pulls,
        so it paces itself: it waits until the peer's buckets have room
        while keeping their gossip share (``PeerLimitConfig.sync_reserve``),
        rather than dropping the message and counting the peer as flooding.
        A peer banned meanwhile ends the session (:class:`~.sync.SyncError`)."""
        limits = self.p2p.limits
        while not limits.is_banned(peer, time.monotonic()):
            wait = limits.sync_wait(peer, len(data), time.monotonic())
            if wait <= 0.0:
                break
            self._count("sync:paced")
            await trio.sleep(wait)
        if not self.p2p.admit(peer, len(data)):
            # Banned (the validator's bookkeeping says why); not over rate:
            # the wait above left room and nothing ran in between.
            self._count("sync:refused-banned")
            raise sync_protocol.SyncError("peer is banned")
        self._count("sync:admitted")

    async def worker(self, handle: Callable[[Signed[Any]], Awaitable[None]]) -> None:
        """Store queued messages in batches (one transaction, one flush),
        then do the role's work for each one that was new (``handle``)."""
        while True:
            batch = [await self._work_receive.receive()]
            # Gossip forwards what the validator accepted from a task per
            # peer, woken at the same time as this one: let those writes go
            # out first (storage and the role's work ran before them: 0.3-0.5
            # ms on every gossip hop; docs/benchmarks.md, hops). What
            # arrives meanwhile joins this batch.
            await self.p2p.forwards_written(at_most=_FORWARDS_FIRST)
            while len(batch) < _BATCH:
                try:
                    batch.append(self._work_receive.receive_nowait())
                except trio.WouldBlock:
                    break
            try:
                # Others' gossip: committed without waiting for the disk (it
                # survives a crash of this process; a power cut can lose only
                # what sync hands back). Own messages are stored flushed.
                outcomes = self.store.gossip.ingest_many(batch, flush=False)
            finally:
                self._queued.difference_update(s.id for s in batch)
            for signed, outcome in zip(batch, outcomes, strict=True):
                if outcome is not Ingest.NEW:
                    self._count(f"ignore:{outcome.value}")
                    continue
                try:
                    await handle(signed)
                except Exception:
                    log.exception("handling %s %s failed", signed.kind, signed.id.hex()[:12])

    def _still_open(self, intent: Signed[Intent]) -> bool:
        """Not withdrawn, and no newer revision known (that one gets the offers)."""
        gossip = self.store.gossip
        if gossip.tombstone(intent.signer) is not None:
            return False
        newest = gossip.newest_revision(intent.signer)
        return newest is None or newest <= intent.message.revision

    async def publish_gossip(self, topic: str, signed: Signed[Any]) -> None:
        """Publish an own message by gossip at once (stem routing off, or its
        stem ended here), and keep it for sync (peers that missed it get it
        there). Kept without waiting for the disk, as others' gossip is: the
        message itself is in the owner's own records already, written with
        a flush (own intents, offers made, deals), so a power cut loses at
        most this copy; the publish does not wait for an fsync."""
        self.store.gossip.ingest_many([signed], flush=False)
        self.diffused_own(topic, signed)
        await self.p2p.publish(topic, signed.raw)

    def diffused_own(self, topic: str, signed: Signed[Any]) -> None:
        """An own message is out by gossip now (published here, or back from
        down its stem): an own sealed offer goes to the feeds this node
        serves, as an accepted one of others' does (:meth:`take_in`)."""
        if signed.kind is Kind.SEALED_OFFER and self.offer_sink is not None:
            self.offer_sink(topic, signed.raw)


#: Most messages stored in one transaction by the worker.
_BATCH: Final = 256
#: Seconds the worker waits at most for gossip's forwards to be written
#: before it stores a batch (bounded: a slow peer's queue must not hold up
#: storage; :meth:`P2P.forwards_written`).
_FORWARDS_FIRST: Final = 0.005


class _StoreKnown:
    """What the node holds, for the inbound pipeline (:class:`Known`): its
    store, and what is queued for it."""

    def __init__(self, store: Store, queued: set[bytes]) -> None:
        self._store = store
        self._queued = queued

    def has(self, message_id: bytes) -> bool:
        return message_id in self._queued or self._store.gossip.has_seen(message_id)

    def withdrawn(self, intent_key: bytes) -> bool:
        return self._store.gossip.tombstone(intent_key) is not None

    def intent_key(self, intent_id: bytes) -> bytes | None:
        return self._store.gossip.intent_key_of(intent_id)

    def holds_intent(self, intent_key: bytes) -> bool:
        if self._store.gossip.newest_revision(intent_key) is not None:
            return True
        return self._store.intents.get(intent_key) is not None


class Part:
    """A part of a node (its stem, peering, customer or vendor side): it
    holds the node's :class:`NodeCore` and reads the shared state through
    it; what it needs of another part it is given when constructed."""

    def __init__(self, core: NodeCore) -> None:
        self.core = core
        #: What every part reads: the core's, which never change.
        self.store: Store = core.store
        self.config: NodeConfig = core.config
        self.params: NetworkParams = core.params
        self.p2p: P2P = core.p2p
        self.nursery: trio.Nursery = core.nursery
        #: And what every part does through the core: read the clock, count,
        #: emit an event, trace a message, start a task.
        self.now = core.now
        self._count = core._count
        self._emit = core._emit
        self._trace = core._trace
        self._spawn = core._spawn
