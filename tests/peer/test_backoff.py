"""The one retry schedule (peer/backoff.py) the node's bootstrap redial and
an attached bot's reconnect both use."""

from __future__ import annotations

from intentcast.peer.backoff import doubled, jittered


def test_delays_double_up_to_the_ceiling_and_are_jittered_around_the_delay() -> None:
    delays = [0.5]
    for _ in range(8):
        delays.append(doubled(delays[-1], 10.0))
    assert delays[:6] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
    assert set(delays[5:]) == {10.0}
    assert jittered(4.0, 0.0) == 2.0
    assert jittered(4.0, 0.5) == 4.0
    assert 4.0 < jittered(4.0, 0.999) < 6.0
