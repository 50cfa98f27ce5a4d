"""Per-peer limits: token buckets, rejected-message counts, bans that expire."""

from __future__ import annotations

from intentcast.peer.limits import Admission, PeerLimitConfig, PeerLimits

CONFIG = PeerLimitConfig(
    messages_per_second=10,
    message_burst=20,
    bytes_per_second=10_000,
    byte_burst=20_000,
    max_rejected=3,
    max_over_rate=5,
    window=60,
    ban_seconds=100,
)


def test_burst_then_rate_then_ban_for_flooding() -> None:
    limits = PeerLimits(CONFIG)
    outcomes = [limits.admit("p", 100, now=0.0) for _ in range(20)]
    assert outcomes == [Admission.ADMIT] * 20
    over = [limits.admit("p", 100, now=0.0) for _ in range(5)]
    assert over == [Admission.OVER_RATE] * 5
    assert limits.admit("p", 100, now=0.0) is Admission.BANNED
    assert "flooding" in limits.ban_reasons["p"]
    # Other peers are unaffected.
    assert limits.admit("q", 100, now=0.0) is Admission.ADMIT


def test_tokens_refill_with_time() -> None:
    limits = PeerLimits(CONFIG)
    for _ in range(20):
        limits.admit("p", 1, now=0.0)
    assert limits.admit("p", 1, now=0.0) is Admission.OVER_RATE
    assert limits.admit("p", 1, now=0.5) is Admission.ADMIT  # 5 tokens back after 0.5 s


def test_bytes_are_limited_separately() -> None:
    limits = PeerLimits(CONFIG)
    assert limits.admit("p", 15_000, now=0.0) is Admission.ADMIT
    assert limits.admit("p", 15_000, now=0.0) is Admission.OVER_RATE


def test_rejected_messages_ban_after_the_limit_and_the_ban_expires() -> None:
    limits = PeerLimits(CONFIG)
    assert [limits.rejected("p", 1.0, "bad-signature") for _ in range(3)] == [False] * 3
    assert limits.rejected("p", 1.0, "bad-signature") is True
    assert limits.is_banned("p", 50.0)
    assert limits.admit("p", 10, now=50.0) is Admission.BANNED
    assert limits.banned(50.0) == {"p": 51.0}
    assert not limits.is_banned("p", 101.0)
    assert limits.admit("p", 10, now=101.0) is Admission.ADMIT


def test_rejections_are_counted_per_window() -> None:
    limits = PeerLimits(CONFIG)
    for t in (0.0, 1.0, 2.0):
        limits.rejected("p", t, "x")
    # A new window starts: the old count no longer counts.
    assert limits.rejected("p", 61.0, "x") is False
    assert not limits.is_banned("p", 61.0)


def test_sync_is_paced_to_the_buckets_and_leaves_half_of_them_for_gossip() -> None:
    """What a peer hands over on sync takes the same buckets as its gossip,
    but only down to ``sync_reserve`` of them: the requester waits instead
    of being refused, and the peer's gossip still finds tokens."""
    limits = PeerLimits(CONFIG)  # sync_reserve 0.5: 10 of 20 messages kept
    taken = 0
    while limits.sync_wait("p", 100, now=0.0) == 0.0:
        assert limits.admit("p", 100, now=0.0) is Admission.ADMIT
        taken += 1
    assert taken == 10
    # One more needs one token over the reserve: 0.1 s at 10/s.
    assert abs(limits.sync_wait("p", 100, now=0.0) - 0.1) < 1e-9
    assert limits.sync_wait("p", 100, now=0.1) == 0.0
    # The gossip share is still there: 10 gossip messages pass at once.
    assert [limits.admit("p", 100, now=0.0) for _ in range(10)] == [Admission.ADMIT] * 10
    # The byte bucket the same way (20,000 bytes, 10,000 kept for gossip).
    assert limits.sync_wait("q", 10_000, now=0.0) == 0.0
    assert limits.admit("q", 10_000, now=0.0) is Admission.ADMIT
    assert limits.sync_wait("q", 100, now=0.0) > 0.0
    assert limits.admit("q", 5_000, now=0.0) is Admission.ADMIT
