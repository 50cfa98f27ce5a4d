"""The sync protocol against hostile streams: oversized frames, garbage,
a stream that stalls. The node refuses, penalises, and keeps serving."""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

import trio

from intentcast.node.p2p import open_p2p
from intentcast.node.sync import IDS_PER_FRAME, PROTOCOL, read_frame, write_frame
from intentcast.peer import topics
from intentcast.peer.config import SyncLimits

from .harness import PHONE_TERMS, market, run, wait_for


def test_hostile_sync_streams_are_refused_and_the_node_keeps_serving(tmp_path: Path) -> None:
    async def main() -> None:
        async with market(tmp_path) as m:
            m.config = replace(m.config, sync=SyncLimits(frame_timeout=1.0, session_timeout=5.0))
            customer = await m.customer()
            intent = await customer.post_intent(
                category=("electronics", "phones"), title="Pixel 8", terms=PHONE_TERMS
            )
            async with open_p2p(on_message=lambda *_: True) as evil:
                peer = await evil.connect(customer.addrs()[0])
                attacks = [
                    (2**31).to_bytes(4, "big"),  # a 2 GiB frame
                    (5).to_bytes(4, "big") + b"\xc1\xc1\xc1\xc1\xc1",  # not msgpack
                    b"\x00\x00",  # half a header, then silence
                ]
                for payload in attacks:
                    stream = await evil.new_stream(peer, PROTOCOL)
                    await stream.write(payload)
                    with trio.move_on_after(5), suppress(Exception):
                        while await stream.read(1024):
                            pass  # the node resets the stream when it gives up
                    with suppress(Exception):
                        await stream.reset()
                limits = customer.p2p.limits
                await wait_for(customer, lambda: limits.strikes(evil.peer_id) >= len(attacks))
            # An honest peer still syncs: a vendor gets the intent.
            kiez = await m.vendor("kiez-phones.toml")
            await kiez.connect(customer.addrs()[0])
            await wait_for(kiez, lambda: kiez.store.gossip.intent(intent.id) is not None)

    run(main)


def test_a_peer_that_drops_the_sync_stream_does_not_take_the_node_down(tmp_path: Path) -> None:
    """Found by the network benchmark: a StreamEOF from a peer leaving
    mid-sync escaped into the node's nursery and stopped the node."""

    async def main() -> None:
        async with market(tmp_path) as m:
            customer = await m.customer()
            async with open_p2p(on_message=lambda *_: True) as leaver:

                async def hang_up(stream: object) -> None:
                    await stream.read(4)  # type: ignore[attr-defined]
                    await stream.reset()  # type: ignore[attr-defined]

                leaver.set_stream_handler(PROTOCOL, hang_up)
                for _ in range(3):
                    assert await customer.sync_with(await customer.connect(leaver.addrs()[0])) == (
                        0,
                        0,
                    )
            # Still up and working: a vendor syncs and answers.
            intent = await customer.post_intent(
                category=("electronics", "phones"), title="Pixel 8", terms=PHONE_TERMS
            )
            kiez = await m.vendor("kiez-phones.toml")
            await kiez.connect(customer.addrs()[0])
            await wait_for(kiez, lambda: kiez.store.gossip.intent(intent.id) is not None)

    run(main)


def test_huge_id_lists_and_endless_sessions_are_cut_off(tmp_path: Path) -> None:
    """A peer that offers more ids than a session may hold (22,528, over the
    20,000 bound), and one that keeps a session open with valid, empty want
    frames and never ends it: each is penalised and cut off within the
    bounds, and the node keeps serving."""

    async def main() -> None:
        async with market(tmp_path) as m:
            m.config = replace(m.config, sync=SyncLimits(frame_timeout=2.0, session_timeout=4.0))
            customer = await m.customer()
            intent = await customer.post_intent(
                category=("electronics", "phones"), title="Pixel 8", terms=PHONE_TERMS
            )
            async with open_p2p(on_message=lambda *_: True) as evil:
                served = trio.Event()

                async def huge_inventory(stream: Any) -> None:
                    with suppress(Exception):
                        await read_frame(stream, timeout=5)  # the node's hello
                        for _ in range(11):
                            ids = [os.urandom(32) for _ in range(IDS_PER_FRAME)]
                            await write_frame(stream, {"t": "inv", "ids": ids})
                        await write_frame(stream, {"t": "inv-end"})
                        await stream.read(1024)  # the node resets the stream
                    served.set()

                evil.set_stream_handler(PROTOCOL, huge_inventory)
                # Connecting makes the node sync from the peer at once.
                peer = await evil.connect(customer.addrs()[0])
                with trio.fail_after(20):
                    await served.wait()
                limits = customer.p2p.limits
                await wait_for(customer, lambda: limits.strikes(evil.peer_id) >= 1)

                # Now as the requester: hello, then an empty want frame every
                # second, for ever.
                stream = await evil.new_stream(peer, PROTOCOL)
                await write_frame(stream, {"t": "hello", "topics": [topics.intents("electronics")]})
                started = trio.current_time()
                cut = False
                with trio.move_on_after(30):
                    try:
                        while not cut:
                            await write_frame(stream, {"t": "want", "ids": []})
                            with trio.move_on_after(1.0):
                                cut = not await stream.read(65_536)  # closed by the node
                    except Exception:  # reset by the node
                        cut = True
                assert cut and trio.current_time() - started < 15
                await wait_for(customer, lambda: limits.strikes(evil.peer_id) >= 2)
            # An honest peer still syncs: a vendor gets the intent.
            kiez = await m.vendor("kiez-phones.toml")
            await kiez.connect(customer.addrs()[0])
            await wait_for(kiez, lambda: kiez.store.gossip.intent(intent.id) is not None)

    run(main)
