"""Gossipsub v1.1 as py-libp2p 0.8.1 runs it with the node's settings.

What is modelled, with the library function it follows:

- **Join** (``join``, ``on_peer_subscribed``): a node subscribed to a topic
  grafts a newly connected subscriber at once while its mesh is below
  ``degree_low``; a GRAFT is accepted unless the peer is in backoff (then
  PRUNE), and refused with PRUNE if we do not subscribe.
- **Heartbeat** every ``heartbeat`` seconds, each node at its own phase
  (``heartbeat``, ``mesh_heartbeat``, ``fanout_heartbeat``,
  ``gossip_heartbeat``): below ``degree_low`` graft up to ``degree``;
  above ``degree_high`` prune at random down to ``degree`` (the pruned
  peer backs off for ``prune_backoff``); expire fanout topics unused for
  ``fanout_ttl`` and refill them to ``degree``; advertise the message ids
  of the last ``gossip_window`` heartbeats with IHAVE to
  max(``gossip_lazy``, ``gossip_factor`` x non-mesh subscribers) random
  non-mesh subscribers; shift the message cache (``gossip_history``).
- **Publish** (``publish``, ``_get_peers_to_send``): to the mesh if
  subscribed, else to the topic's fanout (``degree`` random subscribers,
  kept while used); with ``flood_publish`` (the node's setting since it
  routes by stem) to every subscriber among its peers. Forwarding: to the
  mesh, minus the peer it came from. The node paces its own publishes (50
  a second, burst 20).
- **IHAVE/IWANT** (``handle_ihave``, ``handle_iwant``): ids not in the seen
  cache are requested; the answer comes from the message cache.

Not modelled: peer scoring (the node does not enable it), PX, direct peers,
IDONTWANT (v1.2, not used), opportunistic grafting (needs scoring).
"""

from __future__ import annotations

from typing import Any

from .base import (
    CONTROL_OVERHEAD,
    DELIVER,
    FETCHED,
    GRAFT,
    HEARTBEAT,
    IHAVE,
    IWANT,
    PRUNE,
    VIA_OWN,
    NetworkBase,
    SimNode,
)
from .messages import SimMessage


class Gossip(NetworkBase):
    """The gossipsub router of every node."""

    def _register_gossip(self) -> None:
        loop = self.loop
        loop.register(IHAVE, self._on_ihave)
        loop.register(IWANT, self._on_iwant)
        loop.register(GRAFT, self._on_graft)
        loop.register(PRUNE, self._on_prune)
        loop.register(HEARTBEAT, self._on_heartbeat)

    # --- joining ----------------------------------------------------------------

    def join_topics(self, v: int) -> None:
        """``v`` subscribes to its topics (an empty mesh each) and starts
        its heartbeat at a random phase."""
        node = self.nodes[v]
        g = self.params.gossip
        c = self.params.node.gossip
        for t in sorted(self.subs[v]):
            node.mesh.setdefault(t, set())
        phase = g.heartbeat_initial_delay + self.rng.random() * c.heartbeat_seconds
        self.loop.schedule(self.loop.now + phase, HEARTBEAT, v, node.life)

    def _graft_on_subscribe(self, v: int, peer: int) -> None:
        """``on_peer_subscribed``: graft ``peer`` into every mesh of ``v``
        that is below ``degree_low``."""
        node = self.nodes[v]
        if not node.mesh:
            return
        low = self.params.node.gossip.degree_low
        now = self.loop.now
        for t in self.subs[peer]:
            mesh = node.mesh.get(t)
            if mesh is None or peer in mesh or len(mesh) >= low:
                continue
            if node.backoff.get((t, peer), -1.0) > now:
                continue
            mesh.add(peer)
            self._control(v, peer, GRAFT, t, len(self.topics[t]))

    def _on_graft(self, v: int, peer: int, t: int) -> None:
        node = self.nodes[v]
        if not node.up or peer not in node.peers:
            return
        mesh = node.mesh.get(t)
        if mesh is None:
            self._control(v, peer, PRUNE, t, len(self.topics[t]))
            return
        if node.backoff.get((t, peer), -1.0) > self.loop.now:
            node.backoff[(t, peer)] = self.loop.now + self.params.gossip.prune_backoff
            self._control(v, peer, PRUNE, t, len(self.topics[t]))
            return
        mesh.add(peer)

    def _on_prune(self, v: int, peer: int, t: int) -> None:
        node = self.nodes[v]
        if not node.up:
            return
        node.backoff[(t, peer)] = self.loop.now + self.params.gossip.prune_backoff
        mesh = node.mesh.get(t)
        if mesh is not None:
            mesh.discard(peer)

    # --- publishing and forwarding ------------------------------------------------

    def publish(self, v: int, msg: SimMessage) -> None:
        """``v`` publishes its own ``msg`` now. ``publish_hook`` may take it
        over (issue 8: a stem before gossip; the author then holds it
        outside its store until it comes back by gossip or it calls
        :meth:`publish_own`); otherwise it is gossiped."""
        if msg.published < 0:
            msg.published = self.loop.now
            msg.origin = v
        # The author built it; decode it once (the real node does not
        # validate its own publish).
        self.messages.judge(msg, self.loop.now, count=False)
        if self.publish_hook is not None and self.publish_hook(v, msg):
            return
        self.publish_own(v, msg)

    def publish_own(self, v: int, msg: SimMessage) -> None:
        """``v`` stores its own ``msg`` and gossips it."""
        if msg.arrived is None:
            msg.track(self.n)
        assert msg.arrived is not None and msg.first_from is not None and msg.via is not None
        if msg.arrived[v] < 0:
            msg.arrived[v] = self.loop.now
            msg.first_from[v] = v
            msg.via[v] = VIA_OWN
        self.gossip_publish(v, msg)

    def gossip_publish(self, v: int, msg: SimMessage) -> None:
        """``v`` pushes ``msg`` into gossip as its own publish
        (``push_msg(my_id, ...)``): paced, then to the topic's mesh or fanout."""
        node = self.nodes[v]
        g = self.params.gossip
        c = self.params.node.gossip
        now = self.loop.now
        # The outbox's token bucket (node/outbox.py, Outbox.run).
        interval = 1.0 / c.publish_per_second
        tokens = min(float(c.publish_burst), node.pub_tokens + (now - node.pub_last) / interval)
        ready = now
        if tokens < 1.0:
            ready = now + (1.0 - tokens) * interval
            tokens = 1.0
        node.pub_tokens, node.pub_last = tokens - 1.0, ready
        node.history[0].append(msg.index)
        t = msg.topic
        targets = node.mesh.get(t)
        if targets is None:
            targets = self._fanout(node, t, ready)
        if g.flood_publish:
            targets = targets | node.topic_peers.get(t, set())
        for p in sorted(targets):
            self._send_copy(v, p, msg, ready, DELIVER)

    def _fanout(self, node: SimNode, t: int, now: float) -> set[int]:
        """The fanout peers of a topic ``node`` does not subscribe to,
        topped up to ``degree`` random subscribers."""
        fanout = node.fanout.setdefault(t, set())
        node.fanout_used[t] = now
        c = self.params.node.gossip
        if len(fanout) < c.degree:
            self._top_up(node, t, fanout, c.degree - len(fanout), backoff=False)
        return fanout

    def _top_up(self, node: SimNode, t: int, into: set[int], k: int, *, backoff: bool) -> list[int]:
        """Add up to ``k`` random subscribers of ``t`` to ``into``; returns them."""
        pool = node.topic_peers.get(t)
        if not pool or k <= 0:
            return []
        now = self.loop.now
        candidates = [
            p
            for p in pool
            if p not in into and not (backoff and node.backoff.get((t, p), -1.0) > now)
        ]
        chosen = candidates if k >= len(candidates) else self.rng.sample(candidates, k)
        into.update(chosen)
        return chosen

    # --- heartbeat -------------------------------------------------------------------

    def _on_heartbeat(self, v: int, life: int, _: Any) -> None:
        node = self.nodes[v]
        if not node.up or node.life != life:
            return
        g = self.params.gossip
        c = self.params.node.gossip
        now = self.loop.now
        rng = self.rng
        for t, mesh in node.mesh.items():
            size = len(mesh)
            if size < c.degree_low:
                for p in self._top_up(node, t, mesh, c.degree - size, backoff=True):
                    self._control(v, p, GRAFT, t, len(self.topics[t]))
            if size > c.degree_high:
                for p in rng.sample(list(mesh), size - c.degree):
                    mesh.discard(p)
                    self._control(v, p, PRUNE, t, len(self.topics[t]))
        for t in list(node.fanout):
            if node.fanout_used[t] + g.fanout_ttl < now:
                del node.fanout[t], node.fanout_used[t]
                continue
            fanout = node.fanout[t]
            fanout &= node.topic_peers.get(t, set())
            if len(fanout) < c.degree:
                self._top_up(node, t, fanout, c.degree - len(fanout), backoff=True)
        history = node.history
        window = [m for bucket in list(history)[: c.gossip_window] for m in bucket]
        if window:
            self._gossip(v, node, window)
        history.appendleft([])
        self.loop.schedule(now + c.heartbeat_seconds, HEARTBEAT, v, life)

    def _gossip(self, v: int, node: SimNode, window: list[int]) -> None:
        """IHAVE the window's ids to random non-mesh subscribers, per topic."""
        g = self.params.gossip
        by_topic: dict[int, list[int]] = {}
        messages = self.messages.all
        for m in window:
            by_topic.setdefault(messages[m].topic, []).append(m)
        now = self.loop.now
        for t, ids in sorted(by_topic.items()):
            current = node.mesh.get(t)
            if current is None:
                current = node.fanout.get(t)
                if current is None:
                    continue
            pool = node.topic_peers.get(t)
            if not pool:
                continue
            count = max(g.gossip_lazy, int((len(pool) - len(current)) * g.gossip_factor))
            candidates = [
                p for p in pool if p not in current and not node.backoff.get((t, p), -1.0) > now
            ]
            if not candidates:
                continue
            if count < len(candidates):
                candidates = self.rng.sample(candidates, count)
            payload = (t, tuple(ids))
            size = len(self.topics[t]) + len(ids) * self._id_bytes
            for p in candidates:
                self._control(v, p, IHAVE, payload, size)

    def _on_ihave(self, v: int, peer: int, payload: tuple[int, tuple[int, ...]]) -> None:
        node = self.nodes[v]
        if not node.up or peer not in node.peers:
            return
        t, ids = payload
        self.received_bytes[v] += CONTROL_OVERHEAD + len(self.topics[t]) + len(ids) * self._id_bytes
        if self.params.gossip.ihave_always_fetches:
            wanted = ids
        else:
            messages = self.messages.all
            wanted = tuple(m for m in ids if (a := messages[m].arrived) is None or a[v] < 0)
        if wanted:
            self._control(v, peer, IWANT, wanted, len(wanted) * self._id_bytes)

    def _on_iwant(self, v: int, peer: int, ids: tuple[int, ...]) -> None:
        node = self.nodes[v]
        if not node.up or peer not in node.peers:
            return
        self.received_bytes[v] += CONTROL_OVERHEAD + len(ids) * self._id_bytes
        cached = {m for bucket in node.history for m in bucket}
        messages = self.messages.all
        now = self.loop.now
        for m in ids:
            if m in cached:
                self._send_copy(v, peer, messages[m], now, FETCHED)
