"""Lifecycles of an intent and of an offer, as transition tables.

Every legal transition is one entry; anything else raises
:class:`~intentcast.protocol.errors.IllegalTransition`. This module owns all
state changes of both machines; the store persists the resulting state.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final, TypeVar

from .errors import IllegalTransition


class IntentState(enum.StrEnum):
    OPEN = "open"
    AMENDED = "amended"  # open, at a revision above 0
    ACCEPTED = "accepted"  # an accept is out, awaiting the vendor
    CLOSED = "closed"  # the vendor confirmed: a deal
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class IntentEvent(enum.StrEnum):
    AMEND = "amend"
    ACCEPT = "accept"
    CONFIRM = "confirm"  # the vendor confirmed the accept
    DECLINE = "decline"  # the vendor declined: the intent is open again
    WITHDRAW = "withdraw"
    EXPIRE = "expire"


class OfferState(enum.StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"


class OfferEvent(enum.StrEnum):
    ACCEPT = "accept"
    CONFIRM = "confirm"
    DECLINE = "decline"
    EXPIRE = "expire"


_I, _IE = IntentState, IntentEvent
#: What an intent on the market may take, and where it goes: the same from
#: open and from amended (an amended intent is open at a later revision).
_ON_MARKET_MOVES: Final = {
    _IE.AMEND: _I.AMENDED,
    _IE.ACCEPT: _I.ACCEPTED,
    _IE.WITHDRAW: _I.WITHDRAWN,
    _IE.EXPIRE: _I.EXPIRED,
}
INTENT_TRANSITIONS: Final[dict[tuple[IntentState, IntentEvent], IntentState]] = {
    **{(s, e): to for s in (_I.OPEN, _I.AMENDED) for e, to in _ON_MARKET_MOVES.items()},
    (_I.ACCEPTED, _IE.CONFIRM): _I.CLOSED,
    # Declined: back on the market (the revision is kept by the store, so
    # "open" here covers amended intents too).
    (_I.ACCEPTED, _IE.DECLINE): _I.OPEN,
    (_I.ACCEPTED, _IE.WITHDRAW): _I.WITHDRAWN,
    (_I.ACCEPTED, _IE.EXPIRE): _I.EXPIRED,
}

_O, _OE = OfferState, OfferEvent
OFFER_TRANSITIONS: Final[dict[tuple[OfferState, OfferEvent], OfferState]] = {
    (_O.RECEIVED, _OE.ACCEPT): _O.ACCEPTED,
    (_O.RECEIVED, _OE.EXPIRE): _O.EXPIRED,
    (_O.ACCEPTED, _OE.CONFIRM): _O.CONFIRMED,
    (_O.ACCEPTED, _OE.DECLINE): _O.DECLINED,
    (_O.ACCEPTED, _OE.EXPIRE): _O.EXPIRED,
}


S = TypeVar("S", IntentState, OfferState)
E = TypeVar("E", IntentEvent, OfferEvent)


def _next(machine: str, table: Mapping[tuple[S, E], S], state: S, event: E) -> S:
    """The state after ``event`` in ``table``; raises :class:`IllegalTransition`."""
    try:
        return table[(state, event)]
    except KeyError:
        raise IllegalTransition(machine, state.value, event.value) from None


def next_intent_state(state: IntentState, event: IntentEvent) -> IntentState:
    """The state after ``event``; raises :class:`IllegalTransition`."""
    return _next("intent", INTENT_TRANSITIONS, state, event)


def next_offer_state(state: OfferState, event: OfferEvent) -> OfferState:
    """The state after ``event``; raises :class:`IllegalTransition`."""
    return _next("offer", OFFER_TRANSITIONS, state, event)


def intent_may(state: IntentState, event: IntentEvent) -> bool:
    """Whether an intent in ``state`` may take ``event`` now: the one
    answer to "may this happen?", read off the table."""
    return (state, event) in INTENT_TRANSITIONS


def offer_may(state: OfferState, event: OfferEvent) -> bool:
    """Whether an offer in ``state`` may take ``event`` now."""
    return (state, event) in OFFER_TRANSITIONS


#: Intents on the market: they may be amended and take offers (read off the table).
ON_MARKET: Final = frozenset(s for s in IntentState if intent_may(s, IntentEvent.ACCEPT))
#: Intents still live: they may be withdrawn (on the market, or an accept out).
LIVE: Final = frozenset(s for s in IntentState if intent_may(s, IntentEvent.WITHDRAW))
