-- The audit trail's hash chain (see ../sqlite/0007_audit_chain.sql).
ALTER TABLE audit ADD COLUMN prev_hash TEXT COLLATE "C";
ALTER TABLE audit ADD COLUMN hash TEXT COLLATE "C";
