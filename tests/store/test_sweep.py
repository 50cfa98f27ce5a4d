"""The expiry sweep removes others' expired messages and old seen ids but
keeps the node's own records and every deal."""

from __future__ import annotations

from intentcast.protocol import IntentState, OfferState
from intentcast.store import Ingest, Role, Store

from . import store_samples as s

HOUR = 3_600


def test_sweep_removes_only_what_expired(store: Store) -> None:
    short = s.intent(1, expires=s.T0 + HOUR)
    long = s.intent(2, expires=s.T0 + 5 * HOUR)
    w = s.withdraw(3, expires=s.T0 + HOUR)
    # A relayed sealed offer lives as long as its intent (the offer's own
    # validity is sealed inside: docs/privacy.md).
    o = s.offer(short, until=s.T0 + HOUR)
    so = s.sealed(o, short)
    p = s.profile()  # expires after 7 days
    store.gossip.ingest_many([short, long, w, so, p])

    report = store.sweep(s.T0 + 2 * HOUR)

    assert (report.cached_intents, report.tombstones, report.relayed) == (1, 1, 1)
    assert report.vendor_profiles == 0
    assert report.seen_ids == 3  # short, w, so expired; long and p live on
    assert store.gossip.live_intents(now=s.T0) == [long]
    assert store.gossip.intent(short.id) is None
    assert store.gossip.tombstone(w.message.intent_key) is None
    assert store.gossip.sealed_offers(short.id) == []
    assert store.gossip.vendor_profile(s.VENDOR.vendor_key) == p
    assert store.gossip.has_seen(long.id) and not store.gossip.has_seen(short.id)


def test_sweep_drops_superseded_revisions(store: Store) -> None:
    r0, r1 = s.intent(1), s.intent(1, revision=1, title="newer")
    store.gossip.ingest_many([r0, r1])
    assert store.sweep(s.T0).cached_intents == 1
    assert store.gossip.intent(r0.id) is None
    assert store.gossip.intent(r1.id) == r1
    assert store.gossip.ingest(r0) is Ingest.DUPLICATE  # still remembered as seen


def test_tombstone_lives_as_long_as_the_intent_it_covers(store: Store) -> None:
    i = s.intent(4, expires=s.T0 + 10 * HOUR)
    store.gossip.ingest(i)
    store.gossip.ingest(s.withdraw(4, expires=s.T0 + HOUR))  # shorter than the intent
    store.sweep(s.T0 + 2 * HOUR)
    assert store.gossip.tombstone(i.signer) is not None
    store.sweep(s.T0 + 10 * HOUR)
    assert store.gossip.tombstone(i.signer) is None


def test_sweep_keeps_own_records_and_deals(store: Store) -> None:
    k1 = store.intents.reserve_keys(s.SEED)
    k2 = store.intents.reserve_keys(s.SEED)
    lapsed = s.intent(k1.counter, expires=s.T0 + HOUR)
    dealt = s.intent(k2.counter, expires=s.T0 + HOUR)
    store.intents.add(lapsed, counter=k1.counter)
    store.intents.add(dealt, counter=k2.counter)
    unanswered = s.offer(lapsed, until=s.T0 + HOUR)
    store.offers.add_received(s.sealed(unanswered, lapsed), unanswered)
    o = s.offer(dealt, until=s.T0 + HOUR)
    store.offers.add_received(s.sealed(o, dealt), o)
    a = s.accept(k2.counter, dealt, o)
    store.deals.record_accept(dealt, o, a, role=Role.CUSTOMER)
    store.deals.record_reply(s.confirm(a))

    report = store.sweep(s.T0 + 30 * 86_400)

    assert (report.own_intents_expired, report.offers_expired) == (1, 1)
    assert store.intents.get(lapsed.signer).state is IntentState.EXPIRED  # type: ignore[union-attr]
    assert store.intents.get(dealt.signer).state is IntentState.CLOSED  # type: ignore[union-attr]
    assert store.offers.get_received(unanswered.id).state is OfferState.EXPIRED  # type: ignore[union-attr]
    assert store.offers.get_received(o.id).state is OfferState.CONFIRMED  # type: ignore[union-attr]
    deal = store.deals.get(a.id)
    assert deal is not None and deal.intent == dealt
    assert store.intents.by_revision(lapsed.id) == lapsed


def test_sweep_is_idempotent(store: Store) -> None:
    store.gossip.ingest(s.intent(1, expires=s.T0 + HOUR))
    assert store.sweep(s.T0 + 2 * HOUR).cached_intents == 1
    again = store.sweep(s.T0 + 2 * HOUR)
    assert again == type(again)(0, 0, 0, 0, 0, 0, 0)


def test_tombstone_outlives_every_revision_it_refused(store: Store) -> None:
    w = s.withdraw(4, expires=s.T0 + HOUR)
    store.gossip.ingest(w)
    late = s.intent(4, revision=2, expires=s.T0 + 10 * HOUR)
    assert store.gossip.ingest(late) is Ingest.WITHDRAWN
    store.sweep(s.T0 + 2 * HOUR)  # the withdrawal itself has expired by now
    assert store.gossip.ingest(s.intent(4, revision=3, expires=s.T0 + 9 * HOUR)) is (
        Ingest.WITHDRAWN
    )
    assert store.gossip.live_intents(now=s.T0 + 2 * HOUR) == []
