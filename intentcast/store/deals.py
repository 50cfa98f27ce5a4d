"""Deals: the signed agreement record both sides keep (intent revision,
offer, accept, and the vendor's confirm or decline), and the deal outcomes
per vendor that reputation is computed from."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any

from intentcast.protocol import (
    Accept,
    Confirm,
    Decline,
    Intent,
    IntentEvent,
    Kind,
    Offer,
    OfferEvent,
    Signed,
)

from .connection import Repository, narrowed
from .errors import RecordNotFound
from .offers import advance_offer
from .own import advance_intent


class Role(enum.StrEnum):
    """Which side of a deal this node is on."""

    CUSTOMER = "customer"
    VENDOR = "vendor"


class DealState(enum.StrEnum):
    """Where a deal stands: accepted (awaiting the vendor), confirmed, declined."""

    ACCEPTED = "accepted"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class Deal:
    """The signed agreement record: every envelope both sides signed, as
    received, so either side can prove the terms later."""

    role: Role
    state: DealState
    intent: Signed[Intent]
    offer: Signed[Offer]
    accept: Signed[Accept]
    #: The vendor's confirm or decline, once it arrived.
    reply: Signed[Confirm] | Signed[Decline] | None


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """Deal outcomes with one vendor as seen by this node: a reputation input."""

    confirmed: int
    declined: int
    pending: int


_OFFER_TABLE = {Role.CUSTOMER: "offers_received", Role.VENDOR: "offers_made"}
_COLUMNS = "role, state, intent_raw, offer_raw, accept_raw, reply_raw, accept_id"


class Deals(Repository):
    """Repository of deals. Obtain it as :attr:`Store.deals <intentcast.store.Store.deals>`.

    The caller validates first (``check_accept`` on the vendor side,
    ``check_vendor_reply`` on the customer side); the store records the
    outcome and moves the intent and offer states along in the same
    transaction.
    """

    def record_accept(
        self,
        intent: Signed[Intent],
        offer: Signed[Offer],
        accept: Signed[Accept],
        *,
        role: Role,
    ) -> bool:
        """Record an accept: sent by us (``role=CUSTOMER``; our intent moves to
        ``accepted``) or received by us (``role=VENDOR``). The offer moves to
        ``accepted``. Returns False if this accept was already recorded."""
        a = accept.message
        if not a.intent_id == intent.id == offer.message.intent_id or a.offer_id != offer.id:
            raise ValueError("accept, offer and intent do not belong together")
        with self._c.write() as conn:
            if _exists(conn, accept.id):
                return False
            if role is Role.CUSTOMER:
                advance_intent(conn, intent.id, IntentEvent.ACCEPT)
            advance_offer(conn, _OFFER_TABLE[role], offer.id, OfferEvent.ACCEPT)
            conn.execute(
                "INSERT INTO deals (accept_id, role, state, intent_id, offer_id, vendor_key, "
                "created, intent_raw, offer_raw, accept_raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (accept.id, role.value, DealState.ACCEPTED.value, intent.id, offer.id,
                 offer.message.vendor_key, a.created, intent.raw, offer.raw, accept.raw),
            )  # fmt: skip
        return True

    def record_reply(self, reply: Signed[Confirm] | Signed[Decline]) -> bool:
        """Record the vendor's confirm or decline of an accepted deal: sent by
        us (vendor) or received (customer; a decline puts our intent back on
        the market). Returns False if a reply was already recorded."""
        r = reply.message
        with self._c.write() as conn:
            row = conn.execute(
                "SELECT role, reply_raw FROM deals WHERE accept_id = ?", (r.accept_id,)
            ).fetchone()
            if row is None:
                raise RecordNotFound(
                    f"no deal for accept {r.accept_id.hex()[:16]}...", path=self._c.path
                )
            if row[1] is not None:
                return False
            role = Role(row[0])
            confirmed = reply.kind is Kind.CONFIRM
            state = DealState.CONFIRMED if confirmed else DealState.DECLINED
            if role is Role.CUSTOMER:
                event = IntentEvent.CONFIRM if confirmed else IntentEvent.DECLINE
                advance_intent(conn, r.intent_id, event)
            offer_event = OfferEvent.CONFIRM if confirmed else OfferEvent.DECLINE
            advance_offer(conn, _OFFER_TABLE[role], r.offer_id, offer_event)
            conn.execute(
                "UPDATE deals SET state = ?, reply_raw = ? WHERE accept_id = ?",
                (state.value, reply.raw, r.accept_id),
            )
        return True

    def get(self, accept_id: bytes) -> Deal | None:
        """The deal opened by the accept with this message id, or None."""
        row = self._c.row(f"SELECT {_COLUMNS} FROM deals WHERE accept_id = ?", (accept_id,))
        return None if row is None else self._deal(row)

    def list(self, *, role: Role | None = None) -> list[Deal]:
        """Every deal (optionally of one role), oldest accept first."""
        sql, args = narrowed(f"SELECT {_COLUMNS} FROM deals", (), " WHERE role = ?", role)
        return [self._deal(r) for r in self._c.rows(sql + " ORDER BY created, rowid", args)]

    def unanswered(self, role: Role) -> tuple[bytes, ...]:
        """The accept ids of this role's deals that have no reply yet,
        oldest first (nothing decoded)."""
        rows = self._c.rows(
            "SELECT accept_id FROM deals WHERE role = ? AND reply_raw IS NULL "
            "ORDER BY created, rowid",
            (role.value,),
        )
        return tuple(row[0] for row in rows)

    def state_counts(self) -> dict[DealState, int]:
        """How many deals are in each state (without decoding any)."""
        rows = self._c.rows("SELECT state, count(*) FROM deals GROUP BY state")
        return {DealState(state): int(n) for state, n in rows}

    def track_record(self, vendor_key: bytes) -> TrackRecord:
        """How this node's deals with ``vendor_key`` turned out."""
        counts = dict(
            self._c.rows(
                "SELECT state, count(*) FROM deals WHERE vendor_key = ? GROUP BY state",
                (vendor_key,),
            )
        )
        return TrackRecord(
            confirmed=int(counts.get("confirmed", 0)),
            declined=int(counts.get("declined", 0)),
            pending=int(counts.get("accepted", 0)),
        )

    def customer_records(self, *, unanswered_before: int) -> dict[bytes, tuple[int, int]]:
        """Per vendor, this node's accepts as customer that the vendor left
        unanswered (made before ``unanswered_before``, still no reply) and
        those it declined: ``{vendor_key: (unanswered, declined)}``, only
        vendors with either."""
        rows = self._c.rows(
            "SELECT vendor_key,"
            " sum(state = 'accepted' AND created < ?), sum(state = 'declined')"
            " FROM deals WHERE role = 'customer' GROUP BY vendor_key",
            (unanswered_before,),
        )
        return {bytes(v): (int(u), int(d)) for v, u, d in rows if u or d}

    def _deal(self, row: Any) -> Deal:
        return Deal(
            role=Role(row[0]),
            state=DealState(row[1]),
            intent=self._c.decode(row[2], "deals"),
            offer=self._c.decode(row[3], "deals"),
            # Keyed by the stored id: a vendor that forgot the customer
            # keeps the accept redacted (store/relationships.py), whose
            # bytes no longer hash to the deal's id.
            accept=replace(self._c.decode(row[4], "deals"), id=row[6]),
            reply=None if row[5] is None else self._c.decode(row[5], "deals"),
        )


def _exists(conn: Any, accept_id: bytes) -> bool:
    row = conn.execute("SELECT 1 FROM deals WHERE accept_id = ?", (accept_id,)).fetchone()
    return row is not None
