"""The reputation figure: age decay, burst damping, the customer's own
record, exact minimum checks, and the words shown wherever a vendor is named."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intentcast.matching import (
    OwnRecord,
    RatingSummary,
    VerifiedRating,
    Weighting,
    bayesian_rating,
    describe_reputation,
    explain,
    meets_minimum,
    rank_offers,
    summarise,
)
from intentcast.matching.reputation import (
    ARRIVAL_GRACE,
    BURST_FREE,
    BURST_WINDOW,
    FULL_WEIGHT,
    HALF_LIFE,
    NO_RATINGS,
    PRIOR_RATING,
    PRIOR_WEIGHT,
    WEIGHT_UNIT,
    decay,
    rated_as_seen,
)
from intentcast.protocol import Preferences

from .builders import DAY, NOW, intent, offer

V = b"v" * 32


def rating(n: int, stars: int, *, age: int = 0, vendor: bytes = V) -> VerifiedRating:
    rated = NOW - age
    return VerifiedRating(
        vendor=vendor, deal=n.to_bytes(8, "big"), stars=stars, rated=rated, confirmed=rated - DAY
    )


def figure(ratings: list[VerifiedRating], **kw: object) -> float:
    return bayesian_rating(summarise(ratings, now=NOW, **kw).get(V, NO_RATINGS))  # type: ignore[arg-type]


def test_decay_halves_every_half_life_and_never_grows() -> None:
    assert decay(0, HALF_LIFE) == WEIGHT_UNIT
    assert decay(HALF_LIFE, HALF_LIFE) == WEIGHT_UNIT // 2
    assert decay(2 * HALF_LIFE, HALF_LIFE) == WEIGHT_UNIT // 4
    ages = range(0, 20 * HALF_LIFE, HALF_LIFE // 7)
    weights = [decay(a, HALF_LIFE) for a in ages]
    assert weights == sorted(weights, reverse=True)
    assert weights[-1] == 0  # a rating decades old no longer counts
    assert decay(10**9, 0) == WEIGHT_UNIT  # no decay


def test_without_decay_or_bursts_the_figure_is_the_plain_bayesian_average() -> None:
    ratings = [rating(n, 450 + n % 3 * 25, age=n * 7 * DAY) for n in range(40)]
    s = summarise(ratings, now=NOW, weighting=FULL_WEIGHT)[V]
    plain = RatingSummary.of([r.stars for r in ratings])
    assert (s.count, s.total, s.weight, s.weighted) == (
        plain.count,
        plain.total,
        plain.weight,
        plain.weighted,
    )
    assert bayesian_rating(s) == pytest.approx(
        (PRIOR_WEIGHT * PRIOR_RATING + s.total) / (PRIOR_WEIGHT + 40)
    )


def test_a_recent_record_counts_more_than_an_old_one() -> None:
    """A vendor that was excellent a year ago and poor lately reads poor."""
    old_good = [rating(n, 500, age=365 * DAY + n * DAY) for n in range(8)]
    new_bad = [rating(100 + n, 100, age=n * DAY) for n in range(8)]
    assert figure(old_good + new_bad) < 250
    assert figure(old_good + new_bad, weighting=FULL_WEIGHT) == 300  # the old average


def test_a_burst_of_ratings_adds_only_logarithmically() -> None:
    """100 five-star deals rated on one day weigh BURST_FREE + the sum of
    BURST_FREE / n for n above it: under 30 of the 100; 1,000 under 47."""
    burst = [rating(n, 500) for n in range(100)]
    s = summarise(burst, now=NOW)[V]
    assert s.count == 100
    expected = BURST_FREE + sum(BURST_FREE / n for n in range(BURST_FREE + 1, 101))
    assert s.counted == pytest.approx(expected, abs=0.01)
    assert s.counted < 30
    assert summarise([rating(n, 500) for n in range(1000)], now=NOW)[V].counted < 47
    spaced = [rating(n, 500, age=n * BURST_WINDOW // BURST_FREE) for n in range(24)]
    assert summarise(spaced, now=NOW)[V].counted > 0.75 * 24  # only decay, no damping


def test_one_rating_per_deal_and_none_from_the_future() -> None:
    first = rating(1, 100, age=2 * DAY)
    amended = rating(1, 500, age=DAY)
    future = rating(2, 0, age=-DAY)
    s = summarise([amended, future, first], now=NOW)[V]
    assert (s.count, s.total) == (1, 500)


def test_the_customers_own_record_counts_unanswered_accepts_as_zero_stars() -> None:
    good = [rating(n, 480, age=n * 5 * DAY) for n in range(10)]
    plain = summarise(good, now=NOW)[V]
    own = summarise(good, now=NOW, own={V: OwnRecord(unanswered=2, declined=1)})[V]
    assert bayesian_rating(own) < bayesian_rating(plain)
    assert (own.count, own.total, own.unanswered, own.declined) == (10, plain.total, 2, 1)
    # A vendor that never confirmed anything is still counted locally.
    silent = summarise([], now=NOW, own={V: OwnRecord(unanswered=3)})[V]
    assert silent.count == 0 and bayesian_rating(silent) < PRIOR_RATING


def test_backdated_ratings_seen_arriving_late_count_at_their_arrival() -> None:
    assert rated_as_seen(NOW - 365 * DAY, NOW) == NOW - ARRIVAL_GRACE
    assert rated_as_seen(NOW - 60, NOW) == NOW - 60  # an honest, held-back rating
    assert rated_as_seen(NOW - 365 * DAY, None) == NOW - 365 * DAY  # first sync: the claim


summaries = st.builds(
    lambda count, avg, weight, stars: RatingSummary(
        count=count,
        total=count * avg,
        weight=weight,
        weighted=weight * stars,
    ),
    st.integers(0, 1000),
    st.integers(0, 500),
    st.integers(0, 10**9),
    st.integers(0, 500),
)


@given(summaries, st.integers(0, 500))
def test_meets_minimum_is_exact(s: RatingSummary, minimum: int) -> None:
    exact = Fraction(PRIOR_WEIGHT * WEIGHT_UNIT * PRIOR_RATING + s.weighted) / Fraction(
        PRIOR_WEIGHT * WEIGHT_UNIT + s.weight
    )
    assert meets_minimum(s, minimum) == (exact >= minimum)


def test_a_vendor_exactly_at_the_minimum_passes() -> None:
    # Weight 10 ratings of 5 stars (as decayed halves: 20 ratings at half weight).
    s = RatingSummary(
        count=20, total=10_000, weight=10 * WEIGHT_UNIT, weighted=10 * WEIGHT_UNIT * 500
    )
    assert bayesian_rating(s) == 400
    assert meets_minimum(s, 400) and not meets_minimum(s, 401)


@pytest.mark.parametrize(
    "bad",
    [
        {"count": 1, "total": 500, "weight": WEIGHT_UNIT, "weighted": WEIGHT_UNIT * 501},
        {"count": 1, "total": 500, "weight": -2},
        {"count": 1, "total": 500, "span": -1},
        {"count": 1, "total": 500, "unanswered": 1.5},
    ],
)
def test_an_impossible_summary_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"rating|stars"):
        RatingSummary(**bad)  # type: ignore[arg-type]


def test_describe_reputation_wherever_a_vendor_is_named() -> None:
    ratings = [rating(n, 460, age=n * 2 * DAY + DAY) for n in range(37)]
    s = summarise(ratings, now=NOW, weighting=FULL_WEIGHT)[V]
    value = bayesian_rating(s) / 100
    assert describe_reputation(s) == f"{value:.2f} stars from 37 verified deals, last 3 months"
    assert describe_reputation(NO_RATINGS) == "3.00 stars: no verified deals yet"
    one = summarise([rating(1, 500, age=3 * DAY)], now=NOW)[V]
    assert describe_reputation(one) == "3.18 stars from 1 verified deal, last 3 days"
    own = summarise([], now=NOW, own={V: OwnRecord(unanswered=2, declined=1)})[V]
    assert describe_reputation(own).endswith("; 2 of your accepts unanswered, 1 declined")


def test_the_rank_explanation_says_how_reputation_counted() -> None:
    prefs = Preferences(price=50, speed=0, reputation=50, terms=0, attributes=0)
    i = intent(preferences=prefs)
    o = offer(i)
    key = o.message.vendor_key
    ratings = [rating(n, 480, age=n * 30 * DAY, vendor=key) for n in range(12)]
    reputation = summarise(ratings, now=NOW)
    (ranked,) = rank_offers(i, [o], now=NOW, reputation=reputation).ranked
    assert ranked.reputation == reputation[key]
    text = explain(ranked)
    assert f"vendor rating {describe_reputation(reputation[key])}." in text
    counted = reputation[key].counted
    assert 0 < counted < 12
    assert f"Reputation counted {counted:.1f} of the 12 deals" in text
    assert f"against {PRIOR_WEIGHT} at 3 stars for every vendor." in text


def test_the_interface_the_ratings_branch_calls_keeps_its_shape() -> None:
    r = VerifiedRating(vendor=V, deal=b"d", stars=400, rated=NOW, confirmed=NOW - DAY)
    out = summarise([r], now=NOW)
    assert set(out) == {V} and isinstance(out[V], RatingSummary)
    assert Weighting() == Weighting(half_life=HALF_LIFE, burst_window=BURST_WINDOW)
    assert BURST_FREE > 0
