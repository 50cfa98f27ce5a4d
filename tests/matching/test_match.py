"""Vendor side: which catalog items answer which intents (the relevance
rule on a test set of intents and the example catalogs), and that drafts
never break the customer's hard terms."""

from __future__ import annotations

from functools import cache

import pytest

from intentcast.matching import (
    RatingSummary,
    assess_relevance,
    match_intent,
    parse_catalog,
    rank_offers,
)
from intentcast.protocol import sign

from .builders import CATALOGS, DAY, NOW, intent, vendor


@cache
def catalog(name: str):
    return parse_catalog((CATALOGS / f"{name}.toml").read_text(), source=f"{name}.toml")


def skus(drafts) -> list[str]:
    return [d.item.sku for d in drafts]


def wide_terms(**changes):
    base = {
        "max_price": 200_000,
        "region": "DE",
        "deliver_by": None,
        "customer_terms": (),
        "payment_modes": ("prepay",),
    }
    return {**base, **changes}


# (title, category, attributes, catalog, SKUs offered: most relevant first)
TEST_SET = [
    ("Pixel 8", ("electronics", "phones"), {}, "kiez-phones", ["px8-256-ref", "px8-128-blk"]),
    ("Google Pixel 8 128GB", ("electronics", "phones"), {"storage_gb": (100, 200)},
     "kiez-phones", ["px8-128-blk"]),
    ("iPhone 15", ("electronics", "phones"), {}, "kiez-phones", ["ip15-128"]),
    ("Pixel 7", ("electronics", "phones"), {}, "kiez-phones", []),
    ("Samsung Galaxy S24", ("electronics", "phones"), {}, "kiez-phones", []),
    ("Smartphone", ("electronics", "phones"), {"brand": "Apple"}, "kiez-phones", ["ip15-128"]),
    ("Smartphone", ("electronics",), {"storage_gb": 256}, "kiez-phones", ["px8-256-ref"]),
    ("Case for my Pixel 8", ("electronics", "accessories"), {}, "kiez-phones", ["case-px8"]),
    ("Pixel 8", ("electronics", "accessories"), {}, "kiez-phones", ["case-px8"]),
    ("USB-C charger", ("electronics",), {}, "kiez-phones", ["usbc-30w"]),
    ("Laptop", ("electronics",), {}, "kiez-phones", []),
    ("Road bike 56cm", ("sports", "cycling"), {}, "velo-werk", ["rb-56-alu"]),
    ("Bike", ("sports",), {}, "velo-werk", ["cb-52", "rb-56-alu"]),  # equal: cheaper first
    ("City bike", ("sports", "cycling", "bikes"), {"frame_cm": (50, 54)}, "velo-werk",
     ["cb-52"]),
    ("Bike", ("sports",), {"frame_cm": (58, 62)}, "velo-werk", []),
    ("Pixel 8", ("electronics", "phones"), {}, "velo-werk", []),
    ("Bicycle repair", ("services",), {}, "velo-werk", []),  # ships to u33d only, not DE
]  # fmt: skip


@pytest.mark.parametrize(
    ("title", "category", "attributes", "catalog_name", "expected"),
    TEST_SET,
    ids=[f"{t[0]}/{'-'.join(t[1])}->{t[3]}" for t in TEST_SET],
)
def test_relevance_test_set(title, category, attributes, catalog_name, expected) -> None:
    i = intent(title=title, category=category, attributes=attributes, terms=wide_terms())
    drafts = match_intent(i, catalog(catalog_name), now=NOW)
    assert sorted(skus(drafts)) == sorted(expected)
    assert skus(drafts) == expected  # most relevant first, then cheaper


def test_a_geohash_customer_gets_the_local_service() -> None:
    i = intent(title="Bicycle repair", category=("services",), attributes={},
               terms=wide_terms(region="u33db"))  # fmt: skip
    assert skus(match_intent(i, catalog("velo-werk"), now=NOW)) == ["svc-tuneup"]


def test_relevance_reasons_say_why_not() -> None:
    shop = catalog("kiez-phones")
    ip15 = next(item for item in shop.items if item.sku == "ip15-128")
    px8 = next(item for item in shop.items if item.sku == "px8-128-blk")
    i = intent(title="Pixel 8", attributes={"storage_gb": (100, 200)}).message
    verdict = assess_relevance(i, ip15)
    assert not verdict.relevant
    assert "only 0 of 2 title words; missing 8 and pixel" in verdict.reasons
    assert assess_relevance(i, px8).relevant
    wrong_size = intent(title="Pixel 8", attributes={"storage_gb": 256}).message
    assert "storage_gb is 128, the intent wants 256" in assess_relevance(wrong_size, px8).reasons


@pytest.mark.parametrize(
    ("changes", "offered"),
    [
        ({}, ["px8-256-ref", "px8-128-blk"]),
        ({"max_price": 50_000}, ["px8-256-ref"]),
        ({"max_price": 40_000}, []),
        ({"currency": "USD"}, []),
        ({"region": "FR"}, []),
        ({"region": "AT"}, ["px8-256-ref", "px8-128-blk"]),
        ({"customer_terms": ("cc:no-profiling",)}, []),
        ({"customer_terms": ("cc:no-tracking", "cc:no-resale")}, ["px8-256-ref", "px8-128-blk"]),
        ({"payment_modes": ("pay-after-delivery",)}, []),
        ({"deliver_by": NOW + DAY}, []),
        ({"deliver_by": NOW + 2 * DAY}, ["px8-256-ref", "px8-128-blk"]),  # exactly in time
        ({"deliver_by": NOW + 2 * DAY - 1}, []),
        ({"min_rating": 350}, []),
    ],
)
def test_drafts_meet_every_hard_term(changes, offered) -> None:
    i = intent(title="Pixel 8", attributes={}, terms=wide_terms(**changes))
    assert skus(match_intent(i, catalog("kiez-phones"), now=NOW)) == offered


def test_name_your_price_floor_lets_a_low_maximum_through() -> None:
    i = intent(title="Pixel 8", attributes={},
               terms=wide_terms(max_price=43_000, payment_modes=("name-your-price",)))  # fmt: skip
    (draft,) = match_intent(i, catalog("kiez-phones"), now=NOW)
    assert draft.item.sku == "px8-256-ref"
    assert (draft.price, draft.price_floor, draft.payment_modes) == (
        46_900, 42_000, ("name-your-price",)
    )  # fmt: skip


def test_quantity_uses_tier_prices_and_stock() -> None:
    i = intent(title="USB-C charger", category=("electronics",), attributes={}, quantity=20,
               terms=wide_terms(max_price=24_000))  # fmt: skip
    (draft,) = match_intent(i, catalog("kiez-phones"), now=NOW)
    assert (draft.quantity, draft.price) == (20, 24_000)
    too_many = intent(title="USB-C charger", category=("electronics",), attributes={},
                      quantity=101, terms=wide_terms(max_price=10**9))  # fmt: skip
    assert match_intent(too_many, catalog("kiez-phones"), now=NOW) == ()


def test_a_vendor_with_a_good_rating_answers_demanding_intents() -> None:
    i = intent(title="Pixel 8", attributes={}, terms=wide_terms(min_rating=450))
    good = RatingSummary.of([490] * 200)
    assert len(match_intent(i, catalog("kiez-phones"), now=NOW, rating=good)) == 2
    assert match_intent(i, catalog("kiez-phones"), now=NOW) == ()


def test_an_expired_intent_gets_no_offers() -> None:
    i = intent(title="Pixel 8", attributes={}, terms=wide_terms())
    assert match_intent(i, catalog("kiez-phones"), now=i.message.expires) == ()


def test_drafts_become_offers_the_customer_ranks() -> None:
    i = intent(title="Pixel 8", attributes={"storage_gb": 128},
               terms=wide_terms(customer_terms=("cc:no-tracking",)))  # fmt: skip
    drafts = match_intent(i, catalog("kiez-phones"), now=NOW)
    keys = vendor(5)
    offers = [
        sign(d.to_offer(vendor_key=keys.vendor_key, reply_key=keys.reply_public), keys.signing)
        for d in drafts
    ]
    assert all(o.message.intent_id == i.id for o in offers)
    assert offers[0].message.vendor_name == "Kiez Phones"
    assert offers[0].message.valid_until == NOW + 48 * 3600
    assert offers[0].message.deliver_by == NOW + 2 * DAY
    assert "cc:delete-after-deal" in offers[0].message.customer_terms
    ranking = rank_offers(i, offers, now=NOW + 60, reputation={})
    assert ranking.rejected == ()
    assert [r.offer.message.item.sku for r in ranking.ranked] == ["px8-128-blk"]
