"""A post's path: the intent leaves while its record is flushed, and the
next intent's keys are reserved on the disk before they sign anything."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from intentcast.node import open_node
from intentcast.store import DiskFull, Store

from .harness import PHONE_TERMS, link, market, run, wait_for

CHAIR: dict[str, Any] = {
    "category": ("home", "furniture"),
    "title": "Oak chair",
    "terms": PHONE_TERMS,
}


def test_an_intent_leaves_while_its_record_is_flushed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The customer hands its intent to its stem successor while the store
    flushes the intent's record in a worker thread, and ``post_intent``
    returns only once that flush is done. The flush below waits for the
    hand; were the flush still ahead of the send, it would wait in vain."""
    flushes: list[bool] = []  # per flush: whether the hand had happened

    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer(offer_feed=False)
            relay = await m.relay()
            await link(customer, relay)
            await wait_for(customer, lambda: relay.peer_id in customer.p2p.connected_peers())
            handed = threading.Event()
            customer.core.trace = lambda what, mid, detail: (
                handed.set() if what == "stem-sent" else None
            )
            store: Store = customer.store
            real_sync = store.sync

            def sync() -> None:  # runs in a worker thread
                flushes.append(handed.wait(timeout=10))
                real_sync()

            monkeypatch.setattr(store, "sync", sync)
            intent = await customer.post_intent(**CHAIR)
            assert flushes == [True]  # the post waited for its flush, which came after the hand
            assert customer.store.intents.get(intent.signer) is not None
            await wait_for(relay, lambda: relay.store.gossip.has_seen(intent.id))

    run(main)


def test_keys_reserved_after_a_post_are_never_used_again_after_a_restart(
    tmp_path: Path,
) -> None:
    """After a post the customer reserves its next intent's keys in the
    store (not only in memory), so the next post sends without waiting for
    the disk first. A node that stops before using them never hands their
    counter out again: no two intents share keys, even across a crash."""
    seed = os.urandom(32)
    path = tmp_path / "customer.db"
    counters: list[int] = []
    reserved: list[int] = []

    async def life() -> None:
        store = Store.open(path)
        try:
            async with market(tmp_path) as m:
                relay = await m.relay()
                customer = await m.stack.enter_async_context(
                    open_node(store, customer_seed=seed, config=replace(m.config, offer_feed=False))
                )
                await link(customer, relay)
                intent = await customer.post_intent(**CHAIR)
                own = store.intents.get(intent.signer)
                assert own is not None
                counters.append(own.counter)
                role = customer.customer
                await wait_for(customer, lambda: role._keys_ahead is not None)
                assert role._keys_ahead is not None
                reserved.append(role._keys_ahead.counter)
                # Reserved in the store: the next reservation starts past it.
                assert store.intents.next_counter() == reserved[-1] + 1
        finally:
            store.close()

    run(life)
    run(life)  # a restart: the keys reserved ahead in the first life are lost
    assert counters[1] > reserved[0] > counters[0]
    assert len(set(counters + reserved)) == 4


def test_a_disk_error_while_reserving_ahead_leaves_the_node_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reservation after a post runs in the background: a disk error
    there is logged, not fatal, and the next post reserves its own keys."""

    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer(offer_feed=False)
            relay = await m.relay()
            await link(customer, relay)
            intents = customer.store.intents
            real = intents.reserve_keys
            refused: list[int] = []

            def reserve_keys(seed: bytes, **kwargs: Any) -> Any:
                if kwargs.get("flush") is False:  # the reservation ahead
                    refused.append(intents.next_counter())
                    raise DiskFull("disk full", path=customer.store.path)
                return real(seed, **kwargs)

            monkeypatch.setattr(intents, "reserve_keys", reserve_keys)
            first = await customer.post_intent(**CHAIR)
            await wait_for(customer, lambda: bool(refused))
            assert customer.customer._keys_ahead is None
            second = await customer.post_intent(**{**CHAIR, "title": "Oak table"})
            assert [own.intent.id for own in intents.list()] == [first.id, second.id]
            await wait_for(relay, lambda: relay.store.gossip.has_seen(second.id))

    run(main)
