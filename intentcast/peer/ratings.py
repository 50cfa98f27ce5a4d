"""Which of the ratings a node holds count toward a vendor's reputation
(pure: the node's ratings part reads them from its store and hands them
here; :func:`intentcast.matching.reputation.summarise` then sums what
counts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from intentcast.matching.reputation import VerifiedRating


def counted(ratings: Iterable[tuple[VerifiedRating, bytes]]) -> list[VerifiedRating]:
    """The ratings that count of ``ratings`` (each with its rater's key):
    one per vendor and deal. A vendor that handed out receipts for one deal
    to several keys gets the lowest of their ratings (so a second receipt
    can only cost it); a deal is named by vendor and deal id together (the
    ``deal`` of what is returned), so one vendor's receipts can never stand
    for another vendor's deals."""
    lowest: dict[bytes, tuple[VerifiedRating, bytes]] = {}
    for rating, rater in ratings:
        key = rating.vendor + rating.deal
        held = lowest.get(key)
        if held is None or (rating.stars, rater) < (held[0].stars, held[1]):
            lowest[key] = (rating, rater)
    return [replace(rating, deal=key) for key, (rating, _) in lowest.items()]
