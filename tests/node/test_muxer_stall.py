"""Two nodes that send hard to each other at the same time keep going.

py-libp2p's yamux reader answered pings and new streams by writing inline,
under the connection's write lock. When a stream writer held that lock,
blocked on a full socket because the peer was not reading, the reader
stopped reading too; two nodes in that state waited for each other until a
timeout cancelled a writer. Found by ``benchmarks crash``: a daemon
restarted under a gossip flood got no byte from its peer for 60 s (until
its sync session timed out). ``intentcast.node.p2p`` now hands the
reader's writes to a task of their own.

Here the sockets' buffers are made small, so either side fills them at
once, and both nodes send on many new streams (each one a SYN the other's
reader must acknowledge) at the same time: every byte must arrive.
"""

from __future__ import annotations

import socket
from typing import Any

import trio
from libp2p.peer.id import ID

from intentcast.node.p2p import P2P, open_p2p

from .harness import run

BULK = "/intentcast-test/bulk/1.0.0"
STREAMS = 8  # per direction, each opened while the others send
CHUNK = 16 * 1024
PER_STREAM = 32 * 1024
#: Socket buffer bytes: small, so a node that stops reading stops its peer.
BUFFER = 8 * 1024


def _socket_of(p2p: P2P, peer: str) -> socket.socket:
    """The TCP socket under ``p2p``'s connection to ``peer``."""
    conn: Any = p2p.host.get_network().connections[ID.from_base58(peer)][0].muxed_conn
    sock: socket.socket = conn.secured_conn.conn.conn.stream.stream.socket
    return sock


def test_two_nodes_sending_hard_to_each_other_do_not_lock_up() -> None:
    async def main() -> None:
        received = {"a": 0, "b": 0}

        def sink(name: str) -> Any:
            async def handler(stream: Any) -> None:
                while True:
                    try:
                        chunk = await stream.read(CHUNK)
                    except Exception:  # the stream's end (libp2p raises StreamEOF)
                        break
                    if not chunk:
                        break
                    received[name] += len(chunk)
                await stream.close()

            return handler

        async with (
            open_p2p(on_message=lambda *_: True) as a,
            open_p2p(on_message=lambda *_: True) as b,
        ):
            a.set_stream_handler(BULK, sink("a"))
            b.set_stream_handler(BULK, sink("b"))
            await b.connect(a.addrs()[0])
            with trio.fail_after(30):
                while b.peer_id not in a.connected_peers():
                    await trio.sleep(0.05)
            sockets = [_socket_of(a, b.peer_id), _socket_of(b, a.peer_id)]
            for sock in sockets:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER)

            async def send(src: P2P, dst: str) -> None:
                stream = await src.new_stream(dst, BULK)
                for _ in range(PER_STREAM // CHUNK):
                    await stream.write(b"x" * CHUNK)
                await stream.close()

            locked_up = False
            done = trio.Event()

            async def watchdog() -> None:
                """Generous: the transfer takes a few seconds when nothing
                locks up; a lock-up lasts forever. Then cut the connection,
                so that the nodes' own cleanup can finish and the test fail."""
                nonlocal locked_up
                with trio.move_on_after(60):
                    await done.wait()
                if not done.is_set():
                    locked_up = True
                    for sock in sockets:
                        sock.shutdown(socket.SHUT_RDWR)

            total = STREAMS * PER_STREAM
            async with trio.open_nursery() as outer:
                outer.start_soon(watchdog)
                try:
                    async with trio.open_nursery() as nursery:
                        for _ in range(STREAMS):
                            nursery.start_soon(send, a, b.peer_id)
                            nursery.start_soon(send, b, a.peer_id)
                            await trio.sleep(0.01)
                    while min(received.values()) < total and not locked_up:
                        await trio.sleep(0.05)
                except Exception:
                    if not locked_up:  # else: the cut connection failed the sends
                        raise
                done.set()
            assert not locked_up, f"locked up: received {received} of {total} each"
            assert received == {"a": total, "b": total}

    run(main)
