"""Relationships after the deal, on both sides of a node
(docs/protocol.md section 4, "Relationship messages"; docs/privacy.md,
"Relationships").

The customer's side: a relationship per confirmed deal holds what she
disclosed and the thread; she writes to the vendor, changes a detail for
every vendor that holds it (:meth:`RelationshipsPart.update_detail`), sees
who acknowledged and sends again to the silent ones
(:meth:`~RelationshipsPart.resend_silent`), asks a vendor to forget her,
and sees overdue ``cc:delete-after-deal`` terms.

The vendor's side: the node stores the thread, applies updates and
acknowledges them, deletes what it holds on request or when a term falls
due (run every :attr:`~RelationshipsPart.due_check_seconds`) and answers
with a signed statement of deletion; a handler that implements
:class:`~intentcast.peer.relationships.ThreadHandler` (the bot SDK does)
hears every message, update and forget request. What the vendor does is
:class:`~intentcast.node.vendor_thread.VendorThread`'s; this part keeps the
thread both sides share (sealing, sending, opening and storing).

Every own message is sealed on the thread (a fresh routing tag each) and
leaves like other follow-ups: held for the random follow-up delay, then
down the stem; store-and-forward (gossip and sync) carries it to a peer
that is offline now.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import trio

from intentcast.peer import topics
from intentcast.peer.relationships import (
    FieldState,
    Holding,
    deletion_overdue,
    field_states,
    silent,
    update_targets,
)
from intentcast.protocol import (
    Accept,
    Confirm,
    DealAck,
    DealMessage,
    Forget,
    Intent,
    IntentKeys,
    Kind,
    Offer,
    ProfileUpdate,
    SealedDeal,
    Side,
    Signed,
    ThreadMessage,
    VendorKeys,
    check_ack,
    check_thread,
    deletion_due,
    derive_intent_keys,
    open_thread,
    seal_thread,
    sign,
)
from intentcast.store import Deal, Relationship, Role, Store

from .base import DEAL_TTL, EventKind, NodeCore, NodeError, Part, with_work
from .stem import StemRouting
from .vendor_thread import VendorThread

log = logging.getLogger(__name__)

#: How often a vendor's node looks for ``cc:delete-after-deal`` terms due.
DUE_CHECK_SECONDS: Final = 60.0
#: Most messages a node keeps from the other side of one relationship: a
#: party that floods its thread (each message a valid sealed deal within
#: every per-peer limit) fills its own thread, not the node's disk. A
#: forget request is always heard.
MAX_THREAD_IN: Final = 1_000


def open_relationship(
    store: Store,
    *,
    role: Role,
    intent: Signed[Intent],
    offer: Signed[Offer],
    accept: Signed[Accept],
    confirm: Signed[Confirm],
) -> bool:
    """Open the relationship a confirmed deal creates (both sides call this
    when the confirm is recorded). Idempotent."""
    return store.relationships.open(
        accept_id=accept.id,
        role=role,
        vendor_key=offer.message.vendor_key,
        vendor_name=offer.message.vendor_name,
        thread_key=confirm.id,
        opened=confirm.message.created,
        delete_due=deletion_due(intent.message, offer.message),
        disclosure=accept.message.disclosure,
    )


@dataclass(frozen=True, slots=True)
class Sent:
    """An own relationship message, and to whom it went."""

    accept_id: bytes
    vendor_name: str
    message: Signed[ThreadMessage]


class RelationshipsPart(Part):
    """The relationships part of a :class:`~intentcast.node.node.Node`."""

    def __init__(self, core: NodeCore, stem: StemRouting) -> None:
        super().__init__(core)
        self.stem = stem
        #: The vendor's side: what it does with a customer's message, and
        #: what a due term makes it do.
        self.vendor_side = VendorThread(core, self)
        self._due_check_seconds = DUE_CHECK_SECONDS
        self._wake = trio.Event()
        #: (deal, tag) the windows took in, to look for in the gossip cache.
        self._fresh: list[tuple[bytes, bytes]] = []

    @property
    def due_check_seconds(self) -> float:
        """Seconds between two looks for delete-after-deal terms due."""
        return self._due_check_seconds

    @due_check_seconds.setter
    def due_check_seconds(self, value: float) -> None:
        self._due_check_seconds = value
        self._wake.set()  # the running wait takes the new interval at once

    # --- reading ------------------------------------------------------------------------

    def relationships(self, *, role: Role | None = None) -> list[Relationship]:
        return self.store.relationships.list(role=role)

    def get(self, accept_id: bytes) -> Relationship:
        rel = self.store.relationships.get(accept_id)
        if rel is None:
            raise NodeError("no relationship for this deal (deals become one once confirmed)")
        return rel

    def fields(self, accept_id: bytes) -> dict[str, FieldState]:
        """What the vendor holds of each disclosed field now, and whether it
        acknowledged that value (customer side)."""
        relationships = self.store.relationships
        updates = [
            (e.message.message.field, e.message.message.value, e.answered_by is not None)
            for e in relationships.thread(accept_id)
            if e.outgoing and e.kind == Kind.PROFILE_UPDATE and e.message is not None
        ]
        disclosed = {n: (d.value, d.since) for n, d in relationships.disclosures(accept_id).items()}
        return field_states(disclosed, updates)

    def overdue(self, rel: Relationship) -> bool:
        """A delete-after-deal term past due without a statement of deletion."""
        return deletion_overdue(rel.delete_due, rel.deleted, now=self.now())

    def _holdings(self, field: str) -> list[Holding]:
        out = []
        for rel in self.store.relationships.list(role=Role.CUSTOMER):
            state = self.fields(rel.accept_id).get(field)
            if state is not None:
                out.append(
                    Holding(
                        rel.accept_id, rel.vendor_key, rel.live, state.value, state.acknowledged
                    )
                )
        return out

    # --- the customer writes ------------------------------------------------------------

    async def message(
        self, accept_id: bytes, text: str, *, type: str = "other", re: bytes | None = None
    ) -> Sent:
        """Send a message on a deal's thread (either side)."""
        rel = self.get(accept_id)
        return await self.send(
            rel,
            lambda seq, now: DealMessage(
                deal=accept_id, seq=seq, created=now, type=type, text=text, re=re
            ),
        )

    async def update_detail(
        self, field: str, value: str | None, *, old: str | None = None
    ) -> list[Sent]:
        """Change a disclosed field once: a sealed update to every vendor that
        holds another value for it under a live relationship (with ``old``:
        exactly that value), and only to those. ``value`` None removes it."""
        targets = update_targets(self._holdings(field), value, old=old)
        return [await self._update(self.get(a), field, value) for a in targets]

    async def resend_silent(
        self, field: str | None = None, *, older_than: int | None = None
    ) -> list[Sent]:
        """Send the current value again to every vendor that has not
        acknowledged it (of ``field``, or of every field): a new message
        each (a fresh number and tag); an acknowledgement of any copy counts.
        With ``older_than`` seconds, only where the last copy is that old."""
        fields = [field] if field is not None else sorted(
            {f for rel in self.store.relationships.list(role=Role.CUSTOMER)
             for f in self.fields(rel.accept_id)}
        )  # fmt: skip
        sent = []
        for name in fields:
            for accept_id in silent(self._holdings(name)):
                if older_than is not None:
                    last = self._last_update(accept_id, name)
                    if last is not None and last > self.now() - older_than:
                        continue
                rel = self.get(accept_id)
                sent.append(await self._update(rel, name, self.fields(accept_id)[name].value))
        return sent

    def _last_update(self, accept_id: bytes, field: str) -> int | None:
        """When the last copy of an update of ``field`` left, if any."""
        times = [
            e.created
            for e in self.store.relationships.thread(accept_id)
            if e.outgoing and e.kind == Kind.PROFILE_UPDATE and e.message is not None
            and e.message.message.field == field
        ]  # fmt: skip
        return max(times, default=None)

    async def _update(self, rel: Relationship, field: str, value: str | None) -> Sent:
        return await self.send(
            rel,
            lambda seq, now: ProfileUpdate(
                deal=rel.accept_id, seq=seq, created=now, field=field, value=value
            ),
        )

    async def forget(self, accept_id: bytes, reason: str = "") -> Sent:
        """Ask the deal's vendor to delete what it holds about the customer."""
        rel = self.get(accept_id)
        if rel.role is not Role.CUSTOMER:
            raise NodeError("only the customer asks a vendor to forget")
        if rel.deleted is not None:
            raise NodeError("the vendor has already stated that it deleted your data")
        return await self.send(
            rel, lambda seq, now: Forget(deal=accept_id, seq=seq, created=now, reason=reason)
        )

    async def send(self, rel: Relationship, build: Callable[[int, int], ThreadMessage]) -> Sent:
        """Sign, seal on the thread, record and send (after the follow-up delay)."""
        deal = self._deal(rel)
        side = Side.CUSTOMER if rel.role is Role.CUSTOMER else Side.VENDOR
        keys = self._own_keys(rel, deal)
        if keys is None:
            raise NodeError(
                "the intent of this deal is not ours"
                if side is Side.CUSTOMER
                else "this node does not sell"
            )
        recipient = (deal.offer if side is Side.CUSTOMER else deal.intent).message.reply_key
        now = self.now()
        inner = sign(build(self.store.relationships.take_seq(rel.accept_id), now), keys.signing)
        sealed = await with_work(
            self.params.work_for(Kind.SEALED_DEAL),
            lambda: seal_thread(
                inner,
                thread_key=rel.thread_key,
                sender=side,
                recipient=recipient,
                created=now,
                expires=now + DEAL_TTL,
                random_bytes=os.urandom,
                params=self.params,
            ),
        )
        self.store.relationships.add_sent(rel.accept_id, inner)
        self.stem.publish_follow_up(topics.DEALS, sealed)
        self._count(f"thread-sent:{inner.kind.value}")
        return Sent(rel.accept_id, rel.vendor_name, inner)

    def _own_keys(self, rel: Relationship, deal: Deal) -> IntentKeys | VendorKeys | None:
        """This node's keys on its side of ``rel``: the intent's for the
        customer, the vendor's own for the vendor; None if it holds none."""
        if rel.role is Role.CUSTOMER:
            own = self.store.intents.get(deal.intent.signer)
            if own is None or self.core._seed is None:
                return None
            return derive_intent_keys(self.core._seed, own.counter)
        return self.core.vendor_keys

    def _deal(self, rel: Relationship) -> Deal:
        deal = self.store.deals.get(rel.accept_id)
        if deal is None:
            raise NodeError("the deal of this relationship is missing")
        return deal

    # --- messages arriving ----------------------------------------------------------------

    def record(self, rel: Relationship, message: Signed[Any], seq: int) -> bool:
        """Store a message of the other side; True if it is new. Tags the
        window took in are queued: a message under one of them may have come
        (by sync, out of order) before the window reached it."""
        new, fresh = self.store.relationships.add_received(rel, message, seq)
        self._fresh.extend((rel.accept_id, tag) for tag, _ in fresh)
        return new

    async def arrived(self, sealed: Signed[SealedDeal], rel: Relationship, seq: int) -> None:
        """A sealed deal under one of this node's thread tags; then the ones
        stored before the thread's window reached their tags."""
        await self._arrived(sealed, rel, seq)
        while self._fresh:
            accept_id, tag = self._fresh.pop()
            for earlier in self.store.gossip.sealed_deals(tag):
                found = self.store.relationships.by_tag(tag)
                if found is not None and found[0].accept_id == accept_id:
                    self._count("thread:caught-up")
                    await self._arrived(earlier, *found)

    async def _arrived(self, sealed: Signed[SealedDeal], rel: Relationship, seq: int) -> None:
        deal = self._deal(rel)
        sender = rel.peer_side
        keys = self._own_keys(rel, deal)
        if keys is None:
            return
        verdict = open_thread(
            sealed, keys.reply, thread_key=rel.thread_key, sender=sender, now=self.now(),
            params=self.params,
        )  # fmt: skip
        if not verdict.accepted or verdict.signed is None:
            self._count(f"thread-unopened:{verdict.reason}")
            return
        message: Signed[Any] = verdict.signed
        checked = check_thread(message, deal.accept, deal.offer, sender=sender)
        if not checked.accepted:
            self._count(f"thread-refused:{checked.reason}")
            return
        full = self.store.relationships.received_count(rel.accept_id) >= MAX_THREAD_IN
        if full and message.kind is not Kind.FORGET:  # a forget request always counts
            self._count("thread-dropped:full")
            return
        if rel.role is Role.CUSTOMER:
            await self._customer_hears(rel, deal, message, seq)
        else:
            await self.vendor_side.hears(rel, deal, message, seq)

    async def _customer_hears(
        self, rel: Relationship, deal: Deal, message: Signed[Any], seq: int
    ) -> None:
        if message.kind is Kind.DEAL_ACK:
            ack: Signed[DealAck] = message
            subject = None
            if ack.message.of != deal.accept.id:
                entry = self.store.relationships.message(ack.message.of)
                if entry is None or not entry.outgoing or entry.message is None:
                    self._count("thread-refused:unknown-subject")
                    return
                subject = entry.message
            checked = check_ack(ack, subject, deal.accept)
            if not checked.accepted:
                self._count(f"thread-refused:{checked.reason}")
                return
            if not self.record(rel, ack, seq):
                return
            self.store.relationships.answered(ack.message.of, ack)
            what = (
                f"deleted {', '.join(ack.message.fields) or 'nothing held'}"
                if ack.message.is_deletion
                else f"updated {', '.join(ack.message.fields)}"
            )
            self._emit(EventKind.ACK_RECEIVED, rel.accept_id, f"{rel.vendor_name}: {what}")
            return
        if self.record(rel, message, seq):
            m = message.message
            # The type only: the daemon logs events, and a log must not
            # keep what a forget request deletes.
            self._emit(EventKind.THREAD_MESSAGE, rel.accept_id, m.type)

    def open_missing(self) -> int:
        """Open the relationship of every confirmed deal that has none: deals
        confirmed before this node knew relationships (a store from before
        schema version 3), or a crash between recording a confirm and
        opening its relationship. Returns how many were opened."""
        opened = 0
        for deal in self.store.deals.list():
            reply = deal.reply
            if reply is None or reply.kind is not Kind.CONFIRM:
                continue
            if self.store.relationships.get(deal.accept.id) is not None:
                continue
            opened += open_relationship(
                self.store, role=deal.role, intent=deal.intent, offer=deal.offer,
                accept=deal.accept, confirm=reply,  # type: ignore[arg-type]
            )  # fmt: skip
        return opened

    async def keep_up(self) -> None:
        """Every :attr:`due_check_seconds`: a vendor's node deletes what a
        term says it must (:meth:`delete_due`); a customer's node sends an
        unacknowledged update again once its last copy has expired on the
        network (``DEAL_TTL``: no relay holds it any more, so a vendor that
        was offline all that time would never get it). First it opens the
        relationships that are missing (:meth:`open_missing`)."""
        try:
            self.open_missing()
        except Exception:
            log.exception("opening the relationships of earlier deals failed")
        while True:
            try:
                if self.core.vendor_keys is not None:
                    await self.vendor_side.delete_due()
                if self.core._seed is not None:
                    await self.resend_silent(older_than=DEAL_TTL)
            except Exception:
                log.exception("keeping relationships up to date failed")
            with trio.move_on_after(self._due_check_seconds):
                await self._wake.wait()
            self._wake = trio.Event()
