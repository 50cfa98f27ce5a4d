"""The offer feed's decisions (docs/privacy.md section 12, docs/wire.md
section 6): pure, the clock an argument.

A customer in feed mode (``NodeConfig.offer_feed``) follows no offer
bucket topic. It keeps one stream open to one *carrier* (a connected peer
that follows every offer bucket: a relay or a vendor), asks it once for
the offers created while it was away (``recent``: how long this customer
was without a feed), and the carrier then pushes it
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

#: Longest catch-up a customer may ask for (seconds): a week.
MAX_RECENT: Final = 7 * 86_400
#: Seconds added to a customer's time away when it asks to catch up: its
#: last heartbeat may be up to a minute old (``node/ratings.py WATCH_BEAT``),
#: and the clocks round.
CATCH_UP_MARGIN: Final = 62


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedLimits:
    """Bounds on what a carrier spends on feeds, and on a customer's retries."""

    #: Feeds a carrier serves at once (one per peer); past it a request is
    #: answered ``busy`` and the customer tries another carrier.
    max_subscribers: int = 64
    #: Offers waiting to be written to one customer (about 1 kB each; 64
    #: feeds' queues at most 32 MB); past it the carrier cuts that feed (a
    #: customer that cannot keep up), and the customer opens a new one that
    #: catches up.
    queue: int = 500
    #: Most offers one catch-up hands over (the newest; about 1 kB each):
    #: a customer away for longer than a busy market fills gets the newest.
    catch_up_max: int = 20_000
    #: The offers a carrier accepted in the last ``backlog_seconds`` (at
    #: most ``backlog_max``), kept in memory too: a catch-up reads the
    #: store, and these may not be written yet.
    backlog_seconds: int = 60
    backlog_max: int = 5_000
    #: A carrier sends a ``tick`` on a feed that has been quiet this long
    #: (seconds), and a customer that hears nothing for ``idle`` seconds
    #: takes its feed elsewhere (a carrier that went away silently).
    tick_seconds: float = 30.0
    idle: float = 90.0
    #: A customer takes its feed from another carrier (if one is
    #: connected) after this long (seconds): a carrier that drops offers
    #: (it cannot tell which are the customer's, so it drops at random)
    #: costs it at most one such stretch.
    rotate_seconds: float = 3_600.0
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


def catch_up_seconds(away: float | None) -> int:
    """The ``recent`` a customer asks for: how long it was without a feed
    (``away``, seconds; None: it never watched the network, so it has
    nothing to catch up on) and :data:`CATCH_UP_MARGIN`, at most
    :data:`MAX_RECENT`."""
    if away is None:
        return 0
    return max(1, min(int(max(0.0, away)) + CATCH_UP_MARGIN, MAX_RECENT))


def recent_ok(value: object) -> bool:
    """Whether a feed request's ``recent`` is a whole number of seconds
    from 0 to :data:`MAX_RECENT` (a bool is not one)."""
    return type(value) is int and 0 <= value <= MAX_RECENT


class Backlog:
    """The sealed offers a carrier accepted lately, oldest first: at most
    ``limits.backlog_max`` of them, none older than
    ``limits.backlog_seconds``. A catch-up takes them with the store's
    (which may not have written the newest yet). Times are the caller's
    clock."""

    def __init__(self, limits: FeedLimits) -> None:
        self._limits = limits
        self._items: deque[tuple[float, str, bytes]] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, now: float, topic: str, raw: bytes) -> None:
        self._items.append((now, topic, raw))
        self._trim(now)

    def since(self, now: float, recent: int) -> list[tuple[str, bytes]]:
        """The offers accepted in the last ``recent`` seconds (and kept),
        oldest first."""
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
