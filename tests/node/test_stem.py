"""Stem-then-fluff with real nodes on loopback (docs/privacy.md): the node
that first gossips an intent is, in most runs, not the author's; an intent
whose stem peer dies still reaches every vendor (the embargo fail-safe);
a message on its stem is not handed out by sync."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trio

from intentcast.node import Node, open_node, stem
from intentcast.node.p2p import open_p2p
from intentcast.node.stem import PROTOCOL
from intentcast.node.sync import read_frame, write_frame
from intentcast.protocol import derive_vendor_keys
from intentcast.protocol.stem import StemParams

from .harness import NOTHING, PHONE_TERMS, catalog_vendor, link, market, run, wait_for

#: Epochs of one second: each intent below is routed with fresh draws; the
#: default embargo timers, so that on a loaded machine no timer pre-empts a
#: working stem.
EPOCHS = StemParams(epoch_seconds=1.0)
#: Short embargo timers so the fail-safe shows within the test.
FAST = StemParams(epoch_seconds=1.0, embargo_base_seconds=1.0, embargo_mean_extra_seconds=1.0)
#: Who published an intent to gossip after a stem, per node.
FLUFFS = tuple(f"stem-end:{reason}" for reason in stem.STEM_ENDS)


def kiez() -> Any:
    return catalog_vendor("kiez-phones.toml")


def has(node: Node, message_id: bytes) -> Callable[[], bool]:
    return lambda: node.store.gossip.intent(message_id) is not None


def fluffs(node: Node) -> int:
    return sum(node.counters.get(k, 0) for k in FLUFFS)


def test_intents_are_first_gossiped_by_a_node_other_than_the_authors(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer(stem=EPOCHS)
            others = [
                await m.vendor("kiez-phones.toml", name=f"vendor{i}", stem=EPOCHS) for i in range(5)
            ]
            # As on a real network: the customer dials two peers; vendors
            # and relays are well connected among themselves.
            ring = [customer, *others]
            for i, a in enumerate(others):
                for b in others[i + 1 :]:
                    await link(a, b)
            await link(customer, others[0])
            await link(customer, others[3])
            await trio.sleep(1.2)  # a heartbeat: the meshes form

            runs, by_others = 8, 0
            for n in range(runs):
                before = {id(node): fluffs(node) for node in ring}
                intent = await customer.post_intent(**NOTHING)
                for vendor in others:
                    await wait_for(vendor, has(vendor, intent.id))
                fluffed = [node for node in ring if fluffs(node) > before[id(node)]]
                # Exactly one node ended the stem (the others got it by gossip).
                assert len(fluffed) == 1, (n, [node.counters for node in ring])
                by_others += fluffed[0] is not customer
                await trio.sleep(1.0)  # the next epoch: fresh roles and successors
            # A customer is a quiet author (docs/privacy.md, section 10): it
            # follows no intents topic and never publishes its own intent,
            # not even when the stem loops back to it.
            assert by_others == runs
            assert customer.counters.get("stem:own-sent", 0) >= runs

    run(main)


def test_an_intent_whose_stem_peer_swallows_it_still_reaches_every_vendor(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer(stem=FAST)
            vendors = [
                await m.vendor("kiez-phones.toml", name=f"vendor{i}", stem=FAST) for i in range(3)
            ]
            taken: list[bytes] = []
            async with open_p2p(on_message=lambda *_: True) as hole:

                async def swallow(stream: Any) -> None:
                    taken.append(await stream.read(100_000))
                    await trio.sleep_forever()  # takes it, stays, never passes it on

                hole.set_stream_handler(PROTOCOL, swallow)
                # The black hole is the customer's only peer when it posts:
                # it is the stem successor; it takes the intent and keeps it.
                await customer.connect(hole.addrs()[0])
                intent = await customer.post_intent(**NOTHING)
                await wait_for(customer, lambda: bool(taken))
                assert intent.raw in taken[0]
                # Vendors carry intents among themselves (a customer follows
                # no intents topic, docs/privacy.md section 10): the re-sent
                # intent reaches one of them and spreads from there.
                for i, a in enumerate(vendors):
                    for b in vendors[i + 1 :]:
                        await link(a, b)
                for vendor in vendors:
                    await link(vendor, customer)
                # The customer still holds it; sync does not hand it out ...
                assert customer.stem_held() == [intent.id]
                # ... but its embargo timer fires: it sends it down the stem
                # again, to the black hole once, then to a peer it did not
                # send it to yet; a quiet author never publishes it itself.
                for vendor in vendors:
                    await wait_for(vendor, has(vendor, intent.id))
                assert customer.counters.get("stem-end:embargo", 0) == 0
                assert customer.counters["stem:own-sent"] >= 3

    run(main)


def test_an_intent_whose_stem_peer_leaves_with_it_goes_down_another_stem_at_once(
    tmp_path: Path,
) -> None:
    """A successor that disconnects before the message came back by gossip
    may have taken it along: the author sends it down another stem when the
    connection closes, not when its embargo timer fires (the protocol's
    own timers here: 10 s and more; the test waits far less)."""

    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer(stem=EPOCHS)
            vendors = [
                await m.vendor("kiez-phones.toml", name=f"vendor{i}", stem=EPOCHS) for i in range(3)
            ]
            for i, a in enumerate(vendors):
                for b in vendors[i + 1 :]:
                    await link(a, b)
            taken: list[bytes] = []
            async with open_p2p(on_message=lambda *_: True) as hole:

                async def swallow(stream: Any) -> None:
                    taken.append(await stream.read(100_000))
                    await trio.sleep_forever()

                hole.set_stream_handler(PROTOCOL, swallow)
                await customer.connect(hole.addrs()[0])
                intent = await customer.post_intent(**NOTHING)
                await wait_for(customer, lambda: bool(taken))
                # The vendors join; the hole is still the successor of this
                # epoch's draw, and holds the intent.
                for vendor in vendors:
                    await link(customer, vendor)
                assert customer.stem_held() == [intent.id]
                posted = trio.current_time()
            # The hole leaves, with the intent.
            for vendor in vendors:
                await wait_for(vendor, has(vendor, intent.id))
            assert trio.current_time() - posted < EPOCHS.embargo_base_seconds
            assert customer.counters.get("stem:rerouted", 0) == 1
            assert not any(node.counters.get("stem-end:embargo") for node in [customer, *vendors])

    run(main)


def test_a_message_on_its_stem_is_not_handed_out_by_sync(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            slow = StemParams(embargo_base_seconds=60.0)
            customer = await m.customer(stem=slow)
            vendor = await m.vendor("kiez-phones.toml", stem=slow)
            async with open_p2p(on_message=lambda *_: True) as hole:

                async def swallow(stream: Any) -> None:
                    await stream.read(100_000)
                    await trio.sleep_forever()  # keeps it, stays connected

                hole.set_stream_handler(PROTOCOL, swallow)
                await customer.connect(hole.addrs()[0])
                intent = await customer.post_intent(**NOTHING)
                await wait_for(customer, lambda: customer.counters.get("stem:own-sent", 0) == 1)
                # A vendor that connects now syncs with the customer: it must
                # not learn the intent from its author.
                peer = await vendor.connect(customer.addrs()[0])
                await trio.sleep(1.0)  # the sync on connect has run
                assert await vendor.sync_with(peer) == (0, 0)
                assert vendor.store.gossip.intent(intent.id) is None
                assert customer.stem_held() == [intent.id]

    run(main)


def test_an_offer_cut_off_on_its_stem_by_a_restart_is_sent_again(tmp_path: Path) -> None:
    """A vendor stops while it holds its offer on the stem (the successor
    swallowed it): after the restart it sends the offer again, and the
    customer gets it."""

    async def main() -> None:
        async with market(tmp_path) as m:
            slow = StemParams(embargo_base_seconds=600.0)
            customer = await m.customer(stem=slow)
            frames: list[dict[str, Any]] = []
            async with open_p2p(on_message=lambda *_: True) as hole:

                async def swallow(stream: Any) -> None:
                    frames.append(await read_frame(stream, timeout=5))

                hole.set_stream_handler(PROTOCOL, swallow)
                await customer.connect(hole.addrs()[0])
                intent = await customer.post_intent(
                    category=("electronics", "phones"), title="Google Pixel 8", terms=PHONE_TERMS
                )
                await wait_for(customer, lambda: bool(frames))
                keys = derive_vendor_keys(os.urandom(32))
                config = replace(m.config, stem=slow)
                store = m.store("vendor")
                async with open_node(
                    store,
                    vendor_keys=keys,
                    vendor=catalog_vendor("kiez-phones.toml"),
                    config=config,
                ) as vendor:
                    # The hole hands the vendor the intent on the stem, and
                    # swallows the offers the vendor stems back to it.
                    peer = await hole.connect(vendor.addrs()[0])
                    stream = await hole.new_stream(peer, PROTOCOL)
                    await write_frame(stream, frames[0])
                    await stream.close()
                    await wait_for(vendor, lambda: len(frames) >= 2)
                    made = vendor.store.offers.made(intent.id)
                    assert made and vendor.stem_held()
            # The hole is gone; the vendor restarts with its store and the
            # customer is its peer now.
            async with open_node(store, vendor_keys=keys, vendor=kiez(), config=config) as vendor:
                await link(customer, vendor)
                count = len(made)
                await wait_for(
                    customer, lambda: len(customer.offers_for(intent.signer).ranked) >= count
                )
                ranked = customer.offers_for(intent.signer).ranked
                assert {r.offer.id for r in ranked} == {o.offer.id for o in made}

    run(main)


def test_an_intent_cut_off_on_its_stem_by_a_restart_is_stemmed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The author stops while its intent is on the stem (the successor
    swallowed it, the embargo has not fired): after the restart the intent
    is not handed out by sync, which would name its author, but sent down a
    stem again, and a vendor gets it by gossip. An intent that came back
    before the stop is not sent again."""

    async def main() -> None:
        async with market(tmp_path) as m:
            slow = StemParams(embargo_base_seconds=600.0)
            # Time for the sync below to run before the resend, on a busy machine.
            monkeypatch.setattr(stem, "RESEND_GRACE", 8.0)
            seed = os.urandom(32)
            # Probes every second: the quiet author learns its intent is out.
            config = replace(m.config, stem=slow, quiet_probe_seconds=1.0)
            store = m.store("customer")
            async with open_p2p(on_message=lambda *_: True) as hole:

                async def swallow(stream: Any) -> None:
                    await stream.read(100_000)

                hole.set_stream_handler(PROTOCOL, swallow)
                async with open_node(store, customer_seed=seed, config=config) as customer:
                    await customer.connect(hole.addrs()[0])
                    cut = await customer.post_intent(**NOTHING)
                    await wait_for(customer, lambda: customer.counters.get("stem:own-sent") == 1)
                    assert [p.signed.id for p in store.stems.pending()] == [cut.id]
            # Restarted with its store; two vendors are its peers now.
            vendors = [
                await m.vendor("kiez-phones.toml", name=f"vendor{i}", stem=slow) for i in range(2)
            ]
            await link(vendors[0], vendors[1])
            async with open_node(store, customer_seed=seed, config=config) as customer:
                for vendor in vendors:
                    peer = await vendor.connect(customer.addrs()[0])
                # The grace before the resend: a sync with the author finds nothing.
                assert await vendors[1].sync_with(peer) == (0, 0)
                assert vendors[1].store.gossip.intent(cut.id) is None
                for vendor in vendors:
                    await wait_for(vendor, has(vendor, cut.id), timeout=30)
                assert customer.counters.get("stem:resent") == 1
                # A probe of a vendor found it: its stem is over.
                await wait_for(customer, lambda: store.stems.pending() == [])
                assert customer.counters.get("stem:own-confirmed", 0) >= 1
                assert customer.stem_held() == []
                # A second intent, on a working stem, comes back; the next
                # restart sends nothing again.
                fresh = await customer.post_intent(**NOTHING)
                for vendor in vendors:
                    await wait_for(vendor, has(vendor, fresh.id))
                await wait_for(customer, lambda: store.stems.pending() == [])
                assert customer.stem.resend_unfluffed() == 0

    run(main)


def test_stem_successors_are_peers_the_node_dialled(tmp_path: Path) -> None:
    """An adversary can connect to every node but cannot make one dial it:
    a node with enough peers it dialled itself draws its successors from
    those only, epoch after epoch; a node with fewer uses every peer."""

    async def main() -> None:
        async with market(tmp_path) as m:
            node = await m.customer("node", stem=EPOCHS)
            dialled = [await m.customer(f"dialled{i}", relay=True) for i in range(2)]
            callers = [await m.customer(f"caller{i}", relay=True, stem=EPOCHS) for i in range(3)]
            for peer in dialled:
                await node.connect(peer.addrs()[0])
            for caller in callers:
                await caller.connect(node.addrs()[0])
            ids = {n.p2p.peer_id for n in dialled}
            await wait_for(node, lambda: len(node.p2p.connected_peers()) == 5)
            assert node.p2p.outbound_peers() == sorted(ids)
            assert dialled[0].p2p.outbound_peers() == []  # node dialled it, not back
            drawn: set[str] = set()
            for _ in range(6):  # epochs of one second, each a fresh draw
                drawn |= set(node.stem_successors())
                await trio.sleep(1.0)
            assert drawn == ids
            # A caller dialled only the node: too few to choose from, so it
            # uses every peer it has (the node).
            assert set(callers[0].stem_successors()) == {node.p2p.peer_id}

    run(main)


def test_every_stemmed_intent_reaches_every_node_and_its_stem_ends_once(tmp_path: Path) -> None:
    """A small healthy network of relays, stem routing as it ships (long
    epochs, the protocol's embargo timers): every intent reaches every
    other node, and each stem ends exactly once, at a diffuser or where it
    looped back: never by an embargo timer, never for want of a successor."""

    async def main() -> None:
        async with market(tmp_path) as m:
            n = 6
            nodes = [await m.customer(f"node{i}", relay=True) for i in range(n)]
            arrived: dict[bytes, set[int]] = {}
            ends: dict[bytes, list[str]] = {}
            hands: dict[bytes, int] = {}

            def tracer(i: int) -> Callable[[str, bytes, str], None]:
                def trace(what: str, message_id: bytes, detail: str) -> None:
                    if what == "accepted":
                        arrived.setdefault(message_id, set()).add(i)
                    elif what == "stem-end":
                        ends.setdefault(message_id, []).append(detail)
                    elif what == "stem-sent":
                        hands[message_id] = hands.get(message_id, 0) + 1

                return trace

            for i, node in enumerate(nodes):
                node.trace = tracer(i)
            # A ring, and each node dials the one two ahead too: every node
            # dials two peers, its stem successors.
            for i in range(n):
                await link(nodes[i], nodes[(i + 1) % n])
                await link(nodes[i], nodes[(i + 2) % n])
            await trio.sleep(1.5)  # heartbeats: the meshes form
            posted = []
            for i, node in enumerate(nodes):
                intent = await node.post_intent(**{**NOTHING, "title": f"Nokia 3310 no. {i}"})
                posted.append((i, intent.id))
            for author, mid in posted:
                others = set(range(n)) - {author}

                def everywhere(mid: bytes = mid, others: set[int] = others) -> bool:
                    return arrived.get(mid, set()) >= others and bool(ends.get(mid))

                await wait_for(nodes[author], everywhere)
            await trio.sleep(0.5)  # a second end, were there one, would show by now
            for author, mid in posted:
                assert author not in arrived[mid]  # the author never takes its own back in
                assert len(ends[mid]) == 1, ends[mid]
                assert ends[mid][0] in ("diffuser", "loop"), ends[mid]
                assert hands[mid] >= 1  # it went down a stem first
            for node in nodes:
                assert not node.stem_held()

    run(main)
