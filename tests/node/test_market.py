"""The market between real nodes on 127.0.0.1: intents out, sealed offers
back, accept and confirm, store-and-forward, and hostile peers."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import trio

from intentcast.node import EventKind, NodeError, open_node
from intentcast.node.p2p import open_p2p
from intentcast.peer import topics
from intentcast.protocol import (
    Accept,
    IntentState,
    Reason,
    Withdraw,
    derive_intent_keys,
    derive_vendor_keys,
    open_offer,
    seal_deal,
    sign,
)
from intentcast.store import DealState, Role

from .harness import (
    LOW_WORK,
    PHONE_TERMS,
    catalog_vendor,
    customer_and_kiez,
    free_port,
    link,
    market,
    next_event,
    peer_id_for,
    run,
    wait_for,
)

PIXEL: dict[str, Any] = {
    "category": ("electronics", "phones"),
    "title": "Google Pixel 8, 128 GB",
    "terms": PHONE_TERMS,
    "attributes": {"brand": "google"},
}


def test_full_flow_intent_offers_accept_confirm(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            kiez = await m.vendor("kiez-phones.toml")
            velo = await m.vendor("velo-werk.toml")  # sells bicycles: must stay silent
            await link(kiez, customer)
            await link(velo, customer)
            await link(velo, kiez)  # vendors carry the intents' gossip (customers do not)
            await trio.sleep(1.2)
            async with customer.events() as events:
                intent = await customer.post_intent(**PIXEL)
                await next_event(events, EventKind.OFFER_RECEIVED)
                await wait_for(
                    customer, lambda: len(customer.offers_for(intent.signer).ranked) >= 2
                )
            ranking = customer.offers_for(intent.signer)
            assert {r.offer.message.vendor_name for r in ranking.ranked} == {"Kiez Phones"}
            assert velo.store.offers.made() == []
            best = ranking.ranked[0].offer
            async with customer.events() as events:
                accept = await customer.accept(best.id, disclose={"contact": "alice@example.org"})
                done = await next_event(events, EventKind.DEAL_CONFIRMED)
            assert done.subject == accept.id
            ours = customer.store.deals.get(accept.id)
            theirs = kiez.store.deals.get(accept.id)
            assert ours is not None and theirs is not None
            assert ours.state is theirs.state is DealState.CONFIRMED
            assert (ours.role, theirs.role) == (Role.CUSTOMER, Role.VENDOR)
            # Both sides hold the same signed agreement record.
            assert ours.intent.raw == theirs.intent.raw and ours.offer.raw == theirs.offer.raw
            assert ours.accept.raw == theirs.accept.raw and ours.reply is not None
            assert theirs.reply is not None and ours.reply.raw == theirs.reply.raw
            # The vendor learned only what the customer chose to disclose.
            assert dict(theirs.accept.message.disclosure) == {"contact": "alice@example.org"}
            own = customer.store.intents.get(intent.signer)
            assert own is not None and own.state is IntentState.CLOSED

    run(main)


def test_late_vendor_gets_the_intent_through_sync(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            intent = await customer.post_intent(**PIXEL)  # nobody is listening yet
            kiez = await m.vendor("kiez-phones.toml")
            async with customer.events() as events:
                await link(kiez, customer)
                await next_event(events, EventKind.OFFER_RECEIVED)
            assert kiez.store.gossip.intent(intent.id) is not None
            assert customer.offers_for(intent.signer).ranked

    run(main)


def test_offline_customer_gets_offers_on_reconnect(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            relay = await m.relay()
            seed = os.urandom(32)
            store = m.store("customer")
            async with open_node(store, customer_seed=seed, config=m.config) as customer:
                await link(customer, relay)
                await trio.sleep(1.2)
                intent = await customer.post_intent(**PIXEL)
                await wait_for(relay, lambda: relay.store.gossip.intent(intent.id) is not None)
            # The customer closed the laptop. A vendor comes online and answers.
            kiez = await m.vendor("kiez-phones.toml")
            await link(kiez, relay)
            await wait_for(relay, lambda: len(relay.store.gossip.sealed_offers(intent.id)) >= 2)
            assert store.offers.received(intent.signer) == []
            # Back online: the same store and seed; the offers come through sync.
            async with open_node(store, customer_seed=seed, config=m.config) as customer:
                await link(customer, relay)
                await wait_for(customer, lambda: len(store.offers.received(intent.signer)) >= 2)
                ranking = customer.offers_for(intent.signer)
                assert ranking.ranked[0].offer.message.vendor_name == "Kiez Phones"

    run(main)


def test_withdraw_stops_offers_everywhere(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            relay = await m.relay()
            await link(relay, customer)
            await trio.sleep(1.2)
            intent = await customer.post_intent(**PIXEL)
            await wait_for(relay, lambda: relay.store.gossip.intent(intent.id) is not None)
            await customer.withdraw(intent.signer, reason="found one")
            await wait_for(relay, lambda: relay.store.gossip.tombstone(intent.signer) is not None)
            assert relay.store.gossip.intent(intent.id) is None
            # A vendor that joins later hears nothing to answer.
            kiez = await m.vendor("kiez-phones.toml")
            await link(kiez, relay)
            await wait_for(kiez, lambda: kiez.store.gossip.tombstone(intent.signer) is not None)
            await trio.sleep(1.0)
            assert kiez.store.offers.made() == []
            assert customer.offers_for(intent.signer).ranked == ()
            own = customer.store.intents.get(intent.signer)
            assert own is not None and own.state is IntentState.WITHDRAWN

    run(main)


def test_forged_withdraw_and_accept_change_nothing(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer, kiez = await customer_and_kiez(m)
            intent = await customer.post_intent(**PIXEL)
            await wait_for(customer, lambda: len(customer.offers_for(intent.signer).ranked) >= 1)
            offer = customer.offers_for(intent.signer).ranked[0].offer
            # An attacker with its own key tries to withdraw and to accept.
            attacker = derive_intent_keys(os.urandom(32), 0)
            now = customer.now()
            forged_withdraw = sign(
                Withdraw(intent_key=intent.signer, created=now, expires=intent.message.expires),
                attacker.signing,
                params=LOW_WORK,
            )
            forged_accept = sign(
                Accept(
                    intent_id=intent.id,
                    offer_id=offer.id,
                    payment_mode="prepay",
                    price=offer.message.price,
                    created=now,
                    disclosure={"contact": "eve@example.org"},
                ),
                attacker.signing,
            )
            sealed = seal_deal(
                forged_accept,
                to=offer.id,
                recipient=offer.message.reply_key,
                created=now,
                expires=now + 3600,
                random_bytes=os.urandom,
                params=LOW_WORK,
            )
            async with open_p2p(on_message=lambda *_: True) as evil:
                await evil.connect(kiez.addrs()[0])
                await evil.subscribe(topics.DEALS)
                await trio.sleep(1.2)
                evil.publish_nowait(topics.intents("electronics"), forged_withdraw.raw)
                evil.publish_nowait(topics.DEALS, sealed.raw)
                await wait_for(
                    kiez, lambda: kiez.counters.get("accept-refused:not-intent-author", 0) >= 1
                )
            assert kiez.counters.get(f"reject:{Reason.SIGNER_MISMATCH}", 0) >= 1
            assert kiez.store.gossip.tombstone(intent.signer) is None
            assert kiez.store.gossip.intent(intent.id) is not None
            assert kiez.store.deals.list() == []

    run(main)


def test_competing_vendor_cannot_open_another_vendors_offer(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            relay = await m.relay()
            kiez = await m.vendor("kiez-phones.toml")
            await link(relay, customer)
            await link(kiez, relay)
            await trio.sleep(1.2)
            intent = await customer.post_intent(**PIXEL)
            await wait_for(relay, lambda: len(relay.store.gossip.sealed_offers(intent.id)) >= 1)
            sealed = relay.store.gossip.sealed_offers(intent.id)[0]
            # The outer names no vendor and the box opens for the customer only.
            assert kiez.vendor_keys is not None
            assert kiez.vendor_keys.vendor_key not in sealed.raw
            verdict = open_offer(sealed, kiez.vendor_keys.reply, now=relay.now(), params=LOW_WORK)
            assert verdict.reason is Reason.UNSEALABLE

    run(main)


def test_garbage_peer_is_banned_while_honest_traffic_flows(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            kiez = await m.vendor("kiez-phones.toml")
            await link(kiez, customer)
            async with open_p2p(on_message=lambda *_: True) as evil:
                await evil.connect(kiez.addrs()[0])
                await evil.subscribe(topics.intents("electronics"))
                await trio.sleep(1.2)
                for i in range(40):
                    evil.publish_nowait(topics.intents("electronics"), os.urandom(64 + i))
                await wait_for(kiez, lambda: evil.peer_id in kiez.p2p.limits.banned(0))
                await wait_for(kiez, lambda: evil.peer_id not in kiez.p2p.connected_peers())
                assert kiez.counters.get("reject:malformed-envelope", 0) >= 5
                # Honest traffic still flows.
                intent = await customer.post_intent(**PIXEL)
                await wait_for(customer, lambda: bool(customer.offers_for(intent.signer).ranked))
                # A banned peer that dials again is refused.
                await evil.connect(kiez.addrs()[0])
                await wait_for(kiez, lambda: evil.peer_id not in kiez.p2p.connected_peers())

    run(main)


def test_accepting_an_offer_that_breaks_the_terms_is_refused(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer, _kiez = await customer_and_kiez(m)
            intent = await customer.post_intent(**PIXEL)
            await wait_for(customer, lambda: len(customer.offers_for(intent.signer).ranked) >= 2)
            # Amend the price down: every offer now answers an old revision.
            await customer.amend(intent.signer, terms=PIXEL["terms"])
            ranking = customer.offers_for(intent.signer)
            assert ranking.ranked == () or all(
                r.offer.message.intent_id != intent.id for r in ranking.ranked
            )
            stale = [r for r in ranking.rejected if r.offer.message.intent_id == intent.id]
            assert stale
            try:
                await customer.accept(stale[0].offer.id)
            except NodeError as exc:
                assert "breaks your terms" in str(exc)
            else:
                raise AssertionError("accepting an offer for a superseded revision must fail")

    run(main)


def test_offer_cap_keeps_the_cheapest_offers(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer, kiez = await customer_and_kiez(m, max_offers_per_intent=1)
            intent = await customer.post_intent(**PIXEL)
            await wait_for(kiez, lambda: len(kiez.store.offers.made(intent.id)) >= 2)
            made = sorted(o.offer.message.price for o in kiez.store.offers.made(intent.id))
            await wait_for(
                customer,
                lambda: (
                    [r.offer.message.price for r in customer.store.offers.received(intent.signer)]
                    == made[:1]
                ),
            )
            await trio.sleep(0.5)  # nothing else arrives to change it
            kept = customer.store.offers.received(intent.signer)
            assert [r.offer.message.price for r in kept] == made[:1]

    run(main)


def test_bootstrap_peer_is_dialled_and_redialled_after_it_restarts(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            port = free_port()
            store = m.store("kiez")
            vendor_keys = derive_vendor_keys(os.urandom(32))
            handler = catalog_vendor("kiez-phones.toml")
            # A stable peer id across restarts, so the bootstrap address stays valid.
            config = replace(
                m.config, peer_key_seed=bytes(range(32)), listen=[f"/ip4/127.0.0.1/tcp/{port}"]
            )
            peer = peer_id_for(bytes(range(32)))
            addr = f"/ip4/127.0.0.1/tcp/{port}/p2p/{peer}"
            # The customer starts first: its bootstrap peer is not up yet.
            customer = await m.customer(
                bootstrap=[addr], reconnect_min_seconds=0.2, reconnect_max_seconds=0.5
            )
            for _ in range(2):  # the vendor comes up, goes away, comes back
                async with open_node(
                    store, vendor_keys=vendor_keys, vendor=handler, config=config
                ) as kiez:
                    assert kiez.peer_id == peer
                    await wait_for(customer, lambda: peer in customer.p2p.connected_peers())
                await wait_for(customer, lambda: peer not in customer.p2p.connected_peers())
            assert customer.store.peers.get(peer) is not None
            async with open_node(
                store, vendor_keys=vendor_keys, vendor=handler, config=config
            ) as kiez:
                await wait_for(customer, lambda: peer in customer.p2p.connected_peers())
                await trio.sleep(1.2)
                intent = await customer.post_intent(**PIXEL)
                await wait_for(kiez, lambda: bool(kiez.store.offers.made(intent.id)))
                await wait_for(customer, lambda: bool(customer.offers_for(intent.signer).ranked))

    run(main)


def test_an_expired_intent_is_not_handed_on_or_answered(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            intent = await customer.post_intent(**PIXEL, lifetime=1)
            await trio.sleep(max(0.0, intent.message.expires - customer.now()) + 1.2)
            kiez = await m.vendor("kiez-phones.toml")
            await link(kiez, customer)
            received, _ = await kiez.sync_with(customer.peer_id)
            assert received == 0  # the customer no longer offers it on sync
            # And if a peer replays it anyway, every node ignores it as expired.
            async with open_p2p(on_message=lambda *_: True) as replayer:
                await replayer.connect(kiez.addrs()[0])
                await replayer.subscribe(topics.intents("electronics"))
                await trio.sleep(1.2)
                replayer.publish_nowait(topics.intents("electronics"), intent.raw)
                await wait_for(kiez, lambda: kiez.counters.get("ignore:expired", 0) >= 1)
            assert kiez.store.gossip.intent(intent.id) is None
            assert kiez.store.offers.made() == []

    run(main)
