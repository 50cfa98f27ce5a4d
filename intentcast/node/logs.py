"""Logging of what remote peers cause, rate-limited and summarised; and
py-libp2p's logging routed through ours.

**Remote events.** Anything a peer sends can make the node log a line, so
a peer that sends junk on purpose decides how much the node writes: it
could fill a disk, or bury a real error under its own lines. Every log
line caused by remote input goes through a :class:`RemoteLog` instead:
the first occurrence of each (peer, reason) in an interval is logged in
full, the rest are counted, and once the interval is over one summary line
per peer gives the counts by reason::

    peer 12D3KooW...: 1,532 events in 60 s, 1 logged: bad-signature 1,500, wrong-topic 32

Lines per interval are bounded whatever the peers do: at most
``full_lines`` lines in full (all peers together), then at most
``summary_peers`` summaries, and one more line summing the other peers.
:class:`RemoteEvents` is the accounting alone, with the clock as an
argument (like :mod:`intentcast.peer.limits`); :class:`RemoteLog` binds it
to a logger. The node's own errors never go through either: they are
logged as they happen.

**py-libp2p.** The library sets ``propagate = False`` on its ``libp2p``
logger, so its warnings bypass the application's handlers and reach stderr
through logging's last-resort handler. We let them propagate into our
logging, at WARNING and above, demote messages known to be harmless
(LIBP2P-NOTES, trap 11) to DEBUG, and turn the known shapes a departing or
hostile peer causes (:data:`LIBRARY_REMOTE`: multi-line ERROR blocks, some
with tracebacks) into remote events: one line, rate-limited and summarised
per peer. Library messages of any other shape stay as they are.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

# --- remote events: accounting -------------------------------------------------------


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


# --- remote events: logging ----------------------------------------------------------


class RemoteLog:
    """A :class:`RemoteEvents` writing to a logger.

    Replace ``log.info("sync from %s refused: %s", peer, exc)`` with
    ``remote_log.note(peer, "sync-refused", "sync from %s refused: %s", peer, exc)``:
    the message is logged (at ``level``) if it is among the first of its
    (peer, reason) in the interval, else counted; :meth:`flush`, called
    periodically (the node's P2P does it every few seconds) and by every
    :meth:`note`, logs the summaries that are due.
    """

    def __init__(
        self,
        logger: logging.Logger,
        config: RemoteLogConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.events = RemoteEvents(config or RemoteLogConfig())
        self._clock = clock

    def note(
        self,
        peer: str,
        reason: str,
        message: str = "",
        *args: Any,
        level: int = logging.INFO,
        now: float | None = None,
    ) -> bool:
        """Count an event ``peer`` caused; log ``message % args`` (or
        "peer P: reason") if it is to be logged in full, and return whether
        it was."""
        now = self._clock() if now is None else now
        full = self.events.note(peer, reason, now)
        if full:
            if message:
                self.logger.log(level, message, *args)
            else:
                self.logger.log(level, "peer %s: %s", peer, reason)
        self.flush(now, level=level)
        return full

    def flush(self, now: float | None = None, *, level: int = logging.INFO) -> None:
        """Log the summaries that are due."""
        now = self._clock() if now is None else now
        for line in self.events.summary(now):
            self.logger.log(level, "%s", line)


# --- py-libp2p's logging -----------------------------------------------------------

#: Substrings of py-libp2p log messages that are expected in normal
#: operation: GRAFT floods at start-up, dial failures while a peer shuts
#: down, subscription queue warnings we never rely on (we deliver from the
#: validator).
HARMLESS: Final = (
    "GRAFT flood",
    "Failed to open TCP stream",
    "fail to deliver message to subscription",
    "Nursery is closed",
    "Connection closed",
    "stream reset",
)

#: py-libp2p messages a remote peer causes (by leaving mid-handshake, by
#: not speaking a protocol, by dialling a full node), with the reason they
#: are counted under. Seen by the hundred in a reconnect storm or a Sybil
#: run, several lines each (``Failed to open stream`` is a 7-line block,
#: ``[ADDCONN_FAIL]`` carries a 2,000-character traceback).
LIBRARY_REMOTE: Final = (
    ("Failed to open stream to peer", "libp2p-open-stream-failed"),
    ("MultiselectClient handshake", "libp2p-multiselect-failed"),
    ("MultiselectClient: invalid handshake", "libp2p-multiselect-invalid"),
    ("failed to upgrade security", "libp2p-security-failed"),
    ("fail to upgrade mux", "libp2p-muxer-failed"),
    ("[ADDCONN_FAIL]", "libp2p-add-conn-failed"),
    ("[ADDCONN_DENY]", "libp2p-add-conn-denied"),
    ("Maximum connections limit", "libp2p-connection-limit"),
)

_PEER_ID: Final = re.compile(r"\b(?:12D3KooW|Qm)[1-9A-HJ-NP-Za-km-z]{40,50}\b")

#: Remote events seen in py-libp2p's log (one accounting for the process:
#: the library's loggers are shared by every host in it).
LIBRARY_EVENTS: Final = RemoteLog(logging.getLogger("intentcast.node.libp2p"))


def _intentcast_enabled(level: int) -> bool:
    return logging.getLogger("intentcast").isEnabledFor(level)


class _LibraryFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        message = record.getMessage()
        if any(s in message for s in HARMLESS):
            _demote(record, logging.DEBUG, message)
            return _intentcast_enabled(logging.DEBUG)
        for shape, reason in LIBRARY_REMOTE:
            if shape in message:
                found = _PEER_ID.search(message)
                peer = found.group(0) if found else "(unknown peer)"
                # One line, no traceback, at INFO: what a peer did to us,
                # not an error of ours.
                _demote(record, logging.INFO, message.splitlines()[0].rstrip(":"))
                now = time.monotonic()
                full = LIBRARY_EVENTS.events.note(peer, reason, now)
                LIBRARY_EVENTS.flush(now)
                return full and _intentcast_enabled(logging.INFO)
        return True


def _demote(record: logging.LogRecord, level: int, message: str) -> None:
    record.levelno, record.levelname = level, logging.getLevelName(level)
    record.msg, record.args = message, None
    record.exc_info, record.exc_text, record.stack_info = None, None, None


_FILTER: Final = _LibraryFilter()


def route_libp2p_logging(level: int = logging.WARNING) -> None:
    """Make py-libp2p log through the application's handlers. Idempotent."""
    lib = logging.getLogger("libp2p")
    lib.handlers.clear()
    lib.propagate = True
    lib.setLevel(level)
    if _FILTER not in lib.filters:
        lib.addFilter(_FILTER)
    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith("libp2p."):
            child = logging.getLogger(name)
            child.handlers.clear()
            child.propagate = True
            child.setLevel(logging.NOTSET)  # inherit the level set above
            if _FILTER not in child.filters:
                child.addFilter(_FILTER)
