"""What a customer keeps of the offers it receives (intentcast.peer.customer),
the decision the node's customer role and the simulator's market apply."""

from __future__ import annotations

from intentcast.peer.customer import keep_offer
from tests.matching.builders import intent, offer

INTENT = intent()


def test_below_the_cap_every_offer_is_kept() -> None:
    held = [offer(INTENT, 0, price=50_000)]
    assert keep_offer(held, offer(INTENT, 1, price=90_000), currency="EUR", cap=2) == (True, None)


def test_past_the_cap_a_cheaper_offer_evicts_the_dearest_and_a_dearer_one_is_dropped() -> None:
    cheap, dear = offer(INTENT, 0, price=40_000), offer(INTENT, 1, price=55_000)
    held = [cheap, dear]
    assert keep_offer(held, offer(INTENT, 2, price=50_000), currency="EUR", cap=2) == (True, dear)
    assert keep_offer(held, offer(INTENT, 2, price=55_000), currency="EUR", cap=2) == (False, None)


def test_the_price_per_unit_counts_and_another_currency_ranks_last() -> None:
    two = intent(1, quantity=2)
    per_unit_30k = offer(two, 0, price=60_000)  # 2 units
    in_dollars = offer(two, 1, price=1, currency="USD")
    held = [per_unit_30k, in_dollars]
    better = offer(two, 2, price=58_000)
    assert keep_offer(held, better, currency="EUR", cap=2) == (True, in_dollars)
