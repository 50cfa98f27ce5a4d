"""The daemon's side of an attached bot (``intentcast.daemon.remote``): work
items out, answers in, bad answers refused by name, a silent or vanished
bot never holds the node up. trio's MockClock makes the leases and
timeouts exact without waiting."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
import trio.testing

from intentcast.daemon.remote import (
    NO_ANSWER,
    OFFLINE,
    AlreadyAttached,
    BadAnswer,
    RemoteVendor,
    SessionGone,
)
from intentcast.peer.vendor import Decision
from intentcast.protocol import decode_stored
from intentcast.protocol.encoding import pack
from tests.protocol.builders import (
    NOW,
    customer_keys,
    offer_message,
    signed_accept,
    signed_intent,
    signed_offer,
    vendor_keys,
)


def run(test: Callable[[], Awaitable[None]]) -> None:
    trio.run(test, clock=trio.testing.MockClock(autojump_threshold=0))


def body(offer: Any) -> str:
    return base64.b64encode(pack(offer.to_body())).decode()


def test_an_intent_goes_out_as_work_and_the_bots_offers_come_back() -> None:
    intent = signed_intent()
    offer = offer_message(intent, vendor_keys())

    async def main() -> None:
        remote = RemoteVendor()
        session = remote.attach("Shop", ["electronics"], 10).session
        assert remote.name == "Shop" and remote.categories == ("electronics",)
        got: list[Any] = []
        async with trio.open_nursery() as nursery:

            async def node_side() -> None:
                got.extend(await remote.on_intent(intent, now=NOW))

            nursery.start_soon(node_side)
            (item,) = await remote.take_work(session, timeout=5)
            assert item["kind"] == "intent" and item["now"] == NOW
            # The bot rebuilds the very intent the node holds.
            assert decode_stored(base64.b64decode(item["intent"])) == intent
            # Nothing is handed out twice.
            assert await remote.take_work(session, timeout=1) == []
            remote.answer(session, item["id"], {"offers": [body(offer)]})
        assert got == [offer]

    run(main)


def test_bad_answers_are_refused_by_name_and_the_item_still_waits() -> None:
    intent = signed_intent()
    other = signed_intent(keys=customer_keys(1))
    good = offer_message(intent, vendor_keys())

    async def main() -> None:
        remote = RemoteVendor()
        session = remote.attach("Shop", ["electronics"], 10).session
        got: list[Any] = []
        async with trio.open_nursery() as nursery:

            async def node_side() -> None:
                got.append(await remote.on_intent(intent, now=NOW))

            nursery.start_soon(node_side)
            (item,) = await remote.take_work(session, timeout=5)
            work = item["id"]
            bad: list[tuple[dict[str, Any], str]] = [
                ({}, "needs 'offers'"),
                ({"offers": "x"}, "needs 'offers'"),
                ({"offers": ["%%%"]}, "not valid base64"),
                ({"offers": [base64.b64encode(b"\xc1").decode()]}, "not a msgpack offer"),
                ({"offers": [base64.b64encode(pack({"a": 1})).decode()]}, "not a valid offer"),
                ({"offers": [body(good)] * 17}, "at most 16"),
            ]
            for answer, says in bad:
                with pytest.raises(BadAnswer, match=says):
                    remote.answer(session, work, answer)
            with pytest.raises(SessionGone):
                remote.answer("forged", work, {"offers": []})
            with pytest.raises(SessionGone, match="no work item"):
                remote.answer(session, "unknown", {"offers": []})
            # An offer for another intent is dropped, not published.
            remote.answer(session, work, {"offers": [body(offer_message(other, vendor_keys()))]})
        assert got == [[]]

    run(main)


def test_accepts_are_confirmed_or_declined_by_the_bot() -> None:
    intent = signed_intent()
    offer = signed_offer(intent)
    accept = signed_accept(intent, offer, customer_keys())

    async def main() -> None:
        remote = RemoteVendor()
        session = remote.attach("Shop", ["electronics"], 10).session
        got: list[Decision] = []
        async with trio.open_nursery() as nursery:

            async def node_side() -> None:
                got.append(await remote.on_accept(accept, offer, intent, now=NOW))

            nursery.start_soon(node_side)
            (item,) = await remote.take_work(session, timeout=5)
            assert item["kind"] == "accept"
            assert decode_stored(base64.b64decode(item["accept"])) == accept
            assert decode_stored(base64.b64decode(item["offer"])) == offer
            with pytest.raises(BadAnswer, match="'confirm'"):
                remote.answer(session, item["id"], {"confirm": "yes"})
            with pytest.raises(BadAnswer, match="text"):
                remote.answer(session, item["id"], {"confirm": True, "text": "x" * 501})
            remote.answer(session, item["id"], {"confirm": False, "text": "Sold out."})
        assert got == [Decision(False, "Sold out.")]

    run(main)


def test_without_a_bot_nothing_is_offered_and_accepts_are_declined_at_once() -> None:
    intent = signed_intent()
    offer = signed_offer(intent)
    accept = signed_accept(intent, offer, customer_keys())

    async def main() -> None:
        remote = RemoteVendor()
        start = trio.current_time()
        assert await remote.on_intent(intent, now=NOW) == []
        assert await remote.on_accept(accept, offer, intent, now=NOW) == Decision(False, OFFLINE)
        assert trio.current_time() == start  # no waiting at all
        assert remote.name == "(no bot attached)" and remote.categories == ()

    run(main)


def test_a_silent_bot_is_given_up_on_and_a_dead_one_detached() -> None:
    intent = signed_intent()
    offer = signed_offer(intent)
    accept = signed_accept(intent, offer, customer_keys())

    async def main() -> None:
        remote = RemoteVendor(lease_seconds=30)
        session = remote.attach("Shop", ["electronics"], 10).session
        with pytest.raises(AlreadyAttached, match="'Shop' is attached"):
            remote.attach("Other", ["electronics"], 10)
        async with trio.open_nursery() as nursery:

            async def taker() -> None:
                await remote.take_work(session, timeout=5)  # takes it, never answers

            nursery.start_soon(taker)
            start = trio.current_time()
            decision = await remote.on_accept(accept, offer, intent, now=NOW)
            # Its own handler timeout plus slack for the trip, then a decline.
            assert decision == Decision(False, NO_ANSWER)
            assert trio.current_time() - start == pytest.approx(15)
        # No poll for longer than the lease: the bot is taken to be dead, its
        # categories stay (a returning bot catches up), another bot may attach.
        await trio.sleep(31)
        assert remote.live() is None
        assert remote.categories == ("electronics",)
        with pytest.raises(SessionGone):
            await remote.take_work(session, timeout=1)
        assert remote.attach("Other", ["services"], 10).name == "Other"

    run(main)


def test_detaching_ends_the_wait_of_pending_work() -> None:
    intent = signed_intent()

    async def main() -> None:
        remote = RemoteVendor()
        session = remote.attach("Shop", ["electronics"], 60).session
        got: list[Any] = []
        async with trio.open_nursery() as nursery:

            async def node_side() -> None:
                got.append(await remote.on_intent(intent, now=NOW))

            nursery.start_soon(node_side)
            await trio.sleep(1)
            start = trio.current_time()
            remote.detach(session)
        assert got == [[]]
        assert trio.current_time() == start

    run(main)


@pytest.mark.parametrize(
    ("name", "categories", "timeout", "says"),
    [
        ("", ["electronics"], 10, "name"),
        ("x" * 65, ["electronics"], 10, "name"),
        ("Shop", "electronics", 10, "non-empty list"),
        ("Shop", [], 10, "non-empty list"),
        ("Shop", ["gizmos"], 10, "'gizmos' not one of"),
        ("Shop", ["services"], 0, "handler_timeout"),
        ("Shop", ["services"], True, "handler_timeout"),
        ("Shop", ["services"], 301, "handler_timeout"),
    ],
)
def test_attach_refuses_a_malformed_bot(
    name: Any, categories: Any, timeout: Any, says: str
) -> None:
    async def main() -> None:
        with pytest.raises(BadAnswer, match=says):
            RemoteVendor().attach(name, categories, timeout)

    run(main)


def test_a_thread_event_goes_out_as_work_and_the_bots_reply_comes_back() -> None:
    from intentcast.peer.relationships import ThreadEvent, ThreadReply

    event = ThreadEvent(
        "message", bytes(32), bytes(range(32)), "px8", NOW, type="status", text="Where?"
    )

    async def main() -> None:
        remote = RemoteVendor()
        session = remote.attach("Shop", ["electronics"], 10).session
        got: list[Any] = []
        async with trio.open_nursery() as nursery:

            async def node_side() -> None:
                got.append(await remote.on_thread(event, now=NOW))
                got.append(await remote.on_thread(event, now=NOW))

            nursery.start_soon(node_side)
            (item,) = await remote.take_work(session, timeout=5)
            assert (item["kind"], item["what"], item["type"]) == ("thread", "message", "status")
            assert item["message_id"] == bytes(range(32)).hex()
            with pytest.raises(BadAnswer, match="reply_type"):
                remote.answer(session, item["id"], {"reply_type": "refund", "text": "x"})
            remote.answer(session, item["id"], {"reply_type": "shipped", "text": "Today."})
            (second,) = await remote.take_work(session, timeout=5)
            remote.answer(session, second["id"], {})  # no message back
        assert got == [ThreadReply("shipped", "Today."), None]

    run(main)
