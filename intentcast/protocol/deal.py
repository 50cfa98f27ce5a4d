"""Closing a deal: accept (customer), confirm or decline (vendor), and the
anonymous sealed outer that carries each of them (and, after the deal, the
relationship messages of protocol/relationship.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from . import fields as f
from .errors import InvalidMessage
from .kinds import MAX_DEAL_BOX, Kind
from .message import Body, set_field, wire_body
from .offer import SealedOuter
from .rating import MAX_RECEIPT
from .vocab import DISCLOSURE_FIELDS, PAYMENT_MODES


@dataclass(frozen=True, kw_only=True, slots=True)
class Accept(Body):
    """The customer accepts one offer.

    Signed with the intent key (only the intent's author can accept) and
    sealed to the offer's reply key. ``disclosure`` carries only what the
    customer chose to reveal for this deal (for example contact, shipping).
    """

    KIND: ClassVar = Kind.ACCEPT

    intent_id: bytes
    #: Message id of the vendor-signed offer envelope being accepted.
    offer_id: bytes
    payment_mode: str
    #: The agreed total: the offer's price, or the customer's named price
    #: under ``name-your-price``.
    price: int
    created: int
    disclosure: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        f.fixed_bytes("intent_id", self.intent_id, f.ID_SIZE)
        f.fixed_bytes("offer_id", self.offer_id, f.ID_SIZE)
        if type(self.payment_mode) is not str or self.payment_mode not in PAYMENT_MODES:
            raise InvalidMessage(
                "payment_mode", f"{f.shown(self.payment_mode)} is not a payment mode"
            )
        f.integer("price", self.price, 0, f.MAX_AMOUNT)
        f.timestamp("created", self.created)
        set_field(
            self,
            "disclosure",
            f.string_map("disclosure", self.disclosure, DISCLOSURE_FIELDS, f.MAX_DISCLOSURE_TEXT),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class _VendorReply(Body):
    """Fields a confirm and a decline share: what they answer."""

    #: Message id of the accept envelope answered.
    accept_id: bytes
    offer_id: bytes
    intent_id: bytes
    created: int

    #: The name of the reply's one text field (a note, a reason).
    TEXT: ClassVar[str]

    def __post_init__(self) -> None:
        f.fixed_bytes("accept_id", self.accept_id, f.ID_SIZE)
        f.fixed_bytes("offer_id", self.offer_id, f.ID_SIZE)
        f.fixed_bytes("intent_id", self.intent_id, f.ID_SIZE)
        f.timestamp("created", self.created)
        f.text(self.TEXT, getattr(self, self.TEXT), f.MAX_NOTE, required=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class Confirm(_VendorReply):
    """The vendor confirms an accepted offer: the deal is made.

    Signed by the vendor key and sealed to the intent's reply key.
    """

    KIND: ClassVar = Kind.CONFIRM
    TEXT: ClassVar = "note"

    note: str = ""
    #: The vendor's signed :class:`~.rating.Receipt` envelope, which lets
    #: the customer rate this deal in public; None: the vendor gives none
    #: (the customer's node counts that, docs/protocol.md, "confirm").
    receipt: bytes | None = None

    def __post_init__(self) -> None:
        _VendorReply.__post_init__(self)
        r = self.receipt
        if r is not None and (type(r) is not bytes or not 1 <= len(r) <= MAX_RECEIPT):
            raise InvalidMessage("receipt", f"must be nil or 1..{MAX_RECEIPT} bytes")


@dataclass(frozen=True, kw_only=True, slots=True)
class Decline(_VendorReply):
    """The vendor declines an accept (sold out, cannot deliver after all)."""

    KIND: ClassVar = Kind.DECLINE
    TEXT: ClassVar = "reason"

    reason: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class SealedDeal(SealedOuter):
    """The outer, anonymous form of an accept, confirm or decline.

    ``to`` is a routing tag only the two parties can recognise: the offer id
    for an accept (the vendor knows its offers' ids), the accept id for a
    confirm or decline; for a relationship message after the deal, its
    thread tag (:func:`~intentcast.protocol.relationship.thread_tag`). Offer
    ids never appear in the clear (they are inside sealed offers), so third
    parties learn nothing from the tag.
    """

    KIND: ClassVar = Kind.SEALED_DEAL
    MAX_BOX: ClassVar = MAX_DEAL_BOX
    ROUTE: ClassVar = "to"

    to: bytes


wire_body(
    Accept,
    "accept",
    {
        "intent_id": "intent",
        "offer_id": "offer",
        "payment_mode": "pay",
        "price": "price",
        "created": "created",
        "disclosure": "disclose",
    },
)
wire_body(
    Confirm,
    "confirm",
    {
        "accept_id": "accept",
        "offer_id": "offer",
        "intent_id": "intent",
        "created": "created",
        "note": "note",
        "receipt": "receipt",
    },
)
wire_body(
    Decline,
    "decline",
    {
        "accept_id": "accept",
        "offer_id": "offer",
        "intent_id": "intent",
        "created": "created",
        "reason": "reason",
    },
)
wire_body(
    SealedDeal,
    "sealed-deal",
    {
        "to": "to",
        "box": "box",
        "created": "created",
        "expires": "expires",
        "nonce": "pow",
    },
)
