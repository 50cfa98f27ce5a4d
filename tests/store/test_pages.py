"""What the web app's pages read without decoding every record: the
newest own intents, offer counts per intent, counts per state."""

from __future__ import annotations

from intentcast.protocol import IntentState
from intentcast.store import DealState, Role, Store

from . import store_samples as s


def test_newest_intents_offer_counts_and_state_counts(store: Store) -> None:
    intents = []
    for _ in range(5):
        keys = store.intents.reserve_keys(s.SEED)
        intent = s.intent(keys.counter)
        store.intents.add(intent, counter=keys.counter)
        intents.append(intent)
    # Offers to two revisions of intent 1 count for the intent; intent 3 has one.
    r1 = s.intent(1, revision=1, title="a better phone")
    store.intents.amend(r1)
    for k, revision in enumerate([intents[1], r1, r1, intents[3]]):
        o = s.offer(revision, price=40_000 + k)
        store.offers.add_received(s.sealed(o, revision, seed=k), o)
    assert [o.intent.signer for o in store.intents.newest(3)] == [
        intents[4].signer, intents[3].signer, intents[2].signer,
    ]  # fmt: skip
    assert store.intents.newest(1)[0] == store.intents.get(intents[4].signer)
    signers = [i.signer for i in intents]
    assert store.offers.received_counts(signers) == {intents[1].signer: 3, intents[3].signer: 1}
    assert store.offers.received_counts(signers[:2]) == {intents[1].signer: 3}
    assert store.offers.received_counts([]) == {}
    assert store.intents.state_counts() == {IntentState.OPEN: 4, IntentState.AMENDED: 1}
    o = store.offers.received(intents[3].signer)[0].offer
    a = s.accept(3, intents[3], o)
    store.deals.record_accept(intents[3], o, a, role=Role.CUSTOMER)
    assert store.intents.state_counts() == {
        IntentState.OPEN: 3, IntentState.AMENDED: 1, IntentState.ACCEPTED: 1,
    }  # fmt: skip
    assert store.deals.state_counts() == {DealState.ACCEPTED: 1}
    store.deals.record_reply(s.confirm(a))
    assert store.deals.state_counts() == {DealState.CONFIRMED: 1}
