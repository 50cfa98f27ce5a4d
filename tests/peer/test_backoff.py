"""The one jittered exponential backoff the node's redialling and a bot's
re-attaching share."""

import pytest

from intentcast.peer.backoff import Backoff


def test_steps_double_up_to_the_most_and_reset_to_the_least() -> None:
    backoff = Backoff(1.0, 5.0, lambda: 0.5)  # no jitter: 0.5 + 0.5 = 1
    assert [backoff.next_delay() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_jitter_spans_half_to_one_and_a_half_times_the_step() -> None:
    assert Backoff(2.0, 8.0, lambda: 0.0).next_delay() == 1.0
    assert Backoff(2.0, 8.0, lambda: 0.999).next_delay() == pytest.approx(2.998)


def test_a_backoff_needs_a_positive_least_no_larger_than_the_most() -> None:
    with pytest.raises(ValueError):
        Backoff(0.0, 1.0, lambda: 0.5)
    with pytest.raises(ValueError):
        Backoff(2.0, 1.0, lambda: 0.5)
