"""Raw envelope bytes, as a peer sends them: ``validate`` at both layers,
``decode_envelope`` and ``decode_stored``.

Oracles: ``validate`` never raises; it accepts only the byte-identical
samples (no one but their signers can make another valid envelope); what
``decode_envelope`` accepts re-encodes to the same bytes; what ``validate``
accepts, ``decode_stored`` reads back as the same message.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from intentcast.protocol import (
    DecodeError,
    InvalidMessage,
    Layer,
    decode_envelope,
    decode_stored,
    message_id,
    validate,
)
from intentcast.protocol.encoding import encode_envelope, pack

from .harness import Finding, Known
from .samples import CHECK_TIME, NO_WORK, market

KNOWN: Final[tuple[Known, ...]] = ()


@cache
def _valid() -> frozenset[bytes]:
    return frozenset(s.raw for s in market().every_envelope().values())


def one_input(data: bytes) -> None:
    accepted = None
    for layer in Layer:
        verdict = validate(data, now=CHECK_TIME, params=NO_WORK, layer=layer)
        if verdict.accepted:
            if data not in _valid():
                raise Finding(f"validate accepted an envelope nobody signed ({layer.value})")
            assert verdict.signed is not None
            if verdict.signed.raw != data or verdict.signed.id != message_id(data):
                raise Finding("an accepted envelope's raw bytes or id differ from the input")
            accepted = verdict.signed
    try:
        envelope = decode_envelope(data)
    except DecodeError:
        if accepted is not None:
            raise Finding("validate accepted what decode_envelope refuses") from None
        return
    if encode_envelope(envelope.kind, envelope.body, envelope.signer, envelope.signature) != data:
        raise Finding("decode_envelope accepted a non-canonical envelope")
    try:
        stored = decode_stored(data)
    except (DecodeError, InvalidMessage):
        if accepted is not None:
            raise Finding("validate accepted what decode_stored refuses") from None
        return
    if pack(stored.message.to_body()) != envelope.body or stored.raw != data:
        raise Finding("decode_stored accepted a body that does not re-encode to itself")
    if accepted is not None and (stored.message != accepted.message or stored.id != accepted.id):
        raise Finding("decode_stored and validate read the same envelope differently")


def seeds() -> list[bytes]:
    # A receipt is seeded inside the rating that carries it.
    raws = [s.raw for name, s in market().every_envelope().items() if name != "receipt"]
    intent = market().intent.raw
    return [
        *raws,
        intent[: len(intent) // 2],  # truncated
        pack((1, "intent", b"\x80", bytes(32), bytes(64))),  # empty body, zero key
        pack((2, "intent", b"\x80", bytes(32), bytes(64))),  # unknown version
        pack((1, "profile-update", b"\x81\xa1a\x01", bytes(32), bytes(64))),  # reserved kind
    ]
