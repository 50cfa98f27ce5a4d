"""Envelope bytes a peer sends: mutations of real signed messages are never
accepted, the same content in another msgpack encoding is never accepted,
signatures cannot be malleated, and nothing raises."""

from __future__ import annotations

import msgpack
from hypothesis import given
from hypothesis import strategies as st

from fuzz import envelope
from fuzz.harness import run_input
from fuzz.samples import CHECK_TIME, NO_WORK, market
from intentcast.protocol import Action, Layer, Reason, validate
from intentcast.protocol.encoding import pack

from .budget import examples
from .msgpack_forms import encodings
from .mutations import mutated

SAMPLES = {name: s.raw for name, s in market().every_envelope().items()}
VALID = frozenset(SAMPLES.values())
#: The order of the Ed25519 group: S and S + L verify alike in a lax verifier.
L = 2**252 + 27742317777372353535851937790883648493


def verdicts(raw: bytes) -> list[Action]:
    return [validate(raw, now=CHECK_TIME, params=NO_WORK, layer=layer).action for layer in Layer]


@examples(200)
@given(st.sampled_from(sorted(SAMPLES)).flatmap(lambda name: mutated(SAMPLES[name])))
def test_a_mutated_envelope_is_never_accepted(raw: bytes) -> None:
    if raw not in VALID:
        assert Action.ACCEPT not in verdicts(raw)
    run_input(envelope, raw)  # and decode_envelope, decode_stored keep their oracles


@examples(150)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_are_never_accepted_and_never_raise(raw: bytes) -> None:
    assert Action.ACCEPT not in verdicts(raw)
    run_input(envelope, raw)


@examples(120)
@given(st.data())
def test_the_same_envelope_in_another_msgpack_encoding_is_refused(data: st.DataObject) -> None:
    original = SAMPLES[data.draw(st.sampled_from(sorted(SAMPLES)))]
    items = msgpack.unpackb(original, raw=False)
    raw = data.draw(encodings(items))
    assert msgpack.unpackb(raw, raw=False) == items
    if raw != original:
        assert Action.ACCEPT not in verdicts(raw), raw.hex()


@examples(100)
@given(st.data())
def test_envelope_items_mixed_between_messages_are_accepted_only_as_a_whole(
    data: st.DataObject,
) -> None:
    """Kind, body, signer and signature taken from different real messages
    (or moved to another position): only an unchanged original passes."""
    envelopes = [msgpack.unpackb(raw, raw=False) for raw in SAMPLES.values()]
    items = [data.draw(st.sampled_from(envelopes))[i] for i in range(5)]
    if data.draw(st.booleans()):
        i, j = data.draw(st.permutations(range(5)))[:2]
        items[i], items[j] = items[j], items[i]
    raw = pack(tuple(items))
    assert raw in VALID or Action.ACCEPT not in verdicts(raw)


def test_a_malleated_signature_is_refused() -> None:
    """S + L is the same signature to a verifier that does not reduce S;
    accepting it would give one message a second id."""
    for name, raw in SAMPLES.items():
        version, kind, body, signer, signature = msgpack.unpackb(raw, raw=False)
        s = int.from_bytes(signature[32:], "little") + L
        malleated = pack((version, kind, body, signer, signature[:32] + s.to_bytes(32, "little")))
        for layer in Layer:
            verdict = validate(malleated, now=CHECK_TIME, params=NO_WORK, layer=layer)
            assert verdict.reason in (Reason.BAD_SIGNATURE, Reason.WRONG_LAYER), (name, verdict)


def test_a_small_order_key_with_a_trivial_signature_is_refused() -> None:
    """The identity point as signer and (identity, 0) as signature verify
    every message under a verifier that skips the small-order checks."""
    identity = (1).to_bytes(32, "little")
    for raw in SAMPLES.values():
        version, kind, body, _, _ = msgpack.unpackb(raw, raw=False)
        forged = pack((version, kind, body, identity, identity + bytes(32)))
        assert Action.ACCEPT not in verdicts(forged)
