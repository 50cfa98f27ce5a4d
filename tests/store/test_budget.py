"""The gossip budget (docs/store.md, "Budget"): others' messages of a kind
beyond the budget are evicted oldest first, in the ingest's transaction;
the node's own intents, offers to them and its deals' messages are never
evicted; an evicted message stays seen, so it comes back as a duplicate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from intentcast.protocol import Kind, SealedDeal, Signed, sign
from intentcast.store import GossipBudget, Ingest, Role, Store

from . import store_samples as s


def stranger_deal(n: int) -> Signed[SealedDeal]:
    return sign(
        SealedDeal(to=os.urandom(32), box=os.urandom(64), created=s.T0 + n, expires=s.T0 + s.DAY),
        SigningKey.generate(),
        params=s.PARAMS,
    )


def test_others_messages_past_the_budget_are_evicted_oldest_first(db_path: Path) -> None:
    with Store.open(db_path, budget=GossipBudget(intent=10, sealed_deal=20)) as store:
        intents = [s.intent(100 + n) for n in range(30)]
        for i in intents:  # one at a time, as gossip arrives
            assert store.gossip.ingest(i) is Ingest.NEW
        assert store.gossip.kept(Kind.INTENT) <= 10
        assert store.gossip.intent(intents[-1].id) is not None  # the newest stay
        assert store.gossip.intent(intents[0].id) is None  # the oldest went
        assert store.gossip.evicted[Kind.INTENT] >= 20
        # Evicted but still seen: handed over again, it is not new.
        assert store.gossip.has_seen(intents[0].id)
        assert store.gossip.ingest(intents[0]) is Ingest.DUPLICATE
        assert store.gossip.unseen([intents[0].id, b"\x00" * 32]) == [b"\x00" * 32]
        # One batch over the budget is cut in the same transaction.
        store.gossip.ingest_many([stranger_deal(n) for n in range(100)])
        assert store.gossip.kept(Kind.SEALED_DEAL) <= 20
        assert store.integrity_check() == ["ok"]


def test_own_intents_their_offers_and_live_deals_are_never_evicted(db_path: Path) -> None:
    with Store.open(db_path, budget=GossipBudget(sealed_offer=5, sealed_deal=5)) as store:
        keys = store.intents.reserve_keys(s.SEED)
        mine = s.intent(keys.counter)
        store.intents.add(mine, counter=keys.counter)
        o = s.offer(mine)
        sealed_offer = s.sealed(o, mine)
        store.gossip.ingest(sealed_offer)
        store.offers.add_received(sealed_offer, o)
        a = s.accept(keys.counter, mine, o)
        store.deals.record_accept(mine, o, a, role=Role.CUSTOMER)
        my_accept = s.sealed_deal(a, o)
        store.gossip.ingest(my_accept)
        # Others' offers (to another intent) and deals, far over the budget.
        other = s.intent(50)
        store.gossip.ingest(other)
        for n in range(40):
            store.gossip.ingest(s.sealed(s.offer(other, price=40_000 + n), other, seed=n))
            store.gossip.ingest(stranger_deal(n))
        assert store.gossip.sealed_offers(mine.id) == [sealed_offer]
        assert store.gossip.sealed_deals(o.id) == [my_accept]
        assert len(store.gossip.sealed_offers(other.id)) <= 5
        assert store.gossip.kept(Kind.SEALED_DEAL) <= 5 + 1
        assert store.deals.get(a.id) is not None


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", True])
def test_a_budget_must_be_a_whole_number_of_at_least_one(bad: object) -> None:
    with pytest.raises(ValueError, match="budget for sealed-deal"):
        GossipBudget(sealed_deal=bad)  # type: ignore[arg-type]
