"""The API's vendors-the-node-knows (for the "why no offers" hints) kept
between requests: always what summing every received offer up gives,
as offers arrive and as the per-intent cap drops them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from intentcast.daemon.api.known import KnownVendors
from intentcast.matching.hints import KnownVendor, known_vendors
from intentcast.protocol import Intent, Offer, Signed, derive_vendor_keys, sign
from intentcast.store import Store
from tests.store import store_samples as s

OTHER = derive_vendor_keys(bytes([2]) * 32)


def from_scratch(store: Store) -> list[KnownVendor]:
    return known_vendors(
        (r.offer.message, own.intent.message.category)
        for own in store.intents.list()
        for r in store.offers.received(own.intent.signer)
    )


def other_offer(intent: Signed[Intent], modes: tuple[str, ...]) -> Signed[Offer]:
    mine = s.offer(intent).message
    o = replace(
        mine, vendor_key=OTHER.vendor_key, vendor_name="Other Shop", payment_modes=modes,
        reply_key=OTHER.reply_public, ships_to=("DE", "AT"),
    )  # fmt: skip
    return sign(o, OTHER.signing, params=s.PARAMS)


def test_known_vendors_follow_the_store(tmp_path: Path) -> None:
    known = KnownVendors()
    with Store.open(tmp_path / "node.db") as store:
        assert known(store) == [] == from_scratch(store)
        offers = []
        for n in range(3):
            store.intents.reserve_keys(s.SEED)
            intent = s.intent(n, category="electronics" if n else "toys")
            store.intents.add(intent, counter=n)
            for o in (s.offer(intent), other_offer(intent, ("escrow",) if n else ("prepay",))):
                store.offers.add_received(s.sealed(o, intent), o)
                offers.append(o)
            assert known(store) == from_scratch(store)
        [other] = [v for v in known(store) if v.name == "Other Shop"]
        assert other.payment_modes == {"escrow", "prepay"}
        assert other.categories == {"toys/phones", "electronics/phones"}
        # The cap drops the only offer that said prepay: the vendor no longer does.
        assert store.offers.drop_received(offers[1].id)
        again = known(store)
        assert again == from_scratch(store)
        [other] = [v for v in again if v.name == "Other Shop"]
        assert other.payment_modes == {"escrow"}
        assert known(store) is again  # nothing new: nothing decoded again
