-- The audit trail's hash chain (src/audit_chain.rs): each entry keeps the
-- hash of the entry before it and its own hash, SHA-256 over that previous
-- hash and every field of the entry, as lowercase hex. Entries stored
-- before this migration are chained when the store next opens, in
-- sequence order, before it writes anything (see `chain_unchained`).
ALTER TABLE audit ADD COLUMN prev_hash TEXT;
ALTER TABLE audit ADD COLUMN hash TEXT;
