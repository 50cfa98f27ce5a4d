"""Vendor reputation as the customer's node sees it: a weighted Bayesian average.

A vendor's raw mean rating says little when it rests on one or two
ratings. We shrink every vendor towards a modest prior, as if each vendor
had already received :data:`PRIOR_WEIGHT` ratings of :data:`PRIOR_RATING`,
and give every verified rating a weight ``w`` between 0 and 1::

    rating = (PRIOR_WEIGHT * PRIOR_RATING + sum of w * stars) / (PRIOR_WEIGHT + sum of w)

A rating's weight (:func:`summarise`, :class:`Weighting`) is the product of

* **age decay**: it halves every :data:`HALF_LIFE` (180 days) after the
  rating was made, so a vendor's recent deals speak loudest and a
  vendor cannot live on an old record;
* **burst damping**: a rating that is the ``n``-th of its vendor's
  ratings made in the :data:`BURST_WINDOW` (30 days) up to it counts in
  full while ``n <= BURST_FREE`` (8), else ``BURST_FREE / n``: a pile of
  ratings in a short time (what fake deals with oneself look like) adds
  only logarithmically. A self-dealer chooses every time in its fake
  deals and may backdate them out of one burst, at the price of decay; a
  node that saw them arrive counts them at their arrival
  (:func:`rated_as_seen`), in one burst.

Weights are whole numbers of :data:`WEIGHT_UNIT` (a rating at full weight
is ``WEIGHT_UNIT``), computed in integer arithmetic, so the same ratings
give the same figure on every machine and :func:`meets_minimum` is exact.
With every weight full (:meth:`RatingSummary.of`) one 5-star rating gives
3.18 stars, ten give 4.00, a hundred averaging 4.8 give 4.64.

The same figure serves the hard minimum-rating check, the soft reputation
score and every place a vendor is named (:func:`describe_reputation`), so
they can never disagree. Why these defences and these constants, measured
(``python -m simulations reputation``): ``docs/matching.md``, "Reputation".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from intentcast.protocol.fields import DAY, MAX_RATING

#: Prior mean, hundredths of a star: three stars, a middling, unproven vendor.
PRIOR_RATING: Final = 300
#: Weight of the prior, in ratings: a vendor needs about this many ratings
#: (at full weight) before its own record outweighs the prior.
PRIOR_WEIGHT: Final = 10
#: One rating at full weight; weights are whole multiples of 1 / WEIGHT_UNIT.
WEIGHT_UNIT: Final = 1 << 16
#: A rating's weight halves every HALF_LIFE seconds after it was made.
HALF_LIFE: Final = 180 * DAY
#: Burst damping: ratings of one vendor made within BURST_WINDOW seconds of
#: each other are one burst ...
BURST_WINDOW: Final = 30 * DAY
#: ... whose first BURST_FREE ratings count in full, the n-th after them
#: BURST_FREE / n.
BURST_FREE: Final = 8
#: The customer's own record (:class:`OwnRecord`): an accept the vendor
#: never answered counts as a 0-star rating at full weight, a decline at a
#: quarter (a vendor may honestly run out of stock).
SILENCE_WEIGHT: Final = WEIGHT_UNIT
DECLINE_WEIGHT: Final = WEIGHT_UNIT // 4


@dataclass(frozen=True, kw_only=True, slots=True)
class RatingSummary:
    """What a customer's node knows of one vendor's ratings, as of one moment.

    ``count`` and ``total`` are the verified deals and their stars as
    rated (hundredths, 0-500 each); ``weight`` and ``weighted`` are what
    the figure uses: the sum of the weights (in :data:`WEIGHT_UNIT`) and
    of weight x stars, the customer's own record included. Left out, they
    are every rating at full weight.
    """

    count: int
    total: int
    #: Sum of the weights; -1 (the default): ``count * WEIGHT_UNIT``.
    weight: int = -1
    #: Sum of weight x stars; -1 (the default): ``total * WEIGHT_UNIT``.
    weighted: int = -1
    #: Seconds from the oldest counted rating to the summary's moment (0: none).
    span: int = 0
    #: The customer's own accepts this vendor left unanswered or declined.
    unanswered: int = 0
    declined: int = 0

    def __post_init__(self) -> None:
        if type(self.count) is not int or self.count < 0:
            raise ValueError(f"rating count must be a whole number >= 0, not {self.count!r}")
        if type(self.total) is not int or not 0 <= self.total <= self.count * MAX_RATING:
            raise ValueError(
                f"rating total {self.total!r} is outside 0..{self.count * MAX_RATING} "
                f"for {self.count} ratings"
            )
        if self.weight == -1:
            object.__setattr__(self, "weight", self.count * WEIGHT_UNIT)
        if self.weighted == -1:
            object.__setattr__(self, "weighted", self.total * WEIGHT_UNIT)
        for name in ("weight", "weighted", "span", "unanswered", "declined"):
            value = getattr(self, name)
            if type(value) is not int or value < 0:
                raise ValueError(f"rating {name} must be a whole number >= 0, not {value!r}")
        if self.weighted > self.weight * MAX_RATING:
            raise ValueError(f"weighted stars {self.weighted} exceed 5 stars x {self.weight}")

    @classmethod
    def of(cls, ratings: Iterable[int]) -> RatingSummary:
        """Summarise individual ratings (hundredths of a star each), every
        one at full weight."""
        values = list(ratings)
        for value in values:
            if type(value) is not int or not 0 <= value <= MAX_RATING:
                raise ValueError(f"a rating must be 0..{MAX_RATING} hundredths, not {value!r}")
        return cls(count=len(values), total=sum(values))

    @property
    def mean(self) -> float | None:
        """The raw mean in hundredths of a star, or None without ratings."""
        return self.total / self.count if self.count else None

    @property
    def own_weight(self) -> int:
        """The part of ``weight`` that is the customer's own record."""
        return self.unanswered * SILENCE_WEIGHT + self.declined * DECLINE_WEIGHT

    @property
    def counted(self) -> float:
        """The verified ratings' weight, in full ratings: how many of the
        ``count`` deals the figure counts, after age and bursts."""
        return (self.weight - self.own_weight) / WEIGHT_UNIT


#: What ``rank_offers`` takes: vendor identity key to its ratings. Vendors
#: missing from the map have no ratings yet.
Reputation = Mapping[bytes, RatingSummary]

NO_RATINGS: Final = RatingSummary(count=0, total=0)

_PRIOR_W: Final = PRIOR_WEIGHT * WEIGHT_UNIT


def bayesian_rating(summary: RatingSummary) -> float:
    """The figure, in hundredths of a star (``PRIOR_RATING`` for a vendor
    without ratings)."""
    return (_PRIOR_W * PRIOR_RATING + summary.weighted) / (_PRIOR_W + summary.weight)


def meets_minimum(summary: RatingSummary, minimum: int) -> bool:
    """True if the figure is at least ``minimum`` hundredths.

    Exact integer arithmetic, so a vendor right at the minimum passes on
    every machine."""
    return _PRIOR_W * PRIOR_RATING + summary.weighted >= minimum * (_PRIOR_W + summary.weight)


@dataclass(frozen=True, kw_only=True, slots=True)
class VerifiedRating:
    """One rating whose proof checked out: the vendor's signed receipt of a
    confirmed deal, rated by the key the receipt names. What the node's
    store and the simulator hand to :func:`summarise`."""

    #: The vendor's identity key (the receipt's signer).
    vendor: bytes
    #: The deal it rates (one rating counts per deal; the latest replaces).
    deal: bytes
    #: Stars in hundredths, 0-500.
    stars: int
    #: When the rating was made (unix seconds).
    rated: int
    #: When the vendor confirmed the deal (the receipt's time).
    confirmed: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Weighting:
    """How :func:`summarise` weighs a rating. The defaults are the figure
    every node uses; the others exist so the simulator can measure what
    each defence is worth (0 turns one off)."""

    #: Seconds for a rating's weight to halve (0: no decay).
    half_life: int = HALF_LIFE
    #: Burst damping's window and free ratings per burst (0: no damping).
    burst_window: int = BURST_WINDOW
    burst_free: int = BURST_FREE
    #: Receipt-to-rating gap: a rating made less than ``min_gap`` seconds
    #: after the confirm weighs ``gap / min_gap`` (0: off; not in the
    #: default figure: both times are the self-dealer's to choose).
    min_gap: int = 0
    #: Profile age: a rating made ``a`` seconds after the vendor's ``since``
    #: time weighs ``a / profile_ramp`` while ``a < profile_ramp`` (0: off;
    #: not in the default figure: nothing in the protocol dates a profile
    #: in a way the vendor cannot backdate).
    profile_ramp: int = 0
    #: A rating below the prior (a complaint) counts this many times: a
    #: complaint costs a real deal with the vendor, praise can be
    #: self-dealt (1: off).
    complaint_weight: int = 1


DEFAULT_WEIGHTING: Final = Weighting()
#: Every rating at full weight: the Bayesian average before issue 21.
FULL_WEIGHT: Final = Weighting(half_life=0, burst_window=0, burst_free=0)


def decay(age: int, half_life: int) -> int:
    """A rating's age weight in :data:`WEIGHT_UNIT`: ``WEIGHT_UNIT`` at age 0,
    halving every ``half_life`` seconds, linear within each half-life
    (integer arithmetic; 0 once it is below one unit)."""
    if half_life <= 0 or age <= 0:
        return WEIGHT_UNIT
    halvings, into = divmod(age, half_life)
    if halvings >= WEIGHT_UNIT.bit_length():
        return 0
    return (WEIGHT_UNIT >> halvings) * (2 * half_life - into) // (2 * half_life)


#: An accept the vendor has not answered this long after it was made
#: counts as unanswered in the customer's own record (:class:`OwnRecord`).
UNANSWERED_AFTER: Final = DAY


#: How late an honest rating may first reach a node that is online: the
#: rating's publication delay (it is held back so its timing does not tie
#: it to the deal) plus gossip.
ARRIVAL_GRACE: Final = 2 * DAY


def rated_as_seen(rated: int, first_seen: int | None) -> int:
    """The rating time :func:`summarise` should be given for a rating this
    node first received at ``first_seen``: a rating that arrives claiming
    to be older than :data:`ARRIVAL_GRACE` counts as made at ``first_seen -
    ARRIVAL_GRACE``, so backdating buys nothing (its weight is not spread
    out of a burst). ``None`` for ratings the node got in its first sync
    after joining: it has no arrival time to compare, and takes the claim.
    """
    if first_seen is None:
        return rated
    return max(rated, first_seen - ARRIVAL_GRACE)


@dataclass(frozen=True, slots=True)
class OwnRecord:
    """The customer's own deals with one vendor, from its own store: what
    the vendor cannot keep out of the figure by never confirming. Counted
    only on this customer's node; never published."""

    #: Accepts the vendor never answered (past the answer's deadline).
    unanswered: int = 0
    #: Accepts the vendor declined.
    declined: int = 0

    def weight_of(self) -> int:
        """What this record adds to the figure's weight (at 0 stars)."""
        return self.unanswered * SILENCE_WEIGHT + self.declined * DECLINE_WEIGHT


def summarise(
    ratings: Iterable[VerifiedRating],
    *,
    now: int,
    weighting: Weighting = DEFAULT_WEIGHTING,
    since: Mapping[bytes, int] | None = None,
    own: Mapping[bytes, OwnRecord] | None = None,
) -> dict[bytes, RatingSummary]:
    """Every vendor's summary from verified ratings, as of ``now``.

    One rating per deal counts: the latest (by ``rated``) wins. Ratings
    from the future (``rated > now``) do not count yet. Each counts with
    its weight (see the module doc and :class:`Weighting`); ``since`` gives
    vendors' profile times for ``weighting.profile_ramp``; ``own`` adds the
    customer's own record per vendor (:class:`OwnRecord`)."""
    latest: dict[bytes, VerifiedRating] = {}
    for r in ratings:
        if r.rated > now:
            continue
        held = latest.get(r.deal)
        if held is None or (r.rated, r.stars) > (held.rated, held.stars):
            latest[r.deal] = r
    by_vendor: dict[bytes, list[VerifiedRating]] = {}
    for r in latest.values():
        by_vendor.setdefault(r.vendor, []).append(r)
    out = {
        vendor: _summary(rs, now, weighting, (since or {}).get(vendor))
        for vendor, rs in by_vendor.items()
    }
    for vendor, record in (own or {}).items():
        out[vendor] = with_own_record(out.get(vendor, NO_RATINGS), record)
    return out


def with_own_record(summary: RatingSummary, record: OwnRecord) -> RatingSummary:
    """``summary`` with the customer's own record added as 0-star ratings
    (:data:`SILENCE_WEIGHT` per unanswered accept, :data:`DECLINE_WEIGHT`
    per decline)."""
    extra = record.weight_of()
    return RatingSummary(
        count=summary.count,
        total=summary.total,
        weight=summary.weight + extra,
        weighted=summary.weighted,
        span=summary.span,
        unanswered=summary.unanswered + record.unanswered,
        declined=summary.declined + record.declined,
    )


def _summary(
    ratings: list[VerifiedRating], now: int, w: Weighting, since: int | None
) -> RatingSummary:
    """One vendor's summary: its ratings weighed in the order they were made."""
    ratings.sort(key=lambda r: (r.rated, r.deal))
    weight = weighted = total = 0
    start = 0  # the first rating inside the current one's burst window
    for n, r in enumerate(ratings):
        wt = decay(now - r.rated, w.half_life)
        if w.burst_window > 0 and w.burst_free > 0:
            while ratings[start].rated <= r.rated - w.burst_window:
                start += 1
            burst = n - start + 1
            if burst > w.burst_free:
                wt = wt * w.burst_free // burst
        if w.min_gap > 0:
            gap = min(max(r.rated - r.confirmed, 0), w.min_gap)
            wt = wt * gap // w.min_gap
        if w.profile_ramp > 0 and since is not None:
            age = min(max(r.rated - since, 0), w.profile_ramp)
            wt = wt * age // w.profile_ramp
        if r.stars < PRIOR_RATING:
            wt *= w.complaint_weight
        weight += wt
        weighted += wt * r.stars
        total += r.stars
    return RatingSummary(
        count=len(ratings),
        total=total,
        weight=weight,
        weighted=weighted,
        # At least a second, so a rating made this very second still reads
        # "last 1 day" (0 stands for a summary without times).
        span=max(now - ratings[0].rated, 1) if ratings else 0,
    )


def describe_reputation(summary: RatingSummary) -> str:
    """The figure in words, for wherever a vendor is named:
    ``4.62 stars from 37 verified deals, last 3 months``; a new vendor:
    ``3.00 stars: no verified deals yet``. The customer's own record, if
    any, follows: ``; 2 of your accepts unanswered``."""
    stars = f"{bayesian_rating(summary) / 100:.2f} stars"
    if summary.count == 0:
        text = f"{stars}: no verified deals yet"
    else:
        deals = f"{summary.count} verified deal{'s' if summary.count != 1 else ''}"
        text = f"{stars} from {deals}"
        if summary.span > 0:  # 0: a summary without times (RatingSummary.of)
            text += f", last {_period(summary.span)}"
    own = []
    if summary.unanswered:
        own.append(f"{summary.unanswered} of your accepts unanswered")
    if summary.declined:
        own.append(f"{summary.declined} declined")
    return text + ("; " + ", ".join(own) if own else "")


def _period(seconds: int) -> str:
    """A span in the largest whole unit that fits, rounded up: ``3 months``."""
    for unit, size in (("year", 365 * DAY), ("month", 30 * DAY), ("week", 7 * DAY)):
        if seconds >= size:
            n = -(-seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    days = max(1, -(-seconds // DAY))
    return f"{days} day{'s' if days != 1 else ''}"
