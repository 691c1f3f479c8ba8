-- resource_identifiers is keyed (value, system, type, id): the identifier
-- search starts from the value, and rows are removed by their full key
-- (the old identifiers are read with the resource), so one index serves
-- both instead of two.

ALTER TABLE resource_identifiers DROP CONSTRAINT resource_identifiers_pkey;
DROP INDEX resource_identifiers_value;
ALTER TABLE resource_identifiers ADD PRIMARY KEY (value, system, type, id);

-- Every facade search names its type, so the index across types is
-- never used; each resource written paid for it.
DROP INDEX resources_updated;
