"""Gossip repair (IHAVE/IWANT) does not fetch what a node already has.

py-libp2p keys its message cache by ``from_id + seqno`` but its seen cache
by the message-id function. The node publishes anonymously with content
ids, so the ids a node advertised in IHAVE were never in a receiver's seen
cache: the receiver asked for every advertised message again (IWANT) and
got a second copy, about four times the bytes per intent once nodes have
more peers than their mesh holds (docs/simulations.md, "Bandwidth"). The
node's message cache is keyed by the content id instead.

A hub with a mesh of one and five leaves that never graft: the hub's
heartbeat sends IHAVE to the leaves outside its mesh. The hub publishes, and
flood publishing hands every leaf every message at once, so any IWANT
would fetch a message the leaf already has.
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from typing import Any

import trio
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.utils import safe_bytes_from_hex

from intentcast.node.p2p import P2P, open_p2p
from intentcast.node.repairs import content_id
from intentcast.peer.config import GossipConfig

TOPIC = "intentcast/1/intents/electronics"
HUB = GossipConfig(degree=1, degree_low=1, degree_high=1)
#: Leaves accept a graft but never start one.
LEAF = GossipConfig(degree=0, degree_low=0, degree_high=2)


class _Leaf:
    """What one leaf received, was told about (IHAVE) and asked for (IWANT)."""

    def __init__(self) -> None:
        self.received: set[bytes] = set()
        #: Ids advertised to the leaf when its seen cache held the message
        #: (the library marks a message seen once its validation is over, so
        #: a message received, but still being validated, is not held yet).
        self.held_when_advertised: set[bytes] = set()
        #: Ids this leaf asked for (IWANT).
        self.asked: set[bytes] = set()

    def on_message(self, topic: str, data: bytes, peer: str) -> bool:
        self.received.add(content_id(rpc_pb2.Message(data=data)))
        return True


def _watch(p2p: P2P, leaf: _Leaf, ihaves: list[bytes]) -> None:
    """Record the message ids ``p2p`` is told about (IHAVE) and asks for (IWANT)."""
    router: Any = p2p.router
    handle_ihave, emit_iwant = router.handle_ihave, router.emit_iwant

    async def on_ihave(msg: Any, sender: Any) -> None:
        ids = [bytes(i) for i in msg.messageIDs]
        ihaves.extend(ids)
        # The id as handle_ihave reads it, looked up where handle_ihave does.
        held = (safe_bytes_from_hex(i) for i in msg.messageIDs)
        leaf.held_when_advertised.update(
            i for i in held if i is not None and p2p.pubsub.seen_messages.has(i)
        )
        await handle_ihave(msg, sender)

    async def asking(ids: Any, peer: Any) -> None:
        leaf.asked.update(bytes(i) for i in ids)
        await emit_iwant(ids, peer)

    router.handle_ihave, router.emit_iwant = on_ihave, asking


def test_ihave_names_messages_by_content_id_and_nothing_held_is_fetched_again() -> None:
    async def main() -> None:
        ihaves: list[bytes] = []
        published: set[bytes] = set()
        async with AsyncExitStack() as stack:
            hub = await stack.enter_async_context(open_p2p(on_message=lambda *_: True, gossip=HUB))
            seen = [_Leaf() for _ in range(5)]
            leaves = [
                await stack.enter_async_context(open_p2p(on_message=s.on_message, gossip=LEAF))
                for s in seen
            ]
            for leaf, watched in zip(leaves, seen, strict=True):
                _watch(leaf, watched, ihaves)
                await leaf.connect(hub.addrs()[0])
            # The hub grafts the first leaf into its mesh of one; the others
            # join later, so it neither grafts nor prunes them (a pruned peer
            # is in backoff, and gets no IHAVE).
            await hub.subscribe(TOPIC)
            await leaves[0].subscribe(TOPIC)
            await trio.sleep(2.5)  # heartbeats: the hub's mesh forms
            for leaf in leaves[1:]:
                await leaf.subscribe(TOPIC)
            await trio.sleep(0.5)
            with trio.move_on_after(20):
                while not ihaves:  # publish until a heartbeat gossips the window
                    data = os.urandom(300)
                    published.add(content_id(rpc_pb2.Message(data=data)))
                    await hub.publish(TOPIC, data)
                    await trio.sleep(0.5)
            # A leaf that lacked one would get it: the hub finds every id it
            # advertised in its cache (IWANT looks them up there).
            assert all(hub.router.mcache.get(i) is not None for i in set(ihaves))
            await trio.sleep(2.0)  # time for any IWANT the IHAVEs caused
        assert ihaves, "no IHAVE was sent: the test did not exercise gossip repair"
        # IHAVE names the messages by the id every seen cache uses ...
        assert set(ihaves) <= published
        # ... so no leaf asked again for what flood publishing had given it.
        # (Under load the library may write a heartbeat's IHAVE before the
        # publish queued ahead of it: a leaf that has not received a message
        # yet rightly asks for it, even if another leaf held it. Before the
        # repair every advertised id was asked for, held or not.)
        held = set().union(*(s.held_when_advertised for s in seen))
        assert held, "no leaf held a message it was told about: nothing was tested"
        assert [s.held_when_advertised & s.asked for s in seen] == [set()] * len(seen)

    trio.run(main)
