"""Per-peer limits: message rate, bytes, rejected messages, and bans.

py-libp2p's own spam cap (10 messages a second per peer and topic,
dropped with only a log line, our own publishes included) is turned off;
this replaces it with limits that count what matters to us and say why a
peer was cut off. Token buckets refill continuously; a peer that exceeds a
bucket has that message dropped; a peer whose rejected messages (forged,
malformed, no work) pass ``max_rejected`` within ``window`` seconds, or
that keeps flooding, is banned for ``ban_seconds``: disconnected, and
refused on reconnect until the ban expires.

The clock is an argument (``now``) so the rules are tested without sleeping.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True, slots=True)
class PeerLimitConfig:
    """Defaults sized for a market node: an honest relay forwards far fewer
    than 200 messages a second (intents cost ~0.1 s of work each)."""

    messages_per_second: float = 200.0
    message_burst: float = 400.0
    bytes_per_second: float = 1_000_000.0
    byte_burst: float = 2_000_000.0
    #: Rejected messages tolerated per window before a ban.
    max_rejected: int = 20
    #: Messages dropped for rate tolerated per window before a ban.
    max_over_rate: int = 200
    window: float = 60.0
    ban_seconds: float = 600.0
    #: Stem messages (``/intentcast/stem/1.0.0``) a node sends to one
    #: successor per second, its own and relayed together: a sender waits
    #: for a token rather than exceed it. A receiver reads each peer's stem
    #: at ``stem_intake_factor`` times that pace, and stops reading (the
    #: peer's writes block) while a peer is over it. So an honest relay is
    #: never slowed or charged for what it merely passed on, and a flood
    #: pushed into a stem slows to this pace at the first honest hop.
    stem_per_second: float = 50.0
    stem_burst: float = 100.0
    stem_intake_factor: float = 2.0
    #: Share of each bucket that messages a peer hands over on sync leave
    #: for its gossip: sync is paced (:meth:`PeerLimits.sync_wait`) so that
    #: a catch-up never drains the buckets and makes the peer's gossip look
    #: like a flood.
    sync_reserve: float = 0.5


class Admission(enum.Enum):
    ADMIT = "admit"
    OVER_RATE = "over-rate"
    BANNED = "banned"


@dataclass(slots=True)
class _Bucket:
    capacity: float
    rate: float
    level: float
    updated: float

    def _refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def take(self, amount: float, now: float) -> bool:
        self._refill(now)
        if self.level >= amount:
            self.level -= amount
            return True
        return False

    def delay(self, amount: float, now: float, reserve: float = 0.0) -> float:
        """Seconds until ``amount`` can be taken with ``reserve`` left over
        (0.0: now); takes nothing."""
        self._refill(now)
        need = min(self.capacity, amount + reserve)
        return max(0.0, (need - self.level) / self.rate)


class Pacer:
    """Token buckets per key (a peer), for pacing rather than dropping: a
    caller asks :meth:`delay`, waits that long, then :meth:`take` s one.
    Buckets of keys not used for ``idle`` seconds are forgotten (they would
    be full again anyway), so memory is bounded by the keys in use."""

    def __init__(self, rate: float, burst: float, *, idle: float = 60.0) -> None:
        if not (rate > 0 and burst >= 1):
            raise ValueError("a pacer needs a positive rate and a burst of at least 1")
        self.rate, self.burst, self.idle = rate, burst, idle
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 1_000:
                self._buckets = {
                    k: b for k, b in self._buckets.items() if now - b.updated < self.idle
                }
            bucket = self._buckets[key] = _Bucket(self.burst, self.rate, self.burst, now)
        return bucket

    def delay(self, key: str, now: float) -> float:
        """Seconds until ``key`` may send one more (0: now)."""
        return self._bucket(key, now).delay(1, now)

    def take(self, key: str, now: float) -> bool:
        """Spend one token of ``key``; False (nothing spent) if none is free."""
        return self._bucket(key, now).take(1, now)


@dataclass(slots=True)
class _PeerState:
    messages: _Bucket
    bytes: _Bucket
    window_start: float
    rejected: int = 0
    over_rate: int = 0


@dataclass(slots=True)
class PeerLimits:
    """Accounting for every peer that sends us gossip."""

    config: PeerLimitConfig = field(default_factory=PeerLimitConfig)
    _peers: dict[str, _PeerState] = field(default_factory=dict)
    _banned_until: dict[str, float] = field(default_factory=dict)
    #: Why each ban happened (peer -> reason), kept for status and logs.
    ban_reasons: dict[str, str] = field(default_factory=dict)

    def _state(self, peer: str, now: float) -> _PeerState:
        state = self._peers.get(peer)
        c = self.config
        if state is None:
            state = self._peers[peer] = _PeerState(
                messages=_Bucket(c.message_burst, c.messages_per_second, c.message_burst, now),
                bytes=_Bucket(c.byte_burst, c.bytes_per_second, c.byte_burst, now),
                window_start=now,
            )
        elif now - state.window_start >= c.window:
            state.window_start, state.rejected, state.over_rate = now, 0, 0
        return state

    def is_banned(self, peer: str, now: float) -> bool:
        until = self._banned_until.get(peer)
        if until is None:
            return False
        if now >= until:
            del self._banned_until[peer]
            self.ban_reasons.pop(peer, None)
            return False
        return True

    def admit(self, peer: str, size: int, now: float) -> Admission:
        """Account one inbound gossip message of ``size`` bytes from ``peer``
        (stem messages are paced instead: ``stem_per_second``)."""
        if self.is_banned(peer, now):
            return Admission.BANNED
        state = self._state(peer, now)
        if state.messages.take(1, now) and state.bytes.take(size, now):
            return Admission.ADMIT
        state.over_rate += 1
        if state.over_rate > self.config.max_over_rate:
            self.ban(peer, now, f"flooding: over {self.config.max_over_rate} messages over rate")
            return Admission.BANNED
        return Admission.OVER_RATE

    def sync_wait(self, peer: str, size: int, now: float) -> float:
        """Seconds to wait before a message of ``size`` bytes that ``peer``
        hands over on sync is admitted without taking the share of its
        buckets kept for its gossip (``sync_reserve``); 0.0: admit it now
        (with :meth:`admit`). Takes nothing. The requester of a sync paces
        its reads with this, so a catch-up of thousands of messages is
        slowed to the peer's rate instead of counted as a flood."""
        state = self._state(peer, now)
        share = self.config.sync_reserve
        return max(
            state.messages.delay(1, now, state.messages.capacity * share),
            state.bytes.delay(size, now, state.bytes.capacity * share),
        )

    def rejected(self, peer: str, now: float, reason: str) -> bool:
        """Count a rejected message; True if this got the peer banned."""
        state = self._state(peer, now)
        state.rejected += 1
        if state.rejected > self.config.max_rejected:
            self.ban(peer, now, f"{state.rejected} rejected messages, last: {reason}")
            return True
        return False

    def strikes(self, peer: str) -> int:
        """Rejected messages counted against ``peer`` in its current window."""
        state = self._peers.get(peer)
        return 0 if state is None else state.rejected

    def ban(self, peer: str, now: float, reason: str) -> None:
        self._banned_until[peer] = now + self.config.ban_seconds
        self.ban_reasons[peer] = reason
        self._peers.pop(peer, None)

    def banned(self, now: float) -> dict[str, float]:
        """Banned peers and the seconds left on each ban."""
        return {p: until - now for p, until in self._banned_until.items() if until > now}

    def forget(self, peer: str) -> None:
        """Drop accounting for a disconnected peer (bans are kept)."""
        self._peers.pop(peer, None)
