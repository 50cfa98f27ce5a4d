"""Sealed messages: a fuzzed inner envelope, signed by the key its kind
expects and sealed to the right recipient, opened with ``open_offer`` or
``open_deal``; an opened accept goes through ``check_accept``, an opened
confirm or decline through ``check_vendor_reply`` against the samples.

Input: one byte (bits 0-3: the inner kind; bits 4-5: the route: sealed
offer to the intent, sealed deal to the vendor, sealed deal to the
customer; bit 7: the rest is the box itself, not an inner body), then the
inner body (or box) bytes.

Oracles: nothing raises; an opened message keeps the document's rules
(:mod:`fuzz.spec`) and matches its outer; ``check_accept`` and
``check_vendor_reply`` accept only what docs/protocol.md section 8 allows.
"""

from __future__ import annotations

from typing import Any, Final

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from intentcast.matching import find_violations, rank_offers
from intentcast.protocol import (
    DEAL_PAD_FLOOR,
    PAD_BUCKETS,
    Accept,
    Confirm,
    Decline,
    InvalidMessage,
    Offer,
    SealedDeal,
    SealedOffer,
    Signed,
    Verdict,
    check_accept,
    check_vendor_reply,
    open_deal,
    open_offer,
    pad,
    seal,
    sign,
)
from intentcast.protocol.encoding import pack, unpack

from . import spec
from .bodies import KINDS, envelope
from .harness import Finding, Known
from .samples import CHECK_TIME, NO_WORK, NOW, market

KNOWN: Final[tuple[Known, ...]] = ()

OFFER_ROUTE, ACCEPT_ROUTE, REPLY_ROUTE = 0, 1, 2
_ONE_TIME = SigningKey(bytes(range(1, 33)))
_EPHEMERAL = bytes(range(64, 96))


def _open(route: int, box: bytes) -> Verdict[Any] | None:
    m = market()
    try:
        if route == OFFER_ROUTE:
            outer_offer = SealedOffer(
                intent_id=m.intent.id, box=box, created=NOW + 60, expires=NOW + 86_400
            )
            return open_offer(
                sign(outer_offer, _ONE_TIME, params=NO_WORK),
                m.keys.reply,
                now=CHECK_TIME,
                params=NO_WORK,
            )
        to = m.offer.id if route == ACCEPT_ROUTE else m.accept.id
        outer_deal = SealedDeal(to=to, box=box, created=NOW + 300, expires=NOW + 86_400)
        secret: PrivateKey = m.vendor.reply if route == ACCEPT_ROUTE else m.keys.reply
        return open_deal(
            sign(outer_deal, _ONE_TIME, params=NO_WORK), secret, now=CHECK_TIME, params=NO_WORK
        )
    except InvalidMessage:
        return None  # a box over the outer's bound: the outer itself is invalid


def _check_opened(route: int, signed: Signed[Any]) -> None:
    m = market()
    broken = spec.violations(
        signed.kind.value,
        unpack(pack(signed.message.to_body())),
        signer=signed.signer,
        now=CHECK_TIME,
        gossip=False,
    )
    if broken:
        raise Finding(f"opened a sealed {signed.kind.value} the protocol forbids: {broken[0]}")
    message = signed.message
    if route == OFFER_ROUTE:
        if not isinstance(message, Offer) or message.intent_id != m.intent.id:
            raise Finding("open_offer accepted something other than an offer for this intent")
        rank_offers(m.intent, [signed], now=CHECK_TIME, reputation={})
        find_violations(m.intent, signed, now=CHECK_TIME)
    elif route == ACCEPT_ROUTE:
        if not isinstance(message, Accept) or message.offer_id != m.offer.id:
            raise Finding("open_deal accepted something other than an accept of this offer")
        _check_accept(signed)
    else:
        if not isinstance(message, Confirm | Decline) or message.accept_id != m.accept.id:
            raise Finding("open_deal accepted something other than a reply to this accept")
        _check_reply(signed)


def _check_accept(accept: Signed[Accept]) -> None:
    m = market()
    if not check_accept(accept, m.intent, m.offer).accepted:
        return
    a, o = accept.message, m.offer.message
    floor = o.price if o.price_floor is None else o.price_floor
    named = a.payment_mode == "name-your-price"
    allowed = (
        accept.signer == m.intent.signer
        and a.intent_id == m.intent.id == o.intent_id
        and a.offer_id == m.offer.id
        and a.payment_mode in o.payment_modes
        and a.payment_mode in m.intent.message.terms.payment_modes
        and (floor <= a.price <= o.price if named else a.price == o.price)
    )
    if not allowed:
        raise Finding("check_accept accepted an accept the protocol forbids")


def _check_reply(reply: Signed[Confirm] | Signed[Decline]) -> None:
    m = market()
    if not check_vendor_reply(reply, m.accept, m.offer).accepted:
        return
    r = reply.message
    allowed = (
        reply.signer == m.offer.message.vendor_key
        and r.accept_id == m.accept.id
        and r.offer_id == m.offer.id
        and r.intent_id == m.offer.message.intent_id
    )
    if not allowed:
        raise Finding("check_vendor_reply accepted a reply the protocol forbids")


def one_input(data: bytes) -> None:
    if not data:
        return
    selector, rest = data[0], data[1:]
    route = (selector >> 4 & 3) % 3
    if selector & 0x80:
        box = rest
    else:
        inner = envelope(KINDS[(selector & 0x0F) % len(KINDS)], rest)
        recipient = (
            market().vendor.reply_public
            if route == ACCEPT_ROUTE
            else market().intent.message.reply_key
        )
        floor = PAD_BUCKETS[0] if route == OFFER_ROUTE else DEAL_PAD_FLOOR
        padded = pad(inner, floor=floor) if len(inner) <= PAD_BUCKETS[-1] else inner
        box = seal(padded, recipient, _EPHEMERAL)
    verdict = _open(route, box)
    if verdict is None or not verdict.accepted:
        return
    assert verdict.signed is not None
    _check_opened(route, verdict.signed)


def _selector(route: int, kind_index: int, *, raw_box: bool = False) -> bytes:
    return bytes([(0x80 if raw_box else 0) | route << 4 | kind_index])


def seeds() -> list[bytes]:
    m = market()

    def body(signed: Signed[Any]) -> bytes:
        return pack(signed.message.to_body())

    def kind_index(signed: Signed[Any]) -> int:
        return KINDS.index(signed.kind)

    return [
        _selector(OFFER_ROUTE, kind_index(m.offer)) + body(m.offer),
        _selector(ACCEPT_ROUTE, kind_index(m.accept)) + body(m.accept),
        _selector(REPLY_ROUTE, kind_index(m.confirm)) + body(m.confirm),
        _selector(REPLY_ROUTE, kind_index(m.decline)) + body(m.decline),
        _selector(OFFER_ROUTE, kind_index(m.intent)) + body(m.intent),  # a gossip kind inside
        _selector(OFFER_ROUTE, 0, raw_box=True) + m.sealed_offer.message.box,
    ]
