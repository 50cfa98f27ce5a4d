"""The offer feed (docs/privacy.md section 12): a customer in feed mode
follows no offer topic, draws its intents' keys in every bucket, and takes
its offers from one carrier's feed, which also hands it the offers made
while it was away; it lets the others' offers go by; a carrier refuses
feeds past its limit, and a carrier that sends junk is penalised."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import trio

from intentcast.node import open_node
from intentcast.node.feed import PROTOCOL as FEED
from intentcast.node.p2p import open_p2p
from intentcast.node.sync import write_frame
from intentcast.peer import topics
from intentcast.peer.feed import FeedLimits

from .harness import link, market, run, wait_for
from .test_hostile import PIXEL


def test_a_feed_customer_follows_no_offer_topic_and_gets_its_offers_from_a_carrier(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            alice = await m.customer("alice", offer_feed=True)
            bob = await m.customer("bob", offer_feed=True)
            kiez = await m.vendor("kiez-phones.toml")
            await link(kiez, alice)
            await link(kiez, bob)
            await trio.sleep(1.2)
            assert alice.offer_buckets == ()
            assert not set(alice.p2p.topics) & set(topics.ALL_OFFER_TOPICS)
            await wait_for(
                kiez, lambda: kiez.feed.subscribers() == sorted([alice.peer_id, bob.peer_id])
            )
            await wait_for(alice, lambda: alice.feed.source == kiez.peer_id)  # its catch-up done
            mine = await alice.post_intent(**PIXEL)
            theirs = await bob.post_intent(**PIXEL)
            await wait_for(alice, lambda: bool(alice.offers_for(mine.signer).ranked))
            await wait_for(bob, lambda: bool(bob.offers_for(theirs.signer).ranked))
            # Each saw the other's offers go by on the feed (and let them go).
            await wait_for(alice, lambda: alice.counters.get("feed:not-ours", 0) >= 1)
            await wait_for(bob, lambda: bob.counters.get("feed:not-ours", 0) >= 1)
            assert alice.counters.get("feed:ours", 0) >= 1
            # Keys drawn in any bucket: twelve intents do not all fit in two.
            keys = [(await alice.post_intent(**PIXEL)).signer for _ in range(12)]
            assert len({topics.bucket(k) for k in keys}) > 2

    run(main)


def test_a_customer_back_from_a_stop_gets_the_offers_made_meanwhile_from_the_feed(
    tmp_path: Path,
) -> None:
    seed = os.urandom(32)

    async def main() -> None:
        async with market(tmp_path) as m:
            relay = await m.relay()
            store = m.store("alice")
            config = replace(m.config, offer_feed=True)
            async with open_node(store, customer_seed=seed, config=config) as alice:
                await link(alice, relay)
                await wait_for(alice, lambda: alice.feed.source == relay.peer_id)
                intent = await alice.post_intent(**PIXEL)
                await wait_for(relay, lambda: relay.store.gossip.intent(intent.id) is not None)
            # Her node noted when it stopped watching (it catches up from there).
            stopped = store.ratings.last_alive()
            assert stopped is not None and stopped >= intent.message.created
            # Alice is away; Kiez comes and answers meanwhile, through the relay.
            kiez = await m.vendor("kiez-phones.toml")
            await link(kiez, relay)
            await wait_for(kiez, lambda: bool(kiez.store.offers.made(intent.id)))
            await wait_for(relay, lambda: bool(relay.store.gossip.sealed_offers(intent.id)))
            async with open_node(store, customer_seed=seed, config=config) as alice:
                await link(alice, relay)
                await wait_for(alice, lambda: bool(alice.offers_for(intent.signer).ranked))
                assert alice.counters.get("feed:ours", 0) >= 1  # by the feed's catch-up

    run(main)


def test_a_carrier_refuses_feeds_past_its_limit_and_the_customer_goes_elsewhere(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            small = replace(m.config.feed, max_subscribers=1)
            full = await m.vendor("kiez-phones.toml", "kiez", feed=small)
            alice = await m.customer("alice", offer_feed=True)
            await link(alice, full)
            await wait_for(alice, lambda: alice.feed.source == full.peer_id)
            bob = await m.customer("bob", offer_feed=True)
            await link(bob, full)
            await wait_for(full, lambda: full.counters.get("ignore:feed-full", 0) >= 1)
            assert full.feed.subscribers() == [alice.peer_id]
            # Another carrier comes: Bob takes his feed there.
            relay = await m.relay()
            await link(bob, relay)
            await wait_for(bob, lambda: bob.feed.source == relay.peer_id, timeout=20)

    run(main)


def test_a_customer_takes_its_feed_from_another_carrier_every_so_often(tmp_path: Path) -> None:
    """A carrier that drops offers (at random: it cannot tell which are the
    customer's) costs the customer at most one stretch (an hour by default)."""

    async def main() -> None:
        async with market(tmp_path) as m:
            alice = await m.customer("alice", feed=FeedLimits(rotate_seconds=2.0))
            kiez = await m.vendor("kiez-phones.toml")
            relay = await m.relay()
            await link(alice, kiez)
            await link(alice, relay)
            sources: set[str | None] = set()
            with trio.move_on_after(12):
                while sources != {kiez.peer_id, relay.peer_id}:
                    sources.add(alice.feed.source)
                    sources.discard(None)
                    await trio.sleep(0.05)
            assert sources == {kiez.peer_id, relay.peer_id}, alice.counters
            assert alice.counters.get("feed:rotated", 0) >= 1
            # The carrier it left serves it no more.
            await wait_for(
                alice, lambda: len(kiez.feed.subscribers()) + len(relay.feed.subscribers()) == 1
            )

    run(main)


def test_a_carrier_that_sends_junk_is_penalised_and_the_customer_keeps_working(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            alice = await m.customer("alice", offer_feed=True, feed=FeedLimits(retry_min=0.2))

            async def junk(stream: object) -> None:
                await write_frame(stream, {"t": "live", "n": 0})  # type: ignore[arg-type]
                for _ in range(10):
                    frame = {"t": "offer", "topic": topics.offers_bucket(0), "msg": os.urandom(400)}
                    await write_frame(stream, frame)  # type: ignore[arg-type]
                await trio.sleep(5)

            async with open_p2p(on_message=lambda *_: True) as evil:
                evil.set_stream_handler(FEED, junk)
                for topic in topics.ALL_OFFER_TOPICS:
                    await evil.subscribe(topic)
                await evil.connect(alice.addrs()[0])
                await wait_for(alice, lambda: evil.peer_id in alice.p2p.limits.banned(0))
                assert alice.counters.get("feed:invalid", 0) >= 5  # max_rejected in the harness
            # Still a customer with a working feed.
            kiez = await m.vendor("kiez-phones.toml")
            await link(kiez, alice)
            intent = await alice.post_intent(**PIXEL)
            await wait_for(alice, lambda: bool(alice.offers_for(intent.signer).ranked), timeout=20)

    run(main)
