"""After the deal: the sealed messages of a relationship between a customer
and a vendor (docs/protocol.md, section 4, "Relationship messages").

A confirmed deal opens a **thread** between its two parties. Four sealed
kinds travel on it, each inside a ``sealed-deal`` outer like an accept:

- ``deal-message`` (either side): a short text of a type (where is my order,
  cancel, return; shipped, delivered);
- ``profile-update`` (customer to vendor): one disclosed field's new value,
  or its removal;
- ``forget`` (customer to vendor): delete what you hold about me;
- ``deal-ack`` (vendor to customer): the signed acknowledgement of an
  update, or the signed statement of a deletion (what, when).

Customer messages are signed by the deal's intent key, vendor messages by
the vendor key: a relationship's messages link to each other and to
nothing else. The outer's routing tag is :func:`thread_tag`, fresh for
every message: keyed by the confirm's message id, which only the two
parties know (it never appears in the clear), so a third party sees
unrelated random tags (docs/privacy.md, "Relationships").
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import ClassVar, Final

from . import fields as f
from .errors import InvalidMessage
from .intent import Intent
from .kinds import Kind
from .message import Body, set_field, wire_body
from .offer import Offer
from .vocab import DISCLOSURE_FIELDS

#: A thread's sequence numbers: 0, 1, 2, ... per sender and relationship.
MAX_SEQ: Final = 2**32 - 1
#: Types of a ``deal-message``: the customer asks (status, cancel, return),
#: the vendor answers (shipped, delivered); ``other`` for anything else.
MESSAGE_TYPES: Final = ("cancel", "delivered", "other", "return", "shipped", "status")
_MESSAGE_TYPE_SET: Final = frozenset(MESSAGE_TYPES)
#: The customer term whose deadline a vendor's node keeps by itself.
DELETE_AFTER_DEAL: Final = "cc:delete-after-deal"
#: How long after the promised delivery a ``cc:delete-after-deal`` term
#: falls due: time for a late delivery and a return (the EU's right of
#: withdrawal is 14 days from receipt).
DELETE_AFTER_DEAL_GRACE: Final = 30 * f.DAY
_TAG_DOMAIN: Final = b"intentcast/1/thread/"


class Side(enum.StrEnum):
    """Who sent a relationship message."""

    CUSTOMER = "customer"
    VENDOR = "vendor"


#: The kinds each side may send on a thread.
SENT_BY: Final = {
    Side.CUSTOMER: frozenset({Kind.DEAL_MESSAGE, Kind.PROFILE_UPDATE, Kind.FORGET}),
    Side.VENDOR: frozenset({Kind.DEAL_MESSAGE, Kind.DEAL_ACK}),
}
THREAD_KINDS: Final = SENT_BY[Side.CUSTOMER] | SENT_BY[Side.VENDOR]


def thread_tag(thread_key: bytes, sender: Side, seq: int) -> bytes:
    """The routing tag of the ``seq``-th message ``sender`` sends on the
    thread keyed ``thread_key`` (the confirm's message id):
    BLAKE2b-256 keyed with ``thread_key`` of ``"intentcast/1/thread/" +
    sender + "/" + seq`` (u32 big-endian)."""
    if len(thread_key) != f.ID_SIZE:
        raise ValueError("a thread key is 32 bytes")
    if not 0 <= seq <= MAX_SEQ:
        raise ValueError(f"seq {seq} out of range")
    data = _TAG_DOMAIN + sender.value.encode() + b"/" + seq.to_bytes(4, "big")
    return hashlib.blake2b(data, key=thread_key, digest_size=32).digest()


def deletion_due(intent: Intent, offer: Offer) -> int | None:
    """When the deal's ``cc:delete-after-deal`` term falls due (the
    offer's promised delivery plus :data:`DELETE_AFTER_DEAL_GRACE`), or
    None if the deal has no such term (the customer asked for it and the
    vendor's offer accepted it)."""
    if DELETE_AFTER_DEAL not in intent.terms.customer_terms:
        return None
    if DELETE_AFTER_DEAL not in offer.customer_terms:
        return None
    return offer.deliver_by + DELETE_AFTER_DEAL_GRACE


@dataclass(frozen=True, kw_only=True, slots=True)
class _ThreadBody(Body):
    """What every relationship message carries: the deal and its place in
    the sender's sequence."""

    #: The deal: the message id of its accept.
    deal: bytes
    #: This message's number among the sender's messages on the thread.
    seq: int
    created: int

    def _check_thread(self) -> None:
        f.fixed_bytes("deal", self.deal, f.ID_SIZE)
        f.integer("seq", self.seq, 0, MAX_SEQ)
        f.timestamp("created", self.created)


@dataclass(frozen=True, kw_only=True, slots=True)
class DealMessage(_ThreadBody):
    """A short message on a deal, either way (where is my order; shipped)."""

    KIND: ClassVar = Kind.DEAL_MESSAGE

    type: str
    text: str = ""
    #: The message id of the thread message this one answers, if any.
    re: bytes | None = None

    def __post_init__(self) -> None:
        self._check_thread()
        if type(self.type) is not str or self.type not in _MESSAGE_TYPE_SET:
            raise InvalidMessage("type", f"{f.shown(self.type)} is not a message type")
        f.text("text", self.text, f.MAX_NOTE, required=False)
        if self.re is not None:
            f.fixed_bytes("re", self.re, f.ID_SIZE)


@dataclass(frozen=True, kw_only=True, slots=True)
class ProfileUpdate(_ThreadBody):
    """The customer changes one field she disclosed on the deal: its new
    ``value``, or None to remove it."""

    KIND: ClassVar = Kind.PROFILE_UPDATE

    field: str
    value: str | None

    def __post_init__(self) -> None:
        self._check_thread()
        if type(self.field) is not str or self.field not in DISCLOSURE_FIELDS:
            raise InvalidMessage("field", f"{f.shown(self.field)} is not a disclosure field")
        if self.value is not None:
            f.text("value", self.value, f.MAX_DISCLOSURE_TEXT)


@dataclass(frozen=True, kw_only=True, slots=True)
class Forget(_ThreadBody):
    """The customer asks the vendor to delete what it holds about her from
    this deal (GDPR Art. 17)."""

    KIND: ClassVar = Kind.FORGET

    reason: str = ""

    def __post_init__(self) -> None:
        self._check_thread()
        f.text("reason", self.reason, f.MAX_NOTE, required=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class DealAck(_ThreadBody):
    """The vendor acknowledges ``of``: a profile update (``fields`` is its
    field, ``deleted`` None) or a forget request, or the deal itself when a
    ``cc:delete-after-deal`` term fell due (``of`` is the accept id); then
    it is a statement of deletion: ``fields`` deleted at ``deleted``."""

    KIND: ClassVar = Kind.DEAL_ACK

    of: bytes
    fields: tuple[str, ...]
    deleted: int | None = None

    def __post_init__(self) -> None:
        self._check_thread()
        f.fixed_bytes("of", self.of, f.ID_SIZE)
        set_field(
            self,
            "fields",
            f.sorted_set("fields", self.fields, len(DISCLOSURE_FIELDS), DISCLOSURE_FIELDS),
        )
        if self.deleted is not None:
            f.timestamp("deleted", self.deleted)
            if self.deleted > self.created:
                raise InvalidMessage("deleted", "a deletion cannot be stated before it happened")

    @property
    def is_deletion(self) -> bool:
        return self.deleted is not None


ThreadMessage = DealMessage | ProfileUpdate | Forget | DealAck


_THREAD = {"deal": "deal", "seq": "seq", "created": "created"}
wire_body(DealMessage, "deal-message", {**_THREAD, "type": "type", "text": "text", "re": "re"})
wire_body(ProfileUpdate, "profile-update", {**_THREAD, "field": "field", "value": "value"})
wire_body(Forget, "forget", {**_THREAD, "reason": "reason"})
wire_body(DealAck, "deal-ack", {**_THREAD, "of": "of", "fields": "fields", "deleted": "deleted"})
