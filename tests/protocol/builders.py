"""Deterministic message builders for protocol tests (and the vectors)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from intentcast.protocol import (
    Accept,
    Confirm,
    Decline,
    Intent,
    IntentKeys,
    Item,
    NetworkParams,
    Offer,
    Preferences,
    Rating,
    RatingReply,
    Receipt,
    Signed,
    Terms,
    VendorKeys,
    VendorProfile,
    Withdraw,
    derive_intent_keys,
    derive_vendor_keys,
    seal_deal,
    seal_offer,
    sign,
)

NOW = 1_800_000_000
DAY = 86_400
#: Proof of work off: fast tests. Tests of the work itself use LOW_WORK.
NO_WORK = NetworkParams(pow_bits={})
CUSTOMER_SEED = bytes(range(32))
VENDOR_SEED = bytes(range(100, 132))


def customer_keys(counter: int = 0) -> IntentKeys:
    return derive_intent_keys(CUSTOMER_SEED, counter)


def vendor_keys(seed: bytes = VENDOR_SEED) -> VendorKeys:
    return derive_vendor_keys(seed)


def rng(seed: int = 7) -> Any:
    return random.Random(seed).randbytes


def intent_message(keys: IntentKeys, **changes: Any) -> Intent:
    base = Intent(
        category=("electronics", "phones"),
        title="Used Pixel 8, good battery",
        description="Any colour. Original charger welcome.",
        attributes={"storage_gb": (128, 256), "color": "black", "unlocked": True},
        quantity=1,
        terms=Terms(
            max_price=30_000,
            currency="EUR",
            region="DE",
            deliver_by=NOW + 5 * DAY,
            customer_terms=("cc:no-tracking", "cc:delete-after-deal"),
            payment_modes=("pay-after-delivery", "prepay"),
            min_rating=300,
        ),
        preferences=Preferences(price=50, speed=20, reputation=20, terms=5, attributes=5),
        reply_key=keys.reply_public,
        created=NOW,
        expires=NOW + 7 * DAY,
    )
    return replace(base, **changes)


def signed_intent(
    keys: IntentKeys | None = None, params: NetworkParams = NO_WORK, **changes: Any
) -> Signed[Intent]:
    keys = keys or customer_keys()
    return sign(intent_message(keys, **changes), keys.signing, params=params)


def offer_message(intent: Signed[Intent], vkeys: VendorKeys, **changes: Any) -> Offer:
    base = Offer(
        intent_id=intent.id,
        vendor_key=vkeys.vendor_key,
        vendor_name="Pixel Palace",
        item=Item(
            title="Pixel 8 128 GB black",
            attributes={"storage_gb": 128, "color": "black"},
            sku="px8-128-blk",
        ),
        quantity=1,
        price=27_500,
        currency="EUR",
        deliver_by=NOW + 3 * DAY,
        ships_to=("DE", "AT"),
        customer_terms=("cc:no-tracking", "cc:delete-after-deal", "cc:no-resale"),
        payment_modes=("prepay", "pay-after-delivery"),
        reply_key=vkeys.reply_public,
        created=NOW + 60,
        valid_until=NOW + 2 * DAY,
    )
    return replace(base, **changes)


def signed_offer(
    intent: Signed[Intent], vkeys: VendorKeys | None = None, **changes: Any
) -> Signed[Offer]:
    vkeys = vkeys or vendor_keys()
    return sign(offer_message(intent, vkeys, **changes), vkeys.signing)


def sealed_offer(
    offer: Signed[Offer], intent: Signed[Intent], params: NetworkParams = NO_WORK
) -> Any:
    return seal_offer(offer, intent, created=NOW + 60, random_bytes=rng(1), params=params)


def signed_withdraw(
    keys: IntentKeys, intent_key: bytes | None = None, params: NetworkParams = NO_WORK
) -> Signed[Withdraw]:
    return sign(
        Withdraw(
            intent_key=intent_key or keys.intent_key,
            created=NOW + 120,
            expires=NOW + 7 * DAY,
            reason="found one locally",
        ),
        keys.signing,
        params=params,
    )


def signed_accept(
    intent: Signed[Intent], offer: Signed[Offer], keys: IntentKeys, **changes: Any
) -> Signed[Accept]:
    base = Accept(
        intent_id=intent.id,
        offer_id=offer.id,
        payment_mode="pay-after-delivery",
        price=offer.message.price,
        created=NOW + 300,
        disclosure={"contact": "alice@example.org", "shipping": "Hauptstr. 1, 10115 Berlin"},
    )
    return sign(replace(base, **changes), keys.signing)


def signed_receipt(accept: Signed[Accept], vkeys: VendorKeys, **changes: Any) -> Signed[Receipt]:
    base = Receipt(
        deal=accept.id, intent_id=accept.message.intent_id, rater=accept.signer, created=NOW + 400
    )
    return sign(replace(base, **changes), vkeys.signing)


def signed_confirm(
    accept: Signed[Accept],
    offer: Signed[Offer],
    vkeys: VendorKeys,
    *,
    receipt: Signed[Receipt] | bool | None = True,
) -> Signed[Confirm]:
    """A confirm carrying the vendor's receipt (``receipt=False``: none;
    a signed receipt: that one)."""
    if receipt is True:
        receipt = signed_receipt(accept, vkeys)
    return sign(
        Confirm(
            accept_id=accept.id,
            offer_id=offer.id,
            intent_id=offer.message.intent_id,
            created=NOW + 400,
            note="Ships tomorrow.",
            receipt=receipt.raw if isinstance(receipt, Signed) else None,
        ),
        vkeys.signing,
    )


def signed_rating(
    receipt: Signed[Receipt],
    keys: IntentKeys,
    params: NetworkParams = NO_WORK,
    **changes: Any,
) -> Signed[Rating]:
    base = Rating(
        receipt=receipt.raw,
        stars=450,
        described=500,
        ontime=400,
        comms=None,
        text="As described, a day late.",
        created=NOW + 2 * DAY,
        expires=NOW + 200 * DAY,
    )
    return sign(replace(base, **changes), keys.signing, params=params)


def signed_rating_reply(
    deal: bytes, vkeys: VendorKeys, params: NetworkParams = NO_WORK, **changes: Any
) -> Signed[RatingReply]:
    base = RatingReply(
        deal=deal,
        vendor_key=vkeys.vendor_key,
        text="Sorry for the delay: the courier lost a day.",
        created=NOW + 3 * DAY,
        expires=NOW + 200 * DAY,
    )
    return sign(replace(base, **changes), vkeys.signing, params=params)


def signed_decline(
    accept: Signed[Accept], offer: Signed[Offer], vkeys: VendorKeys
) -> Signed[Decline]:
    return sign(
        Decline(
            accept_id=accept.id,
            offer_id=offer.id,
            intent_id=offer.message.intent_id,
            created=NOW + 400,
            reason="Sold out an hour ago.",
        ),
        vkeys.signing,
    )


def sealed_deal(inner: Any, *, to: bytes, recipient: bytes, params: NetworkParams = NO_WORK) -> Any:
    return seal_deal(
        inner,
        to=to,
        recipient=recipient,
        created=NOW + 300,
        expires=NOW + DAY,
        random_bytes=rng(2),
        params=params,
    )


def signed_profile(
    vkeys: VendorKeys | None = None, params: NetworkParams = NO_WORK
) -> Signed[VendorProfile]:
    vkeys = vkeys or vendor_keys()
    return sign(
        VendorProfile(
            vendor_key=vkeys.vendor_key,
            name="Pixel Palace",
            categories=("electronics",),
            ships_to=("DE", "AT"),
            reply_key=vkeys.reply_public,
            created=NOW,
            expires=NOW + 30 * DAY,
            description="Refurbished phones since 2011.",
            url="https://pixel.example",
        ),
        vkeys.signing,
        params=params,
    )


def forge(kind: str, body: object, key: Any, *, version: int = 1) -> bytes:
    """An envelope around an arbitrary body, correctly signed by ``key``:
    how a hostile or buggy peer would build one, bypassing every check."""
    from intentcast.protocol.encoding import pack, signing_input

    raw_body = body if isinstance(body, bytes) else pack(body)
    signature = key.sign(signing_input(kind, raw_body)).signature
    return pack((version, kind, raw_body, bytes(key.verify_key), signature))
