"""A quiet customer's probe with real nodes on 127.0.0.1 (issue 20,
docs/privacy.md section 10, docs/wire.md section 4): a customer follows no
intents topic, so it learns that its own intent was diffused by asking a
follower for the ids of the intents-topic messages created in the last 10
minutes (a sync hello with ``recent``); it probes on a schedule of its
own whatever it posted, and never hands out its own intents on sync."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import trio

from intentcast.node import Node, open_node
from intentcast.node.p2p import open_p2p
from intentcast.node.sync import PROTOCOL, read_frame, write_frame
from intentcast.peer import sync as policy
from intentcast.peer import topics

from .harness import NOTHING, Market, link, market, run, wait_for

#: Probes every second here (30 s on a network), so that the schedule shows
#: within the test.
FAST_PROBE = 1.0


def holds(node: Node, message_id: bytes) -> Callable[[], bool]:
    return lambda: node.store.gossip.intent(message_id) is not None


async def customer_with_clock(m: Market, name: str, offset: list[float]) -> Node:
    """A customer whose clock is ``offset[0]`` seconds off (the test moves
    it): what it posts says it was created then."""
    node = await m.stack.enter_async_context(
        open_node(
            m.store(name),
            customer_seed=os.urandom(32),
            config=m.config,
            clock=lambda: time.time() + offset[0],
        )
    )
    m.nodes[name] = node
    return node


def test_a_relay_answers_a_probe_with_the_ids_created_within_the_window(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            relay = await m.relay()
            offset = [-700.0]  # past the 600 s window
            author = await customer_with_clock(m, "author", offset)
            await link(author, relay)
            await trio.sleep(1.2)  # a heartbeat
            old = await author.post_intent(**NOTHING)
            offset[0] = 0.0  # its clock set right
            fresh = await author.post_intent(**NOTHING)
            assert old.message.created <= relay.now() - 700 + 5
            for intent in (fresh, old):
                await wait_for(relay, holds(relay, intent.id))
            prober = await m.customer("prober")
            await link(prober, relay)
            follows = policy.probe_topics()[0]
            await wait_for(prober, lambda: relay.peer_id in prober.p2p.followers(follows))
            found = await prober.peering.probe_recent(relay.peer_id)
            assert fresh.id in found
            assert old.id not in found  # held and live, but created 700 s ago
            # Ids only: the prober fetched nothing.
            assert prober.store.gossip.intent(fresh.id) is None
            assert relay.p2p.limits.strikes(prober.peer_id) == 0
            # A withdrawal is listed too (an author's follow-ups are quiet).
            withdraw = await author.withdraw(fresh.signer)
            await wait_for(relay, lambda: relay.store.gossip.has_seen(withdraw.id))
            assert withdraw.id in await prober.peering.probe_recent(relay.peer_id)

    run(main)


def test_a_customer_offers_none_of_its_own_intents_on_sync(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            relay = await m.relay()
            customer = await m.customer(quiet_probe_seconds=FAST_PROBE)
            await link(customer, relay)
            await trio.sleep(1.2)
            intent = await customer.post_intent(**NOTHING)
            # Its stem is over (the probe found it at the relay): nothing
            # hides it from sync any more but the rule under test.
            await wait_for(customer, lambda: customer.counters.get("stem:own-confirmed", 0) >= 1)
            assert not customer.stem.on_stem(intent.id)
            async with open_p2p(on_message=lambda *_: True) as asker:
                peer = await asker.connect(customer.addrs()[0])
                stream = await asker.new_stream(peer, PROTOCOL)
                await write_frame(stream, {"t": "hello", "topics": sorted(topics.ALL_TOPICS)})
                offered: list[bytes] = []
                frame = await read_frame(stream, timeout=10)
                while frame["t"] == "inv":
                    offered.extend(frame["ids"])
                    frame = await read_frame(stream, timeout=10)
                assert frame["t"] == "inv-end"
                assert intent.id not in offered
                # The relay, asked the same, offers it.
                peer = await asker.connect(relay.addrs()[0])
                stream = await asker.new_stream(peer, PROTOCOL)
                await write_frame(stream, {"t": "hello", "topics": sorted(topics.ALL_TOPICS)})
                frame = await read_frame(stream, timeout=10)
                assert frame["t"] == "inv" and intent.id in frame["ids"]

    run(main)


def test_a_customer_probes_on_schedule_and_its_probe_confirms_its_intent(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            relay = await m.relay()
            customer = await m.customer(quiet_probe_seconds=FAST_PROBE)
            await link(customer, relay)
            # With nothing posted, it probes all the same, every period.
            await wait_for(customer, lambda: customer.counters.get("probe:sent", 0) >= 3)
            assert customer.counters.get("stem:own-confirmed", 0) == 0
            assert customer.stem.unconfirmed() == []
            intent = await customer.post_intent(**NOTHING)
            await wait_for(relay, holds(relay, intent.id))
            await wait_for(customer, lambda: customer.counters.get("stem:own-confirmed", 0) == 1)
            assert intent.id not in customer.stem.unconfirmed()
            # The customer never follows the intents topic, and sent its
            # own intent to no one by gossip.
            assert not any(t in customer.p2p.topics for t in topics.ALL_INTENT_TOPICS)
            # A relay never probes.
            assert relay.counters.get("probe:sent", 0) == 0

    run(main)


def test_a_hello_asking_for_more_than_the_window_is_a_fault(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            relay = await m.relay()
            async with open_p2p(on_message=lambda *_: True) as asker:
                peer = await asker.connect(relay.addrs()[0])
                stream = await asker.new_stream(peer, PROTOCOL)
                hello = {"t": "hello", "topics": policy.probe_topics(), "recent": 601}
                await write_frame(stream, hello)
                with trio.move_on_after(5), suppress(Exception):
                    while await stream.read(1024):
                        pass  # the node resets the stream: a fault
                await wait_for(relay, lambda: relay.p2p.limits.strikes(asker.peer_id) == 1)
            # The node keeps serving: an honest probe is answered.
            prober = await m.customer("prober")
            await link(prober, relay)
            follows = policy.probe_topics()[0]
            await wait_for(prober, lambda: relay.peer_id in prober.p2p.followers(follows))
            assert await prober.peering.probe_recent(relay.peer_id) == set()
            assert relay.p2p.limits.strikes(prober.peer_id) == 0

    run(main)
