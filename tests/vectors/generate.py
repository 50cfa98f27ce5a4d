"""Generate the interoperability test vectors: ``python -m tests.vectors.generate``.

Writes, deterministically (tests/vectors/README.md describes the format):

- ``vectors.json``: keys, bodies, envelopes, ids and signatures for every
  message kind, plus KDF, sealed-box, proof-of-work and offer-bucket
  vectors;
- ``cases.json``: every validation case, valid and invalid, each with the
  verdict and reason the specification gives it, opening sealed messages,
  and key files (built by :mod:`conformance.cases`);
- ``frames.json``: sync and stem frames, valid and invalid
  (:mod:`conformance.frames`).

``tests/vectors/test_vectors.py`` and ``test_cases.py`` check that this
code still produces exactly these files and agrees with every expectation
in them, so another implementation can test against the same files
(``python -m conformance vectors --adapter CMD``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from intentcast.peer import topics
from intentcast.protocol import DEFAULT_PARAMS, Signed, derive_intent_keys, seal
from intentcast.protocol.encoding import decode_envelope, leading_zero_bits, work_hash
from intentcast.protocol.keys import derive
from tests.protocol import builders as b

PATH = Path(__file__).with_name("vectors.json")
CASES_PATH = Path(__file__).with_name("cases.json")
FRAMES_PATH = Path(__file__).with_name("frames.json")
#: Integers beyond this are written as decimal strings: JSON readers that
#: parse numbers as doubles (JavaScript's) would round them.
JSON_SAFE = 2**53


class RecordingRandom:
    """A seeded byte source that remembers what it handed out."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self.handed_out: list[str] = []

    def __call__(self, n: int) -> bytes:
        data = self._rng.randbytes(n)
        self.handed_out.append(data.hex())
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _entry(name: str, signed: Signed[Any], note: str, **extra: Any) -> dict[str, Any]:
    env = decode_envelope(signed.raw)
    entry: dict[str, Any] = {
        "name": name,
        "kind": signed.kind.value,
        "note": note,
        "body_fields": _jsonable(signed.message.to_body()),
        "body_hex": env.body.hex(),
        "signer_hex": env.signer.hex(),
        "signature_hex": env.signature.hex(),
        "envelope_hex": signed.raw.hex(),
        "id_hex": signed.id.hex(),
    }
    bits = DEFAULT_PARAMS.work_for(signed.kind)
    if bits:
        entry["work_bits_required"] = bits
        entry["work_hash_hex"] = work_hash(env.kind, env.signer, env.body).hex()
    entry.update(extra)
    return entry


def build() -> dict[str, Any]:
    params = DEFAULT_PARAMS
    keys = b.customer_keys(0)
    vkeys = b.vendor_keys()
    intent = b.signed_intent(keys, params=params)
    offer = b.signed_offer(intent, vkeys)
    offer_rng = RecordingRandom(1)
    from intentcast.protocol import seal_deal, seal_offer

    sealed = seal_offer(offer, intent, created=b.NOW + 60, random_bytes=offer_rng, params=params)
    accept = b.signed_accept(intent, offer, keys)
    accept_rng = RecordingRandom(2)
    sealed_accept = seal_deal(
        accept,
        to=offer.id,
        recipient=offer.message.reply_key,
        created=b.NOW + 300,
        expires=b.NOW + b.DAY,
        random_bytes=accept_rng,
        params=params,
    )
    confirm = b.signed_confirm(accept, offer, vkeys)
    decline = b.signed_decline(accept, offer, vkeys)
    withdraw = b.signed_withdraw(keys, params=params)
    thread = _thread(accept, confirm, offer, keys, vkeys)
    profile = b.signed_profile(vkeys, params=params)
    receipt = b.signed_receipt(accept, vkeys)
    rating = b.signed_rating(receipt, keys, params=params, created=b.NOW + 500)
    reply = b.signed_rating_reply(accept.id, vkeys, params=params, created=b.NOW + 500)

    kdf = [
        {
            "seed_hex": b.CUSTOMER_SEED.hex(),
            "label": label,
            "counter": counter if counter <= JSON_SAFE else str(counter),
            "output_hex": derive(b.CUSTOMER_SEED, label, counter).hex(),
        }
        for label, counter in [
            ("intent-sign", 0),
            ("intent-reply", 0),
            ("intent-sign", 1),
            ("intent-reply", 2**64 - 1),
        ]
    ]
    k0 = derive_intent_keys(b.CUSTOMER_SEED, 0)
    seal_vector = {
        "recipient_public_hex": k0.reply_public.hex(),
        "recipient_secret_hex": bytes(k0.reply).hex(),
        "ephemeral_secret_hex": bytes(range(32, 64)).hex(),
        "plaintext_hex": b"intentcast sealed box vector".hex(),
        "box_hex": seal(
            b"intentcast sealed box vector", k0.reply_public, bytes(range(32, 64))
        ).hex(),
    }
    env = decode_envelope(intent.raw)
    # The offer bucket of an intent key (wire.md, section 3): the topic its
    # sealed offers travel on.
    offer_buckets = []
    for counter in range(8):
        key = derive_intent_keys(b.CUSTOMER_SEED, counter).intent_key
        offer_buckets.append(
            {
                "intent_counter": counter,
                "intent_key_hex": key.hex(),
                "bucket": topics.bucket(key),
                "topic": topics.offers(key),
            }
        )
    return {
        "description": "intentcast wire format v1 test vectors; see docs/protocol.md",
        "now": b.NOW + 600,
        "params": {
            "pow_bits": {k.value: v for k, v in params.pow_bits.items()},
            "max_clock_skew": params.max_clock_skew,
        },
        "keys": {
            "customer_seed_hex": b.CUSTOMER_SEED.hex(),
            "intent_counter": 0,
            "intent_key_hex": keys.intent_key.hex(),
            "intent_reply_public_hex": keys.reply_public.hex(),
            "vendor_seed_hex": b.VENDOR_SEED.hex(),
            "vendor_key_hex": vkeys.vendor_key.hex(),
            "vendor_reply_public_hex": vkeys.reply_public.hex(),
        },
        "kdf": kdf,
        "sealed_box": seal_vector,
        "offer_buckets": {"buckets": topics.BUCKETS, "intents": offer_buckets},
        "proof_of_work": {
            "kind": env.kind.value,
            "signer_hex": env.signer.hex(),
            "body_hex": env.body.hex(),
            "work_hash_hex": work_hash(env.kind, env.signer, env.body).hex(),
            "leading_zero_bits": leading_zero_bits(work_hash(env.kind, env.signer, env.body)),
        },
        "messages": [
            _entry("intent", intent, "signed by the intent key (customer seed, counter 0)"),
            _entry("withdraw", withdraw, "signed by the intent key"),
            _entry("offer", offer, "inner offer, signed by the vendor key"),
            _entry(
                "sealed-offer",
                sealed,
                "the offer envelope sealed to the intent's reply key",
                random_bytes_used_hex=offer_rng.handed_out,
                random_bytes_use="[0] ephemeral X25519 secret of the box, "
                "[1] Ed25519 seed of the one-time outer signing key",
                inner_envelope_hex=offer.raw.hex(),
            ),
            _entry("accept", accept, "inner accept, signed by the intent key"),
            _entry(
                "sealed-deal",
                sealed_accept,
                "the accept sealed to the offer's reply key",
                random_bytes_used_hex=accept_rng.handed_out,
                inner_envelope_hex=accept.raw.hex(),
            ),
            _entry("confirm", confirm, "inner confirm, signed by the vendor key, with its receipt"),
            _entry("receipt", receipt, "the receipt inside the confirm, signed by the vendor key"),
            _entry("rating", rating, "a rating of the deal, signed by the intent key"),
            _entry("rating-reply", reply, "the vendor's reply, signed by the vendor key"),
            _entry("decline", decline, "inner decline, signed by the vendor key"),
            _entry("vendor-profile", profile, "signed by the vendor key"),
            *thread,
        ],
    }


def _thread(accept: Any, confirm: Any, offer: Any, keys: Any, vkeys: Any) -> list[dict[str, Any]]:
    """The relationship messages of the vectors' deal, and one sealed on its
    thread (keyed by the confirm's id)."""
    from intentcast.protocol import (
        DealAck,
        DealMessage,
        Forget,
        ProfileUpdate,
        Side,
        seal_thread,
        sign,
        thread_tag,
    )

    at = b.NOW + 400
    message = sign(
        DealMessage(deal=accept.id, seq=0, created=at, type="status", text="Where is it?"),
        keys.signing,
    )
    update = sign(
        ProfileUpdate(deal=accept.id, seq=1, created=at, field="phone", value="+49 30 1234"),
        keys.signing,
    )
    forget = sign(Forget(deal=accept.id, seq=2, created=at), keys.signing)
    ack = sign(
        DealAck(deal=accept.id, seq=0, created=at + 60, of=update.id, fields=("phone",)),
        vkeys.signing,
    )
    rng = RecordingRandom(3)
    sealed = seal_thread(
        update,
        thread_key=confirm.id,
        sender=Side.CUSTOMER,
        recipient=offer.message.reply_key,
        created=at,
        expires=at + b.DAY,
        random_bytes=rng,
    )
    return [
        _entry("deal-message", message, "inner, signed by the intent key: the customer asks"),
        _entry(
            "profile-update",
            update,
            "inner, signed by the intent key: the customer's new phone number",
        ),
        _entry("forget", forget, "inner, signed by the intent key"),
        _entry("deal-ack", ack, "inner, signed by the vendor key: acknowledges the update"),
        _entry(
            "sealed-deal/thread",
            sealed,
            "the profile-update sealed to the offer's reply key on the deal's thread",
            random_bytes_used_hex=rng.handed_out,
            inner_envelope_hex=update.raw.hex(),
            thread_key_hex=confirm.id.hex(),
            thread_tags_hex={
                f"{side.value}/{seq}": thread_tag(confirm.id, side, seq).hex()
                for side in Side
                for seq in (0, 1, 2)
            },
        ),
    ]


def build_cases() -> dict[str, Any]:
    from conformance import cases

    params = cases.CASE_PARAMS
    return {
        "description": "intentcast wire format v1 conformance cases; see tests/vectors/README.md",
        "spec": "docs/protocol.md",
        "now": cases.CHECK_NOW,
        "params": {
            "pow_bits": {k.value: v for k, v in params.pow_bits.items()},
            "max_clock_skew": params.max_clock_skew,
        },
        "cases": [cases.to_json(c) for c in cases.build(cases.NOW, params)],
    }


def build_frames() -> dict[str, Any]:
    from conformance import frames

    return {
        "description": "intentcast sync and stem frames; see docs/wire.md",
        "cases": frames.build(),
    }


def render(build_fn: Callable[[], dict[str, Any]] = build) -> str:
    return json.dumps(build_fn(), indent=2, ensure_ascii=False) + "\n"


OUTPUTS: dict[Path, Callable[[], dict[str, Any]]] = {
    PATH: build,
    CASES_PATH: build_cases,
    FRAMES_PATH: build_frames,
}


def main() -> None:
    for path, fn in OUTPUTS.items():
        path.write_text(render(fn))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
