"""model-check: the network benchmark, simulated, against its measurement.

``python -m benchmarks network --nodes N`` runs N real nodes as processes on
one 2-core machine, all on loopback (docs/benchmarks.md, "network"). This
scenario rebuilds that run: the same topology (a ring plus 2 random links
dialled per node, seed 1), the same schedule (2 phases of 40 intents at
4 a second, round robin over nodes 0-4, after the meshes form and 2 s of
settling), loopback links (``--link-us``), and every node's CPU work
drawn from 2 shared cores. Latency percentiles are nearest-rank over every
(message, receiver) pair, as the benchmark computes them.

The CPU cost of a message copy is **not** fitted to the latencies. It is
taken from one of two independent measurements (``--calibration``):

- ``notes``: ~0.6 ms of CPU per message per hop for gossipsub v1.1
  (LIBP2P-NOTES.md, measured on this machine), split evenly between the
  sender and the receiver of each copy;
- ``cpu``: the benchmark's own CPU counters (``cpu_raw_cores``,
  ``cpu_cores``: cores the children kept busy while publishing) divided by
  the copies per second this simulation counts for the same mesh.

Node mode adds the measured time inside ``post_intent`` before the publish
(``post_p50_ms``) and the inbound pipeline per new message
(``inbound_p50_ms``). The gap between the simulated and measured
percentiles is what the model leaves out.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any, Final

from ..builders import BULK_TOPIC
from ..messages import SimMessage, WorkCache
from ..network import Network
from ..params import Costs
from ..stats import ms, percentile
from ..topology import Latency, ring_with_chords
from . import Result, Scenario, non_negative_float, option, positive_int, sim_params, work_bits
from .propagation import build_intents

NAME = "model-check"

#: docs/benchmarks.md, network, "Current figures" (node at commit d2db709,
#: quiet machine): what the benchmark measured.
MEASURED: Final[dict[int, dict[str, float]]] = {
    10: {
        "p50_raw_ms": 11.5,
        "p99_raw_ms": 43.4,
        "p50_ms": 15.4,
        "p99_ms": 41.0,
        "cpu_raw_cores": 0.33,
        "cpu_cores": 0.35,
        "post_p50_ms": 2.9,
        "inbound_p50_ms": 0.4,
    },
    30: {
        "p50_raw_ms": 31.0,
        "p99_raw_ms": 112.8,
        "p50_ms": 39.2,
        "p99_ms": 128.2,
        "cpu_raw_cores": 1.15,
        "cpu_cores": 1.24,
        "post_p50_ms": 3.3,
        "inbound_p50_ms": 0.4,
    },
}
#: LIBP2P-NOTES.md: CPU per message per hop, gossipsub v1.1.
NOTES_COPY_MS: Final = 0.6
RATE: Final = 4.0
MESSAGES_PER_PHASE: Final = 40
PHASES: Final = 2
PUBLISHERS: Final = 5
SETTLE: Final = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("benchmark setup")
    option(
        g,
        "--nodes",
        positive_int,
        10,
        "N",
        "nodes, as the benchmark's --nodes; measured figures exist for 10 and 30",
    )
    g.add_argument(
        "--calibration",
        choices=("notes", "cpu", "both"),
        default="both",
        help="where the CPU cost per copy comes from (default both, side by side)",
    )
    g.add_argument(
        "--cores",
        type=positive_int,
        default=2,
        help="cores the nodes share (default 2, the benchmark machine)",
    )
    g.add_argument(
        "--work-bits",
        type=work_bits,
        default=None,
        metavar="B",
        help="proof-of-work bits instead of the protocol's defaults",
    )
    option(
        g, "--link-us", non_negative_float, 50.0, "US", "one-way loopback latency in microseconds"
    )


def simulate(
    args: argparse.Namespace,
    work: WorkCache,
    *,
    mode: str,
    copy_s: float,
) -> tuple[Network, list[SimMessage]]:
    """One benchmark run (both phases of ``mode``) with ``copy_s`` of CPU per copy."""
    n = args.nodes
    measured = MEASURED.get(n, MEASURED[30 if n > 20 else 10])
    accept = measured["inbound_p50_ms"] / 1000 if mode == "node" else 0.0
    costs = Costs(receive=copy_s / 2, send=copy_s / 2, accept=accept, shared_cores=args.cores)
    # The benchmark measured the node before it flood-published its own
    # messages (commit d2db709): mesh-only publishing, as then.
    base = sim_params(args)
    params = replace(base, costs=costs, gossip=replace(base.gossip, flood_publish=False))
    edges = ring_with_chords(n, 2, seed=1)
    net = Network(
        n=n,
        edges=edges,
        latency=Latency("fixed", args.link_us / 1e6),
        topics=[BULK_TOPIC],
        params=params,
        seed=args.seed,
    )
    intents = build_intents(net, MESSAGES_PER_PHASE * PHASES, work)
    net.start()
    post = measured["post_p50_ms"] / 1000 if mode == "node" else 0.0
    publishers = list(range(min(PUBLISHERS, n)))
    # The benchmark waits until every mesh holds 4 peers (or all), then 2 s.
    t = 3.0 + SETTLE
    for phase in range(PHASES):
        for k in range(MESSAGES_PER_PHASE):
            msg = intents[phase * MESSAGES_PER_PHASE + k]
            who = publishers[k % len(publishers)]
            at = t + k / RATE
            net.loop.call_at(at + post, publisher(net, who, at), msg)
        t += MESSAGES_PER_PHASE / RATE + 15.0
    net.run(t)
    return net, intents


def publisher(net: Network, who: int, stamped: float) -> Any:
    """Publish a message from ``who``, its latency counted from ``stamped``."""

    def publish(msg: SimMessage) -> None:
        msg.published = stamped  # the benchmark stamps the time before post_intent
        msg.origin = who
        net.publish(who, msg)

    return publish


def pair_latencies(net: Network, msgs: list[SimMessage]) -> tuple[list[float], int]:
    out: list[float] = []
    expected = 0
    for m in msgs:
        assert m.arrived is not None
        for v in range(net.n):
            if v != m.origin:
                expected += 1
                if m.arrived[v] >= 0:
                    out.append(m.arrived[v] - m.published)
    return out, expected


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    n = args.nodes
    measured = MEASURED.get(n)
    results: dict[str, Any] = {}
    events = 0
    calibrations = ("notes", "cpu") if args.calibration == "both" else (args.calibration,)
    for calibration in calibrations:
        rows: dict[str, Any] = {}
        for mode in ("raw", "node"):
            suffix = "_raw" if mode == "raw" else ""
            if calibration == "notes":
                copy_s = NOTES_COPY_MS / 1000
            else:
                # Count the copies the mesh makes (costs do not change them),
                # then spread the measured cores over them.
                probe, _ = simulate(args, work, mode=mode, copy_s=0.0)
                events += probe.loop.events
                seconds = PHASES * MESSAGES_PER_PHASE / RATE
                cores = (measured or MEASURED[30 if n > 20 else 10])[f"cpu{suffix}_cores"]
                copy_s = cores * seconds / max(1, probe.copies)
            net, intents = simulate(args, work, mode=mode, copy_s=copy_s)
            events += net.loop.events
            lat, expected = pair_latencies(net, intents)
            sim = {
                "copy_cpu_ms": round(copy_s * 1000, 3),
                "copies_per_message": round(net.copies / len(intents), 1),
                "delivery": round(len(lat) / expected, 4),
                "p50_ms": ms(percentile(lat, 50)),
                "p99_ms": ms(percentile(lat, 99)),
            }
            row: dict[str, Any] = {"simulated": sim}
            if measured is not None:
                got = {"p50_ms": measured[f"p50{suffix}_ms"], "p99_ms": measured[f"p99{suffix}_ms"]}
                row["measured"] = got
                row["gap_ms"] = {k: round((sim[k] or 0) - got[k], 1) for k in got}
                row["ratio"] = {k: round((sim[k] or 0) / got[k], 2) for k in got}
            rows[mode] = row
        results[calibration] = rows
    edges = ring_with_chords(n, 2, seed=1)
    return {
        "scenario": NAME,
        "config": {
            "nodes": n,
            "links": len(edges),
            "calibration": args.calibration,
            "cores": args.cores,
            "link_us": args.link_us,
            "rate": RATE,
            "messages": MESSAGES_PER_PHASE * PHASES,
            "seed": args.seed,
            "measured_at": "docs/benchmarks.md, network, commit d2db709" if measured else None,
        },
        "results": {**results, "events": events},
    }


def plot(result: Result, path: str) -> None:
    from ..plots import bars

    r = result["results"]
    groups = [f"{mode} {q[:3]}" for mode in ("raw", "node") for q in ("p50_ms", "p99_ms")]
    series: dict[str, list[float]] = {}
    for calibration in ("notes", "cpu"):
        if calibration in r:
            series[f"simulated ({calibration})"] = [
                r[calibration][mode]["simulated"][q] or 0.0
                for mode in ("raw", "node")
                for q in ("p50_ms", "p99_ms")
            ]
    some = next(iter(r[c] for c in ("notes", "cpu") if c in r))
    if "measured" in some["raw"]:
        series["measured"] = [
            some[mode]["measured"][q] for mode in ("raw", "node") for q in ("p50_ms", "p99_ms")
        ]
    c = result["config"]
    bars(
        groups,
        series,
        ylabel="latency (ms)",
        path=path,
        title=f"Network benchmark, {c['nodes']} nodes on {c['cores']} cores: simulated vs measured",
    )


SCENARIO = Scenario(
    NAME,
    "the network benchmark simulated, against its measured percentiles",
    __doc__ or "",
    add_arguments,
    run,
    plot,
)
