"""What a node's peers see of it besides its messages (docs/privacy.md,
sections 7 and 8): its gossip subscriptions and its sync hello do not
change when its owner posts, even in a category no one else posts in; its
intents' keys are in the offer buckets it follows, where their offers
arrive; a vendor follows and answers every bucket and refuses an offer on
the wrong one; its follow-ups leave after a random delay, down the stem."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trio

from intentcast.node import Node, open_node
from intentcast.node.p2p import P2P, open_p2p
from intentcast.node.stem import PROTOCOL as STEM
from intentcast.node.sync import PROTOCOL as SYNC
from intentcast.node.sync import read_frame
from intentcast.peer import sync, topics
from intentcast.peer.followup import FollowUpDelay, follow_up_delay
from intentcast.protocol import (
    Intent,
    IntentKeys,
    Kind,
    SealedOffer,
    Signed,
    Terms,
    derive_intent_keys,
    draw_intent_keys,
    open_offer,
    sign,
    validate,
)
from intentcast.protocol.stem import StemParams
from intentcast.store import Store

from .harness import LOW_WORK, PHONE_TERMS, customer_and_kiez, market, run, wait_for

PHONES = topics.intents("electronics")

#: A rare category: no one else in the test posts in it, and no vendor sells it.
TOY: dict[str, Any] = {
    "category": ("toys", "board-games"),
    "title": "Carcassonne",
    "terms": Terms(
        max_price=4_000,
        currency="EUR",
        region="DE",
        customer_terms=(),
        payment_modes=("prepay",),
    ),
}


def seen_by(watcher: P2P, node: Node) -> set[str]:
    """The topics ``watcher`` has heard ``node`` subscribe to."""
    return {
        topic
        for topic, peers in watcher.pubsub.peer_topics.items()
        if any(p.to_base58() == node.peer_id for p in peers)
    }


@pytest.mark.parametrize("feed", [True, False], ids=["feed", "buckets"])
def test_a_customers_subscriptions_and_hello_do_not_change_when_it_posts(
    tmp_path: Path, feed: bool
) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            # Probes every second here (30 s by default), so the watcher,
            # its only follower of an intents topic, gets one in the test.
            customer = await m.customer(quiet_probe_seconds=1.0, offer_feed=feed)
            expected = sync.interests(relay=False, buckets=customer.offer_buckets)
            # In feed mode it follows no offer topic (section 12), else two.
            assert len(customer.offer_buckets) == (0 if feed else topics.FOLLOWED_BUCKETS)
            hellos: list[list[str]] = []
            probes: list[list[str]] = []  # a quiet customer's probes (section 10)
            heard: list[bytes] = []  # what the watcher got by gossip on the toys' topic

            def on_message(topic: str, data: bytes, peer: str) -> bool:
                heard.append(data)
                return True

            async with open_p2p(on_message=on_message) as watcher:
                await watcher.subscribe(topics.intents("toys"))

                async def record_hello(stream: Any) -> None:
                    hello = await read_frame(stream, timeout=5.0)
                    # The watcher follows an intents topic, so the customer's
                    # probe may come to it too, on its own fixed grid: the
                    # same hello whatever was posted.
                    probe = hello.get("recent") is not None
                    (probes if probe else hellos).append(hello["topics"])
                    await stream.reset()

                watcher.set_stream_handler(SYNC, record_hello)
                await customer.connect(watcher.addrs()[0])
                await wait_for(customer, lambda: len(hellos) >= 1)  # the sync on connect
                await wait_for(customer, lambda: seen_by(watcher, customer) == set(expected))
                subscribed = customer.p2p.topics

                intent = await customer.post_intent(**TOY)
                # Its key was drawn in one of the node's own buckets (feed:
                # in any, and it follows none).
                assert topics.bucket(intent.signer) in customer.core.intent_buckets
                # The watcher speaks no stem protocol, and the customer is a
                # quiet author (docs/privacy.md, section 10): it holds its
                # intent for a stem peer and never publishes it itself.
                await trio.sleep(1.5)  # a subscription would have reached the watcher
                assert customer.stem_held() == [intent.id] and heard == []
                with trio.move_on_after(5):
                    await customer.sync_with(watcher.peer_id)
                await wait_for(customer, lambda: len(hellos) >= 2)

                assert customer.p2p.topics == subscribed == expected
                assert seen_by(watcher, customer) == set(expected)
                assert hellos[0] == hellos[-1] == expected
                assert probes
                assert all(probe == sync.probe_topics() for probe in probes)
                assert customer.interests() == expected

    run(main)


def test_a_customer_following_every_bucket_leaves_its_intents_nothing_to_be_linked_by(
    tmp_path: Path,
) -> None:
    """``offer_buckets = 16`` (docs/privacy.md, section 11): the customer
    follows every offer bucket, as a vendor does, and takes each intent's
    keys from the next counter: none is passed over, so an intent's bucket
    is its key's own, whoever wrote it. Restarted with one bucket, it still
    follows the buckets of its intents on the market (their offers keep
    arriving) and draws new intents into its one bucket only."""
    seed = os.urandom(32)
    store = Store.open(tmp_path / "customer.db")

    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.stack.enter_async_context(
                open_node(
                    store,
                    customer_seed=seed,
                    config=replace(m.config, offer_feed=False, offer_buckets=16),
                )
            )
            offer_topics = [t for t in customer.p2p.topics if t in topics.ALL_OFFER_TOPICS]
            assert offer_topics == sorted(topics.ALL_OFFER_TOPICS)
            for _ in range(6):
                await customer.post_intent(**TOY)
            counters = [own.counter for own in store.intents.list()]
            assert counters == list(range(counters[0], counters[0] + 6))
        open_buckets = {topics.bucket(own.intent_key) for own in store.intents.list()}

        async with market(tmp_path / "again") as m:
            customer = await m.stack.enter_async_context(
                open_node(
                    store,
                    customer_seed=seed,
                    config=replace(m.config, offer_feed=False, offer_buckets=1),
                )
            )
            assert len(customer.core.intent_buckets) == 1
            assert set(customer.offer_buckets) == {*customer.core.intent_buckets, *open_buckets}
            offer_topics = [t for t in customer.p2p.topics if t in topics.ALL_OFFER_TOPICS]
            assert offer_topics == sorted(topics.offers_bucket(b) for b in customer.offer_buckets)
            later = await customer.post_intent(**TOY)
            assert customer.core.intent_buckets == (topics.bucket(later.signer),)

    run(main)
    store.close()


def test_a_customer_draws_the_next_intents_keys_after_a_post(tmp_path: Path) -> None:
    """After a post the customer reserves its next intent's keys (about 8
    counters tried for one in its 2 buckets), off the next post's path; the
    next post takes exactly those. Every intent still gets the first counter
    from the last one on whose bucket the customer follows."""
    seed = os.urandom(32)
    store = Store.open(tmp_path / "customer.db")

    async def main() -> None:
        async with market(tmp_path) as m:
            config = replace(m.config, offer_feed=False)
            customer = await m.stack.enter_async_context(
                open_node(store, customer_seed=seed, config=config)
            )
            role = customer.customer
            ahead: list[bytes] = []
            for _ in range(4):
                intent = await customer.post_intent(**TOY)
                if ahead:
                    assert intent.signer == ahead[-1]
                await wait_for(customer, lambda: role._keys_ahead is not None)
                assert role._keys_ahead is not None
                assert store.intents.next_counter() == role._keys_ahead.counter + 1
                ahead.append(role._keys_ahead.intent_key)

            def fits(key: bytes) -> bool:
                return topics.bucket(key) in customer.core.intent_buckets

            counters = [own.counter for own in store.intents.list()]
            expected = [draw_intent_keys(seed, 0, fits).counter]
            for _ in range(3):
                expected.append(draw_intent_keys(seed, expected[-1] + 1, fits).counter)
            assert counters == expected

    run(main)
    store.close()


def test_a_vendor_follows_every_offer_bucket_and_a_customer_two_or_none(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer(offer_feed=False)
            fed = await m.customer("fed")  # the default: offers from a feed
            assert fed.p2p.topics == [topics.DEALS, topics.RATINGS]
            vendor = await m.vendor("kiez-phones.toml")
            every = sorted(
                {*topics.ALL_INTENT_TOPICS, *topics.ALL_OFFER_TOPICS, topics.DEALS, topics.RATINGS}
            )
            assert vendor.interests() == vendor.p2p.topics == every
            buckets = [t for t in customer.p2p.topics if t in topics.ALL_OFFER_TOPICS]
            assert buckets == sorted(topics.offers_bucket(b) for b in customer.offer_buckets)
            # and no intents topic: a customer takes no part in the intents' gossip
            assert set(customer.p2p.topics) - set(buckets) == {topics.DEALS, topics.RATINGS}

    run(main)


def record_offers(node: Node) -> list[tuple[str, str]]:
    """(topic, verdict) of every sealed offer ``node``'s pipeline judges."""
    judged: list[tuple[str, str]] = []
    pipeline = node.core.pipeline
    judge = pipeline.judge_valid

    def judge_valid(topic: str, validation: Any, known: Any, *, stem_end: bool = False) -> Any:
        verdict = judge(topic, validation, known, stem_end=stem_end)
        signed = validation.signed
        if signed is not None and signed.kind is Kind.SEALED_OFFER:
            judged.append((topic, verdict.reason))
        return verdict

    pipeline.judge_valid = judge_valid  # type: ignore[method-assign]
    return judged


def test_an_offer_reaches_the_customer_on_its_intents_bucket_topic(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer, _kiez = await customer_and_kiez(m, offer_feed=False)
            judged = record_offers(customer)
            intent = await customer.post_intent(
                category=("electronics", "phones"), title="Pixel 8", terms=PHONE_TERMS
            )
            await wait_for(customer, lambda: len(customer.offers_for(intent.signer).ranked) >= 1)
            bucket = topics.offers(intent.signer)
            assert bucket in customer.p2p.topics
            assert judged and all(t == bucket for t, _ in judged), judged
            # The topic's name is the wire's: offers/<bucket>.
            assert bucket == f"intentcast/1/offers/{topics.bucket(intent.signer)}"
            assert (bucket, "accept:sealed-offer") in judged

    run(main)


def keys_in_every_bucket() -> list[IntentKeys]:
    """Intent keys of one seed, one in each offer bucket (the first found)."""
    seed = os.urandom(32)
    found: dict[int, IntentKeys] = {}
    counter = 0
    while len(found) < topics.BUCKETS:
        keys = derive_intent_keys(seed, counter)
        found.setdefault(topics.bucket(keys.intent_key), keys)
        counter += 1
    return [found[b] for b in range(topics.BUCKETS)]


def test_a_vendor_answers_intents_in_every_bucket_and_refuses_an_offer_on_the_wrong_one(
    tmp_path: Path,
) -> None:
    """A peer posts one phone intent in each bucket: the vendor's offers to
    each come back on that intent's bucket topic and open with its reply
    key. A sealed offer to one of them on another bucket is rejected by the
    vendor (which holds the intent) as ``wrong-bucket``, and its sender
    struck."""

    async def main() -> None:
        async with market(tmp_path) as m:
            kiez = await m.vendor("kiez-phones.toml")
            got: list[tuple[str, bytes]] = []

            def on_message(topic: str, data: bytes, peer: str) -> bool:
                got.append((topic, data))
                return True

            async with open_p2p(on_message=on_message) as peer:
                for topic in (PHONES, *topics.ALL_OFFER_TOPICS):
                    await peer.subscribe(topic)
                await kiez.connect(peer.addrs()[0])
                await wait_for(
                    kiez,
                    lambda: all(
                        kiez.peer_id in _followers(peer, t)
                        for t in (PHONES, *topics.ALL_OFFER_TOPICS)
                    ),
                )
                await trio.sleep(1.2)  # a heartbeat: the meshes form
                now = int(time.time())
                posted = []
                for keys in keys_in_every_bucket():
                    intent = sign(
                        Intent(category=("electronics", "phones"), title="Pixel 8",
                               terms=PHONE_TERMS, reply_key=keys.reply_public, created=now,
                               expires=now + 86_400),
                        keys.signing, params=LOW_WORK,
                    )  # fmt: skip
                    posted.append((keys, intent))
                    await peer.publish(PHONES, intent.raw)

                def answered(keys: IntentKeys, intent: Signed[Intent]) -> list[Signed[Any]]:
                    out = []
                    for topic, data in got:
                        v = validate(data, now=int(time.time()), params=LOW_WORK)
                        if v.signed is None or v.signed.kind is not Kind.SEALED_OFFER:
                            continue
                        if v.signed.message.intent_id == intent.id:
                            assert topic == topics.offers(keys.intent_key), topic
                            out.append(v.signed)
                    return out

                await wait_for(kiez, lambda: all(answered(k, i) for k, i in posted), timeout=30.0)
                for keys, intent in posted:
                    for sealed in answered(keys, intent):
                        opened = open_offer(
                            sealed, keys.reply, now=int(time.time()), params=LOW_WORK
                        )
                        assert opened.signed is not None, opened.reason
                        assert opened.signed.message.vendor_key == kiez.vendor_keys.vendor_key  # type: ignore[union-attr]

                # A sealed offer to the first intent, on the next bucket's topic.
                keys, intent = posted[0]
                wrong = topics.offers_bucket((topics.bucket(keys.intent_key) + 1) % topics.BUCKETS)
                forged = sign(
                    SealedOffer(intent_id=intent.id, box=os.urandom(600), created=now,
                                expires=intent.message.expires),
                    derive_intent_keys(os.urandom(32), 0).signing, params=LOW_WORK,
                )  # fmt: skip
                before = kiez.counters.get("reject:wrong-bucket", 0)
                await peer.publish(wrong, forged.raw)
                await wait_for(kiez, lambda: kiez.counters.get("reject:wrong-bucket", 0) > before)
                assert kiez.p2p.limits.strikes(peer.peer_id) >= 1
                assert kiez.store.gossip.sealed_offers(intent.id) == [] or all(
                    o.id != forged.id for o in kiez.store.gossip.sealed_offers(intent.id)
                )

    run(main)


def _followers(p2p: P2P, topic: str) -> set[str]:
    return {p.to_base58() for p in p2p.pubsub.peer_topics.get(topic, ())}


def _arrived(arrived: list[tuple[float, bytes]], raw: bytes) -> Callable[[], bool]:
    return lambda: any(raw in d for _, d in arrived)


def test_an_amendment_and_a_withdrawal_go_down_the_stem_after_a_random_delay(
    tmp_path: Path,
) -> None:
    """Follow-ups are held for ``follow_up_delay`` (drawn from the node's
    generator, seeded here), then sent down the stem like the intent: the
    stem peer receives them, no one gets them by gossip from the author."""
    slow = FollowUpDelay(base_seconds=1.5, mean_extra_seconds=1.0, max_seconds=4.0)
    expected = random.Random(5)
    delays = [follow_up_delay(slow, expected.random()) for _ in range(2)]

    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer(follow_up=slow, stem=StemParams(embargo_base_seconds=60))
            customer.stem.follow_up_random = random.Random(5)
            arrived: list[tuple[float, bytes]] = []
            async with open_p2p(on_message=lambda *_: True) as successor:

                async def take(stream: Any) -> None:
                    while True:
                        data = await stream.read(100_000)
                        if not data:
                            return
                        arrived.append((trio.current_time(), data))

                successor.set_stream_handler(STEM, take)
                await customer.connect(successor.addrs()[0])
                intent = await customer.post_intent(**TOY)
                await wait_for(customer, lambda: any(intent.raw in d for _, d in arrived))

                for n, (delay, act) in enumerate(
                    zip(delays, ("amend", "withdraw"), strict=True), start=1
                ):
                    start = trio.current_time()
                    sent: Signed[Any]
                    if act == "amend":
                        sent = await customer.amend(intent.signer, title="Carcassonne, big box")
                    else:
                        sent = await customer.withdraw(intent.signer, reason="found one")
                    # Held meanwhile: not on the stem yet, not handed out by sync.
                    await trio.sleep(delay - 0.5)
                    assert not any(sent.raw in d for _, d in arrived), act
                    assert customer.stem.on_stem(sent.id)
                    await wait_for(customer, _arrived(arrived, sent.raw))
                    at = next(t for t, d in arrived if sent.raw in d)
                    assert at - start >= delay - 0.05, (act, at - start, delay)
                    assert customer.counters.get("follow-up:sent", 0) == n
                    assert customer.counters.get("stem:own-sent", 0) == n + 1
                    assert sent.id in customer.stem_held()

    run(main)
