"""The address book: peers this node knows, when it last reached them, and
how often dialling them failed since."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .connection import Repository


@dataclass(frozen=True, slots=True)
class Peer:
    """A known peer: its libp2p peer id (a connection identity, never a
    person), its multiaddrs, and its dialling record."""

    peer_id: str
    addrs: tuple[str, ...]
    last_seen: int | None
    #: Failed dials since the last successful contact.
    failures: int
    last_failure: int | None


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


_PEER = "SELECT peer_id, addrs, last_seen, failures, last_failure FROM peers"


class Peers(Repository):
    """Repository of known peers. Obtain it as
    :attr:`Store.peers <intentcast.store.Store.peers>`."""

    def seen(self, peer_id: str, addrs: Sequence[str], *, now: int | None = None) -> None:
        """Record a successful contact at ``now`` (Unix seconds; the clock if
        None): store its addresses and reset its failure count."""
        with self._c.write() as conn:
            conn.execute(
                "INSERT INTO peers (peer_id, addrs, last_seen, failures) VALUES (?, ?, ?, 0) "
                "ON CONFLICT (peer_id) DO UPDATE SET addrs = excluded.addrs, "
                "last_seen = excluded.last_seen, failures = 0",
                (peer_id, json.dumps(list(addrs)), _now(now)),
            )

    def failed(self, peer_id: str, *, now: int | None = None) -> None:
        """Record a failed dial at ``now`` (Unix seconds; the clock if None)."""
        with self._c.write() as conn:
            conn.execute(
                "INSERT INTO peers (peer_id, addrs, failures, last_failure) VALUES (?, '[]', 1, ?) "
                "ON CONFLICT (peer_id) DO UPDATE SET failures = failures + 1, "
                "last_failure = excluded.last_failure",
                (peer_id, _now(now)),
            )

    def forget(self, peer_id: str) -> bool:
        """Remove a peer; True if it was known."""
        with self._c.write() as conn:
            return conn.execute("DELETE FROM peers WHERE peer_id = ?", (peer_id,)).rowcount == 1

    def get(self, peer_id: str) -> Peer | None:
        """The peer with this id, or None."""
        row = self._c.row(_PEER + " WHERE peer_id = ?", (peer_id,))
        return None if row is None else _peer(row)

    def list(self) -> list[Peer]:
        """Known peers, fewest failures first, then most recently seen."""
        rows = self._c.rows(_PEER + " ORDER BY failures, last_seen DESC, peer_id")
        return [_peer(r) for r in rows]


def _peer(row: Any) -> Peer:
    return Peer(
        peer_id=row[0],
        addrs=tuple(json.loads(row[1])),
        last_seen=row[2],
        failures=int(row[3]),
        last_failure=row[4],
    )
