"""market: customers post intents, vendors answer from their catalogs,
customers rank the offers they get.

Vendors run the node's catalog bot (``CatalogVendor``): ``match_intent``
on a catalog, at most 3 offers per intent, each signed, sealed to the
intent's reply key (12 bits of work) and published on the category's offer
topic (vendors do not subscribe to it: fanout). Catalogs are the two
example catalogs (``examples/catalogs``), parsed by the real parser, then
varied per vendor (prices x0.8-1.25, delivery days, terms, payment modes);
each vendor has a deal-backed rating. A vendor answers a fresh intent
after its own work (``--vendor-ms`` per offer: matching, signing, minting).

Every other node relays everything; the customer of an intent is one of
them. It opens each sealed offer for its intent with the intent's reply key
(``open_offer``), keeps at most 50 by unit price, and at the end ranks them
with ``rank_offers``. Reported: offers per intent, time to the first and to
the best offer, and the customer's outcome with the ranking (its #1)
against picking an offer at random.
"""

from __future__ import annotations

import argparse
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from intentcast.matching import (
    Catalog,
    PriceTier,
    RatingSummary,
    effective_price,
    parse_catalog,
    rank_offers,
)
from intentcast.peer.customer import keep_offer
from intentcast.peer.vendor import OFFERS_PER_INTENT, catalog_offers
from intentcast.protocol import (
    Action,
    Intent,
    IntentKeys,
    Kind,
    Offer,
    Preferences,
    Signed,
    Terms,
    VendorKeys,
    derive_intent_keys,
    derive_vendor_keys,
    open_offer,
    sign,
)
from intentcast.protocol.fields import DAY

from ..messages import SimMessage, WorkCache
from ..network import Network
from ..params import EPOCH, intent_topic, offer_topic
from ..stats import latency_summary, ratio, spread
from . import (
    Result,
    Scenario,
    add_network_arguments,
    fraction,
    network_config,
    non_negative_float,
    option,
    positive_int,
    random_network,
)
from .propagation import add_publish_arguments, traffic

NAME = "market"
CATALOGS: Final = Path(__file__).resolve().parents[2] / "examples" / "catalogs"
CATEGORIES: Final = ("electronics", "sports")
MARKET_SEED: Final = hashlib.blake2b(b"intentcast simulations: market", digest_size=32).digest()
#: The node's catalog bot sends at most this many offers per intent.

#: What customers ask for: (category path, title, attributes, typical total price).
WANTS: Final[tuple[tuple[tuple[str, ...], str, dict[str, Any], int], ...]] = (
    (("electronics", "phones"), "Pixel 8", {}, 54_900),
    (("electronics", "phones"), "Pixel 8 256 GB", {"storage_gb": (256, 512)}, 49_000),
    (("electronics", "phones"), "iPhone 15", {}, 79_900),
    (("electronics", "accessories"), "Pixel 8 case", {}, 2_900),
    (("electronics", "accessories"), "USB-C charger", {}, 1_900),
    (("sports", "cycling", "bikes"), "road bike", {"frame_cm": (54, 58)}, 64_000),
    (("sports", "cycling", "bikes"), "city bike", {}, 28_000),
)
TERMS: Final = ("cc:no-tracking", "cc:no-resale", "cc:delete-after-deal", "cc:no-marketing")
MODES: Final = ("prepay", "pay-on-delivery", "pay-after-delivery", "escrow", "name-your-price")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network_arguments(parser, nodes=1_000)
    add_publish_arguments(parser)
    parser.set_defaults(rate=2.0, drain=15.0)
    g = parser.add_argument_group("market")
    option(g, "--vendors", positive_int, 40, "V", "vendor nodes, half phone shops, half bike shops")
    option(
        g,
        "--vendor-ms",
        non_negative_float,
        10.0,
        "MS",
        "a vendor's work per offer: match, sign, mint 12 bits",
    )
    option(g, "--rated", fraction, 0.7, "FRACTION", "share of vendors with a deal-backed rating")


# --- vendors ------------------------------------------------------------------


@dataclass(slots=True)
class Vendor:
    node: int
    keys: VendorKeys
    catalog: Catalog
    rating: RatingSummary
    category: str
    answered: set[int] = field(default_factory=set)


def base_catalogs() -> dict[str, Catalog]:
    """The example catalogs the market's vendors vary, by top-level category."""
    return {
        "electronics": parse_catalog(
            (CATALOGS / "kiez-phones.toml").read_text(), source="kiez-phones.toml"
        ),
        "sports": parse_catalog((CATALOGS / "velo-werk.toml").read_text(), source="velo-werk.toml"),
    }


def run_to_end(net: Network, args: argparse.Namespace, work: WorkCache) -> float:
    """Run the scheduled market until its last intent's drain is over,
    keeping the signing cache before and after; returns that end (seconds)."""
    work.save()
    net.start()
    end: float = args.warmup + (args.intents - 1) / args.rate + args.drain
    net.run(end)
    work.save()
    return end


def vendor_catalog(base: Catalog, k: int, rng: random.Random) -> Catalog:
    """Vendor ``k``'s variant of ``base``: its own name, prices, delivery
    times, accepted terms and payment modes."""
    items = []
    for item in base.items:
        f = rng.uniform(0.8, 1.25)
        price = round(item.price * f)
        tiers = tuple(
            PriceTier(min_quantity=t.min_quantity, unit_price=round(t.unit_price * f))
            for t in item.tiers
        )
        floor = None
        if item.floor is not None:
            floor = min(round(item.floor * f), price, *(t.unit_price for t in tiers))
        terms = {t for t in item.customer_terms if rng.random() < 0.8}
        terms |= {t for t in TERMS if rng.random() < 0.3}
        modes = {m for m in item.payment_modes if m != "name-your-price" and rng.random() < 0.7}
        modes |= {m for m in MODES[:4] if rng.random() < 0.3}
        modes = modes or {item.payment_modes[0]}
        if floor is not None:
            modes.add("name-your-price")
        ships = set(item.ships_to)
        if "*" not in ships and rng.random() < 0.5:
            ships.add("u33")  # delivers by hand in its own area
        items.append(
            replace(
                item,
                price=price,
                tiers=tiers,
                floor=floor,
                customer_terms=tuple(sorted(terms)),
                payment_modes=tuple(sorted(modes)),
                ships_to=tuple(sorted(ships)),
                delivery_days=rng.randint(0, 6),
                stock=max(item.stock, rng.randint(1, 5)),
            )
        )
    return replace(base, name=f"{base.name} {k}", items=tuple(items))


def vendor_rating(rng: random.Random, rated: float) -> RatingSummary:
    if rng.random() >= rated:
        return RatingSummary(count=0, total=0)
    count = rng.randint(1, 120)
    mean = rng.uniform(300, 490)
    return RatingSummary(count=count, total=round(mean * count))


# --- customers -------------------------------------------------------------------


def market_intent(i: int, created: int) -> tuple[Intent, IntentKeys]:
    """Customer intent ``i``: what it wants and its terms come from a
    generator of its own (not the run's seed), so the signed intent is the
    same in every run and its proof of work is minted once."""
    rng = random.Random(f"market intent {i}")
    category, title, attributes, typical = WANTS[rng.randrange(len(WANTS))]
    keys = derive_intent_keys(MARKET_SEED, i)
    quantity = 1 if rng.random() < 0.85 else rng.randint(2, 3)
    by = created + rng.randint(2, 10) * DAY if rng.random() < 0.7 else None
    required = tuple(sorted(t for t in TERMS if rng.random() < 0.15))
    modes = tuple(sorted({m for m in MODES if rng.random() < 0.5} | {MODES[rng.randrange(4)]}))
    terms = Terms(
        max_price=round(typical * quantity * rng.uniform(0.85, 1.4)),
        currency="EUR",
        region="DE" if rng.random() < 0.9 else "u33db",
        deliver_by=by,
        customer_terms=required,
        payment_modes=modes,
        min_rating=300 if rng.random() < 0.1 else 0,
    )
    prefs = Preferences(
        price=rng.randint(10, 60),
        speed=rng.randint(0, 40),
        reputation=rng.randint(0, 40),
        terms=rng.randint(0, 20),
        attributes=rng.randint(0, 20),
    )
    intent = Intent(
        category=category,
        title=title,
        terms=terms,
        attributes=attributes,
        quantity=quantity,
        preferences=prefs,
        reply_key=keys.reply_public,
        created=created,
        expires=created + 7 * DAY,
    )
    return intent, keys


@dataclass(slots=True)
class Customer:
    node: int
    keys: IntentKeys
    intent: Signed[Intent]
    message: SimMessage
    offers: dict[bytes, tuple[Signed[Offer], float]] = field(default_factory=dict)
    opened: int = 0


class Market:
    """Vendors answering intents, customers collecting offers."""

    def __init__(self, net: Network, args: argparse.Namespace, work: WorkCache) -> None:
        self.net = net
        self.work = work
        self.vendor_s = args.vendor_ms / 1000
        self.params = net.params.network
        self.vendors: dict[int, Vendor] = {}
        self.customers: dict[bytes, Customer] = {}  # by intent id
        self.made: dict[bytes, int] = {}  # offers made per intent id
        self.by_customer_node: dict[int, list[Customer]] = {}
        #: The topic of the sealed offers to an intent (by default its
        #: category's, as this scenario's nodes follow; ``follow-cost``
        #: also runs the node's offer buckets).
        self.offer_topic_of: Callable[[Signed[Intent]], str] = lambda i: offer_topic(
            i.message.category[0]
        )
        net.on_accept = self._on_accept

    def _on_accept(self, v: int, msg: SimMessage, done: float) -> None:
        signed = msg.signed
        if signed is None:
            return
        vendor = self.vendors.get(v)
        if vendor is not None and signed.kind is Kind.INTENT:
            if signed.message.category[0] == vendor.category and msg.index not in vendor.answered:
                vendor.answered.add(msg.index)
                created = signed.message.created
                fresh = EPOCH + done - created < self.net.params.node.fresh_intent_seconds
                delay = 0.0 if fresh else self.net.params.node.catch_up_delay
                self.net.loop.call_at(done + delay, self._answer, (vendor, msg))
            return
        if signed.kind is Kind.SEALED_OFFER:
            for customer in self.by_customer_node.get(v, ()):
                if customer.intent.id == signed.message.intent_id:
                    self._offer_arrived(customer, signed, done)

    def _answer(self, job: tuple[Vendor, SimMessage]) -> None:
        vendor, msg = job
        intent = msg.signed
        assert intent is not None
        net = self.net
        now = net.loop.now
        drafts = catalog_offers(
            intent, vendor.catalog, now=EPOCH + int(now), rating=vendor.rating,
            limit=OFFERS_PER_INTENT,
        )  # fmt: skip
        topic = net.topic(self.offer_topic_of(intent))
        for k, draft in enumerate(drafts):
            offer = sign(
                draft.to_offer(
                    vendor_key=vendor.keys.vendor_key, reply_key=vendor.keys.reply_public
                ),
                vendor.keys.signing,
            )
            secret = hashlib.blake2b(offer.id + b"/seal", digest_size=64).digest()
            sealed = self.work.seal_offer(
                offer,
                intent,
                created=draft.created,
                ephemeral=secret[:32],
                outer_seed=secret[32:],
                params=self.params,
            )
            sm = net.messages.add(sealed.raw, topic, tag=("offer", vendor.node))
            self.made[intent.id] = self.made.get(intent.id, 0) + 1
            net.loop.call_at(now + (k + 1) * self.vendor_s, self._publish, (vendor.node, sm))

    def _publish(self, job: tuple[int, SimMessage]) -> None:
        self.net.publish(*job)

    def _offer_arrived(self, customer: Customer, sealed: Signed[Any], done: float) -> None:
        verdict = open_offer(sealed, customer.keys.reply, now=EPOCH + int(done), params=self.params)
        if verdict.action is not Action.ACCEPT or verdict.signed is None:
            return
        customer.opened += 1
        offer: Signed[Offer] = verdict.signed
        held = customer.offers
        # The node's decision (CustomerRole._keep_offer): the cheapest per unit.
        keep, evict = keep_offer(
            [o for o, _ in held.values()],
            offer,
            currency=customer.intent.message.terms.currency,
            cap=self.net.params.node.max_offers_per_intent,
        )
        if not keep:
            return
        if evict is not None:
            del held[evict.id]
        held[offer.id] = (offer, done)


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    topics = [*(intent_topic(c) for c in CATEGORIES), *(offer_topic(c) for c in CATEGORIES)]
    pick = random.Random(f"market/{args.seed}")
    n = args.nodes
    if args.vendors >= n:
        raise ValueError(f"--vendors ({args.vendors}) must be fewer than --nodes ({n})")
    vendor_nodes = sorted(pick.sample(range(n), args.vendors))
    vendor_set = set(vendor_nodes)
    subs = []
    categories = {}
    for v in range(n):
        if v in vendor_set:
            categories[v] = CATEGORIES[vendor_nodes.index(v) % 2]
            subs.append([topics.index(intent_topic(categories[v]))])
        else:
            subs.append(list(range(len(topics))))
    net = random_network(args, topics=topics, subscriptions=subs)
    market = Market(net, args, work)
    bases = base_catalogs()
    for k, v in enumerate(vendor_nodes):
        base = bases[categories[v]]
        seed = hashlib.blake2b(b"market vendor %d" % k, digest_size=32).digest()
        market.vendors[v] = Vendor(
            v,
            derive_vendor_keys(seed),
            vendor_catalog(base, k, pick),
            vendor_rating(pick, args.rated),
            categories[v],
        )
    relays = [v for v in range(n) if v not in vendor_set]
    customers: list[Customer] = []
    for i in range(args.intents):
        at = args.warmup + i / args.rate
        intent, keys = market_intent(i, EPOCH + int(at))
        signed = work.sign(intent, keys, net.params.network)
        topic = net.topic(intent_topic(intent.category[0]))
        msg = net.messages.add(signed.raw, topic, tag=("intent", i))
        who = relays[pick.randrange(len(relays))]
        customer = Customer(who, keys, signed, msg)
        customers.append(customer)
        market.customers[signed.id] = customer
        market.by_customer_node.setdefault(who, []).append(customer)
        net.loop.call_at(at, _publish_at(net, who), msg)
    end = run_to_end(net, args, work)
    ratings = {vd.keys.vendor_key: vd.rating for vd in market.vendors.values()}
    return {
        "scenario": NAME,
        "config": {
            **network_config(args, net),
            **traffic(args),
            "vendors": args.vendors,
            "vendor_ms": args.vendor_ms,
            "rated": args.rated,
        },
        "results": outcome(net, market, customers, ratings, end),
    }


def _publish_at(net: Network, who: int) -> Any:
    def publish(msg: SimMessage) -> None:
        net.publish(who, msg)

    return publish


def outcome(
    net: Network,
    market: Market,
    customers: list[Customer],
    ratings: dict[bytes, RatingSummary],
    end: float,
) -> dict[str, Any]:
    """What each customer got, and what ranking did for it."""
    first: list[float] = []
    best: list[float] = []
    made: list[float] = []
    received: list[float] = []
    top_scores: list[float] = []
    random_scores: list[float] = []
    top_price: list[float] = []
    random_price: list[float] = []
    broken = total = none = 0
    now = EPOCH + int(end)
    for c in customers:
        m = market.made.get(c.intent.id, 0)
        made.append(float(m))
        received.append(float(len(c.offers)))
        if not c.offers:
            none += 1
            continue
        times = {oid: t - c.message.published for oid, (_, t) in c.offers.items()}
        first.append(min(times.values()))
        ranking = rank_offers(
            c.intent, [o for o, _ in c.offers.values()], now=now, reputation=ratings
        )
        total += len(c.offers)
        broken += len(ranking.rejected)
        if not ranking.ranked:
            continue
        top = ranking.ranked[0]
        best.append(times[top.offer.id])
        top_scores.append(float(top.score))
        scores = [float(r.score) for r in ranking.ranked] + [0.0] * len(ranking.rejected)
        random_scores.append(sum(scores) / len(scores))
        cap = c.intent.message.terms.max_price or 1
        modes = c.intent.message.terms.payment_modes
        top_price.append(100 * top.price / cap)
        random_price.append(
            100
            * sum(effective_price(o.message, modes) for o, _ in c.offers.values())
            / len(c.offers)
            / cap
        )
    n = len(customers)
    return {
        "intents": n,
        "intents_without_offer": none,
        "offers_made_per_intent": spread(made),
        "offers_received_per_intent": spread(received),
        "offers_delivered": ratio(sum(received), sum(made)),
        "time_to_first_offer": latency_summary(first),
        "time_to_best_offer": latency_summary(best),
        "ranked_first_score": spread(top_scores),
        "random_pick_score": spread(random_scores),
        "ranked_first_price_pct_of_max": spread(top_price),
        "random_pick_price_pct_of_max": spread(random_price),
        "random_pick_breaks_a_hard_term": ratio(broken, total),
        "events": net.loop.events,
    }


def plot(result: Result, path: str) -> None:
    from ..plots import bars

    r = result["results"]
    groups = ["score (0-100)", "price, % of max"]
    series = {
        "ranked #1": [
            r["ranked_first_score"]["mean"] or 0.0,
            r["ranked_first_price_pct_of_max"]["mean"] or 0.0,
        ],
        "random offer": [
            r["random_pick_score"]["mean"] or 0.0,
            r["random_pick_price_pct_of_max"]["mean"] or 0.0,
        ],
    }
    c = result["config"]
    bars(
        groups,
        series,
        ylabel="mean over intents",
        path=path,
        title=f"Market, {c['nodes']:,} nodes, {c['vendors']} vendors: the customer's "
        "ranking vs a random offer",
    )


SCENARIO = Scenario(
    NAME,
    "offers per intent, time to first/best offer, ranking vs random pick",
    __doc__ or "",
    add_arguments,
    run,
    plot,
)
