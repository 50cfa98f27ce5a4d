"""What one node's stem returns: the commands of
:class:`intentcast.peer.stem.StemNode` and why a stem ended.

The vocabulary the state machine and its drivers share (h11 keeps its
events apart from its state machine the same way): :class:`Send` a message
to a peer, :class:`Publish` it here (the stem ends, for an :class:`End`
reason), or :class:`Wait` on a :class:`Timer`. The node
(:mod:`intentcast.node.stem`) and the simulator (``simulations/stem.py``)
carry them out; the decisions are :mod:`intentcast.peer.stem`'s.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Final, Generic, TypeAlias, TypeVar

PeerT = TypeVar("PeerT", bound=Hashable)


class End(enum.StrEnum):
    """Why a node ended a stem by publishing the message itself."""

    #: It is a diffuser this epoch.
    DIFFUSER = "diffuser"
    #: The stem came back to a node that had the message.
    LOOP = "loop"
    #: Its embargo timer fired: the message did not come back by gossip in
    #: time (a successor kept it, or left with it and no peer-left came).
    EMBARGO = "embargo"
    #: No successor would take it.
    NO_SUCCESSOR = "no-successor"
    #: The node already held as many stem messages as it may.
    FULL = "full"


#: Every reason, in the order reports list them.
ENDS: Final = tuple(e.value for e in End)


class Timer(enum.StrEnum):
    #: Publish the message if it has not come back by then.
    EMBARGO = "embargo"
    #: Forget a relayed message this node cannot see come back.
    RELEASE = "release"


@dataclass(frozen=True, slots=True)
class Send(Generic[PeerT]):
    """Hand message ``mid`` to ``peer`` over the stem; then call
    :meth:`~intentcast.peer.stem.StemNode.sent` or
    :meth:`~intentcast.peer.stem.StemNode.send_failed`."""

    mid: bytes
    peer: PeerT


@dataclass(frozen=True, slots=True)
class Publish:
    """The stem ends at this node: publish ``mid`` by gossip (a relayed
    message is taken in as if it came by gossip first)."""

    mid: bytes
    reason: End


@dataclass(frozen=True, slots=True)
class Wait:
    """Call :meth:`~intentcast.peer.stem.StemNode.timer_fired` for ``mid`` after ``seconds``."""

    mid: bytes
    seconds: float
    timer: Timer


Command: TypeAlias = Send[PeerT] | Publish | Wait
