"""Peers cannot make a node write as many log lines as they like (issue 15):
a banned peer reconnecting again and again, and Sybils that connect, send
junk and leave, leave a few lines per peer, not a line (or a 7-line
py-libp2p ERROR block) per attempt; an error of the node's own is logged
every time."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import trio
from libp2p.peer.id import ID

from intentcast.node.p2p import NetworkError, open_p2p

from .harness import customer_and_kiez, market, run, wait_for
from .test_hostile import INTENTS, PIXEL, attacker_on, hostile_publish

RECONNECTS = 40
SYBILS = 12


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every line the node's logging would write, tracebacks included."""
    handler = logging.Formatter("%(levelname)s %(name)s %(message)s")
    return [line for r in caplog.records for line in handler.format(r).splitlines()]


def test_a_flood_from_hostile_peers_leaves_a_bounded_number_of_log_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seed = os.urandom(32)

    async def main() -> None:
        async with market(tmp_path) as m:
            customer, kiez = await customer_and_kiez(m)
            addr = kiez.addrs()[0]
            caplog.clear()
            # A peer floods junk until it is banned, then keeps coming back.
            async with open_p2p(on_message=lambda *_: True, peer_key_seed=seed) as evil:
                await evil.connect(addr)
                await evil.subscribe(INTENTS)
                await trio.sleep(0.5)
                for _ in range(30):
                    await hostile_publish(evil, INTENTS, os.urandom(200))
                await wait_for(kiez, lambda: evil.peer_id in kiez.p2p.limits.banned(0))
                for _ in range(RECONNECTS):
                    try:
                        await evil.connect(addr)
                        await hostile_publish(evil, INTENTS, os.urandom(200))
                    except NetworkError:
                        pass
                    await trio.sleep(0.05)
                    await evil.host.disconnect(ID.from_base58(kiez.peer_id))
                banned = evil.peer_id
            # Sybils: connect, send junk, leave (the node's sync to each fails).
            for _ in range(SYBILS):
                sybil, stack = await attacker_on(kiez)
                await hostile_publish(sybil, INTENTS, os.urandom(200))
                await trio.sleep(0.3)
                await stack.__aexit__(None, None, None)
            await trio.sleep(1)
            lines = _lines(caplog)
            about_banned = [line for line in lines if banned in line]
            # Before: a line per reconnect (40) and a 7-line ERROR block per
            # Sybil (84); now one line per peer and reason, summaries later.
            assert len(about_banned) <= 3, about_banned
            assert len(lines) <= 3 + 2 * SYBILS, "\n".join(lines)
            assert not any(line.startswith("ERROR") for line in lines), "\n".join(lines)
            # The node still serves its customer.
            intent = await customer.post_intent(**PIXEL)
            await wait_for(customer, lambda: bool(customer.offers_for(intent.signer).ranked))

    with caplog.at_level(logging.INFO):
        run(main)


def test_an_error_of_the_node_itself_is_logged_every_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The inbound handler failing is our bug, not the peer's doing: it is
    never rate-limited, whoever sent the message."""
    topic = "intentcast-test/errors"
    failures = 0

    def broken(topic: str, data: bytes, peer: str) -> bool:
        nonlocal failures
        failures += 1
        raise RuntimeError("a bug in the handler")

    async def main() -> None:
        async with (
            open_p2p(on_message=broken) as node,
            open_p2p(on_message=lambda *_: True) as peer,
        ):
            await node.subscribe(topic)
            await peer.connect(node.addrs()[0])
            await peer.subscribe(topic)
            while not peer.pubsub.peer_topics.get(topic):
                await trio.sleep(0.02)
            for n in range(20):
                await peer.publish(topic, b"message %d" % n)
            with trio.fail_after(10):
                while failures < 20:
                    await trio.sleep(0.05)

    with caplog.at_level(logging.INFO):
        run(main)
    errors = [r for r in caplog.records if "inbound handler failed" in r.getMessage()]
    assert len(errors) == 20
    assert all(r.levelno == logging.ERROR and r.exc_info is not None for r in errors)
