"""Valid signed messages of every kind, built once per process: the seeds
the protocol harnesses mutate and the context the sealed checks need.

Built with the protocol tests' own builders (``tests/protocol/builders.py``),
without proof of work; the harnesses validate with :data:`NO_WORK` so a
mutation reaches the signature and body checks instead of stopping at the
work check.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from intentcast.protocol import (
    Accept,
    Confirm,
    DealAck,
    DealMessage,
    Decline,
    Forget,
    Intent,
    IntentKeys,
    Offer,
    ProfileUpdate,
    Rating,
    RatingReply,
    Receipt,
    SealedDeal,
    SealedOffer,
    Signed,
    VendorKeys,
    VendorProfile,
    Withdraw,
    sign,
)
from tests.protocol import builders as b

NOW = b.NOW
NO_WORK = b.NO_WORK
#: A clock at which every sample is live and none is from the future.
CHECK_TIME = b.NOW + 600


@dataclass(frozen=True, slots=True)
class Market:
    """One intent, one offer for it, an accept, and the vendor's answers,
    each signed, and the sealed outers that carry them."""

    keys: IntentKeys
    vendor: VendorKeys
    intent: Signed[Intent]
    withdraw: Signed[Withdraw]
    offer: Signed[Offer]
    sealed_offer: Signed[SealedOffer]
    accept: Signed[Accept]
    sealed_accept: Signed[SealedDeal]
    confirm: Signed[Confirm]
    decline: Signed[Decline]
    sealed_confirm: Signed[SealedDeal]
    profile: Signed[VendorProfile]
    receipt: Signed[Receipt]
    rating: Signed[Rating]
    rating_reply: Signed[RatingReply]
    #: After the deal: a message, an update, a forget request, a statement.
    thread: tuple[Signed[Any], ...] = ()

    def every_envelope(self) -> dict[str, Signed[Any]]:
        """Every sample by a short name."""
        return {
            "intent": self.intent,
            "withdraw": self.withdraw,
            "offer": self.offer,
            "sealed-offer": self.sealed_offer,
            "accept": self.accept,
            "sealed-accept": self.sealed_accept,
            "confirm": self.confirm,
            "decline": self.decline,
            "sealed-confirm": self.sealed_confirm,
            "vendor-profile": self.profile,
            "receipt": self.receipt,
            "rating": self.rating,
            "rating-reply": self.rating_reply,
        }

    def every_body_sample(self) -> list[Signed[Any]]:
        """One sample of every kind with a body, the relationship kinds too."""
        return [*self.every_envelope().values(), *self.thread]


@cache
def market() -> Market:
    """The samples (signing is cheap without work; built once anyway)."""
    keys = b.customer_keys()
    vendor = b.vendor_keys()
    intent = b.signed_intent(keys)
    offer = b.signed_offer(intent, vendor)
    accept = b.signed_accept(intent, offer, keys)
    confirm = b.signed_confirm(accept, offer, vendor)
    return Market(
        keys=keys,
        vendor=vendor,
        intent=intent,
        withdraw=b.signed_withdraw(keys),
        offer=offer,
        sealed_offer=b.sealed_offer(offer, intent),
        accept=accept,
        sealed_accept=b.sealed_deal(accept, to=offer.id, recipient=offer.message.reply_key),
        confirm=confirm,
        decline=b.signed_decline(accept, offer, vendor),
        sealed_confirm=b.sealed_deal(confirm, to=accept.id, recipient=intent.message.reply_key),
        profile=b.signed_profile(vendor),
        receipt=b.signed_receipt(accept, vendor),
        rating=b.signed_rating(b.signed_receipt(accept, vendor), keys, created=b.NOW + 500),
        rating_reply=b.signed_rating_reply(accept.id, vendor, created=b.NOW + 500),
        thread=_thread(accept, keys, vendor),
    )


def _thread(
    accept: Signed[Accept], keys: IntentKeys, vendor: VendorKeys
) -> tuple[Signed[Any], ...]:
    at, deal = NOW + 500, accept.id
    return (
        sign(DealMessage(deal=deal, seq=0, created=at, type="status", text="Where?"), keys.signing),
        sign(
            ProfileUpdate(deal=deal, seq=1, created=at, field="shipping", value="Neue Str. 2"),
            keys.signing,
        ),
        sign(Forget(deal=deal, seq=2, created=at), keys.signing),
        sign(
            DealAck(deal=deal, seq=0, created=at, of=deal, fields=("shipping",), deleted=at),
            vendor.signing,
        ),
    )
