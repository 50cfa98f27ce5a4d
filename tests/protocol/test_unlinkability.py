"""Unlinkability, checked on real signed bytes: what a third party who
holds none of the keys can read in the gossiped envelopes.

- Two intents of one customer share no key material: any byte they share
  is plaintext the customer wrote (docs/privacy.md, "Who learns what").
- A sealed offer names no vendor, and says nothing about the vendor in the
  clear; two offers of one vendor share no key bytes.
- A sealed accept, confirm or decline shows only its routing tag, which
  appears in no other public message.

"Shares no key material" is checked as: no 8-byte substring of one
message's keys or signature appears anywhere in the other message's bytes.
Eight random bytes recur by chance with probability about 2^-64 per
position; anything derived from a common secret would show up.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from nacl.public import PrivateKey

from intentcast.protocol import (
    PAD_BUCKETS,
    Kind,
    NetworkParams,
    SealError,
    Signed,
    decode_envelope,
    derive_intent_keys,
    padded_length,
    seal_offer,
    unseal,
)
from intentcast.protocol.encoding import pack, unpack

from .builders import (
    CUSTOMER_SEED,
    DAY,
    NOW,
    VENDOR_SEED,
    rng,
    sealed_deal,
    signed_accept,
    signed_confirm,
    signed_decline,
    signed_intent,
    signed_offer,
    signed_profile,
    signed_withdraw,
    vendor_keys,
)

#: A little real proof of work, so nonces are in the bytes as on the network.
LOW_WORK = NetworkParams(
    pow_bits={k: 6 for k in (Kind.INTENT, Kind.WITHDRAW, Kind.SEALED_OFFER, Kind.SEALED_DEAL)}
)
WINDOW = 8


def windows(data: bytes, n: int = WINDOW) -> set[bytes]:
    return {data[i : i + n] for i in range(len(data) - n + 1)}


def leaked(material: bytes, into: bytes, n: int = WINDOW) -> set[bytes]:
    """Every n-byte substring of ``material`` that occurs in ``into``."""
    return {w for w in windows(material, n) if w in into}


def key_material(signed: Signed[Any]) -> bytes:
    """The bytes of a message that come from keys: signer and signature (and,
    for an intent, its reply key)."""
    envelope = decode_envelope(signed.raw)
    reply = getattr(signed.message, "reply_key", b"")
    return envelope.signer + envelope.signature + reply


def body_of(signed: Signed[Any]) -> dict[str, Any]:
    body = unpack(decode_envelope(signed.raw).body)
    assert isinstance(body, dict)
    return body


# --- a customer's intents ----------------------------------------------------


def customer_intents(n: int, **changes: Any) -> list[Signed[Any]]:
    """Intents 0..n-1 of one customer seed, identical in everything they say."""
    return [
        signed_intent(derive_intent_keys(CUSTOMER_SEED, c), params=LOW_WORK, **changes)
        for c in range(n)
    ]


def test_two_intents_of_one_customer_differ_only_in_key_derived_bytes() -> None:
    """The same wish posted twice: an observer comparing the bytes finds the
    keys, signature and work nonce different, and nothing else at all."""
    a, b = customer_intents(2)
    env_a, env_b = decode_envelope(a.raw), decode_envelope(b.raw)
    body_a, body_b = body_of(a), body_of(b)
    assert {k for k in body_a if body_a[k] != body_b[k]} == {"reply", "pow"}
    assert env_a.signer != env_b.signer and env_a.signature != env_b.signature
    assert a.id != b.id
    # Masking the key-derived fields leaves byte-identical envelopes.
    masked = [
        pack((1, "intent", pack({**body, "reply": bytes(32), "pow": bytes(8)}), b"", b""))
        for body in (body_a, body_b)
    ]
    assert masked[0] == masked[1]


def test_intents_of_one_customer_share_no_key_material() -> None:
    intents = customer_intents(12)
    for i, a in enumerate(intents):
        for b in intents[i + 1 :]:
            assert not leaked(key_material(a), b.raw), (a.id.hex(), b.id.hex())
            assert not leaked(key_material(b), a.raw)


def test_intents_of_one_customer_carry_no_counter_or_seed() -> None:
    counter = 4_000_000_123  # distinctive: its encodings cannot appear by chance
    intent = signed_intent(derive_intent_keys(CUSTOMER_SEED, counter), params=LOW_WORK)
    for encoded in (counter.to_bytes(8, "big"), counter.to_bytes(4, "big"), pack(counter)):
        assert encoded not in intent.raw
    assert not leaked(CUSTOMER_SEED, intent.raw)


def test_withdrawals_of_two_intents_share_no_key_material() -> None:
    k0, k1 = derive_intent_keys(CUSTOMER_SEED, 0), derive_intent_keys(CUSTOMER_SEED, 1)
    w0, w1 = signed_withdraw(k0, params=LOW_WORK), signed_withdraw(k1, params=LOW_WORK)
    assert not leaked(key_material(w0), w1.raw) and not leaked(key_material(w1), w0.raw)
    intent_1 = signed_intent(k1, params=LOW_WORK)
    assert not leaked(key_material(w0), intent_1.raw)


# --- sealed offers -----------------------------------------------------------


def vendor_identity(seed: bytes = VENDOR_SEED) -> dict[str, bytes]:
    """Everything public that names a vendor: its keys and profile text."""
    vkeys = vendor_keys(seed)
    profile = signed_profile(vkeys).message
    return {
        "vendor key": vkeys.vendor_key,
        "vendor reply key": vkeys.reply_public,
        "name": profile.name.encode(),
        "description": profile.description.encode(),
        "url": profile.url.encode(),
    }


def sealed(offer: Signed[Any], intent: Signed[Any], seed: int) -> Signed[Any]:
    """Sealed as the node does, with fresh random bytes per offer."""
    return seal_offer(offer, intent, created=NOW + 60, random_bytes=rng(seed), params=LOW_WORK)


def test_a_sealed_offer_names_no_vendor() -> None:
    intent = signed_intent()
    offer = signed_offer(intent)
    outer = sealed(offer, intent, 11)
    assert outer.signer != offer.signer
    for what, value in vendor_identity().items():
        assert not leaked(value, outer.raw), what
    assert b"Pixel Palace" not in outer.raw
    # The vendor's signature, the offer's own id (the accept's routing tag)
    # and the item stay inside the box.
    assert not leaked(decode_envelope(offer.raw).signature, outer.raw)
    assert offer.id not in outer.raw
    for text in (offer.message.item.title, offer.message.item.sku):
        assert text.encode() not in outer.raw
    # The box is ciphertext: no 8 bytes of the offer envelope survive in it.
    assert not leaked(offer.raw, body_of(outer)["box"])


def test_in_the_clear_offers_of_two_vendors_differ_only_in_the_sealed_parts() -> None:
    """Two vendors with different prices and validity answer one intent: the
    outer bodies differ in the box and the work nonce only. In particular the
    outer expiry is the intent's, not the vendor's chosen validity, which
    would mark every offer of a vendor with an unusual validity."""
    intent = signed_intent()
    other = vendor_keys(bytes(range(200, 232)))
    a = sealed(signed_offer(intent), intent, 11)
    b = sealed(
        signed_offer(
            intent, other, vendor_name="Phone Bazaar", price=26_000, valid_until=NOW + DAY
        ),
        intent,
        12,
    )
    body_a, body_b = body_of(a), body_of(b)
    assert {k for k in body_a if body_a[k] != body_b[k]} == {"box", "pow"}
    assert body_a["expires"] == intent.message.expires


def test_two_offers_of_one_vendor_share_no_key_bytes() -> None:
    vkeys = vendor_keys()
    intent_a = signed_intent(derive_intent_keys(CUSTOMER_SEED, 0))
    intent_b = signed_intent(derive_intent_keys(bytes(32), 0), title="Kindle Paperwhite")
    a = sealed(signed_offer(intent_a, vkeys), intent_a, 11)
    b = sealed(signed_offer(intent_b, vkeys), intent_b, 12)

    def outer_keys(s: Signed[Any]) -> bytes:
        ephemeral: bytes = body_of(s)["box"][:32]  # the box's one-time X25519 public key
        return key_material(s) + ephemeral

    assert a.signer != b.signer
    assert not leaked(outer_keys(a), b.raw) and not leaked(outer_keys(b), a.raw)


# --- sealed deals ------------------------------------------------------------


def deal_world() -> dict[str, Any]:
    keys = derive_intent_keys(CUSTOMER_SEED, 3)
    vkeys = vendor_keys()
    intent = signed_intent(keys)
    offer = signed_offer(intent, vkeys)
    accept = signed_accept(intent, offer, keys)
    confirm = signed_confirm(accept, offer, vkeys)
    decline = signed_decline(accept, offer, vkeys)
    reply = intent.message.reply_key
    return {
        "keys": keys,
        "vkeys": vkeys,
        "intent": intent,
        "offer": offer,
        "sealed_offer": sealed(offer, intent, 11),
        "accept": accept,
        "sealed_accept": sealed_deal(accept, to=offer.id, recipient=vkeys.reply_public),
        "sealed_confirm": sealed_deal(confirm, to=accept.id, recipient=reply),
        "sealed_decline": sealed_deal(decline, to=accept.id, recipient=reply),
    }


@pytest.mark.parametrize("which", ["sealed_accept", "sealed_confirm", "sealed_decline"])
def test_a_sealed_deal_shows_a_third_party_nothing_but_its_tag(which: str) -> None:
    w = deal_world()
    outer: Signed[Any] = w[which]
    secrets = {
        "intent key": w["keys"].intent_key,
        "intent reply key": w["intent"].message.reply_key,
        "intent id": w["intent"].id,
        "vendor key": w["vkeys"].vendor_key,
        "vendor reply key": w["vkeys"].reply_public,
        "customer's contact": b"alice@example.org",
        "customer's address": b"Hauptstr. 1, 10115 Berlin",
        "vendor's note": b"Ships tomorrow.",
        "vendor's reason": b"Sold out an hour ago.",
        "accept signature": decode_envelope(w["accept"].raw).signature,
    }
    for what, value in secrets.items():
        assert not leaked(value, outer.raw), what
    body = body_of(outer)
    assert set(body) == {"to", "box", "created", "expires", "pow"}
    tag = w["offer"].id if which == "sealed_accept" else w["accept"].id
    assert body["to"] == tag
    # Only the tag is readable, and no other public message contains it.
    for public in ("intent", "sealed_offer", "sealed_accept"):
        if public != which:
            assert tag not in w[public].raw, public
    with pytest.raises(SealError):
        unseal(body["box"], PrivateKey(bytes(range(50, 82))))


def test_a_customers_accept_shares_no_key_bytes_with_its_other_intents() -> None:
    w = deal_world()
    other_intents = customer_intents(3)
    for other in other_intents:
        assert not leaked(key_material(w["sealed_accept"]), other.raw)
        assert not leaked(key_material(other), w["sealed_accept"].raw)


def test_leak_check_finds_a_shared_key() -> None:
    """The checks above can fail: an intent that reused another's signing key
    or reply key would be caught."""
    a, _ = customer_intents(2)
    same_signer = signed_intent(derive_intent_keys(CUSTOMER_SEED, 0), title="Another wish")
    same_reply = signed_intent(
        derive_intent_keys(CUSTOMER_SEED, 1), reply_key=a.message.reply_key, title="Another wish"
    )
    assert leaked(key_material(a), same_signer.raw)
    assert leaked(key_material(a), same_reply.raw)


# --- lengths -------------------------------------------------------------------


def test_sealed_offers_of_different_products_and_vendors_in_one_bucket_have_equal_length() -> None:
    """Without padding one vendor's offer for one item sealed to the same
    length for every intent (545 bytes; another vendor name: 550), so its
    offers could be told apart by length. Padded, every offer of a size
    class seals to one length."""
    intent = signed_intent()
    other = vendor_keys(bytes(range(200, 232)))
    a_offer = signed_offer(intent)
    b_offer = signed_offer(
        intent,
        other,
        vendor_name="Phone Bazaar and Sons",
        price=26_000,
        valid_until=NOW + DAY,
        item=replace(a_offer.message.item, title="Galaxy S23, 128 GB, black", sku="SAM-S23"),
    )
    assert len(a_offer.raw) != len(b_offer.raw)
    assert padded_length(len(a_offer.raw)) == padded_length(len(b_offer.raw))
    a, b = sealed(a_offer, intent, 11), sealed(b_offer, intent, 12)
    assert len(body_of(a)["box"]) == len(body_of(b)["box"])
    assert len(a.raw) == len(b.raw)


def test_every_sealed_box_length_is_a_bucket_plus_the_seal() -> None:
    w = deal_world()
    lengths = {
        len(body_of(w[k])["box"]) - 48
        for k in ("sealed_offer", "sealed_accept", "sealed_confirm", "sealed_decline")
    }
    assert lengths <= set(PAD_BUCKETS)
    # A confirm and a decline (different texts, different lengths) look the same.
    assert len(w["sealed_confirm"].raw) == len(w["sealed_decline"].raw)


# --- relationships after the deal ------------------------------------------------


def relationship(counter: int, vendor_seed: bytes = VENDOR_SEED) -> dict[str, Any]:
    """One confirmed deal of the customer seed's intent ``counter`` and the
    customer's update of her address to its vendor, sealed on its thread."""
    from intentcast.protocol import ProfileUpdate, Side, seal_thread, sign

    keys = derive_intent_keys(CUSTOMER_SEED, counter)
    vkeys = vendor_keys(vendor_seed)
    intent = signed_intent(keys)
    offer = signed_offer(intent, vkeys)
    accept = signed_accept(intent, offer, keys)
    confirm = signed_confirm(accept, offer, vkeys)
    new_address = "Neue Str. 2, 10115 Berlin"
    messages = [
        sign(
            ProfileUpdate(
                deal=accept.id, seq=seq, created=NOW + 900, field="shipping", value=new_address
            ),
            keys.signing,
        )
        for seq in range(3)
    ]
    outers = [
        seal_thread(
            m,
            thread_key=confirm.id,
            sender=Side.CUSTOMER,
            recipient=vkeys.reply_public,
            created=NOW + 900,
            expires=NOW + DAY,
            random_bytes=rng(100 + counter * 10 + m.message.seq),
            params=LOW_WORK,
        )
        for m in messages
    ]
    return {"keys": keys, "vkeys": vkeys, "intent": intent, "offer": offer, "accept": accept,
            "confirm": confirm, "messages": messages, "outers": outers}  # fmt: skip


def test_two_relationships_of_one_customer_share_no_field() -> None:
    """The same address change sent to two vendors (two deals of one
    customer): no key byte, tag, id or plaintext of one appears in the
    other's outer, and the outers say nothing but a tag and a box."""
    a = relationship(4)
    b = relationship(5, bytes(range(200, 232)))
    for mine, theirs in ((a, b), (b, a)):
        for outer in mine["outers"]:
            body = body_of(outer)
            assert set(body) == {"to", "box", "created", "expires", "pow"}
            secrets = {
                "intent key": theirs["keys"].intent_key,
                "intent reply key": theirs["intent"].message.reply_key,
                "accept id": theirs["accept"].id,
                "confirm id": theirs["confirm"].id,
                "vendor key": theirs["vkeys"].vendor_key,
                "own intent key": mine["keys"].intent_key,
                "own accept id": mine["accept"].id,
                "own confirm id": mine["confirm"].id,
                "the new address": b"Neue Str. 2",
            }
            for what, value in secrets.items():
                assert not leaked(value, outer.raw), what
            for other in theirs["outers"]:
                assert not leaked(key_material(other), outer.raw)
                assert body["to"] != body_of(other)["to"]


def test_a_relationships_tags_are_fresh_per_message_and_appear_nowhere_else() -> None:
    r = relationship(6)
    tags = [body_of(o)["to"] for o in r["outers"]]
    assert len(set(tags)) == len(tags)
    public = [r["intent"], sealed(r["offer"], r["intent"], 11)]
    public.append(sealed_deal(r["accept"], to=r["offer"].id, recipient=r["vkeys"].reply_public))
    public.append(
        sealed_deal(r["confirm"], to=r["accept"].id, recipient=r["intent"].message.reply_key)
    )
    for tag in tags:
        for message in public:
            assert tag not in message.raw
    # The tag is no function of anything in the clear: not the accept id
    # (the confirm's public tag) alone.
    assert all(tag != r["accept"].id for tag in tags)


def test_relationship_messages_seal_to_bucket_lengths_like_deals() -> None:
    """A profile update, a short message, a forget request and an
    acknowledgement seal to the smallest bucket, as a confirm does: on the
    wire they are sealed deals of the same length (a long text moves a
    message up a bucket by its size, never by its kind)."""
    from intentcast.protocol import DealAck, DealMessage, Forget, Side, seal_thread, sign

    r = relationship(7)
    w = deal_world()
    at, d = NOW + 900, r["accept"].id
    inner = [
        *r["messages"],
        sign(DealMessage(deal=d, seq=3, created=at, type="status", text="Where is it?"),
             r["keys"].signing),
        sign(Forget(deal=d, seq=4, created=at), r["keys"].signing),
        sign(DealAck(deal=d, seq=0, created=at, of=d, fields=("shipping",), deleted=at),
             r["vkeys"].signing),
    ]  # fmt: skip
    lengths = set()
    for m in inner:
        side = Side.VENDOR if m.kind is Kind.DEAL_ACK else Side.CUSTOMER
        outer = seal_thread(
            m, thread_key=r["confirm"].id, sender=side, recipient=r["vkeys"].reply_public,
            created=at, expires=at + DAY, random_bytes=rng(3), params=LOW_WORK,
        )  # fmt: skip
        lengths.add(len(body_of(outer)["box"]) - 48)
    assert lengths <= set(PAD_BUCKETS)
    assert lengths == {len(body_of(w["sealed_confirm"])["box"]) - 48}
