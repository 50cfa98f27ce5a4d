"""The validation pipeline: bytes from a peer in, a verdict out.

One fixed order, cheapest and most discriminating first (docs/protocol.md,
"Validation")::

    size -> envelope decode -> version/kind -> kind size -> proof of work
         -> signature -> body decode + schema + canonical form
         -> time (clock skew) -> expiry -> semantic checks

Proof of work is checked before the signature (the design sketch had it
after): it is one hash (~2 us) against a ~60 us verify, so a flood of
signed junk without work costs us a hash, not a verify.

Remote input never raises out of :func:`validate` (nor out of the openers
of sealed boxes in :mod:`.opening`); every failure is a :class:`Verdict`
with a named :class:`Reason`. ``REJECT`` means the sender misbehaved
(penalise the peer); ``IGNORE`` means drop quietly (expired, from a skewed
clock, reserved kind). Checks of a valid message against what the receiver
already holds (the intent an accept answers, the deal a thread message
names) are in :mod:`.checks`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from .deal import Accept, Confirm, Decline, SealedDeal
from .encoding import (
    UnknownKind,
    UnknownVersion,
    decode_envelope,
    leading_zero_bits,
    message_id,
    pack,
    signing_input,
    unpack,
    work_hash,
)
from .errors import DecodeError, InvalidMessage
from .intent import Intent, Withdraw
from .kinds import (
    GOSSIP_KINDS,
    MAX_ANY_ENVELOPE,
    MAX_ENVELOPE_SIZE,
    Kind,
    Layer,
)
from .message import Message, NonCanonical
from .offer import Offer, SealedOffer
from .params import DEFAULT_PARAMS, NetworkParams
from .profile import VendorProfile
from .rating import Rating, RatingReply, Receipt
from .relationship import DealAck, DealMessage, Forget, ProfileUpdate
from .signing import Signed

MESSAGE_TYPES: Final[dict[Kind, type[Message]]] = {
    Kind.INTENT: Intent,
    Kind.WITHDRAW: Withdraw,
    Kind.OFFER: Offer,
    Kind.SEALED_OFFER: SealedOffer,
    Kind.ACCEPT: Accept,
    Kind.CONFIRM: Confirm,
    Kind.DECLINE: Decline,
    Kind.SEALED_DEAL: SealedDeal,
    Kind.VENDOR_PROFILE: VendorProfile,
    Kind.RECEIPT: Receipt,
    Kind.RATING: Rating,
    Kind.RATING_REPLY: RatingReply,
    Kind.DEAL_MESSAGE: DealMessage,
    Kind.PROFILE_UPDATE: ProfileUpdate,
    Kind.FORGET: Forget,
    Kind.DEAL_ACK: DealAck,
}


#: Kinds whose body names the key that must have signed them, and that field.
SIGNER_FIELD: Final = {
    Kind.WITHDRAW: "intent_key",
    Kind.OFFER: "vendor_key",
    Kind.VENDOR_PROFILE: "vendor_key",
    Kind.RATING_REPLY: "vendor_key",
}


@dataclass(frozen=True, slots=True)
class _KindRule:
    """Everything the pipeline needs to know about one kind, looked up once."""

    message_type: type[Message]
    layer: Layer
    max_size: int
    signer_field: str | None


_RULES: Final = {
    kind: _KindRule(
        message_type=cls,
        layer=Layer.GOSSIP if kind in GOSSIP_KINDS else Layer.SEALED,
        max_size=MAX_ENVELOPE_SIZE[kind],
        signer_field=SIGNER_FIELD.get(kind),
    )
    for kind, cls in MESSAGE_TYPES.items()
}
_GOSSIP: Final = Layer.GOSSIP
_SEALED: Final = Layer.SEALED
_RATING: Final = Kind.RATING


class Action(enum.Enum):
    ACCEPT = "accept"
    REJECT = "reject"
    IGNORE = "ignore"


class Reason(enum.StrEnum):
    """Why a message was not accepted. The value is a stable name for logs,
    metrics and peer scoring."""

    OVERSIZE = "oversize"
    MALFORMED_ENVELOPE = "malformed-envelope"
    UNKNOWN_VERSION = "unknown-version"
    UNKNOWN_KIND = "unknown-kind"
    RESERVED_KIND = "reserved-kind"
    WRONG_LAYER = "wrong-layer"
    INSUFFICIENT_WORK = "insufficient-work"
    BAD_SIGNATURE = "bad-signature"
    MALFORMED_BODY = "malformed-body"
    INVALID_FIELD = "invalid-field"
    NON_CANONICAL = "non-canonical"
    FROM_FUTURE = "from-future"
    EXPIRED = "expired"
    SIGNER_MISMATCH = "signer-mismatch"
    UNSEALABLE = "unsealable"
    BAD_PADDING = "bad-padding"
    WRONG_INNER_KIND = "wrong-inner-kind"
    INNER_MISMATCH = "inner-mismatch"
    NOT_INTENT_AUTHOR = "not-intent-author"
    NOT_OFFER_VENDOR = "not-offer-vendor"
    WRONG_INTENT = "wrong-intent"
    WRONG_OFFER = "wrong-offer"
    WRONG_ACCEPT = "wrong-accept"
    PAYMENT_MODE = "payment-mode"
    PRICE = "price"
    BAD_RECEIPT = "bad-receipt"
    NOT_RATER = "not-rater"
    WRONG_RECEIPT = "wrong-receipt"
    NOT_DEAL_PARTY = "not-deal-party"
    WRONG_DEAL = "wrong-deal"
    WRONG_SUBJECT = "wrong-subject"


M = TypeVar("M", bound=Message)


@dataclass(frozen=True, slots=True)
class Verdict(Generic[M]):
    """The outcome of validating one message. ``signed`` is set on ACCEPT."""

    action: Action
    reason: Reason | None = None
    detail: str = ""
    signed: Signed[M] | None = None

    @property
    def accepted(self) -> bool:
        return self.action is Action.ACCEPT

    def __str__(self) -> str:
        if self.reason is None:
            return self.action.value
        tail = f": {self.detail}" if self.detail else ""
        return f"{self.action.value} ({self.reason.value}{tail})"


def reject(reason: Reason, detail: str = "") -> Verdict[Any]:
    """The sender misbehaved: drop and penalise the peer."""
    return Verdict(Action.REJECT, reason, detail)


def ignore(reason: Reason, detail: str = "") -> Verdict[Any]:
    """Drop quietly: no fault of the peer."""
    return Verdict(Action.IGNORE, reason, detail)


def validate(
    raw: bytes,
    *,
    now: int,
    params: NetworkParams = DEFAULT_PARAMS,
    layer: Layer = Layer.GOSSIP,
) -> Verdict[Any]:
    """Validate envelope bytes received from the network (``Layer.GOSSIP``)
    or from inside a sealed box (``Layer.SEALED``). ``now`` is Unix seconds."""
    if len(raw) > MAX_ANY_ENVELOPE:
        return reject(Reason.OVERSIZE, f"{len(raw)} bytes")
    try:
        env = decode_envelope(raw)
    except UnknownVersion as exc:
        return reject(Reason.UNKNOWN_VERSION, str(exc))
    except UnknownKind as exc:
        return reject(Reason.UNKNOWN_KIND, str(exc))
    except DecodeError as exc:
        return reject(Reason.MALFORMED_ENVELOPE, str(exc))
    kind = env.kind
    rule = _RULES.get(kind)
    if rule is None:  # only the reserved kinds have no rule
        return ignore(Reason.RESERVED_KIND, kind.value)
    gossip = layer is _GOSSIP
    if rule.layer is not layer:
        return reject(Reason.WRONG_LAYER, f"{kind.value} is not a {layer.value} kind")
    if len(raw) > rule.max_size:
        return reject(Reason.OVERSIZE, f"{len(raw)} bytes for {kind.value}")
    if gossip:
        bits = params.pow_bits.get(kind, 0)
        if bits and leading_zero_bits(work_hash(kind, env.signer, env.body)) < bits:
            return reject(Reason.INSUFFICIENT_WORK, f"{kind.value} needs {bits} bits")
    try:
        crypto_sign_open(env.signature + signing_input(kind, env.body), env.signer)
    except BadSignatureError:
        return reject(Reason.BAD_SIGNATURE)
    except Exception:  # a signer that is not a valid curve point
        return reject(Reason.BAD_SIGNATURE, "signer is not a valid key")
    try:
        body = unpack(env.body)
    except DecodeError as exc:
        return reject(Reason.MALFORMED_BODY, str(exc))
    if type(body) is not dict:
        return reject(Reason.MALFORMED_BODY, "body is not a map")
    try:
        message = rule.message_type.from_body(body)
    except NonCanonical as exc:
        return reject(Reason.NON_CANONICAL, str(exc))
    except InvalidMessage as exc:
        return reject(Reason.INVALID_FIELD, str(exc))
    except Exception as exc:  # a check that missed a type: still the sender's fault
        return reject(Reason.INVALID_FIELD, f"{kind.value} body: {type(exc).__name__}")
    # The decoder refused out-of-order keys and kept every value as decoded
    # (a value it had to normalise raised NonCanonical), so the message's
    # canonical encoding is the decoded body's own: re-encoding that checks
    # the shortest forms without building the body again.
    if pack(body) != env.body:
        return reject(Reason.NON_CANONICAL, "body is not in canonical encoding")
    created: int = body["created"]
    if created > now + params.max_clock_skew:
        return ignore(Reason.FROM_FUTURE, f"created {created - now} s ahead of this clock")
    if gossip:
        expires: int = body["expires"]
        if expires <= now:
            return ignore(Reason.EXPIRED, f"expired {now - expires} s ago")
    if rule.signer_field is not None and getattr(message, rule.signer_field) != env.signer:
        return reject(Reason.SIGNER_MISMATCH, f"{kind.value} must be signed by the key it names")
    if kind is _RATING:
        # The receipt is judged as of the rating's own time, so every
        # receiver, whatever its clock, gives the same verdict.
        receipt: bytes = body["receipt"]
        inner = validate(receipt, now=created, params=params, layer=_SEALED)
        if not inner.accepted or inner.signed is None or inner.signed.kind is not Kind.RECEIPT:
            what = "not a receipt" if inner.accepted else str(inner)
            return reject(Reason.BAD_RECEIPT, what)
        if inner.signed.message.rater != env.signer:
            return reject(Reason.NOT_RATER, "rating is not signed by the key its receipt names")
    return Verdict(Action.ACCEPT, None, "", Signed(message_id(raw), kind, env.signer, message, raw))


def decode_stored(raw: bytes) -> Signed[Any]:
    """Rebuild a :class:`Signed` from envelope bytes this node validated
    before (read back from its own database).

    Checks shape, schema and canonical form but not signature, work or
    time: the bytes were verified when they arrived, and an expired intent
    must still load as history. Raises :class:`DecodeError` or
    :class:`InvalidMessage` if the stored bytes are damaged.
    """
    env = decode_envelope(raw)
    if env.kind not in MESSAGE_TYPES:
        raise DecodeError(f"no message type for kind {env.kind.value}")
    body = unpack(env.body)
    message = MESSAGE_TYPES[env.kind].from_body(body)
    if pack(message.to_body()) != env.body:
        raise DecodeError("stored body is not in canonical encoding")
    return Signed(id=message_id(raw), kind=env.kind, signer=env.signer, message=message, raw=raw)


def receipt_of(rating: Rating) -> Signed[Receipt]:
    """The receipt inside a rating that :func:`validate` accepted (or that
    this node stored after it did)."""
    receipt: Signed[Receipt] = decode_stored(rating.receipt)
    return receipt
