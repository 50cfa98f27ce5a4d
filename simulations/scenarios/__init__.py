"""Scenarios: each builds a network, drives it, and returns its figures.

A scenario is a module with ``NAME``, ``HELP``, ``add_arguments(parser)``,
``run(args, work) -> dict`` (deterministic: the same arguments and seed
give the same dict) and ``plot(result, path)``. :data:`SCENARIOS` lists
them for the command line (``simulations/cli.py``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from intentcast.peer.config import NodeConfig
from intentcast.protocol import DEFAULT_PARAMS, NetworkParams

from ..messages import WorkCache
from ..network import Network
from ..params import Costs, GossipParams, SimParams
from ..topology import Edge, Latency, TopologyError, random_dials, undirected

Result = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, WorkCache], Result]
    plot: Callable[[Result, str], None]


def add_network_arguments(
    parser: argparse.ArgumentParser,
    *,
    nodes: int,
    degree: int = 16,
    latency: str = "lognormal:40,0.5",
) -> None:
    """The options every scenario on a random graph shares."""
    net = parser.add_argument_group("network")
    option(net, "--nodes", positive_int, nodes, "N", "simulated nodes")
    option(
        net,
        "--degree",
        positive_int,
        degree,
        "K",
        "average connections per node; each dials K/2 random peers",
    )
    net.add_argument(
        "--latency",
        type=latency_spec,
        default=Latency.parse(latency),
        metavar="SPEC",
        help="one-way link latency, drawn once per link: fixed:MS, "
        f"uniform:LO,HI or lognormal:MEDIAN,SIGMA (default {latency})",
    )
    option(net, "--loss", probability, 0.0, "P", "probability that one transmission is lost")
    net.add_argument(
        "--bandwidth",
        type=positive_float,
        default=None,
        metavar="BYTES_PER_S",
        help="upload bandwidth of every node (default: unlimited)",
    )
    net.add_argument(
        "--ihave-always-fetches",
        action="store_true",
        help="model py-libp2p 0.8.1's anonymous-mode IHAVE, whose ids never "
        "match the seen cache, so every advertised message is fetched again",
    )
    net.add_argument(
        "--work-bits",
        type=work_bits,
        default=None,
        metavar="B",
        help="proof-of-work bits for every kind instead of the protocol's "
        "defaults (16 for intents): quicker first runs; checking costs the same",
    )
    net.add_argument(
        "--no-sync", action="store_true", help="turn off sync on connect and anti-entropy"
    )
    net.add_argument(
        "--no-limits", action="store_true", help="turn off per-peer rate limits, strikes and bans"
    )


def sim_params(args: argparse.Namespace, **changes: Any) -> SimParams:
    """The network's parameters from the common options."""
    gossip = GossipParams(ihave_always_fetches=bool(getattr(args, "ihave_always_fetches", False)))
    bits = getattr(args, "work_bits", None)
    network = (
        DEFAULT_PARAMS
        if bits is None
        else NetworkParams(pow_bits=dict.fromkeys((k for k in DEFAULT_PARAMS.pow_bits), bits))
    )
    params = SimParams(
        node=NodeConfig(params=network),
        gossip=gossip,
        costs=Costs(),
        loss=float(getattr(args, "loss", 0.0)),
        bandwidth=getattr(args, "bandwidth", None),
        limits_enabled=not getattr(args, "no_limits", False),
        sync_enabled=not getattr(args, "no_sync", False),
    )
    return replace(params, **changes)


def random_dials_of(args: argparse.Namespace) -> list[Edge]:
    """Who dials whom in the random graph of the common options (from the
    run's seeded generator; :func:`random_network` builds the same graph)."""
    import random

    graph_rng = random.Random(f"graph/{args.seed}")
    try:
        return random_dials(args.nodes, min(args.degree, args.nodes - 1), graph_rng)
    except TopologyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def random_network(
    args: argparse.Namespace,
    *,
    topics: Sequence[str],
    subscriptions: Sequence[Iterable[int]] | None = None,
    params: SimParams | None = None,
    dials: Sequence[Edge] | None = None,
) -> Network:
    """A network on a random graph from the common options (the graph and
    the link latencies come from the run's seeded generator), or on the
    graph of ``dials`` if given."""
    edges = undirected(random_dials_of(args) if dials is None else dials)
    return Network(
        n=args.nodes,
        edges=edges,
        latency=args.latency,
        subscriptions=subscriptions,
        topics=topics,
        params=params or sim_params(args),
        seed=args.seed,
    )


def pair(first: Result, second: Result) -> tuple[dict[str, Any], int]:
    """Two runs of one scenario on the same graph that differ in one switch
    (with and without sync, spam, ...): the network the first ran on, as
    :func:`network_config` reports it (the second's is the same but for
    the switch), and the events of both. Takes both keys out of each run."""
    second.pop("network")
    return first.pop("network"), first.pop("events") + second.pop("events")


def network_config(args: argparse.Namespace, net: Network) -> dict[str, Any]:
    """What a result reports about the network it ran on."""
    return {
        "nodes": net.n,
        "links": len(net.edges),
        "degree": args.degree,
        "latency": str(args.latency),
        "loss": net.params.loss,
        "bandwidth": net.params.bandwidth,
        "ihave_always_fetches": net.params.gossip.ihave_always_fetches,
        "sync": net.params.sync_enabled,
        "limits": net.params.limits_enabled,
        "work_bits": dict(sorted((k.value, b) for k, b in net.params.network.pow_bits.items())),
        "seed": args.seed,
    }


# --- argument types with errors a user can act on -------------------------------


def _whole(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
    return value


def positive_int(text: str) -> int:
    return _whole(text, 1)


def non_negative_int(text: str) -> int:
    return _whole(text, 0)


def _finite(text: str, ok: Callable[[float], bool], wanted: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not ok(value) or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be {wanted}, not {text}")
    return value


def positive_float(text: str) -> float:
    return _finite(text, lambda x: x > 0, "a positive number")


def non_negative_float(text: str) -> float:
    return _finite(text, lambda x: x >= 0, "0 or more")


def option(  # noqa: PLR0917  (a list of options reads best positionally)
    group: Any, flag: str, kind: Callable[[str], Any], default: Any, metavar: str, text: str
) -> None:
    """Add the option ``flag`` to an argument group: a value parsed by
    ``kind``, ``default`` if not given; its help is ``text`` and the default."""
    shown = f"{default:g}" if isinstance(default, float) else default
    group.add_argument(
        flag, type=kind, default=default, metavar=metavar, help=f"{text} (default {shown})"
    )


def probability(text: str) -> float:
    value = non_negative_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be below 1, not {text}")
    return value


def fraction(text: str) -> float:
    value = non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def work_bits(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 24:
        raise argparse.ArgumentTypeError(f"must be 0..24 bits, not {value}")
    return value


def latency_spec(text: str) -> Latency:
    try:
        return Latency.parse(text)
    except TopologyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def all_scenarios() -> list[Scenario]:
    from . import (
        adversary,
        anonymity,
        churn,
        detail_updates,
        follow_cost,
        market,
        model_check,
        network_bench,
        propagation,
        reputation,
        spam,
    )

    modules = (
        propagation,
        churn,
        spam,
        market,
        model_check,
        anonymity,
        network_bench,
        follow_cost,
        adversary,
        reputation,
        detail_updates,
    )
    return [m.SCENARIO for m in modules]
