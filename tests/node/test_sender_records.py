"""The signed peer record in every pubsub RPC (node/repairs.py,
SenderRecords): built once per host, checked once per peer and record,
over real hosts; a record that is not the sending peer's is still refused.

py-libp2p 0.8.1 built the record afresh for every RPC it sent (for every
peer, when forwarding) and verified the sender's twice for every RPC it
received: most of gossipsub's own CPU per message (docs/node.md)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import pytest
import trio
from libp2p.pubsub import pubsub as pubsub_module
from libp2p.pubsub.pb import rpc_pb2

from intentcast.node import repairs
from intentcast.node.p2p import open_p2p

TOPIC = "intentcast/1/intents/electronics"


class Calls:
    """How often two hosts did the work behind a record: list their own
    addresses (to build one) and store a peer's checked record."""

    def __init__(self, *hosts: Any) -> None:
        self.built = self.checked = 0
        for host in hosts:
            self._count(host, "get_addrs", "built")
            self._count(host.get_peerstore(), "consume_peer_record", "checked")

    def _count(self, obj: Any, name: str, counter: str) -> None:
        original = getattr(obj, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            setattr(self, counter, getattr(self, counter) + 1)
            return original(*args, **kwargs)

        setattr(obj, name, counted)


def test_fifty_messages_build_and_check_each_record_about_once_and_send_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    carried: list[bool] = []
    check = pubsub_module.maybe_consume_signed_record  # type: ignore[attr-defined]

    def noting(rpc: rpc_pb2.RPC, host: Any, peer: Any) -> bool:
        carried.append(rpc.HasField("senderRecord"))
        return check(rpc, host, peer)

    monkeypatch.setattr(pubsub_module, "maybe_consume_signed_record", noting)

    async def main() -> None:
        got: list[bytes] = []

        def receive(topic: str, data: bytes, peer: str) -> bool:
            got.append(data)
            return True

        async with AsyncExitStack() as stack:
            a = await stack.enter_async_context(open_p2p(on_message=lambda *_: True))
            b = await stack.enter_async_context(open_p2p(on_message=receive))
            for p2p in (a, b):
                await p2p.subscribe(TOPIC)
            await a.connect(b.addrs()[0])
            with trio.fail_after(10):
                while not a.followers(TOPIC):
                    await trio.sleep(0.05)
            await trio.sleep(1.5)  # a heartbeat: the mesh forms
            calls = Calls(a.host, b.host)
            sent = [f"message {i}".encode() for i in range(50)]
            for data in sent:
                await a.publish(TOPIC, data)
            with trio.fail_after(10):
                while len(got) < len(sent):
                    await trio.sleep(0.02)
            assert sorted(got) == sorted(sent)
            # Upstream: 50 builds and 100 checks at the least.
            assert calls.built <= 2
            assert calls.checked <= 2
            # ... and no RPC carried one: ~200 bytes less per message copy.
            assert len(carried) >= len(sent) and not any(carried)

    trio.run(main)


def test_a_record_not_of_the_sending_peer_is_refused_every_time() -> None:
    async def main() -> None:
        async with AsyncExitStack() as stack:
            a = await stack.enter_async_context(open_p2p(on_message=lambda *_: True))
            b = await stack.enter_async_context(open_p2p(on_message=lambda *_: True))
            records = repairs.SenderRecords()
            record, _ = records.to_send(a.host)
            assert records.to_send(a.host)[0] == record  # reused
            rpc = rpc_pb2.RPC(senderRecord=record)
            # a's record, claimed by b: refused, and not remembered as checked.
            for _ in range(2):
                assert not records.consume(rpc, b.host, b.host.get_id())
            assert records.consume(rpc, b.host, a.host.get_id())
            assert records.consume(rpc, b.host, a.host.get_id())  # remembered
            assert records.consume(rpc_pb2.RPC(), b.host, a.host.get_id())  # none sent
            # Garbage where a record should be: refused.
            assert not records.consume(rpc_pb2.RPC(senderRecord=b"junk"), b.host, a.host.get_id())

    trio.run(main)
