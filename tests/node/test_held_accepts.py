"""A vendor that holds accepts for its owner (``NodeConfig.hold_accepts``):
the accept waits, across a restart, until the owner confirms or declines
it (``Node.answer_accept``), between real nodes on 127.0.0.1."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trio

from intentcast.node import EventKind, NodeError, open_node
from intentcast.peer.vendor import Decision
from intentcast.protocol import IntentState, InvalidMessage, derive_vendor_keys
from intentcast.store import DealState

from .harness import PHONE_TERMS, catalog_vendor, link, market, next_event, run, wait_for

PIXEL: dict[str, Any] = {
    "category": ("electronics", "phones"),
    "title": "Google Pixel 8, 128 GB",
    "terms": PHONE_TERMS,
}


def test_a_held_accept_waits_for_the_owner_across_a_restart(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            store = m.store("kiez")
            config = replace(m.config, hold_accepts=True)
            vendor_keys = derive_vendor_keys(os.urandom(32))
            handler = catalog_vendor("kiez-phones.toml")
            async with open_node(
                store, vendor_keys=vendor_keys, vendor=handler, config=config
            ) as kiez:
                await link(kiez, customer)
                await trio.sleep(1.2)
                first = await customer.post_intent(**PIXEL)
                second = await customer.post_intent(**{**PIXEL, "title": "Pixel 8, any"})
                keys = (first.signer, second.signer)
                await wait_for(customer, lambda: all(customer.offers_for(k).ranked for k in keys))
                accepts = []
                async with kiez.events() as events:
                    for intent in (first, second):
                        best = customer.offers_for(intent.signer).ranked[0].offer
                        accepts.append(await customer.accept(best.id))
                        held = await next_event(events, EventKind.ACCEPT_RECEIVED)
                        assert "waits for your answer" in held.detail
                # Held: no answer went out, and the handler was not asked.
                await trio.sleep(1.0)
                for accept in accepts:
                    deal = kiez.store.deals.get(accept.id)
                    assert deal is not None and deal.state is DealState.ACCEPTED
                    assert kiez.awaits_owner(deal)
                    mine = customer.store.deals.get(accept.id)
                    assert mine is not None and mine.reply is None
                assert kiez.counters.get("accept-held") == 2
            # The vendor node stops and starts again: the accepts still wait.
            async with open_node(
                store, vendor_keys=vendor_keys, vendor=handler, config=config
            ) as kiez:
                await link(kiez, customer)
                await trio.sleep(1.2)
                waiting = [d for d in kiez.store.deals.list() if kiez.awaits_owner(d)]
                assert {d.accept.id for d in waiting} == {a.id for a in accepts}
                async with customer.events() as events:
                    deal = await kiez.answer_accept(accepts[0].id, Decision(True, "Ships today."))
                    assert deal.state is DealState.CONFIRMED
                    done = await next_event(events, EventKind.DEAL_CONFIRMED)
                    assert done.subject == accepts[0].id and done.detail == "Ships today."
                    await kiez.answer_accept(accepts[1].id, Decision(False, "Sold out, sorry."))
                    done = await next_event(events, EventKind.DEAL_DECLINED)
                    assert done.subject == accepts[1].id and done.detail == "Sold out, sorry."
                ours = customer.store.deals.get(accepts[0].id)
                assert ours is not None and ours.state is DealState.CONFIRMED
                # A decline puts the customer's intent back on the market.
                again = customer.store.intents.get(second.signer)
                assert again is not None and again.state is IntentState.OPEN
                # One answer per accept; a customer's deal is not the vendor's to answer.
                with pytest.raises(NodeError, match="already confirmed"):
                    await kiez.answer_accept(accepts[0].id, Decision(False, "changed my mind"))
                with pytest.raises(NodeError, match="no accept"):
                    await kiez.answer_accept(bytes(32), Decision(True))
                with pytest.raises(NodeError, match="sells nothing"):
                    await customer.answer_accept(accepts[0].id, Decision(True))

    run(main)


#: 500 four-byte characters: the most a note may have, yet too large with a receipt.
LONG_NOTE = "\U0001d11e" * 500


class _LongNote:
    """A catalog vendor whose bot confirms with a note of 500 four-byte
    characters: within the note's 500 characters, but with the receipt the
    signed confirm is larger than a confirm may be."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.categories, self.name = inner.categories, inner.name

    async def on_intent(self, intent: Any, *, now: int) -> Any:
        return await self._inner.on_intent(intent, now=now)

    async def on_accept(self, accept: Any, offer: Any, intent: Any, *, now: int) -> Decision:
        return Decision(True, LONG_NOTE)


def test_an_answer_too_large_to_send_leaves_the_accept_to_the_owner(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            kiez = await m.vendor("kiez-phones.toml", "kiez", wrap=_LongNote)
            await link(kiez, customer)
            await trio.sleep(1.2)
            intent = await customer.post_intent(**PIXEL)
            await wait_for(customer, lambda: bool(customer.offers_for(intent.signer).ranked))
            best = customer.offers_for(intent.signer).ranked[0].offer
            async with kiez.events() as events:
                accept = await customer.accept(best.id)
                await next_event(events, EventKind.ACCEPT_RECEIVED)
                stuck = await next_event(events, EventKind.ACCEPT_RECEIVED)
            assert "could not be sent" in stuck.detail and "2048" in stuck.detail
            assert "waits for your answer" in stuck.detail
            # It says how much of the note would fit.
            found = re.search(r"note: 500 characters are too many .* at most the first (\d+) fit",
                              stuck.detail)  # fmt: skip
            assert found is not None, stuck.detail
            fit = int(found[1])
            assert 0 < fit < 500
            deal = kiez.store.deals.get(accept.id)
            assert deal is not None and kiez.awaits_owner(deal)
            assert kiez.counters.get("reply-unsendable") == 1
            # The owner's own answer one character longer is refused the
            # same way, and the accept still waits.
            with pytest.raises(InvalidMessage, match=f"at most the first {fit} fit"):
                await kiez.answer_accept(accept.id, Decision(True, LONG_NOTE[: fit + 1]))
            still = kiez.store.deals.get(accept.id)
            assert still is not None and kiez.awaits_owner(still)
            # The note cut where it said goes; the customer gets it whole.
            async with customer.events() as events:
                await kiez.answer_accept(accept.id, Decision(True, LONG_NOTE[:fit]))
                done = await next_event(events, EventKind.DEAL_CONFIRMED)
            assert done.subject == accept.id and done.detail == LONG_NOTE[:fit]

    run(main)
