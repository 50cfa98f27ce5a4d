"""How much of what remote peers cause a node logs: the accounting alone.

Anything a peer sends can make the node log a line, so a peer that sends
junk on purpose decides how much the node writes: it could fill a disk, or
bury a real error under its own lines. :class:`RemoteEvents` counts
log-worthy remote events per (peer, reason) and decides which to log in
full: the first occurrence of each (peer, reason) in an interval, the rest
counted; once the interval is over, one summary line per peer gives the
counts by reason::

    peer 12D3KooW...: 1,532 events in 60 s, 1 logged: bad-signature 1,500, wrong-topic 32

Lines per interval are bounded whatever the peers do: at most
``full_lines`` lines in full (all peers together), then at most
``summary_peers`` summaries, and one more line summing the other peers.

Pure, like :mod:`intentcast.peer.limits`: the clock is the ``now``
argument, and nothing is written here; :class:`intentcast.node.logs.RemoteLog`
binds it to a logger and the monotonic clock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True, kw_only=True, slots=True)
class RemoteLogConfig:
    """Bounds on what remote input may make the node log."""

    #: Length of a summary interval (seconds).
    interval: float = 60.0
    #: Occurrences of one (peer, reason) logged in full per interval.
    first: int = 1
    #: Lines logged in full per interval, all peers together.
    full_lines: int = 50
    #: Peers named in the summaries of one interval (most events first);
    #: the others are summed in one line.
    summary_peers: int = 20
    #: Peers counted one by one; events of more peers are counted together.
    max_peers: int = 10_000


#: Key under which events of peers past ``max_peers`` are counted.
OTHER_PEERS: Final = "(other peers)"


@dataclass(slots=True)
class _PeerEvents:
    reasons: Counter[str] = field(default_factory=Counter)
    logged: int = 0


@dataclass(slots=True)
class RemoteEvents:
    """Counts of log-worthy remote events per (peer, reason) in the current
    interval, and which of them to log in full. Pure accounting: the clock
    is the ``now`` argument.

    An interval starts with its first event and lasts ``config.interval``
    seconds; :meth:`summary` hands out its summary lines once it is over
    (an event after the end closes it too, and its lines wait for the next
    :meth:`summary`)."""

    config: RemoteLogConfig = field(default_factory=RemoteLogConfig)
    _peers: dict[str, _PeerEvents] = field(default_factory=dict)
    _started: float | None = None
    _full_lines: int = 0
    _pending: list[str] = field(default_factory=list)

    def note(self, peer: str, reason: str, now: float) -> bool:
        """Count one event; True if it is to be logged in full."""
        c = self.config
        if self._started is not None and now - self._started >= c.interval:
            self._pending += self._close(now - self._started)
        if self._started is None:
            self._started = now
        events = self._peers.get(peer)
        if events is None:
            if len(self._peers) >= c.max_peers:
                peer = OTHER_PEERS
            events = self._peers.setdefault(peer, _PeerEvents())
        events.reasons[reason] += 1
        if (
            peer != OTHER_PEERS
            and events.reasons[reason] <= c.first
            and self._full_lines < c.full_lines
        ):
            self._full_lines += 1
            events.logged += 1
            return True
        return False

    def summary(self, now: float) -> list[str]:
        """Summary lines due: one per peer with events not logged in full
        (most events first, at most ``summary_peers``, then one line for the
        others), for every interval that is over."""
        lines, self._pending = self._pending, []
        if self._started is not None and now - self._started >= self.config.interval:
            lines += self._close(now - self._started)
        return lines

    def _who(self, peer: str) -> str:
        if peer == OTHER_PEERS:
            return f"peers past the first {self.config.max_peers:,}"
        return f"peer {peer}"

    def _close(self, seconds: float) -> list[str]:
        """End the interval, ``seconds`` long: its summary lines."""
        quiet = [
            (peer, events)
            for peer, events in self._peers.items()
            if sum(events.reasons.values()) > events.logged
        ]
        quiet.sort(key=lambda item: -sum(item[1].reasons.values()))
        named, rest = quiet[: self.config.summary_peers], quiet[self.config.summary_peers :]
        lines = [_summary_line(self._who(peer), events, seconds) for peer, events in named]
        if rest:
            total = _PeerEvents()
            for _, events in rest:
                total.reasons.update(events.reasons)
                total.logged += events.logged
            lines.append(_summary_line(f"{len(rest):,} more peers", total, seconds))
        self._peers.clear()
        self._started = None
        self._full_lines = 0
        return lines


def _summary_line(who: str, events: _PeerEvents, seconds: float) -> str:
    total = sum(events.reasons.values())
    reasons = ", ".join(f"{r} {n:,}" for r, n in events.reasons.most_common())
    return f"{who}: {total:,} events in {seconds:.0f} s, {events.logged:,} logged: {reasons}"
