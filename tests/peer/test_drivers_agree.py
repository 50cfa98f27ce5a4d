"""One scenario through the core both ways: the simulator's driver and real
nodes on loopback feed the same messages to the same objects
(:class:`intentcast.peer.inbound.Inbound`, :class:`intentcast.peer.stem.StemNode`)
and get the same verdicts and the same stem ends.

A line of four nodes, A - B - C - D, every node a diffuser
(``fluff_probability=1.0``), so routing is the same whatever the random
draws: an end node's only peer is its successor, and that peer ends the
stem. A posts an intent and withdraws it; D sends a withdrawal of an
intent nobody holds (a flood's cheapest message). Expected, on both sides:
both of A's messages end their stem at B (diffuser) and reach every node;
D's ends at C, which publishes it (it ends the stem), and B keeps it but
does not forward it (``accept:withdraw-unknown-intent``), so A never sees
it. Each side's verdicts are recorded by wrapping the same method,
``Inbound.judge_valid``, of every node's pipeline.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import trio

from intentcast.node import Node, open_node
from intentcast.peer.inbound import Inbound
from intentcast.peer.topics import intents
from intentcast.protocol import Signed, Terms
from intentcast.protocol.stem import StemParams
from intentcast.store import Store
from simulations.builders import withdrawals
from simulations.messages import SimMessage, WorkCache
from simulations.network import Network
from simulations.params import EPOCH, SimParams
from simulations.stem import StemRouting
from simulations.topology import Latency, line
from tests.node.harness import CONFIG, LOW_WORK, link, run, wait_for

#: Every node a diffuser: a stem ends at the author's successor.
ALL_DIFFUSE = StemParams(fluff_probability=1.0)
#: Only the sync on connect (when nodes hold nothing yet): a later one would
#: hand D's withdrawal, which B keeps, to A, at a time each side's clock
#: decides.
NO_RESYNC = replace(CONFIG, resync_seconds=3_600.0, resync_after_connect_seconds=3_600.0)
TOPIC = intents("electronics")
NOTHING: dict[str, Any] = {
    "category": ("electronics", "phones"),
    "title": "Nokia 3310",
    "terms": Terms(
        max_price=100, currency="EUR", region="DE", customer_terms=(), payment_modes=("prepay",)
    ),
}
A, B, C, D = range(4)
#: (node, message id) -> the verdict reasons its pipeline gave.
Verdicts = dict[tuple[int, bytes], list[str]]
#: message id -> (node, why) of each end of its stem.
Ends = dict[bytes, list[tuple[int, str]]]


def record(inbound: Inbound, node: int, verdicts: Verdicts) -> None:
    """Log every verdict ``inbound`` gives (a duplicate is left out: which
    copy arrives second is timing, not policy)."""
    judge = inbound.judge_valid

    def judge_valid(topic: str, validation: Any, known: Any, *, stem_end: bool = False) -> Any:
        verdict = judge(topic, validation, known, stem_end=stem_end)
        if validation.signed is not None and verdict.reason != "ignore:duplicate":
            verdicts.setdefault((node, validation.signed.id), []).append(verdict.reason)
        return verdict

    inbound.judge_valid = judge_valid  # type: ignore[method-assign]


def unknown_withdrawal() -> Signed[Any]:
    return next(withdrawals(WorkCache(None), LOW_WORK))


# --- the real nodes ---------------------------------------------------------


async def real_run(
    tmp: Path, stray: Signed[Any]
) -> tuple[Verdicts, Ends, list[Signed[Any]], list[bool]]:
    verdicts: Verdicts = {}
    ends: Ends = {}
    started = time.time()

    def clock() -> float:  # the simulator's epoch, so its messages are fresh here
        return EPOCH + (time.time() - started)

    config = replace(NO_RESYNC, relay=True, stem=ALL_DIFFUSE)
    async with AsyncExitStack() as stack:
        nodes: list[Node] = []
        for i in range(4):
            store = Store.open(tmp / f"{i}.db")
            stack.callback(store.close)
            node = await stack.enter_async_context(
                open_node(store, customer_seed=os.urandom(32), config=config, clock=clock)
            )
            record(node.core.pipeline, i, verdicts)
            node.trace = _tracer(i, ends)
            nodes.append(node)
        for a, b in itertools.pairwise(nodes):
            await link(a, b)
        await trio.sleep(1.5)  # a heartbeat: the meshes form

        intent = await nodes[A].post_intent(**NOTHING)
        await wait_for(nodes[D], _has(nodes[D], intent.id))
        withdrawal = await nodes[A].withdraw(intent.signer)
        await wait_for(nodes[D], _has(nodes[D], withdrawal.id))
        await nodes[D].stem.publish_own(TOPIC, stray)
        await wait_for(nodes[B], _has(nodes[B], stray.id))
        await trio.sleep(1.0)  # time for B to forward it, were it to
        reached_a = [nodes[A].store.gossip.has_seen(m.id) for m in (intent, withdrawal, stray)]
        return verdicts, ends, [intent, withdrawal], reached_a


def _has(node: Node, message_id: bytes) -> Callable[[], bool]:
    return lambda: node.store.gossip.has_seen(message_id)


def _tracer(node: int, ends: Ends) -> Callable[[str, bytes, str], None]:
    def trace(what: str, message_id: bytes, detail: str) -> None:
        if what == "stem-end":
            ends.setdefault(message_id, []).append((node, detail))

    return trace


# --- the simulator -------------------------------------------------------------


def simulated_run(
    messages: list[tuple[int, Signed[Any]]],
) -> tuple[Verdicts, Ends, list[bool]]:
    """``messages``: (author, message), published one a second."""
    params = SimParams(node=NO_RESYNC)
    net = Network(
        n=4, edges=line(4), latency=Latency("fixed", 0.005), topics=[TOPIC], params=params, seed=1
    )
    routing = StemRouting(net, ALL_DIFFUSE)
    verdicts: Verdicts = {}
    for i, node in enumerate(net.nodes):
        record(node.inbound, i, verdicts)
    msgs = [(author, net.messages.add(signed.raw, 0)) for author, signed in messages]
    net.start()
    for k, (author, msg) in enumerate(msgs):
        net.loop.call_at(2.0 + k, _publisher(net, author), msg)
    net.run(2.0 + len(msgs) + 5.0)
    ends: Ends = {msg.id: routing.ends.get(msg.index, []) for _, msg in msgs}
    reached_a = [msg.arrived is not None and msg.arrived[A] >= 0 for _, msg in msgs]
    return verdicts, ends, reached_a


def _publisher(net: Network, author: int) -> Callable[[SimMessage], None]:
    return lambda msg: net.publish(author, msg)


def test_the_simulator_and_real_nodes_give_the_same_verdicts_and_stem_ends(
    tmp_path: Path,
) -> None:
    stray = unknown_withdrawal()
    outcome: dict[str, Any] = {}

    async def main() -> None:
        outcome["real"] = await real_run(tmp_path, stray)

    run(main)
    real_verdicts, real_ends, (intent, withdrawal), real_reached_a = outcome["real"]
    authored = [(A, intent), (A, withdrawal), (D, stray)]
    sim_verdicts, sim_ends, sim_reached_a = simulated_run(authored)

    # An author's own message coming back is taken in without the pipeline
    # on both sides (node/stem.py inbound, the simulator's own_back): no
    # author has a verdict on its own message.
    expected_verdicts = {
        (B, intent.id): ["accept:intent"],
        (C, intent.id): ["accept:intent"],
        (D, intent.id): ["accept:intent"],
        (B, withdrawal.id): ["accept:withdraw"],
        (C, withdrawal.id): ["accept:withdraw"],
        (D, withdrawal.id): ["accept:withdraw"],
        # C ends the stem: it publishes even a withdrawal of an unknown intent.
        (C, stray.id): ["accept:withdraw"],
        # B keeps it and does not forward it.
        (B, stray.id): ["accept:withdraw-unknown-intent"],
    }
    assert real_verdicts == expected_verdicts
    assert sim_verdicts == real_verdicts
    expected_ends = {
        intent.id: [(B, "diffuser")],
        withdrawal.id: [(B, "diffuser")],
        stray.id: [(C, "diffuser")],
    }
    assert real_ends == expected_ends
    assert sim_ends == real_ends
    assert real_reached_a == sim_reached_a == [True, True, False]
