"""Intents (what a customer wants, on the customer's terms) and withdrawals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Final

from . import fields as f
from .errors import InvalidMessage
from .kinds import Kind
from .message import Body, set_field, wire_body
from .vocab import (
    CATEGORY_SET,
    CURRENCIES,
    CUSTOMER_TERM_RE,
    PAYMENT_MODES,
    PREFERENCE_CRITERIA,
    SUBCATEGORY_RE,
)

ZERO_NONCE: Final = bytes(f.NONCE_SIZE)


def category_path(field_name: str, value: object) -> tuple[str, ...]:
    """A category path: a top-level category, then up to three slug levels."""
    if not isinstance(value, tuple | list):
        raise InvalidMessage(field_name, "must be a list such as ['electronics', 'phones']")
    path: tuple[object, ...] = tuple(value)
    if not 1 <= len(path) <= f.MAX_CATEGORY_DEPTH:
        raise InvalidMessage(field_name, f"must have 1 to {f.MAX_CATEGORY_DEPTH} levels")
    if type(path[0]) is not str or path[0] not in CATEGORY_SET:
        raise InvalidMessage(
            field_name,
            f"top level {f.shown(path[0])} is not one of {', '.join(sorted(CATEGORY_SET))}",
        )
    for level in path[1:]:
        f.slug(field_name, level, SUBCATEGORY_RE)
    return path  # type: ignore[return-value]  # every level checked to be str above


@dataclass(frozen=True, kw_only=True, slots=True)
class Terms(Body):
    """The customer's hard terms: an offer that breaks one is never ranked."""

    #: Most the customer pays for the whole quantity, in minor units of ``currency``.
    max_price: int
    #: ISO 4217 code.
    currency: str
    #: Region the goods go to: ISO country (``DE``) or a geohash of 1-5 characters.
    region: str
    #: Latest acceptable delivery (Unix seconds), or None for no deadline.
    deliver_by: int | None = None
    #: Customer terms every offer must accept, e.g. ``cc:no-tracking``.
    customer_terms: tuple[str, ...] = ()
    #: Payment modes the customer accepts (at least one).
    payment_modes: tuple[str, ...] = ("prepay",)
    #: Minimum vendor rating, hundredths of a star (0-500).
    min_rating: int = 0

    def __post_init__(self) -> None:
        max_price, rating, by = self.max_price, self.min_rating, self.deliver_by
        # Scalars in one test on the hot path; the named checks run on failure.
        if not (
            type(max_price) is int
            and type(rating) is int
            and 0 <= max_price <= f.MAX_AMOUNT
            and 0 <= rating <= f.MAX_RATING
            and (by is None or (type(by) is int and f.MIN_TIME <= by <= f.MAX_TIME))
        ):
            f.integer("terms.max_price", max_price, 0, f.MAX_AMOUNT)
            f.integer("terms.min_rating", rating, 0, f.MAX_RATING)
            f.optional_timestamp("terms.deliver_by", by)
        if type(self.currency) is not str or self.currency not in CURRENCIES:
            raise InvalidMessage(
                "terms.currency", f"{f.shown(self.currency)} is not an ISO 4217 code"
            )
        f.region("terms.region", self.region)
        cc = f.sorted_set(
            "terms.customer_terms", self.customer_terms, f.MAX_CUSTOMER_TERMS, CUSTOMER_TERM_RE
        )
        if cc is not self.customer_terms:
            set_field(self, "customer_terms", cc)
        modes = f.sorted_set("terms.payment_modes", self.payment_modes, 8, PAYMENT_MODES)
        if not modes:
            raise InvalidMessage("terms.payment_modes", "must name at least one payment mode")
        if modes is not self.payment_modes:
            set_field(self, "payment_modes", modes)


@dataclass(frozen=True, kw_only=True, slots=True)
class Preferences(Body):
    """Soft-score weights (0-100 each); only their ratios matter."""

    price: int = 40
    speed: int = 20
    reputation: int = 20
    terms: int = 10
    attributes: int = 10

    def __post_init__(self) -> None:
        p, s, r, t, a = self.price, self.speed, self.reputation, self.terms, self.attributes
        top = f.MAX_WEIGHT
        if not (
            type(p) is int
            and type(s) is int
            and type(r) is int
            and type(t) is int
            and type(a) is int
            and 0 <= p <= top
            and 0 <= s <= top
            and 0 <= r <= top
            and 0 <= t <= top
            and 0 <= a <= top
        ):
            for name, weight in zip(PREFERENCE_CRITERIA, (p, s, r, t, a), strict=True):
                f.integer(f"preferences.{name}", weight, 0, f.MAX_WEIGHT)  # raises, named
        if not (p or s or r or t or a):
            raise InvalidMessage("preferences", "at least one weight must be above 0")

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in PREFERENCE_CRITERIA}


@dataclass(frozen=True, kw_only=True, slots=True)
class Intent(Body):
    """An intentcast: a signed, anonymous purchase intention.

    Signed by a key used for this intent only (the *intent key*), which also
    signs its amendments (higher ``revision``), its withdrawal and the accept.
    """

    KIND: ClassVar = Kind.INTENT

    category: tuple[str, ...]
    title: str
    terms: Terms
    #: X25519 public key offers are sealed to.
    reply_key: bytes
    created: int
    expires: int
    description: str = ""
    attributes: Mapping[str, f.AttributeValue] = field(default_factory=dict)
    quantity: int = 1
    preferences: Preferences = field(default_factory=Preferences)
    revision: int = 0
    nonce: bytes = ZERO_NONCE

    def __post_init__(self) -> None:
        category = category_path("category", self.category)
        if category is not self.category:
            set_field(self, "category", category)
        f.text("title", self.title, f.MAX_TITLE)
        f.text("description", self.description, f.MAX_DESCRIPTION, required=False)
        attributes = f.attributes("attributes", self.attributes, allow_ranges=True)
        if attributes is not self.attributes:
            set_field(self, "attributes", attributes)
        if type(self.terms) is not Terms:
            raise InvalidMessage("terms", "must be Terms")
        if type(self.preferences) is not Preferences:
            raise InvalidMessage("preferences", "must be Preferences")
        # Scalars: one combined test on the hot path; on failure the named
        # checks below say which field broke which rule.
        quantity, created, expires, revision = (
            self.quantity,
            self.created,
            self.expires,
            self.revision,
        )
        if not (
            type(quantity) is int
            and type(created) is int
            and type(expires) is int
            and type(revision) is int
            and 1 <= quantity <= f.MAX_QUANTITY
            and f.MIN_TIME <= created < expires <= f.MAX_TIME
            and expires - created <= f.MAX_LIFETIME
            and 0 <= revision <= f.MAX_REVISION
        ):
            f.integer("quantity", quantity, 1, f.MAX_QUANTITY)
            f.validity(created, expires)
            f.integer("revision", revision, 0, f.MAX_REVISION)
        f.fixed_bytes("reply_key", self.reply_key, f.KEY_SIZE)
        f.fixed_bytes("nonce", self.nonce, f.NONCE_SIZE)
        if self.terms.deliver_by is not None and self.terms.deliver_by < created:
            raise InvalidMessage("terms.deliver_by", "lies before the intent was created")

    @property
    def top_category(self) -> str:
        """The top-level category, which names the gossip topic."""
        return self.category[0]


@dataclass(frozen=True, kw_only=True, slots=True)
class Withdraw(Body):
    """The author takes an intent (every revision) off the market.

    Signed by the intent key and naming it, so only the author can withdraw.
    ``expires`` should equal the intent's: nodes keep the tombstone until then
    so a replayed intent is refused.
    """

    KIND: ClassVar = Kind.WITHDRAW

    intent_key: bytes
    created: int
    expires: int
    reason: str = ""
    nonce: bytes = ZERO_NONCE

    def __post_init__(self) -> None:
        f.fixed_bytes("intent_key", self.intent_key, f.KEY_SIZE)
        f.validity(self.created, self.expires)
        f.text("reason", self.reason, f.MAX_NOTE, required=False)
        f.fixed_bytes("nonce", self.nonce, f.NONCE_SIZE)


wire_body(
    Terms,
    "terms",
    {
        "max_price": "max",
        "currency": "cur",
        "region": "region",
        "deliver_by": "by",
        "customer_terms": "cc",
        "payment_modes": "pay",
        "min_rating": "rating",
    },
)
wire_body(Preferences, "preferences", {name: name for name in PREFERENCE_CRITERIA})
wire_body(
    Intent,
    "intent",
    {
        "category": "cat",
        "title": "title",
        "description": "desc",
        "attributes": "attrs",
        "quantity": "qty",
        "terms": ("terms", Terms.from_body),
        "preferences": ("prefs", Preferences.from_body),
        "reply_key": "reply",
        "created": "created",
        "expires": "expires",
        "revision": "rev",
        "nonce": "pow",
    },
)
wire_body(
    Withdraw,
    "withdraw",
    {
        "intent_key": "intent",
        "created": "created",
        "expires": "expires",
        "reason": "reason",
        "nonce": "pow",
    },
)
