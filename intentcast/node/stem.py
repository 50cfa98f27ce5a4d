"""Stem-then-fluff: the node's side of origin hiding (docs/privacy.md).

A message this node writes (an intent, withdrawal, sealed offer or sealed
deal; :func:`intentcast.protocol.stem.stems`) is not gossiped from here. It
goes to one peer over ``/intentcast/stem/1.0.0``; each peer on the stem
passes it to one successor, until a peer that is a *diffuser* this epoch
publishes it by gossip (the *fluff*). Every decision (where a message
goes, when a stem ends and why, what a lost successor means) is the pure
state machine :class:`intentcast.peer.stem.StemNode`, which the simulator
drives too; this module carries its commands out: the stream protocol,
pacing, the timers, and the rule that a message still on its stem is not
handed out by sync (sync would name its author).

The fail-safe: the author, and every relay that follows the message's topic,
holds the message with an *embargo* timer; if the message has not come back
by gossip when the timer fires, the holder fluffs it itself. A stem peer
that drops or delays a message therefore delays it, never suppresses it.
Relays that do not follow the topic cannot see the fluff, so they keep no
timer (a blind timer would republish every message they relayed). A
customer follows no intents topic (docs/privacy.md, section 10): it is a
*quiet* author of its intents, withdrawals and amendments, never publishes
them itself, and learns that one was diffused from its probe of a
follower's inventory (:meth:`StemRouting.diffused`); when its embargo
fires first it sends the message down the stem again, after the first time
to a peer that did not have it (so a swallowing successor cannot hold it
back).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

import trio

from intentcast.peer.followup import follow_up_delay
from intentcast.peer.stem import (
    KEEPER_PERIOD,
    SENDER_IDLE,
    StemLimits,
    StemNode,
    judge_relayed,
    relay_strike,
)
from intentcast.peer.stem_commands import ENDS, Command, Publish, Send, Timer, Wait
from intentcast.protocol import (
    ON_MARKET,
    Action,
    Kind,
    OfferState,
    Signed,
    message_id,
    validate,
)
from intentcast.protocol.stem import stems
from intentcast.protocol.validation import Verdict as Validation

from .base import NodeCore, Part
from .stem_streams import MAX_STREAMS_IN, PROTOCOL, StemStreams

log = logging.getLogger(__name__)

#: After a restart, seconds from the first connection until own messages
#: still on their stem are sent down a stem again: sync on connect brings
#: back those the network has by then, and they are not sent again.
RESEND_GRACE: Final = 3.0
#: Why a node ended a stem by publishing the message itself
#: (:class:`intentcast.peer.stem_commands.End`).
STEM_ENDS: Final = ENDS


@dataclass(slots=True, eq=False)
class _Payload:
    """What the node needs to carry out a command about a message it holds."""

    topic: str
    signed: Signed[Any]
    #: A relayed message: its validation on arrival (it is not validated
    #: again when this node ends its stem) and who sent it. None: own.
    validation: Validation[Any] | None = None
    inbound: str | None = None

    @property
    def own(self) -> bool:
        return self.validation is None


class StemRouting(Part):
    """The stem part of a :class:`~intentcast.node.node.Node`: the driver
    of its :class:`~intentcast.peer.stem.StemNode` (None when
    ``NodeConfig.stem`` is None: own messages are gossiped at once)."""

    _stem: StemNode[str] | None
    #: What each message the stem node holds (or is about to act on) is.
    _stem_payloads: dict[bytes, _Payload]

    def __init__(self, core: NodeCore) -> None:
        super().__init__(core)
        params = self.config.stem
        limits = StemLimits()
        self._stem = (
            None if params is None else StemNode(params, random.SystemRandom(), limits=limits)
        )
        #: What each message the stem node holds (or is about to act on) is.
        self._stem_payloads: dict[bytes, _Payload] = {}
        #: Ids of own messages on their stem, as in ``store.stems`` (held by
        #: the stem node too, except after a restart until they are resent).
        self._stem_pending: set[bytes] = set()
        self.streams = StemStreams(core)
        #: Where follow-up delays are drawn from (a test may seed its own).
        self.follow_up_random: random.Random = random.SystemRandom()

    def stem_held(self) -> list[bytes]:
        """Ids of the messages this node holds on their stem now."""
        return [] if self._stem is None else self._stem.held()

    def stem_successors(self) -> tuple[str, ...]:
        """This epoch's stem successors (drawn now if the epoch is new)."""
        return () if self._stem is None else self._stem.successors(*self._view())

    def _view(self) -> tuple[float, list[str], list[str]]:
        """Now (Unix seconds: epochs are wall-clock), the connected peers and
        the ones this node dialled: what the stem node routes over."""
        return time.time(), sorted(self.p2p.connected_peers()), self.p2p.outbound_peers()

    # --- sending ----------------------------------------------------------------

    async def publish_own(self, topic: str, signed: Signed[Any]) -> None:
        """Send a message this node wrote: down a stem (the kinds that take
        one, :func:`~intentcast.protocol.stem.stems`), else by gossip."""
        if self._stem is None or not stems(signed.kind):
            await self.core.publish_gossip(topic, signed)
            return
        self._stem_payloads[signed.id] = _Payload(topic, signed)
        self._stem_pending.add(signed.id)
        self.store.stems.add(signed, topic)  # a restart sends it again
        # The node follows the topics of what it sends from start-up, and
        # sees its message come back fluffed; but a customer follows no
        # intents topic (docs/privacy.md, section 10): it is a quiet author,
        # and its probe of a follower's inventory is its watch.
        watch = topic in self.p2p.topics
        commands = self._stem.own(signed.id, *self._view(), watch=watch)
        self._spawn(self._execute, self._stem, commands)

    def publish_follow_up(self, topic: str, signed: Signed[Any]) -> None:
        """Send an own amendment, withdrawal or accept as :meth:`publish_own`
        does, after a random delay (``NodeConfig.follow_up``,
        :func:`~intentcast.peer.followup.follow_up_delay`, drawn from
        :attr:`follow_up_random`). Meanwhile it is recorded as on its stem:
        sync does not hand it out, and a restart sends it again."""
        params = self.config.follow_up
        delay = 0.0 if params is None else follow_up_delay(params, self.follow_up_random.random())
        self._stem_pending.add(signed.id)
        self.store.stems.add(signed, topic)
        self._trace("follow-up-held", signed.id, f"{delay:.3f}")
        self._spawn(self._publish_later, topic, signed, delay)

    async def _publish_later(self, topic: str, signed: Signed[Any], delay: float) -> None:
        await trio.sleep(delay)
        if signed.id not in self._stem_pending:
            return  # back by sync meanwhile (a restart sent it already)
        self._count("follow-up:sent")
        if self._stem is None:
            await self.core.publish_gossip(topic, signed)
            self._stem_done(signed.id)
            return
        await self.publish_own(topic, signed)

    def on_new_peers(self) -> None:
        """Own messages that waited for a first peer go now."""
        if self._stem is not None:
            commands = self._stem.peers_changed(*self._view())
            if commands:
                self._spawn(self._execute, self._stem, commands)

    async def _execute(self, stem: StemNode[str], commands: list[Command[str]]) -> None:
        """Carry out the stem node's commands, in order; a send's outcome is
        fed back to it, and what it answers carried out in turn."""
        for command in commands:
            if isinstance(command, Send):
                await self._stem_send(stem, command)
            elif isinstance(command, Publish):
                await self._stem_publish(stem, command)
            else:
                self._spawn(self._stem_timer, stem, command)

    async def _stem_send(self, stem: StemNode[str], command: Send[str]) -> None:
        payload = self._stem_payloads.get(command.mid)
        if payload is None or not stem.holds(command.mid):
            return  # it came back meanwhile
        if await self.streams.send(command.peer, payload.topic, payload.signed.raw):
            self._count("stem:own-sent" if payload.own else "stem:relayed")
            self._trace("stem-sent", command.mid, ("own:" if payload.own else "") + command.peer)
            await self._execute(stem, stem.sent(command.mid, command.peer))
        else:
            await self._execute(stem, stem.send_failed(command.mid, command.peer, *self._view()))
        self._forget_unless_held(stem, command.mid)

    async def _stem_publish(self, stem: StemNode[str], command: Publish) -> None:
        """The stem ends here: publish by gossip, and take a relayed message
        in as if it came by gossip (it was validated on arrival); one that
        is no news by now (back by gossip meanwhile) ends nothing."""
        stem.published(command.mid)
        payload = self._stem_payloads.pop(command.mid, None)
        if payload is None:
            return
        if payload.own:
            self._stem_ended(command)
            await self.core.publish_gossip(payload.topic, payload.signed)
            self._stem_done(command.mid)
            return
        assert payload.validation is not None and payload.inbound is not None
        if self.core.take_in(payload.topic, payload.validation, payload.inbound, stem_end=True):
            self._stem_ended(command)
            await self.p2p.publish(payload.topic, payload.signed.raw)

    def _stem_ended(self, command: Publish) -> None:
        self._count(f"stem-end:{command.reason.value}")
        self._trace("stem-end", command.mid, command.reason.value)

    async def _stem_timer(self, stem: StemNode[str], command: Wait) -> None:
        await trio.sleep(command.seconds)
        if command.timer is Timer.EMBARGO and stem.holds(command.mid):
            payload = self._stem_payloads.get(command.mid)
            # A relayed message's timer fires as often as a predecessor
            # sends messages that do not come back: rate-limited per peer.
            who = "own" if payload is None or payload.inbound is None else payload.inbound
            quiet = command.mid in stem.unconfirmed()
            self.p2p.remote_log.note(
                who, "stem-embargo",
                "stem: %s not seen fluffed in time; %s", command.mid.hex()[:12],
                "sending it down the stem again" if quiet else "fluffing it",
            )  # fmt: skip
        commands = stem.timer_fired(command.mid, command.timer, *self._view())
        await self._execute(stem, commands)
        self._forget_unless_held(stem, command.mid)

    def _forget_unless_held(self, stem: StemNode[str], mid: bytes) -> None:
        if not stem.holds(mid):
            self._stem_payloads.pop(mid, None)

    def _stem_done(self, message_id: bytes) -> None:
        """An own message's stem is over: it is out by gossip."""
        if message_id in self._stem_pending:
            self._stem_pending.discard(message_id)
            self.store.stems.done(message_id)

    def resend_unfluffed(self) -> int:
        """After a restart: send down a stem again the own messages whose stem
        a stop cut short (they never came back by gossip, so the network may
        not have them); returns how many are scheduled. Until then sync does
        not hand them out (it would name this node as their author). Each
        waits for a peer and ``RESEND_GRACE`` seconds more, in which sync on
        connect brings back those the network has after all. An intent
        superseded, withdrawn or closed since, and an offer for an intent
        withdrawn or superseded, stay put."""
        scheduled = 0
        for pending in self.store.stems.pending(now=self.now()):
            signed = pending.signed
            if not self._worth_resending(signed):
                self.store.stems.done(signed.id)
                continue
            self._stem_pending.add(signed.id)
            self._spawn(self._resend, pending.topic, signed)
            scheduled += 1
        if scheduled:
            log.info("%d own messages whose stem a stop cut short will be sent again", scheduled)
        return scheduled

    def _worth_resending(self, signed: Signed[Any]) -> bool:
        kind = signed.kind
        if kind is Kind.INTENT:
            own = self.store.intents.get(signed.signer)
            return own is not None and own.intent.id == signed.id and own.state in ON_MARKET
        if kind is Kind.SEALED_OFFER:
            made = [m for m in self.store.offers.made(signed.message.intent_id)
                    if m.sealed.id == signed.id]  # fmt: skip
            return (
                bool(made)
                and made[0].state is OfferState.RECEIVED
                and self.core._still_open(made[0].intent)
            )
        return True

    async def _resend(self, topic: str, signed: Signed[Any]) -> None:
        while not self.p2p.connected_peers():
            await trio.sleep(0.5)
        await trio.sleep(RESEND_GRACE)
        if signed.id not in self._stem_pending:
            return  # back by sync meanwhile
        self._count("stem:resent")
        if self._stem is None:  # stem routing is off now: plain gossip
            await self.core.publish_gossip(topic, signed)
            self._stem_done(signed.id)
            return
        await self.publish_own(topic, signed)

    async def _stem_keeper(self) -> None:
        """Keep a stream open to each of this epoch's successors."""
        stem = self._stem
        if stem is not None:
            await self.streams.keep(lambda: stem.successors(*self._view()))

    # --- receiving ----------------------------------------------------------------

    async def _serve_stem(self, stream: Any) -> None:
        """The stem protocol's stream handler."""
        await self.streams.serve(stream, self._stem_frame)

    async def _stem_frame(self, topic: str, raw: bytes, peer: str) -> None:
        if self._stem is None:
            # Stem routing is off here: take the message as gossip would.
            if self.inbound(topic, raw, peer):
                await self.p2p.publish(topic, raw)
            return
        await self._stem_arrived(self._stem, topic, raw, peer)

    async def _stem_arrived(self, stem: StemNode[str], topic: str, raw: bytes, peer: str) -> None:
        held = self._stem_payloads.get(message_id(raw)) if self._stem_payloads else None
        validation = (
            held.validation  # relayed here before, back by a loop: validated then
            if held is not None and held.validation is not None
            else validate(raw, now=self.now(), params=self.params)
        )
        signed = validation.signed
        intent_key = (
            self.core._known.intent_key(signed.message.intent_id)
            if signed is not None and signed.kind is Kind.SEALED_OFFER
            else None
        )
        verdict = judge_relayed(topic, validation, intent_key=intent_key)
        if not verdict.accepted or signed is None:
            self._count(verdict.reason)
            if verdict.action is Action.REJECT:
                self.p2p.penalise(peer, relay_strike(verdict))
            return
        watch = topic in self.p2p.topics
        commands = stem.relayed(
            signed.id, peer, *self._view(),
            seen=self.core._known.has(signed.id), watch=watch,
            reach=watch or bool(self.p2p.followers(topic)),
        )  # fmt: skip
        if not commands:
            self._count("stem:already-fluffed")
            return
        if signed.id not in self._stem_payloads:
            self._stem_payloads[signed.id] = _Payload(topic, signed, validation, peer)
        await self._execute(stem, commands)

    def _stem_peer_left(self, peer: str) -> None:
        """A connection closed: the stem node sends down another stem what
        it had handed to that peer and has not seen come back."""
        if peer in self.p2p.connected_peers():
            return  # one of two connections to the peer closed
        self.streams.forget(peer)
        if self._stem is None:
            return
        commands = self._stem.peer_left(peer, *self._view())
        for command in commands:
            if isinstance(command, Send):
                self._count("stem:rerouted")
                self._trace("stem-rerouted", command.mid, peer)
        if commands:
            self._spawn(self._execute, self._stem, commands)

    def inbound(self, topic: str, data: bytes, peer: str) -> bool:
        """The node's entry for a message from gossip or sync: an own message
        that came back ends its stem; any other goes through the node's
        pipeline (:meth:`NodeCore.inbound`), and its stem, if this node
        held it, is over here. True: accepted, gossip forwards it."""
        if self._stem is not None and self._stem_payloads:
            mid = message_id(data)
            payload = self._stem_payloads.get(mid)
            if payload is not None and payload.own and payload.topic == topic:
                # Our own message, fluffed by someone down its stem. Take it
                # in, and forward it as every other node does: an author
                # that alone did not pass its message on would stand out.
                self._stem.came_back(mid)
                del self._stem_payloads[mid]
                self._count("stem:own-fluffed")
                self.store.gossip.ingest(payload.signed)
                self.core.diffused_own(topic, payload.signed)
                self._stem_done(mid)
                return True
        held = self._stem_payloads.get(message_id(data)) if self._stem_payloads else None
        if held is not None and held.validation is not None:
            # One this node relayed on its stem, back by gossip: validated
            # once, when it came down the stem.
            accepted = self.core.take_in(topic, held.validation, peer)
        else:
            accepted = self.core.inbound(topic, data, peer)
        if self._stem_payloads or self._stem_pending:
            # Back by gossip or sync: someone fluffed it; its stem is over here.
            mid = message_id(data)
            if accepted and self._stem is not None:
                self._stem.came_back(mid)
                self._stem_payloads.pop(mid, None)
            self._stem_done(mid)
        return accepted

    def unconfirmed(self) -> list[bytes]:
        """Own messages on topics this node does not follow (a customer's
        intents, withdrawals and amendments: docs/privacy.md, section 10)
        not yet known to be diffused, oldest first: what its probe looks
        for in a follower's inventory (:meth:`diffused`)."""
        return [] if self._stem is None else self._stem.unconfirmed()

    def diffused(self, found: Collection[bytes]) -> int:
        """The probe found these ids in a follower's inventory: those of
        :meth:`unconfirmed` are out by gossip, their stem is over (the
        embargo no longer sends them down it again). Returns how many."""
        if self._stem is None:
            return 0
        done = [mid for mid in self._stem.unconfirmed() if mid in found]
        for mid in done:
            self._stem.came_back(mid)
            self._stem_payloads.pop(mid, None)
            self._count("stem:own-confirmed")
            self._trace("stem-confirmed", mid)
            self._stem_done(mid)
        return len(done)

    def on_stem(self, message_id: bytes) -> bool:
        """Whether an own message is still on its stem: sync must not hand
        it out yet (it would name this node as its author)."""
        return (
            self._stem is not None and self._stem.holds_own(message_id)
        ) or message_id in self._stem_pending


__all__ = [
    "KEEPER_PERIOD",
    "MAX_STREAMS_IN",
    "PROTOCOL",
    "SENDER_IDLE",
    "STEM_ENDS",
    "StemRouting",
]
