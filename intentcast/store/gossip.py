"""What the node keeps of other people's gossip until it expires: live
intents, tombstones of withdrawn intents, sealed offers and sealed deals to
relay (store-and-forward), vendor profiles, and the ids of every message
seen (dedupe across restarts: the network replays messages).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
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
from .connection import Connection
from .ratings import ingest_rows

#: Host parameters per ``IN (...)`` query; far below SQLite's limit.
CHUNK: Final = 500


class Ingest(enum.Enum):
    """What :meth:`GossipCache.ingest` did with one message."""

    #: Stored for the first time: deliver and relay it.
    NEW = "new"
    #: Seen before (now or in an earlier run): drop it quietly.
    DUPLICATE = "duplicate"
    #: An intent whose author withdrew it: remembered as seen, not kept.
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class InventoryItem:
    """A live message a peer may be offered on sync, by id: its kind and,
    for an intent, its top-level category; for a sealed offer, its
    intent's key (which names the offer's bucket topic)."""

    id: bytes
    kind: Kind
    category: str | None = None
    intent_key: bytes | None = None


def _chunks(items: Sequence[bytes]) -> Iterable[Sequence[bytes]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _existing(conn: Any, sql: str, keys: Sequence[bytes]) -> set[bytes]:
    found: set[bytes] = set()
    for part in _chunks(keys):
        found.update(row[0] for row in conn.execute(sql.format(_marks(part)), part))
    return found


_INSERT_SEEN: Final = "INSERT OR IGNORE INTO seen (id, kind, expires) VALUES (?, ?, ?)"
_INSERT_INTENT: Final = (
    "INSERT OR IGNORE INTO cached_intents (id, intent_key, revision, topic, expires, raw) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_OFFER: Final = (
    "INSERT OR IGNORE INTO relayed_offers (id, intent_id, expires, raw) VALUES (?, ?, ?, ?)"
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
    "INSERT INTO tombstones (intent_key, withdraw_id, expires, raw) "
    "VALUES (?1, ?2, max(?3, coalesce((SELECT max(expires) FROM cached_intents "
    "WHERE intent_key = ?1), 0)), ?4) "
    "ON CONFLICT (intent_key) DO UPDATE SET expires = max(tombstones.expires, excluded.expires)"
)

_EXTEND_TOMBSTONE: Final = "UPDATE tombstones SET expires = max(expires, ?) WHERE intent_key = ?"
_RATING_KINDS: Final = frozenset({Kind.RATING, Kind.RATING_REPLY})
_RATING_TABLES: Final = (("ratings", Kind.RATING), ("rating_replies", Kind.RATING_REPLY))
_RELAYED: Final = ("tombstones", "relayed_offers", "relayed_deals", "vendor_profiles")


class GossipCache:
    """Other nodes' gossip, kept until it expires. Obtain it as
    :attr:`Store.gossip <intentcast.store.Store.gossip>`."""

    def __init__(self, conn: Connection, budget: GossipBudget | None = None) -> None:
        self._c = conn
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
            seen = _existing(conn, "SELECT id FROM seen WHERE id IN ({})", [m.id for m in messages])
            fresh: list[tuple[int, Signed[Any]]] = []
            for index, m in enumerate(messages):
                if m.id not in seen:
                    seen.add(m.id)
                    fresh.append((index, m))
            if not fresh:
                return results
            withdraws = [m for _, m in fresh if m.kind is Kind.WITHDRAW]
            if withdraws:
                self._withdraw(conn, withdraws)
            intent_keys = [m.signer for _, m in fresh if m.kind is Kind.INTENT]
            dead = (
                _existing(
                    conn, "SELECT intent_key FROM tombstones WHERE intent_key IN ({})", intent_keys
                )
                if intent_keys
                else set()
            )
            intents, offers, deals, profiles, refused, rated = [], [], [], [], [], []
            for index, m in fresh:
                kind = m.kind
                msg = m.message
                if kind is Kind.INTENT:
                    if m.signer in dead:
                        results[index] = Ingest.WITHDRAWN
                        refused.append((msg.expires, m.signer))
                        continue
                    intents.append(
                        (m.id, m.signer, msg.revision, msg.category[0], msg.expires, m.raw)
                    )
                elif kind is Kind.SEALED_OFFER:
                    offers.append((m.id, msg.intent_id, msg.expires, m.raw))
                elif kind is Kind.SEALED_DEAL:
                    deals.append((m.id, msg.to, msg.expires, m.raw))
                elif kind is Kind.VENDOR_PROFILE:
                    profiles.append((m.signer, m.id, msg.created, msg.expires, m.raw))
                elif kind in _RATING_KINDS:
                    rated.append(m)
                results[index] = Ingest.NEW
            conn.executemany(
                _INSERT_SEEN, [(m.id, m.kind.value, m.message.expires) for _, m in fresh]
            )
            if refused:
                # Keep the tombstone while any revision it refused is live, so
                # another revision of a withdrawn intent cannot come back.
                conn.executemany(_EXTEND_TOMBSTONE, refused)
            if intents:
                conn.executemany(_INSERT_INTENT, intents)
            if offers:
                conn.executemany(_INSERT_OFFER, offers)
            if deals:
                conn.executemany(_INSERT_DEAL, deals)
            if profiles:
                conn.executemany(_UPSERT_PROFILE, profiles)
            ingest_rows(conn, rated)
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
            conn.execute(_INSERT_TOMBSTONE, (w.signer, w.id, w.message.expires, w.raw))
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

    def live_intents(self, *, now: int, category: str | None = None) -> list[Signed[Intent]]:
        """The newest revision of every cached intent that has not expired at
        ``now`` (optionally of one top-level category), oldest first."""
        sql = (
            "SELECT raw FROM cached_intents c WHERE expires > ? "
            "AND revision = (SELECT max(revision) FROM cached_intents d "
            "WHERE d.intent_key = c.intent_key)"
        )
        args: tuple[object, ...] = (now,)
        if category is not None:
            sql += " AND topic = ?"  # the column holds the top-level category
            args += (category,)
        with self._c.read() as conn:
            rows = conn.execute(sql + " ORDER BY rowid", args).fetchall()
        return [self._c.decode(r[0], "cached_intents") for r in rows]

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

    def live_messages(self, *, now: int) -> list[Signed[Any]]:
        """Everything this node would hand a peer on sync: unexpired
        withdrawals, the newest revision of our own intents still on the
        market and of cached intents, sealed offers, sealed deals and vendor
        profiles, withdrawals first (so the peer refuses the intents they
        cover)."""
        out: list[Signed[Any]] = []
        with self._c.read() as conn:
            for table in (*_RELAYED, "ratings", "rating_replies"):
                rows = conn.execute(f"SELECT raw FROM {table} WHERE expires > ?", (now,))
                out.extend(self._c.decode(r[0], table) for r in rows)
            own = conn.execute(_OWN_LIVE, (now,)).fetchall()
        withdraws = [m for m in out if m.kind is Kind.WITHDRAW]
        rest = [m for m in out if m.kind is not Kind.WITHDRAW]
        mine = [self._c.decode(r[0], "own_intent_revisions") for r in own]
        return withdraws + mine + list(self.live_intents(now=now)) + rest

    def inventory(
        self,
        *,
        now: int,
        withdrawals: bool,
        intent_categories: Collection[str],
        offers_of: Callable[[bytes], bool] | None,
        deals: bool,
        profiles: bool,
        limit: int,
        ratings: bool = False,
    ) -> list[InventoryItem]:
        """What :meth:`live_messages` holds, as ids only (index queries, no
        envelope decoded but the node's own live intents): withdrawals, own
        intents and cached intents of ``intent_categories``, sealed offers
        to intents whose key ``offers_of`` takes (None: no offers), sealed
        deals, vendor profiles; in that order, newest first within each, at
        most ``limit`` in all."""
        out: list[InventoryItem] = []
        with self._c.read() as conn:
            if withdrawals:
                out += _ids(conn, _LIVE_WITHDRAW_IDS, Kind.WITHDRAW, now, limit)
            if intent_categories and len(out) < limit:
                out += self._intent_ids(conn, now, intent_categories, limit - len(out))
            if offers_of is not None and len(out) < limit:
                out += _offer_ids(conn, now, offers_of, limit - len(out))
            if deals and len(out) < limit:
                out += _ids(conn, _LIVE_DEAL_IDS, Kind.SEALED_DEAL, now, limit - len(out))
            if profiles and len(out) < limit:
                out += _ids(conn, _LIVE_PROFILE_IDS, Kind.VENDOR_PROFILE, now, limit - len(out))
            if ratings and len(out) < limit:  # ratings, then the replies to them
                for table, kind in (
                    ("ratings", Kind.RATING),
                    ("rating_replies", Kind.RATING_REPLY),
                ):
                    sql = _LIVE_PROFILE_IDS.replace("vendor_profiles", table)
                    out += _ids(conn, sql, kind, now, limit - len(out))
        return out[:limit]

    def _intent_ids(
        self, conn: Any, now: int, categories: Collection[str], room: int
    ) -> list[InventoryItem]:
        """The node's own live intents, then the newest cached revisions, in
        ``categories``: at most ``room``."""
        out: list[InventoryItem] = []
        for r in conn.execute(_OWN_LIVE, (now,)).fetchall():
            own: Signed[Intent] = self._c.decode(r[0], "own_intent_revisions")
            if own.message.category[0] in categories and len(out) < room:
                out.append(InventoryItem(own.id, Kind.INTENT, own.message.category[0]))
        cats = sorted(categories)
        rows = conn.execute(_LIVE_INTENT_IDS.format(_marks(cats)), (now, *cats, room - len(out)))
        out.extend(InventoryItem(r[0], Kind.INTENT, r[1]) for r in rows)
        return out

    def raw_many(self, ids: Sequence[bytes], *, now: int) -> dict[bytes, bytes]:
        """Envelope bytes of the live messages among ``ids`` that
        :meth:`live_messages` would offer (what a peer asks for on sync), by
        id; ids of messages not kept (or expired) are left out."""
        found: dict[bytes, bytes] = {}
        with self._c.read() as conn:
            for sql in (*_RAW_MANY, _OWN_LIVE_MANY):
                rest = [i for i in ids if i not in found]
                for part in _chunks(rest):
                    for row in conn.execute(sql.format(_marks(part)), (now, *part)):
                        found[bytes(row[0])] = bytes(row[1])
        return found

    def raw(self, message_id: bytes, *, now: int) -> bytes | None:
        """Envelope bytes of one live message :meth:`live_messages` would
        offer, by id (what a peer asks for on sync), or None."""
        with self._c.read() as conn:
            for sql in _RAW_BY_ID:
                row = conn.execute(sql, (now, message_id)).fetchone()
                if row is not None:
                    return bytes(row[0])
            row = conn.execute(_OWN_LIVE_BY_ID, (now, message_id)).fetchone()
        return None if row is None else bytes(row[0])


#: Own intents still on the market, with their newest revision ``r``.
_OWN_ON_MARKET: Final = (
    "FROM own_intents o JOIN own_intent_revisions r "
    "ON r.intent_key = o.intent_key AND r.revision = o.revision "
    "WHERE o.state IN ('open', 'amended', 'accepted') AND o.expires > ?"
)
#: Newest revision of each own intent still on the market.
_OWN_LIVE: Final = f"SELECT r.raw {_OWN_ON_MARKET} ORDER BY o.counter"
_OWN_LIVE_BY_ID: Final = f"SELECT r.raw {_OWN_ON_MARKET} AND r.id = ?"

#: Tables of others' live messages, and the column of their message id.
_LIVE_TABLES: Final = (
    ("cached_intents", "id"),
    ("relayed_offers", "id"),
    ("relayed_deals", "id"),
    ("tombstones", "withdraw_id"),
    ("vendor_profiles", "id"),
    ("ratings", "id"),
    ("rating_replies", "id"),
)
_RAW_BY_ID: Final = tuple(
    f"SELECT raw FROM {table} WHERE expires > ? AND {column} = ?" for table, column in _LIVE_TABLES
)
#: ``{}``: the marks of the ids asked for.
_RAW_MANY: Final = tuple(
    f"SELECT {column}, raw FROM {table} WHERE expires > ? AND {column} IN ({{}})"
    for table, column in _LIVE_TABLES
)
_OWN_LIVE_MANY: Final = f"SELECT r.id, r.raw {_OWN_ON_MARKET} AND r.id IN ({{}})"

_LIVE_WITHDRAW_IDS: Final = (
    "SELECT withdraw_id FROM tombstones WHERE expires > ? ORDER BY expires DESC LIMIT ?"
)
_LIVE_DEAL_IDS: Final = "SELECT id FROM relayed_deals WHERE expires > ? ORDER BY rowid DESC LIMIT ?"
_LIVE_PROFILE_IDS: Final = (
    "SELECT id FROM vendor_profiles WHERE expires > ? ORDER BY rowid DESC LIMIT ?"
)
#: Newest cached revisions of intents in some categories (``{}``: their marks).
_LIVE_INTENT_IDS: Final = (
    "SELECT id, topic FROM cached_intents c WHERE expires > ? AND topic IN ({}) "
    "AND revision = (SELECT max(revision) FROM cached_intents d "
    "WHERE d.intent_key = c.intent_key) ORDER BY rowid DESC LIMIT ?"
)
#: Sealed offers to cached intents, and to own intents, with their intent's key.
_LIVE_OFFER_IDS: Final = (
    "SELECT o.id, c.intent_key FROM relayed_offers o JOIN cached_intents c "
    "ON c.id = o.intent_id WHERE o.expires > ? ORDER BY o.rowid DESC"
)
_LIVE_OWN_OFFER_IDS: Final = (
    "SELECT o.id, r.intent_key FROM relayed_offers o JOIN own_intent_revisions r "
    "ON r.id = o.intent_id WHERE o.expires > ? ORDER BY o.rowid DESC"
)


def _offer_ids(
    conn: Any, now: int, offers_of: Callable[[bytes], bool], room: int
) -> list[InventoryItem]:
    """Sealed offers to cached intents whose key ``offers_of`` takes (at
    most ``room``), then those to the node's own intents (at most ``room``
    more: the caller cuts to its limit). The rows are read lazily, so a
    node that follows a few buckets reads past the others' offers only
    until it has ``room``."""
    out: list[InventoryItem] = []
    for sql in (_LIVE_OFFER_IDS, _LIVE_OWN_OFFER_IDS):
        taken = 0
        for offer_id, intent_key in conn.execute(sql, (now,)):
            if taken >= room:
                break
            key = bytes(intent_key)
            if offers_of(key):
                out.append(InventoryItem(bytes(offer_id), Kind.SEALED_OFFER, intent_key=key))
                taken += 1
    return out


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _ids(conn: Any, sql: str, kind: Kind, now: int, room: int) -> list[InventoryItem]:
    """Ids of one kind from ``sql`` (parameters: now, at most how many)."""
    return [InventoryItem(r[0], kind) for r in conn.execute(sql, (now, room))]
