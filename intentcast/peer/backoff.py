"""Retry with backoff: the one delay schedule of every retry loop.

The node redials a bootstrap peer (``node/peering.py``) and an attached
bot reaches its node again (``sdk/attach.py``) on the same schedule: wait
a delay scaled by a random factor in [0.5, 1.5) (so many clients that
failed together do not retry together), and double the delay after each
failure, up to a ceiling; a success starts again from the first delay.

Pure: the caller gives the random number and does the waiting.
"""

from __future__ import annotations


def jittered(delay: float, r: float) -> float:
    """The wait before the next try: ``delay`` times ``0.5 + r``, for ``r`` in [0, 1)."""
    return delay * (0.5 + r)


def doubled(delay: float, most: float) -> float:
    """The delay after one more failure: twice ``delay``, at most ``most``."""
    return min(delay * 2, most)


__all__ = ["doubled", "jittered"]
