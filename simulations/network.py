"""The simulated network: nodes running gossip and sync over links.

Build one with :class:`Network`, register the messages it will carry
(``net.messages.add(raw, topic)``), call :meth:`Network.start`, schedule
publishes (``net.loop.call_at(t, ...)`` calling :meth:`Network.publish`),
then :meth:`Network.run`. Everything a node records (when it accepted a
message, from which peer first, by which path) is on the message
(:class:`~simulations.messages.SimMessage`).
"""

from __future__ import annotations

from collections import deque

from .engine import SimulationError
from .gossip import Gossip
from .sync import Sync


class Network(Gossip, Sync):
    """N nodes, their links, gossipsub and sync; one event loop."""

    #: Whether :meth:`start` ran.
    _started = False

    def _register_handlers(self) -> None:
        super()._register_handlers()
        self._register_gossip()
        self._register_sync()

    def start(self) -> None:
        """Every node starts at t = now: subscribes, connects to all its
        configured neighbours (in a random order) and starts its timers.
        Nothing is synced: every node starts empty."""
        if self._started:
            raise SimulationError("the network is already started")
        for v in range(self.n):
            self.join_topics(v)
        pairs = list(self.edges)
        self.rng.shuffle(pairs)
        for a, b in pairs:
            self._link(a, b)
            self._graft_on_subscribe(a, b)
            self._graft_on_subscribe(b, a)
        if self.params.sync_enabled:
            for v in range(self.n):
                self.start_resync_timer(v)
        self._started = True

    def peer_connected(self, v: int, peer: int) -> None:
        self._graft_on_subscribe(v, peer)
        if self.params.sync_enabled:
            self.sync_soon(v, peer)

    def run(self, until: float) -> None:
        """Run up to virtual time ``until`` (seconds)."""
        if not self._started:
            raise SimulationError("start() the network before running it")
        self.loop.run(until)

    # --- churn -------------------------------------------------------------------

    def leave(self, v: int) -> None:
        """``v`` stops (its process exits): connections close, and all it
        kept in memory is lost. What it accepted stays in its store."""
        node = self.nodes[v]
        if not node.up:
            return
        node.up = False  # first: what reacts to its connections closing sees it stopped
        for p in sorted(node.peers):
            self.disconnect(v, p)
        node.life += 1
        node.mesh.clear()
        node.fanout.clear()
        node.fanout_used.clear()
        node.backoff.clear()
        node.history = deque(
            [[] for _ in range(self.params.node.gossip.gossip_history)],
            maxlen=self.params.node.gossip.gossip_history,
        )
        self.forget_memory(v)
        node.syncing.clear()
        node.topic_peers.clear()

    def rejoin(self, v: int) -> None:
        """``v`` starts again: subscribes, dials its neighbours that are up
        (each connection then grafts and syncs both ways)."""
        node = self.nodes[v]
        if node.up:
            return
        node.up = True
        node.life += 1
        now = self.loop.now
        node.cpu_free = node.tx_free = now
        node.pub_tokens, node.pub_last = 0.0, now
        self.join_topics(v)
        if self.params.sync_enabled:
            self.start_resync_timer(v)
        for p in sorted(node.links):
            if self.nodes[p].up:
                self.connect(v, p)

    # --- reading results -------------------------------------------------------------

    def up(self) -> list[int]:
        return [v for v in range(self.n) if self.nodes[v].up]

    def mesh_sizes(self, topic: int = 0) -> list[int]:
        return [len(node.mesh.get(topic, ())) for node in self.nodes if node.up]
