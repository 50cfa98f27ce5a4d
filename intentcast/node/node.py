"""The market node: customers' intents out, sealed offers back, deals closed.

:func:`open_node` runs a :class:`Node`: one libp2p host (:mod:`.p2p`), the
node's store, and the parts it is made of. Every inbound message, from
gossip or from sync, enters through the stem part (``StemRouting.inbound``:
an own message that came back ends its stem) and goes through one
pipeline (``NodeCore.inbound``): protocol validation, the core's verdict
(:class:`intentcast.peer.inbound.Inbound`; reject = penalise the peer),
durable storage (idempotent by message id), then the work of the part it
concerns (open an offer for one of our intents, answer an intent as a
vendor, confirm an accept).

The public async API (``post_intent``, ``withdraw``, ``amend``,
``offers_for``, ``accept``, ``events``) is what the daemon, the CLI's local
API and vendor bots use."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import trio

from intentcast.peer.config import NodeConfig
from intentcast.peer.feed import serves_feed
from intentcast.peer.vendor import Decision, VendorHandler
from intentcast.protocol import (
    Kind,
    SealedDeal,
    Signed,
    VendorKeys,
)
from intentcast.store import Deal, Role, Store

from . import sync as sync_protocol
from .base import EventKind, NodeCore, NodeError, Part, Trace
from .checkpoints import keep_checkpointing
from .customer import CustomerRole
from .feed import PROTOCOL as FEED_PROTOCOL
from .feed import OfferFeed
from .p2p import open_p2p
from .peering import Peering
from .ratings import RatingsPart
from .relationships import RelationshipsPart
from .stem import PROTOCOL as STEM_PROTOCOL
from .stem import StemRouting
from .vendor_role import VendorRole

log = logging.getLogger(__name__)


class Node(Part):
    """A running market node: customer, vendor and relay in one. Obtain one
    with :func:`open_node`.

    It is made of parts, each readable on its own: the shared core
    (:class:`~.base.NodeCore`: store, configuration, events, the inbound
    pipeline's driver), the stem (:class:`~.stem.StemRouting`, which every
    own message leaves through and every inbound message enters through),
    peering and sync (:class:`~.peering.Peering`), and the customer and
    vendor sides (:class:`~.customer.CustomerRole`,
    :class:`~.vendor_role.VendorRole`). This class routes each new message
    to the part whose work it is, and offers the public API."""

    def __init__(self, core: NodeCore) -> None:
        super().__init__(core)
        self.stem = StemRouting(self.core)
        self.peering = Peering(self.core, self.stem)
        #: Offer feeds: served by a node that follows every offer bucket,
        #: taken by a customer in feed mode (``NodeConfig.offer_feed``).
        self.feed = OfferFeed(self.core, self.stem, carrier=serves_feed(self.peering.interests()))
        self.customer = CustomerRole(self.core, self.stem)
        # The customer's API is the node's: post an intent, amend or
        # withdraw it, its offers ranked and explained, accept one.
        self.post_intent = self.customer.post_intent
        self.amend = self.customer.amend
        self.withdraw = self.customer.withdraw
        self.offers_for = self.customer.offers_for
        self.accept = self.customer.accept
        #: Ratings: rate a deal, a vendor's standing, reply to a rating.
        self.ratings = RatingsPart(self.core, self.stem)
        self.customer.reputation = self.ratings.reputation
        self.rate = self.ratings.rate
        #: After the deal: threads, details, forgetting (both sides).
        self.relationships = RelationshipsPart(self.core, self.stem)
        #: The vendor side, on a node that sells.
        self.selling = (
            None
            if core.vendor is None or core.vendor_keys is None
            else VendorRole(core, self.stem, core.vendor, core.vendor_keys)
        )

    # --- what the parts share (store, config, params, p2p, now: Part's) -----------------

    @property
    def counters(self) -> dict[str, int]:
        """Verdicts by reason and work done, for status and tests."""
        return self.core.counters

    @property
    def trace(self) -> Trace | None:
        """Set by a test or benchmark to follow messages through the node."""
        return self.core.trace

    @trace.setter
    def trace(self, value: Trace | None) -> None:
        self.core.trace = value

    @property
    def peer_id(self) -> str:
        return self.core.peer_id

    @property
    def vendor(self) -> VendorHandler | None:
        """The vendor handler this node answers intents with, if it sells."""
        return self.core.vendor

    @property
    def vendor_keys(self) -> VendorKeys | None:
        """The vendor's keys, if it sells."""
        return self.core.vendor_keys

    @property
    def offer_buckets(self) -> tuple[int, ...]:
        """The offer buckets its customer follows (``config.offer_buckets``
        of them, drawn once from its seed); its intents' keys are in them."""
        return self.core.offer_buckets

    def addrs(self) -> list[str]:
        return self.core.addrs()

    def events(self, buffer: int = 1_000) -> AbstractAsyncContextManager[Any]:
        """Receive this node's events while the block runs."""
        return self.core.events(buffer)

    async def connect(self, addr: str) -> str:
        """Dial a peer; returns its peer id. Raises :class:`NetworkError`."""
        return await self.core.connect(addr)

    def queued(self) -> int:
        """Messages validated and waiting for the store."""
        return len(self.core._queued)

    # --- the vendor -----------------------------------------------------------------

    def answer_live_intents(self) -> int:
        """Answer the live intents the vendor has not answered yet."""
        return 0 if self.selling is None else self.selling.answer_live_intents()

    async def vendor_categories_changed(self) -> None:
        """The vendor's categories changed (a bot attached): subscribe to
        their intent topics, pull what connected peers hold in them, and
        answer the live intents it has not answered yet."""
        await self.peering.resubscribe()
        for peer in self.p2p.connected_peers():
            self.core._spawn(self.peering._sync_quietly, peer)
        self.answer_live_intents()

    def awaits_owner(self, deal: Deal) -> bool:
        """True if ``deal`` is an accept of this vendor's that waits for the
        owner's confirm or decline (:meth:`answer_accept`)."""
        return self.selling is not None and self.selling.awaits_owner(deal)

    def accepts_to_answer(self) -> list[bytes]:
        """The accept ids of this vendor's deals that wait for the owner."""
        return [] if self.selling is None else self.selling.accepts_to_answer()

    async def answer_accept(self, accept_id: bytes, decision: Decision) -> Deal:
        """The owner confirms or declines an accept that waits for it (held
        with ``NodeConfig.hold_accepts``, or left unanswered when the node
        stopped); returns the deal. Raises :class:`NodeError` if there is
        no such accept waiting."""
        if self.selling is None:
            raise NodeError("this node sells nothing: it has no accepts to answer")
        return await self.selling.answer_accept(accept_id, decision)

    # --- peers and the stem -----------------------------------------------------------

    def interests(self) -> list[str]:
        return self.peering.interests()

    async def resubscribe(self) -> None:
        await self.peering.resubscribe()

    async def sync_with(self, peer: str) -> tuple[int, int]:
        """Pull what ``peer`` has that this node lacks; returns (received, accepted)."""
        return await self.peering.sync_with(peer)

    def stem_held(self) -> list[bytes]:
        """Ids of the messages this node holds on their stem now."""
        return self.stem.stem_held()

    def intent_peers(self) -> list[str]:
        """Connected peers that carry the intents' gossip (vendors, relays)."""
        return self.peering.intent_peers()

    def stem_successors(self) -> tuple[str, ...]:
        """This epoch's stem successors."""
        return self.stem.stem_successors()

    # --- new messages to the part whose work they are ------------------------------------

    async def _handle(self, signed: Signed[Any]) -> None:
        kind = signed.kind
        if kind is Kind.INTENT:
            if self.store.intents.get(signed.signer) is None:
                self.core._emit(EventKind.INTENT_RECEIVED, signed.id, signed.message.title)
                selling = self.selling
                if selling is not None and signed.message.category[0] in selling.categories:
                    # In its own task: a slow vendor handler must not hold
                    # up offers, accepts and confirms behind it.
                    self.core._spawn(selling._answer_intent_bounded, signed)
        elif kind is Kind.SEALED_OFFER:
            await self.customer._offer_arrived(signed)
        elif kind is Kind.SEALED_DEAL:
            await self._deal_message_arrived(signed)
        elif kind is Kind.WITHDRAW:
            self.core._emit(EventKind.INTENT_WITHDRAWN, signed.message.intent_key)
        elif kind is Kind.RATING:
            self.ratings.arrived(signed)
            self.core._emit(EventKind.RATING_RECEIVED, signed.id, f"{signed.message.stars / 100}")

    async def _deal_message_arrived(self, sealed: Signed[SealedDeal]) -> None:
        tag = sealed.message.to
        if self.selling is not None:
            made = self.store.offers.get_made(tag)
            if made is not None:
                await self.selling._accept_arrived(sealed, made.intent, made.offer)
                return
        deal = self.store.deals.get(tag)
        if deal is not None and deal.role is Role.CUSTOMER and deal.reply is None:
            await self.customer._reply_arrived(sealed, deal.intent, deal.offer, deal.accept)
            return
        thread = self.store.relationships.by_tag(tag)
        if thread is not None:
            await self.relationships.arrived(sealed, *thread)


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

    def on_message(topic: str, data: bytes, peer: str) -> bool:
        # Gossip calls this from a topic's validator, and a topic has one
        # only once the node below subscribes to it: ``node`` is bound by then.
        return node.stem.inbound(topic, data, peer)

    async with (
        open_p2p(
            on_message=on_message,
            listen=config.listen,
            peer_key_seed=config.peer_key_seed,
            gossip=config.gossip,
            limits=config.limits,
            mdns=config.mdns,
        ) as p2p,
        trio.open_nursery() as nursery,
    ):
        core = NodeCore(
            store=store,
            p2p=p2p,
            nursery=nursery,
            customer_seed=customer_seed,
            vendor_keys=vendor_keys,
            vendor=vendor,
            config=config,
            clock=clock,
        )
        node = Node(core)
        p2p.peer_left_listeners.append(node.stem._stem_peer_left)
        p2p.set_stream_handler(sync_protocol.PROTOCOL, node.peering._serve_sync)
        p2p.set_stream_handler(STEM_PROTOCOL, node.stem._serve_stem)
        p2p.set_stream_handler(FEED_PROTOCOL, node.feed.serve)
        nursery.start_soon(core.worker, node._handle)
        nursery.start_soon(node.peering._sync_new_peers)
        nursery.start_soon(node.peering._sweeper)
        nursery.start_soon(node.peering._prober)
        nursery.start_soon(node.stem._stem_keeper)
        nursery.start_soon(node.feed.keep)
        nursery.start_soon(node.ratings.sender)
        nursery.start_soon(node.ratings.watcher)
        nursery.start_soon(node.relationships.keep_up)
        nursery.start_soon(keep_checkpointing, store)
        await node.peering.resubscribe()
        node.stem.resend_unfluffed()
        for addr in config.bootstrap:
            nursery.start_soon(node.peering._keep_connected, addr)
        try:
            yield node
        finally:
            # What closes with the host after this starts nothing of the node's.
            p2p.peer_left_listeners.remove(node.stem._stem_peer_left)
            nursery.cancel_scope.cancel()
