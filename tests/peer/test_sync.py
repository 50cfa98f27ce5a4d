"""Sync's decisions (intentcast.peer.sync) without a stream."""

from __future__ import annotations

import itertools

import pytest

from intentcast.peer import sync, topics
from intentcast.peer.config import SyncLimits
from intentcast.peer.stem import QUIET_PROBE_SECONDS
from intentcast.protocol import LIVE, ON_MARKET, IntentEvent, IntentState, Kind, intent_may

LIMITS = SyncLimits(max_inventory=4, max_wanted=2)
PHONES = topics.intents("electronics")


def test_a_customer_follows_its_own_buckets_the_deals_and_ratings_and_no_intent_topic() -> None:
    followed = sync.interests(relay=False, buckets=(3, 11))
    assert followed == sorted(followed)
    assert set(followed) == {  # quiet: no intents topic (docs/privacy.md, section 10)
        topics.offers_bucket(3),
        topics.offers_bucket(11),
        topics.DEALS,
        topics.RATINGS,
    }
    assert len(followed) <= sync.MAX_TOPICS


def test_a_vendor_follows_every_bucket_and_a_relay_everything() -> None:
    vendor = sync.interests(relay=False, vendor=True, buckets=(3, 11))
    assert set(vendor) == {
        *topics.ALL_INTENT_TOPICS,
        *topics.ALL_OFFER_TOPICS,
        topics.DEALS,
        topics.RATINGS,
    }
    relay = sync.interests(relay=True, buckets=(3,))
    assert relay == sorted(topics.ALL_TOPICS)
    assert len(relay) <= sync.MAX_TOPICS


def test_a_bucket_set_is_fixed_by_its_material_and_spreads_over_the_buckets() -> None:
    sets = [topics.bucket_set(bytes([i]) * 32) for i in range(200)]
    assert all(len(set(s)) == topics.FOLLOWED_BUCKETS == len(s) for s in sets)
    assert all(0 <= b < topics.BUCKETS for s in sets for b in s)
    assert topics.bucket_set(bytes([5]) * 32) == sets[5]
    assert {b for s in sets for b in s} == set(range(topics.BUCKETS))


def test_a_larger_bucket_set_keeps_the_smaller_ones_buckets_and_sixteen_is_all() -> None:
    material = bytes([7]) * 32
    sets = [topics.bucket_set(material, n) for n in range(1, topics.BUCKETS + 1)]
    assert [len(s) for s in sets] == list(range(1, topics.BUCKETS + 1))
    # Raising the count loses no bucket an open intent's offers come on.
    assert all(set(small) < set(large) for small, large in itertools.pairwise(sets))
    assert sets[-1] == tuple(range(topics.BUCKETS))
    assert topics.bucket_set(material) == sets[topics.FOLLOWED_BUCKETS - 1]
    for bad in (0, -1, topics.BUCKETS + 1):
        with pytest.raises(ValueError, match="1 to 16 offer buckets"):
            topics.bucket_set(material, bad)


def test_a_customer_keeps_following_the_buckets_of_its_intents_on_the_market() -> None:
    own = topics.bucket_set(bytes([3]) * 32, 1)
    keys = [bytes([i]) * 32 for i in range(40)]
    outside = next(k for k in keys if topics.bucket(k) not in own)
    inside = next(k for k in keys if topics.bucket(k) in own)
    assert topics.followed_buckets(own) == own
    assert topics.followed_buckets(own, [inside]) == own
    assert topics.followed_buckets(own, [outside, inside]) == tuple(
        sorted({*own, topics.bucket(outside)})
    )


def test_a_sealed_offer_fits_only_its_intents_bucket_when_the_intent_is_known() -> None:
    from intentcast.protocol import SealedOffer, derive_intent_keys, sign

    key = derive_intent_keys(bytes(32), 0).intent_key
    mine = topics.offers(key)
    other = topics.offers_bucket((topics.bucket(key) + 1) % topics.BUCKETS)
    sealed = sign(
        SealedOffer(intent_id=bytes(32), box=bytes(100), created=1_800_000_000,
                    expires=1_800_086_400),
        derive_intent_keys(bytes(32), 1).signing,
    )  # fmt: skip
    assert topics.fits_topic(mine, sealed, intent_key=key)
    assert not topics.fits_topic(other, sealed, intent_key=key)
    assert topics.fits_topic(other, sealed)  # the intent unknown: the kind alone
    assert not topics.fits_topic(topics.DEALS, sealed, intent_key=key)


def test_what_is_offered_is_on_a_wanted_topic_never_hidden_and_bounded() -> None:
    held = [
        (b"w", Kind.WITHDRAW, None),
        (b"i", Kind.INTENT, PHONES),
        (b"h", Kind.INTENT, topics.intents("home")),  # not wanted
        (b"o", Kind.SEALED_OFFER, topics.offers_bucket(4)),  # not a wanted bucket
        (b"mine", Kind.INTENT, PHONES),  # on its stem
        (b"d", Kind.SEALED_DEAL, None),
        (b"p", Kind.SEALED_OFFER, topics.offers_bucket(3)),
        (b"y", Kind.INTENT, PHONES),
    ]
    wanted = {PHONES, topics.DEALS, topics.offers_bucket(3)}
    offered = sync.offer(held, wanted, hidden=lambda i: i == b"mine", limits=LIMITS)
    assert offered == [
        (b"w", PHONES),
        (b"i", PHONES),
        (b"d", topics.DEALS),
        (b"p", topics.offers_bucket(3)),
    ]


def test_what_is_wanted_and_served_is_each_once_and_bounded() -> None:
    assert sync.want([b"a", b"a", b"b", b"c", b"d"], lambda i: i == b"b", LIMITS) == [b"a", b"c"]
    offered = {b"a": PHONES, b"b": PHONES, b"c": PHONES}
    assert sync.serve([b"a", b"z", b"a", b"c", b"b"], offered, LIMITS) == [b"a", b"c"]
    with pytest.raises(sync.TooManyWanted):
        sync.serve([bytes([n]) for n in range(5)], {bytes([n]): PHONES for n in range(5)}, LIMITS)


def test_hello_topics_are_a_short_list_of_short_strings() -> None:
    assert sync.hello_topics_ok([PHONES])
    assert not sync.hello_topics_ok(PHONES)
    assert not sync.hello_topics_ok(["x" * 101])
    assert not sync.hello_topics_ok(["t"] * 65)


def test_which_intents_are_on_the_market_or_live_is_read_off_the_lifecycle_table() -> None:
    assert {IntentState.OPEN, IntentState.AMENDED} == ON_MARKET
    assert {IntentState.OPEN, IntentState.AMENDED, IntentState.ACCEPTED} == LIVE
    assert not intent_may(IntentState.CLOSED, IntentEvent.WITHDRAW)
    assert intent_may(IntentState.ACCEPTED, IntentEvent.WITHDRAW)


def test_a_responder_looks_up_only_what_the_peers_topics_carry() -> None:
    key = bytes(range(32))
    query = sync.inventory_query([PHONES, topics.offers(key), topics.RATINGS])
    assert query.withdrawals  # any intent topic: every withdrawal (its intent may be gone)
    assert query.intent_categories == {"electronics"}
    assert query.offer_buckets == {topics.bucket(key)}
    assert query.wants_offers_of(key)
    assert not query.wants_offers_of(
        next(k for k in _keys() if topics.bucket(k) != topics.bucket(key))
    )
    assert (query.deals, query.profiles, query.ratings) == (False, False, True)
    nothing = sync.inventory_query([topics.DEALS, "not/a/topic"])
    assert not nothing.withdrawals and not nothing.intent_categories and not nothing.offer_buckets
    assert nothing.deals


def test_a_held_intent_travels_on_its_category_an_offer_on_its_intents_bucket() -> None:
    key = bytes(32)
    assert sync.held_topic(intent_key=None, category="electronics") == PHONES
    assert sync.held_topic(intent_key=key, category=None) == topics.offers(key)
    assert sync.held_topic(intent_key=None, category=None) is None  # a deal, profile, rating


def _keys() -> list[bytes]:
    return [bytes([i]) * 32 for i in range(64)]


def test_a_second_session_of_one_peer_is_its_fault_all_sessions_taken_is_not() -> None:
    limits = SyncLimits(max_sessions=2)
    assert sync.refuse_session(serving_peer=False, sessions=1, limits=limits) is None
    assert sync.refuse_session(serving_peer=True, sessions=1, limits=limits) == "reject:sync-busy"
    assert sync.refuse_session(serving_peer=False, sessions=2, limits=limits) == "ignore:sync-full"


# --- quiet customers: the probe (docs/privacy.md section 10) -----------------


def test_a_hello_may_ask_for_messages_created_within_the_probe_window_at_most() -> None:
    assert sync.MAX_RECENT == 600
    for ok in (None, 1, 30, 600):
        assert sync.hello_recent_ok(ok)
    for bad in (0, -1, 601, 2**64, True, 1.5, "600", b"\x01", [600]):
        assert not sync.hello_recent_ok(bad), bad


def test_a_responder_serves_only_topics_it_follows_a_customer_no_intents() -> None:
    customer = sync.interests(relay=False, buckets=(3, 11))
    asked = [*topics.ALL_INTENT_TOPICS, topics.offers_bucket(3), topics.PROFILES]
    served = sync.served_topics(asked, customer)
    assert served == [topics.offers_bucket(3)]
    query = sync.inventory_query(served)
    assert not query.withdrawals and not query.intent_categories  # none of its own intents
    relay = sync.interests(relay=True)
    assert sync.served_topics(asked, relay) == sorted(asked)


def test_only_a_node_following_no_intents_topic_is_quiet() -> None:
    assert sync.is_quiet(sync.interests(relay=False, buckets=(3, 11)))
    assert not sync.is_quiet(sync.interests(relay=False, vendor=True))
    assert not sync.is_quiet(sync.interests(relay=True))
    assert sync.probe_topics() == sorted(topics.ALL_INTENT_TOPICS)
    assert len(sync.probe_topics()) <= sync.MAX_TOPICS


def test_the_probe_prefers_a_follower_that_is_not_a_stem_successor() -> None:
    followers = ["a", "b", "c"]
    for draw in (0.0, 0.3, 0.5, 0.99):
        assert sync.probe_peer(followers, ("a", "c"), draw) == "b"
    assert {sync.probe_peer(followers, ("a",), d) for d in (0.0, 0.99)} == {"b", "c"}
    # Only successors follow: one of them, rather than no probe at all.
    assert sync.probe_peer(["a"], ("a",), 0.7) == "a"
    assert sync.probe_peer([], (), 0.5) is None


def test_the_probe_runs_on_a_fixed_grid_at_a_phase_of_its_own() -> None:
    period = QUIET_PROBE_SECONDS
    assert period == 30
    assert sync.next_probe(100.0, 0.5, 100.0) == 115.0
    assert sync.next_probe(100.0, 0.5, 114.9) == 115.0
    assert sync.next_probe(100.0, 0.5, 115.0) == 145.0  # due now: the next slot
    assert sync.next_probe(100.0, 0.5, 150.0) == 175.0  # a late wake-up skips, no catch-up
    assert sync.next_probe(100.0, 0.0, 100.0) == 130.0
