"""Store-and-forward: the node's sync protocol (``node/sync.py``,
``node/peering.py``), as message exchanges over a link.

On every new connection each side pulls from the other, and once more
``resync_after_connect_seconds`` later (a peer that had just restarted has
caught up from its other peers by then); every ``resync_seconds`` a node
also pulls from one random peer (anti-entropy).
The node notices a new connection at its next poll (every
``sync_poll_seconds``) and opens a stream (one round trip), then::

    requester -> hello {its topics}
    responder -> inv {ids of its live messages on those topics}
    requester -> want {the ids it has not seen}
    responder -> msg ... (one frame per envelope)

Each received envelope goes through the inbound pipeline (validation, flood
cap) and is *not* forwarded by gossip: later gossip copies are duplicates at
that node. One session per peer at a time; a session dies with its
connection. Not modelled: the node's per-peer admission of sync deliveries
and the requester's pacing (200 messages/s per peer, at most 4,000 wanted a
session, ``node/base.py`` ``_deliver_from_sync``), nor the store's budget;
whether a simulated run would reach them is not checked.
"""

from __future__ import annotations

import random
from typing import Any

from intentcast.peer.sync import resync_delay

from .base import (
    MESSAGE_OVERHEAD,
    RESYNC,
    SYNC_FRAME_OVERHEAD,
    SYNC_HELLO,
    SYNC_ID_BYTES,
    SYNC_INV,
    SYNC_MSG,
    SYNC_WANT,
    VIA_SYNC,
    NetworkBase,
)


class Sync(NetworkBase):
    """Sync sessions and the anti-entropy timer of every node."""

    #: Sessions started, and messages accepted through them.
    sync_sessions = 0
    sync_accepted = 0

    def _register_sync(self) -> None:
        loop = self.loop
        loop.register(SYNC_HELLO, self._on_hello)
        loop.register(SYNC_INV, self._on_inv)
        loop.register(SYNC_WANT, self._on_want)
        loop.register(SYNC_MSG, self._on_sync_msg)
        loop.register(RESYNC, self._on_resync)

    def start_resync_timer(self, v: int) -> None:
        """Start ``v``'s anti-entropy timer at a random phase."""
        period = self.params.node.resync_seconds
        when = self.loop.now + self.rng.random() * period
        self.loop.schedule(when, RESYNC, v, self.nodes[v].life)

    def sync_soon(self, requester: int, responder: int) -> None:
        """``requester`` pulls from ``responder`` at its next connection
        poll, and again about ``resync_after_connect_seconds`` later (the
        node's jitter, :func:`intentcast.peer.sync.resync_delay`) if the two
        are still connected."""
        delay = self.rng.random() * self.params.sync_poll_seconds
        first = self.loop.now + delay
        pair = (requester, responder)
        self.loop.call_at(first, self._start_session, pair)
        # The node's jitter, drawn from the pair (not the run's rng, whose
        # stream every other draw of the run follows).
        draw = random.Random(requester * 1_000_003 + responder).random()
        again = first + resync_delay(self.params.node.resync_after_connect_seconds, draw)
        self.loop.call_at(again, self._start_session, pair)

    def _start_session(self, pair: tuple[int, int]) -> None:
        r, s = pair
        node = self.nodes[r]
        if not node.up or s not in node.peers or s in node.syncing:
            return
        node.syncing.add(s)
        self.sync_sessions += 1
        topics = self.subs[r]
        size = SYNC_FRAME_OVERHEAD + sum(len(self.topics[t]) for t in topics)
        # Opening the stream costs a round trip before the hello leaves.
        ready = self.loop.now + 2 * node.links[s]
        self._transmit(r, s, SYNC_HELLO, node.life, size, ready, 0.0)

    def _on_hello(self, s: int, r: int, life: int) -> None:
        node = self.nodes[s]
        if not node.up or r not in node.peers or self.silent[s]:
            return  # a black hole never answers (the requester times out)
        wanted_topics = self.subs[r]
        now = self.loop.now
        offer = [
            m.index
            for m in reversed(self.messages.all)
            if m.topic in wanted_topics and m.arrived is not None and 0 <= m.arrived[s] <= now
        ][: self.params.node.sync.max_inventory]
        size = SYNC_FRAME_OVERHEAD + SYNC_ID_BYTES * len(offer)
        self._transmit(s, r, SYNC_INV, tuple(offer), size, now, 0.0)

    def _on_inv(self, r: int, s: int, offered: tuple[int, ...]) -> None:
        node = self.nodes[r]
        if not node.up or s not in node.peers:
            node.syncing.discard(s)
            return
        self.received_bytes[r] += SYNC_FRAME_OVERHEAD + SYNC_ID_BYTES * len(offered)
        messages = self.messages.all
        wanted = tuple(m for m in offered if (a := messages[m].arrived) is None or a[r] < 0)
        size = SYNC_FRAME_OVERHEAD + SYNC_ID_BYTES * len(wanted)
        if not wanted:
            # want-end; the responder's end frame closes the session.
            self.sent_bytes[r] += size
            node.syncing.discard(s)
            return
        self._transmit(r, s, SYNC_WANT, wanted, size, self.loop.now, 0.0)

    def _on_want(self, s: int, r: int, wanted: tuple[int, ...]) -> None:
        node = self.nodes[s]
        if not node.up or r not in node.peers:
            return
        self.received_bytes[s] += SYNC_FRAME_OVERHEAD + SYNC_ID_BYTES * len(wanted)
        messages = self.messages.all
        now = self.loop.now
        last = len(wanted) - 1
        for i, m in enumerate(wanted):
            msg = messages[m]
            self.copies += 1
            self._transmit(
                s, r, SYNC_MSG, (m, i == last), msg.size + MESSAGE_OVERHEAD, now, self._cost_send
            )

    def _on_sync_msg(self, r: int, s: int, payload: tuple[int, bool]) -> None:
        node = self.nodes[r]
        m, last = payload
        if not node.up or s not in node.peers:
            node.syncing.discard(s)
            return
        if last:
            node.syncing.discard(s)
        msg = self.messages.all[m]
        self.received_bytes[r] += msg.size + MESSAGE_OVERHEAD
        if self.silent[r]:
            return
        now = self.loop.now
        if msg.arrived is not None and msg.arrived[r] >= 0:
            self._cpu(node, now, self._cost_receive)
            return  # it came by gossip meanwhile
        done = self._cpu(node, now, self._cost_receive + self._cost_accept)
        if self._judge(node, s, msg, now) is not None:
            self.sync_accepted += 1
            self._accepted(r, s, msg, done, VIA_SYNC)

    def _on_resync(self, v: int, life: int, _: Any) -> None:
        node = self.nodes[v]
        if not node.up or node.life != life:
            return
        if node.peers:
            peers = sorted(node.peers)
            self._start_session((v, peers[self.rng.randrange(len(peers))]))
        period = self.params.node.resync_seconds
        self.loop.schedule(self.loop.now + period, RESYNC, v, life)
