"""Deal-backed ratings between real nodes on 127.0.0.1: a customer rates a
confirmed deal, a third node verifies the rating and ranks the vendor by it,
a node joining later gets it by sync and keeps it across a restart, junk
ratings are rejected at the first hop, and an own rating waits for its send
time across a restart of its author."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import trio

from intentcast.node import NodeConfig, NodeError, open_node
from intentcast.node.p2p import open_p2p
from intentcast.peer import topics
from intentcast.peer.followup import FollowUpDelay
from intentcast.protocol import (
    Confirm,
    Rating,
    Reason,
    Receipt,
    derive_intent_keys,
    derive_vendor_keys,
    sign,
)
from intentcast.protocol.encoding import decode_envelope, encode_envelope
from intentcast.protocol.fields import DAY
from intentcast.store import Store

from .harness import LOW_WORK, PHONE_TERMS, link, market, run, wait_for

PIXEL: dict[str, Any] = {
    "category": ("electronics", "phones"),
    "title": "Google Pixel 8, 128 GB",
    "terms": PHONE_TERMS,
    "attributes": {"brand": "google"},
}


async def _confirmed_deal(customer: Any) -> bytes:
    """Post a Pixel intent, accept the best offer, wait for the confirm."""
    intent = await customer.post_intent(**PIXEL)
    await wait_for(customer, lambda: bool(customer.offers_for(intent.signer).ranked))
    best = customer.offers_for(intent.signer).ranked[0].offer
    accept = await customer.accept(best.id)

    def confirmed() -> bool:
        deal = customer.store.deals.get(accept.id)
        return deal is not None and deal.reply is not None

    await wait_for(customer, confirmed)
    return bytes(accept.id)


def test_a_rating_reaches_a_third_node_moves_its_ranking_and_a_late_node_syncs_it(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            kiez = await m.vendor("kiez-phones.toml")
            shopper = await m.customer("shopper")
            await link(kiez, customer)
            await link(shopper, kiez)
            await trio.sleep(1.2)
            vendor_key = kiez.vendor_keys.vendor_key  # type: ignore[union-attr]

            # Before any rating, the shopper ranks Kiez Phones at the prior.
            before = await shopper.post_intent(**PIXEL)
            await wait_for(shopper, lambda: bool(shopper.offers_for(before.signer).ranked))
            prior = shopper.offers_for(before.signer).ranked[0].rating
            assert prior == 300

            deal = await _confirmed_deal(customer)
            own = await customer.rate(deal, stars=500, ontime=500, text="Fast and as described.")
            record = customer.store.deals.get(deal)
            assert record is not None
            await wait_for(shopper, lambda: shopper.store.ratings.count() == 1)
            [held] = shopper.store.ratings.verified(now=shopper.now())
            assert (held.vendor, held.deal, held.stars) == (vendor_key, deal, 500)
            # The rating is signed by the deal's one-time intent key, not by
            # anything that names the customer's node.
            assert held.rater == own.rating.signer == record.intent.signer
            standing = shopper.ratings.standing(vendor_key)
            assert standing.summary.count == 1
            # (10 * 3 + 5) / 11 stars, from a rating made today
            assert standing.line == "3.18 stars from 1 verified deal, last 1 day"
            ranked = shopper.offers_for(before.signer).ranked[0]
            assert ranked.offer.message.vendor_key == vendor_key
            assert ranked.rating > prior  # (10 * 300 + 500) / 11

            # The vendor sees its rating and replies in public.
            await wait_for(kiez, lambda: kiez.store.ratings.count() == 1)
            reply = await kiez.ratings.reply(deal, "Thank you!")
            await wait_for(
                shopper,
                lambda: shopper.ratings.ratings_of(vendor_key)[0].reply is not None,
            )
            assert shopper.ratings.ratings_of(vendor_key)[0].reply.id == reply.id  # type: ignore[union-attr]

            # An amended rating replaces the first everywhere.
            await customer.rate(deal, stars=200, text="Broke after a week.")

            def stars_held() -> list[int]:
                return [r.stars for r in shopper.store.ratings.verified(now=shopper.now())]

            await wait_for(shopper, lambda: stars_held() == [200])

            # A node that joins later gets rating and reply by sync, and
            # keeps them across a restart.
            late_store = m.store("late")
            async with open_node(late_store, customer_seed=os.urandom(32), config=m.config) as late:
                await link(late, shopper)
                await wait_for(late, lambda: len(late.ratings.ratings_of(vendor_key)) == 1)
                await wait_for(
                    late, lambda: late.ratings.ratings_of(vendor_key)[0].reply is not None
                )
            late_store.close()
            with Store.open(tmp_path / "late.db") as reopened:
                [kept] = reopened.ratings.verified(now=shopper.now())
                assert (kept.stars, kept.reply is not None) == (200, True)

    run(main)


def test_forged_and_misdirected_ratings_are_rejected_at_the_first_hop(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            kiez = await m.vendor("kiez-phones.toml")
            await link(kiez, customer)
            await trio.sleep(1.2)
            deal_id = await _confirmed_deal(customer)
            deal = customer.store.deals.get(deal_id)
            assert deal is not None and isinstance(deal.reply.message, Confirm)  # type: ignore[union-attr]
            receipt_raw = deal.reply.message.receipt  # type: ignore[union-attr]
            assert receipt_raw is not None
            now = customer.now()
            stranger = derive_intent_keys(os.urandom(32), 0)
            good = Rating(receipt=receipt_raw, stars=500, created=now, expires=now + 86_400)
            # A receipt whose signature was forged.
            env = decode_envelope(receipt_raw)
            forged_raw = encode_envelope(env.kind, env.body, env.signer, bytes(64))
            forged = sign(replace(good, receipt=forged_raw), stranger.signing, params=LOW_WORK)
            # A genuine receipt, rated by a key it does not name.
            misdirected = sign(good, stranger.signing, params=LOW_WORK)
            # A self-made receipt of a vendor for a deal that never happened is
            # valid on its own: it is what the vendor's own key vouches for.
            shill = derive_vendor_keys(os.urandom(32))
            fake = sign(
                Receipt(deal=os.urandom(32), intent_id=os.urandom(32),
                        rater=stranger.intent_key, created=now),
                shill.signing,
            )  # fmt: skip
            shill_rating = sign(replace(good, receipt=fake.raw), stranger.signing, params=LOW_WORK)
            async with open_p2p(on_message=lambda *_: True) as evil:
                await evil.connect(kiez.addrs()[0])
                await evil.subscribe(topics.RATINGS)
                await trio.sleep(1.2)
                evil.publish_nowait(topics.RATINGS, forged.raw)
                evil.publish_nowait(topics.RATINGS, misdirected.raw)
                evil.publish_nowait(topics.RATINGS, shill_rating.raw)
                await wait_for(kiez, lambda: kiez.store.ratings.count() == 1)
                await wait_for(
                    kiez, lambda: kiez.counters.get(f"reject:{Reason.NOT_RATER}", 0) >= 1
                )
                assert kiez.counters.get(f"reject:{Reason.BAD_RECEIPT}", 0) >= 1
                assert evil.peer_id in {p for p, _ in kiez.p2p.limits._peers.items()}
                assert kiez.p2p.limits.strikes(evil.peer_id) >= 2
            # The shill's rating counts for the shill only, never for Kiez.
            [held] = kiez.store.ratings.verified(now=now)
            assert held.vendor == shill.vendor_key
            assert kiez.ratings.standing(kiez.vendor_keys.vendor_key).summary.count == 0  # type: ignore[union-attr]

            # Only a confirmed deal with a receipt can be rated, by its customer.
            try:
                await kiez.rate(deal_id, stars=500)
            except NodeError as exc:
                assert "no deal of ours" in str(exc)
            else:
                raise AssertionError("the vendor rated its own deal")

    run(main)


def test_an_own_rating_waits_for_its_send_time_across_a_restart(tmp_path: Path) -> None:
    async def main() -> None:
        seed = os.urandom(32)
        async with market(tmp_path) as m:
            delay = FollowUpDelay(base_seconds=4.0, mean_extra_seconds=0.0, max_seconds=4.0)
            customer = await m.customer(rating_delay=delay, seed=seed)
            kiez = await m.vendor("kiez-phones.toml")
            await link(kiez, customer)
            await trio.sleep(1.2)
            deal = await _confirmed_deal(customer)
            written = customer.now()
            own = await customer.rate(deal, stars=400)
            assert own.send_at >= written + 4 and own.rating.message.created == own.send_at
            assert not own.sent
        # The customer's node stops before the send time; the rating waits
        # in its store and leaves once it is up again and the time has come.
        async with market(tmp_path) as m:
            kiez_store = m.store("kiez-phones.toml")
            assert kiez_store.ratings.count() == 0
            customer = await m.customer(seed=seed)
            kiez = await m.vendor("kiez-phones.toml")
            await link(customer, kiez)
            await wait_for(kiez, lambda: kiez.store.ratings.count() == 1, timeout=20)
            assert kiez.now() >= own.send_at  # not a moment before its time
            kept = customer.store.ratings.own(deal)
            assert kept is not None and kept.sent
            assert kiez.counters.get("accept:rating", 0) == 1
            assert customer.counters.get("rating:sent", 0) == 1

    run(main)


def test_a_backdated_rating_counts_from_its_arrival_on_a_node_that_was_watching(
    tmp_path: Path,
) -> None:
    """A self-dealer signs the receipt and the rating, so it may claim any
    time. A node that has been watching the network since before the
    claimed time, and got the rating only now, counts it as made at its
    arrival less ``ARRIVAL_GRACE``: the fake ratings stay one burst. A
    rating claiming a time before the node began watching keeps its claim
    (the node could not have seen it earlier)."""
    from intentcast.matching.reputation import ARRIVAL_GRACE

    async def main() -> None:
        async with market(tmp_path) as m:
            started = int(time.time())
            # Kiez has been watching for 200 days: a heartbeat a day.
            prepared = m.store("kiez-phones.toml")
            for day in range(200, 0, -1):
                prepared.ratings.watched(started - day * DAY, gap=ARRIVAL_GRACE)
            kiez = await m.vendor("kiez-phones.toml")
            assert kiez.ratings.watching_since == started - 200 * DAY
            now = kiez.now()
            shill = derive_vendor_keys(os.urandom(32))

            def self_dealt(made: int) -> Any:
                rater = derive_intent_keys(os.urandom(32), 0)
                receipt = sign(
                    Receipt(deal=os.urandom(32), intent_id=os.urandom(32),
                            rater=rater.intent_key, created=made - 3_600),
                    shill.signing,
                )  # fmt: skip
                rating = Rating(receipt=receipt.raw, stars=500, created=made, expires=now + DAY)
                return sign(rating, rater.signing, params=LOW_WORK)

            backdated = self_dealt(now - 100 * DAY)  # while Kiez was watching
            older = self_dealt(now - 300 * DAY)  # before it began to
            async with open_p2p(on_message=lambda *_: True) as evil:
                await evil.connect(kiez.addrs()[0])
                await evil.subscribe(topics.RATINGS)
                await trio.sleep(1.2)
                evil.publish_nowait(topics.RATINGS, backdated.raw)
                evil.publish_nowait(topics.RATINGS, older.raw)
                await wait_for(kiez, lambda: kiez.store.ratings.count() == 2)
            arrived = kiez.now()
            rated = sorted(r.rated for r in kiez.ratings.counted(arrived))
            assert rated[0] == now - 300 * DAY
            assert now - ARRIVAL_GRACE <= rated[1] <= arrived - ARRIVAL_GRACE
            # The shill's two fake deals read as one of last days, not as
            # a record spread over months.
            standing = kiez.ratings.standing(shill.vendor_key)
            assert standing.summary.count == 2

    run(main)


def test_an_accept_left_unanswered_lowers_the_vendor_on_the_customers_node_only(
    tmp_path: Path,
) -> None:
    """The customer's own record: an accept the vendor has not answered a
    day later counts against it in this node's figure (what its ranking and
    minimum-rating terms use), and is said so where the vendor is named;
    before the day is out it does not count."""
    from intentcast.matching.reputation import NO_RATINGS, UNANSWERED_AFTER, bayesian_rating
    from intentcast.protocol import NetworkParams
    from intentcast.store import Role
    from tests.store import store_samples as s

    async def main() -> None:
        now = [float(s.T0)]
        with Store.open(tmp_path / "c.db") as store:
            keys = store.intents.reserve_keys(s.SEED)
            intent = s.intent(keys.counter)
            store.intents.add(intent, counter=keys.counter)
            offer = s.offer(intent)
            store.offers.add_received(s.sealed(offer, intent), offer)
            accept = s.accept(keys.counter, intent, offer)
            store.deals.record_accept(intent, offer, accept, role=Role.CUSTOMER)
            made = accept.message.created
            vendor = s.VENDOR.vendor_key
            config = replace(NodeConfig(), params=NetworkParams(pow_bits={}))
            async with open_node(
                store, customer_seed=s.SEED, config=config, clock=lambda: now[0]
            ) as node:
                now[0] = made + UNANSWERED_AFTER - 1
                assert node.ratings.reputation().get(vendor, NO_RATINGS) == NO_RATINGS
                now[0] = made + UNANSWERED_AFTER + 1
                summary = node.ratings.reputation()[vendor]
                assert summary.unanswered == 1 and summary.count == 0
                assert bayesian_rating(summary) < bayesian_rating(NO_RATINGS)
                line = node.ratings.standing(vendor).line
                assert line.endswith("; 1 of your accepts unanswered"), line

    run(main)
