"""Offers this node received (customer side: sealed and opened) and offers
it made (vendor side), with their lifecycle state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from intentcast.protocol import (
    Intent,
    Offer,
    OfferEvent,
    OfferState,
    SealedOffer,
    Signed,
    next_offer_state,
)

from .connection import Repository, narrowed, rows_in
from .errors import RecordNotFound


@dataclass(frozen=True, slots=True)
class ReceivedOffer:
    """An offer for one of our intents: the sealed outer as it arrived, the
    vendor-signed offer inside, and where it stands."""

    sealed: Signed[SealedOffer]
    offer: Signed[Offer]
    state: OfferState


@dataclass(frozen=True, slots=True)
class MadeOffer:
    """An offer this vendor made: the intent revision it answers, the signed
    offer, the sealed outer that was published, and where it stands."""

    intent: Signed[Intent]
    offer: Signed[Offer]
    sealed: Signed[SealedOffer]
    state: OfferState


#: An offer made, as :meth:`Offers._made` reads it.
_MADE = "SELECT intent_raw, raw, sealed_raw, state FROM offers_made"


class Offers(Repository):
    """Repository of offers received and made. Obtain it as
    :attr:`Store.offers <intentcast.store.Store.offers>`."""

    # --- customer side -----------------------------------------------------

    def add_received(self, sealed: Signed[SealedOffer], offer: Signed[Offer]) -> bool:
        """Record an opened offer for one of our intent revisions (state
        ``received``). Returns False if this offer was already recorded;
        raises :class:`RecordNotFound` if it answers no intent of ours."""
        if offer.message.intent_id != sealed.message.intent_id:
            raise ValueError("the offer inside answers another intent than the sealed outer")
        with self._c.write() as conn:
            known = conn.execute(
                "SELECT 1 FROM own_intent_revisions WHERE id = ?", (offer.message.intent_id,)
            ).fetchone()
            if known is None:
                raise RecordNotFound(
                    "the offer answers an intent this node did not post", path=self._c.path
                )
            cur = conn.execute(
                "INSERT OR IGNORE INTO offers_received (id, sealed_id, intent_id, vendor_key, "
                "state, valid_until, raw, sealed_raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (offer.id, sealed.id, offer.message.intent_id, offer.message.vendor_key,
                 OfferState.RECEIVED.value, offer.message.valid_until, offer.raw, sealed.raw),
            )  # fmt: skip
            return cur.rowcount == 1

    def received(self, intent_key: bytes) -> list[ReceivedOffer]:
        """Every offer received for any revision of our intent ``intent_key``,
        in arrival order."""
        rows = self._c.rows(
            "SELECT o.sealed_raw, o.raw, o.state FROM offers_received o "
            "JOIN own_intent_revisions r ON r.id = o.intent_id "
            "WHERE r.intent_key = ? ORDER BY o.rowid",
            (intent_key,),
        )
        return [self._received(r) for r in rows]

    def received_counts(self, intent_keys: Sequence[bytes]) -> dict[bytes, int]:
        """How many offers each of these own intents (by intent key, any
        revision) has received, without decoding any; intents without
        offers are left out."""
        counts: dict[bytes, int] = {}
        with self._c.read() as conn:
            rows = rows_in(
                conn,
                "SELECT r.intent_key, count(*) FROM own_intent_revisions r "
                "JOIN offers_received o ON o.intent_id = r.id "
                "WHERE r.intent_key IN ({}) GROUP BY r.intent_key",
                intent_keys,
            )
            counts.update((bytes(key), int(n)) for key, n in rows)
        return counts

    def received_ids(self) -> set[bytes]:
        """The id of every received offer (nothing decoded)."""
        return {row[0] for row in self._c.rows("SELECT id FROM offers_received")}

    def received_with_category(
        self, offer_ids: Sequence[bytes]
    ) -> list[tuple[Signed[Offer], tuple[str, ...]]]:
        """These received offers (unknown ids are left out), each with the
        category of the own intent revision it answers: the offers alone are
        decoded, not their sealed outers, and each intent revision once."""
        out: list[tuple[Signed[Offer], tuple[str, ...]]] = []
        categories: dict[bytes, tuple[str, ...]] = {}
        with self._c.read() as conn:
            rows = rows_in(
                conn,
                "SELECT o.raw, o.intent_id, r.raw FROM offers_received o "
                "JOIN own_intent_revisions r ON r.id = o.intent_id "
                "WHERE o.id IN ({}) ORDER BY o.rowid",
                offer_ids,
            )
            for raw, intent_id, intent_raw in rows:
                if intent_id not in categories:
                    intent = self._c.decode(intent_raw, "own_intent_revisions")
                    categories[intent_id] = tuple(intent.message.category)
                out.append((self._c.decode(raw, "offers_received"), categories[intent_id]))
        return out

    def drop_received(self, offer_id: bytes) -> bool:
        """Forget a received offer still in state ``received`` (the customer's
        per-intent cap evicts the dearest one). Returns False if there was no
        such offer or it is already part of a deal."""
        with self._c.write() as conn:
            cur = conn.execute(
                "DELETE FROM offers_received WHERE id = ? AND state = ?",
                (offer_id, OfferState.RECEIVED.value),
            )
            return cur.rowcount == 1

    def get_received(self, offer_id: bytes) -> ReceivedOffer | None:
        """The received offer with this (vendor-signed) offer id, or None."""
        row = self._c.row(
            "SELECT sealed_raw, raw, state FROM offers_received WHERE id = ?", (offer_id,)
        )
        return None if row is None else self._received(row)

    def _received(self, row: Any) -> ReceivedOffer:
        return ReceivedOffer(
            sealed=self._c.decode(row[0], "offers_received"),
            offer=self._c.decode(row[1], "offers_received"),
            state=OfferState(row[2]),
        )

    # --- vendor side -------------------------------------------------------

    def add_made(
        self, intent: Signed[Intent], offer: Signed[Offer], sealed: Signed[SealedOffer]
    ) -> bool:
        """Record an offer this vendor made for ``intent`` and the sealed outer
        it published. Returns False if already recorded."""
        if not offer.message.intent_id == sealed.message.intent_id == intent.id:
            raise ValueError("intent, offer and sealed offer name different intents")
        with self._c.write() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO offers_made (id, sealed_id, intent_id, state, "
                "valid_until, raw, sealed_raw, intent_raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (offer.id, sealed.id, intent.id, OfferState.RECEIVED.value,
                 offer.message.valid_until, offer.raw, sealed.raw, intent.raw),
            )  # fmt: skip
            return cur.rowcount == 1

    def made(self, intent_id: bytes | None = None) -> list[MadeOffer]:
        """Offers this vendor made (for one intent revision, or all), oldest first."""
        sql, args = narrowed(_MADE, (), " WHERE intent_id = ?", intent_id)
        return [self._made(r) for r in self._c.rows(sql + " ORDER BY rowid", args)]

    def made_count(self) -> int:
        """How many offers this vendor made (nothing decoded)."""
        return int(self._c.value("SELECT count(*) FROM offers_made"))

    def newest_made(self, limit: int) -> list[MadeOffer]:
        """The ``limit`` offers this vendor made last, newest first."""
        rows = self._c.rows(_MADE + " ORDER BY rowid DESC LIMIT ?", (limit,))
        return [self._made(r) for r in rows]

    def get_made(self, offer_id: bytes) -> MadeOffer | None:
        """The offer this vendor made with this offer id, or None."""
        row = self._c.row(_MADE + " WHERE id = ?", (offer_id,))
        return None if row is None else self._made(row)

    def _made(self, row: Any) -> MadeOffer:
        return MadeOffer(
            intent=self._c.decode(row[0], "offers_made"),
            offer=self._c.decode(row[1], "offers_made"),
            sealed=self._c.decode(row[2], "offers_made"),
            state=OfferState(row[3]),
        )


def advance_offer(conn: Any, table: str, offer_id: bytes, event: OfferEvent) -> None:
    """Move an offer in ``offers_received`` or ``offers_made`` along its
    lifecycle (used by deals; runs inside the caller's transaction)."""
    assert table in ("offers_received", "offers_made")
    row = conn.execute(f"SELECT state FROM {table} WHERE id = ?", (offer_id,)).fetchone()
    if row is None:
        raise RecordNotFound(f"no offer {offer_id.hex()[:16]}... in {table}")
    new = next_offer_state(OfferState(row[0]), event)
    conn.execute(f"UPDATE {table} SET state = ? WHERE id = ?", (new.value, offer_id))
