"""Stem-then-fluff in the simulator: what ``intentcast/node/stem.py`` does,
driving the unmodified policy of ``intentcast.protocol.stem``.

Every node has a :class:`~intentcast.protocol.stem.StemRouter` (its role
and successors per epoch, drawn from the run's generator). Through the
network's hooks:

- an own message of a stemmed kind is held (outside the node's store) and
  sent to the router's own successor over a stem stream; an embargo timer
  starts;
- a node receiving a stem message validates it, then: if it holds it or
  relayed it already (a loop) it fluffs it; if it has it from gossip it
  drops it;
  otherwise it fluffs it if it is a diffuser this epoch, else passes it to
  the successor for that inbound peer, holds it and starts an embargo timer
  (every node here follows the message's topic);
- a node that takes the message in from gossip drops what it held (an
  author takes its own message in and forwards it like any node);
- an embargo timer that fires on a message still held fluffs it.

Stem streams (``streams``), three modes:

- ``"epoch"`` (the default; what ``node/stem.py`` does since 5f6ab3e): a
  keeper at each node checks every :data:`KEEPER_PERIOD` seconds (at the
  node's own phase, first within the first period) that a stream is open
  to each successor its current epoch drew, opens one to a successor that
  has none (``round_trips`` link round trips, one successor after the
  other, as the node's keeper awaits each), and renews one nearing
  :data:`SENDER_IDLE` idle. So a message pays one link latency per hop;
  only one sent to a successor the keeper has not opened a stream to yet
  (an epoch drawn by the message itself, less than a period before the
  keeper's check) opens one on the message path, as the node's ``_send``
  does.
- ``"kept"`` (the node from d5360c8 until 5f6ab3e): no keeper; the first
  message to a successor opens the stream (``round_trips`` round trips,
  then the frame: three link latencies at the default 1), later ones are
  written on it (one link latency) until it has been idle for
  :data:`SENDER_IDLE` seconds and is opened again.
- ``"per-message"`` (the node before d5360c8): every hop opens a stream.

In the first two a message sent while its stream is still opening leaves
when it is open (the node's per-peer lock). A stream broken by a dropped
connection, and so the successor that ``peer_lost`` draws mid-epoch, is
not modelled (the anonymity scenario has no churn).

Successors are drawn from the peers a node dialled itself when it has one
per successor slot, else from all its peers, as ``node/stem.py`` does
(``dialled``; None draws from all peers).

Fluffing publishes by gossip from that node (flood publishing, as the node
does). :attr:`StemRouting.stem_receipts` records, per message, when and
from whom each node first got it over a stem: with the network's
``first_from`` it is what a spy sees. :attr:`StemRouting.hops_of` and
:attr:`StemRouting.ends` record, per message, its stem hops and why its
stem ended (``fluffs`` sums the reasons): a diffuser fluffed it, it
looped back to a node that had it, an embargo timer fired, or no
successor could take it (an author without peers, or a relayer whose only
successor is the peer the message came from).

Randomness (roles, successors, epoch phases, embargo draws) comes from the
network's generator, or from ``rng`` if given: then the same network can
be run with other stem draws and nothing else changed. With one generator
per node the draws do not depend on the order of events either (the link
latencies, say): each node's role, successors, per-inbound choices and
timers then depend only on its own generator and its own history.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from intentcast.protocol import Action
from intentcast.protocol.stem import Fluff, StemParams, StemRouter, stems

from .messages import SimMessage
from .network import Network
from .params import EPOCH

#: Seconds after its last write that a node stops using a kept stem stream
#: and opens a new one, and how often the keeper checks the streams to the
#: successors (``node/stem.py`` ``SENDER_IDLE`` and ``KEEPER_PERIOD``;
#: simulations/ may not import them, tests/simulations/test_params.py checks
#: the copies). The keeper renews a stream idle for more than
#: ``SENDER_IDLE - 2 * KEEPER_PERIOD``.
SENDER_IDLE: Final = 600.0
KEEPER_PERIOD: Final = 5.0

#: Stem stream modes (see the module docstring); "epoch" is the node's.
StreamMode = Literal["epoch", "kept", "per-message"]
STREAM_MODES: Final[tuple[StreamMode, ...]] = ("epoch", "kept", "per-message")


@dataclass(slots=True, eq=False)
class Held:
    own: bool
    inbound: int = -1


class StemRouting:
    """Stem routing for every node of ``net`` (installs the network's
    ``publish_hook``, ``on_direct`` and ``on_accept``)."""

    def __init__(
        self,
        net: Network,
        params: StemParams,
        *,
        round_trips: float = 1.0,
        streams: StreamMode = "epoch",
        dialled: Sequence[Collection[int]] | None = None,
        rng: random.Random | Sequence[random.Random] | None = None,
        keeper_start: float | None = None,
    ) -> None:
        """``round_trips``: link round trips to open a stem stream before its
        first frame leaves. ``streams``: how stem streams are opened (see the
        module docstring; "epoch" is what the node does). ``dialled``: per
        node, the peers it dialled; successors are then drawn from those
        when a node has one per successor slot, else from all its peers
        (``node/stem.py`` ``_peers``); None: always from all peers.
        ``rng``: where the stem's random draws come from: one generator,
        or one per node (default: the network's generator).
        ``keeper_start``: when every node's keeper first checks its
        streams ("epoch" mode; the node's first check is
        :data:`KEEPER_PERIOD` after it starts); default: each node at a
        random phase within the first period."""
        if streams not in STREAM_MODES:
            raise ValueError(f"streams: {streams!r} is not one of {STREAM_MODES}")
        self.net = net
        self.params = params
        self.round_trips = round_trips
        self.mode: StreamMode = streams
        self.dialled = None if dialled is None else [frozenset(d) for d in dialled]
        #: Per node: successor -> (time its kept stream is open, time of its
        #: last write, or of its opening).
        self.streams: list[dict[int, tuple[float, float]]] = [{} for _ in range(net.n)]
        #: Stem streams opened, and how many of them a message waited for
        #: (opened on the message path, not by the keeper).
        self.opened = 0
        self.opened_for_message = 0
        if rng is None or isinstance(rng, random.Random):
            self.rngs = [net.rng if rng is None else rng] * net.n
        else:
            self.rngs = list(rng)
            if len(self.rngs) != net.n:
                raise ValueError(f"rng: {len(self.rngs)} generators for {net.n} nodes")
        self.routers = [StemRouter[int](params, self.rngs[v]) for v in range(net.n)]
        self.held: dict[tuple[int, int], Held] = {}
        #: (node, message) pairs a node relayed down a stem (loop detection).
        self.relayed: set[tuple[int, int]] = set()
        #: message index -> node -> (time, from peer) of its first stem receipt.
        self.stem_receipts: dict[int, dict[int, tuple[float, int]]] = {}
        self.hops = 0
        #: message index -> stem hops it took.
        self.hops_of: dict[int, int] = {}
        self.fluffs = {"diffuser": 0, "embargo": 0, "loop": 0, "no-successor": 0}
        #: message index -> why its stem ended, in order (one reason per end).
        self.ends: dict[int, list[str]] = {}
        net.publish_hook = self._publish_own
        net.on_direct = self._arrived
        net.on_accept = self._took_in
        if streams == "epoch":
            for v in range(net.n):
                first = (
                    self.rngs[v].random() * KEEPER_PERIOD if keeper_start is None else keeper_start
                )
                net.loop.call_at(first, self._keeper, v)

    def _router(self, v: int) -> StemRouter[int]:
        router = self.routers[v]
        peers = self.net.nodes[v].peers
        if self.dialled is not None:
            outbound = peers & self.dialled[v]
            if len(outbound) >= self.params.successors:
                peers = outbound
        router.refresh(EPOCH + self.net.loop.now, sorted(peers), self.rngs[v])
        return router

    def _ended(self, msg: SimMessage, reason: str) -> None:
        self.fluffs[reason] += 1
        self.ends.setdefault(msg.index, []).append(reason)

    def _publish_own(self, v: int, msg: SimMessage) -> bool:
        signed = msg.signed
        if signed is None or not stems(signed.kind):
            return False
        route = self._router(v).route_own()
        if isinstance(route, Fluff):
            self._ended(msg, "no-successor")
            return False
        held = Held(own=True)
        self.held[(v, msg.index)] = held
        self._send(v, route.peer, msg)
        self._embargo(v, msg, held)
        return True

    def _send(self, v: int, peer: int, msg: SimMessage) -> None:
        self.hops += 1
        self.hops_of[msg.index] = self.hops_of.get(msg.index, 0) + 1
        net = self.net
        now = net.loop.now
        if self.mode == "per-message":
            self.opened += 1
            self.opened_for_message += 1
            net.send_direct(v, peer, msg, round_trips=self.round_trips)
            return
        streams = self.streams[v]
        kept = streams.get(peer)
        if kept is None or now - kept[1] > SENDER_IDLE:
            self.opened += 1
            self.opened_for_message += 1
            rtt = 2 * net.nodes[v].links[peer]
            ready = now + self.round_trips * rtt
            round_trips = self.round_trips
        else:
            ready = kept[0]
            # Still opening: the frame waits for the stream (round trips
            # counted from now; 0 once it is open).
            round_trips = max(0.0, ready - now) / (2 * net.nodes[v].links[peer])
        streams[peer] = (ready, max(now, ready))
        net.send_direct(v, peer, msg, round_trips=round_trips)

    def _keeper(self, v: int) -> None:
        """One check of ``v``'s keeper (``node/stem.py`` ``_stem_keeper``):
        forget stale streams to peers that are no longer successors, and
        open or renew the streams to this epoch's successors."""
        net = self.net
        now = net.loop.now
        net.loop.call_at(now + KEEPER_PERIOD, self._keeper, v)
        node = net.nodes[v]
        if not node.up or not node.peers:
            return
        successors = tuple(dict.fromkeys(self._router(v).successors))
        streams = self.streams[v]
        for peer, (_, used) in list(streams.items()):
            if peer not in successors and now - used > SENDER_IDLE:
                del streams[peer]
        self._keep_open((v, successors))

    def _keep_open(self, job: tuple[int, tuple[int, ...]]) -> None:
        """Open or renew the stream to the first of ``peers`` that needs it;
        the rest are checked once it is open (the node's keeper awaits each
        opening in turn)."""
        v, peers = job
        net = self.net
        now = net.loop.now
        node = net.nodes[v]
        streams = self.streams[v]
        for i, peer in enumerate(peers):
            if peer not in node.peers:
                continue
            kept = streams.get(peer)
            if kept is None or now - kept[1] > SENDER_IDLE - 2 * KEEPER_PERIOD:
                self.opened += 1
                ready = now + self.round_trips * 2 * node.links[peer]
                # A message meanwhile waits for it (the node's per-peer lock).
                streams[peer] = (ready, ready)
                if i + 1 < len(peers):
                    net.loop.call_at(ready, self._keep_open, (v, peers[i + 1 :]))
                return

    def _embargo(self, v: int, msg: SimMessage, held: Held) -> None:
        wait = self.routers[v].embargo_seconds(self.rngs[v])
        self.net.loop.call_at(self.net.loop.now + wait, self._embargo_ends, (v, msg, held))

    def _embargo_ends(self, job: tuple[int, SimMessage, Held]) -> None:
        v, msg, held = job
        if self.held.get((v, msg.index)) is held and self.net.nodes[v].up:
            self._ended(msg, "embargo")
            self._fluff(v, msg)

    def _arrived(self, v: int, u: int, msg: SimMessage, tag: Any, done: float) -> None:
        receipts = self.stem_receipts.setdefault(msg.index, {})
        receipts.setdefault(v, (done, u))
        net = self.net
        # The node admits and validates a stem message before anything else.
        if net.messages.judge(msg, net.loop.now) is not Action.ACCEPT or msg.signed is None:
            return
        if not stems(msg.signed.kind):
            return
        key = (v, msg.index)
        if key in self.held or key in self.relayed:
            # The stem looped back to a node that had it: end it here.
            self._ended(msg, "loop")
            self.held.setdefault(key, Held(own=False, inbound=u))
            self._fluff(v, msg)
            return
        if msg.arrived is not None and msg.arrived[v] >= 0:
            return  # already fluffed: this node has it from gossip
        router = self._router(v)
        route = router.route_relayed(u, self.rngs[v])
        if isinstance(route, Fluff):
            # A relayer fluffs only when its one successor is the inbound peer.
            self._ended(msg, "diffuser" if router.diffuser else "no-successor")
            if net.accept_direct(v, u, msg, done):
                net.gossip_publish(v, msg)
            return
        held = Held(own=False, inbound=u)
        self.held[key] = held
        self.relayed.add(key)
        self._send(v, route.peer, msg)
        self._embargo(v, msg, held)

    def _fluff(self, v: int, msg: SimMessage) -> None:
        held = self.held.pop((v, msg.index))
        net = self.net
        if held.own:
            net.publish_own(v, msg)
        elif net.accept_direct(v, held.inbound, msg, net.loop.now):
            net.gossip_publish(v, msg)

    def _took_in(self, v: int, msg: SimMessage, done: float) -> None:
        self.held.pop((v, msg.index), None)  # back by gossip: its stem is over here
