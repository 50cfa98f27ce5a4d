"""The market node: customers' intents out, sealed offers back, deals closed.

:func:`open_node` runs a :class:`Node`: one libp2p host (:mod:`.p2p`), the
node's store, and the roles it plays. Every inbound message, from gossip or
from sync, goes through one pipeline (:meth:`Node._inbound`): protocol
validation (reject = penalise the peer), topic rules, durable storage
(idempotent by message id), then the role's work (open an offer for one of
our intents, answer an intent as a vendor, confirm an accept).

The public async API (``post_intent``, ``withdraw``, ``amend``,
``offers_for``, ``accept``, ``events``) is what the daemon, the CLI's local
API and vendor bots use.
"""

from __future__ import annotations

import enum
import logging
import math
import os
import random
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field, replace
from typing import Any, Final

import trio

from intentcast.matching import Ranking, rank_offers
from intentcast.protocol import (
    DEFAULT_PARAMS,
    Accept,
    Action,
    Confirm,
    Decline,
    Intent,
    IntentState,
    Kind,
    NetworkParams,
    Offer,
    Preferences,
    SealedDeal,
    SealedOffer,
    Signed,
    Terms,
    VendorKeys,
    Withdraw,
    check_accept,
    check_vendor_reply,
    derive_intent_keys,
    open_deal,
    open_offer,
    seal_deal,
    seal_offer,
    sign,
    validate,
)
from intentcast.protocol.fields import DAY
from intentcast.store import RecordNotFound, Role, Store

from . import sync as sync_protocol
from . import topics
from .limits import PeerLimitConfig
from .p2p import DEFAULT_LISTEN, P2P, GossipConfig, NetworkError, open_p2p
from .vendor import Decision, VendorHandler

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
    PEER_CONNECTED = "peer-connected"
    PEER_BANNED = "peer-banned"


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened on this node; ``subject`` is the message id
    (or peer id) it concerns, ``detail`` a short human text."""

    kind: EventKind
    subject: bytes | str
    detail: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class NodeConfig:
    listen: Sequence[str] = DEFAULT_LISTEN
    #: Multiaddrs (with /p2p/<id>) dialled at start and kept connected.
    bootstrap: Sequence[str] = ()
    #: A relay subscribes to every topic and serves everything on sync.
    relay: bool = False
    params: NetworkParams = DEFAULT_PARAMS
    gossip: GossipConfig = field(default_factory=GossipConfig)
    limits: PeerLimitConfig = field(default_factory=PeerLimitConfig)
    sync: sync_protocol.SyncLimits = field(default_factory=sync_protocol.SyncLimits)
    #: Offers kept per intent revision (the customer's side); past it, a new
    #: offer is kept only if it is cheaper than the dearest one kept.
    max_offers_per_intent: int = 50
    #: Sealed offers relayed per intent revision (flood cap for everyone).
    max_relayed_offers_per_intent: int = 200
    #: A vendor answers an intent that is not fresh (created this many
    #: seconds ago or more: a replay or a sync catching up) only after
    #: ``catch_up_delay`` seconds, so that a withdrawal or newer revision
    #: racing it (py-libp2p replays recent messages out of order) lands first.
    fresh_intent_seconds: int = 2
    catch_up_delay: float = 0.5
    #: Anti-entropy: sync with one random peer this often (seconds).
    resync_seconds: float = 30.0
    reconnect_min_seconds: float = 1.0
    reconnect_max_seconds: float = 60.0
    #: Seed of the libp2p peer key (None: a fresh peer id each start).
    peer_key_seed: bytes | None = None
    #: Discover peers on the local network with mDNS.
    mdns: bool = False


class Node:
    """A running market node. Obtain one with :func:`open_node`."""

    def __init__(
        self,
        *,
        store: Store,
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
        self._vendor_keys = vendor_keys
        self._vendor = vendor
        self._clock = clock
        self._p2p: P2P | None = None
        self._nursery: trio.Nursery | None = None
        self._work_send, self._work_receive = trio.open_memory_channel[Signed[Any]](10_000)
        self._listeners: list[trio.MemorySendChannel[Event]] = []
        self._relayed_per_intent: OrderedDict[bytes, int] = OrderedDict()
        self._syncing: set[str] = set()
        #: Counters for status and tests: verdicts by reason, work done.
        self.counters: dict[str, int] = {}

    # --- basics ---------------------------------------------------------------

    def now(self) -> int:
        return int(self._clock())

    @property
    def p2p(self) -> P2P:
        if self._p2p is None:
            raise NodeError("the node is not running")
        return self._p2p

    @property
    def peer_id(self) -> str:
        return self.p2p.peer_id

    def addrs(self) -> list[str]:
        return self.p2p.addrs()

    def _count(self, key: str) -> None:
        self.counters[key] = self.counters.get(key, 0) + 1

    def _emit(self, kind: EventKind, subject: bytes | str, detail: str = "") -> None:
        event = Event(kind, subject, detail)
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

    def _inbound(self, topic: str, data: bytes, peer: str) -> bool:
        """Validate, store and act on one envelope from ``peer`` (gossip or
        sync). True if it is new and valid (gossip forwards it)."""
        verdict = validate(data, now=self.now(), params=self.params)
        if verdict.action is not Action.ACCEPT or verdict.signed is None:
            self._count(f"{verdict.action.value}:{verdict.reason}")
            if verdict.action is Action.REJECT:
                self.p2p.penalise(peer, str(verdict.reason))
            return False
        signed = verdict.signed
        if not self._fits_topic(topic, signed):
            self._count("reject:wrong-topic")
            self.p2p.penalise(peer, "wrong-topic")
            return False
        if signed.kind is Kind.SEALED_OFFER and not self._room_for_offer(signed.message):
            self._count("ignore:offer-cap")
            return False
        outcome = self.store.gossip.ingest(signed)
        if outcome.value != "new":
            self._count(f"ignore:{outcome.value}")
            return False
        self._count(f"accept:{signed.kind.value}")
        try:
            self._work_send.send_nowait(signed)
        except trio.WouldBlock:
            log.warning(
                "work queue full; %s %s stored, its handling deferred to sync",
                signed.kind,
                signed.id.hex()[:12],
            )
        return True

    @staticmethod
    def _fits_topic(topic: str, signed: Signed[Any]) -> bool:
        if signed.kind not in topics.TOPIC_KINDS.get(topic, frozenset()):
            return False
        if signed.kind is Kind.INTENT:
            return topic == topics.intents(signed.message.category[0])
        return True

    def _room_for_offer(self, sealed: SealedOffer) -> bool:
        counts = self._relayed_per_intent
        n = counts.get(sealed.intent_id, 0)
        if n >= self.config.max_relayed_offers_per_intent:
            return False
        counts[sealed.intent_id] = n + 1
        counts.move_to_end(sealed.intent_id)
        while len(counts) > 10_000:  # bounded memory: forget the oldest intents
            counts.popitem(last=False)
        return True

    async def _deliver_from_sync(self, topic: str, data: bytes, peer: str) -> bool:
        return self._inbound(topic, data, peer)

    async def _worker(self) -> None:
        async for signed in self._work_receive:
            try:
                await self._handle(signed)
            except Exception:
                log.exception("handling %s %s failed", signed.kind, signed.id.hex()[:12])

    async def _handle(self, signed: Signed[Any]) -> None:
        kind = signed.kind
        if kind is Kind.INTENT:
            if self.store.intents.get(signed.signer) is None:
                self._emit(EventKind.INTENT_RECEIVED, signed.id, signed.message.title)
                if (
                    self._vendor is not None
                    and signed.message.category[0] in self._vendor.categories
                ):
                    await self._answer_intent(signed)
        elif kind is Kind.SEALED_OFFER:
            await self._offer_arrived(signed)
        elif kind is Kind.SEALED_DEAL:
            await self._deal_message_arrived(signed)
        elif kind is Kind.WITHDRAW:
            self._emit(EventKind.INTENT_WITHDRAWN, signed.message.intent_key)

    # --- customer side ------------------------------------------------------------

    def _customer_seed(self) -> bytes:
        if self._seed is None:
            raise NodeError("this node has no customer seed")
        return self._seed

    async def post_intent(
        self,
        *,
        category: Sequence[str],
        title: str,
        terms: Terms,
        description: str = "",
        attributes: Mapping[str, Any] | None = None,
        quantity: int = 1,
        preferences: Preferences | None = None,
        lifetime: int = 7 * DAY,
    ) -> Signed[Intent]:
        """Post a new intent with fresh keys; returns it once published.

        The key counter is stored before the keys are used; the proof of
        work is minted in a worker thread. Raises
        :class:`~intentcast.protocol.InvalidMessage` for a bad field.
        """
        now = self.now()
        draft = Intent(
            category=tuple(category),
            title=title,
            terms=terms,
            description=description,
            attributes=dict(attributes or {}),
            quantity=quantity,
            preferences=preferences or Preferences(),
            reply_key=bytes(32),
            created=now,
            expires=now + lifetime,
        )
        keys = self.store.intents.reserve_keys(self._customer_seed())
        intent = replace(draft, reply_key=keys.reply_public)
        signed = await trio.to_thread.run_sync(
            lambda: sign(intent, keys.signing, params=self.params)
        )
        self.store.intents.add(signed, counter=keys.counter)
        await self._follow(signed.message)
        await self._publish_own(topics.intents(signed.message.category[0]), signed)
        self._emit(EventKind.INTENT_POSTED, signed.id, title)
        return signed

    async def amend(self, intent_key: bytes, **changes: Any) -> Signed[Intent]:
        """Publish the next revision of an own intent with ``changes``
        (fields of :class:`Intent`); offers to older revisions stop counting."""
        own = self.store.intents.get(intent_key)
        if own is None:
            raise NodeError("no intent of ours with this key")
        if own.state not in (IntentState.OPEN, IntentState.AMENDED):
            raise NodeError(f"the intent is {own.state.value}; only open intents can be amended")
        keys = derive_intent_keys(self._customer_seed(), own.counter)
        current = own.intent.message
        revised = replace(current, **changes, revision=current.revision + 1, created=self.now())
        signed = await trio.to_thread.run_sync(
            lambda: sign(revised, keys.signing, params=self.params)
        )
        self.store.intents.amend(signed)
        await self._follow(signed.message)
        await self._publish_own(topics.intents(signed.message.category[0]), signed)
        return signed

    async def withdraw(self, intent_key: bytes, reason: str = "") -> Signed[Withdraw]:
        """Take an own intent off the market, everywhere."""
        own = self.store.intents.get(intent_key)
        if own is None:
            raise NodeError("no intent of ours with this key")
        keys = derive_intent_keys(self._customer_seed(), own.counter)
        now = self.now()
        expires = max(own.intent.message.expires, now + 1)
        message = Withdraw(intent_key=intent_key, created=now, expires=expires, reason=reason)
        signed = await trio.to_thread.run_sync(
            lambda: sign(message, keys.signing, params=self.params)
        )
        self.store.intents.withdraw(signed)
        await self._publish_own(topics.intents(own.intent.message.category[0]), signed)
        return signed

    async def _follow(self, intent: Intent) -> None:
        await self.p2p.subscribe(topics.offers(intent.category[0]))
        await self.p2p.subscribe(topics.DEALS)

    async def _publish_own(self, topic: str, signed: Signed[Any]) -> None:
        self.store.gossip.ingest(signed)  # so sync hands it to peers that missed it
        await self.p2p.publish(topic, signed.raw)

    async def _offer_arrived(self, sealed: Signed[SealedOffer]) -> None:
        intent = self.store.intents.by_revision(sealed.message.intent_id)
        if intent is None:
            return  # relayed for someone else
        own = self.store.intents.get(intent.signer)
        if own is None or own.state not in (IntentState.OPEN, IntentState.AMENDED):
            return
        keys = derive_intent_keys(self._customer_seed(), own.counter)
        verdict = open_offer(sealed, keys.reply, now=self.now(), params=self.params)
        if not verdict.accepted or verdict.signed is None:
            self._count(f"offer-unopened:{verdict.reason}")
            return
        offer: Signed[Offer] = verdict.signed
        if not self._keep_offer(intent, offer):
            self._count("offer-dropped:cap")
            return
        if self.store.offers.add_received(sealed, offer):
            self._emit(EventKind.OFFER_RECEIVED, offer.id, offer.message.vendor_name)

    def _keep_offer(self, intent: Signed[Intent], offer: Signed[Offer]) -> bool:
        """Per-intent cap on stored offers. The cheap pre-rank is the price
        per unit in the intent's currency (offers in another currency rank
        last): past the cap an offer is kept only if it beats the dearest."""
        held = [
            r.offer
            for r in self.store.offers.received(intent.signer)
            if r.offer.message.intent_id == intent.id
        ]
        if len(held) < self.config.max_offers_per_intent:
            return True
        currency = intent.message.terms.currency

        def unit_price(o: Signed[Offer]) -> float:
            m = o.message
            return m.price / m.quantity if m.currency == currency else math.inf

        return unit_price(offer) < max(unit_price(o) for o in held)

    def offers_for(self, intent_key: bytes) -> Ranking:
        """The offers for an own intent, ranked against its current revision
        (ranked ones first, rejected ones with their reasons)."""
        own = self.store.intents.get(intent_key)
        if own is None:
            raise NodeError("no intent of ours with this key")
        received = [r.offer for r in self.store.offers.received(intent_key)]
        return rank_offers(own.intent, received, now=self.now(), reputation={})

    async def accept(
        self,
        offer_id: bytes,
        *,
        disclose: Mapping[str, str] | None = None,
        payment_mode: str | None = None,
        price: int | None = None,
    ) -> Signed[Accept]:
        """Accept a received offer, disclosing only ``disclose`` to its vendor.

        Refuses an offer that breaks the intent's hard terms (the ranking
        rejects it) or an intent that is not open."""
        received = self.store.offers.get_received(offer_id)
        if received is None:
            raise NodeError("no offer with this id was received")
        offer = received.offer
        intent = self.store.intents.by_revision(offer.message.intent_id)
        own = None if intent is None else self.store.intents.get(intent.signer)
        if intent is None or own is None:
            raise NodeError("the offer answers no intent of ours")
        if own.state not in (IntentState.OPEN, IntentState.AMENDED):
            raise NodeError(f"the intent is {own.state.value}; it cannot accept offers")
        ranking = self.offers_for(intent.signer)
        rejected = {r.offer.id: r for r in ranking.rejected}
        if offer.id in rejected:
            reasons = "; ".join(v.message for v in rejected[offer.id].violations)
            raise NodeError(f"this offer breaks your terms: {reasons}")
        o = offer.message
        mode = payment_mode or next(
            m for m in o.payment_modes if m in own.intent.message.terms.payment_modes
        )
        keys = derive_intent_keys(self._customer_seed(), own.counter)
        now = self.now()
        accept = sign(
            Accept(
                intent_id=intent.id,
                offer_id=offer.id,
                payment_mode=mode,
                price=o.price if price is None else price,
                created=now,
                disclosure=dict(disclose or {}),
            ),
            keys.signing,
        )
        verdict = check_accept(accept, intent, offer)
        if not verdict.accepted:
            raise NodeError(f"accept would be refused by the vendor: {verdict}")
        sealed = await trio.to_thread.run_sync(
            lambda: seal_deal(
                accept,
                to=offer.id,
                recipient=o.reply_key,
                created=now,
                expires=now + DEAL_TTL,
                random_bytes=os.urandom,
                params=self.params,
            )
        )
        self.store.deals.record_accept(intent, offer, accept, role=Role.CUSTOMER)
        await self.p2p.subscribe(topics.DEALS)
        await self._publish_own(topics.DEALS, sealed)
        self._emit(EventKind.ACCEPT_SENT, accept.id, o.vendor_name)
        return accept

    # --- vendor side --------------------------------------------------------------

    async def _answer_intent(self, intent: Signed[Intent]) -> None:
        assert self._vendor is not None and self._vendor_keys is not None
        if self.store.offers.made(intent.id):
            return  # answered already (replay, or a restart)
        if self.now() - intent.message.created >= self.config.fresh_intent_seconds:
            await trio.sleep(self.config.catch_up_delay)
        vkeys = self._vendor_keys
        now = self.now()
        drafts = await self._vendor.on_intent(intent, now=now)
        if not self._still_open(intent):
            return
        for draft in drafts:
            offer = sign(
                draft.to_offer(vendor_key=vkeys.vendor_key, reply_key=vkeys.reply_public),
                vkeys.signing,
            )
            sealed = await trio.to_thread.run_sync(
                lambda o=offer: seal_offer(
                    o, intent, created=now, random_bytes=os.urandom, params=self.params
                )
            )
            self.store.offers.add_made(intent, offer, sealed)
            await self._publish_own(topics.offers(intent.message.category[0]), sealed)
            self._emit(EventKind.OFFER_SENT, offer.id, offer.message.item.title)

    def _still_open(self, intent: Signed[Intent]) -> bool:
        """Not withdrawn, and no newer revision known (that one gets the offers)."""
        if self.store.gossip.tombstone(intent.signer) is not None:
            return False
        for live in self.store.gossip.live_intents(now=self.now()):
            if live.signer == intent.signer and live.message.revision > intent.message.revision:
                return False
        return True

    async def _deal_message_arrived(self, sealed: Signed[SealedDeal]) -> None:
        tag = sealed.message.to
        made = self.store.offers.get_made(tag) if self._vendor_keys is not None else None
        if made is not None:
            await self._accept_arrived(sealed, made.intent, made.offer)
            return
        deal = self.store.deals.get(tag)
        if deal is not None and deal.role is Role.CUSTOMER and deal.reply is None:
            await self._reply_arrived(sealed, deal.intent, deal.offer, deal.accept)

    async def _accept_arrived(
        self, sealed: Signed[SealedDeal], intent: Signed[Intent], offer: Signed[Offer]
    ) -> None:
        assert self._vendor_keys is not None and self._vendor is not None
        now = self.now()
        verdict = open_deal(sealed, self._vendor_keys.reply, now=now, params=self.params)
        if not verdict.accepted or verdict.signed is None or verdict.signed.kind is not Kind.ACCEPT:
            self._count(f"accept-unopened:{verdict.reason}")
            return
        accept: Signed[Accept] = verdict.signed  # type: ignore[assignment]
        checked = check_accept(accept, intent, offer)
        if not checked.accepted:
            self._count(f"accept-refused:{checked.reason}")
            return
        if not self.store.deals.record_accept(intent, offer, accept, role=Role.VENDOR):
            return
        self._emit(EventKind.ACCEPT_RECEIVED, accept.id, ", ".join(accept.message.disclosure))
        decision: Decision = await self._vendor.on_accept(accept, offer, intent, now=now)
        reply: Signed[Confirm] | Signed[Decline]
        if decision.confirm:
            confirm = Confirm(
                accept_id=accept.id,
                offer_id=offer.id,
                intent_id=intent.id,
                created=now,
                note=decision.text,
            )
            reply = sign(confirm, self._vendor_keys.signing)
        else:
            decline = Decline(
                accept_id=accept.id,
                offer_id=offer.id,
                intent_id=intent.id,
                created=now,
                reason=decision.text,
            )
            reply = sign(decline, self._vendor_keys.signing)
        out = await trio.to_thread.run_sync(
            lambda: seal_deal(
                reply,
                to=accept.id,
                recipient=intent.message.reply_key,
                created=now,
                expires=now + DEAL_TTL,
                random_bytes=os.urandom,
                params=self.params,
            )
        )
        self.store.deals.record_reply(reply)
        await self._publish_own(topics.DEALS, out)
        kind = EventKind.DEAL_CONFIRMED if decision.confirm else EventKind.DEAL_DECLINED
        self._emit(kind, accept.id, decision.text)

    async def _reply_arrived(
        self,
        sealed: Signed[SealedDeal],
        intent: Signed[Intent],
        offer: Signed[Offer],
        accept: Signed[Accept],
    ) -> None:
        own = self.store.intents.get(intent.signer)
        if own is None:
            return
        keys = derive_intent_keys(self._customer_seed(), own.counter)
        verdict = open_deal(sealed, keys.reply, now=self.now(), params=self.params)
        if not verdict.accepted or verdict.signed is None:
            self._count(f"reply-unopened:{verdict.reason}")
            return
        if verdict.signed.kind not in (Kind.CONFIRM, Kind.DECLINE):
            self._count("reply-unopened:wrong-kind")
            return
        reply: Signed[Confirm] | Signed[Decline] = verdict.signed  # type: ignore[assignment]
        checked = check_vendor_reply(reply, accept, offer)
        if not checked.accepted:
            self._count(f"reply-refused:{checked.reason}")
            return
        try:
            recorded = self.store.deals.record_reply(reply)
        except RecordNotFound:
            return
        if recorded:
            confirmed = reply.kind is Kind.CONFIRM
            text = reply.message.note if confirmed else reply.message.reason  # type: ignore[union-attr]
            kind = EventKind.DEAL_CONFIRMED if confirmed else EventKind.DEAL_DECLINED
            self._emit(kind, accept.id, text)

    # --- subscriptions, sync, peers ------------------------------------------------

    def interests(self) -> list[str]:
        """The topics this node needs: a relay all; a vendor its intent
        topics; a customer the offer topics of its open intents and deals."""
        if self.config.relay:
            return list(topics.ALL_TOPICS)
        wanted: set[str] = set()
        if self._vendor is not None:
            wanted.update(topics.intents(c) for c in self._vendor.categories)
            wanted.add(topics.DEALS)
        for own in self.store.intents.list(states=_LIVE):
            wanted.add(topics.offers(own.intent.message.category[0]))
            wanted.add(topics.DEALS)
        return sorted(wanted)

    async def _inventory(self, wanted_topics: Sequence[str]) -> list[tuple[bytes, str]]:
        wanted = set(wanted_topics)
        # A withdrawal's intent may be gone, and with it its category: every
        # peer that follows any intent topic gets every withdrawal (they are
        # small, few, and what keeps a withdrawn intent from coming back).
        intent_topics = sorted(t for t in wanted if t in topics.ALL_INTENT_TOPICS)
        out: list[tuple[bytes, str]] = []
        for signed in self.store.gossip.live_messages(now=self.now()):
            if signed.kind is Kind.WITHDRAW:
                topic = intent_topics[0] if intent_topics else None
            else:
                topic = self._topic_of(signed)
            if topic is not None and topic in wanted:
                out.append((signed.id, topic))
        return out

    def _topic_of(self, signed: Signed[Any]) -> str | None:
        kind = signed.kind
        if kind is Kind.INTENT:
            return topics.intents(signed.message.category[0])
        if kind is Kind.SEALED_OFFER:
            intent = self.store.gossip.intent(signed.message.intent_id)
            if intent is None:
                intent = self.store.intents.by_revision(signed.message.intent_id)
            return None if intent is None else topics.offers(intent.message.category[0])
        if kind is Kind.SEALED_DEAL:
            return topics.DEALS
        if kind is Kind.VENDOR_PROFILE:
            return topics.PROFILES
        return None

    async def _fetch(self, message_id: bytes) -> bytes | None:
        return self.store.gossip.raw(message_id, now=self.now())

    async def _missing(self, ids: Sequence[bytes]) -> list[bytes]:
        return [i for i in ids if not self.store.gossip.has_seen(i)]

    async def _serve_sync(self, stream: Any) -> None:
        peer = stream.muxed_conn.peer_id.to_base58()
        try:
            sent = await sync_protocol.respond(
                stream, inventory=self._inventory, fetch=self._fetch, limits=self.config.sync
            )
            log.debug("sync: sent %d messages to %s", sent, peer)
            await stream.close()
        except (sync_protocol.SyncError, trio.TooSlowError) as exc:
            log.info("sync from %s refused: %s", peer, exc)
            self.p2p.penalise(peer, f"sync: {exc}")
            await _reset(stream)
        except Exception as exc:
            log.debug("sync from %s ended: %s", peer, exc)
            await _reset(stream)

    async def sync_with(self, peer: str) -> tuple[int, int]:
        """Pull what ``peer`` has that this node lacks; returns (received, accepted)."""
        if peer in self._syncing:
            return (0, 0)
        self._syncing.add(peer)
        try:
            stream = await self.p2p.new_stream(peer, sync_protocol.PROTOCOL)
            try:
                result = await sync_protocol.request(
                    stream,
                    topics=self.interests(),
                    missing=self._missing,
                    deliver=self._deliver_from_sync,
                    peer=peer,
                    limits=self.config.sync,
                )
                await stream.close()
                return result
            except (sync_protocol.SyncError, trio.TooSlowError) as exc:
                log.info("sync with %s failed: %s", peer, exc)
                self.p2p.penalise(peer, f"sync: {exc}")
                await _reset(stream)
                return (0, 0)
        finally:
            self._syncing.discard(peer)

    async def _sync_new_peers(self) -> None:
        """Sync with every newly connected peer (either side may have
        dialled), and every ``resync_seconds`` with one random peer
        (anti-entropy: catches what gossip lost in between)."""
        known: set[str] = set()
        last_resync = trio.current_time()
        while True:
            current = set(self.p2p.connected_peers())
            assert self._nursery is not None
            for peer in current - known:
                self._emit(EventKind.PEER_CONNECTED, peer)
                self._nursery.start_soon(self._sync_quietly, peer)
            known = current
            if current and trio.current_time() - last_resync >= self.config.resync_seconds:
                last_resync = trio.current_time()
                self._nursery.start_soon(self._sync_quietly, random.choice(sorted(current)))
            await trio.sleep(0.2)

    async def _sync_quietly(self, peer: str) -> None:
        try:
            await self.sync_with(peer)
        except NetworkError as exc:
            log.debug("sync with %s not possible: %s", peer, exc)

    async def resubscribe(self) -> None:
        """Subscribe to every topic :meth:`interests` names."""
        for topic in self.interests():
            await self.p2p.subscribe(topic)

    async def _keep_connected(self, addr: str) -> None:
        """Dial a bootstrap peer, redialling with jittered exponential backoff."""
        delay = self.config.reconnect_min_seconds
        peer_suffix = addr.rsplit("/p2p/", 1)[-1]
        while True:
            if peer_suffix not in self.p2p.connected_peers():
                try:
                    await self.connect(addr)
                    delay = self.config.reconnect_min_seconds
                except NetworkError as exc:
                    log.info("bootstrap %s unreachable (%s); retry in %.0f s", addr, exc, delay)
                    self.store.peers.failed(peer_suffix, now=self.now())
                    await trio.sleep(delay * (0.5 + random.random()))
                    delay = min(delay * 2, self.config.reconnect_max_seconds)
                    continue
            await trio.sleep(self.config.reconnect_min_seconds)

    async def _sweeper(self) -> None:
        while True:
            await trio.sleep(60)
            try:
                self.store.sweep(self.now())
            except Exception:
                log.exception("expiry sweep failed")


_LIVE: Final = frozenset({IntentState.OPEN, IntentState.AMENDED, IntentState.ACCEPTED})


async def _reset(stream: Any) -> None:
    with suppress(Exception):  # the stream may already be gone
        await stream.reset()


@asynccontextmanager
async def open_node(
    store: Store,
    *,
    customer_seed: bytes | None = None,
    vendor_keys: VendorKeys | None = None,
    vendor: VendorHandler | None = None,
    config: NodeConfig | None = None,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[Node]:
    """Run a node over ``store`` until the block exits.

    A customer needs ``customer_seed``; a vendor ``vendor_keys`` and a
    ``vendor`` handler. Resumes from the store: own open intents keep their
    keys (derived from the stored counters), offers and deals are there.
    """
    config = config or NodeConfig()
    if (vendor is None) != (vendor_keys is None):
        raise NodeError("a vendor node needs both vendor keys and a vendor handler")
    node = Node(
        store=store,
        customer_seed=customer_seed,
        vendor_keys=vendor_keys,
        vendor=vendor,
        config=config,
        clock=clock,
    )
    async with open_p2p(
        on_message=node._inbound,
        listen=config.listen,
        peer_key_seed=config.peer_key_seed,
        gossip=config.gossip,
        limits=config.limits,
        mdns=config.mdns,
    ) as p2p:
        node._p2p = p2p
        p2p.set_stream_handler(sync_protocol.PROTOCOL, node._serve_sync)
        async with trio.open_nursery() as nursery:
            node._nursery = nursery
            nursery.start_soon(node._worker)
            nursery.start_soon(node._sync_new_peers)
            nursery.start_soon(node._sweeper)
            await node.resubscribe()
            for addr in config.bootstrap:
                nursery.start_soon(node._keep_connected, addr)
            try:
                yield node
            finally:
                nursery.cancel_scope.cancel()
        node._p2p = None
