"""Sealed boxes: encryption only the recipient can open.

Byte-compatible with libsodium's ``crypto_box_seal`` (ephemeral X25519 key
``epk``, nonce ``BLAKE2b-192(epk || recipient)``, output ``epk || box``), but
the ephemeral secret is an argument so this module stays pure and sealing
is reproducible for test vectors. Never reuse an ephemeral secret.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from nacl.bindings import crypto_box, crypto_scalarmult_base
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox
from nacl.signing import SigningKey

from .deal import Accept, Confirm, Decline, SealedDeal
from .errors import SealError
from .intent import Intent
from .offer import Offer, SealedOffer
from .params import DEFAULT_PARAMS, NetworkParams
from .signing import Signed, sign

#: Source of secret random bytes, e.g. ``os.urandom`` (tests pass a seeded one).
RandomBytes = Callable[[int], bytes]


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
        box=seal(offer.raw, intent.message.reply_key, random_bytes(32)),
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
        box=seal(inner.raw, recipient, random_bytes(32)),
        created=created,
        expires=expires,
    )
    return sign(outer, SigningKey(random_bytes(32)), params=params)
