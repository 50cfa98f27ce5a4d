"""The intentcast protocol core: pure (no I/O, no clock, no global
randomness). Time and randomness are arguments.

Wire format and rules: ``docs/protocol.md``.
"""

from .deal import Accept, Confirm, Decline, SealedDeal
from .encoding import Envelope, decode_envelope, message_id
from .errors import (
    DecodeError,
    IllegalTransition,
    InvalidMessage,
    KeyFileError,
    ProtocolError,
    SealError,
)
from .intent import Intent, Preferences, Terms, Withdraw
from .keys import (
    IntentKeys,
    VendorKeys,
    decode_key_file,
    derive_intent_keys,
    derive_vendor_keys,
    encode_key_file,
)
from .kinds import GOSSIP_KINDS, SEALED_KINDS, VERSION, Kind, Layer
from .lifecycle import (
    LIVE,
    ON_MARKET,
    IntentEvent,
    IntentState,
    OfferEvent,
    OfferState,
    intent_may,
    next_intent_state,
    next_offer_state,
    offer_may,
)
from .message import Message
from .offer import Item, Offer, SealedOffer
from .params import DEFAULT_PARAMS, NetworkParams
from .profile import VendorProfile
from .sealing import RandomBytes, seal, seal_deal, seal_offer, unseal
from .signing import Signed, mint, sign
from .stem import (
    DEFAULT_STEM_PARAMS,
    FLUFF,
    EpochNotBegun,
    Fluff,
    Rng,
    Route,
    Stem,
    StemParams,
    StemRouter,
    epoch_of,
    stems,
)
from .validation import (
    Action,
    Reason,
    Verdict,
    check_accept,
    check_vendor_reply,
    decode_stored,
    open_deal,
    open_offer,
    supersedes,
    validate,
    withdraws,
)

__all__ = [
    "DEFAULT_PARAMS",
    "DEFAULT_STEM_PARAMS",
    "FLUFF",
    "GOSSIP_KINDS",
    "LIVE",
    "ON_MARKET",
    "SEALED_KINDS",
    "VERSION",
    "Accept",
    "Action",
    "Confirm",
    "Decline",
    "DecodeError",
    "Envelope",
    "EpochNotBegun",
    "Fluff",
    "IllegalTransition",
    "Intent",
    "IntentEvent",
    "IntentKeys",
    "IntentState",
    "InvalidMessage",
    "Item",
    "KeyFileError",
    "Kind",
    "Layer",
    "Message",
    "NetworkParams",
    "Offer",
    "OfferEvent",
    "OfferState",
    "Preferences",
    "ProtocolError",
    "RandomBytes",
    "Reason",
    "Rng",
    "Route",
    "SealError",
    "SealedDeal",
    "SealedOffer",
    "Signed",
    "Stem",
    "StemParams",
    "StemRouter",
    "Terms",
    "VendorKeys",
    "VendorProfile",
    "Verdict",
    "Withdraw",
    "check_accept",
    "check_vendor_reply",
    "decode_envelope",
    "decode_key_file",
    "decode_stored",
    "derive_intent_keys",
    "derive_vendor_keys",
    "encode_key_file",
    "epoch_of",
    "intent_may",
    "message_id",
    "mint",
    "next_intent_state",
    "next_offer_state",
    "offer_may",
    "open_deal",
    "open_offer",
    "seal",
    "seal_deal",
    "seal_offer",
    "sign",
    "stems",
    "supersedes",
    "unseal",
    "validate",
    "withdraws",
]
