"""Opening sealed boxes: an offer, a deal message or a relationship message
out of its anonymous outer, validated like any message (at the sealed
layer) and matched against the outer's routing field.

Remote input never raises out of :func:`open_offer`, :func:`open_deal` or
:func:`open_thread`; every failure is a :class:`~.validation.Verdict` with
a named :class:`~.validation.Reason`, as in :func:`~.validation.validate`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from nacl.public import PrivateKey

from .deal import Accept, Confirm, Decline, SealedDeal
from .errors import PaddingError, SealError
from .kinds import Kind, Layer
from .offer import Offer, SealedOffer
from .params import DEFAULT_PARAMS, NetworkParams
from .relationship import SENT_BY, Side, ThreadMessage, thread_tag
from .sealing import DEAL_PAD_FLOOR, PAD_BUCKETS, unpad, unseal
from .signing import Signed
from .validation import Reason, Verdict, reject, validate

#: What a sealed message's inner must be, given its outer: a rejection
#: (wrong kind, wrong routing field) or None when it fits.
Inside: TypeAlias = Callable[[Signed[Any]], Verdict[Any] | None]


def _open(
    box: bytes,
    secret: PrivateKey,
    inside: Inside,
    *,
    now: int,
    params: NetworkParams,
    floor: int = PAD_BUCKETS[0],
) -> Verdict[Any]:
    try:
        plaintext = unseal(box, secret)
    except SealError as exc:
        return reject(Reason.UNSEALABLE, str(exc))
    try:
        inner = unpad(plaintext, floor=floor)
    except PaddingError as exc:
        return reject(Reason.BAD_PADDING, str(exc))
    verdict = validate(inner, now=now, params=params, layer=Layer.SEALED)
    if verdict.signed is None:  # set only on accept
        return verdict
    rejected = inside(verdict.signed)
    return verdict if rejected is None else rejected


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

    def inside(inner: Signed[Any]) -> Verdict[Any] | None:
        if inner.kind is not Kind.OFFER:
            return reject(Reason.WRONG_INNER_KIND, f"sealed offer holds a {inner.kind}")
        if inner.message.intent_id != sealed.message.intent_id:
            return reject(Reason.INNER_MISMATCH, "offer inside answers another intent than outside")
        return None

    return _open(sealed.message.box, reply_secret, inside, now=now, params=params)


def open_deal(
    sealed: Signed[SealedDeal],
    secret: PrivateKey,
    *,
    now: int,
    params: NetworkParams = DEFAULT_PARAMS,
) -> Verdict[Accept | Confirm | Decline]:
    """Open a sealed accept, confirm or decline. The routing tag must match
    what is inside: the offer id for an accept, the accept id otherwise."""

    def inside(inner: Signed[Any]) -> Verdict[Any] | None:
        message = inner.message
        if isinstance(message, Accept):
            tag = message.offer_id
        elif isinstance(message, Confirm | Decline):
            tag = message.accept_id
        else:
            return reject(Reason.WRONG_INNER_KIND, f"sealed deal holds a {inner.kind}")
        if tag != sealed.message.to:
            return reject(Reason.INNER_MISMATCH, "routing tag does not match the message inside")
        return None

    return _open(sealed.message.box, secret, inside, now=now, params=params, floor=DEAL_PAD_FLOOR)


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

    def inside(inner: Signed[Any]) -> Verdict[Any] | None:
        if inner.kind not in SENT_BY[sender]:
            return reject(Reason.WRONG_INNER_KIND, f"a {sender} does not send {inner.kind}")
        if thread_tag(thread_key, sender, inner.message.seq) != sealed.message.to:
            return reject(
                Reason.INNER_MISMATCH, "routing tag is not the thread tag of the inner seq"
            )
        return None

    return _open(sealed.message.box, secret, inside, now=now, params=params, floor=DEAL_PAD_FLOOR)
