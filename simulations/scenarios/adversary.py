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

With the fixes of the first round (every node followed every topic from
start-up and named the same ones in its hello), neither signal exists and
the estimator is the first-spy guess (``after``).

With the offer buckets (the node now: a customer follows every intent
topic and a fixed, random ``--followed`` of ``--buckets`` offer bucket
topics, chosen once, and draws its intents' keys until their bucket is one
of its own), its subscriptions still never change, but they name its
bucket set, and every spy learns the set of each of its neighbours. An
intent's key names its bucket, so a spy rules out every neighbour whose
set lacks it: the ``buckets`` estimator takes what the spies received in
the order they received it (by stem or gossip) and names the first sender
that is not a spy and whose set holds the intent's bucket (the first-spy
guess whenever that one is possible); if none is, the first-spy guess.
Here each author's set is drawn once per run and each intent's bucket
uniformly from its author's set, as the node draws keys.

With the offer feed (``--feed``: a customer follows no bucket and keeps a
stream to a carrier, a relay or vendor, that pushes it every sealed
offer; its intents' keys fall in any bucket) a customer's subscriptions
and hellos are the same whatever it posts, and name no bucket: the
``feed`` estimator is the bucket estimator with each customer's possible
set every bucket (a spy can rule out none of them) and each intent's
bucket drawn uniformly. ``--feed`` also reports, for it and each
``buckets S/16``, how often two intents of one customer share an offer
topic against two strangers' intents, counted over the run's draws (the
``linkability`` of issue 20; pooled over the spy shares). Message sizes (sealed boxes padded
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
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from intentcast.peer import topics
from intentcast.peer.stem import QUIET_PROBE_SECONDS
from intentcast.protocol.stem import StemParams

from ..base import VIA_GOSSIP, VIA_IWANT, VIA_SYNC
from ..builders import BULK_TOPIC
from ..messages import SimMessage, WorkCache
from ..network import Network
from ..stats import ms, percentile, ratio
from ..stem import StemRouting
from . import (
    Result,
    Scenario,
    add_network_arguments,
    probability,
    random_dials_of,
    random_network,
)
from .anonymity import SPIES, first_spy_guess, fractions
from .propagation import add_publish_arguments, build_intents, publish_schedule

NAME = "adversary"
#: A subscription counts for an intent seen first this many seconds later at most.
WINDOW_S: Final = 5.0
CATEGORIES: Final = ("busy", "rare")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser, nodes=1_000)
    add_publish_arguments(parser)
    g = parser.add_argument_group("adversary")
    g.add_argument("--spies", type=fractions, default=SPIES, metavar="P,P,...")
    g.add_argument(
        "--buckets", type=int, default=topics.BUCKETS, help="offer buckets (%(default)s)"
    )
    g.add_argument(
        "--followed",
        type=_counts,
        default=(topics.FOLLOWED_BUCKETS,),
        metavar="S,S,...",
        help=f"buckets a customer follows, one estimate each ({topics.FOLLOWED_BUCKETS})",
    )
    g.add_argument(
        "--all-buckets",
        type=probability,
        default=0.0,
        metavar="FRACTION",
        help="share of the nodes that follow every bucket, as vendors and relays do, drawn "
        "among the honest nodes that author nothing (default 0: every node a customer, "
        "the worst case; the market of follow-cost has 0.14)",
    )
    g.add_argument(
        "--quiet-customers",
        action="store_true",
        help="customers take no part in the intents' gossip (docs/privacy.md section 10): "
        "only spies and the --all-buckets nodes (vendors and relays) follow the intents "
        "topic; authors re-send down the stem when the embargo fires and probe a sync "
        "peer's inventory every --probe-seconds",
    )
    g.add_argument(
        "--dial-follower",
        action="store_true",
        help="every honest node also dials one random other --all-buckets node (a vendor "
        "or relay), as the node dials its bootstrap relays (follow-cost's --dial-relay)",
    )
    g.add_argument(
        "--feed",
        action="store_true",
        help="also the offer feed: customers follow no bucket, keys in any bucket (its own "
        "estimate, and how often two intents of one customer share an offer topic)",
    )
    g.add_argument(
        "--probe-seconds",
        type=float,
        default=QUIET_PROBE_SECONDS,
        metavar="S",
        help="a quiet customer's inventory probe period (%(default)s s)",
    )


def _counts(text: str) -> tuple[int, ...]:
    try:
        out = tuple(int(p) for p in text.split(","))
    except ValueError:
        out = ()
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"expected counts like 1,2,4; got {text!r}")
    return out


def receptions(
    msg: SimMessage, spies: list[int], receipts: dict[int, tuple[float, int]]
) -> list[tuple[float, int]]:
    """(time, sender) of every spy's first reception of ``msg`` by stem and
    by gossip, earliest first."""
    out = [receipts[s] for s in spies if s in receipts]
    arrived, first = msg.arrived, msg.first_from
    if arrived is not None and first is not None:
        out += [(arrived[s], first[s]) for s in spies if arrived[s] >= 0]
    return sorted(out)


def bucket_estimate(
    guess: int | None,
    seen: list[tuple[float, int]],
    spy_set: set[int],
    bucket: int,
    sets: Sequence[frozenset[int]],
) -> int | None:
    """The ``buckets`` estimator (module docstring): the first sender in
    ``seen`` that is no spy and whose bucket set (``sets``, by node) holds
    the intent's ``bucket``, else ``guess``."""
    for _, sender in seen:
        if sender >= 0 and sender not in spy_set and bucket in sets[sender]:
            return sender
    return guess


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


def run_draws(
    args: argparse.Namespace, share: float
) -> tuple[list[int], list[int], list[int], list[int], list[tuple[int, int]]]:
    """The spies, the honest nodes, the authors, the nodes that follow every
    bucket (vendors and relays, ``--all-buckets``) and who dials whom, for
    one spy share: the same draws, in the same order, as ever (the
    authors come from ``pick`` after the spies, and nothing else draws
    from it; the followers and the extra dials from generators of their
    own, so the other draws stay)."""
    n = args.nodes
    pick = random.Random(f"anonymity/{args.seed}/{share}")
    spies = sorted(pick.sample(range(n), round(share * n)))
    spy_set = set(spies)
    honest = [v for v in range(n) if v not in spy_set]
    authors = [honest[pick.randrange(len(honest))] for _ in range(args.intents)]
    idle = sorted(set(honest) - set(authors))
    full = random.Random(f"adversary/{args.seed}/{share}/all-buckets")
    followers = full.sample(idle, min(len(idle), round(args.all_buckets * n)))
    dials = random_dials_of(args)
    if getattr(args, "dial_follower", False) and followers:
        extra = random.Random(f"adversary/{args.seed}/{share}/dial-follower")
        linked = {(min(a, b), max(a, b)) for a, b in dials}
        for v in honest:
            # A follower dials another (relays dial each other, vendors a relay).
            others = followers if v not in followers else [f for f in followers if f != v]
            if not others:
                continue
            f = others[extra.randrange(len(others))]
            if (min(v, f), max(v, f)) not in linked:
                dials.append((v, f))
                linked.add((min(v, f), max(v, f)))
    return spies, honest, authors, followers, dials


def linkability(authors: Sequence[int], buckets: Sequence[int]) -> dict[str, int]:
    """Pairs of intents of one author and of two authors, and how many of
    each share a bucket (``buckets[k]``: intent ``k``'s)."""
    own: dict[int, list[int]] = {}
    for a, b in zip(authors, buckets, strict=True):
        own.setdefault(a, []).append(b)
    pairs = len(buckets) * (len(buckets) - 1) // 2
    same = sum(c * (c - 1) // 2 for c in Counter(buckets).values())
    own_pairs = sum(len(bs) * (len(bs) - 1) // 2 for bs in own.values())
    own_same = sum(c * (c - 1) // 2 for bs in own.values() for c in Counter(bs).values())
    return {
        "own_pairs": own_pairs,
        "own_same": own_same,
        "stranger_pairs": pairs - own_pairs,
        "stranger_same": same - own_same,
    }


def pooled_linkability(runs: list[dict[str, dict[str, int]]]) -> dict[str, dict[str, Any]]:
    """:func:`linkability`'s counts summed over runs (the spy shares), per
    variant, with the share of each kind of pair that shares a topic and
    how many times as often two intents of one customer do as strangers'."""
    out: dict[str, dict[str, Any]] = {}
    for variant in runs[0]:
        c = {k: sum(r[variant][k] for r in runs) for k in runs[0][variant]}
        own = ratio(c["own_same"], c["own_pairs"])
        strangers = ratio(c["stranger_same"], c["stranger_pairs"])
        times = round(own / strangers, 2) if own is not None and strangers else None
        out[variant] = {
            **c,
            "one customer share a topic": own,
            "strangers share a topic": strangers,
            "times as often": times,
        }
    return out


def run_share(args: argparse.Namespace, work: WorkCache, share: float) -> dict[str, Any]:
    n = args.nodes
    quiet = bool(getattr(args, "quiet_customers", False))
    spies, _, authors, followers, dials = run_draws(args, share)
    spy_set = set(spies)
    if quiet and not followers:
        raise ValueError("--quiet-customers needs --all-buckets > 0 (the intents' followers)")
    follows = set(followers) | spy_set
    subscriptions = [(0,) if v in follows else () for v in range(n)] if quiet else None
    net: Network = random_network(
        args, topics=[BULK_TOPIC], subscriptions=subscriptions, dials=dials
    )
    dialled: list[set[int]] = [set() for _ in range(n)]
    for a, b in dials:
        dialled[a].add(b)
    routing = StemRouting(
        net,
        StemParams(),
        round_trips=1.0,
        streams="epoch",
        dialled=dialled,
        quiet=quiet,
        probe_seconds=getattr(args, "probe_seconds", QUIET_PROBE_SECONDS),
        probe_rng=random.Random(f"adversary/{args.seed}/{share}/probes"),
    )
    intents = build_intents(net, args.intents, work)
    net.start()
    last = publish_schedule(net, intents, args, publishers=authors)
    net.run(last + args.drain)
    times = [args.warmup + k / args.rate for k in range(len(intents))]

    next_to_spy = [any(p in spy_set for p in net.nodes[v].links) for v in range(n)]
    right = {f"{c}/{f}": 0 for c in CATEGORIES for f in ("before", "after")}
    if max(args.followed) > args.buckets:
        raise ValueError("--followed cannot exceed --buckets")
    variants: dict[str, int | None] = {f"buckets {s}/{args.buckets}": s for s in args.followed}
    if getattr(args, "feed", False):
        variants["feed"] = None  # no bucket followed; keys in any bucket
    ruled_out = dict.fromkeys(variants, 0)
    right.update(dict.fromkeys(variants, 0))
    # Each honest node's bucket set, drawn once; each intent's bucket from
    # its author's set (generators of their own: the other draws stay).
    draws = {v: random.Random(f"adversary/{args.seed}/{share}/{v}") for v in variants}
    every = frozenset(range(args.buckets))
    # A feed customer follows no bucket: what a spy learns from its
    # subscriptions rules out no bucket (its possible set is every one).
    sets = {
        v: [every] * n
        if s is None
        else [frozenset(draws[v].sample(range(args.buckets), s)) for _ in range(n)]
        for v, s in variants.items()
    }
    for v_ in followers:
        for of in sets.values():
            of[v_] = every
    # Busy: one category; an author subscribes when it first posts in it.
    first_post: dict[int, float] = {}
    for k, a in enumerate(authors):
        first_post.setdefault(a, times[k])
    busy_subs = sorted((t, a) for a, t in first_post.items() if next_to_spy[a])
    busy_hello = {a for a in first_post if next_to_spy[a]}  # live all run long
    drawn: dict[str, list[int]] = {v: [] for v in variants}
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
        seen_by_spies = receptions(msg, spies, receipts)
        for v, s in variants.items():
            of = sets[v]
            b = (
                draws[v].randrange(args.buckets)
                if s is None
                else sorted(of[a])[draws[v].randrange(s)]
            )
            drawn[v].append(b)
            ruled_out[v] += guess is not None and b not in of[guess]
            by_bucket = bucket_estimate(guess, seen_by_spies, spy_set, b, of)
            right[v] += by_bucket == a
            if quiet:
                # A spy also knows which neighbours follow the intents topic
                # (their subscriptions): only a customer can be the author.
                customers_only = [(t, u) for t, u in seen_by_spies if u not in follows]
                by_customer = bucket_estimate(None, customers_only, spy_set, b, of)
                right.setdefault(f"{v}, customers only", 0)
                right[f"{v}, customers only"] += by_customer == a
    out: dict[str, Any] = {key: ratio(v, len(intents)) for key, v in right.items()}
    if quiet:
        out.update(quiet_report(intents, routing, followers, spies))
    out.update(
        {f"{v}: first-spy guess ruled out": ratio(k, len(intents)) for v, k in ruled_out.items()}
    )
    if "feed" in variants:
        origins = [msg.origin for msg in intents]
        out["linkability"] = {v: linkability(origins, drawn[v]) for v in variants}
    return out


def quiet_report(
    intents: list[SimMessage], routing: StemRouting, followers: list[int], spies: list[int]
) -> dict[str, Any]:
    """Delivery and latency to every honest follower of the intents topic
    (the vendors and relays), how often an author's embargo fired (and so
    re-sent its intent down the stem), how its probes confirmed it, and
    how many intents the author itself sent in gossip (none is the
    design)."""
    to_followers: list[float] = []
    complete = fired = resends = forwarded = by_customers = 0
    follows = set(followers) | set(spies)
    confirm_delay: list[float] = []
    for msg in intents:
        assert msg.arrived is not None and msg.first_from is not None
        delays = [msg.arrived[f] - msg.published for f in followers]
        if all(d >= 0 for d in delays):
            complete += 1
            to_followers.append(max(delays, default=0.0))
        k = routing.resent.get(msg.index, 0)
        fired += k > 0
        resends += k
        if msg.index in routing.confirmed:
            confirm_delay.append(routing.confirmed[msg.index] - msg.published)
        assert msg.via is not None
        gossiped = [
            msg.first_from[x]
            for x in range(len(msg.arrived))
            if x != msg.origin and msg.via[x] in (VIA_GOSSIP, VIA_IWANT, VIA_SYNC)
        ]
        forwarded += msg.origin in gossiped
        # A customer publishes an intent only where a stem ends at it (a
        # fluff); it never forwards one.
        ends = {x for x, _ in routing.ends.get(msg.index, [])}
        by_customers += any(u not in follows and u not in ends for u in gossiped)
    count = len(intents)
    return {
        "quiet: delivered to all followers": ratio(complete, count),
        "quiet: to all followers p50 ms": ms(percentile(to_followers, 50)),
        "quiet: to all followers p99 ms": ms(percentile(to_followers, 99)),
        "quiet: embargo fired (intents)": ratio(fired, count),
        "quiet: re-sends per intent": round(resends / max(1, count), 3),
        "quiet: confirmed by probe": ratio(len(confirm_delay), count),
        "quiet: confirmed after p50 s": round(percentile(confirm_delay, 50), 1)
        if confirm_delay
        else None,
        "quiet: author sent it in gossip": ratio(forwarded, count),
        "quiet: a customer forwarded it in gossip": ratio(by_customers, count),
        "quiet: stem hops per intent": round(routing.hops / max(1, count), 2),
    }


def gossip_baseline(args: argparse.Namespace, work: WorkCache) -> dict[str, Any]:
    """Plain gossip (every node follows the intents topic, no stem) on the
    same graph and schedule: p50/p99 to all of the followers of the first
    spy share's quiet run (the baseline of the latency goal)."""
    _, _, authors, followers, dials = run_draws(args, args.spies[0])
    net = random_network(args, topics=[BULK_TOPIC], dials=dials)
    intents = build_intents(net, args.intents, work)
    net.start()
    last = publish_schedule(net, intents, args, publishers=authors)
    net.run(last + args.drain)
    worst = []
    for msg in intents:
        assert msg.arrived is not None
        delays = [msg.arrived[f] - msg.published for f in followers]
        if all(d >= 0 for d in delays):
            worst.append(max(delays, default=0.0))
    return {
        "to all followers p50 ms": ms(percentile(worst, 50)),
        "to all followers p99 ms": ms(percentile(worst, 99)),
        "delivered to all followers": ratio(len(worst), len(intents)),
    }


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    rows = {f"{share:.0%}": run_share(args, work, share) for share in args.spies}
    results: dict[str, Any] = {"guessed_right": rows}
    config: dict[str, Any] = {}
    if getattr(args, "feed", False):
        results["linkability"] = pooled_linkability([r.pop("linkability") for r in rows.values()])
        config["feed"] = True
    if getattr(args, "quiet_customers", False):
        results["plain gossip"] = gossip_baseline(args, work)
        config.update({"quiet_customers": True, "probe_seconds": args.probe_seconds})
    return {
        "scenario": NAME,
        "config": {
            "nodes": args.nodes,
            "degree": args.degree,
            "intents": args.intents,
            "rate": args.rate,
            "seed": args.seed,
            "window_s": WINDOW_S,
            "buckets": args.buckets,
            "followed": args.followed,
            "all_buckets": args.all_buckets,
            **config,
        },
        "results": results,
    }


def plot(result: Result, path: str) -> None:
    from ..plots import lines

    rows = result["results"]["guessed_right"]
    xs = [float(k.rstrip("%")) for k in rows]
    series = {
        f"{key}": [100 * (r[key] or 0.0) for r in rows.values()]
        for key in next(iter(rows.values()))
        if not key.endswith("ruled out")
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
