"""The inbound pipeline of one node: what it does with an envelope a peer
handed it, whatever brought it (gossip, the end of a stem, sync).

    protocol validation (intentcast.protocol.validate)
        -> the topic rule (a sealed offer: on its intent's bucket, where the
           intent is known) -> the flood cap on sealed offers per intent
        -> dedupe -> intents withdrawn already -> withdrawals for intents
           nobody here holds -> accept (store, the role's work; forward?)

A verdict says accept, ignore or reject (reject: the sender is struck, as
go-libp2p-pubsub's validation pipeline does) with a named reason, and for
an accepted message whether gossip forwards it. No I/O: what the node
already holds comes in as a :class:`Known` (its store in the node, a set
in the simulator); per-peer rate admission happens before, in
:mod:`intentcast.peer.limits`.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final, Protocol

from intentcast.protocol import Action, Kind, NetworkParams, SealedOffer, Signed, validate
from intentcast.protocol.validation import Verdict as Validation

from .topics import fits_topic

#: Intents whose relayed offers are counted (the oldest forgotten past it).
COUNTED_INTENTS: Final = 10_000


class Known(Protocol):
    """What the node holds already (read-only)."""

    def has(self, message_id: bytes) -> bool:
        """Whether the node has this message (stored, or queued to be)."""
        ...

    def withdrawn(self, intent_key: bytes) -> bool:
        """Whether the intent with this key was withdrawn (a tombstone)."""
        ...

    def holds_intent(self, intent_key: bytes) -> bool:
        """Whether the node holds (or wrote) an intent with this key."""
        ...

    def intent_key(self, intent_id: bytes) -> bytes | None:
        """The key of the intent revision ``intent_id``, if the node holds
        (or wrote) it; else None."""
        ...


@dataclass(frozen=True, slots=True)
class Verdict:
    """The pipeline's answer for one envelope."""

    action: Action
    #: Why (``"accept:intent"``, ``"reject:bad-signature"``, ``"ignore:duplicate"``, ...).
    reason: str
    signed: Signed[Any] | None = None
    #: Accepted and gossip passes it on (a withdrawal for an intent nobody
    #: here holds is kept but not forwarded).
    forward: bool = False

    @property
    def accepted(self) -> bool:
        return self.action is Action.ACCEPT


class Inbound:
    """The pipeline's decisions, with the one piece of state they need: how
    many sealed offers this node relayed per intent revision."""

    def __init__(self, *, max_relayed_offers_per_intent: int) -> None:
        self.max_relayed_offers_per_intent = max_relayed_offers_per_intent
        self._relayed: OrderedDict[bytes, int] = OrderedDict()

    def judge(
        self,
        topic: str,
        data: bytes,
        known: Known,
        *,
        now: int,
        params: NetworkParams,
        stem_end: bool = False,
    ) -> Verdict:
        """Validate ``data`` and judge it (:meth:`judge_valid`)."""
        return self.judge_valid(
            topic, validate(data, now=now, params=params), known, stem_end=stem_end
        )

    def judge_valid(
        self, topic: str, validation: Validation[Any], known: Known, *, stem_end: bool = False
    ) -> Verdict:
        """Judge an envelope protocol validation has judged already (the
        simulator validates each message once for all its nodes).
        ``stem_end``: this node ends the message's stem, so it publishes a
        withdrawal even for an intent it does not hold."""
        signed = validation.signed
        if validation.action is not Action.ACCEPT or signed is None:
            return Verdict(validation.action, f"{validation.action.value}:{validation.reason}")
        if not fits_topic(topic, signed):
            return Verdict(Action.REJECT, "reject:wrong-topic")
        if signed.kind is Kind.SEALED_OFFER:
            # Only a node that holds the intent knows its key, and so its
            # bucket (relays, vendors, the author); others check the kind.
            intent_key = known.intent_key(signed.message.intent_id)
            if intent_key is not None and not fits_topic(topic, signed, intent_key=intent_key):
                return Verdict(Action.REJECT, "reject:wrong-bucket")
        if signed.kind is Kind.SEALED_OFFER and not self._room_for_offer(signed.message):
            return Verdict(Action.IGNORE, "ignore:offer-cap")
        if known.has(signed.id):
            return Verdict(Action.IGNORE, "ignore:duplicate")
        if signed.kind is Kind.INTENT and known.withdrawn(signed.signer):
            return Verdict(Action.IGNORE, "ignore:withdrawn")
        if (
            signed.kind is Kind.WITHDRAW
            and not stem_end
            and not known.holds_intent(signed.message.intent_key)
        ):
            # Kept (the tombstone stops the intent if it turns up later) but
            # not forwarded: a withdrawal only matters where its intent went.
            # Withdrawals need little work, so a flood of them for made-up
            # intents would otherwise cross the whole network, and honest
            # relays forwarding it would be banned by their peers' rate
            # limits (found by the simulator, docs/simulations.md, Spam).
            # The node that ends a stem is a random peer that may not know
            # the intent: it publishes the withdrawal anyway, and the peers
            # that hold the intent carry it on.
            return Verdict(Action.ACCEPT, "accept:withdraw-unknown-intent", signed)
        return Verdict(Action.ACCEPT, f"accept:{signed.kind.value}", signed, forward=True)

    def counted_intents(self) -> int:
        """Intents whose relayed offers are counted now (bounded)."""
        return len(self._relayed)

    def _room_for_offer(self, sealed: SealedOffer) -> bool:
        counts = self._relayed
        n = counts.get(sealed.intent_id, 0)
        if n >= self.max_relayed_offers_per_intent:
            return False
        counts[sealed.intent_id] = n + 1
        counts.move_to_end(sealed.intent_id)
        while len(counts) > COUNTED_INTENTS:  # bounded memory: forget the oldest intents
            counts.popitem(last=False)
        return True
