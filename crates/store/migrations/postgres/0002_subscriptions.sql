-- Subscriptions (see ../sqlite/0002_subscriptions.sql for each column).
CREATE TABLE subscriptions (
    id              TEXT COLLATE "C" PRIMARY KEY,
    version         BIGINT NOT NULL,
    owner           TEXT COLLATE "C" NOT NULL REFERENCES users (username),
    institution     TEXT COLLATE "C",
    criteria        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    endpoint        TEXT NOT NULL,
    headers         TEXT NOT NULL,
    payload         TEXT,
    status          TEXT NOT NULL,
    error           TEXT,
    created_at      TEXT COLLATE "C" NOT NULL,
    updated_at      TEXT COLLATE "C" NOT NULL,
    delivered_seq   BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT
);
CREATE INDEX subscriptions_status ON subscriptions (status);
