"""network-bench: the simulator on the network benchmark's own setup (issue 14).

``python -m benchmarks network --nodes N`` runs N real nodes over py-libp2p.
This scenario runs the simulator on exactly its setup, so the two can be
put side by side (docs/simulations.md, "The network benchmark's topology"):

- the same graph: a ring plus 2 random links dialled per node, topology
  seed 1 (``topology.ring_with_chords``, the benchmark's ``topology``);
- the same dial directions: for a link (a, b) with a < b, node b dialled
  node a; stem successors are drawn from the peers a node dialled itself
  when it has one per successor slot, else from all its peers, as
  ``node/stem.py`` does;
- the same schedule: ``--messages`` intents per phase at ``--rate`` a
  second, round robin over the first ``--publishers`` nodes that are not
  vendors (the last ``--vendors`` nodes are), every node relaying the
  topic; the default stem parameters
  (``intentcast.protocol.stem.DEFAULT_STEM_PARAMS``);
- one link latency for every link, fitted so that the plain gossip phase
  has the measured raw p50 (``--fit-p50-ms``, by bisection), or given
  (``--link-ms``); ``--link-sigma`` draws each link's latency from a
  lognormal with the fitted median instead;
- a stem hop costs what a real one does (``--stem-hop-ms``, by default
  measured from real runs: the stem phase's p50 over the fluff-only
  phase's, per stem hop), not a gossip hop's fitted link latency: a stem
  frame is one write on a stream kept open, read by a task that hands it
  to the stem, while a gossip copy goes through py-libp2p's pubsub
  (outbox, an RPC per peer with a signed peer record, a task per message
  on the receiver); the node phases' publishers spend ``--post-ms`` in
  ``post_intent`` before the publish, as measured.

Three phases, each on fresh nodes as in the benchmark: *raw* (plain gossip;
no validation cost, as the benchmark's raw handler only notes the arrival),
*fluff-only* (the node with stem routing off: its own messages gossiped at
once, each new message validated) and *stem* (the node's stem then fluff,
``simulations/stem.py`` driving ``intentcast.protocol.stem`` unmodified).
The stem phase runs ``--draws`` times with other draws of the stem's roles,
successors, epoch phases and embargo timers (the graph and the gossip are
the same each time): a benchmark run has two node phases, so two draws,
and the figures are also given as the 5-95 % band over runs of
``--rounds`` consecutive draws, what one real run of that many node
phases should show if the model is right.

Reported per phase: delivery over distinct (message, receiver other than
the author) pairs, p50/p99 latency over those pairs (nearest rank, as the
benchmark), the ratio to raw; for the stem phase also why each stem ended
(a diffuser fluffed it, it looped back to a node that had it, an embargo
timer fired, no successor could take it), the stem hops per intent and
the distinct stem paths per draw, pooled over the draws and per draw.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from dataclasses import replace
from typing import Any, Final

from intentcast.peer.stem_commands import ENDS
from intentcast.protocol.stem import DEFAULT_STEM_PARAMS

from ..builders import BULK_TOPIC
from ..messages import SimMessage, WorkCache
from ..network import Network
from ..params import Costs
from ..stats import ms, percentile, ratio
from ..stem import KEEPER_PERIOD, StemRouting
from ..topology import Edge, Latency, adjacency, hops_from, ring_with_chords
from . import (
    Result,
    Scenario,
    non_negative_float,
    non_negative_int,
    option,
    positive_float,
    positive_int,
    sim_params,
    work_bits,
)
from .model_check import publisher
from .propagation import build_intents

NAME = "network-bench"
#: The benchmark's topology seed and random links dialled per node.
TOPOLOGY_SEED: Final = 1
CHORDS: Final = 2
#: Real runs at N = 10, the median of five (docs/benchmarks.md, network,
#: "Checkpoints apart": ``python -m benchmarks network --nodes 10 --messages
#: 200 --json``, 2026-12-05): p50s over every (message, receiver) pair, the
#: stem phase's mean hops, and the p50 time from the ``post_intent`` call
#: to the publish (the fluff phase's ``to_gossip``; the call itself returns
#: later, once the intent's record is flushed).
REAL_N10: Final = {
    "raw_p50_ms": 4.7,
    "fluff_p50_ms": 6.5,
    "stem_p50_ms": 10.5,
    "hops_mean": 4.0,
    "post_p50_ms": 0.8,
}
#: What the link latency is fitted to by default: the raw p50 at N = 10.
RAW_P50_MS: Final = REAL_N10["raw_p50_ms"]
FIT_NODES: Final = 10
#: What a stem hop costs in all (ms), by default: the real stem phase's p50
#: over the fluff-only phase's (same nodes, same post_intent, the same
#: gossip once fluffed), per stem hop.
STEM_HOP_MS: Final = round(
    (REAL_N10["stem_p50_ms"] - REAL_N10["fluff_p50_ms"]) / REAL_N10["hops_mean"], 3
)
#: ``--stem-hop-ms link``: a stem frame takes the link latency (the model
#: before; the link latency is fitted to gossip).
LINK: Final = "link"
PHASES: Final = ("raw", "fluff_only", "stem")
#: Why a stem ended (the node's :class:`intentcast.peer.stem_commands.End`),
#: in report order.
REASONS: Final = ENDS
#: Node phases in one benchmark run (its default ``--rounds``), one stem
#: draw each.
BENCH_ROUNDS: Final = 2
#: Bisection stops when the bracket on the link latency is this narrow (s).
FIT_TOLERANCE: Final = 1e-6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("benchmark setup (python -m benchmarks network)")
    option(g, "--nodes", positive_int, 10, "N", "nodes, as the benchmark's --nodes")
    option(g, "--messages", positive_int, 40, "M", "intents per phase")
    option(g, "--rate", positive_float, 4.0, "PER_S", "per second")
    option(
        g, "--publishers", positive_int, 5, "P", "publishing nodes, the first that are not vendors"
    )
    option(
        g, "--vendors", non_negative_int, 5, "V", "the last V nodes are vendors and publish nothing"
    )
    g.add_argument(
        "--warmup",
        type=non_negative_float,
        default=4.0,
        metavar="S",
        help="seconds from the connections to the first publish (default 4: the "
        "benchmark waits for the meshes, 2 s more, then publishes 1 s later)",
    )
    g.add_argument(
        "--drain",
        type=non_negative_float,
        default=15.0,
        metavar="S",
        help="seconds simulated after the last publish (default 15, the benchmark's)",
    )
    g.add_argument(
        "--work-bits",
        type=work_bits,
        default=None,
        metavar="B",
        help="proof-of-work bits instead of the protocol's defaults (quicker first runs)",
    )
    link = parser.add_argument_group("links and stem draws")
    fit = link.add_mutually_exclusive_group()
    fit.add_argument(
        "--fit-p50-ms",
        type=positive_float,
        default=None,
        metavar="MS",
        help="fit the link latency by bisection so that the raw phase of this "
        f"run has this p50 (default: fit it to {RAW_P50_MS} ms, real runs' "
        f"raw p50 at N = {FIT_NODES}, on the {FIT_NODES}-node setup, and use "
        "those links at any N)",
    )
    fit.add_argument(
        "--link-ms",
        type=non_negative_float,
        default=None,
        metavar="MS",
        help="one-way link latency (the median with --link-sigma) instead of a fit",
    )
    link.add_argument(
        "--link-sigma",
        type=non_negative_float,
        default=0.0,
        metavar="S",
        help="draw each link's latency from a lognormal of this sigma around "
        "the latency (default 0: every link the same)",
    )
    link.add_argument(
        "--stem-hop-ms",
        type=_stem_hop,
        default=STEM_HOP_MS,
        metavar="MS|link",
        help="what one stem hop costs in all: the sender's write, the frame, the "
        "receiver's read (the model's CPU per copy sent and received is part of it; "
        f"the rest is the frame's latency). Default {STEM_HOP_MS}: real runs at "
        f"N = {FIT_NODES}, (stem p50 - fluff-only p50) / mean stem hops. 'link': "
        "a frame takes the link latency fitted to gossip (the model before)",
    )
    link.add_argument(
        "--post-ms",
        type=non_negative_float,
        default=REAL_N10["post_p50_ms"],
        metavar="MS",
        help="node phases: time from the post_intent call to the publish, on the "
        f"latency (default {REAL_N10['post_p50_ms']}, the real p50 at N = {FIT_NODES}; "
        "0 for none)",
    )
    link.add_argument(
        "--draws",
        type=positive_int,
        default=10,
        metavar="K",
        help="stem phases with other draws of roles, successors and timers "
        "(default 10; a benchmark run has 2)",
    )
    option(
        link,
        "--rounds",
        positive_int,
        BENCH_ROUNDS,
        "R",
        "node phases per benchmark run, as its --rounds: the stem figures "
        "are also given as the band a run of R phases falls in",
    )
    link.add_argument(
        "--successors-from",
        choices=("dialled", "all"),
        default="dialled",
        help="dialled (default, node/stem.py): stem successors from the peers a "
        "node dialled when it has one per successor slot, else from all its "
        "peers; all: always from all its peers (what a node does that drew "
        "its successors before its own dials were up)",
    )


def _stem_hop(text: str) -> float | str:
    return LINK if text == LINK else non_negative_float(text)


def stem_frame_latency(args: argparse.Namespace) -> float | None:
    """Seconds a stem frame takes one way (None: the link's): the stem hop's
    cost less the CPU the model already charges for it (a copy sent, a copy
    received)."""
    if args.stem_hop_ms == LINK:
        return None
    costs = Costs()
    frame: float = args.stem_hop_ms / 1000 - costs.send - costs.receive
    if frame < 0:
        raise ValueError(
            f"--stem-hop-ms {args.stem_hop_ms}: below the model's CPU per hop "
            f"({(costs.send + costs.receive) * 1000:.1f} ms)"
        )
    return frame


class Setup:
    """The benchmark's graph, dial directions, publishers and schedule."""

    def __init__(self, args: argparse.Namespace) -> None:
        n = args.nodes
        if n < 2:
            raise ValueError("--nodes: the benchmark's ring needs at least 2 nodes")
        if args.vendors >= n:
            raise ValueError(f"--vendors ({args.vendors}) must be fewer than --nodes ({n})")
        self.n = n
        self.edges: list[Edge] = ring_with_chords(n, CHORDS, TOPOLOGY_SEED)
        #: benchmarks/network.py Run.start: for a link (a, b), a < b, b dials a.
        self.dialled: list[set[int]] = [set() for _ in range(n)]
        for a, b in self.edges:
            self.dialled[b].add(a)
        vendors = set(range(n - args.vendors, n))
        self.publishers = [v for v in range(n) if v not in vendors][: args.publishers]
        adjacent = adjacency(n, self.edges)
        self.diameter = max(max(hops_from(v, adjacent)) for v in range(n))


def phase(
    args: argparse.Namespace,
    work: WorkCache,
    setup: Setup,
    latency: Latency,
    mode: str,
    *,
    draw: int = 0,
) -> tuple[Network, list[SimMessage], StemRouting | None]:
    """One phase of the benchmark on fresh nodes."""
    base = sim_params(args)
    # The raw handler accepts without validating; the node validates.
    costs = Costs(accept=0.0) if mode == "raw" else Costs()
    net = Network(
        n=setup.n,
        edges=setup.edges,
        latency=latency,
        topics=[BULK_TOPIC],
        params=replace(base, costs=costs),
        seed=args.seed,
    )
    routing = None
    if mode == "stem":
        routing = StemRouting(
            net,
            DEFAULT_STEM_PARAMS,
            dialled=setup.dialled if args.successors_from == "dialled" else None,
            # One generator per node: a draw's routes do not depend on timing.
            rng=[random.Random(f"network-bench/stem/{args.seed}/{draw}/{v}") for v in range(net.n)],
            # node/stem.py: the keeper's first check is a period after start.
            keeper_start=KEEPER_PERIOD,
            hop_latency=stem_frame_latency(args),
        )
    intents = build_intents(net, args.messages, work)
    net.start()
    # The benchmark stamps the time before post_intent; the raw phase publishes at once.
    post = 0.0 if mode == "raw" else args.post_ms / 1000
    for k, msg in enumerate(intents):
        who = setup.publishers[k % len(setup.publishers)]
        at = args.warmup + k / args.rate
        net.loop.call_at(at + post, publisher(net, who, at), msg)
    net.run(args.warmup + (len(intents) - 1) / args.rate + post + args.drain)
    return net, intents, routing


def pair_latencies(net: Network, msgs: list[SimMessage]) -> tuple[list[float], int]:
    """Seconds from publish to arrival for every (message, receiver other
    than the author) pair that arrived, and how many pairs there are."""
    out: list[float] = []
    expected = 0
    for m in msgs:
        expected += net.n - 1
        if m.arrived is None:
            continue
        arrived = m.arrived
        out += [arrived[v] - m.published for v in range(net.n) if v != m.origin and arrived[v] >= 0]
    return out, expected


def latency_of(args: argparse.Namespace, link_s: float) -> Latency:
    if args.link_sigma > 0:
        return Latency("lognormal", link_s, args.link_sigma)
    return Latency("fixed", link_s)


def fit_link(
    args: argparse.Namespace, work: WorkCache, setup: Setup, target_ms: float
) -> tuple[float, int]:
    """The link latency (s) whose raw phase on ``setup`` has p50
    ``target_ms``, by bisection (the p50 grows with the link latency), and
    the runs it took."""
    target = target_ms / 1000
    runs = 0

    def p50(link_s: float) -> float:
        nonlocal runs
        runs += 1
        net, msgs, _ = phase(args, work, setup, latency_of(args, link_s), "raw")
        return percentile(pair_latencies(net, msgs)[0], 50)

    lo, hi = 0.0, target
    while p50(hi) < target:  # a lognormal's median may sit below the p50
        lo, hi = hi, 2 * hi
    if p50(lo) >= target:
        raise ValueError(f"raw p50 of {target_ms} ms: the CPU costs alone exceed it")
    while hi - lo > FIT_TOLERANCE:
        mid = (lo + hi) / 2
        if p50(mid) < target:
            lo = mid
        else:
            hi = mid
    return hi, runs


def figures(net: Network, msgs: list[SimMessage]) -> tuple[dict[str, Any], list[float]]:
    lat, expected = pair_latencies(net, msgs)
    return {
        "delivery": ratio(len(lat), expected),
        "pairs": expected,
        "p50_ms": ms(percentile(lat, 50)),
        "p99_ms": ms(percentile(lat, 99)),
    }, lat


def _vs(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def stem_path(routing: StemRouting, msg: SimMessage) -> tuple[int, ...]:
    """The nodes the stem of ``msg`` visited, author first (first visits)."""
    receipts = routing.stem_receipts.get(msg.index, {})
    return (msg.origin, *(v for _, v in sorted((t, v) for v, (t, _) in receipts.items())))


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    setup = Setup(args)
    runs = 0
    fit_nodes: int | None = None
    if args.link_ms is not None:
        link_s = args.link_ms / 1000
    elif args.fit_p50_ms is not None:
        fit_nodes = setup.n
        link_s, runs = fit_link(args, work, setup, args.fit_p50_ms)
    else:
        fit_nodes = FIT_NODES
        at = argparse.Namespace(**{**vars(args), "nodes": FIT_NODES})
        link_s, runs = fit_link(at, work, Setup(at), RAW_P50_MS)
    latency = latency_of(args, link_s)
    events = 0
    rows: dict[str, Any] = {}
    lats: dict[str, list[float]] = {}
    for mode in ("raw", "fluff_only"):
        net, msgs, _ = phase(args, work, setup, latency, mode)
        events += net.loop.events
        rows[mode], lats[mode] = figures(net, msgs)
    stem_lat: list[float] = []
    pairs = 0
    ends: Counter[str] = Counter()
    one_end = 0
    hops: list[int] = []
    opening = 0
    draws: dict[str, Any] = {}
    per_draw: list[tuple[list[float], Counter[str], list[int]]] = []
    for k in range(1, args.draws + 1):
        net, msgs, routing = phase(args, work, setup, latency, "stem", draw=k)
        assert routing is not None
        events += net.loop.events
        row, lat = figures(net, msgs)
        stem_lat += lat
        pairs += row["pairs"]
        ends.update(routing.fluffs)
        one_end += sum(1 for m in msgs if len(routing.ends.get(m.index, ())) == 1)
        mine = [routing.hops_of.get(m.index, 0) for m in msgs]
        hops += mine
        per_draw.append((lat, Counter(routing.fluffs), mine))
        opening += routing.opened_for_message
        draws[str(k)] = {
            **{key: row[key] for key in ("delivery", "p50_ms", "p99_ms")},
            "stem_ends": {r: routing.fluffs[r] for r in REASONS},
            "hops_mean": round(sum(mine) / len(mine), 2),
            "distinct_stem_paths": len({stem_path(routing, m) for m in msgs}),
        }
    raw, fluff = rows["raw"], rows["fluff_only"]
    for key in ("p50", "p99"):
        fluff[f"{key}_vs_raw"] = _vs(fluff[f"{key}_ms"], raw[f"{key}_ms"])
    intents = args.messages * args.draws
    stem: dict[str, Any] = {
        "delivery": ratio(len(stem_lat), pairs),
        "pairs": pairs,
        "p50_ms": ms(percentile(stem_lat, 50)),
        "p99_ms": ms(percentile(stem_lat, 99)),
    }
    for key in ("p50", "p99"):
        stem[f"{key}_vs_raw"] = _vs(stem[f"{key}_ms"], raw[f"{key}_ms"])
        stem[f"{key}_vs_fluff_only"] = _vs(stem[f"{key}_ms"], fluff[f"{key}_ms"])
    stem["intents"] = intents
    stem["stem_ends"] = {r: ends[r] for r in REASONS}
    stem["stem_ends_share"] = {r: ratio(ends[r], intents, 3) for r in REASONS}
    stem["intents_with_one_stem_end"] = one_end
    stem["hops"] = {
        "min": min(hops),
        "p50": percentile([float(h) for h in hops], 50),
        "mean": round(sum(hops) / len(hops), 2),
        "max": max(hops),
    }
    stem["hops_histogram"] = {str(h): c for h, c in sorted(Counter(hops).items())}
    stem["hops_opening_a_stream"] = opening

    def spread(get: Any) -> list[Any]:
        values = [get(d) for d in draws.values()]
        return [min(values), max(values)]

    stem["over_draws"] = {
        "p50_ms": spread(lambda d: d["p50_ms"]),
        "p99_ms": spread(lambda d: d["p99_ms"]),
        **{r: spread(lambda d, r=r: d["stem_ends"][r]) for r in REASONS},
        "hops_mean": spread(lambda d: d["hops_mean"]),
        "distinct_stem_paths": spread(lambda d: d["distinct_stem_paths"]),
    }
    stem["benchmark_runs"] = benchmark_runs(per_draw, args.rounds)
    stem["draws"] = draws
    rows["stem"] = stem
    return {
        "scenario": NAME,
        "config": {
            "nodes": setup.n,
            "links": len(setup.edges),
            "diameter": setup.diameter,
            "topology_seed": TOPOLOGY_SEED,
            "dialled_per_node": [len(d) for d in setup.dialled],
            "publishers": setup.publishers,
            "messages_per_phase": args.messages,
            "rate": args.rate,
            "warmup_s": args.warmup,
            "drain_s": args.drain,
            "link": {
                "latency": str(latency),
                "ms": round(link_s * 1000, 3),
                "fitted_to_raw_p50_ms": (
                    None if fit_nodes is None else (args.fit_p50_ms or RAW_P50_MS)
                ),
                "fitted_on_nodes": fit_nodes,
                "fit_runs": runs,
            },
            "stem_hop_ms": args.stem_hop_ms,
            "stem_frame_ms": (
                None if (frame := stem_frame_latency(args)) is None else round(frame * 1000, 3)
            ),
            "post_ms": args.post_ms,
            "stem": {
                "fluff_probability": DEFAULT_STEM_PARAMS.fluff_probability,
                "successors": DEFAULT_STEM_PARAMS.successors,
                "epoch_s": DEFAULT_STEM_PARAMS.epoch_seconds,
                "embargo_base_s": DEFAULT_STEM_PARAMS.embargo_base_seconds,
                "embargo_mean_extra_s": DEFAULT_STEM_PARAMS.embargo_mean_extra_seconds,
                "draws": args.draws,
                "successors_from": args.successors_from,
            },
            "seed": args.seed,
        },
        "results": {**rows, "events": events},
    }


def benchmark_runs(
    per_draw: list[tuple[list[float], Counter[str], list[int]]], rounds: int
) -> dict[str, Any]:
    """What one benchmark run would show if the model is right: its
    ``rounds`` node phases are consecutive draws; for each figure, the 5th
    and 95th percentile over those runs (nearest rank), the band a real run
    falls in 9 times out of 10."""
    runs = [per_draw[i : i + rounds] for i in range(0, len(per_draw), rounds)]
    runs = [r for r in runs if len(r) == rounds]
    if not runs:
        return {"runs": 0}
    figures: dict[str, list[float]] = {"p50_ms": [], "p99_ms": [], "hops_mean": []}
    figures.update({f"{r}_share": [] for r in REASONS})
    for run_ in runs:
        lat = [x for d in run_ for x in d[0]]
        ends: Counter[str] = sum((d[1] for d in run_), Counter())
        hops = [h for d in run_ for h in d[2]]
        figures["p50_ms"].append(ms(percentile(lat, 50)) or 0.0)
        figures["p99_ms"].append(ms(percentile(lat, 99)) or 0.0)
        figures["hops_mean"].append(round(sum(hops) / len(hops), 2))
        for r in REASONS:
            figures[f"{r}_share"].append(round(ends[r] / len(hops), 3))
    band = {k: [percentile(v, 5), percentile(v, 95)] for k, v in figures.items()}
    return {"runs": len(runs), "draws_each": rounds, "p5_p95": band}


def plot(result: Result, path: str) -> None:
    from ..plots import bars

    r = result["results"]
    c = result["config"]
    bars(
        ["raw", "fluff-only", "stem"],
        {q: [r[p][f"{q}_ms"] or 0.0 for p in PHASES] for q in ("p50", "p99")},
        ylabel="latency (ms)",
        path=path,
        title=f"Network benchmark's setup, simulated: {c['nodes']} nodes, "
        f"links {c['link']['latency']} ms",
    )


SCENARIO = Scenario(
    NAME,
    "the network benchmark's own setup: raw, fluff-only and stem phases",
    __doc__ or "",
    add_arguments,
    run,
    plot,
)
