"""Deal-backed ratings and vendors' replies (docs/store.md, "Ratings"):
every verified rating a node keeps, one per vendor, deal and rater (a later
rating by the same rater replaces its earlier one), the vendor's newest
reply per deal, and the node's own ratings waiting for their send time.

Gossiped ratings and replies are written by :class:`~.gossip.GossipCache`
in its ingest transaction (:func:`ingest_rows`); this repository reads them
and keeps the node's own outbox of ratings."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final

from intentcast.protocol import Kind, Rating, RatingReply, Signed, receipt_of

from .connection import Repository, marks, narrowed

_UPSERT_RATING: Final = (
    "INSERT INTO ratings (id, vendor_key, deal, rater, stars, created, confirmed, expires, raw) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (vendor_key, deal, rater) DO UPDATE SET "
    "id = excluded.id, stars = excluded.stars, created = excluded.created, "
    "confirmed = excluded.confirmed, expires = excluded.expires, raw = excluded.raw, "
    "first_seen = NULL WHERE excluded.created > ratings.created "
    "OR (excluded.created = ratings.created AND excluded.id > ratings.id)"
)
_UPSERT_REPLY: Final = (
    "INSERT INTO rating_replies (vendor_key, deal, id, created, expires, raw) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (vendor_key, deal) DO UPDATE SET "
    "id = excluded.id, created = excluded.created, expires = excluded.expires, "
    "raw = excluded.raw WHERE excluded.created > rating_replies.created "
    "OR (excluded.created = rating_replies.created AND excluded.id > rating_replies.id)"
)


def ingest_rows(conn: Any, messages: Sequence[Signed[Any]]) -> None:
    """Write validated ratings and replies in the caller's transaction: a
    rating replaces the same rater's earlier one of the same deal, a reply
    the vendor's earlier one (the later ``created`` wins; ties by id, so
    every node keeps the same one whatever the order they arrived in)."""
    ratings, replies = [], []
    for m in messages:
        if m.kind is Kind.RATING:
            receipt = receipt_of(m.message)
            r = receipt.message
            ratings.append((m.id, receipt.signer, r.deal, r.rater, m.message.stars,
                            m.message.created, r.created, m.message.expires, m.raw))  # fmt: skip
        elif m.kind is Kind.RATING_REPLY:
            reply: RatingReply = m.message
            replies.append(
                (reply.vendor_key, reply.deal, m.id, reply.created, reply.expires, m.raw)
            )
    if ratings:
        conn.executemany(_UPSERT_RATING, ratings)
    if replies:
        conn.executemany(_UPSERT_REPLY, replies)


@dataclass(frozen=True, slots=True)
class StoredRating:
    """One verified rating as kept: whom it rates, the deal, and the rating."""

    vendor: bytes
    deal: bytes
    rater: bytes
    #: When the vendor confirmed the deal (the receipt's time).
    confirmed: int
    rating: Signed[Rating]
    #: The vendor's reply to this deal's rating, if one is kept.
    reply: Signed[RatingReply] | None = None

    @property
    def stars(self) -> int:
        return self.rating.message.stars

    @property
    def rated(self) -> int:
        return self.rating.message.created


@dataclass(frozen=True, slots=True)
class RatingRow:
    """What reputation needs of one kept rating, read without decoding it."""

    vendor: bytes
    deal: bytes
    rater: bytes
    stars: int
    #: The rating's ``created``.
    rated: int
    confirmed: int
    #: When this node first received it, if it was watching the network
    #: when the rating says it was made (:meth:`Ratings.note_arrivals`).
    first_seen: int | None = None


@dataclass(frozen=True, slots=True)
class OwnRating:
    """A rating this node wrote, and when it leaves (or left)."""

    deal: bytes
    rating: Signed[Rating]
    send_at: int
    sent: bool


#: Kept ratings with the vendor's reply to each (``?1``: now).
_VERIFIED: Final = (
    "SELECT r.vendor_key, r.deal, r.rater, r.confirmed, r.raw, p.raw FROM ratings r "
    "LEFT JOIN rating_replies p ON p.vendor_key = r.vendor_key AND p.deal = r.deal "
    "AND p.expires > ?1 WHERE r.expires > ?1"
)
#: An own rating, as :meth:`Ratings._own` reads it.
_OWN: Final = "SELECT deal, raw, send_at, sent FROM own_ratings"


class Ratings(Repository):
    """Repository of ratings. Obtain it as :attr:`Store.ratings
    <intentcast.store.Store.ratings>`."""

    def verified(self, *, now: int, vendor: bytes | None = None) -> list[StoredRating]:
        """Every unexpired rating kept (of one vendor if given), with the
        vendor's reply, oldest deal first."""
        sql, args = narrowed(_VERIFIED, (now,), " AND r.vendor_key = ?2", vendor)
        rows = self._c.rows(sql + " ORDER BY r.confirmed, r.rowid", args)
        return [
            StoredRating(
                vendor=bytes(r[0]),
                deal=bytes(r[1]),
                rater=bytes(r[2]),
                confirmed=int(r[3]),
                rating=self._c.decode(r[4], "ratings"),
                reply=None if r[5] is None else self._c.decode(r[5], "rating_replies"),
            )
            for r in rows
        ]

    def rows(self, *, now: int, vendors: Collection[bytes] | None = None) -> list[RatingRow]:
        """The unexpired ratings kept (of ``vendors`` if given) as index
        columns only: no envelope is decoded, so ranking stays cheap with
        tens of thousands of ratings kept."""
        sql = (
            "SELECT vendor_key, deal, rater, stars, created, confirmed, first_seen FROM ratings "
            "WHERE expires > ?"
        )
        args: list[Any] = [now]
        if vendors is not None:
            wanted = sorted(set(vendors))
            if not wanted:
                return []
            sql += f" AND vendor_key IN ({marks(wanted)})"
            args += wanted
        found = self._c.rows(sql, args)
        return [
            RatingRow(bytes(r[0]), bytes(r[1]), bytes(r[2]), int(r[3]), int(r[4]), int(r[5]),
                      None if r[6] is None else int(r[6]))
            for r in found
        ]  # fmt: skip

    def count(self) -> int:
        return int(self._c.value("SELECT count(*) FROM ratings"))

    # --- when ratings arrived ---------------------------------------------------

    def note_arrivals(self, ids: Sequence[bytes], *, at: int) -> None:
        """Record that this node first received the ratings ``ids`` at
        ``at`` (a rating replaced by a later one of the same deal forgets
        the earlier arrival: the caller notes the new one's)."""
        if not ids:
            return
        with self._c.write(flush=False) as conn:  # lost in a power cut: the claim counts
            conn.executemany(
                "UPDATE ratings SET first_seen = ? WHERE id = ? AND first_seen IS NULL",
                [(at, i) for i in ids],
            )

    def watching_since(self, now: int, *, gap: int) -> int:
        """When this node's current stretch of watching the network began:
        the stretch recorded by :meth:`watched`, unless its last heartbeat
        is more than ``gap`` seconds before ``now`` (then ``now``: a new
        stretch, not written until the node beats)."""
        row = self._c.row("SELECT since, alive FROM rating_watch WHERE id = 1")
        if row is None or now - int(row[1]) > gap:
            return now
        return int(row[0])

    def last_alive(self) -> int | None:
        """The last heartbeat recorded (:meth:`watched`): when this node last
        watched the network; None if it never has. Read at start, it says
        how long the node was away (the offer feed's catch-up)."""
        row = self._c.row("SELECT alive FROM rating_watch WHERE id = 1")
        return None if row is None else int(row[0])

    def watched(self, now: int, *, gap: int) -> int:
        """A heartbeat: the node is watching the network at ``now``. Keeps
        the stretch (see :meth:`watching_since`) or starts a new one, and
        returns its start."""
        since = self.watching_since(now, gap=gap)
        with self._c.write(flush=False) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO rating_watch (id, since, alive) VALUES (1, ?, ?)",
                (since, now),
            )
        return since

    # --- the node's own ratings, waiting for their send time --------------------

    def add_own(self, deal: bytes, rating: Signed[Rating], *, send_at: int) -> None:
        """Keep an own rating of ``deal`` until ``send_at`` (flushed: an
        acknowledged rating survives a power cut). A newer rating of the
        same deal replaces one not sent yet, and is sent as a new one after
        one that was."""
        with self._c.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO own_ratings (deal, id, send_at, sent, raw) "
                "VALUES (?, ?, ?, 0, ?)",
                (deal, rating.id, send_at, rating.raw),
            )

    def own(self, deal: bytes) -> OwnRating | None:
        row = self._c.row(_OWN + " WHERE deal = ?", (deal,))
        return None if row is None else self._own(row)

    def own_all(self) -> dict[bytes, OwnRating]:
        """Every own rating, by deal (one query: a list of deals shows them)."""
        return {bytes(r[0]): self._own(r) for r in self._c.rows(_OWN)}

    def due(self, *, now: int) -> list[OwnRating]:
        """Own ratings not sent yet whose send time has come, oldest first."""
        rows = self._c.rows(_OWN + " WHERE sent = 0 AND send_at <= ? ORDER BY send_at", (now,))
        return [self._own(r) for r in rows]

    def next_send_at(self) -> int | None:
        """The earliest send time of an own rating not sent yet."""
        first = self._c.value("SELECT min(send_at) FROM own_ratings WHERE sent = 0")
        return None if first is None else int(first)

    def mark_sent(self, rating_id: bytes) -> None:
        with self._c.write() as conn:
            conn.execute("UPDATE own_ratings SET sent = 1 WHERE id = ?", (rating_id,))

    def _own(self, row: Any) -> OwnRating:
        return OwnRating(
            deal=bytes(row[0]),
            rating=self._c.decode(row[1], "own_ratings"),
            send_at=int(row[2]),
            sent=bool(row[3]),
        )
