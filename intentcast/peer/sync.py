"""What one node decides in store-and-forward sync: which topics it asks
for, what it offers a peer, what it wants of an offer, and what it serves
of a want. The session's frames and streams are
:mod:`intentcast.node.sync`'s; the simulator (``simulations/sync.py``)
makes the same decisions with these functions.

Bounds (:class:`~intentcast.peer.config.SyncLimits`): a responder offers
at most ``max_inventory`` ids and serves at most ``max_wanted`` messages
a session, each offered message at most once however often it is wanted
(a peer asking for one 8 KiB message 20,000 times would otherwise get
160 MB; found by fuzzing); a requester wants at most ``max_wanted``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from intentcast.protocol import Kind
from intentcast.protocol.vocab import CATEGORIES

from . import topics
from .config import SyncLimits
from .stem import QUIET_PROBE_SECONDS, QUIET_PROBE_WINDOW

#: Seconds between a node's looks at its connections: a peer connected
#: since the last look is synced with, and anti-entropy runs when due
#: (``node/peering.py``; the simulator waits as long).
CONNECTION_POLL_SECONDS: Final = 0.2
#: Topics one hello may name, and the longest topic name.
MAX_TOPICS: Final = 64
MAX_TOPIC_LEN: Final = 100
#: The most seconds a hello's ``recent`` may name: a quiet customer's probe
#: looks back over :data:`~intentcast.peer.stem.QUIET_PROBE_WINDOW`.
MAX_RECENT: Final = int(QUIET_PROBE_WINDOW)


def resync_delay(after_connect_seconds: float, draw: float) -> float:
    """When a node syncs with a new peer the second time (a peer that had
    just restarted had nothing at first, and catches up meanwhile): about
    ``after_connect_seconds`` after connecting, spread uniformly over half
    to one and a half times it by ``draw`` (in [0, 1)), so that peers that
    connected together do not all sync at the same instant. (All at once,
    the 50 sessions of a 10-node network starting together stalled every
    node's event loop for ~200 ms: docs/benchmarks.md, network.)"""
    return after_connect_seconds * (0.5 + draw)


def refuse_session(*, serving_peer: bool, sessions: int, limits: SyncLimits) -> str | None:
    """Why a responder refuses a peer's new session now, as a verdict
    reason (None: serve it). One session per peer at a time: an honest
    requester never opens a second one, so a parallel session is a fault
    (``reject:``, the peer is struck; one that keeps doing it is banned);
    all ``max_sessions`` taken by other peers is no fault of this one
    (``ignore:``). ``serving_peer``: a session of this peer runs now;
    ``sessions``: how many run."""
    if serving_peer:
        return "reject:sync-busy"
    if sessions >= limits.max_sessions:
        return "ignore:sync-full"
    return None


class TooManyWanted(ValueError):
    """A peer wanted more ids than it was offered (a protocol fault)."""


def interests(*, relay: bool, vendor: bool = False, buckets: Iterable[int] = ()) -> list[str]:
    """The topics a node follows, from start-up, and names in every sync
    hello, sorted: a relay all of them; a vendor every intent topic, every
    offer bucket (its own offers come back fluffed on any of them: the
    stem's embargo watches for that) and the deals; a customer its
    ``buckets`` of offers (the set drawn once from its seed,
    :func:`~intentcast.peer.topics.bucket_set`) and the deals, and **no
    intents topic**: it takes no part in the intents' gossip, so it never
    forwards an intent and its own never leave it by gossip (a *quiet*
    author: its stem's watch is a probe of a follower's inventory,
    docs/privacy.md section 10); and every node the ratings (its ranking
    reads them).
    They depend on nothing the node's owner posted: a node
    that subscribed to a category's topics when its owner posted there, or
    named them in its hello, would tell its peers who wrote the intent that
    appears moments later (docs/privacy.md, sections 6 to 8). A vendor's
    role still answers only its own categories."""
    if relay:
        return sorted(topics.ALL_TOPICS)
    if vendor:
        return sorted(
            {*topics.ALL_INTENT_TOPICS, *topics.ALL_OFFER_TOPICS, topics.DEALS, topics.RATINGS}
        )
    offer_topics = [topics.offers_bucket(b) for b in buckets]
    return sorted({*offer_topics, topics.DEALS, topics.RATINGS})


def hello_topics_ok(value: object) -> bool:
    """Whether a hello's topics are a list of at most :data:`MAX_TOPICS`
    strings of at most :data:`MAX_TOPIC_LEN` characters."""
    return (
        type(value) is list
        and len(value) <= MAX_TOPICS
        and all(type(t) is str and len(t) <= MAX_TOPIC_LEN for t in value)
    )


def hello_recent_ok(value: object) -> bool:
    """Whether a hello's ``recent`` (None: absent) is an integer number of
    seconds from 1 to :data:`MAX_RECENT` (a bool is not one)."""
    return value is None or (type(value) is int and 1 <= value <= MAX_RECENT)


def served_topics(wanted: Iterable[str], followed: Collection[str]) -> list[str]:
    """The topics a responder offers messages on to a peer that wants
    ``wanted``: only those it ``followed`` itself (its
    :func:`interests`), sorted. A quiet customer follows no intents
    topic: asked for them, it offers none of its own intents, which it
    alone could have before they were diffused (offering one would name it
    as their author: docs/privacy.md, section 10)."""
    return sorted(set(wanted) & set(followed))


def is_quiet(followed: Iterable[str]) -> bool:
    """Whether a node following ``followed`` (its :func:`interests`) is a
    quiet customer: it follows no intents topic, so it probes a follower's
    inventory for its own intents (:func:`probe_peer`)."""
    return not any(t in topics.ALL_INTENT_TOPICS for t in followed)


def probe_topics() -> list[str]:
    """The topics a quiet customer's probe names in its hello, with
    ``recent``: every intents topic, whatever its owner posted."""
    return sorted(topics.ALL_INTENT_TOPICS)


def probe_peer(followers: Sequence[str], successors: Collection[str], draw: float) -> str | None:
    """Which connected peer a quiet customer probes (``draw`` in [0, 1)):
    one of the ``followers`` of the intents topics that is not one of this
    epoch's stem ``successors`` if there is one, else any follower; None
    if no follower is connected. A spy that is the author's successor
    could swallow the intent and claim to hold it, ending the stem's
    embargo; another follower cannot lie about what it never got."""
    if not followers:
        return None
    others = [p for p in followers if p not in successors]
    pool = sorted(others or followers)
    return pool[min(int(draw * len(pool)), len(pool) - 1)]


def next_probe(start: float, draw: float, now: float, period: float = QUIET_PROBE_SECONDS) -> float:
    """When a quiet customer that started at ``start`` probes next after
    ``now``: every ``period`` seconds
    (:data:`~intentcast.peer.stem.QUIET_PROBE_SECONDS`) at a phase of its
    own (``draw`` in [0, 1)), on a fixed grid whatever it posted (a probe
    timed by a post would tell the probed peer who posted); a slot missed (a slow probe) is
    skipped, not made up."""
    first = start + draw * period
    if now < first:
        return first
    return first + (math.floor((now - first) / period) + 1) * period


def item_topic(kind: Kind, topic: str | None, wanted: Collection[str]) -> str | None:
    """The topic a held message of ``kind`` (an intent or offer: ``topic``,
    the one it travels on) is offered under to a peer that wants
    ``wanted``; None: not offered. A withdrawal's intent may be gone, and
    with it its category: every peer that follows any intent topic gets
    every withdrawal (they are small, few, and what keeps a withdrawn intent
    from coming back)."""
    if kind is Kind.WITHDRAW:
        return next((t for t in sorted(wanted) if t in topics.ALL_INTENT_TOPICS), None)
    if kind in (Kind.INTENT, Kind.SEALED_OFFER) and topic is not None:
        pass
    elif kind is Kind.SEALED_DEAL:
        topic = topics.DEALS
    elif kind is Kind.VENDOR_PROFILE:
        topic = topics.PROFILES
    elif kind in (Kind.RATING, Kind.RATING_REPLY):
        topic = topics.RATINGS
    else:
        return None
    return topic if topic in wanted else None


def held_topic(*, intent_key: bytes | None, category: str | None) -> str | None:
    """The topic a held intent (``category``: its top-level one) or sealed
    offer (``intent_key``: its intent's key) travels on; None for any other
    kind (:func:`item_topic` names theirs)."""
    if intent_key is not None:
        return topics.offers(intent_key)
    return None if category is None else topics.intents(category)


@dataclass(frozen=True, slots=True)
class InventoryQuery:
    """Which of its held messages a responder looks up for a peer that
    wants some topics (:func:`inventory_query`), before :func:`offer`
    picks what to offer of them."""

    #: Withdrawals: the peer follows an intent topic (see :func:`item_topic`).
    withdrawals: bool
    #: Top-level categories whose intents the peer wants.
    intent_categories: frozenset[str]
    #: Offer buckets whose sealed offers the peer wants.
    offer_buckets: frozenset[int]
    deals: bool
    profiles: bool
    ratings: bool

    def wants_offers_of(self, intent_key: bytes) -> bool:
        """Whether the sealed offers to the intent with ``intent_key`` are wanted."""
        return topics.bucket(intent_key) in self.offer_buckets


def inventory_query(wanted: Collection[str]) -> InventoryQuery:
    """What to look up for a peer that wants the topics ``wanted``."""
    wanted = set(wanted)
    return InventoryQuery(
        withdrawals=any(t in topics.ALL_INTENT_TOPICS for t in wanted),
        intent_categories=frozenset(c for c in CATEGORIES if topics.intents(c) in wanted),
        offer_buckets=frozenset(
            b for b in range(topics.BUCKETS) if topics.offers_bucket(b) in wanted
        ),
        deals=topics.DEALS in wanted,
        profiles=topics.PROFILES in wanted,
        ratings=topics.RATINGS in wanted,
    )


def offer(
    held: Iterable[tuple[bytes, Kind, str | None]],
    wanted: Collection[str],
    *,
    hidden: Callable[[bytes], bool],
    limits: SyncLimits,
) -> list[tuple[bytes, str]]:
    """What a responder offers of what it ``held`` (id, kind, and for an
    intent or offer its topic; in the order to offer them): each on the topic a peer that wants
    ``wanted`` gets it under, never a ``hidden`` one (an own message still
    on its stem: handing it out would name its author), at most
    ``max_inventory``."""
    out: list[tuple[bytes, str]] = []
    for message_id, kind, on in held:
        if len(out) >= limits.max_inventory:
            break
        topic = item_topic(kind, on, wanted)
        if topic is not None and not hidden(message_id):
            out.append((message_id, topic))
    return out


def want(offered: Sequence[bytes], has: Callable[[bytes], bool], limits: SyncLimits) -> list[bytes]:
    """What a requester asks for of ``offered``: what it does not have, at
    most ``max_wanted`` (the rest at its next session)."""
    out: list[bytes] = []
    for message_id in dict.fromkeys(offered):
        if len(out) >= limits.max_wanted:
            break
        if not has(message_id):
            out.append(message_id)
    return out


def serve(wanted: Iterable[bytes], offered: Mapping[bytes, str], limits: SyncLimits) -> list[bytes]:
    """What a responder sends of what was ``wanted``: offered ids only, each
    once, at most ``max_wanted``. Raises :class:`TooManyWanted` if the
    peer wanted more distinct offered ids than it was offered (it cannot
    have, unless it lies)."""
    chosen = dict.fromkeys(i for i in wanted if i in offered)
    if len(chosen) > limits.max_inventory:
        raise TooManyWanted("wanted more ids than were offered")
    return list(chosen)[: limits.max_wanted]
