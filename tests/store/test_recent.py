"""What a follower answers a quiet customer's probe (schema version 6,
docs/store.md "Recently created intents"): the ids of the intents-topic
messages created within a window, by their own ``created``."""

from __future__ import annotations

from intentcast.protocol import Kind
from intentcast.store import Store

from .store_samples import DAY, T0, intent, offer, sealed, withdraw

NOW = T0 + 1_000


def recent(store: Store, *, since: int, categories: frozenset[str] = frozenset({"electronics"}),
           limit: int = 100) -> list[tuple[bytes, Kind]]:  # fmt: skip
    items = store.gossip.recent_intents(
        now=NOW, since=since, withdrawals=True, intent_categories=categories, limit=limit
    )
    return [(i.id, i.kind) for i in items]


def test_only_what_was_created_within_the_window_newest_first(store: Store) -> None:
    old = intent(1, created=NOW - 700)
    fresh = intent(2, created=NOW - 100)
    fresher = intent(3, created=NOW - 10)
    revised = intent(2, created=NOW - 50, revision=1)
    books = intent(4, created=NOW - 10, category="media")
    store.gossip.ingest_many([old, fresh, fresher, revised, books])
    got = recent(store, since=NOW - 600)
    # Every revision created in the window: an author's amendment is found too.
    assert got == [(fresher.id, Kind.INTENT), (revised.id, Kind.INTENT), (fresh.id, Kind.INTENT)]
    assert recent(store, since=NOW - 600, limit=1) == [(fresher.id, Kind.INTENT)]
    assert recent(store, since=NOW - 600, categories=frozenset()) == []


def test_withdrawals_by_their_created_and_nothing_expired(store: Store) -> None:
    gone = intent(1, created=NOW - 100)
    expired = intent(5, created=NOW - 100, expires=NOW)
    store.gossip.ingest_many([gone, expired])
    w = withdraw(1, created=NOW - 20, expires=T0 + DAY)
    store.gossip.ingest(w)
    assert recent(store, since=NOW - 600) == [(w.id, Kind.WITHDRAW)]
    assert recent(store, since=NOW - 10) == []


def test_offers_created_since_with_their_intents_key_newest_kept_oldest_first(
    store: Store,
) -> None:
    """What a carrier hands a returning feed customer (schema version 7):
    sealed offers created in the window, each with its intent's key (the
    topic), the newest ``limit`` of them in the order they were made; their
    envelopes are read by id."""
    held = intent(1, created=NOW - 900)
    unknown = intent(2, created=NOW - 900)  # an intent this node never got
    store.gossip.ingest_many([held])
    early, late, later = (sealed(offer(held), held, seed=s) for s in (1, 2, 3))
    # Their created times: the offer's own (intent + 10), as sealed.
    assert early.message.created == NOW - 890
    orphan = sealed(offer(unknown), unknown)
    store.gossip.ingest_many([early, orphan])
    assert [o[0] for o in store.gossip.recent_offers(since=NOW - 600, now=NOW, limit=10)] == []
    got = store.gossip.recent_offers(since=NOW - 900, now=NOW, limit=10)
    assert got == [(early.id, held.signer)]  # the orphan's topic is unknown: left out
    assert store.gossip.raw_many([early.id], now=NOW) == {early.id: early.raw}
    store.gossip.ingest_many([late, later])
    ids = [o[0] for o in store.gossip.recent_offers(since=NOW - 900, now=NOW, limit=2)]
    assert len(ids) == 2 and early.id not in ids
