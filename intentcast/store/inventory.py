"""What a node holds live of others' gossip and its own intents, and hands
a peer on sync (docs/node.md, "Sync: store-and-forward"): every live message in full
(:meth:`SyncInventory.live_messages`), their ids by kind for an inventory
(:meth:`SyncInventory.inventory`), and envelopes by id for what a peer
asks for (:meth:`SyncInventory.raw_many`). Index queries: no envelope is
decoded but the node's own live intents. :class:`~.gossip.GossipCache`
writes what these read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final

from intentcast.protocol import Intent, Kind, Signed

from .connection import Repository, marks, narrowed, rows_in


@dataclass(frozen=True, slots=True)
class InventoryItem:
    """A live message a peer may be offered on sync, by id: its kind and,
    for an intent, its top-level category; for a sealed offer, its
    intent's key (which names the offer's bucket topic)."""

    id: bytes
    kind: Kind
    category: str | None = None
    intent_key: bytes | None = None


_RATING_TABLES: Final = (("ratings", Kind.RATING), ("rating_replies", Kind.RATING_REPLY))
_RELAYED: Final = ("tombstones", "relayed_offers", "relayed_deals", "vendor_profiles")
#: The newest revision of every cached intent that has not expired.
_LIVE_INTENTS: Final = (
    "SELECT raw FROM cached_intents c WHERE expires > ? "
    "AND revision = (SELECT max(revision) FROM cached_intents d "
    "WHERE d.intent_key = c.intent_key)"
)


class SyncInventory(Repository):
    """The live messages a node holds and hands a peer on sync. Read
    through :attr:`Store.gossip <intentcast.store.Store.gossip>` (a
    :class:`~.gossip.GossipCache` is one)."""

    def live_intents(self, *, now: int, category: str | None = None) -> list[Signed[Intent]]:
        """The newest revision of every cached intent that has not expired at
        ``now`` (optionally of one top-level category), oldest first."""
        # the topic column holds the top-level category
        sql, args = narrowed(_LIVE_INTENTS, (now,), " AND topic = ?", category)
        rows = self._c.rows(sql + " ORDER BY rowid", args)
        return [self._c.decode(r[0], "cached_intents") for r in rows]

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
                for table, kind in _RATING_TABLES:
                    out += _ids(conn, _LIVE_IDS.format(table), kind, now, limit - len(out))
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
        rows = conn.execute(_LIVE_INTENT_IDS.format(marks(cats)), (now, *cats, room - len(out)))
        out.extend(InventoryItem(r[0], Kind.INTENT, r[1]) for r in rows)
        return out

    def recent_intents(
        self,
        *,
        now: int,
        since: int,
        withdrawals: bool,
        intent_categories: Collection[str],
        limit: int,
    ) -> list[InventoryItem]:
        """The ids of live intents-topic messages *created* (by their own
        ``created``) at ``since`` or later: withdrawals (if ``withdrawals``),
        then the node's own live intents and every cached revision of
        ``intent_categories``, newest first within each, at most ``limit``
        in all. What a follower answers a quiet customer's probe
        (docs/wire.md section 4, ``recent``): index queries on ``created``
        (schema version 6), no envelope decoded but the node's own."""
        out: list[InventoryItem] = []
        with self._c.read() as conn:
            if withdrawals:
                rows = conn.execute(_RECENT_WITHDRAW_IDS, (since, now, limit))
                out += [InventoryItem(r[0], Kind.WITHDRAW) for r in rows]
            if intent_categories and len(out) < limit:
                for r in conn.execute(_OWN_LIVE, (now,)).fetchall():
                    own: Signed[Intent] = self._c.decode(r[0], "own_intent_revisions")
                    top = own.message.category[0]
                    if own.message.created >= since and top in intent_categories:
                        out.append(InventoryItem(own.id, Kind.INTENT, top))
                cats = sorted(intent_categories)
                rows = conn.execute(
                    _RECENT_INTENT_IDS.format(marks(cats)), (since, now, *cats, limit - len(out))
                )
                out.extend(InventoryItem(r[0], Kind.INTENT, r[1]) for r in rows)
        return out[:limit]

    def recent_offers(self, *, since: int, now: int, limit: int) -> list[tuple[bytes, bytes]]:
        """The live sealed offers *created* (by their own ``created``) at
        ``since`` or later, to intents this node holds (cached or own), as
        ``(id, intent key)``: the newest ``limit`` of them, oldest first
        (their envelopes: :meth:`raw_many`). What a carrier hands a
        returning feed customer (docs/wire.md section 6): one range of the
        ``created`` index (schema version 7); offers to intents it does not
        hold are left out (their topic is unknown here)."""
        with self._c.read() as conn:
            rows = conn.execute(_RECENT_OFFERS, (since, now, limit)).fetchall()
        return [(bytes(r[0]), bytes(r[1])) for r in reversed(rows)]

    def raw_many(self, ids: Sequence[bytes], *, now: int) -> dict[bytes, bytes]:
        """Envelope bytes of the live messages among ``ids`` that
        :meth:`live_messages` would offer (what a peer asks for on sync), by
        id; ids of messages not kept (or expired) are left out."""
        found: dict[bytes, bytes] = {}
        with self._c.read() as conn:
            for sql in (*_RAW_MANY, _OWN_LIVE_MANY):
                rest = [i for i in ids if i not in found]
                for row in rows_in(conn, sql, rest, now):
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
#: Ids of one table's live messages, newest first (``{}``: the table).
_LIVE_IDS: Final = "SELECT id FROM {} WHERE expires > ? ORDER BY rowid DESC LIMIT ?"
_LIVE_DEAL_IDS: Final = _LIVE_IDS.format("relayed_deals")
_LIVE_PROFILE_IDS: Final = _LIVE_IDS.format("vendor_profiles")
#: Newest cached revisions of intents in some categories (``{}``: their marks).
_LIVE_INTENT_IDS: Final = (
    "SELECT id, topic FROM cached_intents c WHERE expires > ? AND topic IN ({}) "
    "AND revision = (SELECT max(revision) FROM cached_intents d "
    "WHERE d.intent_key = c.intent_key) ORDER BY rowid DESC LIMIT ?"
)
#: Withdrawals and cached intents (every revision) created at ``since`` or
#: later, newest first: ranges of the ``created`` indexes (version 6).
_RECENT_WITHDRAW_IDS: Final = (
    "SELECT withdraw_id FROM tombstones WHERE created >= ? AND expires > ? "
    "ORDER BY created DESC LIMIT ?"
)
_RECENT_INTENT_IDS: Final = (
    "SELECT id, topic FROM cached_intents WHERE created >= ? AND expires > ? "
    "AND topic IN ({}) ORDER BY created DESC LIMIT ?"
)
#: Sealed offers created since a time, newest first, with their intent's
#: key (cached or own): a range of ``relayed_offers_created`` (version 7).
_RECENT_OFFERS: Final = (
    "SELECT o.id, coalesce(c.intent_key, r.intent_key) FROM relayed_offers o "
    "LEFT JOIN cached_intents c ON c.id = o.intent_id "
    "LEFT JOIN own_intent_revisions r ON r.id = o.intent_id "
    "WHERE o.created >= ? AND o.expires > ? "
    "AND coalesce(c.intent_key, r.intent_key) IS NOT NULL "
    "ORDER BY o.created DESC, o.rowid DESC LIMIT ?"
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


def _ids(conn: Any, sql: str, kind: Kind, now: int, room: int) -> list[InventoryItem]:
    """Ids of one kind from ``sql`` (parameters: now, at most how many)."""
    return [InventoryItem(r[0], kind) for r in conn.execute(sql, (now, room))]
