-- resource_versions keeps only superseded versions: the current version of
-- a resource lives in resources alone, so a new resource writes its body
-- once instead of twice. Rows that duplicate the current version go.
--
-- resource_identifiers becomes one B-tree keyed (value, system, type, id):
-- the identifier search starts from the value, and rows are removed by
-- their full key (the old identifiers are read with the resource), so the
-- (type, id) key, whose random resource ids cost a page per resource
-- written, is no longer needed.

DELETE FROM resource_versions WHERE EXISTS (
	SELECT 1 FROM resources r
	WHERE r.type = resource_versions.type AND r.id = resource_versions.id AND r.version_id = resource_versions.version_id);

CREATE TABLE resource_identifiers_new (
	value TEXT NOT NULL,
	system TEXT NOT NULL,
	type TEXT NOT NULL,
	id TEXT NOT NULL,
	PRIMARY KEY (value, system, type, id)
) WITHOUT ROWID;
INSERT INTO resource_identifiers_new (value, system, type, id)
SELECT DISTINCT value, system, type, id FROM resource_identifiers;
DROP TABLE resource_identifiers;
ALTER TABLE resource_identifiers_new RENAME TO resource_identifiers;

-- Every facade search names its type, so the index across types is
-- never used; each resource written paid for it.
DROP INDEX resources_updated;
