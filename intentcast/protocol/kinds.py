"""Message kinds, the layer each travels on, and per-kind size limits."""

from __future__ import annotations

import enum
from typing import Final

#: Wire format version carried in every envelope.
VERSION: Final = 1


class Kind(enum.StrEnum):
    """Every kind of envelope. The value is the string on the wire."""

    INTENT = "intent"
    WITHDRAW = "withdraw"
    OFFER = "offer"
    SEALED_OFFER = "sealed-offer"
    ACCEPT = "accept"
    CONFIRM = "confirm"
    DECLINE = "decline"
    SEALED_DEAL = "sealed-deal"
    VENDOR_PROFILE = "vendor-profile"
    #: The vendor's receipt of a confirmed deal (inside a confirm or a rating).
    RECEIPT = "receipt"
    #: A customer's public rating of one confirmed deal.
    RATING = "rating"
    #: The vendor's public reply to a rating.
    RATING_REPLY = "rating-reply"
    #: After the deal (protocol/relationship.py): the customer changes a
    #: field she disclosed; a message either way; delete what you hold; the
    #: vendor's acknowledgement or statement of deletion.
    PROFILE_UPDATE = "profile-update"
    DEAL_MESSAGE = "deal-message"
    FORGET = "forget"
    DEAL_ACK = "deal-ack"


class Layer(enum.Enum):
    """Where an envelope may appear.

    GOSSIP envelopes travel in the clear over pubsub and sync. SEALED
    envelopes only ever travel inside a sealed box; one seen in the clear is
    a leak and is rejected.
    """

    GOSSIP = "gossip"
    SEALED = "sealed"


GOSSIP_KINDS: Final = frozenset(
    {
        Kind.INTENT,
        Kind.WITHDRAW,
        Kind.SEALED_OFFER,
        Kind.SEALED_DEAL,
        Kind.VENDOR_PROFILE,
        Kind.RATING,
        Kind.RATING_REPLY,
    }
)
SEALED_KINDS: Final = frozenset(
    {Kind.OFFER, Kind.ACCEPT, Kind.CONFIRM, Kind.DECLINE, Kind.RECEIPT}
    | {Kind.DEAL_MESSAGE, Kind.PROFILE_UPDATE, Kind.FORGET, Kind.DEAL_ACK}
)
#: Kinds a newer specification may define: ignored, never penalised
#: (none today; docs/protocol.md section 10).
RESERVED_KINDS: Final[frozenset[Kind]] = frozenset()
KIND_VALUES: Final = frozenset(k.value for k in Kind)

#: Largest envelope, in bytes, accepted for each kind (whole envelope,
#: signature included). Sealed boxes add 48 bytes to the envelope they carry.
MAX_ENVELOPE_SIZE: Final = {
    Kind.INTENT: 8_192,
    Kind.WITHDRAW: 512,
    Kind.OFFER: 8_192,
    Kind.SEALED_OFFER: 8_192 + 512,
    Kind.ACCEPT: 4_096,
    Kind.CONFIRM: 2_048,
    Kind.DECLINE: 2_048,
    Kind.SEALED_DEAL: 4_096 + 512,
    Kind.VENDOR_PROFILE: 4_096,
    Kind.RECEIPT: 512,
    Kind.RATING: 2_048,
    Kind.RATING_REPLY: 2_560,
    Kind.PROFILE_UPDATE: 2_048,
    Kind.DEAL_MESSAGE: 2_048,
    Kind.FORGET: 1_024,
    Kind.DEAL_ACK: 1_024,
}
#: Nothing larger is even decoded.
MAX_ANY_ENVELOPE: Final = max(MAX_ENVELOPE_SIZE.values())
#: Sealed-box overhead: 32-byte ephemeral key + 16-byte MAC.
SEAL_OVERHEAD: Final = 48
MAX_OFFER_BOX: Final = MAX_ENVELOPE_SIZE[Kind.OFFER] + SEAL_OVERHEAD
MAX_DEAL_BOX: Final = MAX_ENVELOPE_SIZE[Kind.ACCEPT] + SEAL_OVERHEAD
