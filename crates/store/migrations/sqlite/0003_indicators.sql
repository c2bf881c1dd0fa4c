-- Oversight indicators (tiercare-core::indicators). Every write that
-- records indicator facts adds them here in its own transaction: the facts
-- themselves (the raw history) and their daily counters per institution
-- (the aggregates a dashboard reads, so a year never rescans history).

-- Institutions get a small stable number the first time a fact names one.
CREATE TABLE indicator_institutions (
    ix          INTEGER PRIMARY KEY,
    institution TEXT NOT NULL UNIQUE
);

-- One row per day and institution (ix -1: facts of no institution), the
-- counters as JSON (tiercare-core's `Counters`).
CREATE TABLE indicator_days (
    day      INTEGER NOT NULL,
    ix       INTEGER NOT NULL,
    counters TEXT NOT NULL,
    PRIMARY KEY (day, ix)
);

-- Every fact as recorded, in order.
CREATE TABLE indicator_facts (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    day  INTEGER NOT NULL,
    fact TEXT NOT NULL
);

-- The same counters per calendar month (month = year * 12 + month - 1), so
-- a year is a dozen rows per institution; the days at a period's edges come
-- from indicator_days.
CREATE TABLE indicator_months (
    month    INTEGER NOT NULL,
    ix       INTEGER NOT NULL,
    counters TEXT NOT NULL,
    PRIMARY KEY (month, ix)
);
