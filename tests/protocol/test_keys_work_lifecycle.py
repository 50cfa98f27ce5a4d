"""Key derivation, key files, proof of work and lifecycle tables."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intentcast.protocol import (
    MAX_KEY_DRAWS,
    IllegalTransition,
    IntentEvent,
    IntentState,
    KeyFileError,
    NetworkParams,
    OfferEvent,
    OfferState,
    decode_key_file,
    derive_intent_key,
    derive_intent_keys,
    derive_vendor_keys,
    draw_intent_keys,
    encode_key_file,
    next_intent_state,
    next_offer_state,
)
from intentcast.protocol.encoding import leading_zero_bits, work_hash
from intentcast.protocol.kinds import Kind
from intentcast.protocol.lifecycle import INTENT_TRANSITIONS, OFFER_TRANSITIONS

from .builders import CUSTOMER_SEED, customer_keys, signed_intent


def test_intent_keys_are_deterministic_from_seed_and_counter() -> None:
    a, b = derive_intent_keys(CUSTOMER_SEED, 5), derive_intent_keys(CUSTOMER_SEED, 5)
    assert a.intent_key == b.intent_key and a.reply_public == b.reply_public
    # The intent key alone (the store's search for a key that fits) is the same key.
    assert derive_intent_key(CUSTOMER_SEED, 5) == a.intent_key
    assert derive_intent_key(CUSTOMER_SEED, 6) == derive_intent_keys(CUSTOMER_SEED, 6).intent_key


def test_a_key_draw_takes_the_first_counter_that_fits() -> None:
    def fits(key: bytes) -> bool:
        return key[0] % 8 == 3

    drawn = draw_intent_keys(CUSTOMER_SEED, 10, fits)
    passed = [derive_intent_key(CUSTOMER_SEED, c) for c in range(10, drawn.counter)]
    assert fits(drawn.intent_key) and not any(fits(key) for key in passed)
    derived = derive_intent_keys(CUSTOMER_SEED, drawn.counter)
    assert (drawn.intent_key, drawn.reply_public) == (derived.intent_key, derived.reply_public)
    assert draw_intent_keys(CUSTOMER_SEED, 10, None).counter == 10
    with pytest.raises(ValueError, match=f"no intent keys fit in {MAX_KEY_DRAWS} counters"):
        draw_intent_keys(CUSTOMER_SEED, 0, lambda _: False)


@settings(max_examples=50)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_different_counters_share_no_key(i: int, j: int) -> None:
    if i == j:
        return
    a, b = derive_intent_keys(CUSTOMER_SEED, i), derive_intent_keys(CUSTOMER_SEED, j)
    keys = {a.intent_key, a.reply_public, b.intent_key, b.reply_public}
    assert len(keys) == 4


def test_vendor_and_customer_derivations_are_separated() -> None:
    v = derive_vendor_keys(CUSTOMER_SEED)
    c = derive_intent_keys(CUSTOMER_SEED, 0)
    assert v.vendor_key != c.intent_key and v.reply_public != c.reply_public


def test_bad_seed_and_counter_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        derive_intent_keys(b"short", 0)
    with pytest.raises(ValueError, match="64 bits"):
        derive_intent_keys(CUSTOMER_SEED, 2**64)


def test_key_file_round_trip_and_damage_detection() -> None:
    data = encode_key_file("customer-seed", CUSTOMER_SEED)
    assert decode_key_file(data, expect_kind="customer-seed") == CUSTOMER_SEED
    assert CUSTOMER_SEED.hex() in data.decode()
    damaged = data.replace(f"seed = {CUSTOMER_SEED.hex()[:2]}".encode(), b"seed = ff", 1)
    assert damaged != data
    with pytest.raises(KeyFileError, match="checksum"):
        decode_key_file(damaged)
    with pytest.raises(KeyFileError, match="expected a vendor-seed"):
        decode_key_file(data, expect_kind="vendor-seed")


def test_two_key_files_run_together_are_refused_not_read_as_the_last() -> None:
    """Found by fuzzing (docs/security.md): a file holding two key files
    read as the second seed, silently; a node would take another identity."""
    first = encode_key_file("customer-seed", CUSTOMER_SEED)
    second = encode_key_file("vendor-seed", bytes(range(100, 132)))
    for data in (first + second, first + b"seed = " + CUSTOMER_SEED.hex().encode() + b"\n"):
        with pytest.raises(KeyFileError, match="repeats a field") as err:
            decode_key_file(data)
        assert CUSTOMER_SEED.hex() not in str(err.value)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"seed = ", b"seed: "),  # the line is not name = value
        (b"seed = ", b""),  # the seed alone on its line
        (b"kind = customer-seed", b"kind = " + CUSTOMER_SEED.hex().encode()),
        (b"kind = customer-seed", CUSTOMER_SEED.hex().encode() + b" = x"),
    ],
)
def test_a_damaged_key_file_error_never_repeats_the_seed(old: bytes, new: bytes) -> None:
    """Found by fuzzing (docs/security.md): the error quoted the first 20
    characters of a damaged line, 15 hex digits of the seed, into logs."""
    data = encode_key_file("customer-seed", CUSTOMER_SEED).replace(old, new, 1)
    with pytest.raises(KeyFileError) as err:
        decode_key_file(data)
    message = str(err.value)
    hex_seed = CUSTOMER_SEED.hex()
    assert not any(hex_seed[i : i + 8] in message for i in range(len(hex_seed) - 7)), message


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_garbage_key_files_raise_key_file_errors_without_echoing_secrets(data: bytes) -> None:
    with pytest.raises(KeyFileError) as err:
        decode_key_file(data)
    assert CUSTOMER_SEED.hex() not in str(err.value)


@pytest.mark.parametrize("bits", [0, 4, 8, 12])
def test_minted_work_meets_the_difficulty(bits: int) -> None:
    params = NetworkParams(pow_bits={Kind.INTENT: bits})
    intent = signed_intent(customer_keys(), params=params)
    from intentcast.protocol.encoding import decode_envelope

    env = decode_envelope(intent.raw)
    assert leading_zero_bits(work_hash(env.kind, env.signer, env.body)) >= bits


def test_leading_zero_bits() -> None:
    assert leading_zero_bits(bytes(32)) == 64
    assert leading_zero_bits(b"\x80" + bytes(31)) == 0
    assert leading_zero_bits(b"\x00\x01" + bytes(30)) == 15


def test_every_intent_transition_in_the_table_and_no_other() -> None:
    for state, event in itertools.product(IntentState, IntentEvent):
        if (state, event) in INTENT_TRANSITIONS:
            assert next_intent_state(state, event) is INTENT_TRANSITIONS[(state, event)]
        else:
            with pytest.raises(IllegalTransition) as err:
                next_intent_state(state, event)
            assert err.value.state == state.value and err.value.event == event.value


def test_every_offer_transition_in_the_table_and_no_other() -> None:
    for state, event in itertools.product(OfferState, OfferEvent):
        if (state, event) in OFFER_TRANSITIONS:
            assert next_offer_state(state, event) is OFFER_TRANSITIONS[(state, event)]
        else:
            with pytest.raises(IllegalTransition):
                next_offer_state(state, event)


def test_terminal_states_accept_no_event() -> None:
    for state in (IntentState.CLOSED, IntentState.WITHDRAWN, IntentState.EXPIRED):
        for event in IntentEvent:
            with pytest.raises(IllegalTransition):
                next_intent_state(state, event)
    # A declined accept puts the intent back on the market.
    assert next_intent_state(IntentState.ACCEPTED, IntentEvent.DECLINE) is IntentState.OPEN
