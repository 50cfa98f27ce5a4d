"""Each hard constraint on its own: an offer that breaks it is rejected,
the constraint is named, and the explanation says what is wrong in words a
customer understands."""

from __future__ import annotations

import pytest

from intentcast.matching import (
    Constraint,
    RatingSummary,
    explain,
    find_violations,
    rank_offers,
    ships_to_region,
)

from .builders import DAY, NOW, intent, offer


def rejected_for(intent_, offer_, *, now=NOW, reputation=None, **kw):
    ranking = rank_offers(intent_, [offer_], now=now, reputation=reputation or {}, **kw)
    assert not ranking.ranked, "the offer should not rank"
    (rejection,) = ranking.rejected
    return rejection


def test_an_offer_meeting_every_term_ranks() -> None:
    i = intent()
    ranking = rank_offers(i, [offer(i)], now=NOW, reputation={})
    assert [r.offer.message.vendor_name for r in ranking.ranked] == ["Vendor 0"]
    assert ranking.rejected == ()


@pytest.mark.parametrize(
    ("intent_changes", "offer_changes", "constraint", "words"),
    [
        ({}, {"currency": "USD"}, Constraint.CURRENCY, ["USD", "EUR"]),
        ({}, {"price": 60_001}, Constraint.PRICE, ["600.01 EUR", "maximum of 600.00 EUR"]),
        ({}, {"quantity": 2}, Constraint.QUANTITY, ["2 units", "you asked for 1"]),
        (
            {},
            {"deliver_by": NOW + 6 * DAY},
            Constraint.DELIVERY,
            ["delivers by 2027-01-21 08:00 UTC", "you need it by 2027-01-20 08:00 UTC"],
        ),
        ({}, {"ships_to": ("AT", "CH")}, Constraint.REGION, ["region DE", "AT and CH"]),
        (
            {},
            {"customer_terms": ("cc:no-resale",)},
            Constraint.CUSTOMER_TERM,
            ["cc:no-tracking", "no tracking of the customer"],
        ),
        ({}, {"payment_modes": ("escrow",)}, Constraint.PAYMENT, ["only escrow", "or"]),
        ({}, {"created": NOW - DAY, "valid_until": NOW}, Constraint.VALIDITY, ["expired at"]),
        ({"terms": {"min_rating": 400}}, {}, Constraint.RATING, ["3.00 stars", "4.00"]),
        ({}, {"intent_id": bytes(32)}, Constraint.INTENT, ["another intent"]),
    ],
)
def test_each_broken_constraint_is_named_and_explained(
    intent_changes, offer_changes, constraint, words
) -> None:
    i = intent(**intent_changes)
    rejection = rejected_for(i, offer(i, **offer_changes))
    assert [v.constraint for v in rejection.violations] == [constraint]
    text = explain(rejection)
    assert text.startswith("Rejected Vendor 0 (Pixel 8 128 GB): ")
    for word in words:
        assert word in text


def test_every_broken_constraint_is_listed_not_just_the_first() -> None:
    i = intent(terms={"customer_terms": ("cc:no-tracking", "cc:no-resale")})
    bad = offer(
        i,
        price=70_000,
        ships_to=("FR",),
        customer_terms=(),
        payment_modes=("escrow",),
        valid_until=NOW - 1,
        created=NOW - DAY,
    )
    rejection = rejected_for(i, bad)
    assert [v.constraint for v in rejection.violations] == [
        Constraint.VALIDITY,
        Constraint.PRICE,
        Constraint.REGION,
        Constraint.CUSTOMER_TERM,
        Constraint.CUSTOMER_TERM,
        Constraint.PAYMENT,
    ]
    text = explain(rejection)
    assert "cc:no-tracking" in text and "cc:no-resale" in text


def test_an_offer_for_an_earlier_revision_is_rejected_as_out_of_date() -> None:
    first = intent()
    amended = intent(revision=1, terms={"max_price": 55_000})
    old_offer = offer(first)
    rejection = rejected_for(amended, old_offer, earlier_revisions=[first])
    (violation,) = rejection.violations
    assert violation.constraint is Constraint.INTENT
    assert "revision 0" in violation.message and "now revision 1" in violation.message
    # Without the history the offer is still rejected, as answering another intent.
    assert rejected_for(amended, old_offer).violations[0].constraint is Constraint.INTENT


def test_an_earlier_revision_of_someone_elses_intent_is_not_called_ours() -> None:
    mine = intent(counter=0, revision=1)
    theirs = intent(counter=1)
    rejection = rejected_for(mine, offer(theirs), earlier_revisions=[theirs])
    assert "another intent" in rejection.violations[0].message


def test_price_is_for_the_whole_quantity() -> None:
    i = intent(quantity=3, terms={"max_price": 150_000})
    assert rank_offers(i, [offer(i, price=150_000)], now=NOW, reputation={}).ranked
    rejection = rejected_for(i, offer(i, price=150_001))
    assert "for 3 units" in rejection.violations[0].message


def test_name_your_price_floor_counts_when_both_sides_take_it() -> None:
    i = intent(terms={"payment_modes": ("name-your-price", "prepay")})
    nyp = offer(i, price=70_000, price_floor=55_000, payment_modes=("name-your-price",))
    ranking = rank_offers(i, [nyp], now=NOW, reputation={})
    assert ranking.ranked[0].price == 55_000
    assert "name-your-price floor" in explain(ranking.ranked[0])
    # A customer who does not take name-your-price pays the list price: too much.
    j = intent(counter=1)
    nyp_j = offer(j, price=70_000, price_floor=55_000, payment_modes=("name-your-price", "prepay"))
    rejection = rejected_for(j, nyp_j)
    assert [v.constraint for v in rejection.violations] == [Constraint.PRICE]
    assert "costs 700.00 EUR" in rejection.violations[0].message


def test_no_deadline_means_any_delivery_date() -> None:
    i = intent(terms={"deliver_by": None})
    late = offer(i, deliver_by=NOW + 60 * DAY)
    assert rank_offers(i, [late], now=NOW, reputation={}).ranked


def test_offer_valid_until_exactly_now_has_expired() -> None:
    i = intent()
    o = offer(i, valid_until=NOW + 10)
    assert rank_offers(i, [o], now=NOW + 9, reputation={}).ranked
    assert rejected_for(i, o, now=NOW + 10).violations[0].constraint is Constraint.VALIDITY


def test_minimum_rating_uses_the_bayesian_rating() -> None:
    i = intent(terms={"min_rating": 400})
    vendor_key = offer(i).message.vendor_key
    one_perfect = {vendor_key: RatingSummary.of([500])}
    rejection = rejected_for(i, offer(i), reputation=one_perfect)
    message = rejection.violations[0].message
    assert "3.18 stars from 1 verified deal (rated 5.00 on average" in message
    ten_perfect = {vendor_key: RatingSummary.of([500] * 10)}  # exactly 4.00
    assert rank_offers(i, [offer(i)], now=NOW, reputation=ten_perfect).ranked


@pytest.mark.parametrize(
    ("ships_to", "region", "covered"),
    [
        (("*",), "DE", True),
        (("*",), "u33db", True),
        (("DE",), "DE", True),
        (("AT", "DE"), "DE", True),
        (("AT",), "DE", False),
        (("u33",), "u33db", True),
        (("u33db",), "u33", False),  # the customer may live outside u33db
        (("u34",), "u33db", False),
        (("DE",), "u33db", False),  # countries and geohashes are not converted
    ],
)
def test_ships_to_region(ships_to, region, covered) -> None:
    assert ships_to_region(ships_to, region) is covered


def test_find_violations_is_empty_for_an_acceptable_offer() -> None:
    i = intent()
    assert find_violations(i, offer(i), now=NOW) == ()
