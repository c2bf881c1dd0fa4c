-- The version of the search-term rules the index was built with (one
-- row). A server whose rules are newer re-indexes every record at start
-- and then stores its version (src/reindex.rs). A database from before
-- this table was indexed by rules of version 0.
CREATE TABLE index_meta (
    id      INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO index_meta (id, version) VALUES (1, 0);
