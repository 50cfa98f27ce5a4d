"""The discrete-event loop: a heap of ``(time, sequence, kind, a, b, c)``.

Time is virtual (seconds from 0). Ties run in the order they were
scheduled (the sequence number), as in SimPy's ``core.py``, so a run is a
pure function of its inputs and its seed: one ``random.Random`` per run,
owned by the loop, and nothing else random anywhere.

Events are plain tuples dispatched on a small integer ``kind`` to a handler
table: at millions of events a closure or an object per event costs more
than the work it schedules.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections.abc import Callable
from typing import Any, Final

#: Handler of one event kind: called with the event's three arguments.
Handler = Callable[[Any, Any, Any], None]

#: Event kind of :meth:`EventLoop.call_at`: ``a(b)`` at the given time.
CALL: Final = 0


class SimulationError(Exception):
    """The simulation was set up or driven wrongly (a bug in a scenario)."""


def _call(fn: Any, arg: Any, _: Any) -> None:
    fn(arg)


class EventLoop:
    """A virtual clock and a heap of pending events.

    ``rng`` is the run's only source of randomness. Register handlers with
    :meth:`register`; kind 0 is reserved for :meth:`call_at`.
    """

    __slots__ = ("_handlers", "events", "heap", "now", "rng", "sequence")

    #: Wall seconds and events of every loop run in this process (for the
    #: performance report; never part of a result).
    wall_seconds = 0.0
    events_run = 0

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = 0.0
        self.events = 0
        #: The pending events. Hot paths push onto it directly,
        #: ``heappush(loop.heap, (time, next(loop.sequence), kind, a, b, c))``,
        #: never with a time before ``now``.
        self.heap: list[tuple[float, int, int, Any, Any, Any]] = []
        self.sequence = itertools.count(1)
        self._handlers: list[Handler | None] = [_call]

    def register(self, kind: int, handler: Handler) -> None:
        """Route events of ``kind`` (a small integer, not 0) to ``handler``."""
        if kind <= CALL:
            raise SimulationError(f"event kind {kind} is reserved")
        while len(self._handlers) <= kind:
            self._handlers.append(None)
        if self._handlers[kind] is not None:
            raise SimulationError(f"event kind {kind} already has a handler")
        self._handlers[kind] = handler

    def schedule(self, time: float, kind: int, a: Any = None, b: Any = None, c: Any = None) -> None:
        """Run ``handler[kind](a, b, c)`` at virtual ``time`` (never in the past)."""
        if time < self.now:
            raise SimulationError(f"event at {time} is before now ({self.now})")
        heapq.heappush(self.heap, (time, next(self.sequence), kind, a, b, c))

    def call_at(self, time: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Run ``fn(arg)`` at virtual ``time``: for the rare events of a
        scenario (publish, leave, rejoin), not for per-message work."""
        self.schedule(time, CALL, fn, arg)

    @property
    def pending(self) -> int:
        return len(self.heap)

    def run(self, until: float) -> None:
        """Run every event up to and including virtual time ``until``; the
        clock then reads ``until``."""
        heap = self.heap
        handlers = self._handlers
        pop = heapq.heappop
        n = 0
        started = time.perf_counter()
        while heap and heap[0][0] <= until:
            at, _, kind, a, b, c = pop(heap)
            self.now = at
            handlers[kind](a, b, c)  # type: ignore[misc]  # registered kinds only
            n += 1
        self.events += n
        self.now = max(self.now, until)
        EventLoop.wall_seconds += time.perf_counter() - started
        EventLoop.events_run += n
