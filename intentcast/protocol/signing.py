"""Signing messages into envelopes, minting proof of work, and the
:class:`Signed` result every validator returns."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from nacl.signing import SigningKey

from .encoding import POW_DOMAIN, encode_envelope, message_id, pack, signing_input
from .errors import TooLarge
from .kinds import MAX_ENVELOPE_SIZE, Kind
from .message import Message, PowMessage
from .params import DEFAULT_PARAMS, NetworkParams

M_co = TypeVar("M_co", bound=Message, covariant=True)
M = TypeVar("M", bound=Message)


@dataclass(frozen=True, slots=True)
class Signed(Generic[M_co]):
    """A message with the envelope it travels in.

    ``id`` is the message id (BLAKE2b-256 of ``raw``); ``signer`` the Ed25519
    key that signed it.
    """

    id: bytes
    kind: Kind
    signer: bytes
    message: M_co
    raw: bytes


def sign(message: M, key: SigningKey, *, params: NetworkParams = DEFAULT_PARAMS) -> Signed[M]:
    """Encode ``message`` canonically, mint its proof of work if its kind
    needs one under ``params``, and sign it with ``key``.

    Deterministic: the same message, key and params give the same bytes.
    Raises :class:`TooLarge` (an :class:`InvalidMessage`) if the envelope would exceed its kind's
    size limit (fields within their bounds can still add up too much).
    """
    kind = message.KIND
    signer = bytes(key.verify_key)
    bits = params.work_for(kind)
    if bits:
        message = mint(message, signer, bits)  # type: ignore[type-var]
    body = pack(message.to_body())
    signature = key.sign(signing_input(kind, body)).signature
    raw = encode_envelope(kind, body, signer, signature)
    if len(raw) > MAX_ENVELOPE_SIZE[kind]:
        # Every field is within its bound, yet together they are too big:
        # refuse here, or every receiver would drop it as oversize.
        raise TooLarge(
            kind.value, f"envelope of {len(raw)} bytes, at most {MAX_ENVELOPE_SIZE[kind]} allowed"
        )
    return Signed(id=message_id(raw), kind=kind, signer=signer, message=message, raw=raw)


P = TypeVar("P", bound=PowMessage)


def mint(message: P, signer: bytes, bits: int) -> P:
    """Return ``message`` with the first nonce (counting from 0) whose work
    hash has ``bits`` leading zero bits.

    The body is encoded once; each try hashes only the bytes from the nonce
    on, continuing from a saved hash state of everything before it.
    """
    if not 0 <= bits <= 64:
        raise ValueError("proof-of-work bits must be 0..64")
    probe_a = pack(replace(message, nonce=b"\x00" * 8).to_body())  # type: ignore[type-var]
    probe_b = pack(replace(message, nonce=b"\xff" * 8).to_body())  # type: ignore[type-var]
    at = next(i for i, (a, b) in enumerate(zip(probe_a, probe_b, strict=True)) if a != b)
    prefix, suffix = probe_a[:at], probe_a[at + 8 :]
    base = hashlib.blake2b(
        POW_DOMAIN + message.KIND.encode() + b"/" + signer + prefix, digest_size=32
    )
    limit = 1 << (64 - bits)
    counter = 0
    while True:
        nonce = counter.to_bytes(8, "big")
        h = base.copy()
        h.update(nonce)
        h.update(suffix)
        if int.from_bytes(h.digest()[:8], "big") < limit:
            return replace(message, nonce=nonce)  # type: ignore[type-var]
        counter += 1
