"""Which of the ratings a node holds count toward a vendor's reputation
(pure: the node's ratings part reads the rows from its store and hands
them here; :func:`intentcast.matching.reputation.summarise` then sums what
counts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from intentcast.matching.reputation import VerifiedRating


class HeldRating(Protocol):
    """What a node holds of one verified rating (the store's ``RatingRow``)."""

    @property
    def vendor(self) -> bytes: ...
    @property
    def deal(self) -> bytes: ...
    @property
    def rater(self) -> bytes: ...
    @property
    def stars(self) -> int: ...
    @property
    def rated(self) -> int: ...
    @property
    def confirmed(self) -> int: ...


def counted(ratings: Iterable[HeldRating]) -> list[VerifiedRating]:
    """The ratings that count: one per vendor and deal. A vendor that
    handed out receipts for one deal to several keys gets the lowest of
    their ratings (so a second receipt can only cost it); a deal is named
    by vendor and deal id together, so one vendor's receipts can never
    stand for another vendor's deals."""
    lowest: dict[bytes, HeldRating] = {}
    for r in ratings:
        key = r.vendor + r.deal
        held = lowest.get(key)
        if held is None or (r.stars, r.rater) < (held.stars, held.rater):
            lowest[key] = r
    return [
        VerifiedRating(vendor=r.vendor, deal=key, stars=r.stars, rated=r.rated,
                       confirmed=r.confirmed)
        for key, r in lowest.items()
    ]  # fmt: skip
