"""Relationships after the deal (docs/store.md, "Relationships"): one per
confirmed deal on each side, its thread, the routing tags this node
expects on it, and what the customer disclosed under it as it stands now.

On the customer's node a relationship is her record of who knows what
about her; on the vendor's node it is what the vendor holds, and
:meth:`Relationships.forget` deletes that for good: the values, every
message of the customer on the thread, the disclosure inside the stored
accept, and every sealed copy the node could open again, with SQLite's
``secure_delete`` on and the write-ahead log truncated after, so the
bytes are gone from the file (tests/node/test_relationships.py reads it).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from intentcast.protocol import Side, Signed, thread_tag
from intentcast.protocol.encoding import decode_envelope, encode_envelope, pack, unpack

from .connection import Repository, narrowed
from .deals import Role
from .errors import RecordNotFound

#: How many of the other side's next sequence numbers a node recognises
#: ahead of the highest it received: a lost message does not stall a thread.
TAG_WINDOW: Final = 16


@dataclass(frozen=True, slots=True)
class Relationship:
    """One relationship, from this node's side (``role``)."""

    accept_id: bytes
    role: Role
    vendor_key: bytes
    vendor_name: str
    #: The confirm's message id: the key of the thread's routing tags.
    thread_key: bytes
    #: When the deal was confirmed (the confirm's ``created``).
    opened: int
    #: The sequence number of this node's next message on the thread.
    next_seq: int
    #: When the deal's ``cc:delete-after-deal`` term falls due, if it has one.
    delete_due: int | None
    #: When the customer asked the vendor to forget her (sent or received).
    forget_asked: int | None
    #: When the vendor deleted what it held (on the vendor's node: when it
    #: did; on the customer's: as its signed statement says).
    deleted: int | None

    @property
    def live(self) -> bool:
        """Still holding the customer's data: not forgotten, not asked to."""
        return self.deleted is None and self.forget_asked is None

    @property
    def peer_side(self) -> Side:
        """The side whose messages this node receives on the thread."""
        return Side.VENDOR if self.role is Role.CUSTOMER else Side.CUSTOMER


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """One message of a thread, as this node holds it."""

    id: bytes
    outgoing: bool
    kind: str
    seq: int
    created: int
    #: The message; None once the vendor's node deleted it (forget).
    message: Signed[Any] | None
    #: For an own update or forget request: the id of the acknowledgement
    #: that answered it.
    answered_by: bytes | None


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One field the customer disclosed under a relationship, as it stands
    now (``value`` None: removed, or deleted by the vendor)."""

    field: str
    value: str | None
    since: int


_COLUMNS: Final = (
    "accept_id, role, vendor_key, vendor_name, thread_key, opened, next_seq, "
    "delete_due, forget_asked, deleted"
)
_SELECT: Final = f"SELECT {_COLUMNS} FROM relationships"


class Relationships(Repository):
    """Repository of relationships. Obtain it as
    :attr:`Store.relationships <intentcast.store.Store.relationships>`."""

    # --- opening and reading ----------------------------------------------------------

    def open(
        self,
        *,
        accept_id: bytes,
        role: Role,
        vendor_key: bytes,
        vendor_name: str,
        thread_key: bytes,
        opened: int,
        delete_due: int | None,
        disclosure: Mapping[str, str],
    ) -> bool:
        """Open the relationship of a confirmed deal (idempotent: False if
        it is open already), with what the accept disclosed and the tags of
        the other side's first :data:`TAG_WINDOW` messages."""
        peer = Side.VENDOR if role is Role.CUSTOMER else Side.CUSTOMER
        with self._c.write() as conn:
            if conn.execute(
                "SELECT 1 FROM relationships WHERE accept_id = ?", (accept_id,)
            ).fetchone():
                return False
            conn.execute(
                f"INSERT INTO relationships ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL, NULL)",
                (accept_id, role.value, vendor_key, vendor_name, thread_key, opened, delete_due),
            )
            conn.executemany(
                "INSERT INTO disclosures (accept_id, field, value, since) VALUES (?, ?, ?, ?)",
                [(accept_id, k, v, opened) for k, v in sorted(disclosure.items())],
            )
            _extend_tags(conn, accept_id, thread_key, peer, 0)
        return True

    def get(self, accept_id: bytes) -> Relationship | None:
        row = self._c.row(_SELECT + " WHERE accept_id = ?", (accept_id,))
        return None if row is None else _relationship(row)

    def list(self, *, role: Role | None = None) -> builtins.list[Relationship]:
        """Every relationship (optionally of one role), oldest first."""
        sql, args = narrowed(_SELECT, (), " WHERE role = ?", role)
        return [_relationship(r) for r in self._c.rows(sql + " ORDER BY opened, accept_id", args)]

    def vendor_name(self, vendor_key: bytes) -> str | None:
        """The name ``vendor_key`` gave in its newest deal with this node."""
        name = self._c.value(
            "SELECT vendor_name FROM relationships WHERE vendor_key = ? "
            "ORDER BY opened DESC LIMIT 1",
            (vendor_key,),
        )
        return None if name is None else str(name)

    def by_tag(self, tag: bytes) -> tuple[Relationship, int] | None:
        """The relationship whose thread expects a message under routing tag
        ``tag``, and that message's sequence number; None for a tag that is
        not ours (most sealed deals on the network)."""
        with self._c.read() as conn:
            row = conn.execute(
                "SELECT accept_id, seq FROM thread_tags WHERE tag = ?", (tag,)
            ).fetchone()
            if row is None:
                return None
            rel = conn.execute(_SELECT + " WHERE accept_id = ?", (row[0],)).fetchone()
        return _relationship(rel), int(row[1])

    def due_for_deletion(self, now: int) -> builtins.list[Relationship]:
        """Vendor relationships whose ``cc:delete-after-deal`` term has
        fallen due and that still hold data."""
        rows = self._c.rows(
            _SELECT + " WHERE role = 'vendor' AND delete_due <= ? AND deleted IS NULL "
            "ORDER BY delete_due",
            (now,),
        )
        return [_relationship(r) for r in rows]

    def disclosures(self, accept_id: bytes) -> dict[str, Disclosure]:
        """What was disclosed under the relationship, field by field, now."""
        rows = self._c.rows(
            "SELECT field, value, since FROM disclosures WHERE accept_id = ? ORDER BY field",
            (accept_id,),
        )
        return {r[0]: Disclosure(r[0], r[1], int(r[2])) for r in rows}

    def thread(self, accept_id: bytes) -> builtins.list[ThreadEntry]:
        """The thread's messages, oldest first."""
        rows = self._c.rows(
            "SELECT id, outgoing, kind, seq, created, raw, answered_by FROM thread "
            "WHERE accept_id = ? ORDER BY created, outgoing DESC, seq",
            (accept_id,),
        )
        return [
            ThreadEntry(
                id=r[0],
                outgoing=bool(r[1]),
                kind=r[2],
                seq=int(r[3]),
                created=int(r[4]),
                message=None if r[5] is None else self._c.decode(r[5], "thread"),
                answered_by=r[6],
            )
            for r in rows
        ]

    def received_count(self, accept_id: bytes) -> int:
        """How many messages the other side sent on the thread (kept)."""
        return int(
            self._c.value(
                "SELECT count(*) FROM thread WHERE accept_id = ? AND outgoing = 0", (accept_id,)
            )
        )

    def message(self, message_id: bytes) -> ThreadEntry | None:
        """One thread message by its id."""
        accept_id = self._c.value("SELECT accept_id FROM thread WHERE id = ?", (message_id,))
        if accept_id is None:
            return None
        return next((e for e in self.thread(accept_id) if e.id == message_id), None)

    # --- writing -------------------------------------------------------------------------

    def take_seq(self, accept_id: bytes) -> int:
        """Reserve this node's next sequence number on the thread."""
        with self._c.write() as conn:
            row = conn.execute(
                "SELECT next_seq FROM relationships WHERE accept_id = ?", (accept_id,)
            ).fetchone()
            if row is None:
                raise RecordNotFound(f"no relationship {accept_id.hex()[:16]}", path=self._c.path)
            conn.execute(
                "UPDATE relationships SET next_seq = next_seq + 1 WHERE accept_id = ?",
                (accept_id,),
            )
        return int(row[0])

    def add_sent(self, accept_id: bytes, signed: Signed[Any]) -> None:
        """Record a message this node sends on the thread; a profile update
        also sets the field as the vendor should now hold it, a forget
        request the time it was asked."""
        m = signed.message
        with self._c.write() as conn:
            _insert(conn, accept_id, signed, outgoing=True)
            if signed.kind == "profile-update":
                _set_disclosure(conn, accept_id, m.field, m.value, m.created)
            elif signed.kind == "forget":
                conn.execute(
                    "UPDATE relationships SET forget_asked = coalesce(forget_asked, ?) "
                    "WHERE accept_id = ?",
                    (m.created, accept_id),
                )

    def add_received(
        self, rel: Relationship, signed: Signed[Any], seq: int
    ) -> tuple[bool, builtins.list[tuple[bytes, int]]]:
        """Record a message the other side sent (validated and checked
        against the deal) and move the tag window on past ``seq``. Returns
        whether it is new (not a resent copy) and the ``(tag, seq)`` pairs
        the window took in just now: messages under those tags may have
        arrived already, unrecognised (the node looks for them)."""
        with self._c.write() as conn:
            fresh = _extend_tags(conn, rel.accept_id, rel.thread_key, rel.peer_side, seq + 1)
            if conn.execute("SELECT 1 FROM thread WHERE id = ?", (signed.id,)).fetchone():
                return False, fresh
            _insert(conn, rel.accept_id, signed, outgoing=False)
            if signed.kind == "forget":
                conn.execute(
                    "UPDATE relationships SET forget_asked = coalesce(forget_asked, ?) "
                    "WHERE accept_id = ?",
                    (signed.message.created, rel.accept_id),
                )
        return True, fresh

    def apply_update(self, accept_id: bytes, field: str, value: str | None, since: int) -> None:
        """Vendor: hold ``value`` for ``field`` from now on (None: remove it)."""
        with self._c.write() as conn:
            _set_disclosure(conn, accept_id, field, value, since)

    def answered(self, subject_id: bytes, ack: Signed[Any]) -> None:
        """Customer: ``ack`` answered her message ``subject_id`` (or, for a
        statement of deletion by the vendor's own motion, the deal)."""
        a = ack.message
        with self._c.write() as conn:
            conn.execute(
                "UPDATE thread SET answered_by = ? WHERE id = ? AND outgoing = 1",
                (ack.id, subject_id),
            )
            if a.deleted is not None:
                conn.execute(
                    "UPDATE relationships SET deleted = coalesce(deleted, ?) WHERE accept_id = ?",
                    (a.deleted, a.deal),
                )

    def forget(self, accept_id: bytes, *, now: int) -> tuple[str, ...]:
        """Vendor: delete everything of the customer's this node holds
        under the relationship and could read or open again: the disclosed
        values, the customer's messages on the thread (their ids and times
        stay), the disclosure inside the stored accept (kept with its
        disclosure removed and its signature zeroed: the vendor no longer
        holds the signed original; the deal keeps its id), and the sealed
        copies of all of these in the gossip cache (their ids stay seen, so
        sync does not bring them back). Returns the fields deleted, sorted.
        Idempotent: a second call deletes nothing more and returns ()."""
        self._c.conn.execute("PRAGMA secure_delete = ON")
        try:
            with self._c.write() as conn:
                row = conn.execute(
                    "SELECT deleted FROM relationships WHERE accept_id = ? AND role = 'vendor'",
                    (accept_id,),
                ).fetchone()
                if row is None:
                    raise RecordNotFound(
                        f"no vendor relationship {accept_id.hex()[:16]}", path=self._c.path
                    )
                if row[0] is not None:
                    return ()
                fields = tuple(
                    r[0]
                    for r in conn.execute(
                        "SELECT field FROM disclosures WHERE accept_id = ? AND value IS NOT NULL "
                        "ORDER BY field",
                        (accept_id,),
                    )
                )
                conn.execute(
                    "UPDATE disclosures SET value = NULL, since = ? WHERE accept_id = ?",
                    (now, accept_id),
                )
                conn.execute(
                    "UPDATE thread SET raw = NULL WHERE accept_id = ? AND outgoing = 0",
                    (accept_id,),
                )
                deal = conn.execute(
                    "SELECT accept_raw, offer_id FROM deals WHERE accept_id = ?", (accept_id,)
                ).fetchone()
                if deal is not None:
                    conn.execute(
                        "UPDATE deals SET accept_raw = ? WHERE accept_id = ?",
                        (_redacted(deal[0]), accept_id),
                    )
                    conn.execute("DELETE FROM relayed_deals WHERE tag = ?", (deal[1],))
                conn.execute(
                    "DELETE FROM relayed_deals WHERE tag IN "
                    "(SELECT tag FROM thread_tags WHERE accept_id = ?)",
                    (accept_id,),
                )
                conn.execute(
                    "UPDATE relationships SET deleted = ? WHERE accept_id = ?", (now, accept_id)
                )
            # The pages as they were before live on in the write-ahead log
            # until a checkpoint: copy the new ones home and empty the log.
            self._c.checkpoint(truncate=True)
        finally:
            self._c.conn.execute("PRAGMA secure_delete = OFF")
        return fields


def _relationship(row: Any) -> Relationship:
    return Relationship(
        accept_id=row[0],
        role=Role(row[1]),
        vendor_key=row[2],
        vendor_name=row[3],
        thread_key=row[4],
        opened=int(row[5]),
        next_seq=int(row[6]),
        delete_due=None if row[7] is None else int(row[7]),
        forget_asked=None if row[8] is None else int(row[8]),
        deleted=None if row[9] is None else int(row[9]),
    )


def _extend_tags(
    conn: Any, accept_id: bytes, key: bytes, side: Side, start: int
) -> list[tuple[bytes, int]]:
    """Expect the tags of ``side``'s messages ``start .. start + TAG_WINDOW - 1``;
    returns the ``(tag, seq)`` pairs not expected before."""
    fresh = []
    for s in range(start, start + TAG_WINDOW):
        tag = thread_tag(key, side, s)
        added = conn.execute(
            "INSERT OR IGNORE INTO thread_tags (tag, accept_id, seq) VALUES (?, ?, ?)",
            (tag, accept_id, s),
        ).rowcount
        if added:
            fresh.append((tag, s))
    return fresh


def _insert(conn: Any, accept_id: bytes, signed: Signed[Any], *, outgoing: bool) -> None:
    m = signed.message
    conn.execute(
        "INSERT OR IGNORE INTO thread (id, accept_id, outgoing, kind, seq, created, raw) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (signed.id, accept_id, int(outgoing), signed.kind.value, m.seq, m.created, signed.raw),
    )


def _set_disclosure(conn: Any, accept_id: bytes, field: str, value: str | None, since: int) -> None:
    conn.execute(
        "INSERT INTO disclosures (accept_id, field, value, since) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (accept_id, field) DO UPDATE SET value = excluded.value, "
        "since = excluded.since",
        (accept_id, field, value, since),
    )


def _redacted(accept_raw: bytes) -> bytes:
    """The stored accept with its disclosure emptied and its signature
    zeroed: what a vendor keeps of a deal after forgetting the customer."""
    env = decode_envelope(accept_raw)
    body = unpack(env.body)
    body["disclose"] = {}
    return encode_envelope(env.kind, pack(body), env.signer, bytes(64))
