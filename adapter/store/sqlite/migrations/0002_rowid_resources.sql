-- resources and resource_versions become rowid tables (same columns,
-- keys, constraints and indexes).
--
-- Their rows carry whole FHIR resources, often 1-3 KiB. In a WITHOUT ROWID
-- table a row stores at most about a quarter of a page inline and spills
-- the rest to an overflow page of its own, and rows land at random places
-- of the (type, id) key: every resource written dirtied a leaf and an
-- overflow page in each table, and leaves holding a handful of rows split
-- often. A rowid table keeps a row of up to a page inline and appends new
-- rows, so the resources of one write (and of one group commit) share
-- pages; the (type, id) key becomes a small index. This roughly halves the
-- pages, hence the WAL frames, a record write commits.

CREATE TABLE resources_new (
	type TEXT NOT NULL,
	id TEXT NOT NULL,
	version_id INTEGER NOT NULL,
	last_updated_us INTEGER NOT NULL,
	patient_id TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT '',
	date TEXT NOT NULL DEFAULT '',
	date_start_us INTEGER,
	date_end_us INTEGER,
	identifiers TEXT NOT NULL DEFAULT '[]',
	refs TEXT NOT NULL DEFAULT '{}',
	body BLOB NOT NULL,
	deleted INTEGER NOT NULL DEFAULT 0,
	source_kind TEXT NOT NULL,
	source_id TEXT NOT NULL,
	ord INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (type, id),
	FOREIGN KEY (source_kind, source_id) REFERENCES records (kind, id)
);
INSERT INTO resources_new (type, id, version_id, last_updated_us, patient_id, status, date, date_start_us,
	date_end_us, identifiers, refs, body, deleted, source_kind, source_id, ord)
SELECT type, id, version_id, last_updated_us, patient_id, status, date, date_start_us,
	date_end_us, identifiers, refs, body, deleted, source_kind, source_id, ord
FROM resources ORDER BY last_updated_us, type, id;
DROP TABLE resources;
ALTER TABLE resources_new RENAME TO resources;
CREATE INDEX resources_type_updated ON resources (type, last_updated_us, id);
CREATE INDEX resources_updated ON resources (last_updated_us, type, id);
CREATE INDEX resources_type_patient ON resources (type, patient_id, last_updated_us, id);
CREATE INDEX resources_source ON resources (source_kind, source_id, ord);

CREATE TABLE resource_versions_new (
	type TEXT NOT NULL,
	id TEXT NOT NULL,
	version_id INTEGER NOT NULL,
	last_updated_us INTEGER NOT NULL,
	patient_id TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT '',
	date TEXT NOT NULL DEFAULT '',
	identifiers TEXT NOT NULL DEFAULT '[]',
	refs TEXT NOT NULL DEFAULT '{}',
	body BLOB NOT NULL,
	deleted INTEGER NOT NULL DEFAULT 0,
	source_kind TEXT NOT NULL,
	source_id TEXT NOT NULL,
	PRIMARY KEY (type, id, version_id)
);
INSERT INTO resource_versions_new (type, id, version_id, last_updated_us, patient_id, status, date,
	identifiers, refs, body, deleted, source_kind, source_id)
SELECT type, id, version_id, last_updated_us, patient_id, status, date,
	identifiers, refs, body, deleted, source_kind, source_id
FROM resource_versions ORDER BY last_updated_us, type, id, version_id;
DROP TABLE resource_versions;
ALTER TABLE resource_versions_new RENAME TO resource_versions;
