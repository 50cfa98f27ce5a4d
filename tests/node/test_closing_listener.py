"""py-libp2p repair (intentcast/node/repairs.py, ``OpenSocketsListener``):
the host's addresses, read for every gossip control message, are those of
its open listening sockets; a socket closed under a closing host gives
none, instead of an ``OSError`` that failed the node's shutdown."""

from __future__ import annotations

import trio
from libp2p.transport.tcp import tcp as tcp_transport
from multiaddr import Multiaddr

from intentcast.node import p2p  # noqa: F401  (installs the repairs)
from intentcast.node.repairs import OpenSocketsListener


async def _no_handler(conn: object) -> None:
    return None


def test_a_listener_with_a_closed_socket_lists_only_its_open_ones() -> None:
    async def main() -> None:
        # The transport builds our listener, by the name it looks up.
        listener = tcp_transport.TCP().create_listener(_no_handler)
        assert isinstance(listener, OpenSocketsListener)
        await listener.listen(Multiaddr("/ip4/127.0.0.1/tcp/0"))
        await listener.listen(Multiaddr("/ip4/127.0.0.1/tcp/0"))
        try:
            assert len(listener.get_addrs()) == 2
            listener.listeners[0].socket.close()  # as a closing host leaves it
            [left] = listener.get_addrs()
            assert left == tcp_transport._multiaddr_from_socket(listener.listeners[1].socket)
        finally:
            await listener.close()
        assert listener.get_addrs() == ()

    trio.run(main)
