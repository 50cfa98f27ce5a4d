"""Relationship messages (protocol/relationship.py): bodies, the thread
tag, opening on a thread and the checks against the deal, each reason."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import pytest

from intentcast.protocol import (
    DealAck,
    DealMessage,
    Forget,
    InvalidMessage,
    Kind,
    ProfileUpdate,
    Reason,
    Side,
    Signed,
    check_ack,
    check_thread,
    deletion_due,
    open_deal,
    open_thread,
    seal_thread,
    sign,
    thread_tag,
    validate,
)
from intentcast.protocol.relationship import DELETE_AFTER_DEAL_GRACE

from .builders import (
    DAY,
    NOW,
    customer_keys,
    signed_accept,
    signed_confirm,
    signed_intent,
    signed_offer,
    vendor_keys,
)

AT = NOW + 500


def deal() -> dict[str, Any]:
    keys, vkeys = customer_keys(0), vendor_keys()
    intent = signed_intent(keys)
    offer = signed_offer(intent, vkeys)
    accept = signed_accept(intent, offer, keys)
    confirm = signed_confirm(accept, offer, vkeys)
    return {"keys": keys, "vkeys": vkeys, "intent": intent, "offer": offer, "accept": accept,
            "confirm": confirm}  # fmt: skip


def update(w: dict[str, Any], seq: int = 0, **changes: Any) -> Signed[ProfileUpdate]:
    base = ProfileUpdate(deal=w["accept"].id, seq=seq, created=AT, field="shipping", value="X 2")
    return sign(replace(base, **changes), w["keys"].signing)


def sealed(w: dict[str, Any], inner: Signed[Any], sender: Side, key: bytes | None = None) -> Any:
    recipient = (
        w["offer"].message.reply_key if sender is Side.CUSTOMER else w["intent"].message.reply_key
    )
    out = seal_thread(
        inner,
        thread_key=key or w["confirm"].id,
        sender=sender,
        recipient=recipient,
        created=AT,
        expires=AT + DAY,
        random_bytes=os.urandom,
    )
    verdict = validate(out.raw, now=AT)
    assert verdict.accepted
    return verdict.signed


def opened(w: dict[str, Any], outer: Any, sender: Side) -> Any:
    secret = w["vkeys"].reply if sender is Side.CUSTOMER else w["keys"].reply
    return open_thread(outer, secret, thread_key=w["confirm"].id, sender=sender, now=AT)


# --- bodies ------------------------------------------------------------------------


def test_a_removal_is_a_nil_value_and_a_blank_value_is_refused() -> None:
    w = deal()
    assert update(w, value=None).message.value is None
    with pytest.raises(InvalidMessage):
        update(w, value="  ")


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda d: DealMessage(deal=d, seq=0, created=AT, type="complain"), "type"),
        (lambda d: DealMessage(deal=d, seq=-1, created=AT, type="status"), "seq"),
        (lambda d: DealMessage(deal=d, seq=0, created=AT, type="status", re=b"x"), "re"),
        (lambda d: ProfileUpdate(deal=d, seq=0, created=AT, field="iban", value="x"), "field"),
        (lambda d: Forget(deal=d[:31], seq=0, created=AT), "deal"),
        (lambda d: DealAck(deal=d, seq=0, created=AT, of=d, fields=("x",)), "fields"),
        (lambda d: DealAck(deal=d, seq=0, created=AT, of=d, fields=(), deleted=AT + 1), "deleted"),
    ],
)
def test_each_field_is_checked(build: Any, field: str) -> None:
    with pytest.raises(InvalidMessage, match=field):
        build(bytes(32))


def test_relationship_kinds_are_sealed_kinds() -> None:
    w = deal()
    verdict = validate(update(w).raw, now=AT)
    assert verdict.reason is Reason.WRONG_LAYER


# --- the thread tag ------------------------------------------------------------------


def test_thread_tags_differ_per_side_seq_and_thread() -> None:
    key, other = bytes(range(32)), bytes(range(1, 33))
    tags = {thread_tag(k, side, seq) for k in (key, other) for side in Side for seq in range(50)}
    assert len(tags) == 2 * 2 * 50


def test_a_thread_message_opens_on_its_thread_only() -> None:
    w = deal()
    outer = sealed(w, update(w, seq=3), Side.CUSTOMER)
    verdict = opened(w, outer, Side.CUSTOMER)
    assert verdict.accepted and verdict.signed.kind is Kind.PROFILE_UPDATE
    # Not as an accept (its tag is no offer id), nor as the vendor's message.
    assert open_deal(outer, w["vkeys"].reply, now=AT).reason is Reason.WRONG_INNER_KIND
    assert opened(w, outer, Side.VENDOR).reason is not None


def test_a_tag_of_another_seq_or_thread_is_an_inner_mismatch() -> None:
    w = deal()
    wrong_key = sealed(w, update(w, seq=1), Side.CUSTOMER, key=bytes(32))
    assert opened(w, wrong_key, Side.CUSTOMER).reason is Reason.INNER_MISMATCH


def test_a_side_may_only_send_its_kinds() -> None:
    w = deal()
    ack = sign(
        DealAck(deal=w["accept"].id, seq=0, created=AT, of=w["accept"].id, fields=()),
        w["keys"].signing,
    )
    outer = sealed(w, ack, Side.CUSTOMER)
    assert opened(w, outer, Side.CUSTOMER).reason is Reason.WRONG_INNER_KIND


# --- against the deal ------------------------------------------------------------------


def test_check_thread_names_the_party_and_the_deal() -> None:
    w = deal()
    good = update(w)
    assert check_thread(good, w["accept"], w["offer"], sender=Side.CUSTOMER).accepted
    stranger = sign(good.message, customer_keys(9).signing)
    verdict = check_thread(stranger, w["accept"], w["offer"], sender=Side.CUSTOMER)
    assert verdict.reason is Reason.NOT_DEAL_PARTY
    other_deal = update(w, deal=bytes(32))
    verdict = check_thread(other_deal, w["accept"], w["offer"], sender=Side.CUSTOMER)
    assert verdict.reason is Reason.WRONG_DEAL
    from_vendor = sign(
        DealMessage(deal=w["accept"].id, seq=0, created=AT, type="shipped"), w["vkeys"].signing
    )
    assert check_thread(from_vendor, w["accept"], w["offer"], sender=Side.VENDOR).accepted
    assert (
        check_thread(from_vendor, w["accept"], w["offer"], sender=Side.CUSTOMER).reason
        is Reason.NOT_DEAL_PARTY
    )


def test_check_ack_fits_what_it_answers() -> None:
    w = deal()
    upd = update(w)
    forget = sign(Forget(deal=w["accept"].id, seq=1, created=AT), w["keys"].signing)

    def ack(of: bytes, fields: tuple[str, ...], deleted: int | None) -> Any:
        body = DealAck(
            deal=w["accept"].id, seq=0, created=AT, of=of, fields=fields, deleted=deleted
        )
        return sign(body, w["vkeys"].signing)

    assert check_ack(ack(upd.id, ("shipping",), None), upd, w["accept"]).accepted
    assert check_ack(ack(upd.id, ("email",), None), upd, w["accept"]).reason is Reason.WRONG_SUBJECT
    assert check_ack(ack(upd.id, ("shipping",), AT), upd, w["accept"]).reason is (
        Reason.WRONG_SUBJECT
    )
    assert check_ack(ack(forget.id, ("shipping",), AT), forget, w["accept"]).accepted
    assert check_ack(ack(forget.id, (), None), forget, w["accept"]).reason is Reason.WRONG_SUBJECT
    elsewhere = update(w, deal=bytes(32))
    assert check_ack(ack(elsewhere.id, ("shipping",), None), elsewhere, w["accept"]).reason is (
        Reason.WRONG_SUBJECT
    )
    # A term fell due: the vendor deleted by itself, naming the deal.
    assert check_ack(ack(w["accept"].id, ("contact",), AT), None, w["accept"]).accepted
    assert check_ack(ack(bytes(32), ("contact",), AT), None, w["accept"]).reason is (
        Reason.WRONG_SUBJECT
    )


def test_delete_after_deal_falls_due_after_the_promised_delivery_when_both_agreed() -> None:
    w = deal()
    intent, offer = w["intent"].message, w["offer"].message
    assert "cc:delete-after-deal" in intent.terms.customer_terms
    assert deletion_due(intent, offer) == offer.deliver_by + DELETE_AFTER_DEAL_GRACE
    terms = replace(intent.terms, customer_terms=())
    assert deletion_due(replace(intent, terms=terms), offer) is None
