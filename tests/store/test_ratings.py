"""Ratings in the store: kept verified, one per vendor, deal and rater (the
later replaces), replies, sync's inventory, the budget, and the node's own
ratings waiting for their send time; all of it across a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from intentcast.protocol import Kind, Signed, validate
from intentcast.store import GossipBudget, Ingest, Store
from tests.protocol import builders as b

NOW = b.NOW + 2 * b.DAY


def _deal(counter: int = 0, vendor_seed: bytes = b.VENDOR_SEED) -> tuple[Any, ...]:
    keys = b.customer_keys(counter)
    vkeys = b.vendor_keys(vendor_seed)
    intent = b.signed_intent(keys)
    offer = b.signed_offer(intent, vkeys)
    accept = b.signed_accept(intent, offer, keys)
    return keys, vkeys, accept, b.signed_receipt(accept, vkeys)


def _valid(signed: Signed[Any]) -> Signed[Any]:
    verdict = validate(signed.raw, now=NOW + 3 * b.DAY, params=b.NO_WORK)
    assert verdict.accepted, verdict
    assert verdict.signed is not None
    return verdict.signed


def test_a_later_rating_of_the_same_deal_replaces_the_earlier(db_path: Path) -> None:
    keys, vkeys, accept, receipt = _deal()
    first = _valid(b.signed_rating(receipt, keys, stars=100, created=NOW))
    second = _valid(b.signed_rating(receipt, keys, stars=480, created=NOW + 60))
    with Store.open(db_path) as store:
        assert store.gossip.ingest_many([second, first]) == [Ingest.NEW, Ingest.NEW]
        held = store.ratings.verified(now=NOW)
        assert [(r.vendor, r.deal, r.stars) for r in held] == [(vkeys.vendor_key, accept.id, 480)]
    with Store.open(db_path) as store:  # a restart keeps it
        assert [r.stars for r in store.ratings.verified(now=NOW)] == [480]
        assert store.gossip.ingest(first) is Ingest.DUPLICATE


def test_two_raters_of_one_deal_are_both_kept(store: Store) -> None:
    """A vendor that hands out two receipts for one deal: both ratings are
    kept, and the node's reputation counts the lower (node/ratings.py)."""
    keys, vkeys, accept, receipt = _deal()
    other = b.customer_keys(9)
    second_receipt = b.signed_receipt(accept, vkeys, rater=other.intent_key)
    store.gossip.ingest_many(
        [_valid(b.signed_rating(receipt, keys, stars=100)),
         _valid(b.signed_rating(second_receipt, other, stars=500))]
    )  # fmt: skip
    assert sorted(r.stars for r in store.ratings.verified(now=NOW)) == [100, 500]
    rows = store.ratings.rows(now=NOW, vendors=[vkeys.vendor_key])
    assert sorted((r.rater, r.stars) for r in rows) == sorted(
        [(keys.intent_key, 100), (other.intent_key, 500)]
    )
    assert all(r.deal == accept.id and r.confirmed == b.NOW + 400 for r in rows)
    assert store.ratings.rows(now=NOW, vendors=[bytes(32)]) == []
    assert store.ratings.rows(now=NOW, vendors=[]) == []
    assert store.ratings.rows(now=b.NOW + 300 * b.DAY) == []  # expired


def test_replies_join_their_rating_and_the_later_reply_wins(store: Store) -> None:
    keys, vkeys, accept, receipt = _deal()
    rating = _valid(b.signed_rating(receipt, keys))
    old = _valid(b.signed_rating_reply(accept.id, vkeys, text="first"))
    new = _valid(b.signed_rating_reply(accept.id, vkeys, text="second", created=b.NOW + 4 * b.DAY))
    store.gossip.ingest_many([rating, new, old])
    [held] = store.ratings.verified(now=NOW, vendor=vkeys.vendor_key)
    assert held.reply is not None and held.reply.message.text == "second"
    assert store.ratings.verified(now=NOW, vendor=bytes(32)) == []


def test_ratings_and_replies_are_offered_and_served_on_sync(store: Store) -> None:
    keys, vkeys, accept, receipt = _deal()
    rating = _valid(b.signed_rating(receipt, keys))
    reply = _valid(b.signed_rating_reply(accept.id, vkeys))
    store.gossip.ingest_many([rating, reply])
    inventory = store.gossip.inventory(
        now=NOW, withdrawals=False, intent_categories=(), offers_of=None, deals=False,
        profiles=False, ratings=True, limit=10,
    )  # fmt: skip
    assert [(i.id, i.kind) for i in inventory] == [
        (rating.id, Kind.RATING),
        (reply.id, Kind.RATING_REPLY),
    ]
    assert store.gossip.raw_many([rating.id, reply.id], now=NOW) == {
        rating.id: rating.raw,
        reply.id: reply.raw,
    }
    assert store.gossip.raw(rating.id, now=b.NOW + 300 * b.DAY) is None  # expired
    assert store.sweep(now=b.NOW + 300 * b.DAY).ratings == 2


def test_the_budget_evicts_the_oldest_ratings(db_path: Path) -> None:
    budget = GossipBudget(rating=20)
    with Store.open(db_path, budget=budget) as store:
        for n in range(30):
            keys, _, _, receipt = _deal(counter=n)
            store.gossip.ingest(_valid(b.signed_rating(receipt, keys)))
        assert store.ratings.count() <= 20


def test_own_ratings_wait_for_their_send_time_across_a_restart(db_path: Path) -> None:
    keys, _, accept, receipt = _deal()
    rating = b.signed_rating(receipt, keys, created=NOW + 3600)
    with Store.open(db_path) as store:
        store.ratings.add_own(accept.id, rating, send_at=NOW + 3600)
        assert store.ratings.due(now=NOW) == []
        assert store.ratings.next_send_at() == NOW + 3600
    with Store.open(db_path) as store:
        [due] = store.ratings.due(now=NOW + 3600)
        assert due.rating.id == rating.id and not due.sent
        store.ratings.mark_sent(rating.id)
        assert store.ratings.due(now=NOW + 7200) == []
        own = store.ratings.own(accept.id)
        assert own is not None and own.sent
        # A list of deals reads every own rating at once, by deal.
        assert store.ratings.own_all() == {accept.id: own}


def test_a_ratings_arrival_is_kept_and_a_replacement_forgets_the_earlier(db_path: Path) -> None:
    keys, _, _, receipt = _deal()
    first = _valid(b.signed_rating(receipt, keys, stars=100, created=NOW))
    second = _valid(b.signed_rating(receipt, keys, stars=480, created=NOW + 60))
    with Store.open(db_path) as store:
        store.gossip.ingest(first)
        [row] = store.ratings.rows(now=NOW)
        assert row.first_seen is None  # not noted: the claim stands
        store.ratings.note_arrivals([first.id], at=NOW + 5)
        store.ratings.note_arrivals([first.id], at=NOW + 9)  # the first arrival stays
        [row] = store.ratings.rows(now=NOW)
        assert row.first_seen == NOW + 5
        store.gossip.ingest(second)
        [row] = store.ratings.rows(now=NOW)
        assert (row.stars, row.first_seen) == (480, None)
        store.ratings.note_arrivals([second.id], at=NOW + 70)
    with Store.open(db_path) as store:  # a restart keeps it
        [row] = store.ratings.rows(now=NOW)
        assert row.first_seen == NOW + 70


def test_a_stretch_of_watching_survives_a_short_stop_not_a_long_one(db_path: Path) -> None:
    gap = 2 * b.DAY
    with Store.open(db_path) as store:
        # Never watched: a stretch would begin now (nothing written yet).
        assert store.ratings.watching_since(NOW, gap=gap) == NOW
        assert store.ratings.watching_since(NOW + 50, gap=gap) == NOW + 50
        assert store.ratings.watched(NOW, gap=gap) == NOW
        assert store.ratings.watched(NOW + 600, gap=gap) == NOW
    with Store.open(db_path) as store:  # stopped for a day: the same stretch
        assert store.ratings.watching_since(NOW + 600 + b.DAY, gap=gap) == NOW
        assert store.ratings.watched(NOW + 600 + b.DAY, gap=gap) == NOW
        # Stopped for longer than the gap: a new stretch from then.
        later = NOW + 600 + b.DAY + gap + 1
        assert store.ratings.watching_since(later, gap=gap) == later
        assert store.ratings.watched(later, gap=gap) == later
        assert store.ratings.watched(later + 60, gap=gap) == later
