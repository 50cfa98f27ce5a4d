"""Stem-then-fluff routing: where a node sends a message first, so that the
first peers to hear it cannot tell who wrote it.

The policy of Dandelion++ (Fanti et al., "Dandelion++: Lightweight
Cryptocurrency Networking with Formal Anonymity Guarantees", SIGMETRICS
2018), as pure code: no I/O, no clock, no global randomness. Time comes in
as a float of seconds, randomness as an :class:`Rng` (``random.Random`` for
the simulator and tests, ``random.SystemRandom`` for a real node).

A message starts in the *stem*: each node sends it to a single peer. A node
that is a *diffuser* for the current epoch ends the stem and *fluffs* the
message (publishes it by gossip). Its author never fluffs it directly: its
own messages always go to one successor. Every node on the stem also starts
an *embargo* timer; if it has not seen the message in the fluff when the
timer fires, it fluffs the message itself, so a peer that drops a stem
message delays it but cannot suppress it.

The node owns what this module leaves out: sending, timers, and knowing
whether it holds a message already. Reasons and threat model:
``docs/privacy.md``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Final, Generic, Protocol, TypeAlias, TypeVar

from .errors import ProtocolError
from .kinds import Kind

#: A peer as the caller names it: a libp2p peer id in the node, an int in the
#: simulator. Only equality and hashing are used.
PeerT = TypeVar("PeerT", bound=Hashable)


class Rng(Protocol):
    """The randomness the policy needs; ``random.Random`` and
    ``random.SystemRandom`` satisfy it."""

    def random(self) -> float:
        """A float in [0, 1)."""
        ...

    def randrange(self, stop: int, /) -> int:
        """An int in [0, stop)."""
        ...


class EpochNotBegun(ProtocolError, RuntimeError):
    """A route was asked of a :class:`StemRouter` before its first epoch
    began (call :meth:`StemRouter.refresh` or :meth:`StemRouter.begin_epoch`)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class StemParams:
    """How stems are drawn. Every node of a network should use the same values
    (a node with a different fluff probability stands out to its peers).

    Raises ``ValueError`` on a value outside its range.
    """

    #: How long a node keeps its role and successors. Dandelion++ and Monero
    #: use about ten minutes: within an epoch a node's routes are fixed, so an
    #: adversary learns nothing new from more messages along the same edges;
    #: a much shorter epoch hands it fresh random paths to intersect, a much
    #: longer one keeps a badly chosen (spy) successor for longer.
    epoch_seconds: float = 600.0
    #: Chance that a node is a diffuser for an epoch (q). The stem is
    #: geometric: 1/q hops on average (5 at 0.2, the value Monero ships), the
    #: median 4. Smaller q hides the author behind longer stems at the cost
    #: of latency (each stem hop is one more network round trip before the
    #: gossip starts); larger q shortens stems towards plain gossip.
    fluff_probability: float = 0.2
    #: Stem successors drawn per epoch. Two is Dandelion++'s "approximately
    #: 4-regular" anonymity graph (two out-edges, about two in-edges): it
    #: beats a line graph (one successor) against spies that guess the
    #: predecessor, while still mixing traffic of different origins.
    successors: int = 2
    #: Fixed part of the embargo timer. A stem finishes in a few seconds
    #: (median 4 hops of well under a second each); a timer that cannot fire
    #: before then never pre-empts a working stem, which would make an early
    #: node on the stem, possibly the author, the origin of the fluff.
    embargo_base_seconds: float = 10.0
    #: Mean of the exponential random part of the embargo timer. Large
    #: against the few seconds a stem takes, so which node's timer fires
    #: first is decided by these draws, not by who received the message
    #: first (the author always did); memoryless, so a node's waiting so
    #: far says nothing about how long it will still wait.
    embargo_mean_extra_seconds: float = 20.0

    def __post_init__(self) -> None:
        if not self.epoch_seconds > 0:
            raise ValueError("epoch_seconds must be positive")
        if not 0 < self.fluff_probability <= 1:
            raise ValueError("fluff_probability must be in (0, 1]")
        if type(self.successors) is not int or self.successors < 1:
            raise ValueError("successors must be an int of at least 1")
        if not self.embargo_base_seconds >= 0:
            raise ValueError("embargo_base_seconds must not be negative")
        if not self.embargo_mean_extra_seconds > 0:
            raise ValueError("embargo_mean_extra_seconds must be positive")


DEFAULT_STEM_PARAMS: Final = StemParams()


@dataclass(frozen=True, slots=True)
class Fluff:
    """Publish the message by gossip (the fluff phase)."""


@dataclass(frozen=True, slots=True)
class Stem(Generic[PeerT]):
    """Send the message to ``peer`` only, over the stem protocol."""

    peer: PeerT


FLUFF: Final = Fluff()

#: Where a message goes next: ``FLUFF`` or ``Stem(peer)``.
Route: TypeAlias = Fluff | Stem[PeerT]

#: Gossip kinds that start on the stem. Every kind a customer's node
#: authors must, or one directly gossiped message would name the node the
#: stem hid: a withdrawal and an accept are linkable to their intent (same
#: intent key; the vendor opens the accept). Sealed offers hide their vendor
#: from observers only if their origin is hidden too. Confirms and declines
#: travel in the same ``sealed-deal`` outer as accepts, and a relay cannot
#: tell them apart, so one rule per outer kind. Vendor profiles are public
#: and signed by the vendor: nothing to hide, so they are gossiped at once;
#: so are a vendor's replies to ratings. A rating is signed by an intent
#: key, like a withdrawal: it takes the stem (after a long random delay,
#: ``intentcast.peer.followup.RATING_DELAY``).
STEMMED_KINDS: Final = frozenset(
    {Kind.INTENT, Kind.WITHDRAW, Kind.SEALED_OFFER, Kind.SEALED_DEAL, Kind.RATING}
)


def stems(kind: Kind) -> bool:
    """Whether a message of gossip ``kind`` starts on the stem (see
    :data:`STEMMED_KINDS` for why)."""
    return kind in STEMMED_KINDS


def epoch_of(now: float, params: StemParams, phase: float = 0.0) -> int:
    """The number of the epoch containing ``now`` (Unix seconds) for a node
    whose epochs start ``phase`` seconds after multiples of the epoch length."""
    return math.floor((now - phase) / params.epoch_seconds)


class StemRouter(Generic[PeerT]):
    """One node's routing state: its role and successors for the current
    epoch, and which successor each inbound peer's stem messages go to.

    Per epoch the node draws its role once: a *diffuser* (chance
    ``fluff_probability``) fluffs every stem message it relays; a *relayer*
    passes each on. Dandelion++ draws roles per node and epoch rather than
    flipping a coin per message: with per-message coins every message of one
    author would take a fresh random path, and each path is one more sample
    for an adversary intersecting the candidates it observes.

    ``phase`` offsets this node's epoch boundaries (drawn at random when not
    given), so nodes do not all re-draw at the same instant.
    """

    def __init__(self, params: StemParams, rng: Rng, *, phase: float | None = None) -> None:
        self.params = params
        self.phase = rng.random() * params.epoch_seconds if phase is None else phase
        self._epoch: int | None = None
        self._diffuser = False
        # Slots, not a set: an inbound peer maps to a slot, so replacing a
        # lost successor keeps every other mapping as it was.
        self._slots: list[PeerT] = []
        self._own_slot = 0
        self._inbound_slot: dict[PeerT, int] = {}

    @property
    def epoch(self) -> int | None:
        """The current epoch, or None before the first one began."""
        return self._epoch

    @property
    def diffuser(self) -> bool:
        """Whether this node fluffs the stem messages it relays this epoch."""
        return self._diffuser

    @property
    def successors(self) -> tuple[PeerT, ...]:
        """This epoch's successors, one per slot (repeated when the node has
        fewer peers than slots; empty when it has none)."""
        return tuple(self._slots)

    def epoch_at(self, now: float) -> int:
        """This node's epoch number at ``now``."""
        return epoch_of(now, self.params, self.phase)

    def begin_epoch(self, epoch: int, peers: Sequence[PeerT], rng: Rng) -> None:
        """Start ``epoch``: draw the role, the successors among ``peers``, and
        which successor takes the node's own messages; forget the inbound
        mapping of the last epoch.

        Pass the peers the node dialled itself when it has enough of them
        (Dandelion++ and Monero use outbound connections only): an adversary
        can open inbound connections to everyone, but cannot make a node dial
        it. The order of ``peers`` matters for reproducibility only.
        """
        self._epoch = epoch
        self._diffuser = rng.random() < self.params.fluff_probability
        self._inbound_slot = {}
        self._draw_successors(peers, rng)

    def refresh(self, now: float, peers: Sequence[PeerT], rng: Rng) -> bool:
        """Begin the epoch containing ``now`` if it has not begun; a node that
        had no peers draws successors as soon as it has some. Returns whether
        anything was drawn. Call it before routing."""
        epoch = self.epoch_at(now)
        if epoch != self._epoch:
            self.begin_epoch(epoch, peers, rng)
            return True
        if not self._slots and peers:
            self._draw_successors(peers, rng)
            return True
        return False

    def route_own(self) -> Route[PeerT]:
        """Where a message this node authored goes: always the same successor
        within an epoch, whatever the node's role, so its own messages look
        like any stream it relays and give a spy successor one sample per
        epoch, not one per message. ``FLUFF`` only for a node with no peers:
        a lone node cannot hide (a node may prefer to hold its message until
        it has a peer, then route it again).

        Raises :class:`EpochNotBegun` before the first epoch.
        """
        self._check_begun()
        if not self._slots:
            return FLUFF
        return Stem(self._slots[self._own_slot])

    def route_relayed(
        self, inbound: PeerT, rng: Rng, *, repeat: bool = False, diffuse: bool = True
    ) -> Route[PeerT]:
        """Where a stem message received from ``inbound`` goes.

        A diffuser fluffs it. A relayer sends it to the successor it drew for
        ``inbound`` on the first message of the epoch from that peer, and to
        the same one for every later message: Dandelion++'s per-edge
        forwarding, which keeps paths fixed so an adversary cannot intersect
        many random ones. A message is never sent back to the peer it came
        from (that peer already holds it); with no other successor it is
        fluffed.

        ``repeat``: this node already holds the message (the stem looped
        back): fluff it, whoever wrote it, so a loop ends at once and the
        node's answer does not depend on whether it is the author.

        ``diffuse=False``: the node cannot publish it (it neither follows
        the topic nor has a peer that does): a diffuser then relays it as
        a relayer would (its successors are drawn all the same).

        Raises :class:`EpochNotBegun` before the first epoch.
        """
        self._check_begun()
        if repeat or (self._diffuser and diffuse) or not self._slots:
            return FLUFF
        slot = self._inbound_slot.get(inbound)
        if slot is None:
            slot = rng.randrange(len(self._slots))
            self._inbound_slot[inbound] = slot
        for step in range(len(self._slots)):
            peer = self._slots[(slot + step) % len(self._slots)]
            if peer != inbound:
                return Stem(peer)
        return FLUFF

    def peer_lost(self, peer: PeerT, peers: Sequence[PeerT], rng: Rng) -> None:
        """``peer`` disconnected: re-draw each slot it held from ``peers``
        (the node's current peers; ``peer`` is never picked even if still
        listed), preferring a peer that is not a successor already. Every
        other slot, the own-message slot and the inbound mapping stay. A node
        left without peers routes everything to ``FLUFF``."""
        if peer not in self._slots:
            return
        candidates = [p for p in dict.fromkeys(peers) if p != peer]
        if not candidates:
            self._slots = []
            return
        for i, held in enumerate(self._slots):
            if held != peer:
                continue
            fresh = [p for p in candidates if p not in self._slots]
            pool = fresh or candidates
            self._slots[i] = pool[rng.randrange(len(pool))]

    def embargo_seconds(self, rng: Rng) -> float:
        """How long a node holding a stem message waits to see it fluffed
        before fluffing it itself: ``embargo_base_seconds`` plus an
        exponential draw of mean ``embargo_mean_extra_seconds``.

        The author draws from the same distribution as every relay: a longer
        timer for its own messages would make the author's fluff
        recognisable by its delay to a spy that drops the message to watch
        who publishes it.
        """
        extra = -self.params.embargo_mean_extra_seconds * math.log(1.0 - rng.random())
        return self.params.embargo_base_seconds + extra

    def _draw_successors(self, peers: Sequence[PeerT], rng: Rng) -> None:
        pool = list(dict.fromkeys(peers))
        wanted = self.params.successors
        drawn: list[PeerT] = []
        while pool and len(drawn) < wanted:
            drawn.append(pool.pop(rng.randrange(len(pool))))
        self._slots = [drawn[i % len(drawn)] for i in range(wanted)] if drawn else []
        self._own_slot = rng.randrange(wanted) if drawn else 0

    def _check_begun(self) -> None:
        if self._epoch is None:
            raise EpochNotBegun("no epoch has begun: call refresh(now, peers, rng) first")
