"""The vendor's signed answer to an accept (``intentcast.peer.vendor.reply``):
exactly the protocol's confirm, with a receipt the customer can rate with,
or its decline; and the customer's check takes either."""

from __future__ import annotations

from intentcast.peer.vendor import Decision, longest_fitting, reply
from intentcast.protocol import Accept, Intent, Offer, Signed, check_vendor_reply
from tests.protocol.builders import (
    NOW,
    customer_keys,
    signed_accept,
    signed_confirm,
    signed_decline,
    signed_intent,
    signed_offer,
    vendor_keys,
)


def _deal() -> tuple[Signed[Intent], Signed[Offer], Signed[Accept]]:
    keys = customer_keys()
    intent = signed_intent(keys)
    offer = signed_offer(intent)
    return intent, offer, signed_accept(intent, offer, keys)


def test_a_confirm_carries_the_note_and_a_receipt_naming_deal_intent_and_rater() -> None:
    intent, offer, accept = _deal()
    confirm = reply(
        Decision(True, "Ships tomorrow."), accept, offer, intent, keys=vendor_keys(), now=NOW + 400
    )
    # Byte for byte the confirm the protocol tests build by hand (Ed25519 is deterministic).
    assert confirm.raw == signed_confirm(accept, offer, vendor_keys()).raw
    assert check_vendor_reply(confirm, accept, offer).accepted


def test_a_decline_carries_the_reason_and_no_receipt() -> None:
    intent, offer, accept = _deal()
    decline = reply(
        Decision(False, "Sold out an hour ago."),
        accept,
        offer,
        intent,
        keys=vendor_keys(),
        now=NOW + 400,
    )
    assert decline.raw == signed_decline(accept, offer, vendor_keys()).raw
    assert check_vendor_reply(decline, accept, offer).accepted


def test_longest_fitting_finds_the_longest_prefix_that_fits_in_few_tries() -> None:
    tried: list[int] = []

    def fits(text: str) -> bool:
        tried.append(len(text))
        return len(text.encode()) <= 1000  # as a message's size: bytes, not characters

    note = "\U0001d11e" * 500  # four bytes each
    assert longest_fitting(note, fits) == 250
    assert len(tried) <= 11  # a binary search, not one try per character
    assert longest_fitting("short", fits) == 5
    assert longest_fitting("x", lambda t: False) == 0
