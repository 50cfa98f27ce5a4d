"""Customer side: rank offers against the customer's terms and preferences.

Every offer either breaks a hard constraint (it is rejected, with each
broken constraint named; see :mod:`.constraints`) or gets a soft score of
0-100 from the intent's preference weights, with a per-criterion breakdown
that sums to the score. Rules and formula: ``docs/matching.md``.

This runs once per received offer on the customer's node, next to a
signature verification that costs far more; the loop is written to stay
negligible next to it (``python -m benchmarks rank``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Final

from intentcast.protocol import Intent, Offer, Signed
from intentcast.protocol.fields import DAY, MAX_RATING
from intentcast.protocol.vocab import KNOWN_CUSTOMER_TERMS

from .attributes import attribute_matches
from .constraints import NAME_YOUR_PRICE, Violation, find_violations, ships_to_region
from .reputation import NO_RATINGS, Reputation, bayesian_rating, meets_minimum

#: Delivery horizon for the speed score when the intent sets no deadline.
DEFAULT_HORIZON: Final = 30 * DAY
#: Smoothing of the relative speed score: one day, so "today vs tomorrow"
#: is not scored like "one day vs a month".
SPEED_SMOOTHING: Final = DAY


@dataclass(frozen=True, kw_only=True, slots=True)
class Breakdown:
    """Points per preference criterion. For a ranked offer they sum to its
    score; as :attr:`RankedOffer.out_of` they are each criterion's maximum
    (its share of 100 by the intent's weights)."""

    price: float
    speed: float
    reputation: float
    terms: float
    attributes: float

    def as_dict(self) -> dict[str, float]:
        """Criterion name to points, in the protocol's criterion order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def total(self) -> float:
        """The sum of the points, added in criterion order (this is exactly
        how a ranked offer's score is computed)."""
        return self.price + self.speed + self.reputation + self.terms + self.attributes


@dataclass(frozen=True, kw_only=True, slots=True)
class RankedOffer:
    """An acceptable offer, its place and its score."""

    #: 1 for the best offer.
    rank: int
    offer: Signed[Offer]
    #: 0-100; equals ``breakdown.total``.
    score: float
    breakdown: Breakdown
    #: Maximum points of each criterion under the intent's weights.
    out_of: Breakdown
    #: What the customer pays at least: the price, or the name-your-price
    #: floor when both sides take name-your-price.
    price: int
    #: The vendor's Bayesian rating, hundredths of a star.
    rating: float


@dataclass(frozen=True, kw_only=True, slots=True)
class RejectedOffer:
    """An offer that breaks at least one hard constraint, with all of them."""

    offer: Signed[Offer]
    violations: tuple[Violation, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Ranking:
    """The result of :func:`rank_offers`: ranked best first, rejected in
    offer-id order. Both orders are independent of the input order."""

    ranked: tuple[RankedOffer, ...]
    rejected: tuple[RejectedOffer, ...]


def weight_shares(intent: Intent) -> Breakdown:
    """Each criterion's maximum points: its weight's share of 100."""
    p = intent.preferences
    total = p.price + p.speed + p.reputation + p.terms + p.attributes
    return Breakdown(
        price=100 * p.price / total,
        speed=100 * p.speed / total,
        reputation=100 * p.reputation / total,
        terms=100 * p.terms / total,
        attributes=100 * p.attributes / total,
    )


def rank_offers(
    intent: Signed[Intent],
    offers: Iterable[Signed[Offer]],
    *,
    now: int,
    reputation: Reputation,
    earlier_revisions: Iterable[Signed[Intent]] = (),
) -> Ranking:
    """Rank ``offers`` for ``intent`` (its current revision) at time ``now``.

    ``reputation`` maps vendor keys to their ratings (vendors not in it have
    none). ``earlier_revisions`` only improves the wording of a rejection
    for an offer that answers an older revision. An offer given twice (same
    message id) counts once.

    Ties in score break by lower price, then earlier delivery, then offer
    id, so the order is total and deterministic.
    """
    i = intent.message
    t = i.terms
    intent_id = intent.id
    quantity = i.quantity
    currency = t.currency
    deadline = t.deliver_by
    max_price = t.max_price
    region = t.region
    required = t.customer_terms
    min_rating = t.min_rating
    customer_modes = frozenset(t.payment_modes)
    customer_nyp = NAME_YOUR_PRICE in customer_modes
    extra_terms = frozenset(KNOWN_CUSTOMER_TERMS).difference(required)
    wanted = tuple(i.attributes.items())

    # Caches: vendors repeat their ships-to lists, terms and payment modes.
    region_ok: dict[tuple[str, ...], bool] = {}
    terms_seen: dict[tuple[str, ...], tuple[bool, float]] = {}
    modes_seen: dict[tuple[str, ...], tuple[bool, bool]] = {}
    vendor_seen: dict[bytes, tuple[bool, float]] = {}

    seen: set[bytes] = set()
    rejected: list[RejectedOffer] = []
    # (offer, effective price, lead time, rating, terms value, attributes value)
    fit: list[tuple[Signed[Offer], int, int, float, float, float]] = []
    for signed in offers:
        if signed.id in seen:
            continue
        seen.add(signed.id)
        o = signed.message
        ok = (
            o.intent_id == intent_id
            and o.valid_until > now
            and o.quantity == quantity
            and o.currency == currency
            and (deadline is None or o.deliver_by <= deadline)
        )
        if ok:
            ships = o.ships_to
            covered = region_ok.get(ships)
            if covered is None:
                covered = region_ok[ships] = ships_to_region(ships, region)
            cterms = o.customer_terms
            term_info = terms_seen.get(cterms)
            if term_info is None:
                accepted = frozenset(cterms)
                term_info = terms_seen[cterms] = (
                    accepted.issuperset(required),
                    len(extra_terms & accepted) / len(extra_terms) if extra_terms else 1.0,
                )
            modes = o.payment_modes
            mode_info = modes_seen.get(modes)
            if mode_info is None:
                mode_info = modes_seen[modes] = (
                    not customer_modes.isdisjoint(modes),
                    customer_nyp and NAME_YOUR_PRICE in modes,
                )
            floor = o.price_floor
            price = floor if mode_info[1] and floor is not None else o.price
            vendor = vendor_seen.get(o.vendor_key)
            if vendor is None:
                summary = reputation.get(o.vendor_key, NO_RATINGS)
                vendor = vendor_seen[o.vendor_key] = (
                    min_rating == 0 or meets_minimum(summary, min_rating),
                    bayesian_rating(summary),
                )
            ok = covered and term_info[0] and mode_info[0] and price <= max_price and vendor[0]
            rating, terms_value = vendor[1], term_info[1]
        if not ok:
            violations = find_violations(
                intent,
                signed,
                now=now,
                rating=reputation.get(o.vendor_key, NO_RATINGS),
                earlier_revisions=earlier_revisions,
            )
            rejected.append(RejectedOffer(offer=signed, violations=violations))
            continue
        if wanted:
            have = o.item.attributes
            hits = sum(
                1 for name, value in wanted if name in have and attribute_matches(value, have[name])
            )
            attr_value = hits / len(wanted)
        else:
            attr_value = 1.0
        lead = o.deliver_by - now
        fit.append((signed, price, lead if lead > 0 else 0, rating, terms_value, attr_value))

    rejected.sort(key=lambda r: r.offer.id)
    if not fit:
        return Ranking(ranked=(), rejected=tuple(rejected))

    shares = weight_shares(i)
    w_price, w_speed, w_rep, w_terms, w_attrs = (
        shares.price, shares.speed, shares.reputation, shares.terms, shares.attributes
    )  # fmt: skip
    best = min(entry[1] for entry in fit)
    fastest = min(entry[2] for entry in fit) + SPEED_SMOOTHING
    horizon = max((deadline - now) if deadline is not None else DEFAULT_HORIZON, DAY)
    half_price, half_speed = w_price / 2, w_speed / 2
    rep_scale = w_rep / MAX_RATING
    smooth = SPEED_SMOOTHING

    scored: list[tuple[float, int, int, bytes, Signed[Offer], Breakdown, float]] = []
    for signed, price, lead, rating, terms_value, attr_value in fit:
        headroom = (max_price - price) / max_price if max_price else 1.0
        relative = best / price if price else 1.0
        slack = 1.0 - lead / horizon
        breakdown = Breakdown(
            price=half_price * (headroom + relative),
            speed=half_speed * ((slack if slack > 0.0 else 0.0) + fastest / (lead + smooth)),
            reputation=rep_scale * rating,
            terms=w_terms * terms_value,
            attributes=w_attrs * attr_value,
        )
        score = breakdown.total
        scored.append(
            (-score, price, signed.message.deliver_by, signed.id, signed, breakdown, rating)
        )
    scored.sort(key=_sort_key)
    ranked = tuple(
        RankedOffer(
            rank=n,
            offer=entry[4],
            score=-entry[0],
            breakdown=entry[5],
            out_of=shares,
            price=entry[1],
            rating=entry[6],
        )
        for n, entry in enumerate(scored, 1)
    )
    return Ranking(ranked=ranked, rejected=tuple(rejected))


def _sort_key(
    entry: tuple[float, int, int, bytes, Signed[Offer], Breakdown, float],
) -> tuple[float, int, int, bytes]:
    return entry[0], entry[1], entry[2], entry[3]
