-- A token remembers the institution its holder works at on the day it was
-- issued, when that is not the account's own: a specialist licensed for
-- multi-site practice signs in on a Tuesday at the township centre they
-- serve on Tuesdays, and what they do with that token (referrals, access,
-- worklists) belongs to the township. NULL means the account's institution.
ALTER TABLE tokens ADD COLUMN site TEXT;
