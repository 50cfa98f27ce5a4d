"""Jittered exponential backoff, for whatever retries a connection: the
node redialling a bootstrap peer (``node/peering.py``), a bot attaching to
its node again (``sdk/attach.py``). Pure: randomness is an argument."""

from __future__ import annotations

from collections.abc import Callable


class Backoff:
    """Delays from ``least`` doubling up to ``most`` seconds, each drawn
    uniformly from half to one and a half times the current step (so that
    peers that failed together do not retry together)."""

    def __init__(self, least: float, most: float, random: Callable[[], float]) -> None:
        if not 0 < least <= most:
            raise ValueError("a backoff needs 0 < least <= most")
        self.least, self.most = least, most
        self._random = random
        #: The current step (seconds), before jitter.
        self.step = least

    def reset(self) -> None:
        """It worked: the next failure waits the least again."""
        self.step = self.least

    def next_delay(self) -> float:
        """The delay before the next attempt; doubles the step for the one after."""
        delay = self.step * (0.5 + self._random())
        self.step = min(self.step * 2, self.most)
        return delay
