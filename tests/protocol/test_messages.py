"""Message types: they validate themselves, and survive the wire unchanged."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intentcast.protocol import (
    GOSSIP_KINDS,
    Intent,
    InvalidMessage,
    Kind,
    Layer,
    Offer,
    Reason,
    Terms,
    decode_stored,
    sign,
    validate,
)
from intentcast.protocol.kinds import SEALED_KINDS

from .builders import (
    DAY,
    NO_WORK,
    NOW,
    customer_keys,
    forge,
    intent_message,
    offer_message,
    sealed_deal,
    sealed_offer,
    signed_accept,
    signed_rating,
    signed_receipt,
    vendor_keys,
)
from .strategies import intents, offers, small_messages


def wire_round_trip(message: object, key: object) -> object:
    signed = sign(message, key, params=NO_WORK)  # type: ignore[arg-type, type-var]
    layer = Layer.GOSSIP if signed.kind in GOSSIP_KINDS else Layer.SEALED
    created = message.created  # type: ignore[attr-defined]
    verdict = validate(signed.raw, now=created, params=NO_WORK, layer=layer)
    assert verdict.accepted, str(verdict)
    assert verdict.signed is not None and verdict.signed.id == signed.id
    assert decode_stored(signed.raw).message == message
    return verdict.signed.message


@settings(max_examples=60, deadline=None)
@given(intents(reply_key=customer_keys().reply_public))
def test_intent_round_trips_through_the_wire(intent: Intent) -> None:
    assert wire_round_trip(intent, customer_keys().signing) == intent
    assert Intent.from_body(intent.to_body()) == intent


@settings(max_examples=60, deadline=None)
@given(offers(vendor_key=vendor_keys().vendor_key))
def test_offer_round_trips_through_the_wire(offer: Offer) -> None:
    assert wire_round_trip(offer, vendor_keys().signing) == offer


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_every_other_kind_round_trips(data: st.DataObject) -> None:
    key = customer_keys().signing
    message = data.draw(small_messages(bytes(key.verify_key)))
    assert wire_round_trip(message, key) == message


def test_sets_are_normalised_to_their_canonical_order() -> None:
    terms = Terms(
        max_price=1,
        currency="EUR",
        region="DE",
        customer_terms=("cc:no-tracking", "cc:delete-after-deal", "cc:no-tracking"),
        payment_modes=("prepay", "escrow"),
    )
    assert terms.customer_terms == ("cc:delete-after-deal", "cc:no-tracking")
    assert terms.payment_modes == ("escrow", "prepay")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"category": ("gadgets",)}, "category"),
        ({"category": ()}, "category"),
        ({"expires": NOW + 31 * DAY}, "expires"),
        ({"expires": NOW}, "expires"),
        ({"reply_key": b"short"}, "reply_key"),
        ({"quantity": 0}, "quantity"),
        ({"attributes": {"Bad Key": 1}}, "attributes key"),
        ({"attributes": {"size": (5, 1)}}, "attributes.size"),
        ({"attributes": {"weight": 1.5}}, "attributes.weight"),
        ({"created": 1_000}, "created"),
        ({"title": "bell\x07"}, "title"),
    ],
)
def test_invalid_intent_fields_raise_named_errors(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidMessage) as err:
        replace(intent_message(customer_keys()), **change)
    assert err.value.field == field


@pytest.mark.parametrize("char", ["\x80", "\x85", "\x9b", "\x9f"])
def test_c1_control_characters_are_refused_like_c0(char: str) -> None:
    """Found by fuzzing (docs/security.md): text let U+0080..U+009F through,
    control characters docs/protocol.md forbids; U+009B is CSI to a terminal
    that prints an intent's title."""
    keys = customer_keys()
    for change in (
        {"title": f"Pixel{char}8"},
        {"description": f"any{char}colour"},
        {"attributes": {"color": f"bl{char}ck"}},
    ):
        with pytest.raises(InvalidMessage):
            replace(intent_message(keys), **change)
    body = {**intent_message(keys).to_body(), "title": f"Pixel{char}8"}
    verdict = validate(forge("intent", body, keys.signing), now=NOW, params=NO_WORK)
    assert verdict.reason is Reason.INVALID_FIELD
    assert "title" in verdict.detail


def test_a_field_given_an_integer_too_long_to_print_is_an_invalid_message() -> None:
    """Found by fuzzing (docs/security.md): the checks quoted the value in
    their message, and Python refuses to print an integer of more than
    4,300 digits: a bot's OfferSpec(price=10**5000) raised ValueError out of
    every field check instead of a named InvalidMessage."""
    huge = 10**5000
    keys, vkeys = customer_keys(), vendor_keys()
    intent = intent_message(keys)
    offer = offer_message(sign(intent, keys.signing, params=NO_WORK), vkeys)
    messages: tuple[Any, ...] = (intent, intent.terms, offer)
    for message in messages:
        for name in (f.name for f in fields(message)):
            with pytest.raises(InvalidMessage) as err:
                replace(message, **{name: huge})
            assert err.value.field, (type(message).__name__, name)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "EURO"}, "terms.currency"),
        ({"currency": "eur"}, "terms.currency"),
        ({"region": "Germany"}, "terms.region"),
        ({"region": "u33dbx"}, "terms.region"),  # geohash longer than 5
        ({"customer_terms": ("no tracking",)}, "terms.customer_terms"),
        ({"payment_modes": ()}, "terms.payment_modes"),
        ({"payment_modes": ("bitcoin",)}, "terms.payment_modes"),
        ({"max_price": -1}, "terms.max_price"),
        ({"min_rating": 501}, "terms.min_rating"),
    ],
)
def test_invalid_terms_raise_named_errors(change: dict[str, Any], field: str) -> None:
    base = intent_message(customer_keys()).terms
    with pytest.raises(InvalidMessage) as err:
        replace(base, **change)
    assert err.value.field == field


def test_deliver_by_before_created_is_refused() -> None:
    keys = customer_keys()
    intent = intent_message(keys)
    with pytest.raises(InvalidMessage, match="deliver_by"):
        replace(intent, terms=replace(intent.terms, deliver_by=NOW - 1))


def test_name_your_price_needs_a_floor_within_the_price() -> None:
    from .builders import offer_message, signed_intent

    base = offer_message(signed_intent(), vendor_keys())
    with pytest.raises(InvalidMessage, match="price_floor"):
        replace(base, payment_modes=("name-your-price",))
    with pytest.raises(InvalidMessage, match="price_floor"):
        replace(base, payment_modes=("name-your-price",), price_floor=base.price + 1)
    with pytest.raises(InvalidMessage, match="price_floor"):
        replace(base, price_floor=1)  # a floor without name-your-price
    ok = replace(base, payment_modes=("name-your-price",), price_floor=base.price // 2)
    assert ok.price_floor == base.price // 2


def test_every_kind_is_either_gossiped_or_sealed_or_reserved() -> None:
    from intentcast.protocol.kinds import RESERVED_KINDS

    assert set(Kind) == GOSSIP_KINDS | SEALED_KINDS | RESERVED_KINDS
    assert not GOSSIP_KINDS & SEALED_KINDS


def test_signing_refuses_an_envelope_over_its_kinds_limit() -> None:
    keys = customer_keys()
    # Each field is within its bound in characters; in UTF-8 they add up.
    long_values = {f"a{i:02d}": "€" * 128 for i in range(32)}
    big = replace(intent_message(keys), description="€" * 2000, attributes=long_values)
    with pytest.raises(InvalidMessage, match="at most 8192"):
        sign(big, keys.signing, params=NO_WORK)


def test_a_body_reader_must_name_every_field() -> None:
    """The wire mapping is declared once per type; a spec that drifts from
    the dataclass fails at import, not on the first message."""
    from intentcast.protocol.message import body_reader

    with pytest.raises(TypeError, match="exactly the fields"):
        body_reader(Terms, "terms", {"max_price": "max"})


def _a_deal() -> tuple[Any, ...]:
    keys, vkeys = customer_keys(), vendor_keys()
    intent = sign(intent_message(keys), keys.signing, params=NO_WORK)
    offer = sign(offer_message(intent, vkeys), vkeys.signing)
    return keys, vkeys, intent, offer, signed_accept(intent, offer, keys)


def test_lifetime_errors_name_the_field_and_the_kinds_most() -> None:
    """One check serves every kind with a lifetime (``fields.validity``):
    the error names the field the kind calls its end, and the kind's own
    maximum (30 days, a rating 366)."""
    keys, vkeys, intent, offer, accept = _a_deal()
    rating = signed_rating(signed_receipt(accept, vkeys), keys).message
    i, o = intent.message, offer.message
    refused: list[tuple[Any, dict[str, Any], str, str]] = [
        (i, {"expires": NOW + 31 * DAY}, "expires", "must be at most 30 days after created"),
        (i, {"expires": NOW}, "expires", "must be later than created"),
        (o, {"valid_until": NOW + 31 * DAY}, "valid_until", "must be at most 30 days after"),
        (o, {"created": "soon"}, "created", "must be an integer"),
        (rating, {"expires": rating.created + 367 * DAY}, "expires", "at most 366 days after"),
    ]
    for message, change, field, problem in refused:
        with pytest.raises(InvalidMessage) as err:
            replace(message, **change)
        assert (err.value.field, problem in err.value.problem) == (field, True)
    replace(rating, expires=rating.created + 366 * DAY)  # a rating's own maximum


def test_a_sealed_outer_checks_its_own_routing_field_first() -> None:
    """Both sealed outers check the field that routes them (``ROUTE``)
    before the box and the lifetime they share."""
    _, vkeys, intent, offer, accept = _a_deal()
    outers = (
        (sealed_offer(offer, intent).message, "intent_id"),
        (sealed_deal(accept, to=offer.id, recipient=vkeys.reply_public).message, "to"),
    )
    for outer, route in outers:
        with pytest.raises(InvalidMessage) as err:
            replace(outer, **{route: b"short", "box": b""})
        assert err.value.field == route
        with pytest.raises(InvalidMessage) as err:
            replace(outer, box=b"")
        assert err.value.field == "box"
