"""The customer's side of a node: post, amend and withdraw intents, open
and rank offers, accept one, record the vendor's answer."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

import trio
from nacl.signing import SigningKey

from intentcast.matching import Ranking, rank_offers
from intentcast.matching.constraints import accept_terms
from intentcast.matching.reputation import Reputation
from intentcast.peer import topics
from intentcast.peer.customer import keep_offer
from intentcast.protocol import (
    ON_MARKET,
    Accept,
    Confirm,
    Decline,
    Intent,
    IntentEvent,
    IntentKeys,
    Kind,
    Offer,
    OfferState,
    Preferences,
    SealedDeal,
    SealedOffer,
    Signed,
    Terms,
    Withdraw,
    check_accept,
    check_vendor_reply,
    derive_intent_keys,
    intent_may,
    open_deal,
    open_offer,
    seal_deal,
    sign,
)
from intentcast.protocol.fields import DAY
from intentcast.protocol.validation import Verdict
from intentcast.store import OwnIntent, RecordNotFound, Role, StoreError

from .base import DEAL_TTL, EventKind, NodeCore, NodeError, Part, with_work
from .relationships import open_relationship
from .stem import StemRouting

log = logging.getLogger(__name__)

#: Seconds after a post when the next intent's keys are reserved: its stem's
#: first hop has gone by then (1-3 ms, at most ~5 ms in ``benchmarks
#: network``, docs/benchmarks.md).
RESERVE_AHEAD_DELAY: Final = 0.01


#: Opens a sealed message with a reply key: ``protocol.open_offer`` or
#: ``protocol.open_deal``.
Opener = Callable[..., Verdict[Any]]


class CustomerRole(Part):
    """The customer part of a :class:`~intentcast.node.node.Node`: it sends
    what it writes through the node's stem."""

    def __init__(self, core: NodeCore, stem: StemRouting) -> None:
        super().__init__(core)
        self.stem = stem
        #: Vendors' reputation from the verified ratings held (the node
        #: sets it to its ratings part's; none until then).
        self.reputation: Callable[[Collection[bytes]], Reputation] = lambda vendors: {}
        #: The next intent's keys, reserved durably after the last post
        #: (None: not yet, or a post took them).
        self._keys_ahead: IntentKeys | None = None

    def _customer_seed(self) -> bytes:
        if self.core._seed is None:
            raise NodeError("this node has no customer seed")
        return self.core._seed

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
        """Post a new intent with fresh keys; returns it once it is on its
        way (down a stem, or gossiped) and its record is on the disk.

        The key counter is stored durably before the keys are used, the
        first whose offer bucket the node follows; the proof of work is
        minted in a worker thread unless it is tiny (``with_work``). Raises
        :class:`~intentcast.protocol.InvalidMessage` for a bad field, and a
        :class:`~intentcast.store.StoreError` if the disk refuses the
        intent's record (the intent may have left by then).
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
        # Keys whose offer bucket is in this node's set (``_fits``), reserved
        # durably after the last post where they could be; else reserved now,
        # flushed: a reservation is on the disk before its keys sign anything
        # that leaves, so a power cut never hands a counter out twice.
        seed = self._customer_seed()
        keys, self._keys_ahead = self._keys_ahead, None
        if keys is None or not self._fits(keys.intent_key):
            keys = self.store.intents.reserve_keys(seed, fits=self._fits)
        intent = replace(draft, reply_key=keys.reply_public)
        signed = await self._sign(intent, keys.signing)
        # Recorded without waiting for the disk (it survives kill -9), sent,
        # and flushed in a worker thread while its first hop goes: the one
        # disk wait of a post is no longer ahead of the intent
        # (docs/benchmarks.md, network). The post returns once the record is
        # durable. A power cut inside that wait can lose the record of an
        # intent that left; its keys are never used again.
        self.store.intents.add(signed, counter=keys.counter, flush=False)
        await self.stem.publish_own(topics.intents(signed.message.category[0]), signed)
        await trio.to_thread.run_sync(self.store.sync)
        self._emit(EventKind.INTENT_POSTED, signed.id, title)
        self._spawn(self._reserve_ahead, seed, self.store.intents.next_counter())
        return signed

    def _fits(self, intent_key: bytes) -> bool:
        """Whether an intent key's offer bucket is one this node follows
        (fixed: its subscriptions never change with what it posts)."""
        return topics.bucket(intent_key) in self.core.intent_buckets

    async def _reserve_ahead(self, seed: bytes, start: int) -> None:
        """Reserve the next intent's keys, durably, once this post's first
        stem hop has gone (:data:`RESERVE_AHEAD_DELAY`), so that the next post
        neither draws keys nor waits for the disk before its intent leaves:
        ~8 tries of ~30 µs and a commit on the event loop (in a worker
        thread the draw would hold the GIL against the loop, and delay the
        stem send it should stay clear of), the flush in a worker thread.
        Skipped when a post reserved meanwhile (a burst: its own call comes)
        or keys wait already."""
        await trio.sleep(RESERVE_AHEAD_DELAY)
        if self._keys_ahead is not None or self.store.intents.next_counter() != start:
            return
        try:
            keys = self.store.intents.reserve_keys(seed, fits=self._fits, flush=False)
            await trio.to_thread.run_sync(self.store.sync)
        except (StoreError, ValueError) as exc:
            # The next post reserves its own keys, and its caller hears of it.
            log.warning("could not reserve the next intent's keys ahead: %s", exc)
            return
        if self._keys_ahead is None:  # else this counter is spent unused, which is safe
            self._keys_ahead = keys

    async def _sign(self, message: Any, key: SigningKey) -> Signed[Any]:
        return await with_work(
            self.params.work_for(message.KIND), lambda: sign(message, key, params=self.params)
        )

    async def amend(self, intent_key: bytes, **changes: Any) -> Signed[Intent]:
        """Publish the next revision of an own intent with ``changes``
        (fields of :class:`Intent`); offers to older revisions stop counting."""
        refusal = "only open intents can be amended"
        own, keys = self._own_intent(intent_key, IntentEvent.AMEND, refusal)
        current = own.intent.message
        revised = replace(current, **changes, revision=current.revision + 1, created=self.now())
        signed = await self._sign(revised, keys.signing)
        self.store.intents.amend(signed)
        self.stem.publish_follow_up(topics.intents(signed.message.category[0]), signed)
        return signed

    async def withdraw(self, intent_key: bytes, reason: str = "") -> Signed[Withdraw]:
        """Take an own intent off the market, everywhere."""
        own, keys = self._own_intent(intent_key, IntentEvent.WITHDRAW, "it cannot be withdrawn")
        now = self.now()
        expires = max(own.intent.message.expires, now + 1)
        message = Withdraw(intent_key=intent_key, created=now, expires=expires, reason=reason)
        signed = await self._sign(message, keys.signing)
        self.store.intents.withdraw(signed)
        self.stem.publish_follow_up(topics.intents(own.intent.message.category[0]), signed)
        return signed

    def _own_intent(
        self, intent_key: bytes, event: IntentEvent, refusal: str
    ) -> tuple[OwnIntent, IntentKeys]:
        """An own intent that may take ``event`` now, and its keys; else
        :class:`NodeError` (``refusal`` says why the state forbids it)."""
        own = self.store.intents.get(intent_key)
        if own is None:
            raise NodeError("no intent of ours with this key")
        if not intent_may(own.state, event):
            raise NodeError(f"the intent is {own.state.value}; {refusal}")
        return own, derive_intent_keys(self._customer_seed(), own.counter)

    def _opened(
        self, own: OwnIntent, opener: Opener, sealed: Signed[Any], what: str
    ) -> Signed[Any] | None:
        """Open ``sealed`` (an offer or a deal reply to the own intent
        ``own``) with the intent's reply key; None, counted, if it does not
        open."""
        keys = derive_intent_keys(self._customer_seed(), own.counter)
        verdict = opener(sealed, keys.reply, now=self.now(), params=self.params)
        if not verdict.accepted or verdict.signed is None:
            self._count(f"{what}-unopened:{verdict.reason}")
            return None
        return verdict.signed

    async def _offer_arrived(self, sealed: Signed[SealedOffer]) -> None:
        intent = self.store.intents.by_revision(sealed.message.intent_id)
        if intent is None:
            return  # relayed for someone else
        own = self.store.intents.get(intent.signer)
        if own is None or own.state not in ON_MARKET:
            return
        offer: Signed[Offer] | None = self._opened(own, open_offer, sealed, "offer")
        if offer is None:
            return
        if not self._keep_offer(intent, offer):
            self._count("offer-dropped:cap")
            return
        if self.store.offers.add_received(sealed, offer):
            self._emit(
                EventKind.OFFER_RECEIVED,
                offer.id,
                offer.message.vendor_name,
                intent_key=intent.signer,
            )

    def _keep_offer(self, intent: Signed[Intent], offer: Signed[Offer]) -> bool:
        """Per-intent cap on stored offers: keep the best N by a cheap
        pre-rank, the price per unit in the intent's currency (offers in
        another currency rank last). Past the cap, a new offer evicts the
        dearest one kept if it is cheaper, and is dropped otherwise; offers
        already accepted are never evicted."""
        held = [
            r.offer
            for r in self.store.offers.received(intent.signer)
            if r.offer.message.intent_id == intent.id and r.state is OfferState.RECEIVED
        ]
        keep, evict = keep_offer(
            held,
            offer,
            currency=intent.message.terms.currency,
            cap=self.config.max_offers_per_intent,
        )
        if evict is None:
            return keep
        return self.store.offers.drop_received(evict.id)

    def offers_for(self, intent_key: bytes) -> Ranking:
        """The offers for an own intent, ranked against its current revision
        (ranked ones first, rejected ones with their reasons)."""
        own = self.store.intents.get(intent_key)
        if own is None:
            raise NodeError("no intent of ours with this key")
        received = [r.offer for r in self.store.offers.received(intent_key)]
        vendors = {o.message.vendor_key for o in received}
        return rank_offers(
            own.intent, received, now=self.now(), reputation=self.reputation(vendors)
        )

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
        if not intent_may(own.state, IntentEvent.ACCEPT):
            raise NodeError(f"the intent is {own.state.value}; it cannot accept offers")
        ranking = self.offers_for(intent.signer)
        rejected = {r.offer.id: r for r in ranking.rejected}
        if offer.id in rejected:
            reasons = "; ".join(v.message for v in rejected[offer.id].violations)
            raise NodeError(f"this offer breaks your terms: {reasons}")
        o = offer.message
        # The price the ranking showed (the floor, under name-your-price).
        mode, price = accept_terms(o, own.intent.message.terms.payment_modes, payment_mode, price)
        keys = derive_intent_keys(self._customer_seed(), own.counter)
        now = self.now()
        accept = sign(
            Accept(
                intent_id=intent.id,
                offer_id=offer.id,
                payment_mode=mode,
                price=price,
                created=now,
                disclosure=dict(disclose or {}),
            ),
            keys.signing,
        )
        verdict = check_accept(accept, intent, offer)
        if not verdict.accepted:
            raise NodeError(f"accept would be refused by the vendor: {verdict}")
        sealed = await with_work(
            self.params.work_for(Kind.SEALED_DEAL),
            lambda: seal_deal(
                accept,
                to=offer.id,
                recipient=o.reply_key,
                created=now,
                expires=now + DEAL_TTL,
                random_bytes=os.urandom,
                params=self.params,
            ),
        )
        self.store.deals.record_accept(intent, offer, accept, role=Role.CUSTOMER)
        self.stem.publish_follow_up(topics.DEALS, sealed)
        self._emit(EventKind.ACCEPT_SENT, accept.id, o.vendor_name)
        return accept

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
        opened = self._opened(own, open_deal, sealed, "reply")
        if opened is None:
            return
        if opened.kind not in (Kind.CONFIRM, Kind.DECLINE):
            self._count("reply-unopened:wrong-kind")
            return
        reply: Signed[Confirm] | Signed[Decline] = opened
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
            if confirmed:
                open_relationship(self.store, role=Role.CUSTOMER, intent=intent, offer=offer,
                                  accept=accept, confirm=reply)  # type: ignore[arg-type]  # fmt: skip
            text = reply.message.note if confirmed else reply.message.reason  # type: ignore[union-attr]
            kind = EventKind.DEAL_CONFIRMED if confirmed else EventKind.DEAL_DECLINED
            self._emit(kind, accept.id, text)
