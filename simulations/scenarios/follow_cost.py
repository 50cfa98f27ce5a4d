"""follow-cost: the bandwidth of following every topic (issue 20).

The market of ``market`` (vendors answering from their catalogs, offers
sealed to the customers) on a network of relays, vendors and customers,
run twice on the same graph and schedule with the two subscription
policies:

- ``own`` (the node before issue 20): a customer follows the offer topic
  of each category it posts in (from the start of the run: it subscribed
  when it first posted), a vendor the intent topic of its category, a
  relay everything;
- ``all`` (the node now, :func:`intentcast.peer.sync.interests`): every
  node follows every intent and offer topic of every category from
  start-up, whatever its owner posts or sells.

Reports bytes sent plus received per node (gossip, control, IHAVE,
sync), per role, scaled to an hour at the run's intent rate.
"""

from __future__ import annotations

import argparse
import hashlib
import random
from typing import Any

from intentcast.protocol import derive_vendor_keys
from intentcast.protocol.vocab import CATEGORIES as ALL_CATEGORIES

from ..messages import WorkCache
from ..params import EPOCH, intent_topic, offer_topic
from . import (
    Result,
    Scenario,
    add_network_arguments,
    fraction,
    random_network,
)
from .market import (
    CATEGORIES,
    Customer,
    Market,
    Vendor,
    _publish_at,
    base_catalogs,
    market_intent,
    run_to_end,
    vendor_catalog,
    vendor_rating,
)
from .propagation import add_publish_arguments

NAME = "follow-cost"
POLICIES = ("own", "all")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser, nodes=1_000)
    add_publish_arguments(parser)
    parser.set_defaults(rate=1.0, drain=15.0, intents=200)
    g = parser.add_argument_group("follow-cost")
    g.add_argument("--vendors", type=int, default=40, metavar="V", help="vendor nodes (40)")
    g.add_argument(
        "--relays", type=fraction, default=0.1, metavar="FRACTION", help="relay share (0.1)"
    )
    g.add_argument("--vendor-ms", type=float, default=10.0, help=argparse.SUPPRESS)
    g.add_argument("--rated", type=float, default=0.7, help=argparse.SUPPRESS)


def _run(args: argparse.Namespace, work: WorkCache, policy: str) -> dict[str, Any]:
    topics = [
        *(intent_topic(c) for c in ALL_CATEGORIES),
        *(offer_topic(c) for c in ALL_CATEGORIES),
    ]
    everything = list(range(len(topics)))
    pick = random.Random(f"follow-cost/{args.seed}")
    n = args.nodes
    order = list(range(n))
    pick.shuffle(order)
    vendor_nodes = sorted(order[: args.vendors])
    relay_nodes = set(order[args.vendors : args.vendors + round(args.relays * n)])
    customer_nodes = sorted(set(order) - set(vendor_nodes) - relay_nodes)
    categories = {v: CATEGORIES[k % 2] for k, v in enumerate(vendor_nodes)}
    schedule = []
    posted: dict[int, set[str]] = {}
    for i in range(args.intents):
        at = args.warmup + i / args.rate
        intent, keys = market_intent(i, EPOCH + int(at))
        who = customer_nodes[pick.randrange(len(customer_nodes))]
        posted.setdefault(who, set()).add(intent.category[0])
        schedule.append((at, intent, keys, who))
    subs: list[list[int]] = []
    for v in range(n):
        if policy == "all" or v in relay_nodes:
            subs.append(everything)
        elif v in categories:
            subs.append([topics.index(intent_topic(categories[v]))])
        else:
            subs.append(sorted(topics.index(offer_topic(c)) for c in posted.get(v, ())))
    net = random_network(args, topics=topics, subscriptions=subs)
    market = Market(net, args, work)
    bases = base_catalogs()
    for k, v in enumerate(vendor_nodes):
        seed = hashlib.blake2b(b"market vendor %d" % k, digest_size=32).digest()
        market.vendors[v] = Vendor(
            v,
            derive_vendor_keys(seed),
            vendor_catalog(bases[categories[v]], k, pick),
            vendor_rating(pick, args.rated),
            categories[v],
        )
    offers_in = 0
    for at, intent, keys, who in schedule:
        signed = work.sign(intent, keys, net.params.network)
        msg = net.messages.add(signed.raw, net.topic(intent_topic(intent.category[0])))
        customer = Customer(who, keys, signed, msg)
        market.customers[signed.id] = customer
        market.by_customer_node.setdefault(who, []).append(customer)
        net.loop.call_at(at, _publish_at(net, who), msg)
    end = run_to_end(net, args, work)
    for cs in market.by_customer_node.values():
        offers_in += sum(len(c.offers) for c in cs)
    hour = 3600.0 / end
    total = [net.sent_bytes[v] + net.received_bytes[v] for v in range(n)]

    def per_hour(nodes: list[int]) -> float:
        return float(round(sum(total[v] for v in nodes) / max(1, len(nodes)) * hour))

    return {
        "bytes_per_node_per_hour": per_hour(list(range(n))),
        "customers": per_hour(customer_nodes),
        "vendors": per_hour(vendor_nodes),
        "relays": per_hour(sorted(relay_nodes)),
        "offers_made": sum(market.made.values()),
        "offers_received": offers_in,
        "seconds": end,
    }


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    results = {p: _run(args, work, p) for p in POLICIES}
    own, every = (
        results["own"]["bytes_per_node_per_hour"],
        results["all"]["bytes_per_node_per_hour"],
    )
    return {
        "scenario": NAME,
        "config": {
            "nodes": args.nodes,
            "degree": args.degree,
            "intents": args.intents,
            "rate": args.rate,
            "vendors": args.vendors,
            "relays": args.relays,
            "seed": args.seed,
        },
        "results": {**results, "ratio_all_to_own": round(every / max(1, own), 2)},
    }


def plot(result: Result, path: str) -> None:
    from ..plots import bars

    r = result["results"]
    roles = ["bytes_per_node_per_hour", "customers", "vendors", "relays"]
    bars(
        ["all nodes", "customers", "vendors", "relays"],
        {p: [r[p][k] / 1e6 for k in roles] for p in POLICIES},
        ylabel="MB per node per hour",
        path=path,
        title="following own topics vs every topic",
    )


SCENARIO = Scenario(
    NAME, "bytes per node per hour: following own topics vs every topic", __doc__ or "",
    add_arguments, run, plot,
)  # fmt: skip

__all__ = ["SCENARIO"]
