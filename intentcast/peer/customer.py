"""What a customer node decides about the offers it receives: which to keep.

Pure: the node (``intentcast.node.customer``) applies the decision to its
store; the simulator (``simulations/scenarios/market.py``) to the offers a
simulated customer holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from intentcast.protocol import Offer, Signed


def unit_price(offer: Signed[Offer], currency: str) -> float:
    """The cheap pre-rank of the offer cap: the price per unit, an offer in
    another currency than the intent's last (infinite)."""
    m = offer.message
    return m.price / m.quantity if m.currency == currency else math.inf


def keep_offer(
    held: Sequence[Signed[Offer]], offer: Signed[Offer], *, currency: str, cap: int
) -> tuple[bool, Signed[Offer] | None]:
    """Per-intent cap on kept offers: keep the best ``cap`` by
    :func:`unit_price`. ``held``: the offers kept for the intent and not yet
    accepted, in the order they came. Returns (keep the new ``offer``, the
    one to evict for it): below the cap, keep it; past it, a new offer
    evicts the dearest one held (the first of equals) if it is cheaper, and
    is dropped otherwise."""
    if len(held) < cap:
        return True, None

    def price(o: Signed[Any]) -> float:
        return unit_price(o, currency)

    dearest = max(held, key=price)
    if price(offer) >= price(dearest):
        return False, None
    return True, dearest
