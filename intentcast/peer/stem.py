"""One node's stem, as a state machine: events in, commands out.

What a node does with the messages it sends down a stem (its own) and the
ones it relays (others'), decided here without I/O, clock or global
randomness; :mod:`intentcast.node.stem` carries the commands out over
py-libp2p streams and trio timers, and the simulator (``simulations/
stem.py``) over its virtual network and clock. Both therefore end stems
the same way, by construction. The routing policy itself (roles,
successors, per-inbound-edge forwarding, embargo draws) is Dandelion++'s,
in :class:`intentcast.protocol.stem.StemRouter`.

Events (methods) and the commands they return (the commands, and why a
stem ends, are :mod:`intentcast.peer.stem_commands`):

- :meth:`StemNode.own`: the node wrote a message. It goes to the node's own
  successor (:class:`Send`); a node with no peer holds it until it has one
  (:meth:`StemNode.peers_changed`): published to no one, sync would later
  hand it out and name the node as its author.
- :meth:`StemNode.relayed`: a peer handed the node a message over the
  stem. It ends here (:class:`Publish`) if the node is a diffuser this
  epoch, if the stem looped back to a node that had it, or if the node
  holds as many as it may; else it goes to the successor drawn for that
  peer (:class:`Send`).
- :meth:`StemNode.sent` / :meth:`StemNode.send_failed`: the driver handed
  it over, or could not (the successor is replaced and the next one
  tried; with none left the stem ends here, ``no-successor``). Once handed
  over, the node waits for the message to come back by gossip
  (:class:`Wait`): an embargo timer, after which it publishes it itself,
  for a node that follows the message's topic (it will see the fluff); a
  shorter hold otherwise, only to send it on again should the successor
  leave meanwhile.
- :meth:`StemNode.peer_left`: every message handed to that peer that has
  not come back is sent down another stem at once (the successor may have
  taken it along), rather than when the embargo timer fires.
- :meth:`StemNode.came_back`: the message arrived by gossip or sync; its
  stem is over here.
- :meth:`StemNode.timer_fired`: a :class:`Wait` is over.

Before a relayed message reaches :meth:`StemNode.relayed`,
:func:`judge_relayed` says whether the node takes it at all (valid, of a
kind that takes a stem, on a topic it travels on), and
:func:`relay_strike` what a refused one counts against its sender as.

Peers are whatever the driver names them by (a peer id string in the
node, an int in the simulator); message ids are bytes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic

from intentcast.protocol import Action
from intentcast.protocol.stem import Fluff, Rng, StemParams, StemRouter, stems
from intentcast.protocol.validation import Verdict as Validation

from .inbound import Verdict
from .stem_commands import Command, End, PeerT, Publish, Send, Timer, Wait
from .topics import fits_topic

#: The verdict on a stem message of a kind that never takes a stem, or on
#: a topic its kind (or a sealed offer's bucket) does not travel on.
WRONG_STEM_TOPIC: Final = "reject:stem-topic"


def judge_relayed(
    topic: str, validation: Validation[Any], *, intent_key: bytes | None = None
) -> Verdict:
    """Whether a node takes a message a peer handed it over the stem on
    ``topic`` (``validation``: protocol validation's verdict on it). Invalid:
    ignored or rejected as validation says; valid but of a kind that never
    takes a stem, or off its topic (with ``intent_key``, a sealed offer
    off its intent's bucket): :data:`WRONG_STEM_TOPIC`; else accepted,
    never forwarded by gossip (the stem node decides where it goes; the
    pipeline judges it against what the node holds where its stem ends)."""
    signed = validation.signed
    if validation.action is not Action.ACCEPT or signed is None:
        return Verdict(validation.action, f"{validation.action.value}:{validation.reason}")
    if not stems(signed.kind) or not fits_topic(topic, signed, intent_key=intent_key):
        return Verdict(Action.REJECT, WRONG_STEM_TOPIC)
    return Verdict(Action.ACCEPT, f"accept:{signed.kind.value}", signed)


def relay_strike(verdict: Verdict) -> str:
    """What a stem message :func:`judge_relayed` rejected counts against
    its sender as (``PeerLimits.rejected``'s reason)."""
    if verdict.reason == WRONG_STEM_TOPIC:
        return "stem: wrong kind or topic"
    return f"stem: {verdict.reason.removeprefix('reject:')}"


@dataclass(slots=True, eq=False)
class _Held(Generic[PeerT]):
    own: bool
    #: The peer a relayed message came from.
    inbound: PeerT | None
    #: Whether this node follows the message's topic (sees the fluff).
    watch: bool
    #: Whether the node could publish it (it or a peer follows its topic).
    reach: bool = True
    #: Where it was handed, once it was.
    successor: PeerT | None = None
    #: Successors tried for the current hand-over.
    tries: int = 0
    #: An own message waiting for the node's first peer.
    waiting: bool = False
    #: A timer is set (once per message: a re-sent one keeps its timer).
    timed: bool = False
    #: Times a quiet own message was sent down the stem again (its embargo
    #: fired before the node learned it was diffused).
    resends: int = 0
    #: When a quiet own message was first sent.
    since: float = 0.0
    #: Every peer a quiet own message was handed to, in order.
    handed: list[PeerT] = field(default_factory=list)


#: Stem hops go over a stream the sender keeps open to each successor: the
#: receiver ends one idle for RECEIVER_IDLE seconds; the sender starts a new
#: one after SENDER_IDLE, well before, so it never writes into a stream just
#: dropped. Every KEEPER_PERIOD seconds the sender checks that a stream to
#: each successor is open (and renews one nearing SENDER_IDLE): no message
#: waits for a stream to open. (Times the node's stream keeper runs on, and
#: the simulator models.)
SENDER_IDLE: Final = 600.0
RECEIVER_IDLE: Final = 900.0
KEEPER_PERIOD: Final = 5.0


#: A quiet author (``own(..., watch=False)``, docs/privacy.md section 10)
#: asks one peer that follows the intents topics, every QUIET_PROBE_SECONDS
#: whatever it posted, for the ids it received in the last
#: QUIET_PROBE_WINDOW seconds; its own message found there is diffused.
#: Past the window a probe can no longer find it: the author stops sending
#: it down the stem again then.
QUIET_PROBE_SECONDS: Final = 30.0
QUIET_PROBE_WINDOW: Final = 600.0


@dataclass(frozen=True, kw_only=True, slots=True)
class StemLimits:
    #: Messages held on the stem at once (own and relayed); past it a new
    #: relayed message ends its stem here (bounded memory under a flood).
    max_held: int = 2_000
    #: Relayed ids remembered for loop detection.
    max_relayed: int = 10_000


class StemNode(Generic[PeerT]):
    """The stem state of one node (see the module's docstring).

    ``peers`` arguments are the node's connected peers; ``dialled`` the
    ones it dialled itself. Successors are drawn from ``dialled`` when it
    has one per successor slot (Dandelion++ and Monero route stems over
    outbound connections only: an adversary can connect to everyone, but
    cannot make a node dial it), else from every peer, so that a node only
    others dialled (a relay with a public address) still stems.
    """

    def __init__(
        self,
        params: StemParams,
        rng: Rng,
        *,
        limits: StemLimits | None = None,
        phase: float | None = None,
    ) -> None:
        self.params = params
        self.limits = limits or StemLimits()
        self.router = StemRouter[PeerT](params, rng, phase=phase)
        self._rng = rng
        self._held: dict[bytes, _Held[PeerT]] = {}
        self._relayed: OrderedDict[bytes, None] = OrderedDict()

    # --- what the node holds ------------------------------------------------------

    def holds(self, mid: bytes) -> bool:
        return mid in self._held

    def holds_own(self, mid: bytes) -> bool:
        """Whether an own message is still on its stem: sync must not hand
        it out (it would name this node as its author)."""
        held = self._held.get(mid)
        return held is not None and held.own

    def held(self) -> list[bytes]:
        """Ids of the messages held now, oldest first."""
        return list(self._held)

    # --- events -----------------------------------------------------------------------

    def own(
        self,
        mid: bytes,
        now: float,
        peers: Sequence[PeerT],
        dialled: Sequence[PeerT],
        *,
        watch: bool = True,
    ) -> list[Command[PeerT]]:
        """The node wrote ``mid``. ``watch``: it follows the message's topic
        and sees it come back by gossip (the node's authors always do);
        False for a *quiet* author (a customer that takes no part in the
        intents' gossip, docs/privacy.md section 10): it never publishes
        the message itself, not even when its embargo fires (that would
        name it); the embargo sends it down the stem again instead
        (:meth:`timer_fired`), until :meth:`came_back` (the driver's probe
        of a sync peer's inventory, :meth:`unconfirmed`) says it was
        diffused."""
        held = _Held[PeerT](own=True, inbound=None, watch=watch, since=now)
        self._held[mid] = held
        if not peers:
            held.waiting = True
            return []
        return self._route(mid, held, now, peers, dialled)

    def relayed(
        self,
        mid: bytes,
        inbound: PeerT,
        now: float,
        peers: Sequence[PeerT],
        dialled: Sequence[PeerT],
        *,
        seen: bool,
        watch: bool,
        reach: bool = True,
    ) -> list[Command[PeerT]]:
        """Peer ``inbound`` handed the node ``mid`` (valid) over the stem.
        ``seen``: the node has it already by gossip or sync (nothing to do);
        ``watch``: the node follows its topic; ``reach``: some peer of the
        node follows it (a diffuser that neither follows the topic nor has
        a peer that does could publish to no one: it passes the message on
        down the stem instead; only quiet customers can be in that case)."""
        mine = self._held.get(mid)
        if mine is not None and mine.own and not mine.watch:
            # The stem looped back to a quiet author: it never publishes
            # its own message, so it passes it on as a relayer would.
            self._refresh(now, peers, dialled)
            route = self.router.route_relayed(inbound, self._rng, diffuse=False)
            return [] if isinstance(route, Fluff) else [Send(mid, route.peer)]
        if mid in self._held or mid in self._relayed:
            # The stem looped back to a node that had it: end it here (a
            # relay that keeps no timer remembers what it relayed, or a loop
            # of such relays would circle until some author's timer fired).
            self._held.pop(mid, None)
            return [Publish(mid, End.LOOP)]
        if seen:
            return []
        if len(self._held) >= self.limits.max_held:
            return [Publish(mid, End.FULL)]
        self._refresh(now, peers, dialled)
        if self.router.diffuser and reach:
            return [Publish(mid, End.DIFFUSER)]
        held = _Held[PeerT](own=False, inbound=inbound, watch=watch, reach=reach)
        self._held[mid] = held
        self._relayed[mid] = None
        while len(self._relayed) > self.limits.max_relayed:
            self._relayed.popitem(last=False)
        return self._route(mid, held, now, peers, dialled)

    def sent(self, mid: bytes, peer: PeerT) -> list[Command[PeerT]]:
        """``mid`` was handed to ``peer``: wait for it to come back."""
        held = self._held.get(mid)
        if held is None:
            return []
        held.successor, held.tries = peer, 0
        if held.own and not held.watch:
            held.handed.append(peer)
        if held.timed:
            return []
        held.timed = True
        if held.watch or held.own:
            return [Wait(mid, self.router.embargo_seconds(self._rng), Timer.EMBARGO)]
        return [Wait(mid, self.params.embargo_base_seconds, Timer.RELEASE)]

    def send_failed(
        self,
        mid: bytes,
        peer: PeerT,
        now: float,
        peers: Sequence[PeerT],
        dialled: Sequence[PeerT],
    ) -> list[Command[PeerT]]:
        """``peer`` did not take ``mid``: replace it as a successor and try
        the next; past ``successors + 1`` tries the stem ends here."""
        self.router.peer_lost(peer, self._pool(peers, dialled), self._rng)
        held = self._held.get(mid)
        if held is None:
            return []
        return self._route(mid, held, now, peers, dialled)

    def peer_left(
        self, peer: PeerT, now: float, peers: Sequence[PeerT], dialled: Sequence[PeerT]
    ) -> list[Command[PeerT]]:
        """A connection closed: replace ``peer`` as a successor, and send
        every message handed to it that has not come back down another
        stem now (the embargo timer stays the fail-safe against a successor
        that keeps messages without leaving)."""
        self.router.peer_lost(peer, self._pool(peers, dialled), self._rng)
        out: list[Command[PeerT]] = []
        for mid, held in list(self._held.items()):
            if held.successor != peer:
                continue
            held.successor = None
            if held.own and not peers:
                held.waiting = True
                continue
            out += self._route(mid, held, now, peers, dialled)
        return out

    def peers_changed(
        self, now: float, peers: Sequence[PeerT], dialled: Sequence[PeerT]
    ) -> list[Command[PeerT]]:
        """The node has peers now: send the own messages that waited for one."""
        out: list[Command[PeerT]] = []
        if not peers:
            return out
        for mid, held in list(self._held.items()):
            if held.waiting:
                held.waiting = False
                out += self._route(mid, held, now, peers, dialled)
        return out

    def came_back(self, mid: bytes) -> bool | None:
        """``mid`` arrived by gossip or sync: someone fluffed it, and its stem
        is over here. Returns whether it was an own message (None: the node
        held no such message)."""
        held = self._held.pop(mid, None)
        return None if held is None else held.own

    def published(self, mid: bytes) -> None:
        """The driver published ``mid`` (a :class:`Publish` carried out)."""
        self._held.pop(mid, None)

    def unconfirmed(self) -> list[bytes]:
        """Quiet own messages not known to be diffused yet, oldest first:
        what a quiet node looks for in a sync peer's inventory (any it
        finds there: :meth:`came_back`)."""
        return [mid for mid, held in self._held.items() if held.own and not held.watch]

    def timer_fired(
        self,
        mid: bytes,
        timer: Timer,
        now: float = 0.0,
        peers: Sequence[PeerT] = (),
        dialled: Sequence[PeerT] = (),
    ) -> list[Command[PeerT]]:
        """A :class:`Wait` is over. A quiet own message (``own(...,
        watch=False)``) whose embargo fired goes down the stem again, never
        published here: the first time to the peer it was handed to if
        still connected (a lost stream or a slow stem: that peer learns
        nothing new); after that to a connected peer it was never handed
        to, dialled ones first (a peer that swallows it, or a stem that
        drops it, must not hold it back for good: the fail-safe of the
        embargo), and when every peer has had it, to the node's own
        successor of the epoch at ``now`` (with ``peers`` and ``dialled``,
        as for :meth:`own`). Its embargo is drawn again when it is handed
        over. Once :data:`QUIET_PROBE_WINDOW` has passed since it was first
        sent, no probe can find it any more: it is let go."""
        held = self._held.get(mid)
        if held is None:
            return []
        if timer is Timer.RELEASE:
            del self._held[mid]
            return []
        if held.own and not held.watch:
            if now - held.since >= QUIET_PROBE_WINDOW:
                del self._held[mid]
                return []
            held.resends += 1
            held.timed = False
            held.tries = 0
            handed, held.successor = held.successor, None
            if held.resends == 1 and handed is not None and handed in peers:
                # The peer that had it from this node learns nothing new;
                # a new epoch's successor would learn that this node sends
                # a message already diffused, which only its author does.
                return [Send(mid, handed)]
            if not peers:
                held.waiting = True
                return []
            # It did not come out through the peers it went to: another one.
            fresh = [p for p in dialled if p in peers and p not in held.handed]
            fresh = fresh or [p for p in peers if p not in held.handed]
            if fresh:
                return [Send(mid, fresh[self._rng.randrange(len(fresh))])]
            return self._route(mid, held, now, peers, dialled)
        del self._held[mid]
        return [Publish(mid, End.EMBARGO)]

    # --- routing ------------------------------------------------------------------------

    def successors(
        self, now: float, peers: Sequence[PeerT], dialled: Sequence[PeerT]
    ) -> tuple[PeerT, ...]:
        """This epoch's successors (a driver keeps a stream open to each)."""
        self._refresh(now, peers, dialled)
        return self.router.successors

    def _pool(self, peers: Sequence[PeerT], dialled: Sequence[PeerT]) -> Sequence[PeerT]:
        return dialled if len(dialled) >= self.params.successors else peers

    def _refresh(self, now: float, peers: Sequence[PeerT], dialled: Sequence[PeerT]) -> None:
        self.router.refresh(now, self._pool(peers, dialled), self._rng)

    def _route(
        self,
        mid: bytes,
        held: _Held[PeerT],
        now: float,
        peers: Sequence[PeerT],
        dialled: Sequence[PeerT],
    ) -> list[Command[PeerT]]:
        held.tries += 1
        if held.tries <= self.params.successors + 1:
            self._refresh(now, peers, dialled)
            if held.own:
                route = self.router.route_own()
            else:
                assert held.inbound is not None
                route = self.router.route_relayed(held.inbound, self._rng, diffuse=held.reach)
            if not isinstance(route, Fluff):
                return [Send(mid, route.peer)]
        if held.own and not held.watch:
            # A quiet author never publishes its own: it waits for a peer
            # (or its next embargo) and tries again.
            held.waiting, held.tries = True, 0
            return []
        del self._held[mid]
        if not held.own and not held.timed:
            self._relayed.pop(mid, None)  # never handed on: a replay is no loop
        return [Publish(mid, End.NO_SUCCESSOR)]
