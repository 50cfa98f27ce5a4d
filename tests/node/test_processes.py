"""Nodes in separate OS processes: a vendor node runs in a child process
(:mod:`.procs`), the customer in the test process; they meet over real
libp2p on 127.0.0.1 like two machines would.

No timing is asserted: waits are generous (a loaded 2-core CI machine),
and each one names what it waited for when it fails. The child is reaped
whatever happens (it also leaves by itself when its stdin closes).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import trio

from intentcast.node import EventKind, Node
from intentcast.peer import topics
from intentcast.protocol import IntentState
from intentcast.store import DealState, Role

from .harness import PHONE_TERMS, market, next_event, run, wait_for
from .procs import vendor_process

PIXEL: dict[str, Any] = {"category": ("electronics", "phones"), "title": "Google Pixel 8, 128 GB",
         "terms": PHONE_TERMS, "attributes": {"brand": "google"}}  # fmt: skip
WAIT = 30.0


async def knows_subscriber(node: Node, peer: str, topic: str) -> None:
    """Wait until ``node`` has heard that ``peer`` subscribes to ``topic``
    (then gossip published on it reaches ``peer``)."""

    def known() -> bool:
        return any(p.to_base58() == peer for p in node.p2p.pubsub.peer_topics.get(topic, ()))

    await wait_for(node, known, timeout=WAIT)


async def in_mesh(node: Node, peer: str, topic: str) -> None:
    """Wait until ``peer`` is in ``node``'s gossip mesh for ``topic`` (a
    heartbeat grafted it; until then our publishes on it would not reach it)."""

    def meshed() -> bool:
        return any(p.to_base58() == peer for p in node.p2p.router.mesh.get(topic, ()))

    await wait_for(node, meshed, timeout=WAIT)


def test_vendor_in_another_process_offers_and_confirms(tmp_path: Path) -> None:
    async def main() -> None:
        seed = os.urandom(32)
        store = tmp_path / "vendor.db"
        async with vendor_process("kiez-phones.toml", store, seed) as vendor, market(tmp_path) as m:
            customer = await m.customer()
            await customer.connect(vendor.addr)
            await knows_subscriber(customer, vendor.peer, topics.intents("electronics"))
            intent = await customer.post_intent(**PIXEL)
            await wait_for(
                customer, lambda: bool(customer.offers_for(intent.signer).ranked), timeout=WAIT
            )
            ranking = customer.offers_for(intent.signer)
            assert {r.offer.message.vendor_name for r in ranking.ranked} == {"Kiez Phones"}
            best = ranking.ranked[0].offer
            await in_mesh(customer, vendor.peer, topics.DEALS)
            async with customer.events() as events:
                accept = await customer.accept(best.id, disclose={"contact": "bob@example.org"})
                done = await next_event(events, EventKind.DEAL_CONFIRMED, timeout=WAIT)
            assert done.subject == accept.id
            ours = customer.store.deals.get(accept.id)
            assert ours is not None and ours.state is DealState.CONFIRMED
            assert ours.role is Role.CUSTOMER and ours.reply is not None
            own = customer.store.intents.get(intent.signer)
            assert own is not None and own.state is IntentState.CLOSED
            # The other process holds the same signed agreement record,
            # and learned only what the customer chose to disclose.
            theirs = await vendor.deal(accept.id)
            assert theirs["state"] == DealState.CONFIRMED.value
            assert theirs["role"] == Role.VENDOR.value
            assert theirs["disclosure"] == {"contact": "bob@example.org"}
            assert theirs["accept"] == ours.accept.raw.hex()
            assert theirs["reply"] == ours.reply.raw.hex()

    run(main)


def test_vendor_killed_and_restarted_still_confirms_its_offer(tmp_path: Path) -> None:
    """A vendor process dies hard (SIGKILL) after making offers; restarted
    on the same store and keys, it confirms an accept of an offer it made
    in its previous life, and the customer gets the deal."""

    async def main() -> None:
        seed = os.urandom(32)
        store = tmp_path / "vendor.db"
        async with market(tmp_path) as m:
            customer = await m.customer()
            async with vendor_process("kiez-phones.toml", store, seed) as vendor:
                await customer.connect(vendor.addr)
                await knows_subscriber(customer, vendor.peer, topics.intents("electronics"))
                intent = await customer.post_intent(**PIXEL)
                await wait_for(
                    customer, lambda: bool(customer.offers_for(intent.signer).ranked), timeout=WAIT
                )
                # Wait until the vendor has stored every offer it made and the
                # customer holds them all, then kill it without warning.
                made = 0
                with trio.move_on_after(WAIT):
                    while True:
                        made = (await vendor.call({"cmd": "offers-made"}))["count"]
                        held = len(customer.store.offers.received(intent.signer))
                        if made and held >= made:
                            break
                        await trio.sleep(0.1)
                assert made >= 1
                vendor.kill()
                await vendor.process.wait()
            await wait_for(customer, lambda: vendor.peer not in customer.p2p.connected_peers())
            best = customer.offers_for(intent.signer).ranked[0].offer
            async with vendor_process("kiez-phones.toml", store, seed) as again:
                await customer.connect(again.addr)
                await in_mesh(customer, again.peer, topics.DEALS)
                async with customer.events() as events:
                    accept = await customer.accept(best.id, disclose={"contact": "bob@example.org"})
                    await next_event(events, EventKind.DEAL_CONFIRMED, timeout=WAIT)
                theirs = await again.deal(accept.id)
                assert theirs["state"] == DealState.CONFIRMED.value
                assert theirs["disclosure"] == {"contact": "bob@example.org"}
            ours = customer.store.deals.get(accept.id)
            assert ours is not None and ours.state is DealState.CONFIRMED

    run(main)
