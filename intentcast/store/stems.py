"""The node's own messages still on their stem (stem-then-fluff,
docs/privacy.md): written when the node sends one of its messages down a
stem, removed when the message comes back by gossip or sync or the node
fluffs it. What is left after a crash is what the network may never have
got; the node sends it down a stem again at start."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from intentcast.protocol import Signed

from .connection import Repository


@dataclass(frozen=True, slots=True)
class PendingStem:
    """An own message sent down a stem and not seen fluffed yet."""

    #: The gossip topic it is to be fluffed on.
    topic: str
    signed: Signed[Any]


class OwnStems(Repository):
    """Repository of own messages on their stem. Obtain it as
    :attr:`Store.stems <intentcast.store.Store.stems>`.

    Writes do not wait for the disk: a row survives ``kill -9``; a power cut
    may lose the newest rows, and then the message is handed out by sync as
    before this table existed (delivered, not hidden)."""

    def add(self, signed: Signed[Any], topic: str) -> None:
        """Record that ``signed`` went down a stem, to be fluffed on ``topic``."""
        with self._c.write(flush=False) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO own_stems (id, topic, expires, raw) VALUES (?, ?, ?, ?)",
                (signed.id, topic, signed.message.expires, signed.raw),
            )

    def done(self, message_id: bytes) -> bool:
        """The stem of this message is over (it came back, or was fluffed
        here); False if it was not recorded."""
        with self._c.write(flush=False) as conn:
            gone = conn.execute("DELETE FROM own_stems WHERE id = ?", (message_id,)).rowcount
        return bool(gone)

    def pending(self, *, now: int | None = None) -> list[PendingStem]:
        """Own messages on their stem that have not expired at ``now`` (Unix
        seconds; the clock if None), oldest expiry first."""
        at = int(time.time()) if now is None else now
        rows = self._c.rows(
            "SELECT topic, raw FROM own_stems WHERE expires > ? ORDER BY expires, id", (at,)
        )
        return [PendingStem(str(r[0]), self._c.decode(r[1], "own_stems")) for r in rows]
