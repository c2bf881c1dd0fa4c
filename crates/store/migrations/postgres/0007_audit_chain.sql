-- The audit trail's hash chain (see ../sqlite/0007_audit_chain.sql).
-- From here on the store numbers entries itself, inside the write
-- transaction, so the identity's own sequence is no longer used.
ALTER TABLE audit ADD COLUMN prev_hash TEXT COLLATE "C";
ALTER TABLE audit ADD COLUMN hash TEXT COLLATE "C";
