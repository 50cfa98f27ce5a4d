"""Gossip topic names, and which kinds each topic carries.

Intents have one topic per top-level category (vendors follow them).
Sealed offers have :data:`BUCKETS` topics named by a bucket of their
intent's key (:func:`bucket`), not by a category: a customer follows a
fixed, random few of them (:func:`bucket_set`, chosen once from its seed)
and draws each intent's one-time keys until their bucket is one of its
own, so it receives the offers to its intents and a share of everyone
else's, and its subscriptions never change with what it posts
(docs/privacy.md, section 8). Withdrawals travel on their intent's topic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, Final

from intentcast.protocol import Kind, Signed
from intentcast.protocol.vocab import CATEGORIES

PREFIX: Final = "intentcast/1"
DEALS: Final = f"{PREFIX}/deals"
PROFILES: Final = f"{PREFIX}/profiles"
#: Ratings and vendors' replies to them. Every node follows it (unlike the
#: profiles, which only relays keep): a customer's node ranks offers with
#: the ratings it holds, and following it says nothing about its owner.
RATINGS: Final = f"{PREFIX}/ratings"
#: How many offer bucket topics there are, and how many a customer follows
#: unless its owner chose otherwise (``NodeConfig.offer_buckets``: more
#: buckets, fewer links between its intents, more bytes; docs/privacy.md,
#: section 11).
BUCKETS: Final = 16
FOLLOWED_BUCKETS: Final = 2
_BUCKET_PERSON: Final = b"ic1-offer-bucket"


def intents(category: str) -> str:
    """Topic of intents (and their withdrawals) in a top-level category."""
    return f"{PREFIX}/intents/{category}"


def offers_bucket(k: int) -> str:
    """Topic of sealed offers answering intents whose key is in bucket ``k``."""
    if not 0 <= k < BUCKETS:
        raise ValueError(f"no offer bucket {k}: buckets are 0..{BUCKETS - 1}")
    return f"{PREFIX}/offers/{k}"


def bucket(intent_key: bytes, buckets: int = BUCKETS) -> int:
    """The offer bucket of an intent key: BLAKE2b-64 of the key
    (personalised ``ic1-offer-bucket``), big-endian, mod :data:`BUCKETS`
    (``buckets``: another count, for the simulator's variants)."""
    digest = hashlib.blake2b(intent_key, digest_size=8, person=_BUCKET_PERSON).digest()
    return int.from_bytes(digest, "big") % buckets


def offers(intent_key: bytes) -> str:
    """Topic of the sealed offers answering the intent with ``intent_key``."""
    return offers_bucket(bucket(intent_key))


def bucket_set(material: bytes, count: int = FOLLOWED_BUCKETS) -> tuple[int, ...]:
    """The ``count`` buckets a customer follows, sorted, drawn from 32 bytes
    of key ``material`` (the node derives it from its seed, so the set is
    chosen once and the same at every start): the buckets in the order of
    BLAKE2b(material || k), the first ``count``. A larger count keeps the
    smaller one's buckets (so raising it loses no offer to an open intent).
    Raises :class:`ValueError` unless 1 <= ``count`` <= :data:`BUCKETS`."""
    if not 1 <= count <= BUCKETS:
        raise ValueError(f"a customer follows 1 to {BUCKETS} offer buckets, not {count}")
    order = sorted(
        range(BUCKETS),
        key=lambda k: hashlib.blake2b(material + bytes([k]), digest_size=16).digest(),
    )
    return tuple(sorted(order[:count]))


def followed_buckets(own: Iterable[int], open_intent_keys: Iterable[bytes] = ()) -> tuple[int, ...]:
    """The offer buckets a customer follows, sorted: its own set (its
    :func:`bucket_set`), and the bucket of each of its intents still on the
    market (``open_intent_keys``) that is not in it. With the set unchanged
    every such bucket is already in it (each intent's keys were drawn to
    fit it); after its owner lowered the count, the node keeps following a
    dropped bucket until the intents in it are off the market, so none of
    their offers is lost (new intents fit the new set only)."""
    return tuple(sorted({*own, *(bucket(key) for key in open_intent_keys)}))


ALL_INTENT_TOPICS: Final = tuple(intents(c) for c in CATEGORIES)
ALL_OFFER_TOPICS: Final = tuple(offers_bucket(k) for k in range(BUCKETS))
ALL_TOPICS: Final = (*ALL_INTENT_TOPICS, *ALL_OFFER_TOPICS, DEALS, PROFILES, RATINGS)

#: Which kinds a topic may carry; anything else on it is rejected.
TOPIC_KINDS: Final[dict[str, frozenset[Kind]]] = {
    **{t: frozenset({Kind.INTENT, Kind.WITHDRAW}) for t in ALL_INTENT_TOPICS},
    **{t: frozenset({Kind.SEALED_OFFER}) for t in ALL_OFFER_TOPICS},
    DEALS: frozenset({Kind.SEALED_DEAL}),
    PROFILES: frozenset({Kind.VENDOR_PROFILE}),
    RATINGS: frozenset({Kind.RATING, Kind.RATING_REPLY}),
}


def fits_topic(topic: str, signed: Signed[Any], *, intent_key: bytes | None = None) -> bool:
    """The topic rule: ``signed``'s kind belongs on ``topic``, an intent on
    its own top-level category's topic, and a sealed offer on its intent's
    bucket topic when the intent's key is known (``intent_key``: a node
    that does not hold the intent cannot tell, and checks only the kind).
    Anything else is rejected."""
    if signed.kind not in TOPIC_KINDS.get(topic, frozenset()):
        return False
    if signed.kind is Kind.INTENT:
        return bool(topic == intents(signed.message.category[0]))
    if signed.kind is Kind.SEALED_OFFER and intent_key is not None:
        return topic == offers(intent_key)
    return True
