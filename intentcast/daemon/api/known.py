"""The vendors a customer node learned of from the offers it opened
(:func:`intentcast.matching.hints.known_vendors`), kept between requests.

Summing every received offer up on each request decoded all of them: 1.0 s
for the offers of one intent with 10,000 offers in the store (``python -m
benchmarks webapp``). This keeps one summary per offer and decodes only the
offers it has not seen; the store's ids tell which are new and which are
gone (the per-intent cap drops offers), so the answer is the same as
summing everything up again.
"""

from __future__ import annotations

from collections import Counter

from intentcast.matching.hints import KnownVendor, known_vendors
from intentcast.protocol import Offer
from intentcast.store import Store

#: What an offer tells of its vendor: key, name, payment modes, customer
#: terms, where it ships, and the category of the intent it answered.
_Summary = tuple[bytes, str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


class KnownVendors:
    """:func:`~intentcast.matching.hints.known_vendors` over a store's
    received offers, brought up to date on each call (on the trio thread
    that serves the API: no lock needed)."""

    def __init__(self) -> None:
        self._of_offer: dict[bytes, _Summary] = {}
        self._counts: Counter[_Summary] = Counter()
        #: One offer per distinct summary: what known_vendors is given.
        self._offer: dict[_Summary, Offer] = {}
        self._vendors: list[KnownVendor] | None = None

    def __call__(self, store: Store) -> list[KnownVendor]:
        ids = store.offers.received_ids()
        gone = self._of_offer.keys() - ids
        new = [i for i in ids if i not in self._of_offer]
        if self._vendors is not None and not gone and not new:
            return self._vendors
        for offer_id in gone:
            summary = self._of_offer.pop(offer_id)
            self._counts[summary] -= 1
            if not self._counts[summary]:
                del self._counts[summary], self._offer[summary]
        for signed, category in store.offers.received_with_category(new):
            o = signed.message
            summary = (
                o.vendor_key, o.vendor_name, tuple(o.payment_modes), tuple(o.customer_terms),
                tuple(o.ships_to), category,
            )  # fmt: skip
            self._of_offer[signed.id] = summary
            self._counts[summary] += 1
            self._offer.setdefault(summary, o)
        self._vendors = known_vendors((self._offer[s], s[5]) for s in self._counts)
        return self._vendors


__all__ = ["KnownVendors"]
