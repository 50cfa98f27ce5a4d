"""follow-cost: the bandwidth of following every topic (issue 20).

The market of ``market`` (vendors answering from their catalogs, offers
sealed to the customers) on a network of relays, vendors and customers,
run twice on the same graph and schedule with the two subscription
policies:

- ``own`` (the node before issue 20): a customer follows the offer topic
  of each category it posts in (from the start of the run: it subscribed
  when it first posted), a vendor the intent topic of its category, a
  relay everything;
- ``all`` (the node of issue 20's first round): every node follows every
  intent and offer topic of every category from start-up, whatever its
  owner posts or sells;
- ``buckets`` (the node now, :func:`intentcast.peer.sync.interests`):
  sealed offers go on ``--buckets`` topics named by a bucket of their
  intent's key; a customer follows every intent topic and a fixed, random
  ``--followed`` of the buckets, and its intents' keys are in them (here:
  each intent's author is drawn among the customers whose set holds the
  bucket of its key, the same joint distribution); a vendor follows every
  intent topic and every bucket, a relay everything;
- ``quiet`` (docs/privacy.md section 10, not the node): as ``buckets``, but
  a customer follows no intent topic (it takes no part in the intents'
  gossip; its own intents reach the followers by fanout). Its probe of a
  follower's inventory (the ids received in the last ``PROBE_WINDOW_S``,
  every ``PROBE_SECONDS``) is not simulated here: its bytes are computed
  and reported beside (``probe_per_customer``) and in ``customers_with_probes``.
  Not run unless asked for (``--policies``);
- ``feed`` (the offer feed, issue 20; not run unless asked for): as
  ``quiet`` (no intents topic, the same probe), but a customer follows no
  offer bucket at all and its intents' keys fall in any bucket (each
  intent's author is drawn among all customers). Each customer keeps a
  stream open to one carrier, a relay (its dialled relay with
  ``--dial-relay``, else one drawn for it, which it dials): when the relay
  first accepts a sealed offer, on any path, it pushes the envelope to
  every customer attached to it, one frame each
  (:meth:`~simulations.base.NetworkBase.send_feed`: the envelope and a
  sync frame's framing, counted in both nodes' bytes). The customer takes
  it through its pipeline and keeps it; it forwards nothing.

For ``quiet`` and ``feed``, ``offer_delay_ms``: the time from an offer's
publication by its vendor to its acceptance by its intent's customer.

No policy here sends intents down a stem (every author publishes by
gossip): the stem's hops are the same few per intent in all of them.

Reports bytes sent plus received per node (gossip, control, IHAVE,
sync), per role, scaled to an hour at the run's intent rate.
"""

from __future__ import annotations

import argparse
import hashlib
import random
from typing import Any

from intentcast.peer import topics as topics_module
from intentcast.peer.stem import QUIET_PROBE_SECONDS, QUIET_PROBE_WINDOW
from intentcast.protocol import Kind, derive_vendor_keys
from intentcast.protocol.vocab import CATEGORIES as ALL_CATEGORIES

from ..base import SYNC_FRAME_OVERHEAD, SYNC_ID_BYTES, VIA_NAMES
from ..messages import SimMessage, WorkCache
from ..network import Network
from ..params import EPOCH, bucket_topic, intent_topic, offer_topic
from ..stats import ms, percentile
from . import (
    Result,
    Scenario,
    add_network_arguments,
    fraction,
    random_dials_of,
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
from .propagation import add_publish_arguments, traffic

NAME = "follow-cost"
POLICIES = ("own", "all", "buckets")
#: Every policy ``--policies`` takes; the default runs :data:`POLICIES`.
CHOICES = (*POLICIES, "quiet", "feed")
#: The policies that send sealed offers on the offer bucket topics.
BUCKETED = ("buckets", "quiet", "feed")
#: The policies whose customers follow no intents topic (and probe).
QUIET = ("quiet", "feed")
#: A quiet customer's probe (``simulations/stem.py``): its period and window.
PROBE_SECONDS = QUIET_PROBE_SECONDS
PROBE_WINDOW_S = QUIET_PROBE_WINDOW


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser, nodes=1_000)
    add_publish_arguments(parser)
    parser.set_defaults(rate=1.0, drain=15.0, intents=200)
    g = parser.add_argument_group("follow-cost")
    g.add_argument("--vendors", type=int, default=40, metavar="V", help="vendor nodes (40)")
    g.add_argument(
        "--relays", type=fraction, default=0.1, metavar="FRACTION", help="relay share (0.1)"
    )
    g.add_argument(
        "--policies",
        type=_policies,
        default=POLICIES,
        metavar="P,P,...",
        help="subscription policies to run (default own,all,buckets; also quiet, feed)",
    )
    g.add_argument(
        "--buckets", type=int, default=topics_module.BUCKETS, help="offer buckets (%(default)s)"
    )
    g.add_argument(
        "--followed",
        type=int,
        default=topics_module.FOLLOWED_BUCKETS,
        help="buckets a customer follows (%(default)s)",
    )
    g.add_argument(
        "--dial-relay",
        action="store_true",
        help="every customer and vendor also dials one relay (as the node's bootstrap does)",
    )
    g.add_argument(
        "--relay-dials",
        type=int,
        default=0,
        metavar="K",
        help="every relay also dials K other relays (default 0); without, a relay may have no "
        "vendor or relay among its peers and hear no offer (the feed's carriers need them)",
    )
    g.add_argument("--vendor-ms", type=float, default=10.0, help=argparse.SUPPRESS)
    g.add_argument("--rated", type=float, default=0.7, help=argparse.SUPPRESS)


def _policies(text: str) -> tuple[str, ...]:
    chosen = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in chosen if p not in CHOICES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"policies are {', '.join(CHOICES)}; got {text!r}")
    return chosen


def _run(args: argparse.Namespace, work: WorkCache, policy: str) -> dict[str, Any]:
    buckets = args.buckets
    if not 1 <= args.followed <= buckets <= topics_module.BUCKETS:
        raise ValueError(f"need 1 <= --followed <= --buckets <= {topics_module.BUCKETS}")
    offer_topics = (
        [bucket_topic(k) for k in range(buckets)]
        if policy in BUCKETED
        else [offer_topic(c) for c in ALL_CATEGORIES]
    )
    topics = [*(intent_topic(c) for c in ALL_CATEGORIES), *offer_topics]
    intent_count = len(ALL_CATEGORIES)
    everything = list(range(len(topics)))
    pick = random.Random(f"follow-cost/{args.seed}")
    n = args.nodes
    order = list(range(n))
    pick.shuffle(order)
    vendor_nodes = sorted(order[: args.vendors])
    relay_nodes = set(order[args.vendors : args.vendors + round(args.relays * n)])
    customer_nodes = sorted(set(order) - set(vendor_nodes) - relay_nodes)
    categories = {v: CATEGORIES[k % 2] for k, v in enumerate(vendor_nodes)}
    # Each customer's buckets, drawn once (from a generator of their own, so
    # the other policies' draws stay as they were).
    draw = random.Random(f"follow-cost/{args.seed}/buckets")
    bucket_sets = {v: sorted(draw.sample(range(buckets), args.followed)) for v in customer_nodes}
    holders = {b: [v for v in customer_nodes if b in bucket_sets[v]] for b in range(buckets)}
    schedule = []
    posted: dict[int, set[str]] = {}
    for i in range(args.intents):
        at = args.warmup + i / args.rate
        intent, keys = market_intent(i, EPOCH + int(at))
        # Drawn in every policy, so that the later draws (the vendors'
        # catalogs and ratings) are the same in all three.
        who = customer_nodes[pick.randrange(len(customer_nodes))]
        if policy in ("buckets", "quiet"):  # the feed: any customer, any key
            eligible = holders[topics_module.bucket(keys.intent_key, buckets)]
            who = eligible[draw.randrange(len(eligible))]
        posted.setdefault(who, set()).add(intent.category[0])
        schedule.append((at, intent, keys, who))
    subs: list[list[int]] = []
    intent_topics = list(range(intent_count))
    for v in range(n):
        if policy == "all" or v in relay_nodes:
            subs.append(everything)
        elif policy in BUCKETED and v in categories:
            subs.append(everything)  # every intent topic and every bucket
        elif policy == "buckets":
            subs.append([*intent_topics, *(intent_count + b for b in bucket_sets[v])])
        elif policy == "quiet":
            subs.append([intent_count + b for b in bucket_sets[v]])
        elif policy == "feed":
            subs.append([])  # nothing: its offers come by its feed
        elif v in categories:
            subs.append([topics.index(intent_topic(categories[v]))])
        else:
            subs.append(sorted(topics.index(offer_topic(c)) for c in posted.get(v, ())))
    dials = random_dials_of(args)
    relays = sorted(relay_nodes)
    linked = {(min(a, b), max(a, b)) for a, b in dials}
    #: The feed's carrier of each customer.
    carrier: dict[int, int] = {}
    if args.dial_relay:
        # Every customer and vendor also dials one relay, as the node's
        # bootstrap list makes it do (a relay follows every bucket).
        for v in sorted(set(range(n)) - relay_nodes):
            r = relays[draw.randrange(len(relays))]
            carrier[v] = r
            if (min(v, r), max(v, r)) not in linked:
                dials.append((v, r))
    if args.relay_dials:
        # Relays dial each other (a generator of their own: the other draws stay).
        among = random.Random(f"follow-cost/{args.seed}/relay-dials")
        for r in relays:
            for o in among.sample(
                [x for x in relays if x != r], min(args.relay_dials, len(relays) - 1)
            ):
                if (min(r, o), max(r, o)) not in linked:
                    dials.append((r, o))
                    linked.add((min(r, o), max(r, o)))
    if policy == "feed":
        if not relays:
            raise ValueError("the feed needs relays (--relays > 0): they carry it")
        for v in customer_nodes:
            if v not in carrier:
                # No relay dialled: the customer dials one for its feed.
                carrier[v] = relays[draw.randrange(len(relays))]
                if (min(v, carrier[v]), max(v, carrier[v])) not in linked:
                    dials.append((v, carrier[v]))
    net = random_network(args, topics=topics, subscriptions=subs, dials=dials)
    market = Market(net, args, work)
    if policy in BUCKETED:
        market.offer_topic_of = lambda i: bucket_topic(topics_module.bucket(i.signer, buckets))
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
    delays: list[float] = []
    via: dict[str, int] = {}
    fed = [0]
    if policy in QUIET:
        fed_by = {v: carrier[v] for v in customer_nodes} if policy == "feed" else {}
        _watch_offers(net, market, fed_by, delays, via, fed)
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

    out: dict[str, Any] = {
        "bytes_per_node_per_hour": per_hour(list(range(n))),
        "customers": per_hour(customer_nodes),
        "vendors": per_hour(vendor_nodes),
        "relays": per_hour(sorted(relay_nodes)),
        "offers_made": sum(market.made.values()),
        "offers_received": offers_in,
        "seconds": end,
    }
    if policy in QUIET:
        out["offer_delay_ms"] = {
            "p50": ms(percentile(delays, 50)),
            "p99": ms(percentile(delays, 99)),
        }
        out["own_offers_via"] = dict(sorted(via.items()))
        out["offer_topics_per_customer"] = max(
            (sum(t >= intent_count for t in subs[v]) for v in customer_nodes), default=0
        )
        if policy == "feed":
            out["feed_per_customer"] = float(round(fed[0] / max(1, len(customer_nodes)) * hour))
            out["feed_per_relay"] = float(round(fed[0] / max(1, len(relay_nodes)) * hour))
        # Per probe: a hello naming every intents topic, and the ids the
        # follower received in the window at the run's rate; both ways.
        hello = SYNC_FRAME_OVERHEAD + sum(len(intent_topic(c)) for c in ALL_CATEGORIES)
        answer = SYNC_FRAME_OVERHEAD + round(PROBE_WINDOW_S * args.rate) * SYNC_ID_BYTES
        probe = float(round(3600.0 / PROBE_SECONDS * (hello + answer)))
        out["probe_per_customer"] = probe
        out["customers_with_probes"] = out["customers"] + probe
        out["bytes_per_node_per_hour_with_probes"] = float(
            round(out["bytes_per_node_per_hour"] + probe * len(customer_nodes) / n)
        )
    return out


def _watch_offers(  # noqa: PLR0917  (one call site)
    net: Network,
    market: Market,
    carrier: dict[int, int],
    delays: list[float],
    via: dict[str, int],
    fed: list[int],
) -> None:
    """Around the market's accept hook: record each offer's delay from its
    publication to its intent's customer (into ``delays``) and the path it
    came by (``via``); and make each carrier (``carrier``: each fed
    customer's) push every sealed offer it first accepts to the customers
    attached to it, counting the bytes in ``fed[0]``."""
    attached: dict[int, list[int]] = {}
    for v, r in sorted(carrier.items()):
        attached.setdefault(r, []).append(v)
    market_accept = net.on_accept
    assert market_accept is not None
    by_intent = market.customers

    def on_accept(v: int, msg: SimMessage, done: float) -> None:
        market_accept(v, msg, done)
        signed = msg.signed
        if signed is None or signed.kind is not Kind.SEALED_OFFER:
            return
        for c in attached.get(v, ()):
            if net.send_feed(v, c, msg, done):
                fed[0] += msg.size + SYNC_FRAME_OVERHEAD
        customer = by_intent.get(signed.message.intent_id)
        if customer is not None and customer.node == v:
            delays.append(done - msg.published)
            assert msg.via is not None
            path = VIA_NAMES[msg.via[v]]
            via[path] = via.get(path, 0) + 1

    net.on_accept = on_accept


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    results = {p: _run(args, work, p) for p in args.policies}
    own = results["own"]["bytes_per_node_per_hour"] if "own" in results else None
    ratios = {
        f"ratio_{p}_to_own": round(r["bytes_per_node_per_hour"] / max(1, own), 2)
        for p, r in results.items()
        if own is not None and p != "own"
    }
    return {
        "scenario": NAME,
        "config": {
            "nodes": args.nodes,
            "degree": args.degree,
            **traffic(args),
            "vendors": args.vendors,
            "relays": args.relays,
            "seed": args.seed,
            "buckets": args.buckets,
            "followed": args.followed,
            "dial_relay": args.dial_relay,
            **({"relay_dials": args.relay_dials} if args.relay_dials else {}),
        },
        "results": {**results, **ratios},
    }


def plot(result: Result, path: str) -> None:
    from ..plots import bars

    r = result["results"]
    roles = ["bytes_per_node_per_hour", "customers", "vendors", "relays"]
    bars(
        ["all nodes", "customers", "vendors", "relays"],
        {p: [r[p][k] / 1e6 for k in roles] for p in CHOICES if p in r},
        ylabel="MB per node per hour",
        path=path,
        title="following own topics, every topic, or offer buckets",
    )


SCENARIO = Scenario(
    NAME, "bytes per node per hour: following own topics vs every topic", __doc__ or "",
    add_arguments, run, plot,
)  # fmt: skip

__all__ = ["SCENARIO"]
