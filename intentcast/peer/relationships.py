"""What one peer decides about its relationships after the deal (pure: the
node in ``node/relationships.py`` and the simulator both call these).

- :func:`update_targets`: "change my details" goes to every vendor that
  holds the old value of the field under a live relationship, and only to
  those (docs/privacy.md, "Relationships": a vendor that never had the
  field must not learn that it changed).
- :func:`silent`: which of those have not acknowledged the latest value,
  so the customer's node can show them and send again.
- :func:`field_states`: what a vendor holds of each disclosed field, and
  whether it acknowledged that value.
- :func:`deletion_overdue`: a ``cc:delete-after-deal`` term past its
  deadline with no statement of deletion.
- :class:`ThreadEvent`, :class:`ThreadReply`, :class:`ThreadHandler`: what
  a vendor's handler (a bot) hears about a thread and may answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

#: A statement of deletion may take this long after the deadline before
#: the customer's node calls the term overdue (a vendor node that was
#: offline when the term fell due deletes when it comes back).
DELETION_GRACE: Final = 86_400


@dataclass(frozen=True, slots=True)
class Holding:
    """What one vendor holds of one field under one relationship, as the
    customer's node knows it."""

    accept_id: bytes
    vendor_key: bytes
    #: The relationship is live: not forgotten, no forget request sent.
    live: bool
    #: The value the vendor holds (the last one sent; None: removed).
    value: str | None
    #: The vendor acknowledged that value.
    acknowledged: bool


@dataclass(frozen=True, slots=True)
class FieldState:
    """One disclosed field under one relationship, from the customer's side."""

    value: str | None
    since: int
    #: The vendor acknowledged this value (the accept's own values count as
    #: acknowledged by the confirm).
    acknowledged: bool


def field_states(
    disclosed: Mapping[str, tuple[str | None, int]],
    updates: Iterable[tuple[str, str | None, bool]],
) -> dict[str, FieldState]:
    """What the vendor holds of each field under one relationship, and
    whether it acknowledged that value. ``disclosed``: field -> (value,
    since), as the customer's node records it now; ``updates``: (field,
    value, answered) of every update the customer sent on the thread. A
    value is acknowledged once any copy of an update to it was answered; a
    value no update carried is the accept's own, acknowledged by the
    confirm."""
    acked: dict[tuple[str, str | None], bool] = {}
    for field, value, answered in updates:
        acked[(field, value)] = acked.get((field, value), False) or answered
    return {
        name: FieldState(value, since, acked.get((name, value), True))
        for name, (value, since) in disclosed.items()
    }


def update_targets(
    holdings: Iterable[Holding], value: str | None, *, old: str | None = None
) -> list[bytes]:
    """The relationships (accept ids) to send a field's new ``value`` to:
    live ones holding a value for it that differs from ``value``; with
    ``old``, only those holding exactly ``old``."""
    return [
        h.accept_id
        for h in holdings
        if h.live and h.value is not None and h.value != value and (old is None or h.value == old)
    ]


def silent(holdings: Iterable[Holding]) -> list[bytes]:
    """Live relationships whose vendor has not acknowledged the value it
    should hold now (the customer's node sends the update again)."""
    return [h.accept_id for h in holdings if h.live and not h.acknowledged]


def deletion_overdue(
    delete_due: int | None, deleted: int | None, *, now: int, grace: int = DELETION_GRACE
) -> bool:
    """A delete-after-deal deadline passed more than ``grace`` ago and no
    statement of deletion arrived."""
    return delete_due is not None and deleted is None and now > delete_due + grace


@dataclass(frozen=True, slots=True)
class ThreadEvent:
    """Something the customer sent on a deal, as a vendor's handler hears
    it: a ``message`` (``type``, ``text``), an ``update`` (``field`` is now
    ``value``; None: removed) or a ``forget`` request (the node has deleted
    what it held; the handler deletes the customer's data in the vendor's
    own systems)."""

    what: str
    #: The deal: its accept id.
    deal: bytes
    #: The message's id (an answer names it).
    message_id: bytes
    sku: str
    created: int
    type: str = ""
    text: str = ""
    field: str = ""
    value: str | None = None
    #: What the vendor holds under the deal now (after an update).
    disclosure: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ThreadReply:
    """A handler's answer to a message: a ``deal-message`` back."""

    type: str
    text: str = ""


@runtime_checkable
class ThreadHandler(Protocol):
    """A vendor handler that also hears its deals' threads (optional: a
    vendor without it still acknowledges updates and deletes on request;
    its node does that, not the handler)."""

    async def on_thread(self, event: ThreadEvent, *, now: int) -> ThreadReply | None:
        """Hear ``event``; answer a message with a :class:`ThreadReply`."""
        ...
