-- Several servers on one database each run the subscription outbox; the
-- server delivering a subscription's notifications holds a lease on it
-- (who, and until when, in Unix milliseconds), renewed while it works, so
-- each notification leaves from one server. A lease that runs out (its
-- server stopped) is taken over by another.
ALTER TABLE subscriptions ADD COLUMN lease_owner TEXT;
ALTER TABLE subscriptions ADD COLUMN lease_until INTEGER;
