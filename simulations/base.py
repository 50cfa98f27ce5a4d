"""Nodes, links and the inbound pipeline every simulated node runs.

A node here is what ``intentcast/node`` is over py-libp2p, reduced to what
moves messages: its connections, its gossipsub state (``gossip.py``), its
sync sessions (``sync.py``) and the inbound pipeline of ``NodeBase._inbound``,
whose decisions are the node's own objects from ``intentcast.peer``:

    seen-cache dedupe -> per-peer admission (rate, bytes, bans:
        ``PeerLimits``, one per node, on the virtual clock)
        -> protocol.validate (memoised per message)
        -> the node's pipeline (``Inbound``, one per node, over what the
           node holds, :class:`~simulations.messages.NodeKnown`): the topic
           rule, the flood cap on sealed offers per intent, dedupe,
           withdrawn intents, withdrawals for unknown intents not forwarded
        -> accept, forward

Time costs: each node has one CPU (its trio thread). Receiving a copy,
validating a new message and sending a copy each occupy it for a set time
(:class:`~simulations.params.Costs`), in order, so a node that forwards to
eight peers puts the eighth copy on the wire last. With a bandwidth limit,
copies also queue on the node's uplink. A transmission then takes the
link's latency, and is lost with probability ``loss``.

Hooks let a scenario act as the application (a vendor answering intents, a
customer opening offers) and, for issue 8, take over a node's own publish
and relay messages peer to peer before they enter gossip
(:meth:`NetworkBase.send_direct`, ``on_direct``). For issue 20's offer
feed, a carrier pushes a message it accepted to a customer on a kept
stream (:meth:`NetworkBase.send_feed`), which the customer takes through
its pipeline without forwarding it.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from heapq import heappush
from typing import Any, Final

from intentcast.peer.inbound import Inbound, Verdict
from intentcast.peer.limits import Admission, PeerLimits
from intentcast.peer.topics import offers, offers_bucket
from intentcast.protocol import Action, Kind

from .engine import EventLoop, SimulationError
from .messages import Messages, NodeKnown, SimMessage
from .params import ALL_TOPICS, SimParams
from .topology import Edge, Latency

# --- event kinds (engine.CALL is 0) -------------------------------------------
DELIVER: Final = 1  # (dst, src, msg): a gossip copy pushed by a mesh or fanout peer
FETCHED: Final = 2  # (dst, src, msg): a copy sent in answer to IWANT
IHAVE: Final = 3  # (dst, src, (topic, msgs))
IWANT: Final = 4  # (dst, src, msgs)
GRAFT: Final = 5  # (dst, src, topic)
PRUNE: Final = 6  # (dst, src, topic)
HEARTBEAT: Final = 7  # (node, life, None)
LINK_UP: Final = 8  # (a, b, None): a connection a-b completes its handshake
LINK_DOWN: Final = 9  # (dst, gone, None): dst notices the connection to gone closed
DIRECT: Final = 10  # (dst, src, (msg, tag)): a peer-to-peer send outside gossip
SYNC_HELLO: Final = 11  # (responder, requester, life)
SYNC_INV: Final = 12  # (requester, responder, msgs)
SYNC_WANT: Final = 13  # (responder, requester, msgs)
SYNC_MSG: Final = 14  # (requester, responder, (msg, last))
RESYNC: Final = 15  # (node, life, None): anti-entropy timer
FEED: Final = 16  # (dst, src, msg): a carrier's push on a customer's offer feed

# --- how a node first got a message (SimMessage.via) ----------------------------
VIA_OWN: Final = 1
VIA_GOSSIP: Final = 2
VIA_IWANT: Final = 3
VIA_SYNC: Final = 4
VIA_DIRECT: Final = 5
VIA_FEED: Final = 6
VIA_NAMES: Final = {
    VIA_OWN: "own",
    VIA_GOSSIP: "gossip",
    VIA_IWANT: "iwant",
    VIA_SYNC: "sync",
    VIA_DIRECT: "direct",
    VIA_FEED: "feed",
}

# --- wire overheads (bytes), approximations of the RPC and stream framing --------
#: Per pubsub message copy: protobuf fields (topic, seqno), yamux and Noise frames.
MESSAGE_OVERHEAD: Final = 80
#: Per control frame (IHAVE, IWANT, GRAFT, PRUNE) besides its ids.
CONTROL_OVERHEAD: Final = 60
#: Per message id in IHAVE/IWANT (py-libp2p: 8-byte seqno keys when
#: ``ihave_always_fetches`` models it; 32-byte content ids otherwise).
ID_BYTES: Final = 32
SEQNO_ID_BYTES: Final = 8
#: Per id in a sync inv/want frame, and per sync msg frame.
SYNC_ID_BYTES: Final = 34
SYNC_FRAME_OVERHEAD: Final = 40


class SimNode:
    """The state of one node. Peers are node indices."""

    __slots__ = (
        "backoff",
        "cpu_free",
        "fanout",
        "fanout_used",
        "history",
        "inbound",
        "index",
        "known",
        "life",
        "limits",
        "links",
        "mesh",
        "peers",
        "pub_last",
        "pub_tokens",
        "syncing",
        "topic_peers",
        "tx_free",
        "up",
    )

    def __init__(
        self, index: int, history: int, limits: PeerLimits, inbound: Inbound, known: NodeKnown
    ) -> None:
        self.index = index
        self.up = True
        #: Incremented on every leave and rejoin: events of an earlier life are void.
        self.life = 0
        #: Configured neighbours and the latency of the link to each (seconds).
        self.links: dict[int, float] = {}
        #: Currently connected peers.
        self.peers: set[int] = set()
        #: Connected peers by topic they subscribe to.
        self.topic_peers: dict[int, set[int]] = {}
        self.mesh: dict[int, set[int]] = {}
        self.fanout: dict[int, set[int]] = {}
        self.fanout_used: dict[int, float] = {}
        #: (topic, peer) -> time until which we do not graft that peer.
        self.backoff: dict[tuple[int, int], float] = {}
        #: Message cache: message indices per heartbeat, newest first.
        self.history: deque[list[int]] = deque([[] for _ in range(history)], maxlen=history)
        self.cpu_free = 0.0
        self.tx_free = 0.0
        #: Per-peer admission, strikes and bans (the node's own object;
        #: peers named ``str(index)``, the clock virtual).
        self.limits = limits
        #: The inbound pipeline's decisions and their state (offers
        #: relayed per intent), over what this node holds (``known``).
        self.inbound = inbound
        self.known = known
        #: Peers a sync session with is running (one at a time per peer).
        self.syncing: set[int] = set()
        self.pub_tokens = 0.0
        self.pub_last = 0.0


#: ``on_accept(node, msg, time)``: a node accepted a new message (any path).
AcceptHook = Callable[[int, SimMessage, float], None]
#: ``publish_hook(node, msg) -> handled``: take over a node's own publish.
PublishHook = Callable[[int, SimMessage], bool]
#: ``on_direct(dst, src, msg, tag, time)``: a peer-to-peer send arrived.
DirectHook = Callable[[int, int, SimMessage, Any, float], None]
#: ``on_ban(node, peer, time, reason)``.
BanHook = Callable[[int, int, float, str], None]
#: ``on_link(node, peer, up)``: ``node`` got (True) or lost (False) its
#: connection to ``peer``.
LinkHook = Callable[[int, int, bool], None]


class NetworkBase:
    """Nodes, links, the CPU and link model, and the inbound pipeline."""

    def __init__(
        self,
        *,
        n: int,
        edges: Sequence[Edge],
        latency: Latency | Sequence[float],
        subscriptions: Sequence[Iterable[int]] | None = None,
        topics: Sequence[str] = ALL_TOPICS,
        params: SimParams | None = None,
        seed: int,
    ) -> None:
        """``latency`` is a distribution (one draw per link) or one value per
        edge (seconds). ``subscriptions`` gives each node its topic indices
        into ``topics`` (default: every node subscribes to topic 0)."""
        if n < 1:
            raise SimulationError("a network needs at least one node")
        self.params = params or SimParams()
        self.loop = EventLoop(seed)
        self.rng = self.loop.rng
        self.n = n
        self.topics = list(topics)
        self.topic_index = {t: i for i, t in enumerate(self.topics)}
        g = self.params.gossip
        self.messages = Messages(self.params.network)
        #: Peer names as the nodes' PeerLimits key them.
        self.names = [str(i) for i in range(n)]
        self.nodes = [
            SimNode(
                i,
                self.params.node.gossip.gossip_history,
                self._new_limits(),
                self._new_inbound(),
                NodeKnown(self.messages, i),
            )
            for i in range(n)
        ]
        subs = subscriptions if subscriptions is not None else [(0,)] * n
        if len(subs) != n:
            raise SimulationError(f"{len(subs)} subscription sets for {n} nodes")
        self.subs: list[frozenset[int]] = [frozenset(s) for s in subs]
        for s in self.subs:
            if any(not 0 <= t < len(self.topics) for t in s):
                raise SimulationError(f"subscription to an unknown topic in {sorted(s)}")
        if isinstance(latency, Latency):
            delays = [latency.sample(self.rng) for _ in edges]
        else:
            delays = [float(x) for x in latency]
            if len(delays) != len(edges):
                raise SimulationError(f"{len(delays)} latencies for {len(edges)} edges")
        for (a, b), d in zip(edges, delays, strict=True):
            if a == b or not (0 <= a < n and 0 <= b < n):
                raise SimulationError(f"bad edge {(a, b)}")
            self.nodes[a].links[b] = d
            self.nodes[b].links[a] = d
        self.edges = list(edges)
        costs = self.params.costs
        self._cost_receive = costs.receive
        self._cost_accept = costs.accept
        self._cost_send = costs.send
        self._cores: list[float] | None = [0.0] * costs.shared_cores if costs.shared_cores else None
        self._bandwidth = self.params.bandwidth
        self._loss = self.params.loss
        self._id_bytes = SEQNO_ID_BYTES if g.ihave_always_fetches else ID_BYTES
        # Accounting.
        self.sent_bytes = array("q", [0]) * n
        self.received_bytes = array("q", [0]) * n
        #: Message copies put on the wire: gossip pushes, IWANT answers, sync.
        #: Nodes that take in nothing and so forward nothing (black holes:
        #: a spammer keeps its mesh places but relays no honest message).
        self.silent = bytearray(n)
        #: Messages each node's pipeline refused (invalid, ignored, wrong topic).
        self.refused = array("q", [0]) * n
        self.copies = 0
        self.duplicates = 0
        self.lost = 0
        self.control_frames = 0
        self.bans: list[tuple[float, int, int, str]] = []
        # Hooks.
        self.on_accept: AcceptHook | None = None
        self.publish_hook: PublishHook | None = None
        self.on_direct: DirectHook | None = None
        self.on_ban: BanHook | None = None
        self.on_link: LinkHook | None = None
        #: ``on_stem(node, message id)``: an own message of ``node`` still on
        #: its stem (set by stem routing): sync does not hand it out, and
        #: when it comes back the node takes it in without its pipeline.
        self.on_stem: Callable[[int, bytes], bool] | None = None
        self._register_handlers()

    def _register_handlers(self) -> None:
        """Register this network's event handlers (subclasses add theirs)."""
        loop = self.loop
        loop.register(DELIVER, self._on_deliver)
        loop.register(FETCHED, self._on_fetched)
        loop.register(LINK_UP, self._on_link_up)
        loop.register(LINK_DOWN, self._on_link_down)
        loop.register(DIRECT, self._on_direct)
        loop.register(FEED, self._on_feed)

    # --- small helpers ---------------------------------------------------------

    @property
    def now(self) -> float:
        return self.loop.now

    def topic(self, name: str) -> int:
        """Index of topic ``name`` (raises KeyError if the network has no such topic)."""
        return self.topic_index[name]

    def _new_limits(self) -> PeerLimits:
        return PeerLimits(self.params.limits)

    def _new_inbound(self) -> Inbound:
        return Inbound(max_relayed_offers_per_intent=self.params.node.max_relayed_offers_per_intent)

    def forget_memory(self, v: int) -> None:
        """``v`` stopped: what its process kept in memory (peer accounting,
        bans, offers counted per intent) is gone."""
        node = self.nodes[v]
        node.limits = self._new_limits()
        node.inbound = self._new_inbound()

    def _cpu(self, node: SimNode, ready: float, cost: float) -> float:
        """Occupy ``node``'s CPU for ``cost`` seconds from ``ready`` on (after
        what it already queued); returns when that work is done."""
        start = node.cpu_free if node.cpu_free > ready else ready
        cores = self._cores
        if cores is not None:
            i = min(range(len(cores)), key=cores.__getitem__)
            start = max(start, cores[i])
            cores[i] = start + cost
        done = start + cost
        node.cpu_free = done
        return done

    def _transmit(  # noqa: PLR0917  (the hot path: positional is faster)
        self,
        v: int,
        p: int,
        kind: int,
        payload: Any,
        size: int,
        ready: float,
        cpu: float,
        latency: float | None = None,
    ) -> None:
        """Put ``size`` bytes from ``v`` on the link to ``p``: ``cpu``
        seconds of ``v``'s CPU, the uplink, the link latency (``latency``
        instead, if given), maybe loss."""
        node = self.nodes[v]
        if not cpu:
            t = max(ready, self.loop.now)
        elif self._cores is None:  # inlined _cpu: this runs for every copy
            t = (node.cpu_free if node.cpu_free > ready else ready) + cpu
            node.cpu_free = t
        else:
            t = self._cpu(node, ready, cpu)
        if self._bandwidth is not None:
            t = max(t, node.tx_free)
            t += size / self._bandwidth
            node.tx_free = t
        self.sent_bytes[v] += size
        if self._loss and self.rng.random() < self._loss:
            self.lost += 1
            return
        loop = self.loop
        t += node.links[p] if latency is None else latency
        heappush(loop.heap, (t, next(loop.sequence), kind, p, v, payload))

    def _send_copy(self, v: int, p: int, msg: SimMessage, ready: float, kind: int) -> None:
        self.copies += 1
        self._transmit(v, p, kind, msg.index, msg.size + MESSAGE_OVERHEAD, ready, self._cost_send)

    def _control(self, v: int, p: int, kind: int, payload: Any, size: int) -> None:
        self.control_frames += 1
        self._transmit(v, p, kind, payload, size + CONTROL_OVERHEAD, self.loop.now, 0.0)

    # --- the inbound pipeline --------------------------------------------------

    def _admit(self, node: SimNode, peer: int, size: int, now: float) -> bool:
        """Per-peer admission (``PeerLimits.admit``); True: admitted. A
        peer this gets banned is disconnected."""
        admission = node.limits.admit(self.names[peer], size, now)
        if admission is Admission.ADMIT:
            return True
        # A banned peer is disconnected at once and refused on reconnect, so
        # one still connected was banned by this message.
        if admission is Admission.BANNED and peer in node.peers:
            self._banned(node, peer, now)
        return False

    def _strike(self, node: SimNode, peer: int, now: float, reason: str) -> None:
        """A rejected message from ``peer`` (``PeerLimits.rejected``)."""
        if self.params.limits_enabled and node.limits.rejected(self.names[peer], now, reason):
            self._banned(node, peer, now)

    def penalise(self, v: int, peer: int, reason: str) -> None:
        """``v`` counts a rejected message against ``peer`` (``P2P.penalise``)."""
        self._strike(self.nodes[v], peer, self.loop.now, reason)

    def ban(self, v: int, peer: int, reason: str) -> None:
        """``v`` bans ``peer``: drops its messages and disconnects it for
        ``ban_seconds`` (refused on reconnect meanwhile)."""
        node = self.nodes[v]
        node.limits.ban(self.names[peer], self.loop.now, reason)
        self._banned(node, peer, self.loop.now)

    def _banned(self, node: SimNode, peer: int, now: float) -> None:
        """``node``'s limits banned ``peer``: record it and disconnect."""
        reason = node.limits.ban_reasons.get(self.names[peer], "")
        self.bans.append((now, node.index, peer, reason))
        if self.on_ban is not None:
            self.on_ban(node.index, peer, now, reason)
        self.disconnect(node.index, peer)

    def _on_deliver(self, v: int, u: int, m: int) -> None:
        self._receive(v, u, m, VIA_GOSSIP)

    def _on_fetched(self, v: int, u: int, m: int) -> None:
        self._receive(v, u, m, VIA_IWANT)

    def _receive(self, v: int, u: int, m: int, via: int) -> None:
        """A gossip copy of message ``m`` from ``u`` reaches ``v``."""
        node = self.nodes[v]
        if not node.up or u not in node.peers:
            return  # the connection is gone: the bytes never arrive
        msg = self.messages.all[m]
        self.received_bytes[v] += msg.size + MESSAGE_OVERHEAD
        if self.silent[v]:
            return
        now = self.loop.now
        arrived = msg.arrived
        if arrived is not None and arrived[v] >= 0:  # seen cache (or the store)
            self.duplicates += 1
            if self._cores is None:  # inlined _cpu: most copies are duplicates
                free = node.cpu_free
                node.cpu_free = (free if free > now else now) + self._cost_receive
            else:
                self._cpu(node, now, self._cost_receive)
            return
        if self.params.limits_enabled and not self._admit(node, u, msg.size, now):
            return
        done = self._cpu(node, now, self._cost_receive + self._cost_accept)
        if not self.own_back(v, msg):
            verdict = self._judge(node, u, msg, now)
            if verdict is None:
                return
            if not verdict.forward:
                self._accepted(v, u, msg, done, via)
                return
        self._accepted(v, u, msg, done, via)
        mesh = node.mesh.get(msg.topic)
        if mesh:
            transmit = self._transmit
            size = msg.size + MESSAGE_OVERHEAD
            cost = self._cost_send
            for p in mesh:
                if p != u:
                    self.copies += 1
                    transmit(v, p, DELIVER, m, size, done, cost)

    def own_back(self, v: int, msg: SimMessage) -> bool:
        """``msg`` is ``v``'s own, still on its stem, and back by gossip or
        sync: someone down its stem fluffed it. The node takes it in
        without its pipeline and forwards it like every node
        (``node/stem.py`` ``inbound``)."""
        return self.on_stem is not None and self.on_stem(v, msg.id)

    def judged_as(self, name: str, msg: SimMessage) -> str:
        """The topic whose rule ``msg`` on topic ``name`` is judged by: its
        own, except a sealed offer on a category's offer topic (the node
        before the offer buckets, which the ``market`` scenario and the
        "before" policies of ``follow-cost`` still run), judged as if on
        its intent's bucket topic."""
        signed = msg.signed
        if name in ALL_TOPICS or signed is None or signed.kind is not Kind.SEALED_OFFER:
            return name
        intent = self.messages.by_id.get(signed.message.intent_id)
        if intent is None or intent.signed is None:
            return offers_bucket(0)  # no node can know its key: the kind is checked
        return offers(intent.signed.signer)

    def _judge(
        self,
        node: SimNode,
        u: int,
        msg: SimMessage,
        now: float,
        *,
        stem_end: bool = False,
        topic: int | None = None,
    ) -> Verdict | None:
        """Protocol validation (memoised), then the node's pipeline
        (``Inbound.judge_valid``) on ``topic`` (default the message's own;
        sync names the topic it hands a message over on); penalises ``u``
        for a rejected message. The verdict if ``msg`` is accepted, else
        None."""
        self.messages.judge(msg, now)
        assert msg.validation is not None
        name = self.judged_as(self.topics[msg.topic if topic is None else topic], msg)
        verdict = node.inbound.judge_valid(name, msg.validation, node.known, stem_end=stem_end)
        if verdict.action is Action.ACCEPT:
            return verdict
        self.refused[node.index] += 1
        if verdict.action is Action.REJECT:
            self._strike(node, u, now, verdict.reason.removeprefix("reject:"))
        return None

    def _accepted(self, v: int, u: int, msg: SimMessage, done: float, via: int) -> None:
        """Record that ``v`` accepted ``msg`` at ``done``, first from ``u``."""
        if msg.arrived is None:
            msg.track(self.n)
        assert msg.arrived is not None and msg.first_from is not None and msg.via is not None
        msg.arrived[v] = done
        msg.first_from[v] = u
        msg.via[v] = via
        if via not in (VIA_SYNC, VIA_DIRECT, VIA_FEED):
            self.nodes[v].history[0].append(msg.index)
        if self.on_accept is not None:
            self.on_accept(v, msg, done)

    def push(self, v: int, msg: SimMessage, peers: Iterable[int]) -> None:
        """``v`` sends ``msg`` as gossip to each of ``peers`` now, whatever
        its mesh says: what a misbehaving node does. It costs ``v`` no CPU
        (an attacker runs faster code than ours), only its uplink."""
        now = self.loop.now
        size = msg.size + MESSAGE_OVERHEAD
        for p in peers:
            self.copies += 1
            self._transmit(v, p, DELIVER, msg.index, size, now, 0.0)

    # --- peer-to-peer sends outside gossip (issue 8's stem) ---------------------

    def send_direct(
        self,
        src: int,
        dst: int,
        msg: SimMessage,
        tag: Any = None,
        *,
        round_trips: float = 0.0,
        latency: float | None = None,
    ) -> None:
        """Send ``msg`` from ``src`` to its connected peer ``dst`` on a
        stream of its own (not gossip), after ``round_trips`` round trips
        (opening and negotiating the stream). A frame and a round trip's
        leg take ``latency`` seconds one way, default the link's (a stem
        frame on a kept stream need not pay what a gossip copy does).
        ``on_direct`` runs at ``dst``."""
        node = self.nodes[src]
        if dst not in node.peers:
            raise SimulationError(f"node {src} is not connected to {dst}")
        self.copies += 1
        one_way = node.links[dst] if latency is None else latency
        ready = self.loop.now + round_trips * 2 * one_way
        size = msg.size + MESSAGE_OVERHEAD
        self._transmit(src, dst, DIRECT, (msg.index, tag), size, ready, self._cost_send, one_way)

    def _on_direct(self, v: int, u: int, payload: tuple[int, Any]) -> None:
        node = self.nodes[v]
        if not node.up or u not in node.peers:
            return
        m, tag = payload
        msg = self.messages.all[m]
        self.received_bytes[v] += msg.size + MESSAGE_OVERHEAD
        done = self._cpu(node, self.loop.now, self._cost_receive)
        if self.on_direct is not None:
            self.on_direct(v, u, msg, tag, done)

    def accept_direct(
        self, v: int, u: int, msg: SimMessage, done: float, *, stem_end: bool = False
    ) -> bool:
        """Run the inbound pipeline on a message ``v`` got from ``u`` by
        :meth:`send_direct` (validation, caps; no rate admission). True if it
        is new and valid; it is then recorded (via ``direct``) but not
        gossiped. ``stem_end``: ``v`` ends the message's stem (it publishes
        a withdrawal even for an intent it does not hold)."""
        node = self.nodes[v]
        if msg.arrived is not None and msg.arrived[v] >= 0:
            return False
        if self._judge(node, u, msg, self.loop.now, stem_end=stem_end) is None:
            return False
        self._accepted(v, u, msg, done + self._cost_accept, VIA_DIRECT)
        return True

    # --- the offer feed (issue 20): a carrier pushes what it accepts -------------

    def send_feed(self, src: int, dst: int, msg: SimMessage, ready: float) -> bool:
        """``src`` (a carrier: a node that follows every offer bucket)
        pushes ``msg`` to ``dst`` on the stream ``dst`` keeps open to it
        for its offer feed: one frame, the envelope and a sync frame's
        framing (``SYNC_FRAME_OVERHEAD``), from ``ready`` on (``src``'s CPU
        and uplink, then the link's latency). False (nothing sent) if the
        two are not connected."""
        if dst not in self.nodes[src].peers:
            return False
        self.copies += 1
        size = msg.size + SYNC_FRAME_OVERHEAD
        self._transmit(src, dst, FEED, msg.index, size, ready, self._cost_send)
        return True

    def _on_feed(self, v: int, u: int, m: int) -> None:
        """A feed frame from carrier ``u`` reaches ``v``: the inbound pipeline
        on the message's own topic (validation, topic rule, flood cap,
        dedupe; no rate admission, as for sync), accepted via ``feed``
        and not forwarded."""
        node = self.nodes[v]
        if not node.up or u not in node.peers:
            return
        msg = self.messages.all[m]
        self.received_bytes[v] += msg.size + SYNC_FRAME_OVERHEAD
        if self.silent[v]:
            return
        now = self.loop.now
        if msg.arrived is not None and msg.arrived[v] >= 0:
            self.duplicates += 1
            self._cpu(node, now, self._cost_receive)
            return
        done = self._cpu(node, now, self._cost_receive + self._cost_accept)
        if self._judge(node, u, msg, now) is not None:
            self._accepted(v, u, msg, done, VIA_FEED)

    # --- connections (LINK_UP / LINK_DOWN; gossip and sync react) ----------------

    def connect(self, a: int, b: int) -> None:
        """``a`` dials its configured neighbour ``b``: the connection is up
        after the handshake's round trips."""
        rtt = 2 * self.nodes[a].links[b]
        when = self.loop.now + self.params.costs.handshake_rtts * rtt
        self.loop.schedule(when, LINK_UP, a, b)

    def _on_link_up(self, a: int, b: int, _: Any) -> None:
        na, nb = self.nodes[a], self.nodes[b]
        now = self.loop.now
        if not (na.up and nb.up) or b in na.peers:
            return
        if na.limits.is_banned(self.names[b], now) or nb.limits.is_banned(self.names[a], now):
            return  # refused: banned (node/guard.py ConnectionWatcher)
        self._link(a, b)
        self.peer_connected(a, b)
        self.peer_connected(b, a)
        if self.on_link is not None:
            self.on_link(a, b, True)
            self.on_link(b, a, True)

    def _link(self, a: int, b: int) -> None:
        na, nb = self.nodes[a], self.nodes[b]
        na.peers.add(b)
        nb.peers.add(a)
        for t in self.subs[b]:
            na.topic_peers.setdefault(t, set()).add(b)
        for t in self.subs[a]:
            nb.topic_peers.setdefault(t, set()).add(a)

    def peer_connected(self, v: int, peer: int) -> None:
        """``v`` has a new connection to ``peer`` (gossip and sync react)."""

    def disconnect(self, v: int, peer: int) -> None:
        """``v`` closes its connection to ``peer``; ``peer`` notices after
        the link's latency."""
        node = self.nodes[v]
        if peer in node.peers:
            self._unlink(v, peer)
            self.loop.schedule(self.loop.now + node.links[peer], LINK_DOWN, peer, v)

    def _on_link_down(self, v: int, gone: int, _: Any) -> None:
        if gone in self.nodes[v].peers:
            self._unlink(v, gone)

    def _unlink(self, v: int, peer: int) -> None:
        node = self.nodes[v]
        node.peers.discard(peer)
        for t in self.subs[peer]:
            s = node.topic_peers.get(t)
            if s is not None:
                s.discard(peer)
        for s in node.mesh.values():
            s.discard(peer)
        for s in node.fanout.values():
            s.discard(peer)
        node.limits.forget(self.names[peer])  # bans are kept
        node.syncing.discard(peer)
        if self.on_link is not None:
            self.on_link(v, peer, False)
