-- Every table a province-wide deployment shards carries the region its
-- rows belong to, and the region is part of each such table's key
-- (docs/province-scale.md, "What the move takes", step 1): a distributed
-- engine places rows by region and takes no unique key without it.
--
-- Which region existing rows get. The store is told its region by the
-- server (`Store::in_region`, from the deployment's `region_id`), but a
-- migration runs before that, so the region is taken from the data:
-- - a record keeps the region it has (records that carry a region of
--   their own: institutions, alliances, practitioners, teams, residents);
--   the others get the database's region, the one most records carry
--   (a deployment serves one region; an institution of a neighbouring
--   one is the exception), or 'region' (the default `region_id`, and the
--   store's `DEFAULT_REGION`) where no record carries one;
-- - history, search terms and events go with their record;
-- - audit entries go with their patient's record, else the record they
--   concern, else the database's region;
-- - indicator facts and aggregates (one institution's rows in a region
--   that serves it) and subscriptions (their owner is an account, which
--   has no region) get the database's region.
--
-- The key puts `region` last: every lookup the store makes by the old key
-- (a record by type and id, a day's counters by day and institution) is
-- still a prefix of the new one. The region is not part of an audit
-- entry's hash (src/audit_chain.rs), so chains stored before verify as
-- they were.
--
-- SQLite cannot change a primary key in place: the tables are rebuilt
-- (create, copy, drop, rename) with every index they had. SQLite itself is
-- never distributed: `indicator_facts` keeps its own numbering (a rowid
-- key, which cannot have a second column), the key a distributed
-- PostgreSQL gives it as (seq, region).
CREATE TEMP TABLE region_default AS
SELECT COALESCE(
    (SELECT region FROM records WHERE region IS NOT NULL
     GROUP BY region ORDER BY COUNT(*) DESC, region LIMIT 1),
    'region') AS region;

CREATE TABLE records_new (
    resource_type TEXT NOT NULL,
    id            TEXT NOT NULL,
    region        TEXT NOT NULL,
    version       INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (resource_type, id, region)
);
INSERT INTO records_new (resource_type, id, region, version, updated_at, body)
SELECT resource_type, id, COALESCE(region, (SELECT region FROM region_default)),
       version, updated_at, body
FROM records;
DROP TABLE records;
ALTER TABLE records_new RENAME TO records;

CREATE TABLE record_history_new (
    resource_type TEXT NOT NULL,
    id            TEXT NOT NULL,
    version       INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    body          TEXT NOT NULL,
    region        TEXT NOT NULL,
    PRIMARY KEY (resource_type, id, version, region)
);
INSERT INTO record_history_new (resource_type, id, version, updated_at, body, region)
SELECT h.resource_type, h.id, h.version, h.updated_at, h.body,
       COALESCE(r.region, (SELECT region FROM region_default))
FROM record_history h
LEFT JOIN records r ON r.resource_type = h.resource_type AND r.id = h.id;
DROP TABLE record_history;
ALTER TABLE record_history_new RENAME TO record_history;

CREATE TABLE search_index_new (
    resource_type TEXT NOT NULL,
    id            TEXT NOT NULL,
    param         TEXT NOT NULL,
    value         TEXT NOT NULL,
    region        TEXT NOT NULL
);
INSERT INTO search_index_new (resource_type, id, param, value, region)
SELECT s.resource_type, s.id, s.param, s.value,
       COALESCE(r.region, (SELECT region FROM region_default))
FROM search_index s
LEFT JOIN records r ON r.resource_type = s.resource_type AND r.id = s.id;
DROP TABLE search_index;
ALTER TABLE search_index_new RENAME TO search_index;
-- The two indexes of 0001 and 0006, unchanged: the lookup by term, and
-- one record's terms read from the index alone.
CREATE INDEX search_index_lookup ON search_index (resource_type, param, value, id);
CREATE INDEX search_index_owner ON search_index (resource_type, id, param, value);

UPDATE events SET region = COALESCE(
    (SELECT r.region FROM records r
     WHERE r.resource_type = events.resource_type AND r.id = events.resource_id),
    (SELECT region FROM region_default))
WHERE region IS NULL;

CREATE TABLE audit_new (
    seq           INTEGER NOT NULL,
    recorded_at   TEXT NOT NULL,
    username      TEXT NOT NULL,
    role          TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT,
    patient       TEXT,
    outcome       TEXT NOT NULL,
    detail        TEXT NOT NULL,
    prev_hash     TEXT,
    hash          TEXT,
    region        TEXT NOT NULL,
    PRIMARY KEY (seq, region)
);
INSERT INTO audit_new (seq, recorded_at, username, role, action, resource_type, resource_id,
                       patient, outcome, detail, prev_hash, hash, region)
SELECT a.seq, a.recorded_at, a.username, a.role, a.action, a.resource_type, a.resource_id,
       a.patient, a.outcome, a.detail, a.prev_hash, a.hash,
       COALESCE(
           (SELECT r.region FROM records r WHERE r.resource_type = 'Patient' AND r.id = a.patient),
           (SELECT r.region FROM records r
            WHERE r.resource_type = a.resource_type AND r.id = a.resource_id),
           (SELECT region FROM region_default))
FROM audit a;
DROP TABLE audit;
ALTER TABLE audit_new RENAME TO audit;
CREATE INDEX audit_patient ON audit (patient, seq);
CREATE INDEX audit_user ON audit (username, seq);

CREATE TABLE indicator_days_new (
    day      INTEGER NOT NULL,
    ix       INTEGER NOT NULL,
    counters TEXT NOT NULL,
    region   TEXT NOT NULL,
    PRIMARY KEY (day, ix, region)
);
INSERT INTO indicator_days_new (day, ix, counters, region)
SELECT day, ix, counters, (SELECT region FROM region_default) FROM indicator_days;
DROP TABLE indicator_days;
ALTER TABLE indicator_days_new RENAME TO indicator_days;

CREATE TABLE indicator_months_new (
    month    INTEGER NOT NULL,
    ix       INTEGER NOT NULL,
    counters TEXT NOT NULL,
    region   TEXT NOT NULL,
    PRIMARY KEY (month, ix, region)
);
INSERT INTO indicator_months_new (month, ix, counters, region)
SELECT month, ix, counters, (SELECT region FROM region_default) FROM indicator_months;
DROP TABLE indicator_months;
ALTER TABLE indicator_months_new RENAME TO indicator_months;

CREATE TABLE indicator_facts_new (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    day    INTEGER NOT NULL,
    fact   TEXT NOT NULL,
    region TEXT NOT NULL
);
INSERT INTO indicator_facts_new (seq, day, fact, region)
SELECT seq, day, fact, (SELECT region FROM region_default) FROM indicator_facts;
DROP TABLE indicator_facts;
ALTER TABLE indicator_facts_new RENAME TO indicator_facts;

CREATE TABLE subscriptions_new (
    id              TEXT NOT NULL,
    version         INTEGER NOT NULL,
    owner           TEXT NOT NULL REFERENCES users (username),
    institution     TEXT,
    criteria        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    endpoint        TEXT NOT NULL,
    headers         TEXT NOT NULL,
    payload         TEXT,
    status          TEXT NOT NULL,
    error           TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    delivered_seq   INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER,
    lease_owner     TEXT,
    lease_until     INTEGER,
    region          TEXT NOT NULL,
    PRIMARY KEY (id, region)
);
INSERT INTO subscriptions_new (id, version, owner, institution, criteria, reason, endpoint,
                               headers, payload, status, error, created_at, updated_at,
                               delivered_seq, attempts, next_attempt_at, lease_owner,
                               lease_until, region)
SELECT id, version, owner, institution, criteria, reason, endpoint, headers, payload, status,
       error, created_at, updated_at, delivered_seq, attempts, next_attempt_at, lease_owner,
       lease_until, (SELECT region FROM region_default)
FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
CREATE INDEX subscriptions_status ON subscriptions (status);

DROP TABLE region_default;
