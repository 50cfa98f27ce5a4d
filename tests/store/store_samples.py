"""Deterministic signed messages for the store tests (no proof of work)."""

from __future__ import annotations

import random
from typing import Final

from intentcast.protocol import (
    Accept,
    Confirm,
    Decline,
    Intent,
    Item,
    NetworkParams,
    Offer,
    SealedDeal,
    SealedOffer,
    Signed,
    Terms,
    VendorProfile,
    Withdraw,
    derive_intent_keys,
    derive_vendor_keys,
    seal_deal,
    seal_offer,
    sign,
)

PARAMS: Final = NetworkParams(pow_bits={})
SEED: Final = bytes(32)
VENDOR: Final = derive_vendor_keys(bytes([1]) * 32)
T0: Final = 1_800_000_000
DAY: Final = 86_400


def intent(
    n: int,
    *,
    revision: int = 0,
    created: int = T0,
    expires: int = T0 + DAY,
    category: str = "electronics",
    title: str = "a phone",
) -> Signed[Intent]:
    """Intent number ``n`` (keys from counter ``n`` of the test seed)."""
    keys = derive_intent_keys(SEED, n)
    message = Intent(
        category=(category, "phones"),
        title=title,
        terms=Terms(
            max_price=50_000,
            currency="EUR",
            region="DE",
            payment_modes=("pay-on-delivery", "prepay"),
            customer_terms=("cc:no-tracking",),
        ),
        reply_key=keys.reply_public,
        created=created,
        expires=expires,
        attributes={"storage": (64, 256), "colour": "black"},
        revision=revision,
    )
    return sign(message, keys.signing, params=PARAMS)


def withdraw(n: int, *, created: int = T0 + 60, expires: int = T0 + DAY) -> Signed[Withdraw]:
    """The withdrawal of intent number ``n``."""
    keys = derive_intent_keys(SEED, n)
    w = Withdraw(intent_key=keys.intent_key, created=created, expires=expires, reason="bought")
    return sign(w, keys.signing, params=PARAMS)


def offer(for_intent: Signed[Intent], *, price: int = 40_000, until: int = T0 + DAY // 2
          ) -> Signed[Offer]:  # fmt: skip
    """The test vendor's offer for ``for_intent``."""
    message = Offer(
        intent_id=for_intent.id,
        vendor_key=VENDOR.vendor_key,
        vendor_name="Phone Shop",
        item=Item(title="Phone X 128 GB", sku="px-128", attributes={"storage": 128}),
        quantity=1,
        price=price,
        currency="EUR",
        deliver_by=T0 + 3 * DAY,
        ships_to=("DE",),
        customer_terms=("cc:no-tracking",),
        payment_modes=("prepay",),
        reply_key=VENDOR.reply_public,
        created=for_intent.message.created + 10,
        valid_until=until,
    )
    return sign(message, VENDOR.signing, params=PARAMS)


def sealed(o: Signed[Offer], for_intent: Signed[Intent], seed: int = 0) -> Signed[SealedOffer]:
    """``o`` sealed to ``for_intent``'s reply key."""
    return seal_offer(
        o,
        for_intent,
        created=o.message.created,
        random_bytes=random.Random(seed).randbytes,
        params=PARAMS,
    )


def accept(n: int, for_intent: Signed[Intent], o: Signed[Offer]) -> Signed[Accept]:
    """Intent ``n``'s author accepts ``o``."""
    keys = derive_intent_keys(SEED, n)
    message = Accept(
        intent_id=for_intent.id,
        offer_id=o.id,
        payment_mode="prepay",
        price=o.message.price,
        created=o.message.created + 60,
        disclosure={"shipping": "Musterstr. 1, Berlin"},
    )
    return sign(message, keys.signing, params=PARAMS)


def confirm(a: Signed[Accept]) -> Signed[Confirm]:
    """The vendor confirms accept ``a``."""
    m = a.message
    c = Confirm(accept_id=a.id, offer_id=m.offer_id, intent_id=m.intent_id,
                created=m.created + 60, note="ships tomorrow")  # fmt: skip
    return sign(c, VENDOR.signing, params=PARAMS)


def decline(a: Signed[Accept]) -> Signed[Decline]:
    """The vendor declines accept ``a``."""
    m = a.message
    d = Decline(accept_id=a.id, offer_id=m.offer_id, intent_id=m.intent_id,
                created=m.created + 60, reason="sold out")  # fmt: skip
    return sign(d, VENDOR.signing, params=PARAMS)


def sealed_deal(a: Signed[Accept], o: Signed[Offer], seed: int = 0) -> Signed[SealedDeal]:
    """Accept ``a`` sealed to the offer's reply key."""
    return seal_deal(
        a,
        to=o.id,
        recipient=o.message.reply_key,
        created=a.message.created,
        expires=a.message.created + DAY,
        random_bytes=random.Random(seed).randbytes,
        params=PARAMS,
    )


def profile(*, created: int = T0, name: str = "Phone Shop") -> Signed[VendorProfile]:
    """The test vendor's profile."""
    p = VendorProfile(
        vendor_key=VENDOR.vendor_key,
        name=name,
        categories=("electronics",),
        ships_to=("DE", "FR"),
        reply_key=VENDOR.reply_public,
        created=created,
        expires=created + 7 * DAY,
        url="https://shop.example",
    )
    return sign(p, VENDOR.signing, params=PARAMS)
