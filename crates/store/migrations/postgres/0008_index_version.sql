-- The version of the search-term rules the index was built with (one
-- row); see ../sqlite/0008_index_version.sql.
CREATE TABLE index_meta (
    id      BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO index_meta (id, version) VALUES (1, 0);
