"""The vendor-bot SDK: the example bots answer a real customer node on
loopback; the SDK stops offers that break the customer's hard terms;
handlers may be sync or async; ``load_bot`` says what is wrong with a file."""

from __future__ import annotations

import os
import textwrap
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trio
from trio.testing import MockClock

from intentcast import sdk
from intentcast.node import EventKind, Node, open_node
from intentcast.peer.vendor import Decision
from intentcast.protocol import (
    Accept,
    Intent,
    Signed,
    Terms,
    derive_intent_keys,
    derive_vendor_keys,
    sign,
)
from intentcast.protocol.fields import DAY
from intentcast.sdk import (
    AcceptView,
    BotError,
    BotLoadError,
    BotVendor,
    CatalogBot,
    IntentView,
    OfferSpec,
    VendorBot,
    decline,
    load_bot,
)
from tests.node.harness import LOW_WORK, ROOT, link, market, next_event, run, wait_for

BOTS = ROOT / "examples" / "bots"
NOW = 1_790_000_000  # a Wednesday, 2026-09-22 (UTC)

HEADPHONES: dict[str, Any] = {
    "category": ("electronics", "audio"),
    "title": "Sony noise cancelling headphones",
    "attributes": {"brand": "sony"},
    "terms": Terms(
        max_price=35_000,
        currency="EUR",
        region="DE",
        customer_terms=("cc:no-tracking",),
        payment_modes=("prepay",),
    ),
}
PHONE: dict[str, Any] = {
    "category": ("electronics", "phones"),
    "title": "Google Pixel 8",
    "terms": Terms(
        max_price=55_000,
        currency="EUR",
        region="DE",
        customer_terms=("cc:no-tracking",),
        payment_modes=("prepay",),
    ),
}


def bike_service(now: int) -> dict[str, Any]:
    return {
        "category": ("services", "bike-repair"),
        "title": "Bike service, the brakes squeak",
        "terms": Terms(
            max_price=6_000,
            currency="EUR",
            region="u33db",
            deliver_by=now + 8 * DAY,
            customer_terms=("cc:no-tracking", "cc:delete-after-deal"),
            payment_modes=("pay-on-delivery",),
        ),
    }


def signed_intent(**changes: Any) -> Signed[Intent]:
    keys = derive_intent_keys(bytes(32), 0)
    fields: dict[str, Any] = {**PHONE, **changes}
    intent = Intent(reply_key=keys.reply_public, created=NOW, expires=NOW + 7 * DAY, **fields)
    return sign(intent, keys.signing, params=LOW_WORK)


async def bot_node(m: Any, name: str, handler: BotVendor) -> Node:
    node: Node = await m.stack.enter_async_context(
        open_node(
            m.store(name),
            vendor_keys=derive_vendor_keys(os.urandom(32)),
            vendor=handler,
            config=m.config,
        )
    )
    m.nodes[name] = node
    return node


# --- the example bots against a real customer -------------------------------------


def test_example_bots_answer_a_real_customer_with_offers_it_ranks(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            handlers = {
                name: BotVendor(load_bot(BOTS / f"{name}.py"))
                for name in ("audio_shop", "undercut", "bike_repair")
            }
            bots: list[Node] = []
            for name, handler in handlers.items():
                bot = await bot_node(m, name, handler)
                await link(bot, customer)
                for other in bots:  # vendors carry the intents' gossip among themselves
                    await link(bot, other)
                bots.append(bot)
            await trio.sleep(1.2)  # a gossipsub heartbeat: the mesh forms
            posted = {
                "audio_shop": await customer.post_intent(**HEADPHONES),
                "undercut": await customer.post_intent(**PHONE),
                "bike_repair": await customer.post_intent(**bike_service(customer.now())),
            }
            expected = {"audio_shop": 1, "undercut": 1, "bike_repair": 2}  # two slots

            def all_offers_in() -> bool:
                return all(
                    len(customer.offers_for(i.signer).ranked) >= expected[name]
                    for name, i in posted.items()
                )

            await wait_for(customer, all_offers_in)
            for name, intent in posted.items():
                ranking = customer.offers_for(intent.signer)
                assert not ranking.rejected, (name, ranking.rejected)
                vendors = {r.offer.message.vendor_name for r in ranking.ranked}
                assert vendors == {handlers[name].name}, (name, vendors)
            assert all(not h.stopped for h in handlers.values())

            [sony] = customer.offers_for(posted["audio_shop"].signer).ranked
            assert sony.offer.message.item.sku == "wh1000xm5-blk"
            assert sony.offer.message.price == 32_900  # the catalog's list price

            [pixel] = customer.offers_for(posted["undercut"].signer).ranked
            # 3 % under the customer's 550.00 EUR, within list 599.00 and floor 479.00.
            assert pixel.offer.message.price == 53_350
            assert pixel.offer.message.price_floor is None  # the customer pays prepay only

            slots = customer.offers_for(posted["bike_repair"].signer).ranked
            assert len(slots) == 2
            deadline = bike_service(customer.now())["terms"].deliver_by
            assert all(customer.now() < s.offer.message.deliver_by <= deadline for s in slots)
            first = min(slots, key=lambda s: s.offer.message.deliver_by).offer
            async with customer.events() as events:
                accept = await customer.accept(first.id, disclose={"contact": "bo@example.org"})
                done = await next_event(events, EventKind.DEAL_CONFIRMED)
            assert done.subject == accept.id and done.detail.startswith("Booked for ")
            assert "Oranienstr. 12" in done.detail

    run(main)


# --- the SDK keeps a careless bot from sending offers the customer rejects -------


class Greedy(VendorBot):
    name = "Greedy"
    categories = ("electronics",)
    accepts_terms = ("cc:no-tracking",)

    def on_intent(self, intent: IntentView) -> list[OfferSpec]:
        return [
            OfferSpec(title="Pixel 8, gold plated", price=intent.max_price + 1),
            OfferSpec(title="Pixel 8", price=intent.max_price),
        ]


def test_sdk_stops_an_offer_above_the_customers_max_price() -> None:
    async def main() -> None:
        handler = BotVendor(Greedy())
        offers = await handler.on_intent(signed_intent(), now=NOW)
        assert [o.item.title for o in offers] == ["Pixel 8"]
        [stopped] = handler.stopped
        assert stopped.title == "Pixel 8, gold plated"
        assert any("above your maximum of 550.00 EUR" in r for r in stopped.reasons)

    trio.run(main)


def test_sdk_stops_offers_breaking_other_hard_terms_unless_the_bot_opts_out() -> None:
    class Careless(VendorBot):
        name = "Careless"
        categories = ("electronics",)
        accepts_terms: tuple[str, ...] = ()  # the customer requires cc:no-tracking
        ships_to = ("FR",)

        def on_intent(self, intent: IntentView) -> OfferSpec:
            return OfferSpec(title="Pixel 8", price=40_000)

    class Stubborn(Careless):
        respect_hard_terms = False

    async def main() -> None:
        careless = BotVendor(Careless())
        assert await careless.on_intent(signed_intent(), now=NOW) == []
        [reasons] = [s.reasons for s in careless.stopped]
        assert any("cc:no-tracking" in r for r in reasons)
        assert any("does not ship to your region DE" in r for r in reasons)
        [offer] = await BotVendor(Stubborn()).on_intent(signed_intent(), now=NOW)
        assert offer.ships_to == ("FR",)

    trio.run(main)


def test_specs_take_the_bots_defaults_and_the_customers_payment_modes() -> None:
    class Shop(VendorBot):
        name = "Shop"
        categories = ("electronics",)
        ships_to = ("DE",)
        accepts_terms = ("cc:no-tracking", "cc:no-resale")
        payment_modes = ("prepay", "escrow")
        delivery_days = 4
        valid_hours = 6

        def on_intent(self, intent: IntentView) -> OfferSpec:
            return OfferSpec(title="Pixel 8", price=50_000, price_floor=45_000, sku="px8")

    async def main() -> None:
        [prepay] = await BotVendor(Shop()).on_intent(signed_intent(), now=NOW)
        assert prepay.payment_modes == ("prepay",)  # what the customer takes
        assert prepay.price_floor is None  # the customer does not name a price
        assert prepay.deliver_by == NOW + 4 * DAY and prepay.valid_until == NOW + 6 * 3600
        assert prepay.customer_terms == ("cc:no-resale", "cc:no-tracking")
        nyp = replace(PHONE["terms"], payment_modes=("name-your-price",))
        [named] = await BotVendor(Shop()).on_intent(signed_intent(terms=nyp), now=NOW)
        assert named.payment_modes == ("name-your-price",) and named.price_floor == 45_000

    trio.run(main)


def test_sync_and_async_handlers_and_accept_answers() -> None:
    seen: list[str] = []

    class Sync(VendorBot):
        name = "Sync"
        categories = ("electronics",)
        accepts_terms = ("cc:no-tracking",)

        def on_intent(self, intent: IntentView) -> OfferSpec:
            seen.append(intent.title)
            return OfferSpec(title="Pixel 8", price=1_000, sku="px8")

        def on_accept(self, deal: AcceptView) -> bool:
            return deal.sku == "px8"

    class Async(Sync):
        async def on_intent(self, intent: IntentView) -> list[OfferSpec]:  # type: ignore[override]
            await trio.sleep(0)
            return [OfferSpec(title="Pixel 8 (async)", price=1_000)]

        async def on_accept(self, deal: AcceptView) -> Decision:  # type: ignore[override]
            return decline(f"{deal.price} is too little")

    class Broken(Sync):
        def on_intent(self, intent: IntentView) -> OfferSpec:
            raise RuntimeError("inventory database down")

        def on_accept(self, deal: AcceptView) -> bool:
            raise RuntimeError("inventory database down")

    async def main() -> None:
        intent = signed_intent()
        [offer] = await BotVendor(Sync()).on_intent(intent, now=NOW)
        assert seen == ["Google Pixel 8"]
        [late] = await BotVendor(Async()).on_intent(intent, now=NOW)
        assert late.item.title == "Pixel 8 (async)"
        assert await BotVendor(Broken()).on_intent(intent, now=NOW) == []

        keys = derive_vendor_keys(bytes(32))
        signed_offer = sign(replace(offer, vendor_key=keys.vendor_key), keys.signing)
        accept = sign(
            Accept(
                intent_id=intent.id,
                offer_id=signed_offer.id,
                payment_mode="prepay",
                price=1_000,
                created=NOW,
            ),
            derive_intent_keys(bytes(32), 0).signing,
        )
        decisions = [
            await BotVendor(bot).on_accept(accept, signed_offer, intent, now=NOW)
            for bot in (Sync(), Async(), Broken())
        ]
        assert [d.confirm for d in decisions] == [True, False, False]
        assert decisions[0].text == "Confirmed: Pixel 8."
        assert decisions[1].text == "1000 is too little"

    trio.run(main)


def test_a_handler_that_does_not_answer_in_time_is_given_up_on() -> None:
    release = threading.Event()

    class Slow(VendorBot):
        name = "Slow"
        categories = ("electronics",)
        handler_timeout = 5.0

        def on_intent(self, intent: IntentView) -> OfferSpec:
            release.wait()
            return OfferSpec(title="Pixel 8", price=1_000)

    class SlowAsync(Slow):
        async def on_intent(self, intent: IntentView) -> OfferSpec:  # type: ignore[override]
            await trio.sleep_forever()
            raise AssertionError("unreachable")

    async def main() -> None:
        try:
            assert await BotVendor(Slow()).on_intent(signed_intent(), now=NOW) == []
            assert await BotVendor(SlowAsync()).on_intent(signed_intent(), now=NOW) == []
        finally:
            release.set()

    trio.run(main, clock=MockClock(autojump_threshold=0))


def test_bad_specs_and_bots_are_refused_with_the_setting_named() -> None:
    with pytest.raises(BotError, match="price must be a whole number of minor units"):
        OfferSpec(title="Pixel", price=499.0)  # type: ignore[arg-type]
    with pytest.raises(BotError, match=r"price_floor \(200\) is above the price"):
        OfferSpec(title="Pixel", price=100, price_floor=200)
    with pytest.raises(BotError, match="ships_to must be a list"):
        OfferSpec(title="Pixel", price=100, ships_to="DE")
    with pytest.raises(BotError, match="categories must list at least one"):
        BotVendor(VendorBot())

    class Odd(VendorBot):
        categories = ("gadgets",)

    with pytest.raises(BotError, match="'gadgets' not one of"):
        BotVendor(Odd())
    with pytest.raises(BotError, match="cannot read the catalog"):
        CatalogBot.from_file(BOTS / "missing.toml")


def test_the_tutorials_bot_runs(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "bots.md").read_text()
    code = doc.split("```python\n", 1)[1].split("```", 1)[0]
    bot = load_bot(bot_file(tmp_path, code))
    cable = signed_intent(category=("electronics", "cables"), title="USB-C cable", quantity=2)

    async def main() -> None:
        [offer] = await BotVendor(bot).on_intent(cable, now=NOW)
        assert (offer.vendor_name, offer.price, offer.ships_to) == ("Ada's Cables", 2_580, ("DE",))
        assert await BotVendor(bot).on_intent(signed_intent(), now=NOW) == []

    trio.run(main)


def test_every_public_name_of_the_sdk_is_documented() -> None:
    undocumented = [n for n in sdk.__all__ if not (getattr(sdk, n).__doc__ or "").strip()]
    assert undocumented == []


# --- load_bot ----------------------------------------------------------------------


def bot_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.py"
    path.write_text(textwrap.dedent(text))
    return path


def load_error(path: Path) -> str:
    with pytest.raises(BotLoadError) as info:
        load_bot(path)
    return str(info.value)


HEADER = "from intentcast.sdk import VendorBot\n"


def test_load_bot_finds_the_instance_or_the_one_class(tmp_path: Path) -> None:
    path = bot_file(tmp_path, HEADER + "class Shop(VendorBot):\n    name = 'Shop'\n")
    bot = load_bot(path)
    assert type(bot).__name__ == "Shop" and bot.name == "Shop"
    path = bot_file(
        tmp_path,
        HEADER + "class Shop(VendorBot):\n    pass\nclass Other(Shop):\n    pass\nbot = Other()\n",
    )
    assert type(load_bot(path)).__name__ == "Other"


def test_load_bot_errors_say_what_is_wrong(tmp_path: Path) -> None:
    assert load_error(tmp_path / "nope.py") == f"{tmp_path / 'nope.py'}: no such file"

    path = bot_file(tmp_path, HEADER + "\nclass Shop(VendorBot)\n    pass\n")
    assert load_error(path).startswith(f"{path}:3: syntax error: ")

    path = bot_file(tmp_path, HEADER + "PRICES = {}\nPRICE = PRICES['pixel']\n")
    assert load_error(path) == f"{path}:3: KeyError while loading the bot: 'pixel'"

    path = bot_file(tmp_path, "x = 1\n")
    assert "no bot found; define a VendorBot subclass" in load_error(path)


def test_a_load_error_names_its_line_when_the_working_directory_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daemon started from a directory since deleted still says where a
    bot failed (the traceback's "<frozen ...>" frames name no file)."""
    path = bot_file(tmp_path, HEADER + "PRICES = {}\nPRICE = PRICES['pixel']\n")
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert load_error(path) == f"{path}:3: KeyError while loading the bot: 'pixel'"

    path = bot_file(tmp_path, HEADER + "a = VendorBot()\nb = VendorBot()\n")
    assert load_error(path) == f"{path}: more than one bot (a, b); keep one per file"

    path = bot_file(
        tmp_path, HEADER + "class A(VendorBot):\n    pass\nclass B(VendorBot):\n    pass\n"
    )
    assert "more than one bot class (A, B)" in load_error(path)

    path = bot_file(
        tmp_path,
        HEADER + "class A(VendorBot):\n    def __init__(self, catalog):\n        pass\n",
    )
    assert "cannot create A(): TypeError" in load_error(path)


def test_thread_handlers_hear_messages_updates_and_forget_requests() -> None:
    from intentcast.peer.relationships import ThreadEvent, ThreadReply
    from intentcast.sdk import ThreadView, reply

    heard: list[ThreadView] = []

    class Shop(VendorBot):
        name = "Shop"
        categories = ("electronics",)

        def on_message(self, message: ThreadView) -> ThreadReply | str | None:
            heard.append(message)
            if message.type == "status":
                return reply("Shipped today.", type="shipped")
            if message.type == "return":
                return "Send it back within 14 days."
            return reply("x" * 501)  # too long: logged, not sent

        async def on_update(self, update: ThreadView) -> None:
            heard.append(update)

        def on_forget(self, deal: ThreadView) -> None:
            raise RuntimeError("CRM down")  # isolated: the node carries on

    def event(what: str, **fields: object) -> ThreadEvent:
        return ThreadEvent(what, bytes(32), bytes(32), "px8", NOW, **fields)  # type: ignore[arg-type]

    async def main() -> None:
        vendor = BotVendor(Shop())
        shipped = await vendor.on_thread(event("message", type="status", text="?"), now=NOW)
        assert shipped == ThreadReply("shipped", "Shipped today.")
        returned = await vendor.on_thread(event("message", type="return"), now=NOW)
        assert returned == ThreadReply("other", "Send it back within 14 days.")
        assert await vendor.on_thread(event("message", type="other"), now=NOW) is None
        update = event("update", field="email", value="a@b.example", disclosure={"email": "a@b"})
        assert await vendor.on_thread(update, now=NOW) is None
        assert await vendor.on_thread(event("forget"), now=NOW) is None
        assert heard[-1].what == "update" and heard[-1].value == "a@b.example"
        assert heard[0].deal == bytes(32).hex() and heard[0].sku == "px8"

    trio.run(main)
