"""The offer feed's pure decisions (``intentcast.peer.feed``): which peers
can carry a feed and which one a customer takes, how far back it asks to
catch up, what a carrier keeps in memory, and the request's bound."""

from __future__ import annotations

from itertools import pairwise

from intentcast.peer import feed, topics
from intentcast.peer.feed import Backlog, FeedLimits


def test_only_a_peer_that_follows_every_offer_bucket_is_a_carrier() -> None:
    every = {t: ["relay", "vendor", "nosy"] for t in topics.ALL_OFFER_TOPICS}
    every[topics.offers_bucket(3)] = ["relay", "vendor"]  # "nosy" follows 15 of 16
    assert feed.carriers(every) == ["relay", "vendor"]
    assert feed.carriers({}) == []
    assert feed.serves_feed(topics.ALL_TOPICS)
    assert not feed.serves_feed([topics.DEALS, topics.RATINGS])


def test_a_customer_takes_its_feed_from_a_carrier_that_did_not_just_fail() -> None:
    carriers = ["a", "b", "c"]
    assert feed.feed_peer(carriers, avoid=(), draw=0.0) == "a"
    assert feed.feed_peer(carriers, avoid=(), draw=0.99) == "c"
    assert feed.feed_peer(carriers, avoid={"a", "b"}, draw=0.0) == "c"
    # Every carrier failed lately: any of them rather than none.
    assert feed.feed_peer(carriers, avoid={"a", "b", "c"}, draw=0.5) == "b"
    assert feed.feed_peer([], avoid=(), draw=0.5) is None


def test_a_customer_asks_to_catch_up_on_its_time_away_and_no_more_than_a_week() -> None:
    assert feed.catch_up_seconds(None) == 0  # never watched: nothing to catch up on
    assert feed.catch_up_seconds(0.0) == feed.CATCH_UP_MARGIN
    assert feed.catch_up_seconds(3_600.4) == 3_600 + feed.CATCH_UP_MARGIN
    assert feed.catch_up_seconds(30 * 86_400) == feed.MAX_RECENT == 7 * 86_400
    assert feed.catch_up_seconds(-5.0) == feed.CATCH_UP_MARGIN  # a clock that stepped back


def test_a_request_names_whole_seconds_within_a_week() -> None:
    assert feed.recent_ok(0) and feed.recent_ok(feed.MAX_RECENT)
    for bad in (-1, feed.MAX_RECENT + 1, 1.5, "60", True, None):
        assert not feed.recent_ok(bad), bad


def test_the_backlog_keeps_the_last_minute_and_at_most_its_count() -> None:
    backlog = Backlog(FeedLimits(backlog_seconds=60, backlog_max=3))
    for n in range(5):
        backlog.add(float(n), "t", bytes([n]))
    assert len(backlog) == 3  # the oldest two made room
    assert backlog.since(4.0, 1) == [("t", b"\x03"), ("t", b"\x04")]
    assert backlog.since(70.0, 3_600) == []  # older than a minute by now
    assert len(backlog) == 0


def test_a_feed_customers_intents_share_a_bucket_as_often_as_two_strangers() -> None:
    """A feed customer takes each intent's keys from the next counter (its
    set is every bucket), so nothing ties its intents' buckets together:
    two of its intents share one about 1 time in 16, as two strangers' do
    (with 2 followed buckets: 1 in 2). Fixed seeds: the figures are exact."""
    from intentcast.protocol import derive_intent_keys

    n = 2_000
    mine = [topics.bucket(derive_intent_keys(b"\x01" * 32, c).intent_key) for c in range(n)]
    theirs = [topics.bucket(derive_intent_keys(b"\x02" * 32, c).intent_key) for c in range(n)]
    own_pairs = sum(a == b for a, b in pairwise(mine)) / (n - 1)
    strangers = sum(a == b for a, b in zip(mine, theirs, strict=True)) / n
    assert abs(own_pairs - 1 / 16) < 0.015 and abs(strangers - 1 / 16) < 0.015
    assert set(mine) == set(range(topics.BUCKETS))  # every bucket, none favoured
    # The same customer following two buckets keeps only keys that fit them.
    fitting = [b for b in mine if b in (3, 7)]
    two = sum(a == b for a, b in pairwise(fitting)) / (len(fitting) - 1)
    assert abs(two - 1 / 2) < 0.1
