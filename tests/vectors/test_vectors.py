"""The stored interop vectors still match this implementation byte for byte."""

from __future__ import annotations

import json

from nacl.public import PrivateKey, SealedBox

from intentcast.peer import topics
from intentcast.protocol import (
    GOSSIP_KINDS,
    Kind,
    Layer,
    NetworkParams,
    derive_intent_keys,
    derive_vendor_keys,
    message_id,
    validate,
)
from intentcast.protocol.keys import derive
from intentcast.protocol.kinds import RESERVED_KINDS

from .generate import PATH, render

STORED = json.loads(PATH.read_text())


def test_regenerated_vectors_equal_the_stored_file() -> None:
    assert render() == PATH.read_text(), "wire format changed: regenerate and review the diff"


def test_every_kind_but_the_reserved_has_a_vector() -> None:
    kinds = {m["kind"] for m in STORED["messages"]}
    assert kinds == {k.value for k in Kind} - {k.value for k in RESERVED_KINDS}


def test_every_vector_envelope_validates_and_hashes_to_its_id() -> None:
    params = NetworkParams(pow_bits={Kind(k): v for k, v in STORED["params"]["pow_bits"].items()})
    for m in STORED["messages"]:
        raw = bytes.fromhex(m["envelope_hex"])
        assert message_id(raw).hex() == m["id_hex"]
        layer = Layer.GOSSIP if Kind(m["kind"]) in GOSSIP_KINDS else Layer.SEALED
        verdict = validate(raw, now=STORED["now"], params=params, layer=layer)
        assert verdict.accepted, (m["name"], str(verdict))


def test_key_vectors() -> None:
    keys = STORED["keys"]
    seed = bytes.fromhex(keys["customer_seed_hex"])
    k = derive_intent_keys(seed, keys["intent_counter"])
    assert k.intent_key.hex() == keys["intent_key_hex"]
    v = derive_vendor_keys(bytes.fromhex(keys["vendor_seed_hex"]))
    assert v.vendor_key.hex() == keys["vendor_key_hex"]
    for entry in STORED["kdf"]:
        out = derive(bytes.fromhex(entry["seed_hex"]), entry["label"], int(entry["counter"]))
        assert out.hex() == entry["output_hex"]


def test_offer_bucket_vectors() -> None:
    v = STORED["offer_buckets"]
    assert v["buckets"] == topics.BUCKETS
    seed = bytes.fromhex(STORED["keys"]["customer_seed_hex"])
    for entry in v["intents"]:
        key = derive_intent_keys(seed, entry["intent_counter"]).intent_key
        assert key.hex() == entry["intent_key_hex"]
        assert topics.bucket(key) == entry["bucket"]
        assert topics.offers(key) == entry["topic"] == f"intentcast/1/offers/{entry['bucket']}"


def test_sealed_box_vector_opens_with_libsodium() -> None:
    s = STORED["sealed_box"]
    box = SealedBox(PrivateKey(bytes.fromhex(s["recipient_secret_hex"])))
    assert box.decrypt(bytes.fromhex(s["box_hex"])).hex() == s["plaintext_hex"]


def test_the_thread_vector_opens_on_its_thread_and_its_tags_are_the_documented_hash() -> None:
    from intentcast.protocol import Side, open_thread, thread_tag
    from tests.protocol import builders as b

    entry = next(m for m in STORED["messages"] if m["name"] == "sealed-deal/thread")
    key = bytes.fromhex(entry["thread_key_hex"])
    for name, tag in entry["thread_tags_hex"].items():
        side, seq = name.split("/")
        assert thread_tag(key, Side(side), int(seq)).hex() == tag
    params = NetworkParams(pow_bits={Kind(k): v for k, v in STORED["params"]["pow_bits"].items()})
    outer = validate(bytes.fromhex(entry["envelope_hex"]), now=STORED["now"], params=params)
    assert outer.signed is not None
    secret = b.vendor_keys().reply
    opened = open_thread(
        outer.signed, secret, thread_key=key, sender=Side.CUSTOMER, now=STORED["now"], params=params
    )
    assert opened.signed is not None and opened.signed.raw.hex() == entry["inner_envelope_hex"]
