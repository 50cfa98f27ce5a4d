"""The schema and its forward migrations.

The schema version lives in ``PRAGMA user_version``; ``PRAGMA
application_id`` marks the file as an intentcast node database. Migration
``n`` takes a database from version ``n - 1`` to ``n``. Each runs in its own
transaction together with the version bump, so a crash mid-migration leaves
the previous version intact. A published migration is never edited: change
the schema by appending one. ``tests/store/schemas/`` keeps a frozen copy of
every historical schema, and a test migrates each one to the latest.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

#: "ICST" in ASCII: marks an intentcast node database.
APPLICATION_ID: Final = 0x49435354


@dataclass(frozen=True, slots=True)
class Migration:
    """One step forward: ``apply`` runs inside the migration's transaction
    and must not commit."""

    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    statements = [s.strip() for s in sql.split(";") if s.strip()]

    def apply(conn: sqlite3.Connection) -> None:
        # One statement at a time: executescript() would COMMIT the
        # migration's transaction before running.
        for statement in statements:
            conn.execute(statement)

    return apply


V1: Final = """
CREATE TABLE key_counter (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
    next_counter INTEGER NOT NULL CHECK (next_counter >= 0)
);
INSERT INTO key_counter (singleton, next_counter) VALUES (0, 0);

CREATE TABLE own_intents (
    intent_key BLOB PRIMARY KEY,
    counter INTEGER NOT NULL UNIQUE,
    state TEXT NOT NULL,
    revision INTEGER NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE own_intent_revisions (
    id BLOB PRIMARY KEY,
    intent_key BLOB NOT NULL REFERENCES own_intents (intent_key),
    revision INTEGER NOT NULL,
    raw BLOB NOT NULL,
    UNIQUE (intent_key, revision)
);

CREATE TABLE seen (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_expires ON seen (expires);

CREATE TABLE cached_intents (
    id BLOB PRIMARY KEY,
    intent_key BLOB NOT NULL,
    revision INTEGER NOT NULL,
    topic TEXT NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
);
CREATE INDEX cached_intents_key ON cached_intents (intent_key, revision);
CREATE INDEX cached_intents_expires ON cached_intents (expires);

CREATE TABLE tombstones (
    intent_key BLOB PRIMARY KEY,
    withdraw_id BLOB NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE relayed_offers (
    id BLOB PRIMARY KEY,
    intent_id BLOB NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
);
CREATE INDEX relayed_offers_intent ON relayed_offers (intent_id);
CREATE INDEX relayed_offers_expires ON relayed_offers (expires);

CREATE TABLE relayed_deals (
    id BLOB PRIMARY KEY,
    tag BLOB NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
);
CREATE INDEX relayed_deals_tag ON relayed_deals (tag);
CREATE INDEX relayed_deals_expires ON relayed_deals (expires);

CREATE TABLE vendor_profiles (
    vendor_key BLOB PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
);

CREATE TABLE offers_received (
    id BLOB PRIMARY KEY,
    sealed_id BLOB NOT NULL UNIQUE,
    intent_id BLOB NOT NULL REFERENCES own_intent_revisions (id),
    vendor_key BLOB NOT NULL,
    state TEXT NOT NULL,
    valid_until INTEGER NOT NULL,
    raw BLOB NOT NULL,
    sealed_raw BLOB NOT NULL
);
CREATE INDEX offers_received_intent ON offers_received (intent_id);

CREATE TABLE offers_made (
    id BLOB PRIMARY KEY,
    sealed_id BLOB NOT NULL UNIQUE,
    intent_id BLOB NOT NULL,
    state TEXT NOT NULL,
    valid_until INTEGER NOT NULL,
    raw BLOB NOT NULL,
    sealed_raw BLOB NOT NULL,
    intent_raw BLOB NOT NULL
);
CREATE INDEX offers_made_intent ON offers_made (intent_id);

CREATE TABLE deals (
    accept_id BLOB PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('customer', 'vendor')),
    state TEXT NOT NULL CHECK (state IN ('accepted', 'confirmed', 'declined')),
    intent_id BLOB NOT NULL,
    offer_id BLOB NOT NULL,
    vendor_key BLOB NOT NULL,
    created INTEGER NOT NULL,
    intent_raw BLOB NOT NULL,
    offer_raw BLOB NOT NULL,
    accept_raw BLOB NOT NULL,
    reply_raw BLOB
);
CREATE INDEX deals_vendor ON deals (vendor_key);

CREATE TABLE peers (
    peer_id TEXT PRIMARY KEY,
    addrs TEXT NOT NULL,
    last_seen INTEGER,
    failures INTEGER NOT NULL DEFAULT 0,
    last_failure INTEGER
)
"""

#: Version 2: the node's own messages still on their stem (stem-then-fluff,
#: docs/privacy.md). A row lives from the send until the message comes back
#: by gossip or sync, or the node fluffs it; a restart sends what is left
#: down a stem again instead of handing it out by sync (which names the
#: author) or leaving it to anti-entropy (slow).
V2: Final = """
CREATE TABLE own_stems (
    id BLOB PRIMARY KEY,
    topic TEXT NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
) WITHOUT ROWID
"""

#: Version 3: deal-backed ratings (docs/store.md, "Ratings"). ``ratings``
#: holds every verified rating kept (others' and, once sent, the node's
#: own), one row per vendor, deal and rater; ``rating_replies`` the
#: vendor's newest reply per deal; ``own_ratings`` the node's own ratings
#: waiting for their random send time (``send_at``), which a restart keeps.
V3: Final = """
CREATE TABLE ratings (
    id BLOB NOT NULL UNIQUE,
    vendor_key BLOB NOT NULL,
    deal BLOB NOT NULL,
    rater BLOB NOT NULL,
    stars INTEGER NOT NULL,
    created INTEGER NOT NULL,
    confirmed INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL,
    PRIMARY KEY (vendor_key, deal, rater)
);
CREATE INDEX ratings_expires ON ratings (expires);
CREATE TABLE rating_replies (
    vendor_key BLOB NOT NULL,
    deal BLOB NOT NULL,
    id BLOB NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL,
    PRIMARY KEY (vendor_key, deal)
);
CREATE TABLE own_ratings (
    deal BLOB PRIMARY KEY,
    id BLOB NOT NULL,
    send_at INTEGER NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0 CHECK (sent IN (0, 1)),
    raw BLOB NOT NULL
) WITHOUT ROWID
"""

#: Version 4: relationships after the deal (docs/store.md, "Relationships"):
#: one per confirmed deal on each side; the thread's routing tags this node
#: expects (a window of the other side's next numbers); the thread itself;
#: what was disclosed under it, as it stands now. On a vendor's node a
#: forgotten relationship keeps its ids and times but no value: ``raw``
#: and ``value`` become NULL.
V4: Final = """
CREATE TABLE relationships (
    accept_id BLOB PRIMARY KEY REFERENCES deals (accept_id),
    role TEXT NOT NULL CHECK (role IN ('customer', 'vendor')),
    vendor_key BLOB NOT NULL,
    vendor_name TEXT NOT NULL,
    thread_key BLOB NOT NULL,
    opened INTEGER NOT NULL,
    next_seq INTEGER NOT NULL DEFAULT 0,
    delete_due INTEGER,
    forget_asked INTEGER,
    deleted INTEGER
) WITHOUT ROWID;
CREATE INDEX relationships_vendor ON relationships (vendor_key);
CREATE INDEX relationships_due ON relationships (delete_due);

CREATE TABLE thread_tags (
    tag BLOB PRIMARY KEY,
    accept_id BLOB NOT NULL REFERENCES relationships (accept_id),
    seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX thread_tags_deal ON thread_tags (accept_id, seq);

CREATE TABLE thread (
    id BLOB PRIMARY KEY,
    accept_id BLOB NOT NULL REFERENCES relationships (accept_id),
    outgoing INTEGER NOT NULL CHECK (outgoing IN (0, 1)),
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created INTEGER NOT NULL,
    raw BLOB,
    answered_by BLOB
);
CREATE INDEX thread_deal ON thread (accept_id, created);

CREATE TABLE disclosures (
    accept_id BLOB NOT NULL REFERENCES relationships (accept_id),
    field TEXT NOT NULL,
    value TEXT,
    since INTEGER NOT NULL,
    PRIMARY KEY (accept_id, field)
) WITHOUT ROWID
"""

#: Version 5: when a rating arrived (docs/store.md, "Ratings"). A rating's
#: ``first_seen`` is the time this node first received it, kept only where
#: the node was watching the network when the rating says it was made
#: (NULL: it takes the rating's claimed time); ``rating_watch`` holds the
#: start of the node's current stretch online and its last heartbeat, so
#: that a short stop does not start a new stretch.
V5: Final = """
ALTER TABLE ratings ADD COLUMN first_seen INTEGER;
CREATE TABLE rating_watch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    since INTEGER NOT NULL,
    alive INTEGER NOT NULL
)
"""

#: Version 6: when an intent or withdrawal was created (its own ``created``),
#: for the quiet customers' probe (docs/wire.md section 4, ``recent``): a
#: follower lists the ids of the intents-topic messages created in the last
#: minutes from an index, without decoding any envelope. Rows kept from
#: before the migration have NULL: a probe does not find them (they are
#: older than its window once the node has run for that long).
V6: Final = """
ALTER TABLE cached_intents ADD COLUMN created INTEGER;
ALTER TABLE tombstones ADD COLUMN created INTEGER;
CREATE INDEX cached_intents_created ON cached_intents (created);
CREATE INDEX tombstones_created ON tombstones (created)
"""

#: Version 7: when a sealed offer was created (its own ``created``), for
#: the offer feed's catch-up (docs/wire.md section 6, ``recent``): a
#: carrier hands a returning customer the offers created in the time it
#: was away from an index. Rows kept from before the migration have NULL:
#: no catch-up finds them.
V7: Final = """
ALTER TABLE relayed_offers ADD COLUMN created INTEGER;
CREATE INDEX relayed_offers_created ON relayed_offers (created)
"""

#: Every migration, in order. ``MIGRATIONS[n - 1].version == n``.
MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "initial schema", _script(V1)),
    Migration(2, "own messages on their stem", _script(V2)),
    Migration(3, "deal-backed ratings", _script(V3)),
    Migration(4, "relationships after the deal", _script(V4)),
    Migration(5, "when a rating arrived", _script(V5)),
    Migration(6, "when an intent or withdrawal was created", _script(V6)),
    Migration(7, "when a sealed offer was created", _script(V7)),
)

#: The schema version this code writes.
LATEST: Final = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the file (0 for a new, empty file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def application_id(conn: sqlite3.Connection) -> int:
    """The application id recorded in the file (0 if none was ever set)."""
    row = conn.execute("PRAGMA application_id").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply every migration above the file's version, each in its own
    ``BEGIN IMMEDIATE`` transaction; return the versions applied.

    The caller has checked that the file is not newer than
    ``migrations[-1].version``. The version is re-read under the write lock,
    so two processes opening one file at once migrate it only once.
    """
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise ValueError(f"migration {migration.version} is out of order")
    applied = []
    for migration in migrations:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) >= migration.version:
                conn.execute("ROLLBACK")
                continue
            migration.apply(conn)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {migration.version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied
