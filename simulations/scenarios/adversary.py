"""adversary: spies that use every signal a node gives its peers, not only
the first-spy guess (issue 20).

The network, spies, authors, schedule and stem routing are those of
``anonymity`` (``simulations/stem.py`` driving the node's stem state
machine). Spies pool, besides who handed each of them a message first:

- **subscription changes**: the node before issue 20 subscribed to a
  category's offer topic when its owner first posted there, and every peer
  hears a subscription at once. A spy next to the author sees it moments
  before the intent appears;
- **sync hello topics**: that node named the offer topics of its owner's
  live intents in every sync hello, so a spy it syncs with learns which
  categories it has live intents in (over an intent's life of hours, every
  spy next to it: a node syncs with a random peer every 30 s);

and combine them with the first-spy guess (``estimate``): a subscriber to
the intent's category seen shortly before the first spy had the intent
wins (the first-spy's guess if it is one of them, else the latest); else
a neighbour whose hello names the category, if the first-spy guess is one
or it is the only one; else the first-spy guess.

With the fixes (the node now: every node follows every topic from
start-up and names the same ones in its hello), neither signal exists and
the estimator is the first-spy guess. Message sizes (sealed boxes padded
to nine buckets) and follow-up timing (random delay) concern linking
sealed messages and follow-ups, not an intent's origin; they are not in
this estimator (docs/privacy.md says what is left open).

Two categories: **busy** (every intent of the run is in one category, 10 a
second) and **rare** (each intent is the only one in its category while
it is live: one an hour). One stem run per spy share serves both, and
both estimators.
"""

from __future__ import annotations

import argparse
import random
from typing import Any, Final

from intentcast.protocol.stem import StemParams

from ..builders import BULK_CATEGORY
from ..messages import SimMessage, WorkCache
from ..network import Network
from ..params import intent_topic
from ..stats import ratio
from ..stem import StemRouting
from . import Result, Scenario, add_network_arguments, random_dials_of, random_network
from .anonymity import SPIES, first_spy_guess, fractions
from .propagation import add_publish_arguments, build_intents

NAME = "adversary"
#: A subscription counts for an intent seen first this many seconds later at most.
WINDOW_S: Final = 5.0
CATEGORIES: Final = ("busy", "rare")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser, nodes=1_000)
    add_publish_arguments(parser)
    g = parser.add_argument_group("adversary")
    g.add_argument("--spies", type=fractions, default=SPIES, metavar="P,P,...")


def first_seen(msg: SimMessage, spies: list[int], receipts: dict[int, tuple[float, int]]) -> float:
    """When the first spy had ``msg`` (by stem or gossip); inf if none did."""
    times = [receipts[s][0] for s in spies if s in receipts]
    if msg.arrived is not None:
        times += [msg.arrived[s] for s in spies if msg.arrived[s] >= 0]
    return min(times, default=float("inf"))


def estimate(
    guess: int | None,
    seen_at: float,
    subscribed: list[tuple[float, int]],
    hello: set[int],
) -> int | None:
    """The combined guess (module docstring). ``subscribed``: (time, node)
    of subscriptions to the intent's category that spies saw; ``hello``:
    the spies' neighbours whose hello names the category while it is live."""
    recent = sorted(
        ((t, v) for t, v in subscribed if seen_at - WINDOW_S <= t <= seen_at), reverse=True
    )
    if recent:
        candidates = {v for _, v in recent}
        return guess if guess in candidates else recent[0][1]
    if guess in hello or len(hello) != 1:
        return guess
    return next(iter(hello))


def run_share(args: argparse.Namespace, work: WorkCache, share: float) -> dict[str, Any]:
    n = args.nodes
    pick = random.Random(f"anonymity/{args.seed}/{share}")
    spies = sorted(pick.sample(range(n), round(share * n)))
    spy_set = set(spies)
    honest = [v for v in range(n) if v not in spy_set]
    dials = random_dials_of(args)
    net: Network = random_network(args, topics=[intent_topic(BULK_CATEGORY[0])], dials=dials)
    dialled: list[set[int]] = [set() for _ in range(n)]
    for a, b in dials:
        dialled[a].add(b)
    routing = StemRouting(net, StemParams(), round_trips=1.0, streams="epoch", dialled=dialled)
    intents = build_intents(net, args.intents, work)
    net.start()
    authors = [honest[pick.randrange(len(honest))] for _ in intents]
    times = [args.warmup + k / args.rate for k in range(len(intents))]
    for k, msg in enumerate(intents):
        net.loop.call_at(times[k], _publisher(net, authors[k]), msg)
    net.run(args.warmup + (len(intents) - 1) / args.rate + args.drain)

    next_to_spy = [any(p in spy_set for p in net.nodes[v].links) for v in range(n)]
    right = {f"{c}/{f}": 0 for c in CATEGORIES for f in ("before", "after")}
    # Busy: one category; an author subscribes when it first posts in it.
    first_post: dict[int, float] = {}
    for k, a in enumerate(authors):
        first_post.setdefault(a, times[k])
    busy_subs = sorted((t, a) for a, t in first_post.items() if next_to_spy[a])
    busy_hello = {a for a in first_post if next_to_spy[a]}  # live all run long
    for k, msg in enumerate(intents):
        receipts = routing.stem_receipts.get(msg.index, {})
        guess = first_spy_guess(msg, spies, receipts)
        seen = first_seen(msg, spies, receipts)
        a = msg.origin
        rare_subs = [(times[k], a)] if next_to_spy[a] else []
        rare_hello = {a} if next_to_spy[a] else set()
        for cat, subs, hello in (
            ("busy", busy_subs, busy_hello),
            ("rare", rare_subs, rare_hello),
        ):
            right[f"{cat}/after"] += guess == a
            right[f"{cat}/before"] += estimate(guess, seen, subs, hello) == a
    return {key: ratio(v, len(intents)) for key, v in right.items()}


def _publisher(net: Network, who: int) -> Any:
    def publish(msg: SimMessage) -> None:
        net.publish(who, msg)

    return publish


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    rows = {f"{share:.0%}": run_share(args, work, share) for share in args.spies}
    return {
        "scenario": NAME,
        "config": {
            "nodes": args.nodes,
            "degree": args.degree,
            "intents": args.intents,
            "rate": args.rate,
            "seed": args.seed,
            "window_s": WINDOW_S,
        },
        "results": {"guessed_right": rows},
    }


def plot(result: Result, path: str) -> None:
    from ..plots import lines

    rows = result["results"]["guessed_right"]
    xs = [float(k.rstrip("%")) for k in rows]
    series = {
        f"{key}": [100 * (r[key] or 0.0) for r in rows.values()]
        for key in ("busy/before", "rare/before", "busy/after", "rare/after")
    }
    series["spy share (y = x)"] = xs
    lines(
        xs,
        series,
        xlabel="spies, % of nodes",
        ylabel="% of authors guessed right",
        title="Spies using subscriptions and sync hellos, before and after the fixes",
        path=path,
    )


SCENARIO = Scenario(
    NAME, "origins guessed by spies using every signal, before and after issue 20",
    __doc__ or "", add_arguments, run, plot,
)  # fmt: skip
