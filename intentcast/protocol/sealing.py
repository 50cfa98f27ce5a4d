"""Sealed boxes: encryption only the recipient can open.

Byte-compatible with libsodium's ``crypto_box_seal`` (ephemeral X25519 key
``epk``, nonce ``BLAKE2b-192(epk || recipient)``, output ``epk || box``), but
the ephemeral secret is an argument so this module stays pure and sealing
is reproducible for test vectors. Never reuse an ephemeral secret.

What is sealed is the inner envelope **padded** with zero bytes to the
smallest of :data:`PAD_BUCKETS` that holds it (:func:`pad`), so that a box's
length says which of nine size classes it carries and no more: without it,
one vendor's offer for one item sealed to the same length for every intent,
and its offers could be told apart from other vendors' (docs/privacy.md).
The receiver finds the envelope's end by decoding its one msgpack value,
and refuses anything but that exact form (:func:`unpad`): one valid
plaintext per envelope.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Final

import msgpack
from nacl.bindings import crypto_box, crypto_scalarmult_base
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox
from nacl.signing import SigningKey

from .deal import Accept, Confirm, Decline, SealedDeal
from .errors import PaddingError, SealError
from .intent import Intent
from .offer import Offer, SealedOffer
from .params import DEFAULT_PARAMS, NetworkParams
from .relationship import Side, ThreadMessage, thread_tag
from .signing import Signed, sign

#: Source of secret random bytes, e.g. ``os.urandom`` (tests pass a seeded one).
RandomBytes = Callable[[int], bytes]


#: The lengths a sealed plaintext is padded to: steps of about the square
#: root of two from 512 bytes to the largest inner envelope (8,192 bytes).
#: At most 50 % larger than the envelope (offers of 500-700 bytes: 768).
PAD_BUCKETS: Final = (512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192)
#: The smallest bucket of a sealed-deal's plaintext (sealed format 3): a
#: confirm carrying its receipt (about 520 bytes with a short note) and a
#: decline (about 280) seal to the same length, and so do most accepts.
DEAL_PAD_FLOOR: Final = 768


def padded_length(length: int, floor: int = PAD_BUCKETS[0]) -> int:
    """The smallest bucket of at least ``floor`` that holds ``length`` bytes."""
    for bucket in PAD_BUCKETS:
        if length <= bucket and bucket >= floor:
            return bucket
    raise ValueError(f"{length} bytes is more than the largest pad bucket, {PAD_BUCKETS[-1]}")


def pad(envelope: bytes, *, floor: int = PAD_BUCKETS[0]) -> bytes:
    """``envelope`` followed by zero bytes up to :func:`padded_length`."""
    return envelope + bytes(padded_length(len(envelope), floor) - len(envelope))


def unpad(plaintext: bytes, *, floor: int = PAD_BUCKETS[0]) -> bytes:
    """The envelope in a padded plaintext. Raises :class:`PaddingError` unless
    ``plaintext`` is exactly ``pad(envelope, floor=floor)``: its length a
    bucket of at least ``floor``, one msgpack value first, then only zero
    bytes, the fewest that reach the smallest such bucket holding the value."""
    if len(plaintext) not in PAD_BUCKETS or len(plaintext) < floor:
        raise PaddingError(f"{len(plaintext)} bytes is not a pad bucket length (from {floor})")
    unpacker = msgpack.Unpacker(raw=True, strict_map_key=False, max_buffer_size=len(plaintext))
    unpacker.feed(plaintext)
    try:
        unpacker.unpack()
    except Exception:  # msgpack raises several types for bytes that do not decode
        raise PaddingError("no msgpack value at the start of the plaintext") from None
    end = unpacker.tell()
    if plaintext[end:] != bytes(len(plaintext) - end):
        raise PaddingError("the padding after the envelope is not all zero bytes")
    if padded_length(end, floor) != len(plaintext):
        raise PaddingError(
            f"a {end}-byte envelope pads to {padded_length(end, floor)} bytes, not more"
        )
    return plaintext[:end]


def seal(plaintext: bytes, recipient: bytes, ephemeral_secret: bytes) -> bytes:
    """Seal ``plaintext`` to the X25519 public key ``recipient``."""
    if len(recipient) != 32 or len(ephemeral_secret) != 32:
        raise ValueError("recipient key and ephemeral secret must be 32 bytes")
    epk = crypto_scalarmult_base(ephemeral_secret)
    nonce = hashlib.blake2b(epk + recipient, digest_size=24).digest()
    return epk + crypto_box(plaintext, nonce, recipient, ephemeral_secret)


def unseal(box: bytes, secret: PrivateKey) -> bytes:
    """Open a sealed box; raises :class:`SealError` if it was not sealed to
    ``secret``'s public key or was altered."""
    try:
        return SealedBox(secret).decrypt(box)
    except CryptoError:
        raise SealError("sealed box does not open with this key") from None


def seal_offer(
    offer: Signed[Offer],
    intent: Signed[Intent],
    *,
    created: int,
    random_bytes: RandomBytes,
    params: NetworkParams = DEFAULT_PARAMS,
) -> Signed[SealedOffer]:
    """Seal a vendor-signed offer to ``intent``'s reply key and wrap it in an
    outer envelope signed by a fresh one-time key (so it names no vendor).

    The outer expires with the intent. The offer's own validity is the
    vendor's choice and stays inside the box, where the customer checks it:
    in the clear it would mark every offer of a vendor whose validity is
    unusual (docs/privacy.md).
    """
    if offer.message.intent_id != intent.id:
        raise ValueError("the offer answers another intent")
    outer = SealedOffer(
        intent_id=intent.id,
        box=seal(pad(offer.raw), intent.message.reply_key, random_bytes(32)),
        created=created,
        expires=intent.message.expires,
    )
    return sign(outer, SigningKey(random_bytes(32)), params=params)


def seal_deal(
    inner: Signed[Accept] | Signed[Confirm] | Signed[Decline],
    *,
    to: bytes,
    recipient: bytes,
    created: int,
    expires: int,
    random_bytes: RandomBytes,
    params: NetworkParams = DEFAULT_PARAMS,
) -> Signed[SealedDeal]:
    """Seal an accept (``to`` = the offer id, ``recipient`` = the offer's reply
    key) or a confirm/decline (``to`` = the accept id, ``recipient`` = the
    intent's reply key) in an anonymous outer envelope."""
    outer = SealedDeal(
        to=to,
        box=seal(pad(inner.raw, floor=DEAL_PAD_FLOOR), recipient, random_bytes(32)),
        created=created,
        expires=expires,
    )
    return sign(outer, SigningKey(random_bytes(32)), params=params)


def seal_thread(
    inner: Signed[ThreadMessage],
    *,
    thread_key: bytes,
    sender: Side,
    recipient: bytes,
    created: int,
    expires: int,
    random_bytes: RandomBytes,
    params: NetworkParams = DEFAULT_PARAMS,
) -> Signed[SealedDeal]:
    """Seal a relationship message (protocol/relationship.py) in a
    ``sealed-deal`` outer tagged :func:`~.relationship.thread_tag` of its
    ``seq``: to the offer's reply key from the customer, to the intent's
    reply key from the vendor."""
    return seal_deal(
        inner,  # type: ignore[arg-type]
        to=thread_tag(thread_key, sender, inner.message.seq),
        recipient=recipient,
        created=created,
        expires=expires,
        random_bytes=random_bytes,
        params=params,
    )
