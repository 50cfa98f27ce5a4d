"""Every message case of the conformance suite, built deterministically for
a given ``now`` and network parameters.

A case is one envelope (or sealed box, or key file) and the verdict the
specification (docs/protocol.md, section 8) says it gets. Expectations are
written here by hand, from the specification; the tests check that the
reference implementation agrees with every one, so neither can drift.

Invalid envelopes are built the way a buggy or hostile peer would: a valid
body changed in exactly one way, re-encoded, given the proof of work its
kind needs and signed correctly, so that every check before the one a case
is about passes. A few cases (the "order" group) break two rules at once
to pin down which check comes first.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Final

import msgpack
from nacl.signing import SigningKey

from intentcast.protocol import (
    Accept,
    Confirm,
    DealAck,
    DealMessage,
    Decline,
    Forget,
    Intent,
    Item,
    Kind,
    NetworkParams,
    Offer,
    Preferences,
    ProfileUpdate,
    Rating,
    RatingReply,
    Receipt,
    Side,
    Signed,
    Terms,
    VendorProfile,
    Withdraw,
    derive_intent_keys,
    derive_vendor_keys,
    encode_key_file,
    pad,
    seal,
    seal_deal,
    seal_offer,
    seal_thread,
    sign,
)
from intentcast.protocol.encoding import pack, signing_input
from intentcast.protocol.kinds import RESERVED_KINDS
from intentcast.protocol.sealing import DEAL_PAD_FLOOR

#: ``created`` of the stored vectors, and the ``now`` they are checked at.
NOW: Final = 1_800_000_000
CHECK_NOW: Final = NOW + 600
DAY: Final = 86_400
#: Proof of work of the stored cases: lower than a real network's (a
#: network parameter, docs/protocol.md section 7) so that regenerating
#: them takes a fraction of a second; the adapter is told them per case.
CASE_PARAMS: Final = NetworkParams(
    pow_bits={
        Kind.INTENT: 8,
        Kind.WITHDRAW: 6,
        Kind.SEALED_OFFER: 6,
        Kind.SEALED_DEAL: 6,
        Kind.VENDOR_PROFILE: 8,
        Kind.RATING: 8,
        Kind.RATING_REPLY: 6,
    }
)
CUSTOMER_SEED: Final = bytes(range(32))
VENDOR_SEED: Final = bytes(range(100, 132))
#: Ed25519 group order.
L_ORDER: Final = 2**252 + 27742317777372353535851937790883648493
#: The identity point, canonically encoded (y = 1): a small-order public key.
IDENTITY: Final = (1).to_bytes(32, "little")
#: The identity again, encoded non-canonically (y = p + 1).
IDENTITY_NONCANONICAL: Final = (2**255 - 19 + 1).to_bytes(32, "little")

_MARKER: Final = b"\xa5pow-mk\x5a"


@dataclass(frozen=True, slots=True)
class Expect:
    action: str  # accept | reject | ignore
    reason: str | None = None
    inner_kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "reason": self.reason}
        if self.inner_kind is not None:
            out["inner_kind"] = self.inner_kind
        return out


ACCEPT: Final = Expect("accept")


def reject(reason: str) -> Expect:
    return Expect("reject", reason)


def ignore(reason: str) -> Expect:
    return Expect("ignore", reason)


@dataclass(frozen=True, slots=True)
class Case:
    """One conformance case."""

    name: str
    op: str  # validate | open | key_file
    expect: Expect | dict[str, Any]
    #: The step of docs/protocol.md section 8's table the case is about.
    step: str
    note: str
    kind: str | None = None
    layer: str = "gossip"
    data: bytes = b""
    secret: bytes = b""
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _canon(value: Any) -> Any:
    """Maps with their keys in canonical order (sorted by UTF-8 bytes)."""
    if isinstance(value, dict):
        return {k: _canon(value[k]) for k in sorted(value, key=_key_bytes)}
    return value


def _key_bytes(key: Any) -> bytes:
    return key.encode() if isinstance(key, str) else bytes(key)


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with the dotted ``path`` set to ``value``."""
    out = dict(body)
    head, _, rest = path.partition(".")
    out[head] = _set(out[head], rest, value) if rest else value
    return out


def _drop(body: dict[str, Any], path: str) -> dict[str, Any]:
    out = dict(body)
    head, _, rest = path.partition(".")
    if rest:
        out[head] = _drop(out[head], rest)
    else:
        del out[head]
    return out


def _patch(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with the one occurrence of ``old`` replaced by ``new``."""
    if data.count(old) != 1:
        raise ValueError(f"{old!r} occurs {data.count(old)} times")
    return data.replace(old, new)


def grind(kind: str, signer: bytes, body: bytes, bits: int, *, fail: bool = False) -> bytes:
    """``body`` (holding the 8-byte marker where its nonce goes) with the
    first nonce counting from 0 whose work hash has at least ``bits``
    leading zero bits (or, with ``fail``, fewer)."""
    at = body.find(_MARKER)
    if at < 0:
        return body
    prefix, suffix = body[:at], body[at + 8 :]
    base = hashlib.blake2b(
        b"intentcast/1/pow/" + kind.encode() + b"/" + signer + prefix, digest_size=32
    )
    limit = 1 << (64 - bits)
    counter = 0
    while True:
        nonce = counter.to_bytes(8, "big")
        h = base.copy()
        h.update(nonce + suffix)
        if (int.from_bytes(h.digest()[:8], "big") < limit) != fail:
            return prefix + nonce + suffix
        counter += 1


def envelope(version: Any, kind: Any, body: Any, signer: Any, signature: Any) -> bytes:
    return pack((version, kind, body, signer, signature))


class Builder:
    """Valid messages at ``now``, and forgeries of them."""

    def __init__(
        self, now: int, params: NetworkParams, customer_seed: bytes = CUSTOMER_SEED
    ) -> None:
        """``customer_seed`` makes the intent keys: the vectors' fixed one by
        default; a check of a running node takes a fresh one per run, so a
        withdrawal from an earlier run does not hide this run's intent."""
        self.now = now
        self.params = params
        self.keys = derive_intent_keys(customer_seed, 0)
        self.vkeys = derive_vendor_keys(VENDOR_SEED)
        self.stranger = SigningKey(bytes([7]) * 32)
        self._rng = random.Random(20261203)
        n = now
        self.intent = sign(
            Intent(
                category=("electronics", "phones"),
                title="Used Pixel 8, good battery",
                description="Any colour.\nOriginal charger welcome.",
                attributes={"storage_gb": (128, 256), "color": "black", "min_temp_c": -20},
                quantity=1,
                terms=Terms(
                    max_price=30_000,
                    currency="EUR",
                    region="DE",
                    deliver_by=n + 5 * DAY,
                    customer_terms=("cc:delete-after-deal", "cc:no-tracking"),
                    payment_modes=("name-your-price", "pay-after-delivery", "prepay"),
                    min_rating=300,
                ),
                preferences=Preferences(price=50, speed=20, reputation=20, terms=5, attributes=5),
                reply_key=self.keys.reply_public,
                created=n,
                expires=n + 7 * DAY,
            ),
            self.keys.signing,
            params=params,
        )
        self.withdraw = sign(
            Withdraw(
                intent_key=self.keys.intent_key,
                created=n + 120,
                expires=n + 7 * DAY,
                reason="found one locally",
            ),
            self.keys.signing,
            params=params,
        )
        self.offer = self._offer()
        self.offer_nyp = self._offer(
            payment_modes=("name-your-price", "prepay"), price_floor=24_000
        )
        self.sealed_offer = seal_offer(
            self.offer, self.intent, created=n + 60, random_bytes=self.random, params=params
        )
        self.accept = sign(
            Accept(
                intent_id=self.intent.id,
                offer_id=self.offer_nyp.id,
                payment_mode="name-your-price",
                price=25_000,
                created=n + 300,
                disclosure={"contact": "alice@example.org", "shipping": "Hauptstr. 1, Berlin"},
            ),
            self.keys.signing,
        )
        self.receipt = sign(
            Receipt(
                deal=self.accept.id,
                intent_id=self.intent.id,
                rater=self.keys.intent_key,
                created=n + 400,
            ),
            self.vkeys.signing,
        )
        self.confirm = sign(
            Confirm(
                accept_id=self.accept.id,
                offer_id=self.offer_nyp.id,
                intent_id=self.intent.id,
                created=n + 400,
                note="Ships tomorrow.",
                receipt=self.receipt.raw,
            ),
            self.vkeys.signing,
        )
        self.rating = sign(
            Rating(
                receipt=self.receipt.raw,
                stars=450,
                described=500,
                comms=400,
                text="As described; a day late.",
                created=n + 500,
                expires=n + 200 * DAY,
            ),
            self.keys.signing,
            params=params,
        )
        self.rating_reply = sign(
            RatingReply(
                deal=self.accept.id,
                vendor_key=self.vkeys.vendor_key,
                text="Sorry: the courier lost a day.",
                created=n + 500,
                expires=n + 200 * DAY,
            ),
            self.vkeys.signing,
            params=params,
        )
        self.decline = sign(
            Decline(
                accept_id=self.accept.id,
                offer_id=self.offer_nyp.id,
                intent_id=self.intent.id,
                created=n + 400,
                reason="Sold out an hour ago.",
            ),
            self.vkeys.signing,
        )
        self.sealed_accept = self.deal(self.accept, to=self.offer_nyp.id)
        self.sealed_confirm = self.deal(self.confirm, to=self.accept.id)
        self.sealed_decline = self.deal(self.decline, to=self.accept.id)
        self.profile = sign(
            VendorProfile(
                vendor_key=self.vkeys.vendor_key,
                name="Pixel Palace",
                categories=("electronics", "home"),
                ships_to=("*",),
                reply_key=self.vkeys.reply_public,
                created=n,
                expires=n + 30 * DAY,
                description="Refurbished phones since 2011.",
                url="https://pixel.example",
            ),
            self.vkeys.signing,
            params=params,
        )
        # After the deal: a thread keyed by the confirm's id.
        deal, at = self.accept.id, n + 500
        self.deal_message = sign(
            DealMessage(deal=deal, created=at, seq=0, type="status", text="Where is my phone?"),
            self.keys.signing,
        )
        self.profile_update = sign(
            ProfileUpdate(
                deal=deal, created=at, seq=1, field="shipping", value="Neue Str. 2, Berlin"
            ),
            self.keys.signing,
        )
        self.forget = sign(
            Forget(deal=deal, created=at, seq=2, reason="Please delete my data."),
            self.keys.signing,
        )
        self.deal_ack = sign(
            DealAck(
                deal=self.accept.id,
                seq=0,
                created=n + 550,
                of=self.forget.id,
                fields=("contact", "shipping"),
                deleted=n + 540,
            ),
            self.vkeys.signing,
        )
        self.valid: dict[str, Signed[Any]] = {
            "intent": self.intent,
            "withdraw": self.withdraw,
            "offer": self.offer,
            "sealed-offer": self.sealed_offer,
            "accept": self.accept,
            "confirm": self.confirm,
            "decline": self.decline,
            "sealed-deal": self.sealed_accept,
            "vendor-profile": self.profile,
            "receipt": self.receipt,
            "rating": self.rating,
            "rating-reply": self.rating_reply,
            "deal-message": self.deal_message,
            "profile-update": self.profile_update,
            "forget": self.forget,
            "deal-ack": self.deal_ack,
        }

    def random(self, n: int) -> bytes:
        return self._rng.randbytes(n)

    def _offer(self, **changes: Any) -> Signed[Offer]:
        n = self.now
        base = Offer(
            intent_id=self.intent.id,
            vendor_key=self.vkeys.vendor_key,
            vendor_name="Pixel Palace",
            item=Item(
                title="Pixel 8 128 GB black",
                attributes={"storage_gb": 128, "color": "black", "refurbished": True},
                sku="px8-128-blk",
            ),
            quantity=1,
            price=27_500,
            currency="EUR",
            deliver_by=n + 3 * DAY,
            ships_to=("AT", "DE", "u33"),
            customer_terms=("cc:delete-after-deal", "cc:no-resale", "cc:no-tracking"),
            payment_modes=("pay-after-delivery", "prepay"),
            reply_key=self.vkeys.reply_public,
            created=n + 60,
            valid_until=n + 2 * DAY,
        )
        return sign(replace(base, **changes), self.vkeys.signing)

    def thread(self, inner: Signed[Any], sender: Side) -> Signed[Any]:
        """``inner`` sealed on the deal's thread by ``sender``."""
        recipient = (
            self.offer_nyp.message.reply_key
            if sender is Side.CUSTOMER
            else self.intent.message.reply_key
        )
        return seal_thread(
            inner,
            thread_key=self.confirm.id,
            sender=sender,
            recipient=recipient,
            created=self.now + 560,
            expires=self.now + DAY,
            random_bytes=self.random,
            params=self.params,
        )

    def deal(self, inner: Signed[Any], *, to: bytes) -> Signed[Any]:
        recipient = (
            self.offer_nyp.message.reply_key
            if inner.kind is Kind.ACCEPT
            else self.intent.message.reply_key
        )
        return seal_deal(
            inner,
            to=to,
            recipient=recipient,
            created=self.now + 420,
            expires=self.now + DAY,
            random_bytes=self.random,
            params=self.params,
        )

    def body(self, kind: str) -> dict[str, Any]:
        """The valid message of ``kind``'s body as a plain map."""
        body: dict[str, Any] = _plain(self.valid[kind].message.to_body())
        return body

    def key_for(self, kind: str) -> SigningKey:
        customer = ("intent", "withdraw", "accept", "rating", "deal-message", "profile-update")
        if kind in (*customer, "forget"):
            return self.keys.signing
        vendor = ("offer", "confirm", "decline", "vendor-profile", "receipt", "rating-reply")
        if kind in (*vendor, "deal-ack"):
            return self.vkeys.signing
        return SigningKey(
            hashlib.blake2b(b"conformance/one-time/" + kind.encode(), digest_size=32).digest()
        )

    def forge(
        self,
        kind: str,
        body: dict[str, Any] | bytes,
        *,
        key: SigningKey | None = None,
        canon: bool = True,
        work: str = "enough",
        signer: bytes | None = None,
        signature: bytes | None = None,
        version: Any = 1,
        wire_kind: Any = None,
    ) -> bytes:
        """An envelope of ``kind`` around ``body`` (a map, encoded in canonical
        key order unless ``canon`` is False, or encoded bytes), with proof of
        work (``enough``, ``short`` or ``none``) and a correct signature by
        ``key`` (the kind's usual signer) unless ``signer``/``signature`` say
        otherwise."""
        key = key or self.key_for(kind)
        pub = signer if signer is not None else bytes(key.verify_key)
        if isinstance(body, dict):
            nonce = body.get("pow")
            if type(nonce) is bytes and len(nonce) >= 8:
                body = {**body, "pow": _MARKER + nonce[8:]}
            raw_body = pack(_canon(body) if canon else body)
        else:
            raw_body = body
        bits = self.params.work_for(Kind(kind)) if kind in _KINDS else 0
        if work == "enough" and bits:
            raw_body = grind(kind, pub, raw_body, bits)
        elif work == "short" and bits:
            raw_body = grind(kind, pub, raw_body, bits, fail=True)
        else:
            raw_body = raw_body.replace(_MARKER, bytes(8))
        if signature is None:
            signature = key.sign(signing_input(kind, raw_body)).signature
        return envelope(version, kind if wire_kind is None else wire_kind, raw_body, pub, signature)


_KINDS: Final = frozenset(k.value for k in Kind)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def small_order_r_signature(key: SigningKey, message: bytes) -> bytes:
    """A signature with R the identity (a small-order point) that satisfies
    the cofactorless equation [S]B = R + [k]A for ``key``: lax verifiers
    accept it; a strict one refuses R of small order."""
    digest = hashlib.sha512(bytes(key)).digest()
    scalar = bytearray(digest[:32])
    scalar[0] &= 248
    scalar[31] &= 127
    scalar[31] |= 64
    a = int.from_bytes(scalar, "little")
    pub = bytes(key.verify_key)
    k = int.from_bytes(hashlib.sha512(IDENTITY + pub + message).digest(), "little") % L_ORDER
    s = (k * a) % L_ORDER
    return IDENTITY + s.to_bytes(32, "little")


# --- the cases ------------------------------------------------------------------------


def build(now: int = CHECK_NOW - 600, params: NetworkParams = CASE_PARAMS) -> list[Case]:
    """Every case, messages created around ``now`` (the stored file: NOW),
    to be checked at ``now + 600``."""
    b = Builder(now, params)
    return [
        *_valid(b),
        *_envelope(b),
        *_work_and_signature(b),
        *_bodies(b),
        *_times(b),
        *_order(b),
        *_opening(b),
        *_thread_opening(b),
        *_key_files(),
    ]


def _v(
    name: str,
    raw: bytes,
    expect: Expect,
    step: str,
    note: str,
    *,
    kind: str | None,
    layer: str = "gossip",
) -> Case:
    return Case(name, "validate", expect, step, note, kind=kind, layer=layer, data=raw)


_SEALED: Final = frozenset(
    {
        "offer",
        "accept",
        "confirm",
        "decline",
        "receipt",
        "deal-message",
        "profile-update",
        "forget",
        "deal-ack",
    }
)


def _layer(kind: str) -> str:
    return "sealed" if kind in _SEALED else "gossip"


def _valid(b: Builder) -> Iterator[Case]:
    for kind, signed in b.valid.items():
        yield _v(
            f"valid/{kind}",
            signed.raw,
            ACCEPT,
            "accept",
            f"a valid {kind}",
            kind=kind,
            layer=_layer(kind),
        )
    yield _v(
        "valid/offer-name-your-price-floor",
        b.offer_nyp.raw,
        ACCEPT,
        "accept",
        "an offer with name-your-price and its price floor",
        kind="offer",
        layer="sealed",
    )
    yield _v(
        "valid/sealed-deal-confirm",
        b.sealed_confirm.raw,
        ACCEPT,
        "accept",
        "a confirm sealed to the intent's reply key, tagged with the accept id",
        kind="sealed-deal",
    )
    yield _v(
        "valid/sealed-deal-decline",
        b.sealed_decline.raw,
        ACCEPT,
        "accept",
        "a decline sealed to the intent's reply key",
        kind="sealed-deal",
    )
    intent = b.body("intent")
    # Bounds met exactly, and the lexical rules' edges.
    edge = [
        (
            "title-120-code-points",
            "title",
            "\U0001f600" * 120,
            "120 characters are 120 code points (480 bytes of UTF-8)",
        ),
        ("desc-newline-tab", "desc", "line one\n\tline two", "newline and tab are allowed"),
        (
            "attr-negative-int",
            "attrs",
            {"min_temp_c": -(2**53), "color": ""},
            "attribute integers down to -2^53; empty attribute text is allowed",
        ),
        ("attr-range-equal", "attrs", {"storage_gb": [128, 128]}, "a range with lo = hi"),
        ("qty-max", "qty", 1_000_000, "quantity at its bound"),
        ("max-price-max", "terms.max", 10**15, "price at its bound"),
        ("max-price-zero", "terms.max", 0, "a price of 0"),
        ("deliver-by-nil", "terms.by", None, "no delivery deadline"),
        ("deliver-by-created", "terms.by", b.now, "deadline equal to created"),
        ("region-geohash", "terms.region", "u33db", "a geohash of 5 characters"),
        ("currency-fund-code", "terms.cur", "CHE", "a fund code on the list"),
        ("currency-xcg", "terms.cur", "XCG", "the Caribbean guilder (2025) is on the list"),
        (
            "other-namespace-term",
            "terms.cc",
            ["cc:no-tracking", "kiez:local-pickup"],
            "customer terms of another namespace",
        ),
        (
            "one-weight",
            "prefs",
            {"attributes": 0, "price": 1, "reputation": 0, "speed": 0, "terms": 0},
            "one weight above zero is enough",
        ),
        ("lifetime-30-days", "expires", b.now + 30 * DAY, "expires exactly 30 days after created"),
        ("rev-max", "rev", 1000, "revision at its bound"),
        (
            "category-depth-4",
            "cat",
            ["electronics", "phones", "android", "pixel-8"],
            "four category levels",
        ),
    ]
    for name, path, value, note in edge:
        raw = b.forge("intent", _set(intent, path, value))
        yield _v(f"valid/intent-{name}", raw, ACCEPT, "accept", note, kind="intent")


def _envelope(b: Builder) -> Iterator[Case]:
    good = b.intent.raw
    body = msgpack.unpackb(good, raw=False)[2]
    signer = b.intent.signer
    sig = msgpack.unpackb(good, raw=False)[4]
    e = "malformed-envelope"
    cases: list[tuple[str, bytes, Expect, str, str]] = [
        (
            "oversize",
            b"\x95" + bytes(8_704),
            reject("oversize"),
            "1",
            "8,705 bytes: refused before decoding",
        ),
        ("not-msgpack", b"\xc1", reject(e), "2", "0xc1 is never used in msgpack"),
        ("trailing-bytes", good + b"\x00", reject(e), "2", "a valid envelope and one more byte"),
        ("four-items", pack((1, "intent", body, signer)), reject(e), "2", "4 items"),
        ("six-items", pack((1, "intent", body, signer, sig, 0)), reject(e), "2", "6 items"),
        ("a-map", pack({"v": 1}), reject(e), "2", "a map, not an array"),
        (
            "version-bool",
            envelope(True, "intent", body, signer, sig),
            reject(e),
            "2",
            "version true: booleans are never integers",
        ),
        (
            "version-text",
            envelope("1", "intent", body, signer, sig),
            reject(e),
            "2",
            "version as text",
        ),
        (
            "body-text",
            envelope(1, "intent", "x", signer, sig),
            reject(e),
            "5",
            "body as str, not bin",
        ),
        ("body-empty", envelope(1, "intent", b"", signer, sig), reject(e), "5", "empty body"),
        (
            "body-array",
            envelope(1, "intent", pack([1]), signer, sig),
            reject(e),
            "5",
            "body bytes do not start with a map header",
        ),
        (
            "signer-31",
            envelope(1, "intent", body, signer[:31], sig),
            reject(e),
            "5",
            "signer of 31 bytes",
        ),
        (
            "signer-text",
            envelope(1, "intent", body, signer.hex(), sig),
            reject(e),
            "5",
            "signer as text",
        ),
        (
            "signature-63",
            envelope(1, "intent", body, signer, sig[:63]),
            reject(e),
            "5",
            "signature of 63 bytes",
        ),
        (
            "array16-header",
            b"\xdc\x00\x05" + good[1:],
            reject(e),
            "5",
            "array16 header where a fixarray fits: not canonical",
        ),
        (
            "bin16-signer",
            _patch(good, b"\xc4\x20" + signer, b"\xc5\x00\x20" + signer),
            reject(e),
            "5",
            "bin16 header for the 32-byte signer: not canonical",
        ),
        (
            "version-2",
            envelope(2, "intent", body, signer, sig),
            reject("unknown-version"),
            "3",
            "a version this node does not speak",
        ),
        (
            "version-0",
            envelope(0, "intent", body, signer, sig),
            reject("unknown-version"),
            "3",
            "version 0",
        ),
        (
            "kind-unknown",
            envelope(1, "gift", body, signer, sig),
            reject("unknown-kind"),
            "4",
            "a kind not in the protocol",
        ),
        (
            "kind-upper-case",
            envelope(1, "Intent", body, signer, sig),
            reject("unknown-kind"),
            "4",
            "kinds are case-sensitive",
        ),
        (
            "kind-bin",
            envelope(1, b"intent", body, signer, sig),
            reject("unknown-kind"),
            "4",
            "the kind as bin, not str",
        ),
    ]
    for name, raw, expect, step, note in cases:
        yield _v(f"envelope/{name}", raw, expect, step, note, kind="intent")
    for kind in sorted(k.value for k in RESERVED_KINDS):  # none in specification 1.3
        raw = envelope(1, kind, pack({"any": 1}), bytes(32), bytes(64))
        yield _v(
            f"envelope/reserved-{kind}",
            raw,
            ignore("reserved-kind"),
            "6",
            "a reserved kind with a map body is ignored unverified",
            kind=kind,
        )
    for kind in sorted(_SEALED):
        yield _v(
            f"layer/{kind}-in-the-clear",
            b.valid[kind].raw,
            reject("wrong-layer"),
            "7",
            f"a sealed kind ({kind}) seen on gossip",
            kind=kind,
        )
    for kind in ("intent", "sealed-deal"):
        yield _v(
            f"layer/{kind}-in-a-box",
            b.valid[kind].raw,
            reject("wrong-layer"),
            "7",
            f"a gossip kind ({kind}) inside a sealed box",
            kind=kind,
            layer="sealed",
        )
    wd = b.body("withdraw")
    yield _v(
        "size/withdraw-over-512",
        b.forge("withdraw", _set(wd, "reason", "\u00e9" * 250)),
        reject("oversize"),
        "8",
        "a withdraw whose fields are each within bounds but add up to over 512 bytes",
        kind="withdraw",
    )
    dl = b.body("decline")
    yield _v(
        "size/decline-over-2048",
        b.forge("decline", _set(dl, "reason", "\U0001f600" * 500)),
        reject("oversize"),
        "8",
        "a decline of 500 four-byte characters: over 2,048 bytes",
        kind="decline",
        layer="sealed",
    )


def _work_and_signature(b: Builder) -> Iterator[Case]:
    for kind in ("intent", "withdraw", "sealed-offer", "sealed-deal", "vendor-profile"):
        raw = b.forge(kind, b.body(kind), work="short")
        yield _v(
            f"work/{kind}-short",
            raw,
            reject("insufficient-work"),
            "9",
            f"a {kind} whose work hash has fewer leading zero bits than required",
            kind=kind,
        )
    body_bytes = msgpack.unpackb(b.intent.raw, raw=False)[2]
    sig = msgpack.unpackb(b.intent.raw, raw=False)[4]
    flipped = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]
    yield _v(
        "signature/flipped-bit",
        envelope(1, "intent", body_bytes, b.intent.signer, flipped),
        reject("bad-signature"),
        "10",
        "one bit of the signature flipped",
        kind="intent",
    )
    s = int.from_bytes(sig[32:], "little")
    malleated = sig[:32] + (s + L_ORDER).to_bytes(32, "little")
    yield _v(
        "signature/s-plus-l",
        envelope(1, "intent", body_bytes, b.intent.signer, malleated),
        reject("bad-signature"),
        "10",
        "S + L: the same signature malleated; lax verifiers accept it (a copy of the "
        "message under a new id)",
        kind="intent",
    )
    other = b.forge("intent", b.body("intent"), signature=bytes(64))
    yield _v(
        "signature/zero",
        other,
        reject("bad-signature"),
        "10",
        "an all-zero signature",
        kind="intent",
    )
    wrong_kind = msgpack.unpackb(b.withdraw.raw, raw=False)
    resigned = b.keys.signing.sign(b"intentcast/1/" + b"intent" + wrong_kind[2]).signature
    yield _v(
        "signature/other-kind-signed",
        envelope(1, "withdraw", wrong_kind[2], wrong_kind[3], resigned),
        reject("bad-signature"),
        "10",
        "a withdraw body signed as an intent: the kind is part of the signed input",
        kind="withdraw",
    )
    # Small-order and non-canonical keys: the signature [S]B = R + [k]A
    # holds for R = identity, S = 0 whatever the message; strict rejects.
    for name, key in (("identity", IDENTITY), ("identity-noncanonical", IDENTITY_NONCANONICAL)):
        raw = b.forge("intent", b.body("intent"), signer=key, signature=IDENTITY + bytes(32))
        yield _v(
            f"signature/small-order-key-{name}",
            raw,
            reject("bad-signature"),
            "10",
            "signer is a small-order point (the identity) and R = identity, S = 0: "
            "valid for any message under a lax verifier",
            kind="intent",
        )
    raw_body = grind(
        "intent",
        b.intent.signer,
        pack({**_canon(b.body("intent")), "pow": _MARKER}),
        b.params.work_for(Kind.INTENT),
    )
    sig_r = small_order_r_signature(b.keys.signing, signing_input("intent", raw_body))
    yield _v(
        "signature/small-order-r",
        envelope(1, "intent", raw_body, b.intent.signer, sig_r),
        reject("bad-signature"),
        "10",
        "R is the identity (small order) and [S]B = R + [k]A holds: lax verifiers accept",
        kind="intent",
    )


# (name, kind, path or None, value, step, reason, note); path None: see note
_FLOAT = 1.5
_GEOHASH = "0123456789bcdefghjkmnpqrstuvwxyz"
_EXT = msgpack.ExtType(1, b"x")


def _field_cases(b: Builder) -> list[tuple[str, str, Any, str, str]]:
    n = b.now
    return [
        # intent
        ("intent", "cat", [], "invalid-field", "no category"),
        ("intent", "cat", ["weapons"], "invalid-field", "top level not in the list"),
        ("intent", "cat", ["electronics", "Phones"], "invalid-field", "sub-level not a slug"),
        ("intent", "cat", ["electronics", "a", "b", "c", "d"], "invalid-field", "5 levels"),
        ("intent", "cat", "electronics", "invalid-field", "a str, not an array"),
        ("intent", "title", "", "invalid-field", "empty title"),
        ("intent", "title", " \t\n", "invalid-field", "blank title (white space only)"),
        (
            "intent",
            "title",
            "\u3000\u00a0",
            "invalid-field",
            "blank title: ideographic space and no-break space are white space",
        ),
        ("intent", "title", "\U0001f600" * 121, "invalid-field", "121 code points"),
        ("intent", "title", "Pixel\x1b[31m", "invalid-field", "ESC: a C0 control character"),
        ("intent", "title", "Pixel\x9b31m", "invalid-field", "U+009B: a C1 control character"),
        ("intent", "title", "Pixel\x7f", "invalid-field", "DEL is a control character"),
        ("intent", "title", "Pixel\r", "invalid-field", "carriage return is not allowed"),
        ("intent", "title", b"Pixel", "invalid-field", "text as bin"),
        ("intent", "desc", "x" * 2001, "invalid-field", "2,001 characters"),
        ("intent", "attrs", {f"a{i}": i for i in range(33)}, "invalid-field", "33 attributes"),
        ("intent", "attrs", {"Color": "black"}, "invalid-field", "attribute key not snake_case"),
        ("intent", "attrs", {"weight": _FLOAT}, "invalid-field", "a float value"),
        ("intent", "attrs", {"weight": _EXT}, "invalid-field", "an extension type value"),
        ("intent", "attrs", {"weight": None}, "invalid-field", "nil value"),
        (
            "intent",
            "attrs",
            {"weight": 2**53 + 1},
            "invalid-field",
            "2^53 + 1 (JSON cannot hold it exactly: body_fields writes it as a string)",
        ),
        ("intent", "attrs", {"weight": -(2**53) - 1}, "invalid-field", "-2^53 - 1"),
        ("intent", "attrs", {"storage_gb": [256, 128]}, "invalid-field", "range lo > hi"),
        ("intent", "attrs", {"storage_gb": [1, 2, 3]}, "invalid-field", "range of 3 items"),
        ("intent", "attrs", {"storage_gb": [1, _FLOAT]}, "invalid-field", "range with a float"),
        ("intent", "attrs", {"color": "x" * 129}, "invalid-field", "129 characters of text"),
        ("intent", "qty", 0, "invalid-field", "quantity 0"),
        ("intent", "qty", -1, "invalid-field", "a negative quantity"),
        ("intent", "qty", 1_000_001, "invalid-field", "quantity over its bound"),
        ("intent", "qty", True, "invalid-field", "true: a boolean is not an integer"),
        ("intent", "qty", _FLOAT, "invalid-field", "a float"),
        ("intent", "qty", 1.0, "invalid-field", "1.0: a float even if integral"),
        ("intent", "terms.max", -1, "invalid-field", "a negative price"),
        ("intent", "terms.max", 10**15 + 1, "invalid-field", "price over 10^15"),
        ("intent", "terms.max", 2**64 - 1, "invalid-field", "the largest uint64"),
        ("intent", "terms.max", -(2**63), "invalid-field", "the smallest int64"),
        ("intent", "terms.cur", "XAU", "invalid-field", "gold is not on the currency list"),
        ("intent", "terms.cur", "XDR", "invalid-field", "special drawing rights are not on it"),
        ("intent", "terms.cur", "XTS", "invalid-field", "the test code is not on it"),
        ("intent", "terms.cur", "XXX", "invalid-field", "'no currency' is not on it"),
        ("intent", "terms.cur", "ZWL", "invalid-field", "withdrawn in 2024 (ZWG replaced it)"),
        ("intent", "terms.cur", "eur", "invalid-field", "codes are upper case"),
        (
            "intent",
            "terms.region",
            "De",
            "invalid-field",
            "mixed case: neither a country (upper case) nor a geohash (lower case)",
        ),
        ("intent", "terms.region", "DEU", "invalid-field", "an alpha-3 code"),
        ("intent", "terms.region", "XX", "invalid-field", "not an ISO 3166-1 country"),
        ("intent", "terms.region", "u33dbx", "invalid-field", "a geohash of 6 characters"),
        ("intent", "terms.region", "a", "invalid-field", "'a' is not in the geohash alphabet"),
        ("intent", "terms.region", "", "invalid-field", "empty region"),
        ("intent", "terms.by", n - 1, "invalid-field", "delivery deadline before created"),
        ("intent", "terms.cc", ["CC:no-tracking"], "invalid-field", "term id not lower case"),
        ("intent", "terms.cc", [f"cc:t{i:02d}" for i in range(17)], "invalid-field", "17 terms"),
        ("intent", "terms.pay", [], "invalid-field", "no payment mode"),
        ("intent", "terms.pay", ["cash"], "invalid-field", "not a payment mode"),
        ("intent", "terms.rating", 501, "invalid-field", "rating over 500"),
        (
            "intent",
            "prefs",
            {"attributes": 0, "price": 0, "reputation": 0, "speed": 0, "terms": 0},
            "invalid-field",
            "every weight 0",
        ),
        ("intent", "prefs.price", 101, "invalid-field", "a weight over 100"),
        ("intent", "reply", bytes(31), "invalid-field", "reply key of 31 bytes"),
        ("intent", "reply", "00" * 32, "invalid-field", "reply key as text"),
        ("intent", "created", 1_577_836_799, "invalid-field", "created before 2020"),
        ("intent", "expires", 7_258_118_401, "invalid-field", "expires after 2200"),
        ("intent", "expires", n, "invalid-field", "expires equal to created"),
        ("intent", "expires", n + 30 * DAY + 1, "invalid-field", "a lifetime over 30 days"),
        ("intent", "rev", 1001, "invalid-field", "revision over 1000"),
        ("intent", "rev", -1, "invalid-field", "a negative revision"),
        ("intent", "pow", bytes(9), "invalid-field", "a nonce of 9 bytes"),
        # withdraw
        ("withdraw", "intent", bytes(31), "invalid-field", "intent key of 31 bytes"),
        ("withdraw", "expires", n + 120, "invalid-field", "expires equal to created"),
        ("withdraw", "expires", n + 120 + 30 * DAY + 1, "invalid-field", "lifetime over 30 days"),
        ("withdraw", "reason", "found\x00", "invalid-field", "a NUL in the reason"),
        # sealed-offer
        ("sealed-offer", "box", b"", "invalid-field", "an empty box"),
        ("sealed-offer", "box", bytes(8_241), "invalid-field", "a box over 8,240 bytes"),
        ("sealed-offer", "intent", bytes(33), "invalid-field", "intent id of 33 bytes"),
        ("sealed-offer", "expires", n + 60, "invalid-field", "expires equal to created"),
        (
            "sealed-offer",
            "expires",
            n + 60 + 30 * DAY + 1,
            "invalid-field",
            "lifetime over 30 days",
        ),
        # sealed-deal
        ("sealed-deal", "box", b"", "invalid-field", "an empty box"),
        ("sealed-deal", "box", bytes(4_145), "invalid-field", "a box over 4,144 bytes"),
        ("sealed-deal", "to", bytes(31), "invalid-field", "tag of 31 bytes"),
        ("sealed-deal", "expires", n + 420, "invalid-field", "expires equal to created"),
        (
            "sealed-deal",
            "expires",
            n + 420 + 30 * DAY + 1,
            "invalid-field",
            "lifetime over 30 days",
        ),
        # vendor-profile
        ("vendor-profile", "name", " ", "invalid-field", "a blank name"),
        ("vendor-profile", "cats", ["weapons"], "invalid-field", "not a top-level category"),
        ("vendor-profile", "ships", [], "invalid-field", "ships nowhere"),
        (
            "vendor-profile",
            "ships",
            sorted([*_GEOHASH, *(f"{c}0" for c in _GEOHASH), "zz"]),
            "invalid-field",
            "65 regions",
        ),
        ("vendor-profile", "url", "x" * 201, "invalid-field", "url of 201 characters"),
        ("vendor-profile", "expires", n, "invalid-field", "expires equal to created"),
        ("vendor-profile", "expires", n + 30 * DAY + 1, "invalid-field", "lifetime over 30 days"),
        # offer (sealed layer)
        ("offer", "floor", 20_000, "invalid-field", "a floor without name-your-price"),
        (
            "offer",
            "pay",
            ["name-your-price", "prepay"],
            "invalid-field",
            "name-your-price without a floor",
        ),
        ("offer", "price", -1, "invalid-field", "a negative price"),
        ("offer", "cur", "XAU", "invalid-field", "gold"),
        ("offer", "ships", ["Germany"], "invalid-field", "not a region"),
        ("offer", "cc", [f"cc:t{i:02d}" for i in range(33)], "invalid-field", "33 terms"),
        ("offer", "until", n + 60, "invalid-field", "until equal to created"),
        ("offer", "until", n + 60 + 30 * DAY + 1, "invalid-field", "validity over 30 days"),
        ("offer", "item.title", "", "invalid-field", "an empty item title"),
        (
            "offer",
            "item.attrs",
            {"storage_gb": [128, 256]},
            "invalid-field",
            "a range in an offer's attributes",
        ),
        ("offer", "item.sku", "x" * 65, "invalid-field", "sku of 65 characters"),
        ("offer", "name", "x" * 65, "invalid-field", "vendor name of 65 characters"),
        ("offer", "qty", 0, "invalid-field", "quantity 0"),
        # accept
        ("accept", "pay", "cash", "invalid-field", "not a payment mode"),
        ("accept", "disclose", {"address": "x"}, "invalid-field", "not a disclosure field"),
        ("accept", "disclose", {"contact": ""}, "invalid-field", "empty disclosed text"),
        ("accept", "price", -5, "invalid-field", "a negative price"),
        ("accept", "offer", bytes(31), "invalid-field", "offer id of 31 bytes"),
        # confirm, decline
        ("confirm", "note", "x" * 501, "invalid-field", "note of 501 characters"),
        ("confirm", "accept", bytes(31), "invalid-field", "accept id of 31 bytes"),
        ("confirm", "created", _FLOAT, "invalid-field", "created as a float"),
        ("decline", "reason", "x" * 501, "invalid-field", "reason of 501 characters"),
        ("decline", "intent", None, "invalid-field", "intent id nil"),
        # relationship messages
        ("deal-message", "type", "complaint", "invalid-field", "not a message type"),
        ("deal-message", "text", "x" * 501, "invalid-field", "text of 501 characters"),
        ("deal-message", "re", bytes(31), "invalid-field", "re of 31 bytes"),
        ("deal-message", "seq", -1, "invalid-field", "a negative seq"),
        ("deal-message", "seq", 2**32, "invalid-field", "seq beyond u32"),
        ("deal-message", "deal", bytes(31), "invalid-field", "deal id of 31 bytes"),
        ("profile-update", "field", "address", "invalid-field", "not a disclosure field"),
        ("profile-update", "value", " ", "invalid-field", "a blank value (nil removes)"),
        ("profile-update", "value", "x" * 501, "invalid-field", "value of 501 characters"),
        ("forget", "reason", "x" * 501, "invalid-field", "reason of 501 characters"),
        ("deal-ack", "fields", ["address"], "invalid-field", "not a disclosure field"),
        ("deal-ack", "deleted", n + 551, "invalid-field", "deleted after the statement"),
        ("deal-ack", "of", None, "invalid-field", "of nil"),
    ]


def _with_bin_key(body: dict[str, Any]) -> Any:
    out: dict[Any, Any] = dict(body)
    out[b"zz"] = 0
    return out


def _bodies(b: Builder) -> Iterator[Case]:
    for kind in (
        "intent",
        "withdraw",
        "sealed-offer",
        "sealed-deal",
        "vendor-profile",
        "offer",
        "accept",
        "confirm",
        "decline",
        "deal-message",
        "profile-update",
        "forget",
        "deal-ack",
    ):
        body = b.body(kind)
        first = sorted(body)[0]
        yield _v(
            f"body/{kind}-missing-key",
            b.forge(kind, _drop(body, first)),
            reject("invalid-field"),
            "12",
            f"the key {first!r} missing",
            kind=kind,
            layer=_layer(kind),
        )
        yield _v(
            f"body/{kind}-unknown-key",
            b.forge(kind, {**body, "zz": 0}),
            reject("invalid-field"),
            "12",
            "an unknown key",
            kind=kind,
            layer=_layer(kind),
        )
        yield _v(
            f"body/{kind}-keys-out-of-order",
            b.forge(kind, dict(reversed(list(_canon(body).items()))), canon=False),
            reject("non-canonical"),
            "13",
            "map keys in reverse order",
            kind=kind,
            layer=_layer(kind),
        )
    yield _v(
        "body/intent-bin-key",
        b.forge("intent", _with_bin_key(b.body("intent"))),
        reject("invalid-field"),
        "12",
        "a bin map key is an unknown key",
        kind="intent",
    )
    for i, (kind, path, value, reason, note) in enumerate(_field_cases(b)):
        raw = b.forge(kind, _set(b.body(kind), path, value))
        yield _v(
            f"field/{kind}-{path}-{i:03d}",
            raw,
            reject(reason),
            "14",
            note,
            kind=kind,
            layer=_layer(kind),
        )
    intent = b.body("intent")
    packed = pack({**_canon(intent), "pow": _MARKER})
    malformed = [
        ("trailing-byte", packed + b"\xc0", "a nil after the body map"),
        ("int-key", _patch(packed, b"\xa5color", b"\x05"), "an integer map key (in attrs)"),
        ("reserved-byte", _patch(packed, b"\xa5black", b"\xc1\xa4lack"), "0xc1 inside the body"),
        ("truncated", packed[:-3], "the body map ends early"),
    ]
    for name, raw_body, note in malformed:
        yield _v(
            f"body/malformed-{name}",
            b.forge("intent", raw_body),
            reject("malformed-body"),
            "11",
            note,
            kind="intent",
        )
    title = intent["title"].encode()
    fixstr = bytes([0xA0 | len(title)]) + title
    noncanon = [
        (
            "intent",
            "qty-uint16",
            _patch(packed, b"\xa3qty\x01", b"\xa3qty\xcd\x00\x01"),
            "quantity 1 as a uint16",
        ),
        (
            "intent",
            "rev-int8",
            _patch(packed, b"\xa3rev\x00", b"\xa3rev\xd0\x00"),
            "revision 0 as an int8",
        ),
        (
            "intent",
            "title-str8",
            _patch(packed, fixstr, b"\xd9" + bytes([len(title)]) + title),
            "a str8 header where fixstr fits",
        ),
        (
            "intent",
            "reply-bin16",
            _patch(packed, b"\xa5reply\xc4\x20", b"\xa5reply\xc5\x00\x20"),
            "a bin16 header where bin8 fits",
        ),
        (
            "intent",
            "negative-as-int8",
            _patch(packed, b"\xaamin_temp_c\xec", b"\xaamin_temp_c\xd0\xec"),
            "-20 as an int8 where a negative fixint fits",
        ),
        (
            "intent",
            "duplicate-key",
            bytes([packed[0] + 1]) + packed[1:] + pack("title") + pack(intent["title"]),
            "the key 'title' twice",
        ),
    ]
    for kind, name, raw_body, note in noncanon:
        yield _v(
            f"canonical/{kind}-{name}",
            b.forge(kind, raw_body),
            reject("non-canonical"),
            "15",
            note,
            kind=kind,
        )
    sets: list[tuple[str, str, Any, str]] = [
        ("intent", "terms.cc", ["cc:no-tracking", "cc:delete-after-deal"], "an unsorted set"),
        ("intent", "terms.pay", ["prepay", "prepay"], "a set with a duplicate"),
        (
            "intent",
            "attrs",
            {"storage_gb": [128, 256], "color": "black", "min_temp_c": -20},
            "attribute keys out of order",
        ),
        ("vendor-profile", "cats", ["home", "electronics"], "an unsorted set"),
        ("offer", "ships", ["DE", "AT", "u33"], "an unsorted set"),
        ("offer", "pay", ["prepay", "pay-after-delivery"], "an unsorted set"),
    ]
    for kind, path, value, note in sets:
        body = _canon(b.body(kind))
        if path == "attrs":
            body = {**body, "attrs": value}
            raw = b.forge(kind, body, canon=False)
        else:
            raw = b.forge(kind, _set(body, path, value), canon=False)
        yield _v(
            f"canonical/{kind}-{path}",
            raw,
            reject("non-canonical"),
            "15",
            note,
            kind=kind,
            layer=_layer(kind),
        )


def _times(b: Builder) -> Iterator[Case]:
    check = b.now + 600
    # Cases checked at now + 600: created up to now + 900 is within the skew.
    skew = b.params.max_clock_skew
    intent = b.body("intent")
    yield _v(
        "time/created-at-skew",
        b.forge("intent", _set(_set(intent, "created", check + skew), "terms.by", None)),
        ACCEPT,
        "16",
        "created exactly 300 s ahead",
        kind="intent",
    )
    yield _v(
        "time/from-future",
        b.forge("intent", _set(_set(intent, "created", check + skew + 1), "terms.by", None)),
        ignore("from-future"),
        "16",
        "created 301 s ahead",
        kind="intent",
    )
    offer = b.body("offer")
    yield _v(
        "time/offer-from-future",
        b.forge("offer", _set(_set(offer, "created", check + skew + 1), "until", check + DAY)),
        ignore("from-future"),
        "16",
        "the skew rule holds in a box too",
        kind="offer",
        layer="sealed",
    )
    yield _v(
        "time/expired",
        b.forge("intent", _set(intent, "expires", check)),
        ignore("expired"),
        "17",
        "expires equal to now",
        kind="intent",
    )
    yield _v(
        "time/expires-next-second",
        b.forge("intent", _set(intent, "expires", check + 1)),
        ACCEPT,
        "17",
        "expires one second after now",
        kind="intent",
    )
    for kind in ("withdraw", "sealed-offer", "sealed-deal", "vendor-profile"):
        body = b.body(kind)
        yield _v(
            f"time/{kind}-expired",
            b.forge(kind, _set(body, "expires", check - 1)),
            ignore("expired"),
            "17",
            "expired a second ago",
            kind=kind,
        )
    yield _v(
        "time/offer-until-past",
        b.forge("offer", _set(offer, "until", check - 1)),
        ACCEPT,
        "17",
        "a sealed-layer message is not checked for expiry",
        kind="offer",
        layer="sealed",
    )
    yield _v(
        "signer/withdraw",
        b.forge("withdraw", b.body("withdraw"), key=b.stranger),
        reject("signer-mismatch"),
        "18",
        "a withdraw signed by another key than it names",
        kind="withdraw",
    )
    yield _v(
        "signer/vendor-profile",
        b.forge("vendor-profile", b.body("vendor-profile"), key=b.stranger),
        reject("signer-mismatch"),
        "18",
        "a profile signed by a stranger",
        kind="vendor-profile",
    )
    yield _v(
        "signer/offer",
        b.forge("offer", b.body("offer"), key=b.stranger),
        reject("signer-mismatch"),
        "18",
        "an offer signed by another key than its vendor",
        kind="offer",
        layer="sealed",
    )
    yield _v(
        "signer/rating-reply",
        b.forge("rating-reply", b.body("rating-reply"), key=b.stranger),
        reject("signer-mismatch"),
        "18",
        "a reply signed by another key than the vendor it names",
        kind="rating-reply",
    )
    yield from _ratings(b)


def _ratings(b: Builder) -> Iterator[Case]:
    """Steps 19 and 20: a rating's receipt, and who may sign the rating."""
    rating = b.body("rating")
    receipt = b.body("receipt")
    good = b.receipt.raw
    forged_sig = good[:-64] + bytes(64)
    bad = [
        ("receipt-forged", forged_sig, "the receipt's signature does not verify"),
        ("receipt-decline", b.decline.raw, "the receipt field holds a decline, not a receipt"),
        ("receipt-garbage", b"\x93\x01\x02\x03", "the receipt field is not an envelope"),
        (
            "receipt-after-rating",
            b.forge("receipt", _set(receipt, "created", b.now + 500 + 301)),
            "the receipt is more than 300 s younger than the rating (judged at the rating's time)",
        ),
        (
            "receipt-bad-field",
            b.forge("receipt", _set(receipt, "deal", bytes(31))),
            "the receipt's deal is not 32 bytes",
        ),
    ]
    for name, raw, note in bad:
        yield _v(
            f"rating/{name}",
            b.forge("rating", _set(rating, "receipt", raw)),
            reject("bad-receipt"),
            "19",
            note,
            kind="rating",
        )
    yield _v(
        "rating/receipt-at-skew",
        b.forge("rating", _set(rating, "receipt", b.forge(
            "receipt", _set(receipt, "created", b.now + 500 + 300)))),
        ACCEPT,
        "19",
        "a receipt 300 s younger than its rating is still within the skew",
        kind="rating",
    )  # fmt: skip
    yield _v(
        "rating/not-rater",
        b.forge("rating", rating, key=b.stranger),
        reject("not-rater"),
        "20",
        "a rating signed by another key than the receipt names",
        kind="rating",
    )
    yield _v(
        "rating/vendor-rates-itself",
        b.forge("rating", rating, key=b.vkeys.signing),
        reject("not-rater"),
        "20",
        "the vendor signs a rating of its own deal with its own key",
        kind="rating",
    )


#: The later step each "order" case also breaks.
LOSES_TO: Final = {
    "version-before-canonical": "5",
    "version-before-body-type": "5",
    "kind-before-signer": "5",
    "layer-before-signature": "10",
    "size-before-work": "9",
    "work-before-signature": "10",
    "signature-before-body": "14",
    "key-order-before-schema": "14",
    "schema-before-value-form": "15",
    "schema-before-time": "17",
    "time-before-signer": "18",
}


def _order(b: Builder) -> Iterator[Case]:
    """Two faults at once: which check comes first."""
    intent = b.body("intent")
    body = msgpack.unpackb(b.intent.raw, raw=False)[2]
    signer = b.intent.signer
    sig = msgpack.unpackb(b.intent.raw, raw=False)[4]
    cases: list[tuple[str, bytes, Expect, str, str, str]] = [
        (
            "version-before-canonical",
            b"\xdc\x00\x05" + envelope(2, "intent", body, signer, sig)[1:],
            reject("unknown-version"),
            "3",
            "intent",
            "version 2 in a non-canonical envelope: version is checked before canonical form",
        ),
        (
            "version-before-body-type",
            envelope(2, "intent", "x", signer, sig),
            reject("unknown-version"),
            "3",
            "intent",
            "version 2 with a str body",
        ),
        (
            "kind-before-signer",
            envelope(1, "gift", body, signer[:31], sig),
            reject("unknown-kind"),
            "4",
            "gift",
            "unknown kind and a short signer",
        ),
        (
            "layer-before-signature",
            b.forge("offer", b.body("offer"), signature=bytes(64)),
            reject("wrong-layer"),
            "7",
            "offer",
            "an offer on gossip with a bad signature",
        ),
        (
            "size-before-work",
            b.forge("withdraw", _set(b.body("withdraw"), "reason", "\u00e9" * 250), work="short"),
            reject("oversize"),
            "8",
            "withdraw",
            "oversize and no work",
        ),
        (
            "work-before-signature",
            b.forge("intent", intent, work="short", signature=bytes(64)),
            reject("insufficient-work"),
            "9",
            "intent",
            "no work and a bad signature",
        ),
        (
            "signature-before-body",
            b.forge("intent", _set(intent, "qty", 0), signature=bytes(64)),
            reject("bad-signature"),
            "10",
            "intent",
            "a bad signature and an invalid field",
        ),
        (
            "key-order-before-schema",
            b.forge(
                "intent", dict(reversed(list(_canon(_set(intent, "qty", 0)).items()))), canon=False
            ),
            reject("non-canonical"),
            "13",
            "intent",
            "keys out of order and an invalid field: key order is checked first",
        ),
        (
            "schema-before-value-form",
            b.forge(
                "vendor-profile",
                _set(
                    _set(_canon(b.body("vendor-profile")), "cats", ["home", "electronics"]),
                    "url",
                    "x" * 201,
                ),
                canon=False,
            ),
            reject("invalid-field"),
            "14",
            "vendor-profile",
            "an unsorted set and an over-long field of the same map: every field's schema "
            "is checked before the form of its values",
        ),
        (
            "schema-before-time",
            b.forge("intent", _set(_set(intent, "expires", b.now + 600), "qty", 0)),
            reject("invalid-field"),
            "14",
            "intent",
            "expired and an invalid field",
        ),
        (
            "time-before-signer",
            b.forge("withdraw", _set(b.body("withdraw"), "expires", b.now + 599), key=b.stranger),
            ignore("expired"),
            "17",
            "withdraw",
            "expired and signed by a stranger: time is checked before the signer",
        ),
    ]
    for name, raw, expect, step, kind, note in cases:
        case = _v(f"order/{name}", raw, expect, step, note, kind=kind)
        yield replace(case, extra={"loses_to": LOSES_TO[name]})


def _opening(b: Builder) -> Iterator[Case]:
    """Opening sealed messages (docs/protocol.md, section 8, 'Opening')."""
    intent_secret = bytes(b.keys.reply)
    vendor_secret = bytes(b.vkeys.reply)

    def case(name: str, sealed: bytes, secret: bytes, expect: Expect, note: str) -> Case:
        return Case(
            f"open/{name}", "open", expect, "open", note, kind="", data=sealed, secret=secret
        )

    yield case(
        "sealed-offer",
        b.sealed_offer.raw,
        intent_secret,
        Expect("accept", None, "offer"),
        "an offer, opened with the intent's reply key",
    )
    yield case(
        "sealed-accept",
        b.sealed_accept.raw,
        vendor_secret,
        Expect("accept", None, "accept"),
        "an accept, opened with the offer's reply key",
    )
    yield case(
        "sealed-confirm",
        b.sealed_confirm.raw,
        intent_secret,
        Expect("accept", None, "confirm"),
        "a confirm, tagged with the accept id",
    )
    yield case(
        "sealed-decline",
        b.sealed_decline.raw,
        intent_secret,
        Expect("accept", None, "decline"),
        "a decline, tagged with the accept id",
    )
    yield case(
        "wrong-key",
        b.sealed_offer.raw,
        vendor_secret,
        reject("unsealable"),
        "opened with another key",
    )
    n = b.now

    def outer_offer(inner: bytes, intent_id: bytes) -> bytes:
        box = seal(pad(inner), b.intent.message.reply_key, b.random(32))
        body = {
            "box": box,
            "created": n + 60,
            "expires": n + 7 * DAY,
            "intent": intent_id,
            "pow": bytes(8),
        }
        return b.forge("sealed-offer", body)

    def outer_deal(inner: bytes, to: bytes, recipient: bytes) -> bytes:
        box = seal(pad(inner, floor=DEAL_PAD_FLOOR), recipient, b.random(32))
        body = {"box": box, "created": n + 420, "expires": n + DAY, "pow": bytes(8), "to": to}
        return b.forge("sealed-deal", body)

    intent_pub = b.intent.message.reply_key
    garbage = {
        "box": bytes(100),
        "created": n + 60,
        "expires": n + 7 * DAY,
        "intent": b.intent.id,
        "pow": bytes(8),
    }
    yield case(
        "garbage-box",
        b.forge("sealed-offer", garbage),
        intent_secret,
        reject("unsealable"),
        "a box that is not a sealed box",
    )
    unpadded = {
        **garbage,
        "box": seal(b.offer.raw, intent_pub, b.random(32)),
    }
    yield case(
        "unpadded",
        b.forge("sealed-offer", unpadded),
        intent_secret,
        reject("bad-padding"),
        "an offer sealed without its padding (the box format before specification 1.2)",
    )
    overpadded = {
        **garbage,
        "box": seal(
            b.offer.raw + bytes(2 * len(pad(b.offer.raw)) - len(b.offer.raw)),
            intent_pub,
            b.random(32),
        ),
    }
    yield case(
        "padding-not-minimal",
        b.forge("sealed-offer", overpadded),
        intent_secret,
        reject("bad-padding"),
        "an offer padded to a larger bucket than the smallest that holds it",
    )
    nonzero = {
        **garbage,
        "box": seal(pad(b.offer.raw)[:-1] + b"\x01", intent_pub, b.random(32)),
    }
    yield case(
        "padding-not-zero",
        b.forge("sealed-offer", nonzero),
        intent_secret,
        reject("bad-padding"),
        "padding with a byte that is not zero",
    )
    small = {
        "box": seal(pad(b.decline.raw), intent_pub, b.random(32)),
        "created": n + 420,
        "expires": n + DAY,
        "pow": bytes(8),
        "to": b.accept.id,
    }
    yield case(
        "deal-padded-below-768",
        b.forge("sealed-deal", small),
        intent_secret,
        reject("bad-padding"),
        "a decline padded to 512 bytes: a sealed-deal's plaintext is at least 768 (format 3)",
    )
    yield case(
        "offer-holds-accept",
        outer_offer(b.accept.raw, b.intent.id),
        intent_secret,
        reject("wrong-inner-kind"),
        "a sealed offer holding an accept",
    )
    yield case(
        "offer-holds-intent",
        outer_offer(b.intent.raw, b.intent.id),
        intent_secret,
        reject("wrong-layer"),
        "a sealed offer holding an intent (a gossip kind)",
    )
    yield case(
        "offer-other-intent",
        outer_offer(b.offer.raw, bytes(32)),
        intent_secret,
        reject("inner-mismatch"),
        "the offer inside answers another intent",
    )
    bad_offer = b.forge("offer", _set(b.body("offer"), "qty", 0))
    yield case(
        "offer-invalid-inner",
        outer_offer(bad_offer, b.intent.id),
        intent_secret,
        reject("invalid-field"),
        "the offer inside breaks the schema",
    )
    yield case(
        "deal-holds-offer",
        outer_deal(b.offer.raw, b.offer.id, intent_pub),
        intent_secret,
        reject("wrong-inner-kind"),
        "a sealed deal holding an offer",
    )
    yield case(
        "deal-accept-wrong-tag",
        outer_deal(b.accept.raw, b.accept.id, b.offer_nyp.message.reply_key),
        vendor_secret,
        reject("inner-mismatch"),
        "an accept tagged with its own id instead of the offer's",
    )
    yield case(
        "deal-confirm-wrong-tag",
        outer_deal(b.confirm.raw, b.offer_nyp.id, intent_pub),
        intent_secret,
        reject("inner-mismatch"),
        "a confirm tagged with the offer id instead of the accept's",
    )


def _thread_opening(b: Builder) -> Iterator[Case]:
    """Opening relationship messages: the recipient knows the thread's key
    (the confirm id) and which side sent (docs/protocol.md, section 8)."""
    intent_secret = bytes(b.keys.reply)
    vendor_secret = bytes(b.vkeys.reply)
    key = b.confirm.id

    def case(
        name: str, sealed: Signed[Any], sender: Side, expect: Expect, note: str, **extra: Any
    ) -> Case:
        secret = vendor_secret if sender is Side.CUSTOMER else intent_secret
        return Case(
            f"open/thread-{name}",
            "open",
            expect,
            "open",
            note,
            kind="",
            data=sealed.raw,
            secret=secret,
            extra={"thread_key_hex": key.hex(), "sender": sender.value, **extra},
        )

    for kind in ("deal-message", "profile-update", "forget"):
        yield case(
            kind,
            b.thread(b.valid[kind], Side.CUSTOMER),
            Side.CUSTOMER,
            Expect("accept", None, kind),
            f"a {kind} from the customer, opened with the offer's reply key",
        )
    yield case(
        "deal-ack",
        b.thread(b.deal_ack, Side.VENDOR),
        Side.VENDOR,
        Expect("accept", None, "deal-ack"),
        "a statement of deletion from the vendor, opened with the intent's reply key",
    )
    vendor_message = sign(
        replace(b.deal_message.message, type="shipped", text="Tracking 1Z999"), b.vkeys.signing
    )
    yield case(
        "vendor-deal-message",
        b.thread(vendor_message, Side.VENDOR),
        Side.VENDOR,
        Expect("accept", None, "deal-message"),
        "a deal-message from the vendor",
    )
    customer_ack = sign(b.deal_ack.message, b.keys.signing)
    yield case(
        "customer-sends-ack",
        b.thread(customer_ack, Side.CUSTOMER),
        Side.CUSTOMER,
        reject("wrong-inner-kind"),
        "a customer never sends a deal-ack",
    )
    vendor_update = sign(b.profile_update.message, b.vkeys.signing)
    yield case(
        "vendor-sends-update",
        b.thread(vendor_update, Side.VENDOR),
        Side.VENDOR,
        reject("wrong-inner-kind"),
        "a vendor never sends a profile-update",
    )
    yield case(
        "thread-holds-accept",
        b.deal(b.accept, to=b.offer_nyp.id),
        Side.CUSTOMER,
        reject("wrong-inner-kind"),
        "an accept is not a thread message",
    )
    wrong_seq = b.thread(b.forget, Side.CUSTOMER)
    other = b.thread(b.profile_update, Side.CUSTOMER)
    # The forget request's box under the update's tag: a tag of another seq.
    mixed = replace(other.message, box=wrong_seq.message.box, created=wrong_seq.message.created)
    forged = b.forge("sealed-deal", _plain(mixed.to_body()))
    yield Case(
        "open/thread-wrong-seq",
        "open",
        reject("inner-mismatch"),
        "open",
        "the tag is the thread tag of another seq than the inner's",
        kind="",
        data=forged,
        secret=vendor_secret,
        extra={"thread_key_hex": key.hex(), "sender": "customer"},
    )
    yield case(
        "other-thread",
        b.thread(b.forget, Side.CUSTOMER),
        Side.CUSTOMER,
        reject("inner-mismatch"),
        "opened as a thread with another key: the tag does not match",
        thread_key_hex=bytes(32).hex(),
    )


def _key_files() -> Iterator[Case]:
    seed = bytes(range(200, 232))
    good = encode_key_file("customer-seed", seed).decode()
    vendor = encode_key_file("vendor-seed", seed).decode()
    lines = good.splitlines()

    def case(name: str, text: str, ok: bool, note: str) -> Case:
        expect: dict[str, Any] = {"ok": ok}
        if ok:
            expect["seed_hex"] = seed.hex()
        return Case(f"keyfile/{name}", "key_file", expect, "keyfile", note, text=text)

    yield case("customer", good, True, "a customer key file")
    yield case("vendor", vendor, True, "a vendor key file (its check differs: kind is hashed)")
    yield case(
        "no-comment-crlf",
        "\r\n".join(lines[1:]) + "\r\n",
        True,
        "comments are optional; CRLF line ends are accepted",
    )
    yield case(
        "spaces",
        "\n".join(line.replace(" = ", "=") for line in lines),
        True,
        "spaces around '=' are optional",
    )
    yield case(
        "bad-check",
        good.replace(lines[3][-8:], "00000000"),
        False,
        "the check value does not match",
    )
    yield case(
        "check-over-hex-text",
        good.replace(
            lines[3][-8:],
            hashlib.blake2b(
                b"intentcast/1/keyfile/customer-seed/" + seed.hex().encode(), digest_size=4
            ).hexdigest(),
        ),
        False,
        "the check computed over the hex text instead of the seed bytes",
    )
    yield case(
        "wrong-kind-check",
        good.replace("customer-seed", "vendor-seed"),
        False,
        "kind changed: the check no longer matches",
    )
    yield case(
        "unknown-kind", good.replace("customer-seed", "admin-seed"), False, "a kind not in the list"
    )
    yield case("repeated-field", good + lines[2] + "\n", False, "the seed line twice")
    yield case("missing-check", "\n".join(lines[:3]) + "\n", False, "no check line")
    yield case("extra-field", good + "note = x\n", False, "an unknown field")
    yield case("short-seed", good.replace(seed.hex(), seed.hex()[:62]), False, "a 31-byte seed")
    yield case(
        "not-hex", good.replace(seed.hex(), "zz" + seed.hex()[2:]), False, "a seed that is not hex"
    )
    yield case(
        "not-ascii",
        good.replace("keep secret", "keep s\u00e9cret"),
        False,
        "a non-ASCII byte (even in a comment)",
    )
    yield case("no-equals", good + "garbage\n", False, "a line without '='")


def _jsonable(value: Any) -> Any:
    """A body value as JSON: bytes as {"hex"}, integers beyond 2^53 as
    {"int": decimal string}, floats as {"float"}, extension types as {"ext"}."""
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else {"int": str(value)}
    if isinstance(value, float):
        return {"float": value}
    if isinstance(value, msgpack.ExtType):
        return {"ext": value.code, "hex": value.data.hex()}
    if isinstance(value, dict):
        return {k if isinstance(k, str) else f"<{k!r}>": _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    raise TypeError(type(value).__name__)


def body_fields(raw: bytes) -> Any:
    """The body of envelope ``raw`` as JSON, for reading (the hex is what
    counts); None if it does not decode."""
    try:
        env = msgpack.unpackb(raw, raw=False, strict_map_key=False)
        body = msgpack.unpackb(env[2], raw=False, strict_map_key=False)
    except Exception:
        return None
    try:
        return _jsonable(body)
    except TypeError:
        return None


def to_json(case: Case) -> dict[str, Any]:
    out: dict[str, Any] = {"name": case.name, "op": case.op, "step": case.step, "note": case.note}
    if case.op == "validate":
        out.update(kind=case.kind, layer=case.layer, envelope_hex=case.data.hex())
        fields = body_fields(case.data)
        if fields is not None:
            out["body_fields"] = fields
    elif case.op == "open":
        out.update(sealed_hex=case.data.hex(), secret_hex=case.secret.hex())
    else:
        out["text"] = case.text
    out.update(case.extra)
    out["expect"] = case.expect.to_json() if isinstance(case.expect, Expect) else case.expect
    return out


Render = Callable[[Case], dict[str, Any]]
