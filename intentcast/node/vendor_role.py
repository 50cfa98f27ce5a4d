"""The vendor's side of a node: answer intents with sealed offers, check
and confirm (or decline) accepts: by the vendor handler (a catalog, a bot),
or, with ``NodeConfig.hold_accepts``, by the owner (:meth:`VendorRole.answer_accept`).

A held accept is the store's deal in state ``accepted`` with no reply, so it
waits for the owner across restarts; so does an accept whose handler never
answered because the node stopped first."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import replace

import trio

from intentcast.matching import OfferDraft
from intentcast.peer import topics
from intentcast.peer.vendor import Decision, VendorHandler, longest_fitting
from intentcast.peer.vendor import reply as vendor_reply
from intentcast.protocol import (
    Accept,
    Confirm,
    Decline,
    Intent,
    InvalidMessage,
    Kind,
    Offer,
    SealedDeal,
    Signed,
    TooLarge,
    VendorKeys,
    check_accept,
    open_deal,
    seal_deal,
    seal_offer,
    sign,
)
from intentcast.store import Deal, DealState, Role

from .base import DEAL_TTL, EventKind, NodeCore, NodeError, Part, with_work
from .relationships import open_relationship
from .stem import StemRouting

log = logging.getLogger(__name__)


class VendorRole(Part):
    """The vendor part of a :class:`~intentcast.node.node.Node` (a node that
    sells nothing has none): it answers with ``vendor``, signs and seals with
    ``keys``, and sends its offers and replies through the node's stem."""

    def __init__(
        self, core: NodeCore, stem: StemRouting, vendor: VendorHandler, keys: VendorKeys
    ) -> None:
        super().__init__(core)
        self.stem = stem
        self._vendor = vendor
        self._vendor_keys = keys
        #: Bounds how many intents the vendor answers at once.
        self._answering = trio.CapacityLimiter(core.config.vendor_concurrency)
        #: Intents the vendor is answering now.
        self._answering_ids: set[bytes] = set()
        #: Accepts the handler is deciding now (the owner may not answer them).
        self._deciding: set[bytes] = set()

    @property
    def categories(self) -> Sequence[str]:
        """The categories the vendor sells in now (a bot may change them)."""
        return self._vendor.categories

    async def _answer_intent_bounded(self, intent: Signed[Intent]) -> None:
        """Answer in at most ``vendor_concurrency`` intents at once, each
        intent once at a time (an arrival and a catch-up may race)."""
        if intent.id in self._answering_ids:
            return
        self._answering_ids.add(intent.id)
        try:
            async with self._answering:
                await self._answer_intent(intent)
        except Exception:
            log.exception("answering intent %s failed", intent.id.hex()[:12])
        finally:
            self._answering_ids.discard(intent.id)

    def answer_live_intents(self) -> int:
        """Answer every live cached intent in the vendor's categories that
        it has not answered yet (a bot attached after they arrived);
        returns how many were handed to the vendor."""
        now = self.now()
        started = 0
        for category in self._vendor.categories:
            for intent in self.store.gossip.live_intents(now=now, category=category):
                own = self.store.intents.get(intent.signer) is not None
                if own or intent.id in self._answering_ids or self.store.offers.made(intent.id):
                    continue
                self.nursery.start_soon(self._answer_intent_bounded, intent)
                started += 1
        return started

    async def _answer_intent(self, intent: Signed[Intent]) -> None:
        if self.store.offers.made(intent.id):
            return  # answered already (replay, or a restart)
        if self.now() - intent.message.created >= self.config.fresh_intent_seconds:
            await trio.sleep(self.config.catch_up_delay)
        vkeys = self._vendor_keys
        now = self.now()
        drafts = await self._vendor.on_intent(intent, now=now)
        if not self.core._still_open(intent):
            return
        for draft in drafts:
            offer = sign(
                _as_offer(draft, vkeys),
                vkeys.signing,
            )
            sealed = await with_work(
                self.params.work_for(Kind.SEALED_OFFER),
                functools.partial(
                    seal_offer,
                    offer,
                    intent,
                    created=now,
                    random_bytes=os.urandom,
                    params=self.params,
                ),
            )
            self.store.offers.add_made(intent, offer, sealed)
            await self.stem.publish_own(topics.offers(intent.signer), sealed)
            self._emit(EventKind.OFFER_SENT, offer.id, offer.message.item.title)

    async def _accept_arrived(
        self, sealed: Signed[SealedDeal], intent: Signed[Intent], offer: Signed[Offer]
    ) -> None:
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
        disclosed = ", ".join(accept.message.disclosure)
        if self.config.hold_accepts:
            self._count("accept-held")
            self._emit(EventKind.ACCEPT_RECEIVED, accept.id, f"{disclosed}; waits for your answer")
            return
        self._emit(EventKind.ACCEPT_RECEIVED, accept.id, disclosed)
        self._deciding.add(accept.id)
        try:
            decision: Decision = await self._vendor.on_accept(accept, offer, intent, now=now)
        finally:
            self._deciding.discard(accept.id)
        try:
            await self._reply(accept, offer, intent, decision)
        except InvalidMessage as exc:
            # The handler's note (or reason) makes the signed answer larger
            # than its kind allows (a confirm also carries the receipt): no
            # one would take it. Nothing was sent or recorded; the accept
            # waits for the owner, as a held one does.
            self._count("reply-unsendable")
            log.warning("the answer to accept %s cannot be sent (%s); it waits for the "
                        "owner's confirm or decline", accept.id.hex()[:12], exc)  # fmt: skip
            self._emit(EventKind.ACCEPT_RECEIVED, accept.id,
                       f"{disclosed}; the handler's answer could not be sent ({exc}); "
                       "waits for your answer")  # fmt: skip

    def awaits_owner(self, deal: Deal) -> bool:
        """True if ``deal`` is one of this vendor's accepts that waits for the
        owner's answer: held (``hold_accepts``), or left unanswered by a
        handler that never got to it (the node stopped first)."""
        return (
            deal.role is Role.VENDOR
            and deal.state is DealState.ACCEPTED
            and deal.reply is None
            and deal.accept.id not in self._deciding
        )

    def accepts_to_answer(self) -> list[bytes]:
        """The accept ids of the deals that wait for the owner, oldest first
        (see :meth:`awaits_owner`; nothing decoded)."""
        return [a for a in self.store.deals.unanswered(Role.VENDOR) if a not in self._deciding]

    async def answer_accept(self, accept_id: bytes, decision: Decision) -> Deal:
        """The owner's answer to an accept that waits for it (see
        :meth:`awaits_owner`): sign, seal and send the confirm or decline;
        returns the deal as it stands then. Raises :class:`NodeError` for
        an unknown accept, a customer's deal, or one answered or being
        answered already."""
        deal = self.store.deals.get(accept_id)
        if deal is None or deal.role is not Role.VENDOR:
            raise NodeError("no accept of one of your offers has this id")
        if deal.reply is not None:
            raise NodeError(f"this deal is already {deal.state.value}")
        if not self.awaits_owner(deal):
            raise NodeError(f"{self._vendor.name} is answering this accept now")
        self._deciding.add(accept_id)
        try:
            await self._reply(deal.accept, deal.offer, deal.intent, decision)
        finally:
            self._deciding.discard(accept_id)
        answered = self.store.deals.get(accept_id)
        assert answered is not None
        return answered

    async def _reply(
        self,
        accept: Signed[Accept],
        offer: Signed[Offer],
        intent: Signed[Intent],
        decision: Decision,
    ) -> None:
        """Sign, record and send the vendor's confirm or decline of ``accept``
        (once: a second answer to the same accept is not sent)."""
        now = self.now()

        def signed_and_sealed(
            text: str,
        ) -> tuple[Signed[Confirm] | Signed[Decline], Signed[SealedDeal]]:
            answer = replace(decision, text=text)
            reply = vendor_reply(answer, accept, offer, intent, keys=self._vendor_keys, now=now)
            out = seal_deal(
                reply,
                to=accept.id,
                recipient=intent.message.reply_key,
                created=now,
                expires=now + DEAL_TTL,
                random_bytes=os.urandom,
                params=self.params,
            )
            return reply, out

        try:
            reply, out = await with_work(
                self.params.work_for(Kind.SEALED_DEAL), lambda: signed_and_sealed(decision.text)
            )
        except TooLarge as exc:
            if not decision.text:
                raise
            fit = await trio.to_thread.run_sync(
                longest_fitting, decision.text, lambda t: _fits(signed_and_sealed, t)
            )
            what = "note" if decision.confirm else "reason"
            raise InvalidMessage(
                what,
                f"{len(decision.text)} characters are too many for this answer "
                f"({exc.problem}): at most the first {fit} fit",
            ) from exc
        if not self.store.deals.record_reply(reply):
            return  # answered meanwhile: the customer gets one answer only
        if decision.confirm:
            open_relationship(self.store, role=Role.VENDOR, intent=intent, offer=offer,
                              accept=accept, confirm=reply)  # type: ignore[arg-type]  # fmt: skip
        await self.stem.publish_own(topics.DEALS, out)
        kind = EventKind.DEAL_CONFIRMED if decision.confirm else EventKind.DEAL_DECLINED
        self._emit(kind, accept.id, decision.text)


def _fits(build: Callable[[str], object], text: str) -> bool:
    """True if the answer with ``text`` can be signed and sealed."""
    try:
        build(text)
    except TooLarge:
        return False
    return True


def _as_offer(draft: OfferDraft | Offer, vkeys: VendorKeys) -> Offer:
    """A handler returns catalog drafts or hand-built offers; either way the
    node puts in the vendor's own keys."""
    if isinstance(draft, Offer):
        return replace(draft, vendor_key=vkeys.vendor_key, reply_key=vkeys.reply_public)
    return draft.to_offer(vendor_key=vkeys.vendor_key, reply_key=vkeys.reply_public)
