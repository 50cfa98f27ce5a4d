"""When a node's own follow-up messages leave (docs/privacy.md, section 5).

An amendment, a withdrawal or an accept follows its intent (and the
intent's offers) at a delay a watcher can time: the moment the owner
clicks, on the node that wrote the intent. So the node holds each one for
a random delay before it goes down its stem, as intents do:

    delay = base_seconds + min(X, max_seconds - base_seconds),
    X ~ exponential with mean ``mean_extra_seconds``

drawn by :func:`follow_up_delay` from one uniform ``draw`` in [0, 1) (the
node passes ``random.SystemRandom().random()``; tests and the simulator a
seeded generator). The exponential is memoryless: having waited t
seconds says nothing about how much longer the message waits, so its
departure carries no trace of when the owner acted beyond the base. The
defaults (1 s + exp(4 s), at most 15 s; mean 4.9 s) cost a person nothing
noticeable next to the minutes between an intent and its accept; the
simulator's adversary scenario measures what they buy.

An intent itself (its first revision) is not delayed: nothing public
precedes it that its timing could be matched with.

A rating (:data:`RATING_DELAY`) waits far longer, with the same shape:
10 minutes plus an exponential of mean 6 hours, at most 2 days (mean
6.2 h). It follows its deal's confirm, which a watcher saw on the deals
topic, and the receipt inside the rating names that deal anyway; what the
delay hides is the moment the owner clicked "rate" on this node (their
online time, their other ratings written in the same sitting). The
rating's ``created`` is its send time, not the click, so its body does
not tell either. The node keeps the send time with the rating
(``store.ratings``): a restart neither loses it nor sends it early.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class FollowUpDelay:
    """The distribution of the delay (module docstring)."""

    base_seconds: float = 1.0
    mean_extra_seconds: float = 4.0
    max_seconds: float = 15.0

    def __post_init__(self) -> None:
        if not 0 <= self.base_seconds <= self.max_seconds:
            raise ValueError("need 0 <= base_seconds <= max_seconds")
        if self.mean_extra_seconds < 0:
            raise ValueError("mean_extra_seconds must not be negative")


#: The delay of an own rating (module docstring).
RATING_DELAY: Final = FollowUpDelay(
    base_seconds=600.0, mean_extra_seconds=6 * 3600.0, max_seconds=2 * 86_400.0
)


def follow_up_delay(params: FollowUpDelay, draw: float) -> float:
    """Seconds to hold a follow-up, from a uniform ``draw`` in [0, 1)."""
    if not 0 <= draw < 1:
        raise ValueError(f"draw must be in [0, 1), not {draw}")
    extra = -params.mean_extra_seconds * math.log1p(-draw)
    return params.base_seconds + min(extra, params.max_seconds - params.base_seconds)
