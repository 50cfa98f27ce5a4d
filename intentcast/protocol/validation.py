"""The validation pipeline: bytes from a peer in, a verdict out.

One fixed order, cheapest and most discriminating first (docs/protocol.md,
"Validation")::

    size -> envelope decode -> version/kind -> kind size -> proof of work
         -> signature -> body decode + schema + canonical form
         -> time (clock skew) -> expiry -> semantic checks

Proof of work is checked before the signature (the design sketch had it
after): it is one hash (~2 us) against a ~60 us verify, so a flood of
signed junk without work costs us a hash, not a verify.

Remote input never raises out of :func:`validate`, :func:`open_offer` or
:func:`open_deal`; every failure is a :class:`Verdict` with a named
:class:`Reason`. ``REJECT`` means the sender misbehaved (penalise the peer);
``IGNORE`` means drop quietly (expired, from a skewed clock, reserved kind).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError
from nacl.public import PrivateKey

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
from .errors import DecodeError, InvalidMessage, PaddingError, SealError
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
from .relationship import (
    SENT_BY,
    DealAck,
    DealMessage,
    Forget,
    ProfileUpdate,
    Side,
    ThreadMessage,
    thread_tag,
)
from .sealing import DEAL_PAD_FLOOR, PAD_BUCKETS, unpad, unseal
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


def _reject(reason: Reason, detail: str = "") -> Verdict[Any]:
    return Verdict(Action.REJECT, reason, detail)


def _ignore(reason: Reason, detail: str = "") -> Verdict[Any]:
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
        return _reject(Reason.OVERSIZE, f"{len(raw)} bytes")
    try:
        env = decode_envelope(raw)
    except UnknownVersion as exc:
        return _reject(Reason.UNKNOWN_VERSION, str(exc))
    except UnknownKind as exc:
        return _reject(Reason.UNKNOWN_KIND, str(exc))
    except DecodeError as exc:
        return _reject(Reason.MALFORMED_ENVELOPE, str(exc))
    kind = env.kind
    rule = _RULES.get(kind)
    if rule is None:  # only the reserved kinds have no rule
        return _ignore(Reason.RESERVED_KIND, kind.value)
    gossip = layer is _GOSSIP
    if rule.layer is not layer:
        return _reject(Reason.WRONG_LAYER, f"{kind.value} is not a {layer.value} kind")
    if len(raw) > rule.max_size:
        return _reject(Reason.OVERSIZE, f"{len(raw)} bytes for {kind.value}")
    if gossip:
        bits = params.pow_bits.get(kind, 0)
        if bits and leading_zero_bits(work_hash(kind, env.signer, env.body)) < bits:
            return _reject(Reason.INSUFFICIENT_WORK, f"{kind.value} needs {bits} bits")
    try:
        crypto_sign_open(env.signature + signing_input(kind, env.body), env.signer)
    except BadSignatureError:
        return _reject(Reason.BAD_SIGNATURE)
    except Exception:  # a signer that is not a valid curve point
        return _reject(Reason.BAD_SIGNATURE, "signer is not a valid key")
    try:
        body = unpack(env.body)
    except DecodeError as exc:
        return _reject(Reason.MALFORMED_BODY, str(exc))
    if type(body) is not dict:
        return _reject(Reason.MALFORMED_BODY, "body is not a map")
    try:
        message = rule.message_type.from_body(body)
    except NonCanonical as exc:
        return _reject(Reason.NON_CANONICAL, str(exc))
    except InvalidMessage as exc:
        return _reject(Reason.INVALID_FIELD, str(exc))
    except Exception as exc:  # a check that missed a type: still the sender's fault
        return _reject(Reason.INVALID_FIELD, f"{kind.value} body: {type(exc).__name__}")
    # The decoder refused out-of-order keys and kept every value as decoded
    # (a value it had to normalise raised NonCanonical), so the message's
    # canonical encoding is the decoded body's own: re-encoding that checks
    # the shortest forms without building the body again.
    if pack(body) != env.body:
        return _reject(Reason.NON_CANONICAL, "body is not in canonical encoding")
    created: int = body["created"]
    if created > now + params.max_clock_skew:
        return _ignore(Reason.FROM_FUTURE, f"created {created - now} s ahead of this clock")
    if gossip:
        expires: int = body["expires"]
        if expires <= now:
            return _ignore(Reason.EXPIRED, f"expired {now - expires} s ago")
    if rule.signer_field is not None and getattr(message, rule.signer_field) != env.signer:
        return _reject(Reason.SIGNER_MISMATCH, f"{kind.value} must be signed by the key it names")
    if kind is _RATING:
        # The receipt is judged as of the rating's own time, so every
        # receiver, whatever its clock, gives the same verdict.
        receipt: bytes = body["receipt"]
        inner = validate(receipt, now=created, params=params, layer=_SEALED)
        if not inner.accepted or inner.signed is None or inner.signed.kind is not Kind.RECEIPT:
            what = "not a receipt" if inner.accepted else str(inner)
            return _reject(Reason.BAD_RECEIPT, what)
        if inner.signed.message.rater != env.signer:
            return _reject(Reason.NOT_RATER, "rating is not signed by the key its receipt names")
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


def _open(
    box: bytes,
    secret: PrivateKey,
    *,
    now: int,
    params: NetworkParams,
    floor: int = PAD_BUCKETS[0],
) -> Verdict[Any]:
    try:
        plaintext = unseal(box, secret)
    except SealError as exc:
        return _reject(Reason.UNSEALABLE, str(exc))
    try:
        inner = unpad(plaintext, floor=floor)
    except PaddingError as exc:
        return _reject(Reason.BAD_PADDING, str(exc))
    return validate(inner, now=now, params=params, layer=Layer.SEALED)


def open_offer(
    sealed: Signed[SealedOffer],
    reply_secret: PrivateKey,
    *,
    now: int,
    params: NetworkParams = DEFAULT_PARAMS,
) -> Verdict[Offer]:
    """Open a validated sealed offer with the intent's reply secret and
    validate the vendor-signed offer inside; it must answer the same intent
    the outer names."""
    verdict = _open(sealed.message.box, reply_secret, now=now, params=params)
    if not verdict.accepted:
        return verdict
    assert verdict.signed is not None
    if verdict.signed.kind is not Kind.OFFER:
        return _reject(Reason.WRONG_INNER_KIND, f"sealed offer holds a {verdict.signed.kind}")
    if verdict.signed.message.intent_id != sealed.message.intent_id:
        return _reject(Reason.INNER_MISMATCH, "offer inside answers another intent than outside")
    return verdict


def open_deal(
    sealed: Signed[SealedDeal],
    secret: PrivateKey,
    *,
    now: int,
    params: NetworkParams = DEFAULT_PARAMS,
) -> Verdict[Accept | Confirm | Decline]:
    """Open a sealed accept, confirm or decline. The routing tag must match
    what is inside: the offer id for an accept, the accept id otherwise."""
    verdict = _open(sealed.message.box, secret, now=now, params=params, floor=DEAL_PAD_FLOOR)
    if not verdict.accepted:
        return verdict
    assert verdict.signed is not None
    inner = verdict.signed.message
    if isinstance(inner, Accept):
        tag = inner.offer_id
    elif isinstance(inner, Confirm | Decline):
        tag = inner.accept_id
    else:
        return _reject(Reason.WRONG_INNER_KIND, f"sealed deal holds a {verdict.signed.kind}")
    if tag != sealed.message.to:
        return _reject(Reason.INNER_MISMATCH, "routing tag does not match the message inside")
    return verdict


def open_thread(
    sealed: Signed[SealedDeal],
    secret: PrivateKey,
    *,
    thread_key: bytes,
    sender: Side,
    now: int,
    params: NetworkParams = DEFAULT_PARAMS,
) -> Verdict[ThreadMessage]:
    """Open a relationship message that ``sender`` sent on the thread keyed
    ``thread_key`` (the deal's confirm id): the recipient found the outer's
    tag among the tags it expects on that thread. The inner must be a kind
    ``sender`` may send, and the tag must be the one of the inner's ``seq``."""
    verdict = _open(sealed.message.box, secret, now=now, params=params, floor=DEAL_PAD_FLOOR)
    if not verdict.accepted:
        return verdict
    assert verdict.signed is not None
    inner = verdict.signed
    if inner.kind not in SENT_BY[sender]:
        return _reject(Reason.WRONG_INNER_KIND, f"a {sender} does not send {inner.kind}")
    if thread_tag(thread_key, sender, inner.message.seq) != sealed.message.to:
        return _reject(Reason.INNER_MISMATCH, "routing tag is not the thread tag of the inner seq")
    return verdict


# --- checks against known context (pure: the caller looks the context up) ---


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
        return _reject(Reason.NOT_INTENT_AUTHOR, "accept is not signed by the intent's key")
    if a.intent_id != intent.id or o.intent_id != intent.id:
        return _reject(Reason.WRONG_INTENT, "accept, offer and intent name different intents")
    if a.offer_id != offer.id:
        return _reject(Reason.WRONG_OFFER, "accept names another offer")
    if a.payment_mode not in o.payment_modes or (
        a.payment_mode not in intent.message.terms.payment_modes
    ):
        return _reject(Reason.PAYMENT_MODE, f"{a.payment_mode} is not agreed by both sides")
    if a.payment_mode == "name-your-price":
        floor = o.price_floor if o.price_floor is not None else o.price
        if not floor <= a.price <= o.price:
            return _reject(Reason.PRICE, f"named price {a.price} outside {floor}..{o.price}")
    elif a.price != o.price:
        return _reject(Reason.PRICE, f"accept pays {a.price}, the offer asks {o.price}")
    return Verdict(Action.ACCEPT, signed=accept)


def check_vendor_reply(
    reply: Signed[Confirm] | Signed[Decline], accept: Signed[Accept], offer: Signed[Offer]
) -> Verdict[Confirm | Decline]:
    """Is ``reply`` the offering vendor's answer to ``accept``? The customer
    runs this before recording a deal."""
    r = reply.message
    if reply.signer != offer.message.vendor_key:
        return _reject(Reason.NOT_OFFER_VENDOR, "reply is not signed by the offer's vendor")
    if r.accept_id != accept.id:
        return _reject(Reason.WRONG_ACCEPT, "reply answers another accept")
    if r.offer_id != offer.id or accept.message.offer_id != offer.id:
        return _reject(Reason.WRONG_OFFER, "reply names another offer")
    if r.intent_id != offer.message.intent_id:
        return _reject(Reason.WRONG_INTENT, "reply names another intent")
    if isinstance(r, Confirm) and r.receipt is not None:
        fault = _receipt_fault(r.receipt, r.created, accept, offer)
        if fault:
            return _reject(Reason.WRONG_RECEIPT, fault)
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


def receipt_of(rating: Rating) -> Signed[Receipt]:
    """The receipt inside a rating that :func:`validate` accepted (or that
    this node stored after it did)."""
    receipt: Signed[Receipt] = decode_stored(rating.receipt)
    return receipt


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
        return _reject(Reason.NOT_DEAL_PARTY, f"not signed by the deal's {sender}")
    if message.message.deal != accept.id:
        return _reject(Reason.WRONG_DEAL, "the message names another deal")
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
        return _reject(Reason.WRONG_SUBJECT, "the acknowledgement does not fit what it names")
    return Verdict(Action.ACCEPT, signed=ack)


def withdraws(withdraw: Signed[Withdraw], intent: Signed[Intent]) -> bool:
    """True if ``withdraw`` (already validated) takes ``intent`` off the market."""
    return withdraw.message.intent_key == intent.signer == withdraw.signer


def supersedes(new: Signed[Intent], old: Signed[Intent]) -> bool:
    """True if ``new`` is a later revision of the same intent as ``old``."""
    return new.signer == old.signer and new.message.revision > old.message.revision
