"""Deal-backed ratings: the vendor's receipt of a confirmed deal, the
customer's public rating of that deal, and the vendor's public reply.

A :class:`Receipt` is signed by the vendor when it confirms, and travels
inside the confirm (sealed to the customer). It names the deal (the
accept's id), the intent and the key that may rate it (the intent's
one-time key); nothing of the accept's disclosure or the confirm's note.
A :class:`Rating` carries the receipt's envelope bytes, is signed by the
key the receipt names and gossiped on the ratings topic: anyone can check
that the vendor confirmed a deal with whoever rates it, and nobody learns
which node or which other deals the rater has. docs/protocol.md,
"rating"; docs/privacy.md, "Ratings".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final

from . import fields as f
from .errors import InvalidMessage
from .intent import ZERO_NONCE
from .kinds import Kind
from .message import Body, wire_body

#: Largest receipt envelope, in bytes (a real one is about 240).
MAX_RECEIPT: Final = 512
#: Longest rating text and reply text, in characters.
MAX_RATING_TEXT: Final = 280
MAX_REPLY_TEXT: Final = 500
#: A rating and a reply live at most a year (others' gossip: 30 days): a
#: vendor's record is read over months.
MAX_RATING_LIFETIME: Final = 366 * f.DAY
#: The fixed dimensions of a rating, by wire key, as a person reads them.
DIMENSIONS: Final = {"described": "as described", "ontime": "on time", "comms": "communication"}


def _stars(field: str, value: object, *, optional: bool) -> int | None:
    if optional and value is None:
        return None
    return f.integer(field, value, 0, f.MAX_RATING)


@dataclass(frozen=True, kw_only=True, slots=True)
class Receipt(Body):
    """The vendor's signed statement that it confirmed ``deal``, made for
    ``intent`` by the holder of ``rater``. Signed by the vendor key; only
    ever seen inside a confirm or a rating (the sealed layer)."""

    KIND: ClassVar = Kind.RECEIPT

    #: The accept's message id: the deal.
    deal: bytes
    #: The intent revision the deal closed.
    intent_id: bytes
    #: The intent key: the only key whose rating of this deal counts.
    rater: bytes
    #: When the vendor confirmed.
    created: int

    def __post_init__(self) -> None:
        f.fixed_bytes("deal", self.deal, f.ID_SIZE)
        f.fixed_bytes("intent_id", self.intent_id, f.ID_SIZE)
        f.fixed_bytes("rater", self.rater, f.KEY_SIZE)
        f.timestamp("created", self.created)


@dataclass(frozen=True, kw_only=True, slots=True)
class Rating(Body):
    """A customer's public rating of one confirmed deal, signed by the
    intent key its receipt names (docs/protocol.md, "rating")."""

    KIND: ClassVar = Kind.RATING

    #: The vendor's receipt envelope, as the confirm carried it.
    receipt: bytes
    #: Overall, hundredths of a star (0-500).
    stars: int
    created: int
    expires: int
    #: As described, on time, communication: 0-500 each, or None (not rated).
    described: int | None = None
    ontime: int | None = None
    comms: int | None = None
    text: str = ""
    nonce: bytes = ZERO_NONCE

    def __post_init__(self) -> None:
        if type(self.receipt) is not bytes or not 1 <= len(self.receipt) <= MAX_RECEIPT:
            raise InvalidMessage("receipt", f"must be 1..{MAX_RECEIPT} bytes")
        _stars("stars", self.stars, optional=False)
        for name in DIMENSIONS:
            _stars(name, getattr(self, name), optional=True)
        f.text("text", self.text, MAX_RATING_TEXT, required=False)
        f.validity(self.created, self.expires, most=MAX_RATING_LIFETIME)
        f.fixed_bytes("nonce", self.nonce, f.NONCE_SIZE)

    def dimensions(self) -> dict[str, int]:
        """The dimensions rated, by wire key."""
        return {k: v for k in DIMENSIONS if (v := getattr(self, k)) is not None}


@dataclass(frozen=True, kw_only=True, slots=True)
class RatingReply(Body):
    """The vendor's one public reply to the rating of ``deal`` (a later
    reply replaces an earlier one). Signed by the vendor key it names."""

    KIND: ClassVar = Kind.RATING_REPLY

    deal: bytes
    vendor_key: bytes
    text: str
    created: int
    expires: int
    nonce: bytes = ZERO_NONCE

    def __post_init__(self) -> None:
        f.fixed_bytes("deal", self.deal, f.ID_SIZE)
        f.fixed_bytes("vendor_key", self.vendor_key, f.KEY_SIZE)
        f.text("text", self.text, MAX_REPLY_TEXT)
        f.validity(self.created, self.expires, most=MAX_RATING_LIFETIME)
        f.fixed_bytes("nonce", self.nonce, f.NONCE_SIZE)


def dimensions_text(dims: dict[str, Any]) -> str:
    """``as described 4.00, on time 5.00`` (hundredths shown as stars)."""
    return ", ".join(f"{DIMENSIONS[k]} {v / 100:.2f}" for k, v in dims.items())


wire_body(
    Receipt,
    "receipt",
    {"deal": "deal", "intent_id": "intent", "rater": "rater", "created": "created"},
)
wire_body(
    Rating,
    "rating",
    {
        "receipt": "receipt",
        "stars": "stars",
        "described": "described",
        "ontime": "ontime",
        "comms": "comms",
        "text": "text",
        "created": "created",
        "expires": "expires",
        "nonce": "pow",
    },
)
wire_body(
    RatingReply,
    "rating-reply",
    {
        "deal": "deal",
        "vendor_key": "vendor",
        "text": "text",
        "created": "created",
        "expires": "expires",
        "nonce": "pow",
    },
)
