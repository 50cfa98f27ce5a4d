"""The node's store: one SQLite file, its repositories, and the expiry sweep."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from intentcast.protocol import ON_MARKET, IntentEvent, IntentState, OfferState, next_intent_state
from intentcast.store.budget import GossipBudget

from .connection import Connection, Synchronous, connect, marks
from .deals import Deals
from .gossip import GossipCache
from .offers import Offers
from .own import OwnIntents
from .peers import Peers
from .ratings import Ratings
from .relationships import Relationships
from .schema import schema_version
from .stems import OwnStems


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one :meth:`Store.sweep` removed or expired."""

    cached_intents: int
    tombstones: int
    relayed: int
    vendor_profiles: int
    seen_ids: int
    own_intents_expired: int
    offers_expired: int
    #: Expired ratings and replies to them.
    ratings: int = 0


class Store:
    """A node's durable state in one SQLite file (WAL, foreign keys on,
    ``synchronous=FULL``).

    Every write method returns only after its transaction committed, so a
    write the node acknowledges survives ``kill -9`` and power loss.
    Repositories: :attr:`intents` (own intents and key counters),
    :attr:`gossip` (others' messages and dedupe), :attr:`offers`,
    :attr:`deals`, :attr:`peers`, :attr:`stems` (own messages on their
    stem), :attr:`relationships` (after the deal). Use as a context manager, or call
    :meth:`close`. One store per process and thread.
    """

    def __init__(self, conn: Connection, budget: GossipBudget | None = None) -> None:
        self._c = conn
        #: The node's own intents and the key counter.
        self.intents = OwnIntents(conn)
        #: Other nodes' gossip kept until it expires, and seen ids.
        self.gossip = GossipCache(conn, budget)
        #: Offers received (customer) and made (vendor).
        self.offers = Offers(conn)
        #: Deals and their signed agreement records.
        self.deals = Deals(conn)
        #: The address book.
        self.peers = Peers(conn)
        #: Own messages sent down a stem and not seen fluffed yet.
        self.stems = OwnStems(conn)
        #: Verified ratings and replies kept, and own ratings waiting to leave.
        self.ratings = Ratings(conn)
        #: Relationships after the deal: threads and what was disclosed.
        self.relationships = Relationships(conn)

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        busy_timeout: float = 5.0,
        synchronous: Synchronous = Synchronous.FULL,
        max_bytes: int | None = None,
        budget: GossipBudget | None = None,
    ) -> Self:
        """Open (or create) the node database at ``path``, migrating it to the
        latest schema. ``busy_timeout`` is how long (seconds) a write waits
        for another process's lock; ``max_bytes`` caps the file size (a
        write beyond it raises :class:`DiskFull`); ``budget`` bounds how
        many of others' messages are kept per kind (default
        :class:`GossipBudget`; docs/store.md, "Budget").

        Raises a :class:`StoreError` subclass: :class:`NewerDatabase`,
        :class:`CorruptDatabase`, :class:`DatabaseLocked`, :class:`DiskFull`,
        :class:`DatabaseUnavailable`.
        """
        return cls(
            connect(path, busy_timeout=busy_timeout, synchronous=synchronous, max_bytes=max_bytes),
            budget,
        )

    @property
    def path(self) -> Path | None:
        """The database file (None for ``:memory:``)."""
        return self._c.path

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        with self._c.read() as conn:
            return schema_version(conn)

    def sync(self) -> None:
        """Make every write committed so far durable, as a flushed commit
        would (:meth:`Connection.sync <intentcast.store.connection.Connection.sync>`):
        for writes made with ``flush=False`` on a latency path. Safe to call
        from a worker thread while the node keeps using the store."""
        self._c.sync()

    @property
    def commits(self) -> int:
        """Write transactions committed since the file was opened."""
        return self._c.commits

    def checkpoints_apart(self) -> AbstractContextManager[None]:
        """While the block runs, no write checkpoints the WAL on the
        writer's thread; the caller runs :meth:`checkpoint` in a worker
        thread (:meth:`Connection.checkpoints_apart
        <intentcast.store.connection.Connection.checkpoints_apart>`)."""
        return self._c.checkpoints_apart()

    def checkpoint(self) -> int:
        """Copy committed WAL pages into the main file; safe in a worker
        thread while the node keeps using the store. Returns the pages left
        to copy (:meth:`Connection.checkpoint
        <intentcast.store.connection.Connection.checkpoint>`)."""
        return self._c.checkpoint()

    def integrity_check(self) -> list[str]:
        """SQLite's ``PRAGMA integrity_check``: ``["ok"]`` for a healthy file,
        otherwise the problems found."""
        with self._c.read() as conn:
            return [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]

    def sweep(self, now: int | None = None) -> SweepReport:
        """Remove what has expired at ``now`` (Unix seconds; the clock if
        None): cached intents (and superseded revisions), tombstones,
        relayed sealed offers and deals, vendor profiles, seen ids. Own
        records are kept: open own intents and offers still unanswered
        move to ``expired``; deals are never removed."""
        at = int(time.time()) if now is None else now
        with self._c.write() as conn:

            def delete(sql: str) -> int:
                return int(conn.execute(sql, (at,)).rowcount)

            cached = delete("DELETE FROM cached_intents WHERE expires <= ?")
            cached += conn.execute(
                "DELETE FROM cached_intents WHERE revision < (SELECT max(revision) "
                "FROM cached_intents d WHERE d.intent_key = cached_intents.intent_key)"
            ).rowcount
            tombstones = delete("DELETE FROM tombstones WHERE expires <= ?")
            relayed = delete("DELETE FROM relayed_offers WHERE expires <= ?")
            relayed += delete("DELETE FROM relayed_deals WHERE expires <= ?")
            profiles = delete("DELETE FROM vendor_profiles WHERE expires <= ?")
            seen = delete("DELETE FROM seen WHERE expires <= ?")
            ratings = delete("DELETE FROM ratings WHERE expires <= ?")
            ratings += delete("DELETE FROM rating_replies WHERE expires <= ?")
            delete("DELETE FROM own_stems WHERE expires <= ?")
            own = 0
            on_market = sorted(s.value for s in ON_MARKET)
            rows = conn.execute(
                "SELECT intent_key, state FROM own_intents WHERE expires <= ? "
                f"AND state IN ({marks(on_market)})",
                (at, *on_market),
            ).fetchall()
            for key, state in rows:
                new = next_intent_state(IntentState(state), IntentEvent.EXPIRE)
                conn.execute(
                    "UPDATE own_intents SET state = ? WHERE intent_key = ?", (new.value, key)
                )
                own += 1
            offers = 0
            for table in ("offers_received", "offers_made"):
                offers += conn.execute(
                    f"UPDATE {table} SET state = ? WHERE valid_until <= ? AND state = ?",
                    (OfferState.EXPIRED.value, at, OfferState.RECEIVED.value),
                ).rowcount
        return SweepReport(
            cached_intents=cached,
            tombstones=tombstones,
            relayed=relayed,
            vendor_profiles=profiles,
            seen_ids=seen,
            own_intents_expired=own,
            offers_expired=offers,
            ratings=ratings,
        )

    def close(self) -> None:
        """Close the database file. Safe to call twice."""
        self._c.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
