-- User administration (see ../sqlite/0004_user_admin.sql).
ALTER TABLE users ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN lang TEXT;
