"""Which held ratings count toward a vendor's reputation
(``intentcast.peer.ratings``)."""

from __future__ import annotations

from intentcast.matching.reputation import VerifiedRating
from intentcast.peer.ratings import counted


def _held(vendor: bytes, deal: bytes, rater: bytes, stars: int) -> tuple[VerifiedRating, bytes]:
    rating = VerifiedRating(
        vendor=vendor, deal=deal, stars=stars, rated=1_800_000_100, confirmed=1_800_000_000
    )
    return rating, rater


def test_one_rating_counts_per_vendor_and_deal_the_lowest_if_a_vendor_doubled_it() -> None:
    a, b_, deal = b"A" * 32, b"B" * 32, b"d" * 32
    ratings = [
        _held(a, deal, b"1" * 32, 500),
        _held(a, deal, b"2" * 32, 100),  # a second receipt for the same deal
        _held(b_, deal, b"3" * 32, 400),  # another vendor's receipt naming that deal id
    ]
    out = sorted((r.vendor, r.stars) for r in counted(ratings))
    assert out == [(a, 100), (b_, 400)]
    assert len({r.deal for r in counted(ratings)}) == 2
