"""``python -m benchmarks validate [--json]``: the message pipeline against
the bare cryptography it cannot avoid.

Measured side by side, interleaved, in one run:

- ``verify_us``: bare PyNaCl ``VerifyKey(signer).verify`` of the intent's
  signed bytes (same size as the message);
- ``validate_intent_us``: our full ``validate()`` of the same valid intent
  (size, decode, kind, proof of work, signature, schema, canonical form,
  time, expiry, semantic checks) — minting excluded;
- ``open_offer_us``: ``open_offer()`` of a sealed offer (unseal, decode,
  verify the vendor's signature, schema, canonical form, binding to the
  intent) against ``open_offer_floor_us``: bare ``SealedBox.decrypt`` plus
  ``VerifyKey.verify`` of the same bytes;
- ``validate_rating_us``: ``validate()`` of a rating (its receipt
  validated inside) against ``rating_floor_us``: the two bare verifies it
  cannot avoid (the rating's and the receipt's signature);
- mint cost of proof of work at the default difficulty (mean, p50, p99).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from nacl.public import SealedBox
from nacl.signing import VerifyKey

from benchmarks.harness import interleaved, report
from intentcast.protocol import (
    DEFAULT_PARAMS,
    Intent,
    Kind,
    derive_intent_keys,
    derive_vendor_keys,
    open_offer,
    seal_offer,
    sign,
    validate,
)
from intentcast.protocol.encoding import decode_envelope, signing_input
from tests.protocol import builders as b


def mint_cost_ms(intent: Intent, key_seed: bytes, count: int) -> list[float]:
    keys = derive_intent_keys(key_seed, 0)
    times = []
    for revision in range(count):
        start = time.perf_counter()
        sign(replace(intent, revision=revision + 1), keys.signing, params=DEFAULT_PARAMS)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks validate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--number", type=int, default=2000, help="calls per round")
    parser.add_argument("--mints", type=int, default=40, help="intents to mint for the mint cost")
    args = parser.parse_args(argv)

    keys = b.customer_keys()
    vkeys = derive_vendor_keys(b.VENDOR_SEED)
    intent = b.signed_intent(keys, params=DEFAULT_PARAMS)
    offer = b.signed_offer(intent, vkeys)
    sealed = seal_offer(
        offer, intent, created=b.NOW + 60, random_bytes=b.rng(1), params=DEFAULT_PARAMS
    )
    now = b.NOW + 600
    assert validate(intent.raw, now=now).accepted
    assert open_offer(sealed, keys.reply, now=now).accepted

    env = decode_envelope(intent.raw)
    data = signing_input(env.kind, env.body)
    inner = decode_envelope(offer.raw)
    inner_data = signing_input(inner.kind, inner.body)
    box = sealed.message.box
    reply = keys.reply
    accept = b.signed_accept(intent, offer, keys)
    receipt = b.signed_receipt(accept, vkeys)
    rating = b.signed_rating(receipt, keys, params=DEFAULT_PARAMS, created=b.NOW + 500)
    assert validate(rating.raw, now=now).accepted
    r_env, rc_env = decode_envelope(rating.raw), decode_envelope(receipt.raw)
    r_data, rc_data = signing_input(r_env.kind, r_env.body), signing_input(rc_env.kind, rc_env.body)

    def bare_rating() -> None:
        VerifyKey(r_env.signer).verify(r_data, r_env.signature)
        VerifyKey(rc_env.signer).verify(rc_data, rc_env.signature)

    def bare_verify() -> None:
        VerifyKey(env.signer).verify(data, env.signature)

    def bare_open() -> None:
        SealedBox(reply).decrypt(box)
        VerifyKey(inner.signer).verify(inner_data, inner.signature)

    us = interleaved(
        {
            "verify": bare_verify,
            "validate_intent": lambda: validate(intent.raw, now=now),
            "open_offer_floor": bare_open,
            "open_offer": lambda: open_offer(sealed, reply, now=now),
            "rating_floor": bare_rating,
            "validate_rating": lambda: validate(rating.raw, now=now),
        },
        number=args.number,
    )
    mints = mint_cost_ms(intent.message, bytes(32), args.mints)
    figures: dict[str, object] = {
        "intent_bytes": len(intent.raw),
        "sealed_offer_bytes": len(sealed.raw),
        "verify_us": round(us["verify"], 2),
        "validate_intent_us": round(us["validate_intent"], 2),
        "validate_vs_verify": round(us["validate_intent"] / us["verify"], 3),
        "open_offer_floor_us": round(us["open_offer_floor"], 2),
        "open_offer_us": round(us["open_offer"], 2),
        "open_offer_vs_floor": round(us["open_offer"] / us["open_offer_floor"], 3),
        "rating_bytes": len(rating.raw),
        "rating_floor_us": round(us["rating_floor"], 2),
        "validate_rating_us": round(us["validate_rating"], 2),
        "validate_rating_vs_floor": round(us["validate_rating"] / us["rating_floor"], 3),
        "intent_pow_bits": DEFAULT_PARAMS.work_for(Kind.INTENT),
        "mint_intent_ms_mean": round(statistics.mean(mints), 1),
        "mint_intent_ms_p50": round(statistics.median(mints), 1),
        "mint_intent_ms_p99": round(sorted(mints)[int(0.99 * (len(mints) - 1))], 1),
    }
    report("validate", figures, as_json=args.json)
    return 0
