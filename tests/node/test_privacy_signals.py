"""What a node's peers see of it besides its messages (docs/privacy.md,
section 6): its gossip subscriptions and its sync hello do not change when
its owner posts, even in a category no one else posts in; its follow-ups
leave after a random delay, down the stem."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

from intentcast.node import Node
from intentcast.node.p2p import P2P, open_p2p
from intentcast.node.stem import PROTOCOL as STEM
from intentcast.node.sync import PROTOCOL as SYNC
from intentcast.node.sync import read_frame
from intentcast.peer import topics
from intentcast.peer.followup import FollowUpDelay, follow_up_delay
from intentcast.protocol import Signed, Terms
from intentcast.protocol.stem import StemParams

from .harness import market, run, wait_for

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


def test_a_customers_subscriptions_and_hello_do_not_change_when_it_posts(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            hellos: list[list[str]] = []
            async with open_p2p(on_message=lambda *_: True) as watcher:

                async def record_hello(stream: Any) -> None:
                    hello = await read_frame(stream, timeout=5.0)
                    hellos.append(hello["topics"])
                    await stream.reset()

                watcher.set_stream_handler(SYNC, record_hello)
                await customer.connect(watcher.addrs()[0])
                await wait_for(customer, lambda: len(hellos) >= 1)  # the sync on connect
                await wait_for(customer, lambda: seen_by(watcher, customer) == set(topics.FOLLOWED))
                subscribed = customer.p2p.topics

                await customer.post_intent(**TOY)
                # The watcher speaks no stem protocol: the customer publishes it.
                await wait_for(customer, lambda: not customer.stem_held())
                await trio.sleep(1.5)  # a subscription would have reached the watcher
                with trio.move_on_after(5):
                    await customer.sync_with(watcher.peer_id)
                await wait_for(customer, lambda: len(hellos) >= 2)

                assert customer.p2p.topics == subscribed == sorted(topics.FOLLOWED)
                assert seen_by(watcher, customer) == set(topics.FOLLOWED)
                assert hellos[0] == hellos[-1] == list(topics.FOLLOWED)
                assert customer.interests() == list(topics.FOLLOWED)

    run(main)


def test_a_vendors_hello_is_a_customers(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            vendor = await m.vendor("kiez-phones.toml")
            assert vendor.interests() == customer.interests() == list(topics.FOLLOWED)
            assert vendor.p2p.topics == customer.p2p.topics

    run(main)


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
