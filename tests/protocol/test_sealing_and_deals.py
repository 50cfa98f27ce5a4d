"""Sealed offers and deals: only the intended reader opens them, and the
accept/confirm rules hold."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey, SealedBox

from intentcast.protocol import (
    Accept,
    Action,
    Confirm,
    Reason,
    SealError,
    Signed,
    open_deal,
    open_offer,
    pad,
    seal,
    unseal,
)
from intentcast.protocol.deal import SealedDeal

from .builders import (
    NO_WORK,
    NOW,
    customer_keys,
    rng,
    sealed_deal,
    sealed_offer,
    signed_accept,
    signed_confirm,
    signed_decline,
    signed_intent,
    signed_offer,
    vendor_keys,
)

LATER = NOW + 600


@settings(max_examples=50)
@given(st.binary(max_size=2000), st.binary(min_size=32, max_size=32))
def test_our_seal_is_libsodium_sealed_box_compatible(plaintext: bytes, secret: bytes) -> None:
    recipient = PrivateKey(bytes(range(32)))
    box = seal(plaintext, bytes(recipient.public_key), secret)
    assert SealedBox(recipient).decrypt(box) == plaintext
    assert unseal(SealedBox(recipient.public_key).encrypt(plaintext), recipient) == plaintext


def test_tampered_box_does_not_open() -> None:
    recipient = PrivateKey(bytes(range(32)))
    box = bytearray(seal(b"an offer", bytes(recipient.public_key), bytes(32)))
    box[-1] ^= 1
    with pytest.raises(SealError):
        unseal(bytes(box), recipient)


def test_offer_opens_for_its_intent_and_matches_what_the_vendor_signed() -> None:
    intent = signed_intent()
    offer = signed_offer(intent)
    outer = sealed_offer(offer, intent)
    opened = open_offer(outer, customer_keys().reply, now=LATER, params=NO_WORK)
    assert opened.accepted and opened.signed is not None
    assert opened.signed.raw == offer.raw
    assert opened.signed.signer == vendor_keys().vendor_key


def test_outer_envelope_names_no_vendor_and_no_price() -> None:
    intent = signed_intent()
    offer = signed_offer(intent)
    outer = sealed_offer(offer, intent)
    assert outer.signer != vendor_keys().vendor_key
    assert vendor_keys().vendor_key not in outer.raw
    assert b"Pixel Palace" not in outer.raw
    assert set(outer.message.to_body()) == {"intent", "box", "created", "expires", "pow"}
    # Two offers by the same vendor share no signer: each has a one-time key.
    from intentcast.protocol import seal_offer

    other = seal_offer(
        signed_offer(intent, price=26_000),
        intent,
        created=NOW,
        random_bytes=rng(99),
        params=NO_WORK,
    )
    assert other.signer != outer.signer


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 2**32))
def test_offer_sealed_to_one_intent_does_not_open_with_anothers_key(counter: int) -> None:
    intent = signed_intent(customer_keys(0))
    outer = sealed_offer(signed_offer(intent), intent)
    verdict = open_offer(outer, customer_keys(counter).reply, now=LATER, params=NO_WORK)
    assert verdict.action is Action.REJECT
    assert verdict.reason is Reason.UNSEALABLE


def test_offer_inside_for_another_intent_is_rejected() -> None:
    mine = signed_intent(customer_keys(0))
    theirs = signed_intent(customer_keys(1))
    offer_for_theirs = signed_offer(theirs)
    # A vendor seals an offer for another intent under my intent's id.
    outer = sealed_offer(offer_for_theirs, theirs)
    relabelled = replace(
        outer.message,
        intent_id=mine.id,
        box=seal(pad(offer_for_theirs.raw), mine.message.reply_key, bytes(32)),
    )
    from nacl.signing import SigningKey

    from intentcast.protocol import sign

    forged = sign(relabelled, SigningKey(bytes(32)), params=NO_WORK)
    verdict = open_offer(forged, customer_keys(0).reply, now=LATER, params=NO_WORK)
    assert verdict.reason is Reason.INNER_MISMATCH


def test_full_deal_accept_then_confirm() -> None:
    keys, vkeys = customer_keys(), vendor_keys()
    intent = signed_intent(keys)
    offer = signed_offer(intent, vkeys)
    accept = signed_accept(intent, offer, keys)
    outer = sealed_deal(accept, to=offer.id, recipient=offer.message.reply_key)
    got = open_deal(outer, vkeys.reply, now=LATER, params=NO_WORK)
    assert got.accepted and got.signed is not None
    assert isinstance(got.signed.message, Accept)
    opened_accept = cast(Signed[Accept], got.signed)
    assert opened_accept.message.disclosure["contact"] == "alice@example.org"
    from intentcast.protocol import check_accept, check_vendor_reply

    assert check_accept(opened_accept, intent, offer).accepted
    confirm = signed_confirm(opened_accept, offer, vkeys)
    back = open_deal(
        sealed_deal(confirm, to=accept.id, recipient=intent.message.reply_key),
        keys.reply,
        now=LATER,
        params=NO_WORK,
    )
    assert back.accepted and back.signed is not None
    assert isinstance(back.signed.message, Confirm)
    assert check_vendor_reply(cast(Signed[Confirm], back.signed), accept, offer).accepted
    # The accept can only be read by the vendor, not by the customer's own key.
    assert open_deal(outer, keys.reply, now=LATER, params=NO_WORK).reason is Reason.UNSEALABLE


def test_decline_is_checked_like_a_confirm() -> None:
    from intentcast.protocol import check_vendor_reply

    keys, vkeys = customer_keys(), vendor_keys()
    intent = signed_intent(keys)
    offer = signed_offer(intent, vkeys)
    accept = signed_accept(intent, offer, keys)
    assert check_vendor_reply(signed_decline(accept, offer, vkeys), accept, offer).accepted
    impostor = vendor_keys(bytes(32))
    verdict = check_vendor_reply(signed_decline(accept, offer, impostor), accept, offer)
    assert verdict.reason is Reason.NOT_OFFER_VENDOR


def test_accept_forged_for_someone_elses_intent_is_rejected() -> None:
    from intentcast.protocol import check_accept

    victim, attacker = customer_keys(0), customer_keys(1)
    intent = signed_intent(victim)
    offer = signed_offer(intent)
    forged = signed_accept(intent, offer, attacker)
    assert check_accept(forged, intent, offer).reason is Reason.NOT_INTENT_AUTHOR


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"payment_mode": "escrow"}, Reason.PAYMENT_MODE),
        ({"price": 27_499}, Reason.PRICE),
        ({"offer_id": bytes(32)}, Reason.WRONG_OFFER),
        ({"intent_id": bytes(32)}, Reason.WRONG_INTENT),
    ],
)
def test_accept_must_match_the_offer(change: dict[str, Any], reason: Reason) -> None:
    from intentcast.protocol import check_accept

    keys = customer_keys()
    intent = signed_intent(keys)
    offer = signed_offer(intent)
    assert (
        check_accept(signed_accept(intent, offer, keys, **change), intent, offer).reason is reason
    )


def test_name_your_price_accept_pays_between_floor_and_price() -> None:
    from intentcast.protocol import check_accept

    keys = customer_keys()
    intent = signed_intent(
        keys, terms=replace(signed_intent().message.terms, payment_modes=("name-your-price",))
    )
    offer = signed_offer(intent, payment_modes=("name-your-price",), price_floor=20_000)

    def verdict(price: int) -> Reason | None:
        accept = signed_accept(intent, offer, keys, payment_mode="name-your-price", price=price)
        return check_accept(accept, intent, offer).reason

    assert verdict(20_000) is None and verdict(27_500) is None
    assert verdict(19_999) is Reason.PRICE and verdict(27_501) is Reason.PRICE


def test_deal_routing_tag_must_match_the_inside() -> None:
    keys, vkeys = customer_keys(), vendor_keys()
    intent = signed_intent(keys)
    offer = signed_offer(intent, vkeys)
    accept = signed_accept(intent, offer, keys)
    outer = sealed_deal(accept, to=bytes(32), recipient=offer.message.reply_key)
    assert isinstance(outer.message, SealedDeal)
    assert open_deal(outer, vkeys.reply, now=LATER, params=NO_WORK).reason is Reason.INNER_MISMATCH


def test_sealed_offer_cannot_carry_an_accept() -> None:
    keys = customer_keys()
    intent = signed_intent(keys)
    offer = signed_offer(intent)
    accept = signed_accept(intent, offer, keys)
    outer = sealed_offer(offer, intent)
    swapped = replace(outer.message, box=seal(pad(accept.raw), intent.message.reply_key, bytes(32)))
    from nacl.signing import SigningKey

    from intentcast.protocol import sign

    forged = sign(swapped, SigningKey(bytes(32)), params=NO_WORK)
    assert (
        open_offer(forged, keys.reply, now=LATER, params=NO_WORK).reason is Reason.WRONG_INNER_KIND
    )


# --- padding (docs/protocol.md, section 6) --------------------------------------


def test_padding_takes_the_smallest_bucket_and_strips_back_exactly() -> None:
    from intentcast.protocol import PAD_BUCKETS, padded_length, unpad

    offer = signed_offer(signed_intent(customer_keys()))
    padded = pad(offer.raw)
    assert len(padded) == padded_length(len(offer.raw)) in PAD_BUCKETS
    assert padded_length(len(offer.raw)) < 2 * len(offer.raw)
    assert unpad(padded) == offer.raw
    assert [padded_length(n) for n in (1, 512, 513, 8192)] == [512, 512, 768, 8192]
    # A sealed deal's plaintext is at least 768 bytes (sealed format 3).
    assert [padded_length(n, 768) for n in (1, 768, 769)] == [768, 768, 1024]
    from intentcast.protocol import PaddingError, unpad

    assert unpad(pad(b"\x80", floor=768), floor=768) == b"\x80"
    with pytest.raises(PaddingError):
        unpad(pad(b"\x80"), floor=768)
    with pytest.raises(ValueError):
        padded_length(8193)


@pytest.mark.parametrize(
    "how",
    ["unpadded", "one byte short", "non-zero padding", "a bucket too far", "not msgpack"],
)
def test_a_box_holding_anything_but_the_padded_envelope_is_refused(how: str) -> None:
    from nacl.signing import SigningKey

    from intentcast.protocol import PaddingError, sign, unpad

    keys = customer_keys()
    intent = signed_intent(keys)
    offer = signed_offer(intent)
    raw = offer.raw
    padded = pad(raw)
    plaintext = {
        "unpadded": raw,
        "one byte short": padded[:-1],
        "non-zero padding": padded[:-1] + b"\x01",
        "a bucket too far": raw + bytes(2 * len(padded) - len(raw)),
        "not msgpack": b"\xc1" + bytes(511),
    }[how]
    with pytest.raises(PaddingError):
        unpad(plaintext)
    outer = sealed_offer(offer, intent)
    forged = sign(
        replace(outer.message, box=seal(plaintext, intent.message.reply_key, bytes(32))),
        SigningKey(bytes(32)),
        params=NO_WORK,
    )
    verdict = open_offer(forged, keys.reply, now=LATER, params=NO_WORK)
    assert verdict.reason is Reason.BAD_PADDING
