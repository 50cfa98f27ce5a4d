"""reputation: the market with dishonest vendors, with and without ratings
(issue 21), and what the attacks on the figure cost.

**Outcome.** The market's vendors (``market``: the example catalogs varied
per vendor, the catalog bot's ``catalog_offers``, at most 3 offers per
intent) and its customers' intents (``market_intent``), one intent after
another over simulated days. A share (``--dishonest``, 10 %) of the
vendors is dishonest, in turn: one that confirms and does not deliver,
one that delivers worse than described (its customers rate them 0-1 and
1-2.5 stars), one that never answers an accept (no receipt, so no
rating: only the customer's own record counts it). Honest vendors are
rated around their own quality (4.0-4.9). The customer ranks every
offer with ``rank_offers`` and accepts its #1 (the next one if the vendor
leaves the accept unanswered for a day, at most 3 tries), and rates the
deal a day or two after the promised delivery.

Each run is done three times on the same vendors and intents:
``without`` (the node before issue 21: ``reputation={}``, every vendor at
3.00), ``with`` (the figure from every verified rating so far,
``summarise``, plus each customer's own record of unanswered and
declined accepts), and ``with_pumping`` (as ``with``, while every
dishonest vendor also fakes ``--pump`` 5-star deals with itself per 30
days, at real times: what a node that was online sees; their proof of
work is reported). Reported after the warm-up (``--warmup`` deals per
vendor on average): the share of accepts, and of deals, that went to
dishonest vendors.

**Attacks** (``reputation_attacks``): self-dealing from 3.0 to 4.5 stars
and a competitor's bad ratings from 4.9 to below 3.0, priced under every
weighting (each defence alone, all, none).
"""

from __future__ import annotations

import argparse
import hashlib
import random
from dataclasses import dataclass, field, replace
from typing import Any, Final

from intentcast.matching import (
    Catalog,
    OwnRecord,
    RatingSummary,
    VerifiedRating,
    bayesian_rating,
    rank_offers,
    summarise,
)
from intentcast.matching.reputation import (
    BURST_FREE,
    BURST_WINDOW,
    HALF_LIFE,
    NO_RATINGS,
    Weighting,
    with_own_record,
)
from intentcast.peer.vendor import OFFERS_PER_INTENT, catalog_offers
from intentcast.protocol import (
    Intent,
    NetworkParams,
    Offer,
    Signed,
    VendorKeys,
    derive_vendor_keys,
    sign,
)
from intentcast.protocol.fields import DAY

from ..messages import WorkCache
from ..params import EPOCH
from ..stats import ratio
from . import (
    Result,
    Scenario,
    fraction,
    non_negative_int,
    option,
    positive_float,
    positive_int,
)
from .market import CATEGORIES, base_catalogs, market_intent, vendor_catalog
from .reputation_attacks import HASH_SECONDS, attack_costs, deal_hashes

NAME = "reputation"
NO_WORK: Final = NetworkParams(pow_bits={})
#: What dishonest vendors do, in turn.
KINDS: Final = ("no-delivery", "worse-than-described", "never-answers")
#: How long a customer waits for an answer to its accept before trying the next offer.
ANSWER_WAIT: Final = DAY
TRIES: Final = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("reputation")
    option(g, "--vendors", positive_int, 60, "V", "vendors, half phone shops, half bike shops")
    option(g, "--dishonest", fraction, 0.1, "FRACTION", "share of dishonest vendors")
    option(
        g, "--lure", positive_float, 1.0, "F", "dishonest vendors' prices, times an honest one's"
    )
    option(g, "--customers", positive_int, 100, "C", "customer nodes (each keeps its own record)")
    option(g, "--intents", positive_int, 1_200, "N", "intents, one after another")
    option(g, "--per-day", positive_int, 20, "N", "intents per simulated day")
    option(g, "--warmup", positive_int, 3, "DEALS", "deals per vendor before counting")
    option(g, "--pump", non_negative_int, 8, "N", "fake deals per dishonest vendor per 30 days")
    option(g, "--half-life-days", non_negative_int, HALF_LIFE // DAY, "D", "the figure's half-life")
    option(g, "--burst-days", non_negative_int, BURST_WINDOW // DAY, "D", "burst damping's window")
    option(g, "--burst-free", non_negative_int, BURST_FREE, "N", "full-weight ratings per burst")
    option(g, "--complaint-weight", positive_int, 1, "N", "weight of a rating below 3 stars")
    g.add_argument(
        "--public-silence",
        action="store_true",
        help="add a run in which every customer counts every unanswered accept "
        "(a public unanswered-accept message, not in the protocol)",
    )
    g.add_argument("--no-attacks", action="store_true", help="skip pricing the attacks")


def weighting_of(args: argparse.Namespace) -> Weighting:
    """The figure's weighting from the options (the node's by default)."""
    return Weighting(
        half_life=args.half_life_days * DAY,
        burst_window=args.burst_days * DAY,
        burst_free=args.burst_free,
        complaint_weight=args.complaint_weight,
    )


@dataclass(slots=True)
class Vendor:
    keys: VendorKeys
    catalog: Catalog
    category: str
    #: Mean stars its honest customers give (hundredths), or its dishonest kind.
    quality: int
    kind: str | None


@dataclass(slots=True)
class World:
    """Everything the three runs share: vendors, intents, their offers."""

    vendors: dict[bytes, Vendor]
    intents: list[tuple[Signed[Intent], int, int]]  # (intent, customer, time)
    offers: list[list[Signed[Offer]]]


@dataclass(slots=True)
class Run:
    ratings: list[VerifiedRating] = field(default_factory=list)
    own: list[dict[bytes, OwnRecord]] = field(default_factory=list)
    accepts: int = 0
    accepts_dishonest: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    deals: int = 0
    deals_dishonest: int = 0
    fake_deals: int = 0


def build(args: argparse.Namespace) -> World:
    rng = random.Random(f"reputation/{args.seed}")
    bases = base_catalogs()
    n_bad = round(args.vendors * args.dishonest)
    bad = set(rng.sample(range(args.vendors), n_bad))
    vendors: dict[bytes, Vendor] = {}
    for k in range(args.vendors):
        category = CATEGORIES[k % 2]
        keys = derive_vendor_keys(hashlib.blake2b(b"reputation vendor %d" % k).digest()[:32])
        kind = KINDS[len([b for b in bad if b < k]) % len(KINDS)] if k in bad else None
        catalog = vendor_catalog(bases[category], k, rng)
        vendors[keys.vendor_key] = Vendor(
            keys,
            catalog if kind is None else priced(catalog, args.lure),
            category,
            rng.randint(400, 490),
            kind,
        )
    intents = []
    offers = []
    for i in range(args.intents):
        at = EPOCH + i * DAY // args.per_day
        intent, ikeys = market_intent(i, at)
        signed = sign(intent, ikeys.signing, params=NO_WORK)
        intents.append((signed, rng.randrange(args.customers), at))
        got = []
        for v in vendors.values():
            if v.category != intent.category[0]:
                continue
            for draft in catalog_offers(
                signed, v.catalog, now=at, rating=None, limit=OFFERS_PER_INTENT
            ):
                offer = draft.to_offer(vendor_key=v.keys.vendor_key, reply_key=v.keys.reply_public)
                got.append(sign(offer, v.keys.signing, params=NO_WORK))
        offers.append(got)
    return World(vendors, intents, offers)


def priced(catalog: Catalog, factor: float) -> Catalog:
    """``catalog`` with every price (list, tiers, floor) times ``factor``."""
    if factor == 1.0:
        return catalog

    def times(cents: int) -> int:
        return max(1, round(cents * factor))

    items = tuple(
        replace(
            item,
            price=times(item.price),
            tiers=tuple(replace(t, unit_price=times(t.unit_price)) for t in item.tiers),
            floor=None if item.floor is None else times(item.floor),
        )
        for item in catalog.items
    )
    return replace(catalog, items=items)


def stars(rng: random.Random, v: Vendor) -> int:
    """What an honest customer rates a deal with ``v``, in half stars."""
    if v.kind == "no-delivery":
        mean = 50
    elif v.kind == "worse-than-described":
        mean = 170
    else:
        mean = v.quality
    return min(500, max(0, round(rng.gauss(mean, 50) / 50) * 50))


def simulate(world: World, args: argparse.Namespace, mode: str) -> dict[str, Any]:
    """One run: ``mode`` is without, with, with_pumping or
    with_pumping_public_silence (unanswered accepts counted for everyone:
    what a public, answerable unanswered-accept message would give)."""
    rng = random.Random(f"reputation/{args.seed}/ratings")
    weighting = weighting_of(args)
    run = Run(own=[{} for _ in range(args.customers)])
    warmup = args.warmup * len(world.vendors)
    dishonest = [key for key, v in world.vendors.items() if v.kind is not None]
    pumping = mode.startswith("with_pumping")
    pump_every = 30 * DAY // args.pump if args.pump and pumping else 0
    pumped_until = EPOCH
    reps: dict[bytes, RatingSummary] = {}
    seen = -1
    for i, ((intent, who, at), offers) in enumerate(zip(world.intents, world.offers, strict=True)):
        if pump_every:
            while pumped_until + pump_every <= at:
                pumped_until += pump_every
                for key in dishonest:
                    deal = hashlib.blake2b(key + pumped_until.to_bytes(8, "big")).digest()[:16]
                    run.ratings.append(VerifiedRating(
                        vendor=key, deal=deal, stars=500, rated=pumped_until,
                        confirmed=pumped_until - 3 * DAY,
                    ))  # fmt: skip
                    run.fake_deals += 1
        if mode != "without" and len(run.ratings) != seen:
            seen = len(run.ratings)
            reps = summarise(run.ratings, now=at, weighting=weighting)
        own = run.own[0 if mode == "with_pumping_public_silence" else who]
        now = at
        tried: set[bytes] = set()  # vendors this intent's accepts went unanswered by
        for _ in range(TRIES):
            if mode == "without":
                view: dict[bytes, RatingSummary] = {}
            else:
                view = dict(reps)
                for key, record in own.items():
                    view[key] = with_own_record(reps.get(key, NO_RATINGS), record)
            left = [o for o in offers if o.message.vendor_key not in tried]
            ranking = rank_offers(intent, left, now=now, reputation=view)
            if not ranking.ranked:
                break
            top = ranking.ranked[0].offer
            vendor = world.vendors[top.message.vendor_key]
            counted = i >= warmup
            run.accepts += counted
            run.accepts_dishonest += counted and vendor.kind is not None
            if counted and vendor.kind is not None:
                run.by_kind[vendor.kind] += 1
            if vendor.kind == "never-answers":
                record = own.get(top.message.vendor_key, OwnRecord())
                own[top.message.vendor_key] = OwnRecord(record.unanswered + 1, record.declined)
                tried.add(top.message.vendor_key)
                now += ANSWER_WAIT
                continue
            run.deals += counted
            run.deals_dishonest += counted and vendor.kind is not None
            rated = max(top.message.deliver_by, now) + rng.randint(DAY, 2 * DAY)
            run.ratings.append(VerifiedRating(
                vendor=vendor.keys.vendor_key, deal=top.id, stars=stars(rng, vendor),
                rated=rated, confirmed=now,
            ))  # fmt: skip
            break
    end = world.intents[-1][2]
    final = summarise(run.ratings, now=end, weighting=weighting)
    figure = {
        kind: round(
            sum(bayesian_rating(final.get(k, NO_RATINGS)) for k in keys)
            / len(keys) / 100, 2,
        ) if keys else None
        for kind, keys in {
            "honest": [k for k, v in world.vendors.items() if v.kind is None],
            **{kd: [k for k, v in world.vendors.items() if v.kind == kd] for kd in KINDS},
        }.items()
    }  # fmt: skip
    out: dict[str, Any] = {
        "accepts": run.accepts,
        "dishonest_accepts": run.accepts_dishonest,
        "accepts_to_dishonest": ratio(run.accepts_dishonest, run.accepts),
        "accepts_to_dishonest_by_kind": run.by_kind,
        "deals": run.deals,
        "dishonest_deals": run.deals_dishonest,
        "deals_to_dishonest": ratio(run.deals_dishonest, run.deals),
        "mean_figure_at_end": figure if mode != "without" else None,
    }
    if pumping:
        per_deal = sum(deal_hashes().values())
        out["fake_deals"] = run.fake_deals
        out["fake_deals_pow_core_seconds"] = round(run.fake_deals * per_deal * HASH_SECONDS, 1)
    return out


def run(args: argparse.Namespace, work: WorkCache) -> Result:
    del work  # no gossip here: intents and offers are signed without work
    world = build(args)
    n_bad = sum(v.kind is not None for v in world.vendors.values())
    modes = ["without", "with", "with_pumping"]
    if args.public_silence:
        modes.append("with_pumping_public_silence")
    outcome = {mode: simulate(world, args, mode) for mode in modes}
    without = outcome["without"]["accepts_to_dishonest"]
    with_ = outcome["with"]["accepts_to_dishonest"]
    results: dict[str, Any] = {
        "outcome": outcome,
        "accepts_to_dishonest_with_over_without": ratio(with_ or 0, without or 0, 3),
    }
    if not args.no_attacks:
        results["attacks"] = attack_costs(weighting_of(args))
    return {
        "scenario": NAME,
        "config": {
            "vendors": args.vendors,
            "dishonest": n_bad,
            "lure": args.lure,
            "customers": args.customers,
            "intents": args.intents,
            "per_day": args.per_day,
            "warmup_intents": args.warmup * args.vendors,
            "pump_per_30_days": args.pump,
            "half_life_days": args.half_life_days,
            "burst_days": args.burst_days,
            "burst_free": args.burst_free,
            "seed": args.seed,
        },
        "results": results,
    }


def plot(result: Result, path: str) -> None:
    from ..plots import bars

    o = result["results"]["outcome"]
    modes = ["without", "with", "with_pumping"]
    bars(
        ["accepts", "deals"],
        {
            m: [100 * (o[m]["accepts_to_dishonest"] or 0), 100 * (o[m]["deals_to_dishonest"] or 0)]
            for m in modes
        },
        ylabel="% to dishonest vendors",
        path=path,
        title="Dishonest vendors' share, without and with reputation",
    )


SCENARIO = Scenario(
    NAME,
    "dishonest vendors' share of deals with and without reputation; attacks priced",
    __doc__ or "",
    add_arguments,
    run,
    plot,
)
