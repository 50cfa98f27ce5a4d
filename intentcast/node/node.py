"""The market node: customers' intents out, sealed offers back, deals closed.

:func:`open_node` runs a :class:`Node`: one libp2p host (:mod:`.p2p`), the
node's store, and the roles it plays. Every inbound message, from gossip or
from sync, goes through one pipeline (:meth:`Node._inbound`): protocol
validation (reject = penalise the peer), topic rules, durable storage
(idempotent by message id), then the role's work (open an offer for one of
our intents, answer an intent as a vendor, confirm an accept).

The public async API (``post_intent``, ``withdraw``, ``amend``,
``offers_for``, ``accept``, ``events``) is what the daemon, the CLI's local
API and vendor bots use."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import trio

from intentcast.peer.config import NodeConfig
from intentcast.peer.vendor import VendorHandler
from intentcast.protocol import (
    Kind,
    SealedDeal,
    Signed,
    VendorKeys,
)
from intentcast.store import Role, Store

from . import sync as sync_protocol
from .base import EventKind, NodeError
from .customer import CustomerRole
from .p2p import open_p2p
from .peering import Peering
from .stem import PROTOCOL as STEM_PROTOCOL
from .stem import StemRouting
from .vendor_role import VendorRole

log = logging.getLogger(__name__)


class Node(CustomerRole, VendorRole, StemRouting, Peering):
    """A running market node: customer, vendor and relay in one. Obtain one
    with :func:`open_node`."""

    async def _handle(self, signed: Signed[Any]) -> None:
        kind = signed.kind
        if kind is Kind.INTENT:
            if self.store.intents.get(signed.signer) is None:
                self._emit(EventKind.INTENT_RECEIVED, signed.id, signed.message.title)
                if (
                    self._vendor is not None
                    and signed.message.category[0] in self._vendor.categories
                ):
                    # In its own task: a slow vendor handler must not hold
                    # up offers, accepts and confirms behind it.
                    assert self._nursery is not None
                    self._nursery.start_soon(self._answer_intent_bounded, signed)
        elif kind is Kind.SEALED_OFFER:
            await self._offer_arrived(signed)
        elif kind is Kind.SEALED_DEAL:
            await self._deal_message_arrived(signed)
        elif kind is Kind.WITHDRAW:
            self._emit(EventKind.INTENT_WITHDRAWN, signed.message.intent_key)

    async def vendor_categories_changed(self) -> None:
        """The vendor's categories changed (a bot attached): subscribe to
        their intent topics, pull what connected peers hold in them, and
        answer the live intents it has not answered yet."""
        await self.resubscribe()
        assert self._nursery is not None
        for peer in self.p2p.connected_peers():
            self._nursery.start_soon(self._sync_quietly, peer)
        self.answer_live_intents()

    async def _deal_message_arrived(self, sealed: Signed[SealedDeal]) -> None:
        tag = sealed.message.to
        made = self.store.offers.get_made(tag) if self._vendor_keys is not None else None
        if made is not None:
            await self._accept_arrived(sealed, made.intent, made.offer)
            return
        deal = self.store.deals.get(tag)
        if deal is not None and deal.role is Role.CUSTOMER and deal.reply is None:
            await self._reply_arrived(sealed, deal.intent, deal.offer, deal.accept)


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
    node._stem_setup()
    async with open_p2p(
        on_message=node._inbound,
        listen=config.listen,
        peer_key_seed=config.peer_key_seed,
        gossip=config.gossip,
        limits=config.limits,
        mdns=config.mdns,
    ) as p2p:
        node._p2p = p2p
        p2p.peer_left_listeners.append(node._stem_peer_left)
        p2p.set_stream_handler(sync_protocol.PROTOCOL, node._serve_sync)
        p2p.set_stream_handler(STEM_PROTOCOL, node._serve_stem)
        async with trio.open_nursery() as nursery:
            node._nursery = nursery
            nursery.start_soon(node._worker)
            nursery.start_soon(node._sync_new_peers)
            nursery.start_soon(node._sweeper)
            nursery.start_soon(node._stem_keeper)
            await node.resubscribe()
            node.resend_unfluffed()
            for addr in config.bootstrap:
                nursery.start_soon(node._keep_connected, addr)
            try:
                yield node
            finally:
                nursery.cancel_scope.cancel()
        node._nursery = None  # what closes with the host below starts nothing
        node._p2p = None
