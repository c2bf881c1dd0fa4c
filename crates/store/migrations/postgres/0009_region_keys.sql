-- Every table a province-wide deployment shards carries the region its
-- rows belong to, in its key; see ../sqlite/0009_region_keys.sql for
-- which region existing rows get and why the key puts it last. Here the
-- columns are added in place and the keys swapped. Every unique key of a
-- sharded table now holds `region`, as a distributed engine requires of
-- its distribution column; `events` keeps its sequence key until the
-- sequence becomes per region (docs/province-scale.md, step 3).
CREATE TEMP TABLE region_default AS
SELECT COALESCE(
    (SELECT region FROM records WHERE region IS NOT NULL
     GROUP BY region ORDER BY COUNT(*) DESC, region LIMIT 1),
    'region') AS region;

UPDATE records SET region = (SELECT region FROM region_default) WHERE region IS NULL;
ALTER TABLE records ALTER COLUMN region SET NOT NULL;
ALTER TABLE records DROP CONSTRAINT records_pkey,
    ADD PRIMARY KEY (resource_type, id, region);

ALTER TABLE record_history ADD COLUMN region TEXT COLLATE "C";
UPDATE record_history h SET region = r.region
FROM records r WHERE r.resource_type = h.resource_type AND r.id = h.id;
UPDATE record_history SET region = (SELECT region FROM region_default) WHERE region IS NULL;
ALTER TABLE record_history ALTER COLUMN region SET NOT NULL;
ALTER TABLE record_history DROP CONSTRAINT record_history_pkey,
    ADD PRIMARY KEY (resource_type, id, version, region);

-- The term lookup and owner indexes (0001, 0006) stay as they are.
ALTER TABLE search_index ADD COLUMN region TEXT COLLATE "C";
UPDATE search_index s SET region = r.region
FROM records r WHERE r.resource_type = s.resource_type AND r.id = s.id;
UPDATE search_index SET region = (SELECT region FROM region_default) WHERE region IS NULL;
ALTER TABLE search_index ALTER COLUMN region SET NOT NULL;

UPDATE events e SET region = r.region
FROM records r
WHERE e.region IS NULL AND r.resource_type = e.resource_type AND r.id = e.resource_id;
UPDATE events SET region = (SELECT region FROM region_default) WHERE region IS NULL;

ALTER TABLE audit ADD COLUMN region TEXT COLLATE "C";
UPDATE audit a SET region = r.region
FROM records r WHERE r.resource_type = 'Patient' AND r.id = a.patient;
UPDATE audit a SET region = r.region
FROM records r
WHERE a.region IS NULL AND r.resource_type = a.resource_type AND r.id = a.resource_id;
UPDATE audit SET region = (SELECT region FROM region_default) WHERE region IS NULL;
ALTER TABLE audit ALTER COLUMN region SET NOT NULL;
ALTER TABLE audit DROP CONSTRAINT audit_pkey, ADD PRIMARY KEY (seq, region);

ALTER TABLE indicator_facts ADD COLUMN region TEXT COLLATE "C";
UPDATE indicator_facts SET region = (SELECT region FROM region_default);
ALTER TABLE indicator_facts ALTER COLUMN region SET NOT NULL;
ALTER TABLE indicator_facts DROP CONSTRAINT indicator_facts_pkey, ADD PRIMARY KEY (seq, region);

ALTER TABLE indicator_days ADD COLUMN region TEXT COLLATE "C";
UPDATE indicator_days SET region = (SELECT region FROM region_default);
ALTER TABLE indicator_days ALTER COLUMN region SET NOT NULL;
ALTER TABLE indicator_days DROP CONSTRAINT indicator_days_pkey, ADD PRIMARY KEY (day, ix, region);

ALTER TABLE indicator_months ADD COLUMN region TEXT COLLATE "C";
UPDATE indicator_months SET region = (SELECT region FROM region_default);
ALTER TABLE indicator_months ALTER COLUMN region SET NOT NULL;
ALTER TABLE indicator_months DROP CONSTRAINT indicator_months_pkey,
    ADD PRIMARY KEY (month, ix, region);

ALTER TABLE subscriptions ADD COLUMN region TEXT COLLATE "C";
UPDATE subscriptions SET region = (SELECT region FROM region_default);
ALTER TABLE subscriptions ALTER COLUMN region SET NOT NULL;
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_pkey, ADD PRIMARY KEY (id, region);

DROP TABLE region_default;
