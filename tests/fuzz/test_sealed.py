"""Sealed offers and deals: whatever is sealed inside, opening never
raises and accepts only what the document allows; a deal checked against
the wrong intent, offer or accept is refused."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from fuzz import sealed
from fuzz.bodies import KINDS
from fuzz.harness import run_input
from fuzz.samples import CHECK_TIME, NO_WORK, market
from intentcast.protocol import (
    Action,
    Reason,
    Signed,
    Verdict,
    check_accept,
    check_vendor_reply,
    open_deal,
    open_offer,
)
from intentcast.protocol.encoding import pack
from tests.protocol import builders as b

from .budget import examples
from .mutations import mutated

M = market()
INNER: dict[int, list[Signed[Any]]] = {
    sealed.OFFER_ROUTE: [M.offer, M.intent],
    sealed.ACCEPT_ROUTE: [M.accept, M.confirm],
    sealed.REPLY_ROUTE: [M.confirm, M.decline, M.accept],
}


@st.composite
def sealed_inputs(draw: st.DrawFn) -> bytes:
    """A sample's body, mutated, to be signed as some kind and sealed on
    some route."""
    route = draw(st.sampled_from(sorted(INNER)))
    inner = draw(st.sampled_from(INNER[route]))
    kind = inner.kind if draw(st.booleans()) else draw(st.sampled_from(KINDS))
    body = draw(mutated(pack(inner.message.to_body())))
    return bytes([route << 4 | KINDS.index(kind)]) + body


@examples(150)
@given(sealed_inputs())
def test_whatever_is_sealed_inside_opening_never_raises_nor_accepts_the_forbidden(
    data: bytes,
) -> None:
    run_input(sealed, data)


OUTERS: dict[str, Any] = {
    "offer": M.sealed_offer,
    "accept": M.sealed_accept,
    "confirm": M.sealed_confirm,
}


@examples(100)
@given(st.sampled_from(sorted(OUTERS)).flatmap(
    lambda name: st.tuples(st.just(name), mutated(OUTERS[name].message.box))
))  # fmt: skip
def test_a_damaged_box_does_not_open(case: tuple[str, bytes]) -> None:
    name, box = case
    outer = OUTERS[name]
    assume(box and box != outer.message.box)
    damaged = replace(outer, message=replace(outer.message, box=box))
    verdict: Verdict[Any]
    if name == "offer":
        verdict = open_offer(damaged, M.keys.reply, now=CHECK_TIME, params=NO_WORK)
    else:
        secret = M.vendor.reply if name == "accept" else M.keys.reply
        verdict = open_deal(damaged, secret, now=CHECK_TIME, params=NO_WORK)
    assert verdict.action is Action.REJECT
    assert verdict.reason is Reason.UNSEALABLE


def _other_market() -> dict[str, Any]:
    keys, vendor = b.customer_keys(1), b.vendor_keys(bytes(range(50, 82)))
    intent = b.signed_intent(keys)
    offer = b.signed_offer(intent, vendor)
    accept = b.signed_accept(intent, offer, keys)
    return {
        "intent": intent,
        "offer": offer,
        "accept": accept,
        "confirm": b.signed_confirm(accept, offer, vendor),
        "decline": b.signed_decline(accept, offer, vendor),
    }


def test_an_accept_is_valid_only_with_its_own_intent_and_offer() -> None:
    """Every mix of two markets' intents, offers and accepts: only the two
    matching triples pass check_accept."""
    ours = {"intent": M.intent, "offer": M.offer, "accept": M.accept}
    theirs = _other_market()
    passed = []
    for a, i, o in itertools.product((ours, theirs), repeat=3):
        if check_accept(a["accept"], i["intent"], o["offer"]).accepted:
            passed.append((a is ours, i is ours, o is ours))
    assert sorted(passed) == [(False, False, False), (True, True, True)]


def test_a_vendor_reply_is_valid_only_for_its_own_accept_and_offer() -> None:
    ours = {"confirm": M.confirm, "decline": M.decline, "accept": M.accept, "offer": M.offer}
    theirs = _other_market()
    for reply in ("confirm", "decline"):
        passed = []
        for r, a, o in itertools.product((ours, theirs), repeat=3):
            if check_vendor_reply(r[reply], a["accept"], o["offer"]).accepted:
                passed.append((r is ours, a is ours, o is ours))
        assert sorted(passed) == [(False, False, False), (True, True, True)], reply
