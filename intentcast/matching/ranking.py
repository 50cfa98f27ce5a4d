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

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, overload

from intentcast.protocol import Intent, Offer, Signed
from intentcast.protocol.fields import DAY, MAX_RATING, MAX_TIME, AttributeValue
from intentcast.protocol.vocab import KNOWN_CUSTOMER_TERMS

from .attributes import AttributeScorer
from .constraints import NAME_YOUR_PRICE, Violation, find_violations, ships_to_region
from .reputation import NO_RATINGS, RatingSummary, Reputation, bayesian_rating, meets_minimum

#: Delivery horizon for the speed score when the intent sets no deadline.
DEFAULT_HORIZON: Final = 30 * DAY
#: Smoothing of the relative speed score: one day, so "today vs tomorrow"
#: is not scored like "one day vs a month".
SPEED_SMOOTHING: Final = DAY


class Breakdown(NamedTuple):
    """Points per preference criterion, in the protocol's criterion order.

    For a ranked offer they sum to its score; as :attr:`RankedOffer.out_of`
    they are each criterion's maximum (its share of 100 by the intent's
    weights). A named tuple rather than a dataclass because one is built
    per ranked offer and must cost next to nothing (see the module doc).
    """

    price: float
    speed: float
    reputation: float
    terms: float
    attributes: float

    def as_dict(self) -> dict[str, float]:
        """Criterion name to points, in criterion order."""
        return dict(zip(self._fields, self, strict=True))

    @property
    def total(self) -> float:
        """The points added in criterion order: exactly how a ranked
        offer's score is computed."""
        return self.price + self.speed + self.reputation + self.terms + self.attributes


class RankedOffer(NamedTuple):
    """An acceptable offer, its place and its score.

    Immutable. A named tuple that keeps its five points inline (and builds
    :attr:`breakdown` on demand) so that ranking allocates one object per
    offer: at 100,000 offers, every extra object costs more in garbage
    collection than the arithmetic does.
    """

    #: 1 for the best offer.
    rank: int
    offer: Signed[Offer]
    #: 0-100; equals ``breakdown.total``.
    score: float
    #: Maximum points of each criterion under the intent's weights.
    out_of: Breakdown
    #: What the customer pays at least: the price, or the name-your-price
    #: floor when both sides take name-your-price.
    price: int
    #: The vendor's rating (the weighted Bayesian figure), hundredths of a star.
    rating: float
    price_points: float
    speed_points: float
    reputation_points: float
    terms_points: float
    attributes_points: float
    #: The intent's attributes the item does not state or states otherwise,
    #: each in a few words (``does not state color``, ``storage_gb is 64,
    #: you want 128-256``); empty when all match.
    attribute_notes: tuple[str, ...] = ()
    #: What the customer's node knows of the vendor's ratings: the summary
    #: ``rating`` was computed from (see ``describe_reputation``).
    reputation: RatingSummary = NO_RATINGS

    @property
    def breakdown(self) -> Breakdown:
        """Points per criterion; they sum to :attr:`score`."""
        return Breakdown(*self[6:11])


@dataclass(frozen=True, kw_only=True, slots=True)
class RejectedOffer:
    """An offer that breaks at least one hard constraint, with all of them."""

    offer: Signed[Offer]
    violations: tuple[Violation, ...]


class RankedOffers(Sequence[RankedOffer]):
    """The ranked offers, best first: an immutable sequence.

    Every score and rank is computed by :func:`rank_offers`; each
    :class:`RankedOffer` object is only assembled when read. A customer
    looks at the top few of possibly many thousands of offers, and building
    objects nobody reads would cost more than ranking them.
    """

    __slots__ = ("_columns", "_notes", "_order", "_reputation", "_shares")

    def __init__(
        self,
        order: list[int],
        columns: tuple[list[Any], ...],
        shares: Breakdown,
        notes: Callable[[Mapping[str, AttributeValue]], tuple[str, ...]],
        reputation: Reputation | None = None,
    ) -> None:
        self._order = order
        self._columns = columns
        self._shares = shares
        self._notes = notes
        self._reputation = reputation or {}

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> RankedOffer: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[RankedOffer, ...]: ...
    def __getitem__(self, index: int | slice) -> RankedOffer | tuple[RankedOffer, ...]:
        if isinstance(index, slice):
            return tuple(self[n] for n in range(*index.indices(len(self))))
        n = index + len(self) if index < 0 else index
        if not 0 <= n < len(self):
            raise IndexError("ranked offer index out of range")
        k = self._order[n]
        offers, neg_scores, prices, ratings, p_price, p_speed, p_rep, p_terms, p_attrs = (
            self._columns
        )
        offer = offers[k]
        return RankedOffer(
            n + 1, offer, -neg_scores[k], self._shares, prices[k], ratings[k], p_price[k],
            p_speed[k], p_rep[k], p_terms[k], p_attrs[k],
            self._notes(offer.message.item.attributes),
            self._reputation.get(offer.message.vendor_key, NO_RATINGS),
        )  # fmt: skip

    def __iter__(self) -> Iterator[RankedOffer]:
        return (self[n] for n in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(
                a == b for a, b in zip(self, other, strict=False)
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RankedOffers({len(self)} offers)"


EMPTY_RANKED: Final = RankedOffers(
    [], ([], [], [], [], [], [], [], [], []), Breakdown(0, 0, 0, 0, 0), lambda _: ()
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Ranking:
    """The result of :func:`rank_offers`: ranked best first, rejected in
    offer-id order. Both orders are independent of the input order."""

    ranked: RankedOffers
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
    accept = _acceptor(intent, now=now, reputation=reputation)
    attributes = AttributeScorer(intent.message.attributes)
    attribute_value = attributes.value
    seen: set[bytes] = set()
    rejected: list[RejectedOffer] = []
    # Acceptable offers in parallel lists of plain numbers: no per-offer
    # tuples for the garbage collector to walk.
    fit: list[Signed[Offer]] = []
    prices: list[int] = []
    leads: list[int] = []
    ratings: list[float] = []
    term_values: list[float] = []
    attr_values: list[float] = []
    for signed in offers:
        if signed.id in seen:
            continue
        seen.add(signed.id)
        o = signed.message
        accepted = accept(o)
        if accepted is None:
            violations = find_violations(
                intent,
                signed,
                now=now,
                rating=reputation.get(o.vendor_key, NO_RATINGS),
                earlier_revisions=earlier_revisions,
            )
            rejected.append(RejectedOffer(offer=signed, violations=violations))
            continue
        attr_values.append(attribute_value(o.item.attributes))
        lead = o.deliver_by - now
        fit.append(signed)
        prices.append(accepted[0])
        leads.append(lead if lead > 0 else 0)
        ratings.append(accepted[1])
        term_values.append(accepted[2])
    rejected.sort(key=_offer_id)
    if not fit:
        return Ranking(ranked=EMPTY_RANKED, rejected=tuple(rejected))
    ranked = _score(
        intent.message,
        now,
        fit,
        (prices, leads, ratings, term_values, attr_values),
        attributes,
        reputation=reputation,
    )
    return Ranking(ranked=ranked, rejected=tuple(rejected))


def _acceptor(
    intent: Signed[Intent], *, now: int, reputation: Reputation
) -> Callable[[Offer], tuple[int, float, float] | None]:
    """The intent's hard terms as one function of an offer: ``(least price,
    vendor rating, terms value)`` if the offer meets every one, else None
    (the caller lists the violations). The terms are read once into the
    closure, with caches for what vendors repeat (ships-to lists, term
    sets, payment modes, their own key): it runs once per offer."""
    i = intent.message
    t = i.terms
    intent_id, quantity, currency = intent.id, i.quantity, t.currency
    latest = MAX_TIME if t.deliver_by is None else t.deliver_by
    max_price, region, required, min_rating = t.max_price, t.region, t.customer_terms, t.min_rating
    customer_modes = frozenset(t.payment_modes)
    customer_nyp = NAME_YOUR_PRICE in customer_modes
    extra_terms = frozenset(KNOWN_CUSTOMER_TERMS).difference(required)
    region_ok: dict[tuple[str, ...], bool] = {}
    terms_seen: dict[tuple[str, ...], tuple[bool, float]] = {}
    modes_seen: dict[tuple[str, ...], tuple[bool, bool]] = {}
    vendor_seen: dict[bytes, tuple[bool, float]] = {}

    def accept(o: Offer) -> tuple[int, float, float] | None:
        if not (
            o.intent_id == intent_id
            and o.valid_until > now
            and o.quantity == quantity
            and o.currency == currency
            and o.deliver_by <= latest
        ):
            return None
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
        if covered and term_info[0] and mode_info[0] and price <= max_price and vendor[0]:
            return price, vendor[1], term_info[1]
        return None

    return accept


def _score(
    i: Intent,
    now: int,
    fit: list[Signed[Offer]],
    values: tuple[list[int], list[int], list[float], list[float], list[float]],
    attributes: AttributeScorer,
    *,
    reputation: Reputation,
) -> RankedOffers:
    """Points per criterion for the acceptable offers, and their order."""
    prices, leads, ratings, term_values, attr_values = values
    shares = weight_shares(i)
    w_terms, w_attrs = shares.terms, shares.attributes
    max_price, deadline = i.terms.max_price, i.terms.deliver_by
    best = min(prices)
    fastest = min(leads) + SPEED_SMOOTHING
    horizon = max((deadline - now) if deadline is not None else DEFAULT_HORIZON, DAY)
    half_price, half_speed = shares.price / 2, shares.speed / 2
    rep_scale = shares.reputation / MAX_RATING
    smooth = SPEED_SMOOTHING

    p_prices: list[float] = []
    p_speeds: list[float] = []
    p_reps: list[float] = []
    p_terms_: list[float] = []
    p_attrs_: list[float] = []
    neg_scores: list[float] = []
    for price, lead, rating, terms_value, attr_value in zip(
        prices, leads, ratings, term_values, attr_values, strict=True
    ):
        headroom = (max_price - price) / max_price if max_price else 1.0
        slack = 1.0 - lead / horizon
        p_price = half_price * (headroom + (best / price if price else 1.0))
        p_speed = half_speed * ((slack if slack > 0.0 else 0.0) + fastest / (lead + smooth))
        p_rep = rep_scale * rating
        p_terms = w_terms * terms_value
        p_attrs = w_attrs * attr_value
        # Added in criterion order, exactly as Breakdown.total does.
        neg_scores.append(-(p_price + p_speed + p_rep + p_terms + p_attrs))
        p_prices.append(p_price)
        p_speeds.append(p_speed)
        p_reps.append(p_rep)
        p_terms_.append(p_terms)
        p_attrs_.append(p_attrs)

    # Best first: higher score, then lower price, earlier delivery, offer id.
    # One sort on the score with a C-level key; equal scores are rare, so
    # only runs of them get the full tie-break.
    order = sorted(range(len(fit)), key=neg_scores.__getitem__)
    if len(set(neg_scores)) < len(neg_scores):
        order = _break_ties(order, neg_scores, prices, fit)
    columns = (fit, neg_scores, prices, ratings, p_prices, p_speeds, p_reps, p_terms_, p_attrs_)
    return RankedOffers(order, columns, shares, attributes.notes, reputation)


def _break_ties(
    order: list[int], neg_scores: list[float], prices: list[int], fit: list[Signed[Offer]]
) -> list[int]:
    """Order each run of equal scores by price, delivery, then offer id."""
    out: list[int] = []
    start = 0
    while start < len(order):
        end = start + 1
        score = neg_scores[order[start]]
        while end < len(order) and neg_scores[order[end]] == score:
            end += 1
        run = order[start:end]
        if len(run) > 1:
            run.sort(key=lambda k: (prices[k], fit[k].message.deliver_by, fit[k].id))
        out.extend(run)
        start = end
    return out


def _offer_id(rejected: RejectedOffer) -> bytes:
    return rejected.offer.id
