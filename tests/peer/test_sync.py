"""Sync's decisions (intentcast.peer.sync) without a stream."""

from __future__ import annotations

import pytest

from intentcast.peer import sync, topics
from intentcast.peer.config import SyncLimits
from intentcast.protocol import LIVE, ON_MARKET, IntentEvent, IntentState, Kind, intent_may

LIMITS = SyncLimits(max_inventory=4, max_wanted=2)
PHONES = topics.intents("electronics")


def test_every_node_but_a_relay_follows_the_same_topics_whatever_it_posts_or_sells() -> None:
    followed = sync.interests(relay=False)
    assert followed == list(topics.FOLLOWED) == sorted(followed)
    assert topics.DEALS in followed
    assert set(topics.ALL_INTENT_TOPICS) | set(topics.ALL_OFFER_TOPICS) <= set(followed)
    assert len(followed) <= sync.MAX_TOPICS
    assert sync.interests(relay=True) == list(topics.ALL_TOPICS)


def test_what_is_offered_is_on_a_wanted_topic_never_hidden_and_bounded() -> None:
    held = [
        (b"w", Kind.WITHDRAW, None),
        (b"i", Kind.INTENT, "electronics"),
        (b"h", Kind.INTENT, "home"),  # not wanted
        (b"mine", Kind.INTENT, "electronics"),  # on its stem
        (b"d", Kind.SEALED_DEAL, None),
        (b"x", Kind.INTENT, "electronics"),
        (b"y", Kind.INTENT, "electronics"),
    ]
    offered = sync.offer(held, {PHONES, topics.DEALS}, hidden=lambda i: i == b"mine", limits=LIMITS)
    assert offered == [(b"w", PHONES), (b"i", PHONES), (b"d", topics.DEALS), (b"x", PHONES)]


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
