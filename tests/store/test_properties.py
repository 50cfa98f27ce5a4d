"""Arbitrary valid messages (the protocol tests' strategies) come back from
the store exactly as they went in."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from intentcast.protocol import derive_intent_keys, seal_offer, sign
from intentcast.store import Ingest, Store

from ..protocol.strategies import intents, offers
from . import store_samples as s


@settings(max_examples=40, deadline=None)
@given(data=st.data(), counter=st.integers(0, 2**20))
def test_any_intent_round_trips_through_the_cache(data: st.DataObject, counter: int) -> None:
    keys = derive_intent_keys(s.SEED, counter)
    signed = sign(data.draw(intents(reply_key=keys.reply_public)), keys.signing, params=s.PARAMS)
    with Store.open(":memory:") as store:
        assert store.gossip.ingest(signed) is Ingest.NEW
        assert store.gossip.intent(signed.id) == signed
        assert store.gossip.live_intents(now=signed.message.created) == [signed]
        assert store.gossip.live_intents(now=signed.message.expires) == []


@settings(max_examples=40, deadline=None)
@given(data=st.data(), counter=st.integers(0, 2**20))
def test_any_offer_round_trips_on_both_sides(data: st.DataObject, counter: int) -> None:
    keys = derive_intent_keys(s.SEED, counter)
    intent = sign(data.draw(intents(reply_key=keys.reply_public)), keys.signing, params=s.PARAMS)
    drawn = data.draw(offers(intent_id=intent.id, vendor_key=s.VENDOR.vendor_key))
    created = intent.message.created  # an offer answers a live intent
    drawn = replace(drawn, created=created, valid_until=created + drawn.valid_until - drawn.created)
    offer = sign(drawn, s.VENDOR.signing, params=s.PARAMS)
    sealed = seal_offer(offer, intent, created=intent.message.created,
                        random_bytes=random.Random(counter).randbytes, params=s.PARAMS)  # fmt: skip
    with Store.open(":memory:") as store:
        # the store never sees the seed: any reserved counter records the intent
        store.intents.add(intent, counter=store.intents.reserve_keys(s.SEED).counter)
        assert store.offers.add_received(sealed, offer)
        got = store.offers.get_received(offer.id)
        assert got is not None and (got.sealed, got.offer) == (sealed, offer)
        assert store.offers.add_made(intent, offer, sealed)
        made = store.offers.get_made(offer.id)
        assert made is not None
        assert (made.intent, made.offer, made.sealed) == (intent, offer, sealed)
