-- The registry: versioned records (current state), their history, a small
-- search index, and the append-only event log written in the same
-- transaction as the state it changes.
CREATE TABLE records (
    resource_type TEXT NOT NULL,
    id            TEXT NOT NULL,
    region        TEXT,
    version       INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (resource_type, id)
);

CREATE TABLE record_history (
    resource_type TEXT NOT NULL,
    id            TEXT NOT NULL,
    version       INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (resource_type, id, version)
);

CREATE TABLE search_index (
    resource_type TEXT NOT NULL,
    id            TEXT NOT NULL,
    param         TEXT NOT NULL,
    value         TEXT NOT NULL
);
CREATE INDEX search_index_lookup ON search_index (resource_type, param, value, id);
CREATE INDEX search_index_owner ON search_index (resource_type, id);

CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    region        TEXT,
    recorded_at   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    actor         TEXT NOT NULL,
    payload       TEXT NOT NULL
);

-- Accounts, API tokens (stored as SHA-256 hashes, never in clear) and the
-- audit trail of every access to patient data.
CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    institution   TEXT,
    practitioner  TEXT,
    resident      TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE tokens (
    token_hash    TEXT PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES users (username),
    expires_at    INTEGER NOT NULL
);

CREATE TABLE audit (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at   TEXT NOT NULL,
    username      TEXT NOT NULL,
    role          TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT,
    patient       TEXT,
    outcome       TEXT NOT NULL,
    detail        TEXT NOT NULL
);
CREATE INDEX audit_patient ON audit (patient, seq);
CREATE INDEX audit_user ON audit (username, seq);
