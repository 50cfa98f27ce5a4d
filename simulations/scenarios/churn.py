"""churn: nodes leave and come back; does every vendor that is up get
every intent, and how much of that is sync's doing?

A fraction ``--churn`` of the nodes alternates between up (exponential,
mean ``--uptime`` s) and down (exponential, mean ``--downtime`` s) from
the first publish until twice the mean downtime after the last, and is
back up when that window closes. A node
that leaves loses what it kept in memory (mesh, caches, bans) but keeps its
store; one that comes back dials its neighbours that are up, grafts, and
syncs with each (sync on connect); every node also syncs with one random
peer every 30 s (anti-entropy). A share ``--vendors`` of all nodes are
vendors (subscribed to the intents topic, as every node here).

At the end every vendor is up. Reported: the share of (intent, vendor)
pairs delivered, by the path of the first copy (gossip push, IHAVE/IWANT,
sync); for vendors that were down when an intent was published, how long
after their return it reached them. The same run without sync shows what
sync adds.
"""

from __future__ import annotations

import argparse
import random
from typing import Any

from ..base import VIA_NAMES
from ..builders import BULK_TOPIC
from ..messages import SimMessage, WorkCache
from ..network import Network
from ..stats import latency_summary, ratio
from . import (
    Result,
    Scenario,
    add_network_arguments,
    fraction,
    network_config,
    option,
    pair,
    positive_float,
    random_network,
    sim_params,
)
from .propagation import add_publish_arguments, build_intents, traffic

NAME = "churn"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser, nodes=1_000)
    add_publish_arguments(parser)
    parser.set_defaults(drain=40.0)
    g = parser.add_argument_group("churn")
    option(g, "--churn", fraction, 0.2, "FRACTION", "share of nodes that leave and come back")
    option(g, "--uptime", positive_float, 5.0, "S", "mean seconds a churning node stays up")
    option(g, "--downtime", positive_float, 5.0, "S", "mean seconds a churning node stays down")
    option(g, "--vendors", fraction, 0.2, "FRACTION", "share of nodes that are vendors")


class Churn:
    """Leave/rejoin schedule of the churning nodes, and their down intervals."""

    def __init__(
        self,
        net: Network,
        churners: list[int],
        *,
        start: float,
        end: float,
        uptime: float,
        downtime: float,
        rng: random.Random,
    ) -> None:
        self.down: dict[int, list[tuple[float, float]]] = {v: [] for v in churners}
        for v in churners:
            t = start + rng.expovariate(1 / uptime)
            while t < end:
                back = min(end, t + rng.expovariate(1 / downtime))
                self.down[v].append((t, back))
                net.loop.call_at(t, net.leave, v)
                net.loop.call_at(back, net.rejoin, v)
                t = back + rng.expovariate(1 / uptime)

    def down_at(self, v: int, t: float) -> tuple[float, float] | None:
        """The down interval of ``v`` that holds ``t``, if any."""
        for interval in self.down.get(v, ()):
            if interval[0] <= t < interval[1]:
                return interval
        return None

    def missed(self, v: int, m: SimMessage) -> float | None:
        """If ``v`` was down when ``m`` was published, or left before the
        first copy could reach it, the time it came back."""
        interval = self.down_at(v, m.published)
        return None if interval is None else interval[1]


def run_once(args: argparse.Namespace, work: WorkCache, *, sync: bool) -> dict[str, Any]:
    net = random_network(args, topics=[BULK_TOPIC], params=sim_params(args, sync_enabled=sync))
    pick = random.Random(f"churn/{args.seed}")
    churners = sorted(pick.sample(range(net.n), round(args.churn * net.n)))
    vendors = sorted(pick.sample(range(net.n), max(1, round(args.vendors * net.n))))
    intents = build_intents(net, args.intents, work)
    net.start()
    last = args.warmup + (args.intents - 1) / args.rate
    churn = Churn(
        net,
        churners,
        start=args.warmup,
        end=last + 2 * args.downtime,
        uptime=args.uptime,
        downtime=args.downtime,
        rng=pick,
    )
    for k, msg in enumerate(intents):
        net.loop.call_at(args.warmup + k / args.rate, _publish_from_someone_up(net), msg)
    net.run(last + 2 * args.downtime + args.drain)
    work.save()
    assert all(net.nodes[v].up for v in vendors), "every vendor is back up at the end"
    pairs = delivered = 0
    by_path: dict[str, int] = {}
    live: list[float] = []
    after_return: list[float] = []
    missed = missed_delivered = 0
    for m in intents:
        assert m.arrived is not None and m.via is not None
        for v in vendors:
            if v == m.origin:
                continue
            pairs += 1
            back = churn.missed(v, m)
            if back is not None:
                missed += 1
            if m.arrived[v] < 0:
                continue
            delivered += 1
            path = VIA_NAMES[m.via[v]]
            by_path[path] = by_path.get(path, 0) + 1
            if back is None:
                live.append(m.arrived[v] - m.published)
            else:
                missed_delivered += 1
                after_return.append(m.arrived[v] - back)
    return {
        "delivery_to_vendors": ratio(delivered, pairs),
        "pairs": pairs,
        "first_copy_via": {k: ratio(v, pairs) for k, v in sorted(by_path.items())},
        "vendors_up_at_publish": {"pairs": pairs - missed, "latency": latency_summary(live)},
        "vendors_down_at_publish": {
            "pairs": missed,
            "delivered": ratio(missed_delivered, missed),
            "after_return": latency_summary(after_return),
        },
        "sync_sessions": net.sync_sessions,
        "churning_nodes": len(churners),
        "leaves": sum(len(d) for d in churn.down.values()),
        "vendors": len(vendors),
        "events": net.loop.events,
        "network": network_config(args, net),
    }


def _publish_from_someone_up(net: Network) -> Any:
    def publish(msg: SimMessage) -> None:
        up = net.up()
        net.publish(up[net.rng.randrange(len(up))], msg)

    return publish


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    with_sync = run_once(args, work, sync=True)
    without = run_once(args, work, sync=False)
    config, events = pair(with_sync, without)
    config.pop("sync")
    return {
        "scenario": NAME,
        "config": {
            **config,
            **traffic(args),
            "churn": args.churn,
            "uptime_s": args.uptime,
            "downtime_s": args.downtime,
            "vendors": args.vendors,
            "drain_s": args.drain,
        },
        "results": {"with_sync": with_sync, "without_sync": without, "events": events},
    }


def plot(result: Result, path: str) -> None:
    from ..plots import bars

    r = result["results"]
    paths = ["gossip", "iwant", "sync"]
    series = {}
    for name in ("with_sync", "without_sync"):
        via = r[name]["first_copy_via"]
        series[name.replace("_", " ")] = [100 * (via.get(p) or 0.0) for p in paths] + [
            100 * (1 - (r[name]["delivery_to_vendors"] or 0.0))
        ]
    c = result["config"]
    bars(
        [*paths, "never"],
        series,
        ylabel="% of (intent, vendor) pairs",
        path=path,
        title=f"Churn: {c['churn']:.0%} of {c['nodes']:,} nodes leave and return; "
        "how each vendor got each intent",
    )


SCENARIO = Scenario(
    NAME,
    "delivery to every vendor that is up while nodes leave and rejoin",
    __doc__ or "",
    add_arguments,
    run,
    plot,
)
