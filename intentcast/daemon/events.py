"""The daemon's event log: the node's recent events, numbered, for API
clients that follow them by long polling (``GET /v1/events``); and the
task that fills it and logs each event."""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import trio

from intentcast.node import Event, EventKind, Node

if TYPE_CHECKING:
    # trio.TaskStatus at run time; libp2p's pin brings trio-typing, whose
    # stubs for trio export the type from here only.
    from trio_typing import TaskStatus

#: One logger for every line the daemon writes about itself and its node.
log = logging.getLogger("intentcast.daemon")


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """A node event with its sequence number, as the API serves it."""

    seq: int
    at: float
    event: Event

    def as_json(self) -> dict[str, Any]:
        """The API's JSON form of this event."""
        subject = self.event.subject
        return {
            "seq": self.seq,
            "at": round(self.at, 3),
            "kind": self.event.kind.value,
            "subject": subject.hex() if isinstance(subject, bytes) else subject,
            "detail": self.event.detail,
        }


class EventLog:
    """The node's recent events, numbered, for API clients that follow them
    by long polling (``GET /v1/events?since=N&timeout=S``)."""

    def __init__(self, keep: int = 1_000) -> None:
        self._events: deque[LoggedEvent] = deque(maxlen=keep)
        self._seq = 0
        self._changed = trio.Event()

    @property
    def last(self) -> int:
        """Sequence number of the newest event (0: none yet)."""
        return self._seq

    def add(self, event: Event) -> None:
        """Number and keep ``event``; wake every waiting client."""
        self._seq += 1
        self._events.append(LoggedEvent(self._seq, time.time(), event))
        self._changed.set()
        self._changed = trio.Event()

    def after(self, seq: int) -> list[LoggedEvent]:
        """The kept events numbered above ``seq``, oldest first."""
        return [e for e in self._events if e.seq > seq]

    async def wait_after(self, seq: int, timeout: float) -> list[LoggedEvent]:
        """Events numbered above ``seq``, waiting up to ``timeout`` seconds
        for the first one (an empty list when none came)."""
        found = self.after(seq)
        with trio.move_on_after(timeout):
            while not found:
                await self._changed.wait()
                found = self.after(seq)
        return found


async def follow_events(
    node: Node, events: EventLog, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED
) -> None:
    """Put each of ``node``'s events into ``events`` and the log, until cancelled."""
    # Events about others' messages (intents received, withdrawn, peers
    # connecting) come at the network's pace, which a hostile peer sets: a
    # line for the first of each kind per interval, then a summary with the
    # count (the node flushes it). Events about the owner's own intents and
    # deals are all logged.
    network = node.p2p.remote_log
    async with node.events() as channel:
        task_status.started()
        async for event in channel:
            events.add(event)
            subject = (
                event.subject.hex()[:12] if isinstance(event.subject, bytes) else event.subject
            )
            if event.intent_key is None and event.kind in NETWORK_EVENTS:
                network.note(
                    "the network", event.kind.value, "%s %s %s", event.kind.value, subject,
                    event.detail,
                )  # fmt: skip
            else:
                log.info("%s %s %s", event.kind.value, subject, event.detail)


#: Events that others' messages cause, logged rate-limited (follow_events).
NETWORK_EVENTS: Final = frozenset(
    {
        EventKind.INTENT_RECEIVED,
        EventKind.INTENT_WITHDRAWN,
        EventKind.PEER_CONNECTED,
        EventKind.RATING_RECEIVED,
    }
)


__all__ = ["EventLog", "LoggedEvent", "follow_events"]
