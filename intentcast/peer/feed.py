"""The offer feed's decisions (docs/privacy.md section 12, docs/wire.md
section 6): pure, the clock an argument.

A customer in feed mode (``NodeConfig.offer_feed``) follows no offer
bucket topic. It keeps one stream open to one *carrier* (a connected peer
that follows every offer bucket: a relay or a vendor), asks it once for
the offers it accepted in the last few seconds or hours (``recent``: how
long this customer was without a feed), and the carrier then pushes it
every sealed offer it accepts, on any bucket, once. So the customer
receives every offer of the network, each once (no mesh duplicates), and
nothing it subscribes to or asks for depends on what its owner posted:
two of its intents cannot be linked by their topic, and the cost is the
offers' bytes once, not the mesh's six copies of a share of them.

What is here: which peer to take the feed from (:func:`feed_peer`), what
a carrier keeps for catch-up (:class:`Backlog`), the request's check
(:func:`recent_ok`), and the limits (:class:`FeedLimits`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from . import topics

#: Longest catch-up a customer may ask for (seconds): a day.
MAX_RECENT: Final = 86_400


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedLimits:
    """Bounds on what a carrier spends on feeds, and on a customer's retries."""

    #: Feeds a carrier serves at once (one per peer); past it a request is
    #: answered ``busy`` and the customer tries another carrier.
    max_subscribers: int = 64
    #: Offers waiting to be written to one customer; past it the carrier
    #: cuts that feed (a customer that cannot keep up), and the customer
    #: opens a new one that catches up from the backlog.
    queue: int = 2_000
    #: How far back a carrier keeps the offers it accepted, for catch-up
    #: (seconds), and how many at most (about 1 kB each).
    backlog_seconds: int = 3_600
    backlog_max: int = 50_000
    #: A carrier sends a ``tick`` on a feed that has been quiet this long
    #: (seconds), and a customer that hears nothing for ``idle`` seconds
    #: takes its feed elsewhere (a carrier that went away silently).
    tick_seconds: float = 30.0
    idle: float = 90.0
    #: A customer without a feed tries again after this long (seconds),
    #: doubling up to ``retry_max``.
    retry_min: float = 1.0
    retry_max: float = 30.0


def serves_feed(followed: Collection[str]) -> bool:
    """Whether a node that follows ``followed`` (its own interests) can be
    a carrier: it follows every offer bucket topic."""
    return all(t in followed for t in topics.ALL_OFFER_TOPICS)


def feed_peer(carriers: Sequence[str], avoid: Collection[str], draw: float) -> str | None:
    """Which connected carrier a customer takes its feed from (``draw`` in
    [0, 1)): one not in ``avoid`` (carriers that just failed or refused)
    if there is one, else any; None if no carrier is connected."""
    if not carriers:
        return None
    pool = sorted(set(carriers) - set(avoid)) or sorted(set(carriers))
    return pool[min(int(draw * len(pool)), len(pool) - 1)]


def catch_up_seconds(offline: float | None, limits: FeedLimits) -> int:
    """The ``recent`` a customer asks for: how long it was without a feed
    (None: it never had one, since the node started: the whole backlog), a
    second more for the clocks' rounding, at most the backlog's length."""
    if offline is None:
        return limits.backlog_seconds
    return max(1, min(int(offline) + 1, limits.backlog_seconds, MAX_RECENT))


def recent_ok(value: object) -> bool:
    """Whether a feed request's ``recent`` is a whole number of seconds
    from 0 to :data:`MAX_RECENT` (a bool is not one)."""
    return type(value) is int and 0 <= value <= MAX_RECENT


class Backlog:
    """The sealed offers a carrier accepted lately, oldest first, for a
    customer that catches up: at most ``limits.backlog_max`` of them, none
    older than ``limits.backlog_seconds``. Times are the caller's clock."""

    def __init__(self, limits: FeedLimits) -> None:
        self._limits = limits
        self._items: deque[tuple[float, str, bytes]] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, now: float, topic: str, raw: bytes) -> None:
        self._items.append((now, topic, raw))
        self._trim(now)

    def since(self, now: float, recent: int) -> list[tuple[str, bytes]]:
        """The offers accepted in the last ``recent`` seconds, oldest first."""
        self._trim(now)
        start = now - recent
        return [(topic, raw) for at, topic, raw in self._items if at >= start]

    def _trim(self, now: float) -> None:
        items, oldest = self._items, now - self._limits.backlog_seconds
        while items and (len(items) > self._limits.backlog_max or items[0][0] < oldest):
            items.popleft()


def carriers(followers: Mapping[str, Collection[str]]) -> list[str]:
    """The peers that can be carriers, from the followers of each topic
    (``followers[topic]``): those that follow every offer bucket topic."""
    found: set[str] | None = None
    for topic in topics.ALL_OFFER_TOPICS:
        peers = set(followers.get(topic, ()))
        found = peers if found is None else found & peers
    return sorted(found or ())
