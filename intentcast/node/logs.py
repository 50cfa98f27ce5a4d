"""Logging of what remote peers cause, rate-limited and summarised; and
py-libp2p's logging routed through ours.

**Remote events.** Anything a peer sends can make the node log a line, so
a peer that sends junk on purpose decides how much the node writes. Every
log line caused by remote input goes through a :class:`RemoteLog`: the
pure :class:`~intentcast.peer.remote_events.RemoteEvents` decides which
lines are logged in full and which are counted into one summary per peer
and interval (the bounds: :class:`~intentcast.peer.remote_events.RemoteLogConfig`);
:class:`RemoteLog` asks it with the monotonic clock and writes to a
logger. The node's own errors never go through either: they are logged as
they happen.

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
from collections.abc import Callable
from typing import Any, Final

from intentcast.peer.remote_events import OTHER_PEERS, RemoteEvents, RemoteLogConfig

__all__ = [
    "HARMLESS",
    "LIBRARY_EVENTS",
    "LIBRARY_REMOTE",
    "OTHER_PEERS",
    "RemoteEvents",
    "RemoteLog",
    "RemoteLogConfig",
    "route_libp2p_logging",
]

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
    # The yamux reader of a connection the peer dropped or garbled
    # (``stream_muxer/yamux/yamux.py``): seen when a Sybil leaves mid-stream.
    ("Error in handle_incoming for peer", "libp2p-muxer-read-failed"),
    ("Incomplete read for", "libp2p-muxer-incomplete-read"),
    ("Received GO_AWAY for peer", "libp2p-muxer-go-away"),
    ("Error closing secured_conn for peer", "libp2p-muxer-close-failed"),
    ("Received an invalid-signed-record", "libp2p-invalid-signed-record"),
)

# No word boundary before "12D3KooW": yamux writes "for peer{peer_id}".
_PEER_ID: Final = re.compile(r"(?:12D3KooW|\bQm)[1-9A-HJ-NP-Za-km-z]{40,50}\b")

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
                _demote(record, logging.INFO, message.splitlines()[0].rstrip().rstrip(":"))
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
