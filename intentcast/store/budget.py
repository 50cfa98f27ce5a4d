"""The store's budget for others' gossip: how many messages of each kind a
node keeps, what it evicts first, and what it never evicts
(docs/store.md, "Budget"). SQL runs inside the caller's ingest
transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from typing import Any, Final

from intentcast.protocol import Kind
from intentcast.protocol.kinds import GOSSIP_KINDS, MAX_ENVELOPE_SIZE


@dataclass(frozen=True, kw_only=True, slots=True)
class GossipBudget:
    """Most messages of others kept per kind (rows of its table). Past a
    budget the oldest others' messages of that kind are evicted
    (docs/store.md, "Budget"); the node's own messages and those of its
    own intents, offers and deals are never evicted and not counted. The
    bytes a kind can take are at most its rows times the kind's largest
    envelope (:meth:`max_bytes`)."""

    intent: int = 10_000
    withdraw: int = 10_000
    sealed_offer: int = 10_000
    sealed_deal: int = 10_000
    vendor_profile: int = 2_000
    #: Ratings live up to a year: a node keeps more of them, and they are
    #: small (at most 2 KiB, about 500 bytes in practice).
    rating: int = 50_000
    rating_reply: int = 20_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if type(value) is not int or value < 1:
                raise ValueError(
                    f"budget for {f.name.replace('_', '-')} must be a whole number >= 1"
                )

    def rows(self, kind: Kind) -> int:
        return int(getattr(self, kind.value.replace("-", "_")))

    def max_bytes(self) -> int:
        """The most bytes of envelopes the budget lets others' gossip take."""
        return sum(self.rows(k) * MAX_ENVELOPE_SIZE[k] for k in GOSSIP_KINDS)


@dataclass(frozen=True, slots=True)
class _Evictable:
    table: str
    #: The column that names a row (for the DELETE).
    key: str
    #: Eviction order: the oldest first (arrival), tombstones the soonest-expiring.
    order: str
    #: Rows that are never evicted: the node's own or what its deals need.
    protected: str


_EVICTABLE: Final = {
    Kind.INTENT: _Evictable(
        "cached_intents",
        "id",
        "rowid",
        # intents this vendor answered, and those of its deals
        "id IN (SELECT intent_id FROM offers_made) OR id IN (SELECT intent_id FROM deals)",
    ),
    Kind.WITHDRAW: _Evictable(
        "tombstones",
        "intent_key",
        "expires, intent_key",
        "intent_key IN (SELECT intent_key FROM own_intents)",
    ),
    Kind.SEALED_OFFER: _Evictable(
        "relayed_offers",
        "id",
        "rowid",
        # own offers, and offers to own intents (opened or not)
        "id IN (SELECT sealed_id FROM offers_made) OR intent_id IN "
        "(SELECT id FROM own_intent_revisions)",
    ),
    Kind.SEALED_DEAL: _Evictable(
        "relayed_deals",
        "id",
        "rowid",
        # accepts of own offers or of offers received, replies to own deals
        "tag IN (SELECT id FROM offers_made) OR tag IN (SELECT id FROM offers_received) "
        "OR tag IN (SELECT accept_id FROM deals)",
    ),
    Kind.VENDOR_PROFILE: _Evictable(
        "vendor_profiles",
        "vendor_key",
        "rowid",
        "vendor_key IN (SELECT vendor_key FROM deals) "
        "OR vendor_key IN (SELECT vendor_key FROM offers_received)",
    ),
    # the oldest ratings go first; those of the node's own deals never
    Kind.RATING: _Evictable("ratings", "id", "rowid", "deal IN (SELECT accept_id FROM deals)"),
    Kind.RATING_REPLY: _Evictable(
        "rating_replies", "id", "rowid", "deal IN (SELECT accept_id FROM deals)"
    ),
}


def evict(conn: Any, budget: GossipBudget, kinds: Collection[Kind]) -> dict[Kind, int]:
    """Keep others' messages of ``kinds`` within the budget, in the
    ingest's transaction: past a kind's budget, evict the oldest
    unprotected rows down to 95 % of it (so the counting is not redone
    for every message of a flood). Ids stay in ``seen``: an evicted
    message comes back as a duplicate, never as new."""
    evicted: dict[Kind, int] = {}
    for kind in kinds:
        e = _EVICTABLE[kind]
        cap = budget.rows(kind)
        if conn.execute(f"SELECT count(*) FROM {e.table}").fetchone()[0] <= cap:
            continue  # cheap check first: no flood, nothing protected to subtract
        others = conn.execute(
            f"SELECT count(*) FROM {e.table} WHERE NOT ({e.protected})"
        ).fetchone()[0]
        if others <= cap:
            continue
        excess = others - (cap - cap // 20)
        cursor = conn.execute(
            f"DELETE FROM {e.table} WHERE {e.key} IN (SELECT {e.key} FROM {e.table} "
            f"WHERE NOT ({e.protected}) ORDER BY {e.order} LIMIT ?)",
            (excess,),
        )
        evicted[kind] = cursor.rowcount
    return evicted


def kept(conn: Any, kind: Kind) -> int:
    """How many messages of ``kind`` are kept (own and protected included)."""
    return int(conn.execute(f"SELECT count(*) FROM {_EVICTABLE[kind].table}").fetchone()[0])
