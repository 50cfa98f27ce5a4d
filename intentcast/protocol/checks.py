"""Checks of a valid message against what the receiver already holds: the
intent and offer an accept answers, the accept a vendor's reply answers,
the deal a relationship message names, the message an acknowledgement
answers, the intent a withdrawal or a new revision replaces.

Pure: the caller looks the context up (in its store) and passes it in.
Each check returns a :class:`~.validation.Verdict` with a named
:class:`~.validation.Reason`, as :func:`~.validation.validate` does.
"""

from __future__ import annotations

from typing import Any

from .deal import Accept, Confirm, Decline
from .intent import Intent, Withdraw
from .kinds import Kind, Layer
from .offer import Offer
from .rating import Receipt
from .relationship import DealAck, Side, ThreadMessage
from .signing import Signed
from .validation import Action, Reason, Verdict, reject, validate


def check_accept(
    accept: Signed[Accept], intent: Signed[Intent], offer: Signed[Offer]
) -> Verdict[Accept]:
    """Is ``accept`` a valid acceptance of ``offer`` by ``intent``'s author?

    The vendor runs this before confirming: the accept must be signed by the
    intent key, name this intent revision and this offer, use a payment mode
    both sides allow, and pay the offer's price (or, under name-your-price,
    at least its floor).
    """
    a = accept.message
    o = offer.message
    if accept.signer != intent.signer:
        return reject(Reason.NOT_INTENT_AUTHOR, "accept is not signed by the intent's key")
    if a.intent_id != intent.id or o.intent_id != intent.id:
        return reject(Reason.WRONG_INTENT, "accept, offer and intent name different intents")
    if a.offer_id != offer.id:
        return reject(Reason.WRONG_OFFER, "accept names another offer")
    if a.payment_mode not in o.payment_modes or (
        a.payment_mode not in intent.message.terms.payment_modes
    ):
        return reject(Reason.PAYMENT_MODE, f"{a.payment_mode} is not agreed by both sides")
    if a.payment_mode == "name-your-price":
        floor = o.price_floor if o.price_floor is not None else o.price
        if not floor <= a.price <= o.price:
            return reject(Reason.PRICE, f"named price {a.price} outside {floor}..{o.price}")
    elif a.price != o.price:
        return reject(Reason.PRICE, f"accept pays {a.price}, the offer asks {o.price}")
    return Verdict(Action.ACCEPT, signed=accept)


def check_vendor_reply(
    reply: Signed[Confirm] | Signed[Decline], accept: Signed[Accept], offer: Signed[Offer]
) -> Verdict[Confirm | Decline]:
    """Is ``reply`` the offering vendor's answer to ``accept``? The customer
    runs this before recording a deal."""
    r = reply.message
    if reply.signer != offer.message.vendor_key:
        return reject(Reason.NOT_OFFER_VENDOR, "reply is not signed by the offer's vendor")
    if r.accept_id != accept.id:
        return reject(Reason.WRONG_ACCEPT, "reply answers another accept")
    if r.offer_id != offer.id or accept.message.offer_id != offer.id:
        return reject(Reason.WRONG_OFFER, "reply names another offer")
    if r.intent_id != offer.message.intent_id:
        return reject(Reason.WRONG_INTENT, "reply names another intent")
    if isinstance(r, Confirm) and r.receipt is not None:
        fault = _receipt_fault(r.receipt, r.created, accept, offer)
        if fault:
            return reject(Reason.WRONG_RECEIPT, fault)
    return Verdict(Action.ACCEPT, signed=reply)


def _receipt_fault(raw: bytes, now: int, accept: Signed[Accept], offer: Signed[Offer]) -> str:
    """Why a confirm's receipt is not the vendor's receipt of this deal for
    the accept's signer ("" if it is)."""
    inner = validate(raw, now=now, layer=Layer.SEALED)
    if not inner.accepted or inner.signed is None or inner.signed.kind is not Kind.RECEIPT:
        return f"the receipt is not valid: {inner}"
    receipt: Receipt = inner.signed.message
    if inner.signed.signer != offer.message.vendor_key:
        return "the receipt is not signed by the offer's vendor"
    if receipt.deal != accept.id or receipt.intent_id != accept.message.intent_id:
        return "the receipt names another deal"
    if receipt.rater != accept.signer:
        return "the receipt names another key than the intent's"
    return ""


def check_thread(
    message: Signed[ThreadMessage],
    accept: Signed[Accept],
    offer: Signed[Offer],
    *,
    sender: Side,
) -> Verdict[ThreadMessage]:
    """Is ``message`` (opened from a thread) from ``sender``'s side of the
    deal ``accept`` made on ``offer``? A customer's message is signed by the
    intent key (the accept's signer), a vendor's by the offer's vendor key;
    it names this deal; an acknowledgement of an update names that field."""
    expected = accept.signer if sender is Side.CUSTOMER else offer.message.vendor_key
    if message.signer != expected:
        return reject(Reason.NOT_DEAL_PARTY, f"not signed by the deal's {sender}")
    if message.message.deal != accept.id:
        return reject(Reason.WRONG_DEAL, "the message names another deal")
    return Verdict(Action.ACCEPT, signed=message)


def check_ack(
    ack: Signed[DealAck], subject: Signed[Any] | None, accept: Signed[Accept]
) -> Verdict[DealAck]:
    """Does ``ack`` answer what its ``of`` names? ``subject`` is the
    customer's own update or forget request with that id (None if her node
    sent no such message): an update's acknowledgement names exactly its
    field and deletes nothing, a forget request's is a statement of
    deletion; with no subject it must be a statement of deletion by the
    vendor's own motion (a term fell due), ``of`` naming the deal. A
    subject on another deal never fits."""
    a = ack.message
    if subject is None:
        ok = a.of == accept.id and a.is_deletion
    elif subject.message.deal != accept.id:
        ok = False  # the customer's message on another deal
    elif subject.kind is Kind.PROFILE_UPDATE:
        ok = a.fields == (subject.message.field,) and not a.is_deletion
    else:
        ok = subject.kind is Kind.FORGET and a.is_deletion
    if not ok:
        return reject(Reason.WRONG_SUBJECT, "the acknowledgement does not fit what it names")
    return Verdict(Action.ACCEPT, signed=ack)


def withdraws(withdraw: Signed[Withdraw], intent: Signed[Intent]) -> bool:
    """True if ``withdraw`` (already validated) takes ``intent`` off the market."""
    return withdraw.message.intent_key == intent.signer == withdraw.signer


def supersedes(new: Signed[Intent], old: Signed[Intent]) -> bool:
    """True if ``new`` is a later revision of the same intent as ``old``."""
    return new.signer == old.signer and new.message.revision > old.message.revision
