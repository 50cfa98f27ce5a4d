"""Canonical encoding: msgpack bodies, the envelope, ids, signing input,
proof-of-work hash.

Envelope: msgpack array ``[version, kind, body, signer, signature]`` where
``body`` is the msgpack encoding of the message map. A body or envelope is
accepted only in its canonical form (map keys sorted by their UTF-8 bytes,
shortest integer and length encodings, str for text, bin for bytes, no
floats), checked by re-encoding: otherwise one signed message could travel
under many ids and slip past every seen-cache.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any, Final

import msgpack

from .errors import DecodeError
from .kinds import MAX_ANY_ENVELOPE, VERSION, Kind

SIGNATURE_DOMAIN: Final = b"intentcast/1/"
POW_DOMAIN: Final = b"intentcast/1/pow/"
SIGNATURE_SIZE: Final = 64


_local = threading.local()


def pack(obj: object) -> bytes:
    """Encode ``obj`` (maps already in canonical key order) as msgpack."""
    # A reused Packer is ~3x faster than msgpack.packb; one per thread
    # because a Packer holds a buffer.
    try:
        packer = _local.packer
    except AttributeError:
        packer = _local.packer = msgpack.Packer(use_bin_type=True)
    return packer.pack(obj)  # type: ignore[no-any-return]


def unpack(data: bytes, *, max_size: int = MAX_ANY_ENVELOPE) -> Any:
    """Decode one msgpack object, with arrays as tuples.

    Raises :class:`DecodeError` on anything but exactly one well-formed
    object (trailing bytes, non-text map keys). Floats and extension types
    decode but fail every schema check downstream, which compares exact types.
    """
    if len(data) > max_size:
        raise DecodeError(f"{len(data)} bytes, at most {max_size} allowed")
    try:
        return msgpack.unpackb(
            data,
            use_list=False,
            raw=False,
            strict_map_key=True,
        )
    except Exception as exc:  # msgpack raises a zoo of types on garbage
        raise DecodeError(f"not msgpack: {type(exc).__name__}: {exc}") from None


def message_id(envelope: bytes) -> bytes:
    """Message id: BLAKE2b-256 of the envelope bytes (content address)."""
    return hashlib.blake2b(envelope, digest_size=32).digest()


def signing_input(kind: str, body: bytes) -> bytes:
    """What an envelope's signature signs: ``"intentcast/1/" + kind + body``.

    Unambiguous without a separator: kinds are a fixed set of lowercase
    letters and dashes and a body always starts with a msgpack map header
    (0x80-0x8f, 0xde, 0xdf), never with one of those characters.
    """
    return SIGNATURE_DOMAIN + kind.encode() + body


def work_hash(kind: str, signer: bytes, body: bytes) -> bytes:
    """The hash proof of work is measured on: BLAKE2b-256 of
    ``"intentcast/1/pow/" + kind + "/" + signer + body`` (the body holds the nonce)."""
    return hashlib.blake2b(
        POW_DOMAIN + kind.encode() + b"/" + signer + body, digest_size=32
    ).digest()


def leading_zero_bits(digest: bytes) -> int:
    """Leading zero bits of ``digest`` (counted over its first 8 bytes, so at most 64)."""
    return 64 - int.from_bytes(digest[:8], "big").bit_length()


@dataclass(frozen=True, slots=True)
class Envelope:
    """A decoded envelope; ``raw`` is the exact bytes it was decoded from."""

    kind: Kind
    body: bytes
    signer: bytes
    signature: bytes
    raw: bytes
    version: int = VERSION


def encode_envelope(kind: Kind, body: bytes, signer: bytes, signature: bytes) -> bytes:
    return pack((VERSION, kind.value, body, signer, signature))


_KINDS: Final = {k.value: k for k in Kind}


def _is_map_header(first: int) -> bool:
    return 0x80 <= first <= 0x8F or first in (0xDE, 0xDF)


class UnknownVersion(DecodeError):
    """The envelope's version is not one this node speaks."""


class UnknownKind(DecodeError):
    """The envelope's kind is not in the protocol."""


def decode_envelope(raw: bytes) -> Envelope:
    """Decode the outer array and check its shape and canonical form.

    Raises :class:`UnknownVersion`, :class:`UnknownKind` or
    :class:`DecodeError`. Does not verify the signature.
    """
    obj = unpack(raw)
    if type(obj) is not tuple or len(obj) != 5:
        raise DecodeError("an envelope is an array of 5 items")
    version, kind, body, signer, signature = obj
    if type(version) is not int:
        raise DecodeError("version must be an integer")
    if version != VERSION:
        raise UnknownVersion(f"version {version} (this node speaks {VERSION})")
    kind_member = _KINDS.get(kind) if type(kind) is str else None
    if kind_member is None:
        raise UnknownKind(f"kind {kind!r}")
    if type(body) is not bytes or not body or not _is_map_header(body[0]):
        raise DecodeError("body must be the bytes of a msgpack map")
    if type(signer) is not bytes or len(signer) != 32:
        raise DecodeError("signer must be a 32-byte Ed25519 public key")
    if type(signature) is not bytes or len(signature) != SIGNATURE_SIZE:
        raise DecodeError("signature must be 64 bytes")
    if pack(obj) != raw:
        raise DecodeError("envelope is not in canonical encoding")
    return Envelope(kind_member, body, signer, signature, raw)
