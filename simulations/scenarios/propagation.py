"""propagation: how fast, how completely and at what cost an intent reaches
every node.

Every node is a relay (subscribed to the intents topic, as in the network
benchmark). After a warm-up in which the meshes form, ``--intents`` real
signed intents are published by random nodes at ``--rate`` per second.
Reported: latency from publish to each node (histogram, p50/p90/p99) and
to the last node of each intent, the delivery ratio, message copies sent
per delivery (amplification), duplicates, hops, and bytes per node.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..base import VIA_NAMES
from ..builders import BULK_TOPIC, bulk_intent
from ..messages import SimMessage, WorkCache
from ..network import Network
from ..stats import latency_summary, ms, ratio, spread
from . import (
    Result,
    Scenario,
    add_network_arguments,
    network_config,
    non_negative_float,
    option,
    positive_float,
    positive_int,
    random_network,
)

NAME = "propagation"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser, nodes=1_000)
    add_publish_arguments(parser)


def traffic(args: argparse.Namespace) -> dict[str, Any]:
    """The options :func:`add_publish_arguments` adds that a report names."""
    return {"intents": args.intents, "rate": args.rate}


def add_publish_arguments(parser: argparse.ArgumentParser, *, intents: int = 100) -> None:
    g = parser.add_argument_group("traffic")
    option(g, "--intents", positive_int, intents, "I", "intents published")
    option(g, "--rate", positive_float, 10.0, "PER_S", "intents per second, network-wide")
    option(
        g,
        "--warmup",
        non_negative_float,
        5.0,
        "S",
        "seconds for the meshes to form before the first publish",
    )
    option(g, "--drain", non_negative_float, 20.0, "S", "seconds simulated after the last publish")


def publish_schedule(
    net: Network,
    intents: list[SimMessage],
    args: argparse.Namespace,
    publishers: list[int] | None = None,
) -> float:
    """Publish ``intents`` from random nodes (or ``publishers`` in turn) at
    ``args.rate`` from ``args.warmup`` on; returns the time of the last."""
    t = float(args.warmup)
    for k, msg in enumerate(intents):
        t = args.warmup + k / args.rate
        who = publishers[k % len(publishers)] if publishers else net.rng.randrange(net.n)
        net.loop.call_at(t, _publisher(net, who), msg)
    return t


def _publisher(net: Network, who: int) -> Any:
    def publish(msg: SimMessage) -> None:
        net.publish(who, msg)

    return publish


def build_intents(net: Network, count: int, work: WorkCache) -> list[SimMessage]:
    topic = net.topic(BULK_TOPIC)
    params = net.params.network
    msgs = [net.messages.add(bulk_intent(i, work, params).raw, topic, tag=i) for i in range(count)]
    work.save()
    return msgs


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    net = random_network(args, topics=[BULK_TOPIC])
    intents = build_intents(net, args.intents, work)
    net.start()
    last = publish_schedule(net, intents, args)
    net.run(last + args.drain)
    return {
        "scenario": NAME,
        "config": {
            **network_config(args, net),
            **traffic(args),
            "warmup_s": args.warmup,
            "drain_s": args.drain,
        },
        "results": delivery_figures(net, intents, receivers=range(net.n)),
    }


def delivery_figures(net: Network, msgs: list[SimMessage], receivers: Any) -> dict[str, Any]:
    """Latency, delivery, amplification and bytes of ``msgs`` over ``receivers``."""
    receivers = list(receivers)
    latencies: list[float] = []
    to_all: list[float] = []
    complete = 0
    hops: list[int] = []
    via_counts: dict[str, int] = {}
    expected = 0
    for msg in msgs:
        if msg.published < 0 or msg.arrived is None or msg.via is None:
            expected += len(receivers) - 1
            continue
        arrived, via = msg.arrived, msg.via
        others = [v for v in receivers if v != msg.origin]
        expected += len(others)
        got = [arrived[v] - msg.published for v in others if arrived[v] >= 0]
        latencies += got
        if len(got) == len(others):
            complete += 1
            to_all.append(max(got, default=0.0))
        for v in others:
            if via[v]:
                name = VIA_NAMES[via[v]]
                via_counts[name] = via_counts.get(name, 0) + 1
        hops += path_lengths(msg, receivers)
    delivered = len(latencies)
    width, counts = histogram(latencies)
    traffic = [net.sent_bytes[v] + net.received_bytes[v] for v in range(net.n)]
    return {
        "delivery": ratio(delivered, expected),
        "pairs_delivered": delivered,
        "pairs_expected": expected,
        "latency": latency_summary(latencies),
        "to_all": {**latency_summary(to_all), "messages_complete": complete},
        "hops": spread([float(h) for h in hops]),
        "copies_per_delivery": ratio(net.copies, delivered, 2),
        "duplicates_per_delivery": ratio(net.duplicates, delivered, 2),
        "lost_copies": net.lost,
        "first_copy_via": dict(sorted(via_counts.items())),
        "bytes_per_node": spread([float(b) for b in traffic], 0),
        "bytes_per_node_per_message": round(sum(traffic) / net.n / max(1, len(msgs)), 1),
        "mesh_size": spread([float(s) for s in net.mesh_sizes()], 2),
        "validations": net.messages.validations,
        "validate_calls": net.messages.validate_calls,
        "events": net.loop.events,
        "histogram": {"bin_ms": ms(width), "counts": counts},
    }


def path_lengths(msg: SimMessage, receivers: list[int]) -> list[int]:
    """Hops each receiver's first copy travelled (via ``first_from``)."""
    arrived, first = msg.arrived, msg.first_from
    assert arrived is not None and first is not None
    order = sorted((arrived[v], v) for v in range(len(arrived)) if arrived[v] >= 0)
    depth: dict[int, int] = {}
    for _, v in order:
        parent = first[v]
        depth[v] = 0 if parent == v or parent < 0 else depth.get(parent, 0) + 1
    return [depth[v] for v in receivers if v in depth and v != msg.origin]


def histogram(values: list[float], bins: int = 40) -> tuple[float, list[int]]:
    """Equal-width bins from 0 to the largest value; (width in s, counts)."""
    if not values:
        return 0.0, []
    top = max(values)
    width = top / bins if top > 0 else 1.0
    counts = [0] * bins
    for x in values:
        counts[min(bins - 1, int(x / width))] += 1
    return width, counts


def plot(result: Result, path: str) -> None:
    from ..plots import latency_histogram

    r = result["results"]
    c = result["config"]
    latency_histogram(
        r["histogram"],
        r["latency"],
        title=f"Intent propagation, {c['nodes']:,} nodes, {c['intents']} intents",
        path=path,
    )


SCENARIO = Scenario(
    NAME,
    "latency, delivery, amplification and bytes of intents",
    __doc__ or "",
    add_arguments,
    run,
    plot,
)
