"""Vendor reputation as the customer's node sees it: a Bayesian average.

A vendor's raw mean rating says little when it rests on one or two
ratings. We shrink every vendor towards a modest prior, as if each vendor
had already received :data:`PRIOR_WEIGHT` ratings of :data:`PRIOR_RATING`::

    rating = (PRIOR_WEIGHT * PRIOR_RATING + sum of ratings) / (PRIOR_WEIGHT + count)

With the constants below one 5-star rating gives 3.18 stars, ten give
4.00, and a hundred ratings averaging 4.8 give 4.64: a newcomer with one
perfect rating never outranks a long, excellent record. The same value
serves both the hard minimum-rating check and the soft reputation score,
so the two can never disagree. See ``docs/matching.md``, "Reputation".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from intentcast.protocol.fields import MAX_RATING

#: Prior mean, hundredths of a star: three stars, a middling, unproven vendor.
PRIOR_RATING: Final = 300
#: Weight of the prior, in ratings: a vendor needs about this many ratings
#: before its own record outweighs the prior.
PRIOR_WEIGHT: Final = 10


@dataclass(frozen=True, kw_only=True, slots=True)
class RatingSummary:
    """The deal-backed ratings a vendor has received: how many, and their
    sum in hundredths of a star (0-500 each)."""

    count: int
    total: int

    def __post_init__(self) -> None:
        if type(self.count) is not int or self.count < 0:
            raise ValueError(f"rating count must be a whole number >= 0, not {self.count!r}")
        if type(self.total) is not int or not 0 <= self.total <= self.count * MAX_RATING:
            raise ValueError(
                f"rating total {self.total!r} is outside 0..{self.count * MAX_RATING} "
                f"for {self.count} ratings"
            )

    @classmethod
    def of(cls, ratings: Iterable[int]) -> RatingSummary:
        """Summarise individual ratings (hundredths of a star each)."""
        values = list(ratings)
        for value in values:
            if type(value) is not int or not 0 <= value <= MAX_RATING:
                raise ValueError(f"a rating must be 0..{MAX_RATING} hundredths, not {value!r}")
        return cls(count=len(values), total=sum(values))

    @property
    def mean(self) -> float | None:
        """The raw mean in hundredths of a star, or None without ratings."""
        return self.total / self.count if self.count else None


#: What ``rank_offers`` takes: vendor identity key to its ratings. Vendors
#: missing from the map have no ratings yet.
Reputation = Mapping[bytes, RatingSummary]

NO_RATINGS: Final = RatingSummary(count=0, total=0)


def bayesian_rating(summary: RatingSummary) -> float:
    """The shrunk rating in hundredths of a star (``PRIOR_RATING`` for a
    vendor without ratings)."""
    return (PRIOR_WEIGHT * PRIOR_RATING + summary.total) / (PRIOR_WEIGHT + summary.count)


def meets_minimum(summary: RatingSummary, minimum: int) -> bool:
    """True if the Bayesian rating is at least ``minimum`` hundredths.

    Exact integer arithmetic, so a vendor right at the minimum passes on
    every machine."""
    return PRIOR_WEIGHT * PRIOR_RATING + summary.total >= minimum * (PRIOR_WEIGHT + summary.count)


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


def summarise(ratings: Iterable[VerifiedRating], *, now: int) -> dict[bytes, RatingSummary]:
    """Every vendor's summary from verified ratings, as of ``now``.

    One rating per deal counts: the latest (by ``rated``) wins. Ratings
    from the future (``rated > now``) do not count yet."""
    latest: dict[bytes, VerifiedRating] = {}
    for r in ratings:
        if r.rated > now:
            continue
        held = latest.get(r.deal)
        if held is None or (r.rated, r.stars) > (held.rated, held.stars):
            latest[r.deal] = r
    by_vendor: dict[bytes, list[int]] = {}
    for r in latest.values():
        by_vendor.setdefault(r.vendor, []).append(r.stars)
    return {vendor: RatingSummary.of(stars) for vendor, stars in by_vendor.items()}
