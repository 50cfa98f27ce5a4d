"""Real envelopes, made affordable: cached work gives the same bytes, and
what spammers send is refused whatever the difficulty."""

from __future__ import annotations

from pathlib import Path

import pytest

from intentcast.protocol import (
    Action,
    Kind,
    NetworkParams,
    derive_vendor_keys,
    seal_offer,
    sign,
    validate,
)
from intentcast.protocol.keys import derive
from simulations.builders import Junk, bulk_intent, intent_keys
from simulations.messages import WorkCache
from simulations.params import EPOCH
from tests.protocol.builders import offer_message

from .helpers import LOW_WORK

EIGHT_BITS = NetworkParams(pow_bits=dict.fromkeys(LOW_WORK.pow_bits, 8))


def test_cached_work_gives_the_bytes_sign_mints(tmp_path: Path) -> None:
    first = WorkCache(tmp_path)
    signed = bulk_intent(3, first, EIGHT_BITS)
    keys = intent_keys(3)
    assert signed.raw == sign(signed.message, keys.signing, params=EIGHT_BITS).raw
    assert first.minted == 1
    first.save()
    again = WorkCache(tmp_path)  # a later run reads the nonce back
    assert bulk_intent(3, again, EIGHT_BITS).raw == signed.raw
    assert again.minted == 0
    assert validate(signed.raw, now=EPOCH, params=EIGHT_BITS).action is Action.ACCEPT


def test_cached_sealing_gives_the_bytes_seal_offer_makes() -> None:
    intent = bulk_intent(0, WorkCache(None), EIGHT_BITS)
    vendor = derive_vendor_keys(bytes(32))
    offer = sign(
        offer_message(intent, vendor, created=EPOCH, valid_until=EPOCH + 3600), vendor.signing
    )
    ephemeral, outer_seed = bytes(range(32)), bytes(range(32, 64))
    draws = iter([ephemeral, derive(outer_seed, "intent-sign", 0)])
    expected = seal_offer(
        offer, intent, created=EPOCH, random_bytes=lambda n: next(draws), params=EIGHT_BITS
    )
    cached = WorkCache(None).seal_offer(
        offer, intent, created=EPOCH, ephemeral=ephemeral, outer_seed=outer_seed, params=EIGHT_BITS
    )
    assert cached.raw == expected.raw


@pytest.mark.parametrize("bits", [0, 1, 8])
def test_junk_is_refused_at_any_difficulty(bits: int) -> None:
    params = NetworkParams(pow_bits=dict.fromkeys(LOW_WORK.pow_bits, bits))
    junk = Junk(WorkCache(None), params)
    reasons = set()
    raws = set()
    for i in range(600):
        raw = junk(i)
        raws.add(raw)
        verdict = validate(raw, now=EPOCH + 10, params=params)
        assert verdict.action is Action.REJECT, (i, verdict)
        reasons.add(str(verdict.reason))
    assert len(raws) == 600  # each one new to every seen cache
    expected = {"bad-signature", "malformed-envelope"}
    if bits:
        expected.add("insufficient-work")
    assert reasons == expected
    assert Kind.INTENT in params.pow_bits
