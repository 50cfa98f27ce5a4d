"""Route py-libp2p's logging through ours and quiet its known noise.

py-libp2p sets ``propagate = False`` on its ``libp2p`` logger, so its
warnings bypass the application's handlers and reach stderr through
logging's last-resort handler. We let them propagate into our logging, at
WARNING and above, and demote messages known to be harmless (LIBP2P-NOTES,
trap 11) to DEBUG.
"""

from __future__ import annotations

import logging
from typing import Final

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


class _DemoteHarmless(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            message = record.getMessage()
            if any(s in message for s in HARMLESS):
                record.levelno, record.levelname = logging.DEBUG, "DEBUG"
                return logging.getLogger("intentcast").isEnabledFor(logging.DEBUG)
        return True


_FILTER: Final = _DemoteHarmless()


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
