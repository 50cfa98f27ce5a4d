"""The network replays messages, out of order and across restarts: storing
one twice must change nothing (LIBP2P-NOTES trap 10)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intentcast.protocol import Signed
from intentcast.store import Ingest, Role, Store

from . import store_samples as s

I1, I2, I3 = s.intent(1), s.intent(2, category="home"), s.intent(3)
I1R1 = s.intent(1, revision=1, title="a newer phone")
O1 = s.offer(I1)
A1 = s.accept(1, I1, O1)
POOL: list[Signed[Any]] = [
    I1,
    I1R1,
    I2,
    I3,
    s.withdraw(2),
    s.sealed(O1, I1),
    s.sealed_deal(A1, O1),
    s.profile(),
]


def snapshot(store: Store) -> tuple[object, ...]:
    """Everything the cache would tell the node about its gossip."""
    return (
        sorted(m.id for m in store.gossip.live_intents(now=s.T0)),
        sorted(m.id for m in store.gossip.live_messages(now=s.T0)),
        sorted(m.id for m in POOL if store.gossip.has_seen(m.id)),
    )


def test_second_ingest_is_a_duplicate_and_changes_nothing(store: Store) -> None:
    # the withdrawal of intent 2 in the same batch refuses intent 2
    expected = [Ingest.NEW] * len(POOL)
    expected[POOL.index(I2)] = Ingest.WITHDRAWN
    assert store.gossip.ingest_many(POOL) == expected
    before = snapshot(store)
    assert store.gossip.ingest_many(POOL) == [Ingest.DUPLICATE] * len(POOL)
    assert all(store.gossip.ingest(m) is Ingest.DUPLICATE for m in POOL)
    assert snapshot(store) == before


def test_withdrawal_refuses_its_intent_in_either_order(store: Store) -> None:
    w = s.withdraw(2)
    # intent first, then the withdrawal: the cached intent goes away
    assert store.gossip.ingest(I2) is Ingest.NEW
    assert store.gossip.ingest(w) is Ingest.NEW
    assert store.gossip.live_intents(now=s.T0) == []
    # a later revision of the withdrawn intent is refused, not cached
    assert store.gossip.ingest(s.intent(2, revision=3)) is Ingest.WITHDRAWN


def test_withdrawal_and_intent_in_one_batch(store: Store) -> None:
    assert store.gossip.ingest_many([I2, s.withdraw(2)]) == [Ingest.WITHDRAWN, Ingest.NEW]
    assert store.gossip.live_intents(now=s.T0) == []


def test_duplicates_within_one_batch(store: Store) -> None:
    assert store.gossip.ingest_many([I1, I1, I3]) == [Ingest.NEW, Ingest.DUPLICATE, Ingest.NEW]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=20),
    st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=5),
)
def test_any_replay_order_gives_the_state_of_the_set(
    tmp_path_factory: pytest.TempPathFactory, picks: list[int], batches: list[int]
) -> None:
    """Ingesting any sequence with repeats, in any batching, across a
    reopen, ends where ingesting each distinct message once (withdrawals
    first) ends."""
    folder = tmp_path_factory.mktemp("replay")
    sequence = [POOL[i] for i in picks]
    with Store.open(folder / "a.db") as a:
        cut = len(sequence) // 2
        start = 0
        for size in batches * 20:
            if start >= cut:
                break
            a.gossip.ingest_many(sequence[start : min(cut, start + size)])
            start += size
    with Store.open(folder / "a.db") as a:
        a.gossip.ingest_many(sequence[cut:])
        a.gossip.ingest_many(sequence)  # and everything once more
        replayed = snapshot(a)
    distinct = list({m.id: m for m in sequence}.values())
    distinct.sort(key=lambda m: m.kind.value != "withdraw")
    with Store.open(folder / "b.db") as b:
        b.gossip.ingest_many(distinct)
        assert replayed == snapshot(b)


def test_own_records_are_idempotent(store: Store) -> None:
    keys = store.intents.reserve_keys(s.SEED)
    i = s.intent(keys.counter)
    assert store.intents.add(i, counter=keys.counter)
    assert not store.intents.add(i, counter=keys.counter)
    o = s.offer(i)
    so = s.sealed(o, i)
    assert store.offers.add_received(so, o)
    assert not store.offers.add_received(so, o)
    assert not store.offers.add_received(s.sealed(o, i, seed=7), o)  # re-sealed: same offer
    a = s.accept(keys.counter, i, o)
    assert store.deals.record_accept(i, o, a, role=Role.CUSTOMER)
    assert not store.deals.record_accept(i, o, a, role=Role.CUSTOMER)
    c = s.confirm(a)
    assert store.deals.record_reply(c)
    assert not store.deals.record_reply(c)
    assert len(store.offers.received(i.signer)) == 1
    assert len(store.deals.list()) == 1
    v = s.intent(9)
    vo = s.offer(v)
    assert store.offers.add_made(v, vo, s.sealed(vo, v))
    assert not store.offers.add_made(v, vo, s.sealed(vo, v))


def test_unflushed_ingest_stores_the_same_and_leaves_later_writes_flushed(
    store: Store, db_path: Any
) -> None:
    """The node relays others' gossip without waiting for the disk; the
    result is the same, and the connection goes back to flushing every
    commit (own intents, keys and deals must survive a power cut)."""
    assert store.gossip.ingest_many(POOL, flush=False)[0] is Ingest.NEW
    conn = store.gossip._c.conn
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    reopened = Store.open(db_path)
    try:
        assert snapshot(reopened) == snapshot(store)
    finally:
        reopened.close()


def test_newest_revision_of_a_cached_intent(store: Store) -> None:
    assert store.gossip.newest_revision(I1.signer) is None
    store.gossip.ingest_many([I1R1, I1])
    assert store.gossip.newest_revision(I1.signer) == 1
    assert store.gossip.newest_revision(I2.signer) is None
