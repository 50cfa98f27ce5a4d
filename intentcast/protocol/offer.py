"""Offers: the vendor-signed inner offer and the anonymous sealed outer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from . import fields as f
from .errors import InvalidMessage
from .intent import ZERO_NONCE
from .kinds import MAX_OFFER_BOX, Kind
from .message import Body, set_field, wire_body
from .vocab import CURRENCIES, CUSTOMER_TERM_RE, PAYMENT_MODES

MAX_SKU = 64


@dataclass(frozen=True, kw_only=True, slots=True)
class Item(Body):
    """What the vendor offers."""

    title: str
    description: str = ""
    attributes: Mapping[str, f.AttributeValue] = field(default_factory=dict)
    #: The vendor's own item reference (stock keeping unit), echoed on accept.
    sku: str = ""

    def __post_init__(self) -> None:
        f.text("item.title", self.title, f.MAX_TITLE)
        f.text("item.description", self.description, f.MAX_DESCRIPTION, required=False)
        set_field(
            self, "attributes", f.attributes("item.attributes", self.attributes, allow_ranges=False)
        )
        f.text("item.sku", self.sku, MAX_SKU, required=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class Offer(Body):
    """A vendor's offer for one revision of one intent.

    Signed by the vendor's identity key (``vendor_key``, which must equal the
    envelope's signer) and naming the id of the intent revision it answers:
    the signature binds the vendor to that revision's terms.
    """

    KIND: ClassVar = Kind.OFFER

    #: Message id of the intent revision this offer answers.
    intent_id: bytes
    vendor_key: bytes
    vendor_name: str
    item: Item
    quantity: int
    #: Total price for ``quantity``, minor units of ``currency``.
    price: int
    currency: str
    #: Promised delivery (Unix seconds).
    deliver_by: int
    #: Country codes, geohash prefixes, or ``*`` for worldwide.
    ships_to: tuple[str, ...]
    #: Customer terms the vendor accepts (binding: they are signed).
    customer_terms: tuple[str, ...]
    payment_modes: tuple[str, ...]
    #: X25519 key the customer seals the accept to.
    reply_key: bytes
    created: int
    valid_until: int
    #: Lowest total the vendor takes under ``name-your-price``; None if not offered.
    price_floor: int | None = None

    def __post_init__(self) -> None:
        f.fixed_bytes("intent_id", self.intent_id, f.ID_SIZE)
        f.fixed_bytes("vendor_key", self.vendor_key, f.KEY_SIZE)
        f.text("vendor_name", self.vendor_name, f.MAX_NAME)
        if type(self.item) is not Item:
            raise InvalidMessage("item", "must be Item")
        f.integer("quantity", self.quantity, 1, f.MAX_QUANTITY)
        f.integer("price", self.price, 0, f.MAX_AMOUNT)
        if type(self.currency) is not str or self.currency not in CURRENCIES:
            raise InvalidMessage("currency", f"{f.shown(self.currency)} is not an ISO 4217 code")
        f.timestamp("deliver_by", self.deliver_by)
        set_field(self, "ships_to", f.regions("ships_to", self.ships_to, allow_worldwide=True))
        set_field(
            self,
            "customer_terms",
            f.sorted_set(
                "customer_terms", self.customer_terms, f.MAX_CUSTOMER_TERMS * 2, CUSTOMER_TERM_RE
            ),
        )
        modes = f.sorted_set("payment_modes", self.payment_modes, 8, PAYMENT_MODES)
        if not modes:
            raise InvalidMessage("payment_modes", "must name at least one payment mode")
        set_field(self, "payment_modes", modes)
        f.fixed_bytes("reply_key", self.reply_key, f.KEY_SIZE)
        f.validity(self.created, self.valid_until, "valid_until")
        if self.price_floor is not None:
            f.integer("price_floor", self.price_floor, 0, self.price)
            if "name-your-price" not in modes:
                raise InvalidMessage("price_floor", "only applies with name-your-price")
        elif "name-your-price" in modes:
            raise InvalidMessage("price_floor", "name-your-price needs a price floor")


@dataclass(frozen=True, kw_only=True, slots=True)
class SealedOuter(Body):
    """What the anonymous outers of sealed messages share (a sealed offer,
    a sealed deal): the sealed ``box``, its lifetime and the proof of work.
    A type adds the field that routes it (``ROUTE``), checked first."""

    #: The largest box this type carries.
    MAX_BOX: ClassVar[int]
    #: The name of the field that routes this type (32 bytes: an id or a tag).
    ROUTE: ClassVar[str]

    box: bytes
    created: int
    expires: int
    nonce: bytes = ZERO_NONCE

    def __post_init__(self) -> None:
        f.fixed_bytes(self.ROUTE, getattr(self, self.ROUTE), f.ID_SIZE)
        if type(self.box) is not bytes or not 0 < len(self.box) <= self.MAX_BOX:
            raise InvalidMessage("box", f"must be 1..{self.MAX_BOX} bytes")
        f.validity(self.created, self.expires)
        f.fixed_bytes("nonce", self.nonce, f.NONCE_SIZE)


@dataclass(frozen=True, kw_only=True, slots=True)
class SealedOffer(SealedOuter):
    """The outer, anonymous form of an offer on the wire.

    Signed by a one-time key; ``box`` is the vendor-signed :class:`Offer`
    envelope sealed to the intent's reply key. Observers learn only "an offer
    for intent ``intent_id``", not who bid or what.
    """

    KIND: ClassVar = Kind.SEALED_OFFER
    MAX_BOX: ClassVar = MAX_OFFER_BOX
    ROUTE: ClassVar = "intent_id"

    intent_id: bytes


wire_body(
    Item, "item", {"title": "title", "description": "desc", "attributes": "attrs", "sku": "sku"}
)
wire_body(
    Offer,
    "offer",
    {
        "intent_id": "intent",
        "vendor_key": "vendor",
        "vendor_name": "name",
        "item": ("item", Item.from_body),
        "quantity": "qty",
        "price": "price",
        "currency": "cur",
        "deliver_by": "by",
        "ships_to": "ships",
        "customer_terms": "cc",
        "payment_modes": "pay",
        "reply_key": "reply",
        "created": "created",
        "valid_until": "until",
        "price_floor": "floor",
    },
)
wire_body(
    SealedOffer,
    "sealed-offer",
    {
        "intent_id": "intent",
        "box": "box",
        "created": "created",
        "expires": "expires",
        "nonce": "pow",
    },
)
