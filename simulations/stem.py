"""Stem-then-fluff in the simulator: a driver of the node's own stem.

Every decision is the node's: each simulated node runs an
:class:`intentcast.peer.stem.StemNode` (``StemNode[int]``, peers named by
index), the state machine ``intentcast/node/stem.py`` drives over
py-libp2p streams and trio timers. This module feeds it the same events
(an own message, a relayed one, a send done, a timer fired, a message
back by gossip or sync, a connection opened or closed) and carries out
its commands (:class:`~intentcast.peer.stem_commands.Send`,
:class:`~intentcast.peer.stem_commands.Publish`,
:class:`~intentcast.peer.stem_commands.Wait`) on the virtual network
and clock, as the node's driver does:

- ``Send``: the message goes to the peer over a stem stream (below); the
  node is told it was sent (``sent``; the peer is connected, so a send
  never fails here unless the connection closed: ``send_failed``);
- ``Publish``: the stem ends at this node. An own message is published by
  gossip; a relayed one is taken in as if it came by gossip (the node's
  pipeline with ``stem_end``, :meth:`NetworkBase.accept_direct`) and, if
  it is news, published. Its reason is what the reports count
  (:attr:`StemRouting.fluffs`, :attr:`StemRouting.ends`); a publish that
  is no news by then ends nothing, as in the node;
- ``Wait``: a virtual timer, void if the node left meanwhile.

What only a simulator does stays here: the stem streams' opening costs,
link latencies, and counting hops and ends for the reports.

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
when it is open (the node's per-peer lock). Pacing of stem streams
(``stem_per_second``) is not modelled.

Successors are drawn from the peers a node dialled itself when it has one
per successor slot, else from all its peers, as the node does
(``dialled``; None draws from all peers).

:attr:`StemRouting.stem_receipts` records, per message, when and from
whom each node first got it over a stem: with the network's
``first_from`` it is what a spy sees. :attr:`StemRouting.hops_of` and
:attr:`StemRouting.ends` record, per message, its stem hops and where and
why its stem ended (``fluffs`` sums the reasons,
:data:`intentcast.peer.stem_commands.ENDS`).

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
from typing import Final, Literal

from intentcast.peer.stem import (
    KEEPER_PERIOD,
    QUIET_PROBE_SECONDS,
    QUIET_PROBE_WINDOW,
    SENDER_IDLE,
    StemNode,
    judge_relayed,
    relay_strike,
)
from intentcast.peer.stem_commands import ENDS, Command, End, Publish, Send, Timer
from intentcast.protocol import Action
from intentcast.protocol.stem import StemParams, StemRouter, stems

from .messages import SimMessage
from .network import Network
from .params import EPOCH

#: The node's stream keeper times (``intentcast.peer.stem``): a sender
#: stops using a kept stream ``SENDER_IDLE`` after its last write, and the
#: keeper checks every ``KEEPER_PERIOD``, renewing a stream idle for more
#: than ``SENDER_IDLE - 2 * KEEPER_PERIOD``.
__all__ = ["KEEPER_PERIOD", "SENDER_IDLE", "STREAM_MODES", "StemRouting"]

#: Stem stream modes (see the module docstring); "epoch" is the node's.
StreamMode = Literal["epoch", "kept", "per-message"]
STREAM_MODES: Final[tuple[StreamMode, ...]] = ("epoch", "kept", "per-message")

#: The inbound peer recorded for an own message (the node's ``_Payload.own``).
OWN: Final = -1


class StemRouting:
    """Stem routing for every node of ``net``: one
    :class:`~intentcast.peer.stem.StemNode` per node, driven on the
    virtual network (installs the network's ``publish_hook``,
    ``on_direct``, ``on_accept``, ``on_link`` and ``on_stem``)."""

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
        hop_latency: float | None = None,
        quiet: bool = False,
        probe_seconds: float = QUIET_PROBE_SECONDS,
        probe_window: float = QUIET_PROBE_WINDOW,
        probe_rng: random.Random | None = None,
    ) -> None:
        """``round_trips``: link round trips to open a stem stream before its
        first frame leaves. ``streams``: how stem streams are opened (see the
        module docstring; "epoch" is what the node does). ``dialled``: per
        node, the peers it dialled; successors are then drawn from those
        when a node has one per successor slot, else from all its peers
        (``node/stem.py`` ``_view``); None: always from all peers.
        ``rng``: where the stem's random draws come from: one generator,
        or one per node (default: the network's generator).
        ``keeper_start``: when every node's keeper first checks its
        streams ("epoch" mode; the node's first check is
        :data:`KEEPER_PERIOD` after it starts); default: each node at a
        random phase within the first period. ``hop_latency``: seconds a
        stem frame (and each leg of opening a stream) takes one way,
        instead of the link's latency (default): where the link latency is
        fitted to gossip, it holds what a gossip copy pays in py-libp2p's
        pubsub and a frame on a kept stem stream does not.

        ``quiet`` (docs/privacy.md section 10): a node that does not follow
        a message's topic takes no part in its gossip, so its own message
        is sent with ``watch=False`` (its embargo sends it down the stem
        again, never publishes it), and a diffuser with no peer that
        follows the topic passes a relayed message on. Every such node
        probes one random peer that follows the topic every
        ``probe_seconds`` (at its own phase, whatever it posted: a sync
        hello naming every intents topic, answered with the ids only of
        what the peer received in the last ``probe_window`` seconds); an own
        message in that answer is confirmed (``came_back``). ``probe_rng``:
        the probes' draws (default a generator of their own, so the other
        draws stay)."""
        if streams not in STREAM_MODES:
            raise ValueError(f"streams: {streams!r} is not one of {STREAM_MODES}")
        self.net = net
        self.params = params
        self.round_trips = round_trips
        self.hop_latency = hop_latency
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
        #: Each node's stem, and the node life it belongs to (a node that
        #: left and came back starts with an empty one: it lived in memory).
        self.stems = [StemNode[int](params, self.rngs[v]) for v in range(net.n)]
        self._lives = [net.nodes[v].life for v in range(net.n)]
        #: (node, message id) -> the peer a relayed message came from, or
        #: :data:`OWN`: what the node's driver keeps as ``_stem_payloads``.
        self._payloads: dict[tuple[int, bytes], int] = {}
        #: message index -> node -> (time, from peer) of its first stem receipt.
        self.stem_receipts: dict[int, dict[int, tuple[float, int]]] = {}
        self.hops = 0
        #: message index -> stem hops it took.
        self.hops_of: dict[int, int] = {}
        #: Stem ends by reason (the ``Publish`` commands carried out).
        self.fluffs: dict[str, int] = dict.fromkeys(ENDS, 0)
        #: message index -> (node, why) of each end of its stem, in order.
        self.ends: dict[int, list[tuple[int, str]]] = {}
        #: Messages sent down another stem because their successor left.
        self.rerouted = 0
        #: Quiet authors: embargo firings that sent an own message down the
        #: stem again, per message index; probes made and messages confirmed.
        self.quiet = quiet
        self.resent: dict[int, int] = {}
        self.probes = 0
        self.confirmed: dict[int, float] = {}
        self.probe_seconds = probe_seconds
        self.probe_window = probe_window
        self._probe_rng = probe_rng or random.Random("quiet-probes")
        net.publish_hook = self._publish_own
        net.on_direct = self._arrived
        net.on_accept = self._took_in
        net.on_link = self._link_changed
        net.on_stem = self._on_stem
        if streams == "epoch":
            for v in range(net.n):
                first = (
                    self.rngs[v].random() * KEEPER_PERIOD if keeper_start is None else keeper_start
                )
                net.loop.call_at(first, self._keeper, v)
        if quiet:
            for v in range(net.n):
                net.loop.call_at(self._probe_rng.random() * probe_seconds, self._probe, v)

    @property
    def routers(self) -> list[StemRouter[int]]:
        """Each node's Dandelion++ router (its roles and successors)."""
        return [stem.router for stem in self.stems]

    def _stem(self, v: int) -> StemNode[int]:
        life = self.net.nodes[v].life
        if self._lives[v] != life:
            self._lives[v] = life
            self.stems[v] = StemNode[int](self.params, self.rngs[v])
        return self.stems[v]

    def _on_stem(self, v: int, mid: bytes) -> bool:
        """An own message of ``v`` still on its stem: sync does not hand it
        out (``node/stem.py`` ``on_stem``)."""
        return self._stem(v).holds_own(mid)

    def _view(self, v: int) -> tuple[float, list[int], list[int]]:
        """Now (epochs are Unix time), the node's peers and the ones it
        dialled: what its stem routes over (``node/stem.py`` ``_view``)."""
        peers = sorted(self.net.nodes[v].peers)
        dialled = [] if self.dialled is None else [p for p in peers if p in self.dialled[v]]
        return EPOCH + self.net.loop.now, peers, dialled

    # --- events in --------------------------------------------------------------

    def _publish_own(self, v: int, msg: SimMessage) -> bool:
        signed = msg.signed
        if signed is None or not stems(signed.kind):
            return False
        self._payloads[(v, msg.id)] = OWN
        watch = not self.quiet or msg.topic in self.net.subs[v]
        commands = self._stem(v).own(msg.id, *self._view(v), watch=watch)
        self._execute(v, commands, self.net.loop.now)
        return True

    def _arrived(self, v: int, u: int, msg: SimMessage, tag: object, done: float) -> None:
        """A stem message from ``u`` reaches ``v`` (``_stem_arrived``)."""
        receipts = self.stem_receipts.setdefault(msg.index, {})
        receipts.setdefault(v, (done, u))
        net = self.net
        now = net.loop.now
        net.messages.judge(msg, now)
        assert msg.validation is not None
        verdict = judge_relayed(net.topics[msg.topic], msg.validation)
        if not verdict.accepted:
            if verdict.action is Action.REJECT:
                net.penalise(v, u, relay_strike(verdict))
            return
        commands = self._stem(v).relayed(
            msg.id,
            u,
            *self._view(v),
            seen=net.nodes[v].known.has(msg.id),
            watch=msg.topic in net.subs[v],
            reach=not self.quiet
            or msg.topic in net.subs[v]
            or bool(net.nodes[v].topic_peers.get(msg.topic)),
        )
        if not commands:
            return
        self._payloads.setdefault((v, msg.id), u)
        self._execute(v, commands, done)

    def _took_in(self, v: int, msg: SimMessage, done: float) -> None:
        """``v`` accepted ``msg`` (gossip, sync, or a stem's end): someone
        fluffed it, and its stem is over here."""
        self._stem(v).came_back(msg.id)
        self._payloads.pop((v, msg.id), None)

    def _link_changed(self, v: int, peer: int, up: bool) -> None:
        if not self.net.nodes[v].up:
            return
        stem = self._stem(v)
        if up:
            commands = stem.peers_changed(*self._view(v))
        else:
            self.streams[v].pop(peer, None)
            commands = stem.peer_left(peer, *self._view(v))
            self.rerouted += sum(isinstance(c, Send) for c in commands)
        self._execute(v, commands, self.net.loop.now)

    def _timer(self, job: tuple[int, int, bytes, Timer]) -> None:
        v, life, mid, timer = job
        if not self.net.nodes[v].up or self.net.nodes[v].life != life:
            return  # the node stopped: its timers went with it
        stem = self._stem(v)
        if self.quiet and mid in stem.unconfirmed():
            index = self.net.messages.by_id[mid].index
            self.resent[index] = self.resent.get(index, 0) + 1
        self._execute(v, stem.timer_fired(mid, timer, *self._view(v)), self.net.loop.now)
        self._forget_unless_held(v, mid)

    def _probe(self, v: int) -> None:
        """A quiet node's probe (``quiet``): one random peer that follows
        the topic of its oldest unconfirmed own message answers with its
        inventory's ids one round trip later; what it holds then is
        confirmed."""
        net = self.net
        net.loop.call_at(net.loop.now + self.probe_seconds, self._probe, v)
        node = net.nodes[v]
        if not node.up:
            return
        self.probes += 1
        stem = self._stem(v)
        waiting = stem.unconfirmed()
        if not waiting:
            return
        topic = net.messages.by_id[waiting[0]].topic
        followers = sorted(node.topic_peers.get(topic, ()))
        if not followers:
            return
        peer = followers[self._probe_rng.randrange(len(followers))]
        one_way = node.links[peer]
        net.loop.call_at(net.loop.now + one_way, self._inventory, (v, node.life, peer, one_way))

    def _inventory(self, job: tuple[int, int, int, float]) -> None:
        """``peer`` lists the ids it received in the last ``probe_window``
        seconds; ``v`` reads them ``one_way`` later."""
        v, life, peer, one_way = job
        net = self.net
        since = net.loop.now - self.probe_window
        held = set()
        for mid in self._stem(v).unconfirmed():
            arrived = net.messages.by_id[mid].arrived
            if arrived is not None and arrived[peer] >= max(0.0, since):
                held.add(mid)
        if held:
            self.net.loop.call_at(self.net.loop.now + one_way, self._confirm, (v, life, held))

    def _confirm(self, job: tuple[int, int, set[bytes]]) -> None:
        v, life, held = job
        if self.net.nodes[v].life != life:
            return
        stem = self._stem(v)
        for mid in sorted(held):
            if stem.came_back(mid):
                self._payloads.pop((v, mid), None)
                self.confirmed[self.net.messages.by_id[mid].index] = self.net.loop.now

    # --- commands out -------------------------------------------------------------

    def _execute(self, v: int, commands: list[Command[int]], done: float) -> None:
        """Carry out ``v``'s stem commands in order (``_execute``); ``done``:
        when the node is through with the message that caused them."""
        net = self.net
        for command in commands:
            if isinstance(command, Send):
                self._send_command(v, command)
            elif isinstance(command, Publish):
                self._publish(v, command, done)
            else:
                at = net.loop.now + command.seconds
                job = (v, net.nodes[v].life, command.mid, command.timer)
                net.loop.call_at(at, self._timer, job)

    def _send_command(self, v: int, command: Send[int]) -> None:
        stem = self._stem(v)
        mid, peer = command.mid, command.peer
        if (v, mid) not in self._payloads or not stem.holds(mid):
            return  # it came back meanwhile
        if peer in self.net.nodes[v].peers:
            self._send(v, peer, self.net.messages.by_id[mid])
            self._execute(v, stem.sent(mid, peer), self.net.loop.now)
        else:
            self._execute(v, stem.send_failed(mid, peer, *self._view(v)), self.net.loop.now)
        self._forget_unless_held(v, mid)

    def _publish(self, v: int, command: Publish, done: float) -> None:
        """The stem ends at ``v`` (``_stem_publish``)."""
        self._stem(v).published(command.mid)
        inbound = self._payloads.pop((v, command.mid), None)
        if inbound is None:
            return
        net = self.net
        msg = net.messages.by_id[command.mid]
        if inbound == OWN:
            self._ended(v, msg, command.reason)
            net.publish_own(v, msg)
        elif net.accept_direct(v, inbound, msg, done, stem_end=True):
            self._ended(v, msg, command.reason)
            net.gossip_publish(v, msg)

    def _forget_unless_held(self, v: int, mid: bytes) -> None:
        if not self._stem(v).holds(mid):
            self._payloads.pop((v, mid), None)

    def _ended(self, v: int, msg: SimMessage, reason: End) -> None:
        self.fluffs[reason.value] += 1
        self.ends.setdefault(msg.index, []).append((v, reason.value))

    # --- the transport ---------------------------------------------------------------

    def _send(self, v: int, peer: int, msg: SimMessage) -> None:
        self.hops += 1
        self.hops_of[msg.index] = self.hops_of.get(msg.index, 0) + 1
        net = self.net
        now = net.loop.now
        if self.mode == "per-message":
            self.opened += 1
            self.opened_for_message += 1
            net.send_direct(v, peer, msg, round_trips=self.round_trips, latency=self.hop_latency)
            return
        streams = self.streams[v]
        kept = streams.get(peer)
        if kept is None or now - kept[1] > SENDER_IDLE:
            self.opened += 1
            self.opened_for_message += 1
            ready = now + self.round_trips * self._rtt(v, peer)
            round_trips = self.round_trips
        else:
            ready = kept[0]
            # Still opening: the frame waits for the stream (round trips
            # counted from now; 0 once it is open).
            rtt = self._rtt(v, peer)
            round_trips = max(0.0, ready - now) / rtt if rtt else 0.0
        streams[peer] = (ready, max(now, ready))
        net.send_direct(v, peer, msg, round_trips=round_trips, latency=self.hop_latency)

    def _rtt(self, v: int, peer: int) -> float:
        """A round trip on the stem's transport from ``v`` to ``peer``."""
        one_way = self.net.nodes[v].links[peer] if self.hop_latency is None else self.hop_latency
        return 2 * one_way

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
        successors = tuple(dict.fromkeys(self._stem(v).successors(*self._view(v))))
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
                ready = now + self.round_trips * self._rtt(v, peer)
                # A message meanwhile waits for it (the node's per-peer lock).
                streams[peer] = (ready, ready)
                if i + 1 < len(peers):
                    net.loop.call_at(ready, self._keep_open, (v, peers[i + 1 :]))
                return
