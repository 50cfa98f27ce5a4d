-- Schema version 7 as released, frozen: never edit it. Each new migration N
-- adds a vN.sql here (tests/store/test_migrations.py builds every one).
CREATE TABLE cached_intents (
    id BLOB PRIMARY KEY,
    intent_key BLOB NOT NULL,
    revision INTEGER NOT NULL,
    topic TEXT NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
);
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
CREATE TABLE key_counter (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
    next_counter INTEGER NOT NULL CHECK (next_counter >= 0)
);
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
CREATE TABLE own_intent_revisions (
    id BLOB PRIMARY KEY,
    intent_key BLOB NOT NULL REFERENCES own_intents (intent_key),
    revision INTEGER NOT NULL,
    raw BLOB NOT NULL,
    UNIQUE (intent_key, revision)
);
CREATE TABLE own_intents (
    intent_key BLOB PRIMARY KEY,
    counter INTEGER NOT NULL UNIQUE,
    state TEXT NOT NULL,
    revision INTEGER NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE own_ratings (
    deal BLOB PRIMARY KEY,
    id BLOB NOT NULL,
    send_at INTEGER NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0 CHECK (sent IN (0, 1)),
    raw BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE own_stems (
    id BLOB PRIMARY KEY,
    topic TEXT NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE peers (
    peer_id TEXT PRIMARY KEY,
    addrs TEXT NOT NULL,
    last_seen INTEGER,
    failures INTEGER NOT NULL DEFAULT 0,
    last_failure INTEGER
);
CREATE TABLE rating_replies (
    vendor_key BLOB NOT NULL,
    deal BLOB NOT NULL,
    id BLOB NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL,
    PRIMARY KEY (vendor_key, deal)
);
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
CREATE TABLE relayed_deals (
    id BLOB PRIMARY KEY,
    tag BLOB NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
);
CREATE TABLE relayed_offers (
    id BLOB PRIMARY KEY,
    intent_id BLOB NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
);
CREATE TABLE seen (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE tombstones (
    intent_key BLOB PRIMARY KEY,
    withdraw_id BLOB NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE vendor_profiles (
    vendor_key BLOB PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    raw BLOB NOT NULL
);
CREATE INDEX cached_intents_expires ON cached_intents (expires);
CREATE INDEX cached_intents_key ON cached_intents (intent_key, revision);
CREATE INDEX deals_vendor ON deals (vendor_key);
CREATE INDEX offers_made_intent ON offers_made (intent_id);
CREATE INDEX offers_received_intent ON offers_received (intent_id);
CREATE INDEX ratings_expires ON ratings (expires);
CREATE INDEX relayed_deals_expires ON relayed_deals (expires);
CREATE INDEX relayed_deals_tag ON relayed_deals (tag);
CREATE INDEX relayed_offers_expires ON relayed_offers (expires);
CREATE INDEX relayed_offers_intent ON relayed_offers (intent_id);
CREATE INDEX seen_expires ON seen (expires);
INSERT INTO key_counter (singleton, next_counter) VALUES (0, 0);

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
) WITHOUT ROWID;

ALTER TABLE ratings ADD COLUMN first_seen INTEGER;
CREATE TABLE rating_watch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    since INTEGER NOT NULL,
    alive INTEGER NOT NULL
);

ALTER TABLE cached_intents ADD COLUMN created INTEGER;
ALTER TABLE tombstones ADD COLUMN created INTEGER;
CREATE INDEX cached_intents_created ON cached_intents (created);
CREATE INDEX tombstones_created ON tombstones (created);

ALTER TABLE relayed_offers ADD COLUMN created INTEGER;
CREATE INDEX relayed_offers_created ON relayed_offers (created);
