"""A banned peer removed from pubsub twice does not stop the pubsub service
(``intentcast.node.repairs.TeardownOncePubsub``).

py-libp2p 0.8.1's ``Pubsub._teardown_if_connected`` (the task
``add_to_blacklist`` starts) resets the peer's stream, then deletes the
peer: when the node's own disconnect removed it while the reset was under
way, the ``del`` raised ``KeyError``, which ended the whole pubsub service
and the node with it (seen when a feed carrier sent junk and was banned).
Here the interleaving is made to happen every time: the stream's reset
removes the peer, as the disconnect would."""

from __future__ import annotations

import trio
from libp2p.peer.id import ID

from intentcast.node.p2p import open_p2p

from .harness import run


def test_a_peer_gone_while_its_stream_resets_is_torn_down_without_an_error() -> None:
    async def main() -> None:
        async with (
            open_p2p(on_message=lambda *_: True) as node,
            open_p2p(on_message=lambda *_: True) as other,
        ):
            await node.connect(other.addrs()[0])
            pubsub = node.pubsub
            peer = ID.from_base58(other.peer_id)
            with trio.fail_after(5):
                while peer not in pubsub.peers:
                    await trio.sleep(0.02)

            class GoneWhileResetting:
                """The peer's stream, whose reset lets the disconnect run first."""

                async def reset(self) -> None:
                    await trio.sleep(0)
                    pubsub.peers.pop(peer, None)  # the connection's close got there first

            pubsub.peers[peer] = GoneWhileResetting()  # type: ignore[assignment]
            await pubsub._teardown_if_connected(peer)
            assert peer not in pubsub.peers
            # The service runs on: the node still talks to a new peer.
            async with open_p2p(on_message=lambda *_: True) as third:
                await third.connect(node.addrs()[0])
                with trio.fail_after(5):
                    while ID.from_base58(third.peer_id) not in pubsub.peers:
                        await trio.sleep(0.02)

    run(main)
