"""Relationships after the deal between real nodes on 127.0.0.1: change my
details everywhere in one move (only where the old value is held), a
vendor offline when it is sent, messages both ways, forget me and the
statement of deletion (checked in the vendor's SQLite file), and a
delete-after-deal term falling due."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import trio

from intentcast.node import EventKind, Node, open_node
from intentcast.node.base import DEAL_TTL
from intentcast.peer.relationships import ThreadEvent, ThreadReply
from intentcast.peer.vendor import CatalogVendor, Decision
from intentcast.protocol import Kind, Side, derive_vendor_keys, thread_tag
from intentcast.protocol.fields import DAY
from intentcast.store import Role

from .harness import PHONE_TERMS, Market, catalog_vendor, link, market, next_event, run, wait_for

OLD = "Hauptstr. 1, 10115 Berlin"
NEW = "Neue Str. 2, 10115 Berlin"
EMAIL = "alice@example.org"
PIXEL: dict[str, Any] = {
    "category": ("electronics", "phones"),
    "title": "Google Pixel 8, 128 GB",
    "terms": replace(PHONE_TERMS, customer_terms=("cc:delete-after-deal", "cc:no-tracking")),
    "attributes": {"brand": "google"},
}


async def deal(customer: Node, vendor: Node, disclose: dict[str, str]) -> bytes:
    """Post an intent, take the vendor's best offer, wait for the confirm;
    returns the deal's accept id."""
    name = vendor.vendor.name if vendor.vendor is not None else ""
    async with customer.events() as events:
        intent = await customer.post_intent(**PIXEL)
        await next_event(events, EventKind.OFFER_RECEIVED, timeout=20)

    def theirs() -> list[Any]:
        ranked = customer.offers_for(intent.signer).ranked
        return [r.offer for r in ranked if r.offer.message.vendor_name == name]

    await wait_for(customer, lambda: bool(theirs()), timeout=20)
    best = theirs()[0]
    async with customer.events() as events:
        accept = await customer.accept(best.id, disclose=disclose)
        await next_event(events, EventKind.DEAL_CONFIRMED, timeout=20)
    return accept.id


class ShopBot(CatalogVendor):
    """A catalog vendor that also hears its threads (what the SDK's bots do)."""

    def __init__(self) -> None:
        base = catalog_vendor("kiez-phones.toml")
        super().__init__(replace(base.catalog, name="Second Phones"))
        self.heard: list[ThreadEvent] = []

    async def on_thread(self, event: ThreadEvent, *, now: int) -> ThreadReply | None:
        self.heard.append(event)
        if event.what == "message" and event.type == "status":
            return ThreadReply("shipped", "Shipped today, tracking DHL 0034.")
        return None


async def bot_vendor(m: Market, name: str, bot: ShopBot, seed: bytes) -> Node:
    node = await m.stack.enter_async_context(
        open_node(m.store(name), vendor_keys=derive_vendor_keys(seed), vendor=bot, config=m.config)
    )
    m.nodes[name] = node
    return node


def test_change_my_details_reaches_only_vendors_that_hold_the_field(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            kiez = await m.vendor("kiez-phones.toml")
            bot = ShopBot()
            second = await bot_vendor(m, "second", bot, os.urandom(32))
            await link(kiez, customer)
            await link(second, customer)
            await link(second, kiez)  # vendors carry the intents' gossip
            await trio.sleep(1.2)
            with_address = await deal(customer, kiez, {"shipping": OLD, "email": EMAIL})
            email_only = await deal(customer, second, {"email": EMAIL})
            mine = {r.accept_id: r for r in customer.relationships.relationships()}
            assert set(mine) == {with_address, email_only}
            assert kiez.store.relationships.get(with_address) is not None

            async with customer.events() as events:
                sent = await customer.relationships.update_detail("shipping", NEW)
                assert [s.accept_id for s in sent] == [with_address]
                # Before the vendor answers, it is silent on the new value.
                fields = customer.relationships.fields(with_address)
                assert fields["shipping"].value == NEW and not fields["shipping"].acknowledged
                ack = await next_event(events, EventKind.ACK_RECEIVED, timeout=20)
            assert ack.subject == with_address
            assert customer.relationships.fields(with_address)["shipping"].acknowledged
            held = kiez.store.relationships.disclosures(with_address)
            assert held["shipping"].value == NEW and held["email"].value == EMAIL
            # The vendor without an address heard nothing of it.
            assert second.store.relationships.thread(email_only) == []
            assert all(e.what != "update" for e in bot.heard)

            # An email change goes to both; the bot hears the new value.
            sent = await customer.relationships.update_detail("email", "a@new.example")
            assert {s.accept_id for s in sent} == {with_address, email_only}
            await wait_for(second, lambda: any(e.what == "update" for e in bot.heard), timeout=20)
            update = next(e for e in bot.heard if e.what == "update")
            assert (update.field, update.value) == ("email", "a@new.example")
            assert update.disclosure == {"email": "a@new.example"}

            # A message and the bot's answer, both threads stored on both sides.
            async with customer.events() as events:
                await customer.relationships.message(email_only, "Where is it?", type="status")
                answer = await next_event(events, EventKind.THREAD_MESSAGE, timeout=20)
            assert answer.detail == "shipped"  # the text stays out of events and logs
            last = customer.store.relationships.thread(email_only)[-1]
            assert last.message is not None and not last.outgoing
            assert last.message.message.text == "Shipped today, tracking DHL 0034."
            theirs = [e.kind for e in second.store.relationships.thread(email_only)]
            ours = [e.kind for e in customer.store.relationships.thread(email_only)]
            assert theirs.count("deal-message") == ours.count("deal-message") == 2

    run(main)


def test_an_update_waits_for_an_offline_vendor_and_forget_deletes_from_its_file(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            relay = await m.relay()
            await link(customer, relay)
            seed, store = os.urandom(32), m.store("kiez")

            def kiez_node() -> Any:
                return open_node(
                    store,
                    vendor_keys=derive_vendor_keys(seed),
                    vendor=catalog_vendor("kiez-phones.toml"),
                    config=m.config,
                )

            async with kiez_node() as kiez:
                await link(kiez, relay)
                await trio.sleep(1.2)
                accept_id = await deal(customer, kiez, {"shipping": OLD, "email": EMAIL})
            # The vendor is offline: the update waits on the network.
            sent = await customer.relationships.update_detail("shipping", NEW)
            assert len(sent) == 1
            thread_key = customer.relationships.get(accept_id).thread_key
            tag = thread_tag(thread_key, Side.CUSTOMER, sent[0].message.message.seq)
            await wait_for(relay, lambda: bool(relay.store.gossip.sealed_deals(tag)), timeout=20)
            assert not customer.relationships.fields(accept_id)["shipping"].acknowledged
            resent = await customer.relationships.resend_silent()
            assert [s.accept_id for s in resent] == [accept_id]
            async with customer.events() as events, kiez_node() as kiez:
                await link(kiez, relay)  # back: sync brings the updates
                await next_event(events, EventKind.ACK_RECEIVED, timeout=30)
                assert customer.relationships.fields(accept_id)["shipping"].acknowledged
                assert store.relationships.disclosures(accept_id)["shipping"].value == NEW

                # Both copies (the first and the one resent) are acknowledged.
                await next_event(events, EventKind.ACK_RECEIVED, timeout=30)
                await customer.relationships.forget(accept_id, reason="moving on")
                statement = await next_event(events, EventKind.ACK_RECEIVED, timeout=30)
                assert statement.detail == "Kiez Phones: deleted email, shipping"
            rel = customer.store.relationships.get(accept_id)
            assert rel is not None and rel.deleted is not None and not rel.live
            # What the vendor held is gone from its database file: the
            # values, the updates that carried them, the accept's disclosure.
            deal_record = store.deals.get(accept_id)
            assert deal_record is not None and deal_record.accept.message.disclosure == {}
            assert deal_record.accept.id == accept_id
            assert all(d.value is None for d in store.relationships.disclosures(accept_id).values())
            path = tmp_path / "kiez.db"
            data = b"".join(
                p.read_bytes() for p in (path, path.with_name("kiez.db-wal")) if p.exists()
            )
            for secret in (OLD, NEW, EMAIL, "Hauptstr", "Neue Str"):
                assert secret.encode() not in data, secret
            # The customer's own node still knows what she told whom.
            assert customer.relationships.fields(accept_id)["shipping"].value == NEW

    run(main)


def test_a_delete_after_deal_term_falls_due_on_the_vendors_node(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            ahead = [0.0]
            store = m.store("kiez")
            kiez = await m.stack.enter_async_context(
                open_node(
                    store,
                    vendor_keys=derive_vendor_keys(os.urandom(32)),
                    vendor=catalog_vendor("kiez-phones.toml"),
                    config=m.config,
                    clock=lambda: time.time() + ahead[0],
                )
            )
            kiez.relationships.due_check_seconds = 0.2
            await link(kiez, customer)
            await trio.sleep(1.2)
            accept_id = await deal(customer, kiez, {"shipping": OLD})
            rel = customer.store.relationships.get(accept_id)
            assert rel is not None and rel.delete_due is not None
            assert not customer.relationships.overdue(rel)
            await trio.sleep(0.5)
            assert store.relationships.disclosures(accept_id)["shipping"].value == OLD
            # The term falls due on the vendor's clock: its node deletes by itself.
            ahead[0] = rel.delete_due - time.time() + 1
            await wait_for(
                kiez, lambda: store.relationships.disclosures(accept_id)["shipping"].value is None
            )
            record = store.deals.get(accept_id)
            assert record is not None and record.accept.message.disclosure == {}
            data = (tmp_path / "kiez.db").read_bytes()
            assert OLD.encode() not in data

            def statement() -> list[Any]:
                return [e for e in store.relationships.thread(accept_id) if e.outgoing]

            await wait_for(kiez, lambda: bool(statement()))
            assert statement()[-1].kind == Kind.DEAL_ACK.value
            sent = statement()[-1].message
            assert sent is not None and sent.message.deleted and sent.message.of == accept_id

    run(main)


def test_the_customer_sees_an_overdue_term(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            ahead = [0.0]
            customer = await m.stack.enter_async_context(
                open_node(
                    m.store("customer"),
                    customer_seed=os.urandom(32),
                    config=m.config,
                    clock=lambda: time.time() + ahead[0],
                )
            )
            kiez = await m.vendor("kiez-phones.toml")
            await link(kiez, customer)
            await trio.sleep(1.2)
            accept_id = await deal(customer, kiez, {"shipping": OLD})
            rel = customer.relationships.get(accept_id)
            assert rel.delete_due is not None and not customer.relationships.overdue(rel)
            ahead[0] = rel.delete_due + 2 * DAY - time.time()
            assert customer.relationships.overdue(rel)
            assert rel.role is Role.CUSTOMER

    run(main)


def test_an_unacknowledged_update_is_sent_again_when_its_copy_expired(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            ahead = [0.0]
            customer = await m.stack.enter_async_context(
                open_node(
                    m.store("customer"),
                    customer_seed=os.urandom(32),
                    config=m.config,
                    clock=lambda: time.time() + ahead[0],
                )
            )
            async with open_node(
                m.store("kiez"),
                vendor_keys=derive_vendor_keys(os.urandom(32)),
                vendor=catalog_vendor("kiez-phones.toml"),
                config=m.config,
            ) as kiez:
                await link(kiez, customer)
                await trio.sleep(1.2)
                accept_id = await deal(customer, kiez, {"shipping": OLD})
            await customer.relationships.update_detail("shipping", NEW)

            def copies() -> int:
                thread = customer.store.relationships.thread(accept_id)
                return sum(e.kind == Kind.PROFILE_UPDATE.value for e in thread)

            customer.relationships.due_check_seconds = 0.2
            await trio.sleep(1.0)
            assert copies() == 1  # its copy still lives on the network
            ahead[0] = DEAL_TTL + 60
            await wait_for(customer, lambda: copies() == 2)
            await trio.sleep(1.0)
            assert copies() == 2  # once per expiry, not once per check

    run(main)


def test_deals_confirmed_before_relationships_existed_get_one_at_start(tmp_path: Path) -> None:
    """A store from before schema version 3 has confirmed deals and no
    relationships: the node opens them when it starts."""

    async def main() -> None:
        async with market(tmp_path) as m:
            seed, store = os.urandom(32), m.store("customer")
            kiez = await m.vendor("kiez-phones.toml")
            async with open_node(store, customer_seed=seed, config=m.config) as customer:
                await link(kiez, customer)
                await trio.sleep(1.2)
                accept_id = await deal(customer, kiez, {"shipping": OLD})
            with store._c.write() as conn:  # as a version-2 store left it
                for table in ("thread_tags", "disclosures", "thread", "relationships"):
                    conn.execute(f"DELETE FROM {table}")
            assert store.relationships.get(accept_id) is None
            async with open_node(store, customer_seed=seed, config=m.config) as customer:
                await wait_for(customer, lambda: store.relationships.get(accept_id) is not None)
                assert customer.relationships.fields(accept_id)["shipping"].value == OLD

    run(main)


def test_more_messages_than_the_tag_window_reach_a_vendor_that_was_offline(
    tmp_path: Path,
) -> None:
    """20 messages while the vendor is down: sync hands them over newest
    first, beyond the 16 tags it expects; each one taken in widens the
    window, and the ones already stored are found again."""

    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            relay = await m.relay()
            await link(customer, relay)
            seed, store = os.urandom(32), m.store("kiez")

            def kiez_node() -> Any:
                return open_node(
                    store,
                    vendor_keys=derive_vendor_keys(seed),
                    vendor=catalog_vendor("kiez-phones.toml"),
                    config=m.config,
                )

            async with kiez_node() as kiez:
                await link(kiez, relay)
                await trio.sleep(1.2)
                accept_id = await deal(customer, kiez, {"email": EMAIL})
            thread_key = customer.relationships.get(accept_id).thread_key
            for n in range(20):
                await customer.relationships.message(accept_id, f"message {n}", type="other")

                # The relay holds them in the order written (the customer
                # sends them at once: with cheap work it seals them without
                # a pause, and its tasks would send them in any order).
                def relayed(tag: bytes = thread_tag(thread_key, Side.CUSTOMER, n)) -> bool:
                    return bool(relay.store.gossip.sealed_deals(tag))

                await wait_for(relay, relayed)
            async with kiez_node() as kiez:
                await link(kiez, relay)

                def texts() -> set[str]:
                    return {
                        e.message.message.text
                        for e in store.relationships.thread(accept_id)
                        if e.message is not None and not e.outgoing
                    }

                await wait_for(kiez, lambda: len(texts()) == 20, timeout=30)
                assert kiez.counters.get("thread:caught-up", 0) > 0
            assert texts() == {f"message {n}" for n in range(20)}

    run(main)


def test_an_accept_the_owner_confirms_by_hand_opens_the_relationship(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            kiez = await m.vendor("kiez-phones.toml", "kiez", hold_accepts=True)
            await link(kiez, customer)
            await trio.sleep(1.2)
            intent = await customer.post_intent(**PIXEL)
            await wait_for(customer, lambda: bool(customer.offers_for(intent.signer).ranked))
            best = customer.offers_for(intent.signer).ranked[0].offer
            accept = await customer.accept(best.id, disclose={"shipping": OLD})
            await wait_for(kiez, lambda: bool(kiez.store.deals.unanswered(Role.VENDOR)))
            assert kiez.store.relationships.get(accept.id) is None  # no deal yet
            await kiez.answer_accept(accept.id, Decision(True, "Yes."))
            rel = kiez.store.relationships.get(accept.id)
            assert rel is not None and rel.role is Role.VENDOR
            assert kiez.store.relationships.disclosures(accept.id)["shipping"].value == OLD
            await wait_for(
                customer, lambda: customer.store.relationships.get(accept.id) is not None
            )

    run(main)
