"""Receipts, ratings and replies: every rule of docs/protocol.md ("receipt",
"rating", "rating-reply") with its named reason."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from intentcast.protocol import (
    Action,
    Layer,
    Rating,
    Reason,
    Signed,
    check_vendor_reply,
    receipt_of,
    sign,
    validate,
)
from intentcast.protocol.encoding import decode_envelope, encode_envelope
from tests.protocol import builders as b

AT = b.NOW + 2 * b.DAY


def _deal(vendor_seed: bytes = b.VENDOR_SEED) -> tuple[Any, ...]:
    keys = b.customer_keys(0)
    vkeys = b.vendor_keys(vendor_seed)
    intent = b.signed_intent(keys)
    offer = b.signed_offer(intent, vkeys)
    accept = b.signed_accept(intent, offer, keys)
    return keys, vkeys, intent, offer, accept


def test_a_rating_of_a_receipted_deal_is_accepted_and_names_its_vendor() -> None:
    keys, vkeys, _, _, accept = _deal()
    receipt = b.signed_receipt(accept, vkeys)
    verdict = validate(b.signed_rating(receipt, keys).raw, now=AT, params=b.NO_WORK)
    assert verdict.accepted
    inner = receipt_of(verdict.signed.message)  # type: ignore[union-attr]
    assert inner.signer == vkeys.vendor_key
    assert inner.message.deal == accept.id and inner.message.rater == keys.intent_key


def _verdict(signed: Signed[Any], now: int = AT) -> tuple[Action, Reason | None]:
    v = validate(signed.raw, now=now, params=b.NO_WORK)
    return v.action, v.reason


def test_a_forged_receipt_is_bad_receipt() -> None:
    keys, vkeys, _, _, accept = _deal()
    receipt = b.signed_receipt(accept, vkeys)
    env = decode_envelope(receipt.raw)
    forged = encode_envelope(env.kind, env.body, env.signer, bytes(64))
    rating = sign(replace(b.signed_rating(receipt, keys).message, receipt=forged), keys.signing)
    assert _verdict(rating) == (Action.REJECT, Reason.BAD_RECEIPT)


def test_a_receipt_that_is_not_a_receipt_is_bad_receipt() -> None:
    keys, vkeys, _, offer, accept = _deal()
    confirm = b.signed_confirm(accept, offer, vkeys, receipt=False)
    base = b.signed_rating(b.signed_receipt(accept, vkeys), keys).message
    for raw in (confirm.raw, b"\x93\x01\x02\x03"):
        rating = sign(replace(base, receipt=raw), keys.signing)
        assert _verdict(rating) == (Action.REJECT, Reason.BAD_RECEIPT)


def test_a_receipt_younger_than_its_rating_is_bad_receipt_on_every_clock() -> None:
    keys, vkeys, _, _, accept = _deal()
    receipt = b.signed_receipt(accept, vkeys, created=AT + 301)
    rating = b.signed_rating(receipt, keys, created=AT)
    for now in (AT, AT + 10 * b.DAY):
        assert _verdict(rating, now) == (Action.REJECT, Reason.BAD_RECEIPT)


def test_a_rating_by_another_key_than_the_receipts_is_not_rater() -> None:
    _keys, vkeys, _, _, accept = _deal()
    receipt = b.signed_receipt(accept, vkeys)
    other = b.customer_keys(5)
    assert _verdict(b.signed_rating(receipt, other)) == (Action.REJECT, Reason.NOT_RATER)


def test_the_vendor_rating_itself_with_a_receipt_for_the_customer_is_not_rater() -> None:
    keys, vkeys, _, _, accept = _deal()
    receipt = b.signed_receipt(accept, vkeys)
    as_vendor = sign(b.signed_rating(receipt, keys).message, vkeys.signing)
    assert _verdict(as_vendor) == (Action.REJECT, Reason.NOT_RATER)


@pytest.mark.parametrize(
    "change",
    [
        {"stars": 501},
        {"stars": -1},
        {"described": 600},
        {"comms": True},
        {"text": "x" * 281},
        {"expires": AT + 367 * b.DAY},
    ],
)
def test_out_of_bounds_fields_are_invalid(change: dict[str, Any]) -> None:
    keys, vkeys, _, _, accept = _deal()
    good = b.signed_rating(b.signed_receipt(accept, vkeys), keys).message
    body = good.to_body()
    body.update({"pow" if k == "nonce" else k: v for k, v in change.items()})
    with pytest.raises(Exception, match=next(iter(change))):
        Rating.from_body(body)


def test_a_receipt_in_the_clear_is_wrong_layer() -> None:
    _, vkeys, _, _, accept = _deal()
    receipt = b.signed_receipt(accept, vkeys)
    assert _verdict(receipt) == (Action.REJECT, Reason.WRONG_LAYER)
    assert validate(receipt.raw, now=AT, layer=Layer.SEALED).accepted


def test_a_rating_needs_its_work() -> None:
    keys, vkeys, _, _, accept = _deal()
    rating = b.signed_rating(b.signed_receipt(accept, vkeys), keys)
    v = validate(rating.raw, now=AT)  # default params: 16 bits
    assert (v.action, v.reason) == (Action.REJECT, Reason.INSUFFICIENT_WORK)


def test_a_reply_by_another_key_than_its_vendor_is_signer_mismatch() -> None:
    _, vkeys, _, _, accept = _deal()
    reply = b.signed_rating_reply(accept.id, vkeys)
    assert _verdict(reply, b.NOW + 3 * b.DAY) == (Action.ACCEPT, None)
    other = b.vendor_keys(bytes(32))
    forged = sign(reply.message, other.signing)
    assert _verdict(forged, b.NOW + 3 * b.DAY) == (Action.REJECT, Reason.SIGNER_MISMATCH)


def test_a_confirm_without_receipt_is_still_a_confirm() -> None:
    _, vkeys, _, offer, accept = _deal()
    confirm = b.signed_confirm(accept, offer, vkeys, receipt=False)
    assert confirm.message.receipt is None
    assert check_vendor_reply(confirm, accept, offer).accepted


def test_a_confirm_with_a_receipt_for_something_else_is_wrong_receipt() -> None:
    _keys, vkeys, _intent, offer, accept = _deal()
    other_vendor = b.vendor_keys(bytes(range(50, 82)))
    wrong = [
        b.signed_receipt(accept, vkeys, deal=bytes(32)),
        b.signed_receipt(accept, vkeys, intent_id=bytes(32)),
        b.signed_receipt(accept, vkeys, rater=b.customer_keys(3).intent_key),
        b.signed_receipt(accept, other_vendor),
    ]
    for receipt in wrong:
        confirm = b.signed_confirm(accept, offer, vkeys, receipt=receipt)
        verdict = check_vendor_reply(confirm, accept, offer)
        assert (verdict.action, verdict.reason) == (Action.REJECT, Reason.WRONG_RECEIPT)
    garbage = sign(replace(b.signed_confirm(accept, offer, vkeys).message, receipt=b"junk"),
                   vkeys.signing)  # fmt: skip
    assert check_vendor_reply(garbage, accept, offer).reason is Reason.WRONG_RECEIPT
