"""Every stored type comes back as the protocol type it went in as, byte
for byte, also after the file is closed and reopened."""

from __future__ import annotations

from pathlib import Path

from intentcast.protocol import IntentState, OfferState
from intentcast.store import DealState, Ingest, Role, Store

from . import store_samples as s


def test_gossip_messages_round_trip_across_reopen(db_path: Path) -> None:
    i1, i2 = s.intent(1), s.intent(2, category="home")
    o = s.offer(i1)
    so = s.sealed(o, i1)
    a = s.accept(1, i1, o)
    sd = s.sealed_deal(a, o)
    w = s.withdraw(3)
    p = s.profile()
    with Store.open(db_path) as store:
        assert store.gossip.ingest_many([i1, i2, so, sd, w, p]) == [Ingest.NEW] * 6
    with Store.open(db_path) as store:
        assert store.gossip.intent(i1.id) == i1
        assert store.gossip.live_intents(now=s.T0) == [i1, i2]
        assert store.gossip.live_intents(now=s.T0, category="home") == [i2]
        assert store.gossip.sealed_offers(i1.id) == [so]
        assert store.gossip.sealed_deals(o.id) == [sd]
        assert store.gossip.tombstone(w.message.intent_key) == w
        assert store.gossip.vendor_profile(s.VENDOR.vendor_key) == p
        assert all(store.gossip.has_seen(m.id) for m in (i1, i2, so, sd, w, p))
        assert set(m.id for m in store.gossip.live_messages(now=s.T0)) == {
            m.id for m in (i1, i2, so, sd, w, p)
        }


def test_newest_revision_and_newest_profile_win(store: Store) -> None:
    r0, r1 = s.intent(1), s.intent(1, revision=1, title="a better phone")
    old, new = s.profile(created=s.T0), s.profile(created=s.T0 + 100, name="Phone Shop 2")
    store.gossip.ingest_many([r1, new])
    store.gossip.ingest_many([r0, old])  # late replays of older versions
    assert store.gossip.live_intents(now=s.T0) == [r1]
    assert store.gossip.vendor_profile(s.VENDOR.vendor_key) == new


def test_own_intent_round_trip_with_counter_and_revisions(db_path: Path) -> None:
    with Store.open(db_path) as store:
        keys = store.intents.reserve_keys(s.SEED)
        first = s.intent(keys.counter)
        amended = s.intent(keys.counter, revision=1, title="a cheaper phone")
        assert first.signer == keys.intent_key
        assert store.intents.add(first, counter=keys.counter)
        assert store.intents.amend(amended)
    with Store.open(db_path) as store:
        own = store.intents.get(keys.intent_key)
        assert own is not None
        assert (own.counter, own.state, own.intent) == (keys.counter, IntentState.AMENDED, amended)
        assert store.intents.by_revision(first.id) == first
        assert store.intents.list() == [own]
        assert store.intents.list(states=frozenset({IntentState.OPEN})) == []
        # our own intent, replayed to us over gossip, is not cached as a stranger's
        assert store.gossip.ingest(first) is Ingest.DUPLICATE


def test_customer_deal_round_trip_moves_states(db_path: Path) -> None:
    with Store.open(db_path) as store:
        keys = store.intents.reserve_keys(s.SEED)
        i = s.intent(keys.counter)
        store.intents.add(i, counter=keys.counter)
        o = s.offer(i)
        so = s.sealed(o, i)
        assert store.offers.add_received(so, o)
        a = s.accept(keys.counter, i, o)
        assert store.deals.record_accept(i, o, a, role=Role.CUSTOMER)
        assert store.intents.get(i.signer).state is IntentState.ACCEPTED  # type: ignore[union-attr]
        c = s.confirm(a)
        assert store.deals.record_reply(c)
    with Store.open(db_path) as store:
        assert store.offers.received(i.signer) == [store.offers.get_received(o.id)]
        got = store.offers.get_received(o.id)
        assert got is not None
        assert (got.sealed, got.offer, got.state) == (so, o, OfferState.CONFIRMED)
        deal = store.deals.get(a.id)
        assert deal is not None
        assert (deal.role, deal.state) == (Role.CUSTOMER, DealState.CONFIRMED)
        assert (deal.intent, deal.offer, deal.accept, deal.reply) == (i, o, a, c)
        assert store.deals.list(role=Role.CUSTOMER) == [deal]
        assert store.deals.list(role=Role.VENDOR) == []
        assert store.intents.get(i.signer).state is IntentState.CLOSED  # type: ignore[union-attr]
        record = store.deals.track_record(s.VENDOR.vendor_key)
        assert (record.confirmed, record.declined, record.pending) == (1, 0, 0)


def test_vendor_deal_round_trip_with_decline(db_path: Path) -> None:
    i = s.intent(5)
    o = s.offer(i)
    so = s.sealed(o, i)
    a = s.accept(5, i, o)
    d = s.decline(a)
    with Store.open(db_path) as store:
        assert store.offers.add_made(i, o, so)
        assert store.deals.record_accept(i, o, a, role=Role.VENDOR)
        assert store.deals.record_reply(d)
    with Store.open(db_path) as store:
        made = store.offers.get_made(o.id)
        assert made is not None
        assert (made.intent, made.offer, made.sealed, made.state) == (
            i,
            o,
            so,
            OfferState.DECLINED,
        )
        assert store.offers.made(i.id) == [made]
        deal = store.deals.get(a.id)
        assert deal is not None and deal.reply == d and deal.state is DealState.DECLINED
        assert store.deals.track_record(s.VENDOR.vendor_key).declined == 1


def test_declined_accept_puts_own_intent_back_on_the_market(store: Store) -> None:
    keys = store.intents.reserve_keys(s.SEED)
    i = s.intent(keys.counter)
    store.intents.add(i, counter=keys.counter)
    o = s.offer(i)
    store.offers.add_received(s.sealed(o, i), o)
    a = s.accept(keys.counter, i, o)
    store.deals.record_accept(i, o, a, role=Role.CUSTOMER)
    store.deals.record_reply(s.decline(a))
    assert store.intents.get(i.signer).state is IntentState.OPEN  # type: ignore[union-attr]
    assert store.offers.get_received(o.id).state is OfferState.DECLINED  # type: ignore[union-attr]


def test_own_withdrawal_is_kept_and_refuses_replays(store: Store) -> None:
    keys = store.intents.reserve_keys(s.SEED)
    i = s.intent(keys.counter)
    store.intents.add(i, counter=keys.counter)
    w = s.withdraw(keys.counter)
    assert store.intents.withdraw(w)
    assert not store.intents.withdraw(w)
    assert store.intents.get(i.signer).state is IntentState.WITHDRAWN  # type: ignore[union-attr]
    assert store.gossip.tombstone(i.signer) == w
    assert store.gossip.ingest(s.intent(keys.counter, revision=1)) is Ingest.WITHDRAWN


def test_peers_round_trip(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.peers.seen("12D3KooWA", ["/ip4/10.0.0.1/tcp/4001"], now=s.T0)
        store.peers.failed("12D3KooWB", now=s.T0 + 1)
        store.peers.failed("12D3KooWB", now=s.T0 + 2)
        store.peers.seen("12D3KooWC", ["/ip4/10.0.0.3/tcp/4001"], now=s.T0 + 5)
        store.peers.failed("12D3KooWC", now=s.T0 + 6)
    with Store.open(db_path) as store:
        a, c, b = store.peers.list()
        assert (a.peer_id, a.addrs, a.last_seen, a.failures) == (
            "12D3KooWA",
            ("/ip4/10.0.0.1/tcp/4001",),
            s.T0,
            0,
        )
        assert (b.peer_id, b.failures, b.last_failure) == ("12D3KooWB", 2, s.T0 + 2)
        assert b.last_seen is None
        assert (c.failures, c.last_failure) == (1, s.T0 + 6)
        store.peers.seen("12D3KooWC", ["/ip4/10.0.0.9/tcp/1"], now=s.T0 + 9)
        assert store.peers.get("12D3KooWC") == c.__class__(
            "12D3KooWC", ("/ip4/10.0.0.9/tcp/1",), s.T0 + 9, 0, s.T0 + 6
        )
        assert store.peers.forget("12D3KooWB") and store.peers.get("12D3KooWB") is None


def test_sync_hand_over_reproduces_the_live_state(tmp_path: Path) -> None:
    """What one node hands a peer on sync (``live_messages``) gives the peer
    the same live intents, withdrawals included, whatever order it arrives in."""
    withdrawn = s.intent(3)
    messages = [s.intent(1), s.intent(1, revision=1, title="newer"), s.intent(2), withdrawn]
    with Store.open(tmp_path / "a.db") as a, Store.open(tmp_path / "b.db") as b:
        a.gossip.ingest_many(messages)
        a.gossip.ingest(s.withdraw(3))  # arrives after the intent it withdraws
        handed = a.gossip.live_messages(now=s.T0)
        assert handed[0].kind.value == "withdraw"
        for m in reversed(handed):  # even in the worst order, one by one
            b.gossip.ingest(m)
        b.gossip.ingest(withdrawn)  # a stale copy from a third peer
        live = b.gossip.live_intents(now=s.T0)
        assert sorted(m.id for m in live) == sorted(m.id for m in a.gossip.live_intents(now=s.T0))
        assert sorted(m.message.title for m in live) == ["a phone", "newer"]


def test_customer_records_count_declines_and_accepts_left_unanswered(store: Store) -> None:
    """What the customer's own record holds against a vendor: its declines,
    and accepts still unanswered when the cut-off passes; deals this node
    made as vendor never count."""
    keys = store.intents.reserve_keys(s.SEED)
    i = s.intent(keys.counter)
    store.intents.add(i, counter=keys.counter)
    o = s.offer(i)
    store.offers.add_received(s.sealed(o, i), o)
    declined = s.accept(keys.counter, i, o)
    store.deals.record_accept(i, o, declined, role=Role.CUSTOMER)
    store.deals.record_reply(s.decline(declined))
    assert store.deals.customer_records(unanswered_before=0) == {s.VENDOR.vendor_key: (0, 1)}
    # The intent is back on the market; an accept of another offer gets no answer.
    o2 = s.offer(i, price=39_000)
    store.offers.add_received(s.sealed(o2, i), o2)
    signed = s.accept(keys.counter, i, o2)
    store.deals.record_accept(i, o2, signed, role=Role.CUSTOMER)
    waiting = signed.message
    made = waiting.created
    assert store.deals.customer_records(unanswered_before=made) == {s.VENDOR.vendor_key: (0, 1)}
    assert store.deals.customer_records(unanswered_before=made + 1) == {s.VENDOR.vendor_key: (1, 1)}
    # As vendor, the same vendor key's deals are not held against anyone.
    i5 = s.intent(5)
    o5 = s.offer(i5)
    store.offers.add_made(i5, o5, s.sealed(o5, i5))
    store.deals.record_accept(i5, o5, s.accept(5, i5, o5), role=Role.VENDOR)
    assert store.deals.customer_records(unanswered_before=made + 1) == {s.VENDOR.vendor_key: (1, 1)}
