"""What the node keeps of other people's gossip until it expires: live
intents, tombstones of withdrawn intents, sealed offers and sealed deals to
relay (store-and-forward), vendor profiles, and the ids of every message
seen (dedupe across restarts: the network replays messages).

This module ingests them (dedupe, tombstones, the budget) and looks them
up by key; what sync hands a peer is read in :mod:`.inventory`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from intentcast.protocol import (
    GOSSIP_KINDS,
    Intent,
    Kind,
    SealedDeal,
    SealedOffer,
    Signed,
    VendorProfile,
    Withdraw,
)

from .budget import GossipBudget, evict, kept
from .connection import Connection, rows_in
from .inventory import InventoryItem, SyncInventory
from .ratings import ingest_rows

__all__ = ["GossipCache", "Ingest", "InventoryItem"]


class Ingest(enum.Enum):
    """What :meth:`GossipCache.ingest` did with one message."""

    #: Stored for the first time: deliver and relay it.
    NEW = "new"
    #: Seen before (now or in an earlier run): drop it quietly.
    DUPLICATE = "duplicate"
    #: An intent whose author withdrew it: remembered as seen, not kept.
    WITHDRAWN = "withdrawn"


def _existing(conn: Any, sql: str, keys: Sequence[bytes]) -> set[bytes]:
    return {row[0] for row in rows_in(conn, sql, keys)}


_INSERT_SEEN: Final = "INSERT OR IGNORE INTO seen (id, kind, expires) VALUES (?, ?, ?)"
_INSERT_INTENT: Final = (
    "INSERT OR IGNORE INTO cached_intents (id, intent_key, revision, topic, expires, raw, created) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_OFFER: Final = (
    "INSERT OR IGNORE INTO relayed_offers (id, intent_id, expires, raw, created) "
    "VALUES (?, ?, ?, ?, ?)"
)
_INSERT_DEAL: Final = (
    "INSERT OR IGNORE INTO relayed_deals (id, tag, expires, raw) VALUES (?, ?, ?, ?)"
)
_UPSERT_PROFILE: Final = (
    "INSERT INTO vendor_profiles (vendor_key, id, created, expires, raw) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (vendor_key) DO UPDATE SET id = excluded.id, created = excluded.created, "
    "expires = excluded.expires, raw = excluded.raw "
    "WHERE excluded.created > vendor_profiles.created"
)
_INSERT_TOMBSTONE: Final = (
    "INSERT INTO tombstones (intent_key, withdraw_id, expires, raw, created) "
    "VALUES (?1, ?2, max(?3, coalesce((SELECT max(expires) FROM cached_intents "
    "WHERE intent_key = ?1), 0)), ?4, ?5) "
    "ON CONFLICT (intent_key) DO UPDATE SET expires = max(tombstones.expires, excluded.expires)"
)

_EXTEND_TOMBSTONE: Final = "UPDATE tombstones SET expires = max(expires, ?) WHERE intent_key = ?"
_RATING_KINDS: Final = frozenset({Kind.RATING, Kind.RATING_REPLY})


def _unseen(conn: Any, messages: Sequence[Signed[Any]]) -> list[tuple[int, Signed[Any]]]:
    """The messages of a batch never seen before (nor earlier in the batch),
    each with its index in the batch."""
    seen = _existing(conn, "SELECT id FROM seen WHERE id IN ({})", [m.id for m in messages])
    fresh: list[tuple[int, Signed[Any]]] = []
    for index, m in enumerate(messages):
        if m.id not in seen:
            seen.add(m.id)
            fresh.append((index, m))
    return fresh


def _tombstoned(conn: Any, fresh: Sequence[tuple[int, Signed[Any]]]) -> set[bytes]:
    """The keys of the batch's intents whose author withdrew them."""
    intent_keys = [m.signer for _, m in fresh if m.kind is Kind.INTENT]
    if not intent_keys:
        return set()
    return _existing(
        conn, "SELECT intent_key FROM tombstones WHERE intent_key IN ({})", intent_keys
    )


@dataclass(slots=True)
class _Rows:
    """What one batch writes, table by table."""

    intents: list[tuple[Any, ...]] = field(default_factory=list)
    offers: list[tuple[Any, ...]] = field(default_factory=list)
    deals: list[tuple[Any, ...]] = field(default_factory=list)
    profiles: list[tuple[Any, ...]] = field(default_factory=list)
    #: (expires, intent key) of intents refused for a tombstone.
    refused: list[tuple[Any, ...]] = field(default_factory=list)
    rated: list[Signed[Any]] = field(default_factory=list)

    def add(self, m: Signed[Any], dead: set[bytes]) -> Ingest:
        """Sort one unseen message into its table's rows (``dead``: the
        keys of withdrawn intents); what happens to it."""
        kind = m.kind
        msg = m.message
        if kind is Kind.INTENT:
            if m.signer in dead:
                self.refused.append((msg.expires, m.signer))
                return Ingest.WITHDRAWN
            self.intents.append(
                (m.id, m.signer, msg.revision, msg.category[0], msg.expires, m.raw, msg.created)
            )
        elif kind is Kind.SEALED_OFFER:
            self.offers.append((m.id, msg.intent_id, msg.expires, m.raw, msg.created))
        elif kind is Kind.SEALED_DEAL:
            self.deals.append((m.id, msg.to, msg.expires, m.raw))
        elif kind is Kind.VENDOR_PROFILE:
            self.profiles.append((m.signer, m.id, msg.created, msg.expires, m.raw))
        elif kind in _RATING_KINDS:
            self.rated.append(m)
        return Ingest.NEW

    def write(self, conn: Any, fresh: Sequence[tuple[int, Signed[Any]]]) -> None:
        """Write the rows, and every message of ``fresh`` as seen."""
        conn.executemany(_INSERT_SEEN, [(m.id, m.kind.value, m.message.expires) for _, m in fresh])
        if self.refused:
            # Keep the tombstone while any revision it refused is live, so
            # another revision of a withdrawn intent cannot come back.
            conn.executemany(_EXTEND_TOMBSTONE, self.refused)
        for sql, rows in (
            (_INSERT_INTENT, self.intents),
            (_INSERT_OFFER, self.offers),
            (_INSERT_DEAL, self.deals),
            (_UPSERT_PROFILE, self.profiles),
        ):
            if rows:
                conn.executemany(sql, rows)
        ingest_rows(conn, self.rated)


class GossipCache(SyncInventory):
    """Other nodes' gossip, kept until it expires, and what sync hands out
    of it (:class:`~.inventory.SyncInventory`). Obtain it as
    :attr:`Store.gossip <intentcast.store.Store.gossip>`."""

    def __init__(self, conn: Connection, budget: GossipBudget | None = None) -> None:
        super().__init__(conn)
        self.budget = budget or GossipBudget()
        #: Others' messages evicted for the budget since the store opened, by kind.
        self.evicted: dict[Kind, int] = {}

    def ingest(self, signed: Signed[Any]) -> Ingest:
        """Store one validated gossip message (intent, withdraw, sealed offer,
        sealed deal, vendor profile) and return what happened. Idempotent by
        message id; returns after the write is committed."""
        return self.ingest_many([signed])[0]

    def ingest_many(self, messages: Sequence[Signed[Any]], *, flush: bool = True) -> list[Ingest]:
        """Store a batch of validated gossip messages in one transaction (one
        fsync), e.g. what a peer hands over on sync. Returns one
        :class:`Ingest` per message, in order. Withdrawals in the batch apply
        before its intents, so an intent is refused whatever the order.

        ``flush=False`` does not wait for the disk (see
        :meth:`Connection.write`): the node relays others' gossip this way,
        since a power cut can only lose what sync hands back."""
        for m in messages:
            if m.kind not in GOSSIP_KINDS:
                raise ValueError(f"{m.kind} is not a gossip kind the cache keeps")
        results: list[Ingest] = [Ingest.DUPLICATE] * len(messages)
        with self._c.write(flush=flush) as conn:
            fresh = _unseen(conn, messages)
            if not fresh:
                return results
            withdraws = [m for _, m in fresh if m.kind is Kind.WITHDRAW]
            if withdraws:
                self._withdraw(conn, withdraws)
            dead = _tombstoned(conn, fresh)
            rows = _Rows()
            for index, m in fresh:
                results[index] = rows.add(m, dead)
            rows.write(conn, fresh)
            evicted = evict(conn, self.budget, {m.kind for _, m in fresh})
        for kind, n in evicted.items():
            self.evicted[kind] = self.evicted.get(kind, 0) + n
        return results

    def kept(self, kind: Kind) -> int:
        """How many messages of ``kind`` are kept (own and protected included)."""
        with self._c.read() as conn:
            return kept(conn, kind)

    def unseen(self, ids: Sequence[bytes]) -> list[bytes]:
        """The ids among ``ids`` never stored or refused, in order, each once."""
        unique = list(dict.fromkeys(ids))
        with self._c.read() as conn:
            seen = _existing(conn, "SELECT id FROM seen WHERE id IN ({})", unique)
        return [i for i in unique if i not in seen]

    @staticmethod
    def _withdraw(conn: Any, withdraws: list[Signed[Withdraw]]) -> None:
        for w in withdraws:
            conn.execute(
                _INSERT_TOMBSTONE, (w.signer, w.id, w.message.expires, w.raw, w.message.created)
            )
            conn.execute("DELETE FROM cached_intents WHERE intent_key = ?", (w.signer,))

    def has_seen(self, message_id: bytes) -> bool:
        """True if a message with this id was stored or refused before."""
        with self._c.read() as conn:
            row = conn.execute("SELECT 1 FROM seen WHERE id = ?", (message_id,)).fetchone()
        return row is not None

    def _one(self, table: str, column: str, key: bytes) -> Signed[Any] | None:
        """The message in ``table`` whose ``column`` is ``key``, decoded, or None."""
        with self._c.read() as conn:
            row = conn.execute(f"SELECT raw FROM {table} WHERE {column} = ?", (key,)).fetchone()
        return None if row is None else self._c.decode(row[0], table)

    def _all(self, table: str, column: str, key: bytes) -> list[Signed[Any]]:
        """The messages in ``table`` whose ``column`` is ``key``, decoded, oldest first."""
        with self._c.read() as conn:
            rows = conn.execute(
                f"SELECT raw FROM {table} WHERE {column} = ? ORDER BY rowid", (key,)
            ).fetchall()
        return [self._c.decode(r[0], table) for r in rows]

    def intent_key_of(self, intent_id: bytes) -> bytes | None:
        """The key of the intent revision ``intent_id``, cached or own; None
        if this node holds neither."""
        with self._c.read() as conn:
            for table in ("cached_intents", "own_intent_revisions"):
                row = conn.execute(
                    f"SELECT intent_key FROM {table} WHERE id = ?", (intent_id,)
                ).fetchone()
                if row is not None:
                    return bytes(row[0])
        return None

    def intent(self, message_id: bytes) -> Signed[Intent] | None:
        """The cached intent revision with this message id, if kept."""
        return self._one("cached_intents", "id", message_id)

    def newest_revision(self, intent_key: bytes) -> int | None:
        """The highest revision cached of the intent with this key, or None
        (an index lookup: no message is decoded)."""
        with self._c.read() as conn:
            row = conn.execute(
                "SELECT max(revision) FROM cached_intents WHERE intent_key = ?", (intent_key,)
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def tombstone(self, intent_key: bytes) -> Signed[Withdraw] | None:
        """The withdrawal of the intent with this key, while it is kept."""
        return self._one("tombstones", "intent_key", intent_key)

    def sealed_offers(self, intent_id: bytes) -> list[Signed[SealedOffer]]:
        """Sealed offers kept for relay that answer the intent revision ``intent_id``."""
        return self._all("relayed_offers", "intent_id", intent_id)

    def sealed_deals(self, tag: bytes) -> list[Signed[SealedDeal]]:
        """Sealed accepts/confirms/declines kept for relay with routing tag ``tag``."""
        return self._all("relayed_deals", "tag", tag)

    def vendor_profile(self, vendor_key: bytes) -> Signed[VendorProfile] | None:
        """The newest profile of this vendor (by ``created``), while kept."""
        return self._one("vendor_profiles", "vendor_key", vendor_key)
