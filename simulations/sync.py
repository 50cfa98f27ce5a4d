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

What each side decides is the node's own code, :mod:`intentcast.peer.sync`,
called as ``node/peering.py`` and ``node/sync.py`` call it: the responder
offers what it holds with :func:`~intentcast.peer.sync.offer` (each
message on the topic the requester gets it under: a withdrawal to any
follower of an intent topic; only on topics the responder follows itself,
:func:`~intentcast.peer.sync.served_topics`, so a quiet customer offers
none of its own intents; never an own message still on its stem; at
most ``max_inventory``), the requester asks with
:func:`~intentcast.peer.sync.want` (what it lacks, at most ``max_wanted``
a session) and the responder sends what
:func:`~intentcast.peer.sync.serve` picks. What a node holds is what it
accepted, in the store's order (withdrawals, intents, sealed offers,
deals, profiles; newest first within each).

Each received envelope goes through the inbound pipeline (validation, flood
cap), on the topic the responder named, and is *not* forwarded by gossip:
later gossip copies are duplicates at that node. One session per peer at a
time; a session dies with its connection. Not modelled: the node's
per-peer admission of sync deliveries and the requester's pacing (200
messages/s per peer, ``node/base.py`` ``_deliver_from_sync``), nor the
store's budget and expiry; whether a simulated run would reach them is not
checked.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any, Final

from intentcast.peer import sync as policy
from intentcast.peer.sync import resync_delay
from intentcast.protocol import Kind

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

#: The store's inventory order (``store/gossip.py`` ``inventory``): kinds in
#: this order, newest first within each.
INVENTORY_ORDER: Final = {
    Kind.WITHDRAW: 0,
    Kind.INTENT: 1,
    Kind.SEALED_OFFER: 2,
    Kind.SEALED_DEAL: 3,
    Kind.VENDOR_PROFILE: 4,
}


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

    def _held(self, v: int, now: float) -> Iterator[tuple[bytes, Kind, str | None]]:
        """What ``v`` holds, as the node's store lists it for an inventory:
        (id, kind, topic), in the store's order."""
        held = [
            m
            for m in self.messages.all
            if m.arrived is not None and 0 <= m.arrived[v] <= now and m.kind is not None
        ]
        held.sort(key=lambda m: (INVENTORY_ORDER.get(m.kind, 5), -m.index))  # type: ignore[arg-type]
        for m in held:
            assert m.kind is not None
            yield m.id, m.kind, self.topics[m.topic]

    def _on_hello(self, s: int, r: int, life: int) -> None:
        node = self.nodes[s]
        if not node.up or r not in node.peers or self.silent[s]:
            return  # a black hole never answers (the requester times out)
        now = self.loop.now
        on_stem = self.on_stem
        # Only topics the responder follows itself: a quiet customer offers
        # none of its own intents (docs/privacy.md, section 10).
        offer = policy.offer(
            self._held(s, now),
            set(
                policy.served_topics(
                    (self.topics[t] for t in self.subs[r]), {self.topics[t] for t in self.subs[s]}
                )
            ),
            hidden=(lambda _: False) if on_stem is None else (lambda mid: on_stem(s, mid)),
            limits=self.params.node.sync,
        )
        size = SYNC_FRAME_OVERHEAD + SYNC_ID_BYTES * len(offer)
        self._transmit(s, r, SYNC_INV, tuple(offer), size, now, 0.0)

    def _on_inv(self, r: int, s: int, offer: tuple[tuple[bytes, str], ...]) -> None:
        node = self.nodes[r]
        if not node.up or s not in node.peers:
            node.syncing.discard(s)
            return
        self.received_bytes[r] += SYNC_FRAME_OVERHEAD + SYNC_ID_BYTES * len(offer)
        has = node.known.has
        wanted = policy.want([i for i, _ in offer], has, self.params.node.sync)
        size = SYNC_FRAME_OVERHEAD + SYNC_ID_BYTES * len(wanted)
        if not wanted:
            # want-end; the responder's end frame closes the session.
            self.sent_bytes[r] += size
            node.syncing.discard(s)
            return
        # The responder keeps what it offered for the session; here it
        # travels with the want.
        self._transmit(r, s, SYNC_WANT, (wanted, dict(offer)), size, self.loop.now, 0.0)

    def _on_want(self, s: int, r: int, payload: tuple[list[bytes], dict[bytes, str]]) -> None:
        node = self.nodes[s]
        if not node.up or r not in node.peers:
            return
        wanted, offered = payload
        self.received_bytes[s] += SYNC_FRAME_OVERHEAD + SYNC_ID_BYTES * len(wanted)
        served = policy.serve(wanted, offered, self.params.node.sync)
        by_id = self.messages.by_id
        now = self.loop.now
        last = len(served) - 1
        for i, mid in enumerate(served):
            msg = by_id[mid]
            self.copies += 1
            frame = (msg.index, self.topic_index[offered[mid]], i == last)
            self._transmit(s, r, SYNC_MSG, frame, msg.size + MESSAGE_OVERHEAD, now, self._cost_send)

    def _on_sync_msg(self, r: int, s: int, payload: tuple[int, int, bool]) -> None:
        node = self.nodes[r]
        m, topic, last = payload
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
        if self.own_back(r, msg) or self._judge(node, s, msg, now, topic=topic) is not None:
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
