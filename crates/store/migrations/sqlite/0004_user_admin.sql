-- User administration: an account can be disabled (it can no longer sign
-- in, and every token it holds stops working), and remembers the language
-- its user chose for the pages ("zh-CN" or "en"; NULL until they choose).
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN lang TEXT;
