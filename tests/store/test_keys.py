"""Intent key counters: reserved durably before use, never handed out twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from intentcast.protocol import ON_MARKET, IntentState, derive_intent_keys
from intentcast.store import KeyNotReserved, Store

from . import store_samples as s


def test_reservations_survive_reopen_and_never_repeat(db_path: Path) -> None:
    handed: list[int] = []
    for _ in range(3):
        with Store.open(db_path) as store:
            handed += [store.intents.reserve_keys(s.SEED).counter for _ in range(2)]
    assert handed == list(range(6))
    with Store.open(db_path) as store:
        assert store.intents.next_counter() == 6


def test_reserved_keys_are_the_seed_keys_of_that_counter(store: Store) -> None:
    keys = store.intents.reserve_keys(s.SEED)
    expected = derive_intent_keys(s.SEED, keys.counter)
    assert keys.intent_key == expected.intent_key
    assert keys.reply_public == expected.reply_public


def test_intent_with_unreserved_counter_is_refused(store: Store) -> None:
    with pytest.raises(KeyNotReserved, match="never reserved"):
        store.intents.add(s.intent(0), counter=0)
    assert store.intents.list() == []


def test_counter_cannot_serve_two_intents(store: Store) -> None:
    keys = store.intents.reserve_keys(s.SEED)
    store.intents.add(s.intent(keys.counter), counter=keys.counter)
    with pytest.raises(KeyNotReserved, match="another intent"):
        store.intents.add(s.intent(7), counter=keys.counter)
    assert [o.counter for o in store.intents.list()] == [keys.counter]


def test_keys_that_must_fit_skip_counters_and_spend_them(db_path: Path) -> None:
    """A customer takes the keys of the next counter whose offer bucket it
    follows; the counters passed over are spent, never handed out later."""

    def fits(intent_key: bytes) -> bool:
        return intent_key[0] % 4 == 0

    with Store.open(db_path) as store:
        first = store.intents.reserve_keys(s.SEED, fits=fits)
        second = store.intents.reserve_keys(s.SEED, fits=fits)
    expected = [c for c in range(200) if fits(derive_intent_keys(s.SEED, c).intent_key)][:2]
    assert [first.counter, second.counter] == expected
    with Store.open(db_path) as store:
        assert store.intents.next_counter() == second.counter + 1
        assert store.intents.reserve_keys(s.SEED).counter == second.counter + 1


def test_keys_that_never_fit_are_refused_with_nothing_spent(store: Store) -> None:
    with pytest.raises(ValueError, match="no intent keys fit"):
        store.intents.reserve_keys(s.SEED, fits=lambda _: False)
    assert store.intents.next_counter() == 0


def test_the_keys_of_intents_on_the_market_are_read_without_decoding_them(store: Store) -> None:
    """What a customer keeps following offers for (its own intents still
    open or amended, not expired), read from the index columns."""
    for n in range(4):
        store.intents.reserve_keys(s.SEED)
        expires = s.T0 + 60 if n == 2 else s.T0 + s.DAY
        store.intents.add(s.intent(n, expires=expires), counter=n)
    store.intents.withdraw(s.withdraw(1))
    on_market = store.intents.keys_in(ON_MARKET, now=s.T0 + 120)
    assert on_market == [derive_intent_keys(s.SEED, n).intent_key for n in (0, 3)]
    assert store.intents.keys_in(ON_MARKET, now=s.T0) == [
        derive_intent_keys(s.SEED, n).intent_key for n in (0, 2, 3)
    ]
    assert store.intents.keys_in(frozenset({IntentState.WITHDRAWN}), now=s.T0) == [
        derive_intent_keys(s.SEED, 1).intent_key
    ]
