"""Own messages on their stem (``store.stems``): what a restart sends down a
stem again. Rows survive reopening the file, end when the stem is over, and
go with the message's expiry."""

from __future__ import annotations

from pathlib import Path

import pytest

from intentcast.store import CorruptDatabase, Store

from . import store_samples as s

HOUR = 3_600


def test_pending_stems_survive_reopening_until_done(db_path: Path) -> None:
    first, second = s.intent(1, expires=s.T0 + 5 * HOUR), s.withdraw(2, expires=s.T0 + HOUR)
    with Store.open(db_path) as store:
        store.stems.add(first, "intents/electronics")
        store.stems.add(second, "intents/home")
        store.stems.add(second, "intents/home")  # sent again: still one row
    with Store.open(db_path) as store:
        pending = store.stems.pending(now=s.T0)
        # Oldest expiry first, with the topic each is to be fluffed on.
        assert [(p.topic, p.signed) for p in pending] == [
            ("intents/home", second),
            ("intents/electronics", first),
        ]
        assert store.stems.done(second.id) is True
        assert store.stems.done(second.id) is False
        assert [p.signed for p in store.stems.pending(now=s.T0)] == [first]


def test_expired_messages_are_not_pending_and_are_swept(store: Store) -> None:
    short, long = s.intent(1, expires=s.T0 + HOUR), s.intent(2, expires=s.T0 + 5 * HOUR)
    store.stems.add(short, "t")
    store.stems.add(long, "t")
    assert [p.signed for p in store.stems.pending(now=s.T0 + 2 * HOUR)] == [long]
    store.sweep(s.T0 + 2 * HOUR)
    assert store.stems.done(short.id) is False  # the sweep removed it
    assert [p.signed for p in store.stems.pending(now=s.T0)] == [long]


def test_a_damaged_row_is_a_named_error(store: Store, db_path: Path) -> None:
    store.stems.add(s.intent(1), "t")
    store._c.conn.execute("UPDATE own_stems SET raw = x'00ff'")
    with pytest.raises(CorruptDatabase, match="own_stems"):
        store.stems.pending(now=s.T0)
