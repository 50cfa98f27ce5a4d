"""The follow-up delay (intentcast.peer.followup): its distribution."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from intentcast.peer.followup import RATING_DELAY, FollowUpDelay, follow_up_delay


def test_the_delay_is_the_base_plus_an_exponential_capped_at_the_maximum() -> None:
    p = FollowUpDelay(base_seconds=1.0, mean_extra_seconds=4.0, max_seconds=15.0)
    assert follow_up_delay(p, 0.0) == 1.0
    assert follow_up_delay(p, 1 - math.exp(-1)) == pytest.approx(5.0)
    assert follow_up_delay(p, 0.999999) == 15.0
    rng = random.Random(7)
    draws = [follow_up_delay(p, rng.random()) for _ in range(20_000)]
    assert min(draws) >= 1.0 and max(draws) <= 15.0
    # Mean of 1 + min(Exp(4), 14): 1 + 4 (1 - e^(-14/4)).
    assert statistics.mean(draws) == pytest.approx(1 + 4 * (1 - math.exp(-3.5)), rel=0.03)


def test_the_same_draw_gives_the_same_delay_and_bad_input_is_refused() -> None:
    p = FollowUpDelay()
    assert follow_up_delay(p, 0.25) == follow_up_delay(p, 0.25)
    with pytest.raises(ValueError):
        follow_up_delay(p, 1.0)
    with pytest.raises(ValueError):
        FollowUpDelay(base_seconds=5.0, max_seconds=2.0)
    with pytest.raises(ValueError):
        FollowUpDelay(mean_extra_seconds=-1.0)


def test_a_rating_waits_ten_minutes_to_two_days_mean_about_six_hours() -> None:
    assert follow_up_delay(RATING_DELAY, 0.0) == 600.0
    assert follow_up_delay(RATING_DELAY, 1 - 1e-12) == 2 * 86_400.0
    rng = random.Random(21)
    delays = [follow_up_delay(RATING_DELAY, rng.random()) for _ in range(20_000)]
    mean = sum(delays) / len(delays)
    assert 5.8 * 3600 < mean < 6.6 * 3600  # 600 s + 6 h, a little less for the cap
    # Two ratings written together leave far apart: the median gap is hours.
    gaps = sorted(abs(a - b) for a, b in zip(delays[::2], delays[1::2], strict=True))
    assert gaps[len(gaps) // 2] > 3600
