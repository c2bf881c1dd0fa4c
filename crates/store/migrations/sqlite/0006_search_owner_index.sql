-- The search terms of one record, found by (resource_type, id) alone and
-- read from the index itself: a write that changes a record reads its
-- terms and rewrites only those that changed.
DROP INDEX search_index_owner;
CREATE INDEX search_index_owner ON search_index (resource_type, id, param, value);
