"""The vendor's side of relationships after the deal (docs/protocol.md
section 4, "Relationship messages"): what its node does with a message
from a customer, and what it does on its own motion.

A detail change is applied and acknowledged; a forget request deletes what
the vendor holds and is answered with a signed statement of deletion (a
repeated one gets the statement again); a ``cc:delete-after-deal`` term
that falls due does the same by itself (:meth:`VendorThread.delete_due`).
A handler that implements
:class:`~intentcast.peer.relationships.ThreadHandler` (the bot SDK does)
hears every message, update and forget request, and may answer a message.

The thread itself (sealing and sending, storing what arrives) is
:class:`~intentcast.node.relationships.RelationshipsPart`'s; it hands this
part what it needs of it (:class:`Thread`) when it constructs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from intentcast.peer.relationships import ThreadEvent, ThreadHandler, ThreadReply
from intentcast.protocol import DealAck, Kind, Signed, ThreadMessage
from intentcast.store import Deal, Relationship

from .base import EventKind, NodeCore, Part

log = logging.getLogger(__name__)


class Thread(Protocol):
    """What the vendor's side needs of the thread: send on it, store what
    came on it."""

    async def send(self, rel: Relationship, build: Callable[[int, int], ThreadMessage]) -> object:
        """Sign what ``build(seq, now)`` makes, seal it on the thread and send it."""
        ...

    async def message(
        self, accept_id: bytes, text: str, *, type: str = "other", re: bytes | None = None
    ) -> object:
        """Send a message on the deal's thread."""
        ...

    def record(self, rel: Relationship, message: Signed[Any], seq: int) -> bool:
        """Store a message of the other side; True if it is new."""
        ...


class VendorThread(Part):
    """The vendor's side of every relationship of a node that sells."""

    def __init__(self, core: NodeCore, thread: Thread) -> None:
        super().__init__(core)
        self.thread = thread

    async def hears(self, rel: Relationship, deal: Deal, message: Signed[Any], seq: int) -> None:
        """A customer's message on ``rel``, opened and checked."""
        m = message.message
        if rel.deleted is not None:
            # Forgotten: keep nothing new; a repeated forget request gets
            # the statement again.
            if message.kind is Kind.FORGET:
                await self._statement(rel, of=message.id, fields=(), deleted=rel.deleted)
            else:
                self._count("thread-dropped:forgotten")
            return
        if not self.thread.record(rel, message, seq):
            return
        event: ThreadEvent
        sku = deal.offer.message.item.sku
        if message.kind is Kind.PROFILE_UPDATE:
            self.store.relationships.apply_update(rel.accept_id, m.field, m.value, m.created)
            await self.thread.send(
                rel,
                lambda seq, now: DealAck(
                    deal=rel.accept_id, seq=seq, created=now, of=message.id, fields=(m.field,)
                ),
            )
            self._emit(EventKind.DETAIL_UPDATED, rel.accept_id, m.field)
            event = ThreadEvent(
                "update", rel.accept_id, message.id, sku, m.created, field=m.field,
                value=m.value, disclosure=self._held(rel),
            )  # fmt: skip
        elif message.kind is Kind.FORGET:
            event = ThreadEvent("forget", rel.accept_id, message.id, sku, m.created, text=m.reason)
            await self._forget_and_state(rel, of=message.id)
        else:
            # The type only: the daemon logs events, and a log must not
            # keep what a forget request deletes.
            self._emit(EventKind.THREAD_MESSAGE, rel.accept_id, m.type)
            event = ThreadEvent(
                "message", rel.accept_id, message.id, sku, m.created, type=m.type, text=m.text,
                disclosure=self._held(rel),
            )  # fmt: skip
        await self._tell_handler(rel, event)

    def _held(self, rel: Relationship) -> dict[str, str]:
        return {
            k: d.value
            for k, d in self.store.relationships.disclosures(rel.accept_id).items()
            if d.value is not None
        }

    async def _tell_handler(self, rel: Relationship, event: ThreadEvent) -> None:
        handler: object = self.core.vendor
        if not isinstance(handler, ThreadHandler):
            return
        try:
            reply: ThreadReply | None = await handler.on_thread(event, now=self.now())
        except Exception:
            log.exception("the vendor's thread handler failed on %s", event.what)
            return
        if reply is not None and event.what == "message":
            await self.thread.message(
                rel.accept_id, reply.text, type=reply.type, re=event.message_id
            )

    async def _forget_and_state(self, rel: Relationship, *, of: bytes) -> None:
        now = self.now()
        fields = self.store.relationships.forget(rel.accept_id, now=now)
        self._emit(EventKind.DATA_DELETED, rel.accept_id, ", ".join(fields))
        await self._statement(rel, of=of, fields=fields, deleted=now)

    async def _statement(
        self, rel: Relationship, *, of: bytes, fields: Sequence[str], deleted: int
    ) -> None:
        await self.thread.send(
            rel,
            lambda seq, now: DealAck(
                deal=rel.accept_id, seq=seq, created=max(now, deleted), of=of,
                fields=tuple(fields), deleted=deleted,
            ),
        )  # fmt: skip

    async def delete_due(self) -> int:
        """Delete what the vendor holds under every relationship whose
        ``cc:delete-after-deal`` term has fallen due, each with a statement
        of deletion to the customer; returns how many."""
        done = 0
        for rel in self.store.relationships.due_for_deletion(self.now()):
            event = ThreadEvent("forget", rel.accept_id, rel.accept_id, "", self.now())
            await self._forget_and_state(rel, of=rel.accept_id)
            await self._tell_handler(rel, event)
            done += 1
        return done
