"""The customer's own intents, and the counter their keys are derived from.

Key safety: :meth:`OwnIntents.reserve_keys` commits the next counter
*before* it returns the derived keys, so no crash can hand the same
counter (hence the same, linkable intent key) to two intents. A counter
reserved but never used is simply skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intentcast.protocol import (
    Intent,
    IntentEvent,
    IntentKeys,
    IntentState,
    Signed,
    Withdraw,
    draw_intent_keys,
    next_intent_state,
)

from .connection import Repository, marks
from .errors import KeyNotReserved, RecordNotFound


@dataclass(frozen=True, slots=True)
class OwnIntent:
    """An intent this node posted: the seed counter its keys came from, its
    lifecycle state, and its newest revision."""

    counter: int
    state: IntentState
    intent: Signed[Intent]

    @property
    def intent_key(self) -> bytes:
        """The intent's stable identity (its signing key) across revisions."""
        return self.intent.signer


_SELECT = (
    "SELECT o.counter, o.state, r.raw FROM own_intents o "
    "JOIN own_intent_revisions r ON r.intent_key = o.intent_key AND r.revision = o.revision"
)


class OwnIntents(Repository):
    """Repository of the node's own intents. Obtain it as
    :attr:`Store.intents <intentcast.store.Store.intents>`."""

    def reserve_keys(
        self,
        seed: bytes,
        *,
        fits: Callable[[bytes], bool] | None = None,
        flush: bool = True,
    ) -> IntentKeys:
        """Reserve the next key counter whose intent key (the public signing
        key) ``fits`` takes (default: the next one), durably, and return the
        keys derived from ``seed`` for it
        (:func:`~intentcast.protocol.draw_intent_keys`); the counters passed
        over are spent, never used. The store never keeps the seed. Raises
        ``ValueError`` if none of the next
        :data:`~intentcast.protocol.MAX_KEY_DRAWS` fits.

        ``flush=False``: committed without waiting for the disk (it survives
        ``kill -9``). The caller must make it durable (:meth:`Store.sync
        <intentcast.store.Store.sync>`, or a flushed commit) before anything
        signed with these keys leaves the node: a power cut before that
        loses a reservation whose keys nobody has seen, so handing the
        counter out again links nothing. A customer reserves its next
        intent's keys this way after each post (``CustomerRole``)."""
        with self._c.write(flush=flush) as conn:
            (first,) = conn.execute("SELECT next_counter FROM key_counter").fetchone()
            keys = draw_intent_keys(seed, int(first), fits)
            conn.execute("UPDATE key_counter SET next_counter = ?", (keys.counter + 1,))
            return keys

    def next_counter(self) -> int:
        """The counter the next :meth:`reserve_keys` will hand out."""
        return int(self._c.value("SELECT next_counter FROM key_counter"))

    def add(self, intent: Signed[Intent], *, counter: int, flush: bool = True) -> bool:
        """Record a newly posted intent (any revision may be the first one
        recorded) whose keys came from the reserved ``counter``. Returns False
        if it was already recorded. Raises :class:`KeyNotReserved` for a
        counter :meth:`reserve_keys` never handed out.

        ``flush=False``: committed without waiting for the disk (it survives
        ``kill -9``); the caller makes it durable with :meth:`Store.sync
        <intentcast.store.Store.sync>` (``post_intent`` sends the intent
        meanwhile)."""
        with self._c.write(flush=flush) as conn:
            (next_counter,) = conn.execute("SELECT next_counter FROM key_counter").fetchone()
            if not 0 <= counter < next_counter:
                raise KeyNotReserved(
                    f"key counter {counter} was never reserved (next is {next_counter}); "
                    "call reserve_keys() before signing an intent",
                    path=self._c.path,
                )
            if _known_revision(conn, intent.id):
                return False
            used = conn.execute(
                "SELECT intent_key = ? FROM own_intents WHERE intent_key = ? OR counter = ? "
                "ORDER BY 1 DESC",
                (intent.signer, intent.signer, counter),
            ).fetchone()
            if used is not None and used[0]:
                raise ValueError("this intent is already recorded: record revisions with amend()")
            if used is not None:
                raise KeyNotReserved(
                    f"key counter {counter} already belongs to another intent; "
                    "reserve a new one with reserve_keys()",
                    path=self._c.path,
                )
            state = IntentState.OPEN if intent.message.revision == 0 else IntentState.AMENDED
            conn.execute(
                "INSERT INTO own_intents (intent_key, counter, state, revision, expires) "
                "VALUES (?, ?, ?, ?, ?)",
                (intent.signer, counter, state.value, intent.message.revision,
                 intent.message.expires),
            )  # fmt: skip
            _insert_revision(conn, intent)
        return True

    def amend(self, intent: Signed[Intent]) -> bool:
        """Record a new revision of an own intent (same intent key, higher
        revision) and move it to ``amended``. Returns False if already
        recorded; raises :class:`RecordNotFound` for an unknown intent key and
        :class:`~intentcast.protocol.IllegalTransition` if it cannot be amended."""
        with self._c.write() as conn:
            if _known_revision(conn, intent.id):
                return False
            state, revision = self._state(conn, intent.signer)
            if intent.message.revision <= revision:
                raise ValueError(
                    f"revision {intent.message.revision} is not above the stored {revision}"
                )
            new = next_intent_state(state, IntentEvent.AMEND)
            conn.execute(
                "UPDATE own_intents SET state = ?, revision = ?, expires = ? WHERE intent_key = ?",
                (new.value, intent.message.revision, intent.message.expires, intent.signer),
            )
            _insert_revision(conn, intent)
        return True

    def withdraw(self, withdraw: Signed[Withdraw]) -> bool:
        """Record the withdrawal of an own intent: state ``withdrawn``, and a
        tombstone so a replay of any revision is refused. Returns False if
        already recorded."""
        with self._c.write() as conn:
            key = withdraw.message.intent_key
            state, _ = self._state(conn, key)
            if state is IntentState.WITHDRAWN:
                return False
            new = next_intent_state(state, IntentEvent.WITHDRAW)
            conn.execute("UPDATE own_intents SET state = ? WHERE intent_key = ?", (new.value, key))
            w = withdraw.message
            conn.execute(
                "INSERT OR IGNORE INTO tombstones (intent_key, withdraw_id, expires, raw, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (key, withdraw.id, w.expires, withdraw.raw, w.created),
            )
            conn.execute(
                "INSERT OR IGNORE INTO seen (id, kind, expires) VALUES (?, ?, ?)",
                (withdraw.id, withdraw.kind.value, withdraw.message.expires),
            )
        return True

    def get(self, intent_key: bytes) -> OwnIntent | None:
        """The own intent with this intent key, or None."""
        row = self._c.row(_SELECT + " WHERE o.intent_key = ?", (intent_key,))
        return None if row is None else self._row(row)

    def by_revision(self, intent_id: bytes) -> Signed[Intent] | None:
        """The own intent revision with this message id (offers name one), or None."""
        raw = self._c.value("SELECT raw FROM own_intent_revisions WHERE id = ?", (intent_id,))
        return None if raw is None else self._c.decode(raw, "own_intent_revisions")

    def has_revision(self, intent_id: bytes) -> bool:
        """Whether an own intent revision has this message id (an index
        lookup, nothing decoded: a feed customer asks it of every offer)."""
        found = self._c.value("SELECT 1 FROM own_intent_revisions WHERE id = ?", (intent_id,))
        return found is not None

    def newest(self, limit: int) -> list[OwnIntent]:
        """The ``limit`` most recently posted own intents, newest first
        (decodes only those: a page of a long list)."""
        rows = self._c.rows(_SELECT + " ORDER BY o.counter DESC LIMIT ?", (limit,))
        return [self._row(r) for r in rows]

    def state_counts(self) -> dict[IntentState, int]:
        """How many own intents are in each state (without decoding any)."""
        rows = self._c.rows("SELECT state, count(*) FROM own_intents GROUP BY state")
        return {IntentState(state): int(n) for state, n in rows}

    def keys_in(self, states: frozenset[IntentState], *, now: int) -> list[bytes]:
        """The intent keys of own intents in ``states`` that expire after
        ``now``, oldest counter first (without decoding any)."""
        rows = self._c.rows(
            f"SELECT intent_key FROM own_intents WHERE state IN ({marks(states)}) AND expires > ? "
            "ORDER BY counter",
            (*sorted(s.value for s in states), now),
        )
        return [bytes(r[0]) for r in rows]

    def list(self, *, states: frozenset[IntentState] | None = None) -> list[OwnIntent]:
        """Own intents, oldest counter first, optionally only those in ``states``."""
        found = [self._row(r) for r in self._c.rows(_SELECT + " ORDER BY o.counter")]
        return found if states is None else [o for o in found if o.state in states]

    def _row(self, row: Any) -> OwnIntent:
        return OwnIntent(
            counter=int(row[0]),
            state=IntentState(row[1]),
            intent=self._c.decode(row[2], "own_intent_revisions"),
        )

    def _state(self, conn: Any, intent_key: bytes) -> tuple[IntentState, int]:
        row = conn.execute(
            "SELECT state, revision FROM own_intents WHERE intent_key = ?", (intent_key,)
        ).fetchone()
        if row is None:
            raise RecordNotFound(
                f"no own intent with key {intent_key.hex()[:16]}...", path=self._c.path
            )
        return IntentState(row[0]), int(row[1])


def _known_revision(conn: Any, intent_id: bytes) -> bool:
    row = conn.execute("SELECT 1 FROM own_intent_revisions WHERE id = ?", (intent_id,)).fetchone()
    return row is not None


def _insert_revision(conn: Any, intent: Signed[Intent]) -> None:
    conn.execute(
        "INSERT INTO own_intent_revisions (id, intent_key, revision, raw) VALUES (?, ?, ?, ?)",
        (intent.id, intent.signer, intent.message.revision, intent.raw),
    )
    # Our own messages come back over gossip: remember them so they are
    # deduplicated rather than cached as someone else's.
    conn.execute(
        "INSERT OR IGNORE INTO seen (id, kind, expires) VALUES (?, ?, ?)",
        (intent.id, intent.kind.value, intent.message.expires),
    )


def advance_intent(conn: Any, intent_id: bytes, event: IntentEvent) -> None:
    """Move the own intent that has revision ``intent_id`` along its
    lifecycle (used by deals; runs inside the caller's transaction)."""
    row = conn.execute(
        "SELECT o.intent_key, o.state FROM own_intents o JOIN own_intent_revisions r "
        "ON r.intent_key = o.intent_key WHERE r.id = ?",
        (intent_id,),
    ).fetchone()
    if row is None:
        raise RecordNotFound(f"no own intent revision {intent_id.hex()[:16]}...")
    new = next_intent_state(IntentState(row[1]), event)
    conn.execute("UPDATE own_intents SET state = ? WHERE intent_key = ?", (new.value, row[0]))
