"""Small networks for the simulator's tests: real signed intents with
4 bits of work (checking costs the same at any difficulty) and no disk cache."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from intentcast.peer.config import NodeConfig
from intentcast.protocol import Kind, NetworkParams
from simulations.builders import BULK_CATEGORY, bulk_intent
from simulations.messages import SimMessage, WorkCache
from simulations.network import Network
from simulations.params import SimParams, intent_topic
from simulations.topology import Latency, random_graph

LOW_WORK = NetworkParams(
    pow_bits=dict.fromkeys(
        (Kind.INTENT, Kind.WITHDRAW, Kind.SEALED_OFFER, Kind.SEALED_DEAL, Kind.VENDOR_PROFILE), 4
    )
)
TOPIC = intent_topic(BULK_CATEGORY[0])
WORK = WorkCache(None)


def params(**changes: Any) -> SimParams:
    return replace(SimParams(node=NodeConfig(params=LOW_WORK)), **changes)


def random_network(n: int = 200, degree: int = 8, seed: int = 1, **changes: Any) -> Network:
    edges = random_graph(n, degree, random.Random(seed))
    return Network(
        n=n,
        edges=edges,
        latency=Latency.parse("lognormal:40,0.5"),
        topics=[TOPIC],
        params=params(**changes),
        seed=seed,
    )


def intents(net: Network, count: int) -> list[SimMessage]:
    return [net.messages.add(bulk_intent(i, WORK, net.params.network).raw, 0) for i in range(count)]


def publish_at(net: Network, t: float, node: int, msg: SimMessage) -> None:
    net.loop.call_at(t, lambda m: net.publish(node, m), msg)


def delivered(msg: SimMessage, nodes: Sequence[int]) -> int:
    assert msg.arrived is not None
    return sum(1 for v in nodes if msg.arrived[v] >= 0)
