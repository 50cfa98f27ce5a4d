"""The soft score: what each preference rewards, the breakdown, ties, and
the explanation the CLI shows."""

from __future__ import annotations

import math

import pytest

from intentcast.matching import (
    PRIOR_RATING,
    RatingSummary,
    bayesian_rating,
    explain,
    meets_minimum,
    rank_offers,
)
from intentcast.protocol import Preferences

from .builders import DAY, NOW, intent, offer


def order(ranking) -> list[str]:
    return [r.offer.message.vendor_name for r in ranking.ranked]


def test_cheaper_offer_ranks_first_all_else_equal() -> None:
    i = intent()
    ranking = rank_offers(
        i, [offer(i, 0, price=55_000), offer(i, 1, price=45_000)], now=NOW, reputation={}
    )
    assert order(ranking) == ["Vendor 1", "Vendor 0"]
    cheap, dear = ranking.ranked
    assert cheap.breakdown.price > dear.breakdown.price
    assert cheap.breakdown.speed == dear.breakdown.speed


def test_price_score_rewards_headroom_under_the_maximum_and_closeness_to_the_best() -> None:
    i = intent(preferences=Preferences(price=100, speed=0, reputation=0, terms=0, attributes=0))
    ranking = rank_offers(
        i, [offer(i, 0, price=30_000), offer(i, 1, price=60_000)], now=NOW, reputation={}
    )
    best, worst = ranking.ranked
    # Best: half the max (headroom 0.5) and the best price (1.0) -> 75 points.
    assert best.score == pytest.approx(75.0)
    # At the max (headroom 0) and twice the best (0.5) -> 25 points.
    assert worst.score == pytest.approx(25.0)


def test_faster_delivery_ranks_first_when_speed_matters() -> None:
    i = intent(preferences=Preferences(price=0, speed=100, reputation=0, terms=0, attributes=0))
    ranking = rank_offers(
        i,
        [offer(i, 0, deliver_by=NOW + 4 * DAY), offer(i, 1, deliver_by=NOW + 1 * DAY)],
        now=NOW,
        reputation={},
    )
    assert order(ranking) == ["Vendor 1", "Vendor 0"]
    fast, slow = ranking.ranked
    # Fast: 1 day of a 5-day horizon (slack 0.8), the fastest (1.0) -> 90 points.
    assert fast.score == pytest.approx(90.0)
    # Slow: slack 0.2; relative (1+1)/(4+1) = 0.4 -> 30 points.
    assert slow.score == pytest.approx(30.0)


def test_one_five_star_rating_does_not_beat_a_hundred_four_point_eights() -> None:
    i = intent()
    newcomer, veteran = offer(i, 0), offer(i, 1)
    reputation = {
        newcomer.message.vendor_key: RatingSummary.of([500]),
        veteran.message.vendor_key: RatingSummary.of([480] * 100),
    }
    ranking = rank_offers(i, [newcomer, veteran], now=NOW, reputation=reputation)
    assert order(ranking) == ["Vendor 1", "Vendor 0"]
    assert ranking.ranked[0].rating == pytest.approx((10 * 300 + 48_000) / 110)
    assert ranking.ranked[1].rating == pytest.approx((10 * 300 + 500) / 11)


def test_bayesian_rating_and_minimum() -> None:
    assert bayesian_rating(RatingSummary(count=0, total=0)) == PRIOR_RATING
    assert bayesian_rating(RatingSummary.of([500] * 10)) == 400
    assert meets_minimum(RatingSummary.of([500] * 10), 400)
    assert not meets_minimum(RatingSummary.of([500] * 9), 400)
    # Many ratings pull the value towards their own mean.
    assert bayesian_rating(RatingSummary.of([200] * 1000)) < 205


@pytest.mark.parametrize(
    ("count", "total"), [(-1, 0), (1, 501), (0, 1), (2, -1)], ids=["neg", "over", "ghost", "neg-t"]
)
def test_rating_summary_refuses_impossible_values(count, total) -> None:
    with pytest.raises(ValueError, match="rating"):
        RatingSummary(count=count, total=total)


def test_accepting_optional_terms_beyond_the_required_ones_scores() -> None:
    i = intent(preferences=Preferences(price=0, speed=0, reputation=0, terms=100, attributes=0))
    minimal = offer(i, 0, customer_terms=("cc:no-tracking",))
    generous = offer(
        i, 1, customer_terms=("cc:no-tracking", "cc:no-resale", "cc:delete-after-deal")
    )
    padded = offer(i, 2, customer_terms=("cc:no-tracking", "x:made-up", "y:also-made-up"))
    ranking = rank_offers(i, [minimal, generous, padded], now=NOW, reputation={})
    scores = {r.offer.message.vendor_name: r.score for r in ranking.ranked}
    # 5 well-known terms beyond the required one; the generous vendor takes 2.
    assert scores["Vendor 1"] == pytest.approx(40.0)
    # Invented terms earn nothing: vendors cannot pad their offers.
    assert scores["Vendor 0"] == scores["Vendor 2"] == 0.0


def test_attribute_matches_count_exact_values_and_ranges() -> None:
    i = intent(preferences=Preferences(price=0, speed=0, reputation=0, terms=0, attributes=100))
    both = offer(i, 0, attributes={"storage_gb": 256, "color": "Black"})
    one = offer(i, 1, attributes={"storage_gb": 64, "color": "black"})
    none = offer(i, 2, attributes={"storage_gb": 512, "color": "white"})
    ranking = rank_offers(i, [none, one, both], now=NOW, reputation={})
    assert order(ranking) == ["Vendor 0", "Vendor 1", "Vendor 2"]
    assert [r.score for r in ranking.ranked] == [100.0, 50.0, 0.0]


def test_attribute_values_are_read_by_type_on_both_sides() -> None:
    """Text with a unit equals the number (the CLI's --attr is text), "yes"
    equals true, a name with a unit suffix finds the plain one. Before
    the typed rule every one of these counted as a mismatch."""
    prefs = Preferences(price=0, speed=0, reputation=0, terms=0, attributes=100)
    i = intent(
        attributes={"storage_gb": "256 GB", "dual_sim": "yes", "frame": "56 cm"},
        preferences=prefs,
    )
    typed = offer(i, 0, attributes={"storage_gb": 256, "dual_sim": True, "frame_cm": 56})
    texts = offer(i, 1, attributes={"storage": "256GB", "dual_sim": "true", "frame": "560 mm"})
    (a, b) = rank_offers(i, [typed, texts], now=NOW, reputation={}).ranked
    assert a.score == b.score == 100.0
    assert a.attribute_notes == b.attribute_notes == ()


def test_an_attribute_the_offer_does_not_state_scores_lower_than_a_match_and_is_named() -> None:
    prefs = Preferences(price=0, speed=0, reputation=0, terms=0, attributes=100)
    i = intent(attributes={"storage_gb": (128, 256), "color": "black"}, preferences=prefs)
    stated = offer(i, 0, attributes={"storage_gb": 128, "color": "black"})
    silent = offer(i, 1, attributes={"storage_gb": 128})
    wrong = offer(i, 2, attributes={"storage_gb": 128, "color": "white"})
    ranked = rank_offers(i, [wrong, silent, stated], now=NOW, reputation={}).ranked
    assert [r.offer.message.vendor_name for r in ranked] == ["Vendor 0", "Vendor 1", "Vendor 2"]
    assert [r.score for r in ranked] == [100.0, 75.0, 50.0]
    assert ranked[1].attribute_notes == ("does not state color",)
    assert ranked[2].attribute_notes == ("color is white, you want black",)
    text = explain(ranked[1])
    assert text.endswith("attributes 75.0/100. Attributes: does not state color.")
    assert "color is white, you want black" in explain(ranked[2])


def test_an_explanation_never_says_a_value_conflicts_with_itself() -> None:
    prefs = Preferences(price=0, speed=0, reputation=0, terms=0, attributes=100)
    i = intent(attributes={"size": "42"}, preferences=prefs)
    (r,) = rank_offers(i, [offer(i, 0, attributes={"size": "42"})], now=NOW, reputation={}).ranked
    assert r.score == 100.0 and r.attribute_notes == ()
    i = intent(attributes={"waterproof": "yes"}, preferences=prefs)
    (r,) = rank_offers(i, [offer(i, 0, attributes={"waterproof": "no"})], now=NOW,
                       reputation={}).ranked  # fmt: skip
    assert r.attribute_notes == ("waterproof is no, you want yes",)
    for note in r.attribute_notes:
        have, _, want = note.partition(", you want ")
        assert have.rpartition(" is ")[2] != want


def test_breakdown_sums_to_score_and_maxima_to_100() -> None:
    i = intent(preferences=Preferences(price=7, speed=3, reputation=11, terms=5, attributes=13))
    ranking = rank_offers(
        i, [offer(i, n, price=40_000 + 1000 * n) for n in range(5)], now=NOW, reputation={}
    )
    for ranked in ranking.ranked:
        assert ranked.score == ranked.breakdown.total
        assert math.isclose(sum(ranked.breakdown.as_dict().values()), ranked.score)
        assert math.isclose(sum(ranked.out_of.as_dict().values()), 100.0)
        for name, points in ranked.breakdown.as_dict().items():
            assert 0.0 <= points <= ranked.out_of.as_dict()[name] + 1e-9


def test_ties_break_by_price_then_delivery_then_id() -> None:
    i = intent(preferences=Preferences(price=0, speed=0, reputation=100, terms=0, attributes=0))
    offers = [
        offer(i, 0, price=50_000, deliver_by=NOW + 2 * DAY),
        offer(i, 1, price=40_000, deliver_by=NOW + 3 * DAY),
        offer(i, 2, price=50_000, deliver_by=NOW + 1 * DAY),
        offer(i, 3, price=40_000, deliver_by=NOW + 3 * DAY),
    ]
    ranking = rank_offers(i, offers, now=NOW, reputation={})
    assert len({r.score for r in ranking.ranked}) == 1
    first_two = sorted([offers[1], offers[3]], key=lambda s: s.id)
    assert [r.offer for r in ranking.ranked] == [*first_two, offers[2], offers[0]]
    assert [r.rank for r in ranking.ranked] == [1, 2, 3, 4]


def test_the_same_offer_twice_counts_once() -> None:
    i = intent()
    o = offer(i)
    ranking = rank_offers(i, [o, o], now=NOW, reputation={})
    assert len(ranking.ranked) == 1


def test_rejected_offers_come_in_id_order() -> None:
    i = intent()
    bad = [offer(i, n, price=70_000) for n in range(4)]
    ranking = rank_offers(i, bad, now=NOW, reputation={})
    assert [r.offer.id for r in ranking.rejected] == sorted(o.id for o in bad)


def test_explain_a_ranked_offer() -> None:
    i = intent(preferences=Preferences(price=50, speed=50, reputation=0, terms=0, attributes=0))
    ranking = rank_offers(i, [offer(i, price=49_900)], now=NOW, reputation={})
    text = explain(ranking.ranked[0])
    assert text.startswith("#1 Vendor 0: Pixel 8 128 GB for 499.00 EUR, delivered by 2027-01-17")
    assert "vendor rating 3.00 stars" in text
    # Headroom (600 - 499) / 600 and the best price: 25 * (0.168 + 1) = 29.2.
    assert "price 29.2/50, speed 40.0/50" in text
    # Criteria the customer gave no weight are left out.
    assert "reputation" not in text.split("Score")[1]


def test_empty_input_ranks_nothing() -> None:
    ranking = rank_offers(intent(), [], now=NOW, reputation={})
    assert ranking.ranked == () and ranking.rejected == ()


def test_ranked_offers_read_like_an_immutable_sequence() -> None:
    i = intent()
    offers = [offer(i, n, price=40_000 + 1000 * n) for n in range(4)]
    ranked = rank_offers(i, offers, now=NOW, reputation={}).ranked
    as_list = list(ranked)
    assert len(ranked) == 4 and [r.rank for r in as_list] == [1, 2, 3, 4]
    assert ranked[-1] == as_list[3] and ranked[1:3] == tuple(as_list[1:3])
    assert ranked == as_list and ranked != as_list[:3]
    assert [r.offer for r in ranked] == offers  # cheapest first
    with pytest.raises(IndexError):
        ranked[4]
    with pytest.raises(TypeError):
        hash(ranked)


def test_true_and_1_are_not_the_same_attribute_value() -> None:
    """The per-value cache keeps each value's type (True == 1 as dict keys)."""
    prefs = Preferences(price=0, speed=0, reputation=0, terms=0, attributes=100)
    i = intent(attributes={"dual_sim": True}, preferences=prefs)
    offers = [offer(i, n, attributes={"dual_sim": v}) for n, v in enumerate([1, True, 1, True])]
    ranked = rank_offers(i, offers, now=NOW, reputation={}).ranked
    scores = {r.offer.message.vendor_name: r.score for r in ranked}
    assert scores == {"Vendor 0": 0.0, "Vendor 1": 100.0, "Vendor 2": 0.0, "Vendor 3": 100.0}
