-- Subscriptions: standing searches whose matching changes are pushed to an
-- outside system (FHIR Subscription, rest-hook). The events table is the
-- outbox: each subscription keeps the sequence number of the last event it
-- is done with, advanced only once that event's notification was delivered
-- (or did not concern it), so a crash loses nothing.
CREATE TABLE subscriptions (
    id              TEXT PRIMARY KEY,
    version         INTEGER NOT NULL,
    owner           TEXT NOT NULL REFERENCES users (username),
    -- The institution whose view the criteria are evaluated in; NULL for an
    -- administrator's (region-wide) subscription.
    institution     TEXT,
    criteria        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    endpoint        TEXT NOT NULL,
    -- JSON array of "Name: value" strings sent with every notification.
    headers         TEXT NOT NULL,
    -- MIME type of the payload, or NULL for a notification without a body.
    payload         TEXT,
    -- requested, active, error or off.
    status          TEXT NOT NULL,
    error           TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    -- Delivery state: last event done with, failed attempts at the next
    -- one, and when to try again (Unix milliseconds).
    delivered_seq   INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER
);
CREATE INDEX subscriptions_status ON subscriptions (status);
