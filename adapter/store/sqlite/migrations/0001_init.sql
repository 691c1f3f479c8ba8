-- ivbridge store schema, SQLite dialect. Times are int64 microseconds since
-- the Unix epoch (UTC); booleans are 0/1.

CREATE TABLE records (
	kind TEXT NOT NULL,
	id TEXT NOT NULL,
	version INTEGER NOT NULL,
	patient_id TEXT NOT NULL DEFAULT '',
	body BLOB NOT NULL,
	origin TEXT NOT NULL,
	seq INTEGER NOT NULL,
	updated_us INTEGER NOT NULL,
	PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX records_seq ON records (seq);
CREATE INDEX records_kind_seq ON records (kind, seq);
CREATE INDEX records_kind_patient_seq ON records (kind, patient_id, seq);

CREATE TABLE resources (
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
) WITHOUT ROWID;
CREATE INDEX resources_type_updated ON resources (type, last_updated_us, id);
CREATE INDEX resources_updated ON resources (last_updated_us, type, id);
CREATE INDEX resources_type_patient ON resources (type, patient_id, last_updated_us, id);
CREATE INDEX resources_source ON resources (source_kind, source_id, ord);

CREATE TABLE resource_versions (
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
) WITHOUT ROWID;

CREATE TABLE resource_identifiers (
	type TEXT NOT NULL,
	id TEXT NOT NULL,
	system TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (type, id, system, value)
) WITHOUT ROWID;
CREATE INDEX resource_identifiers_value ON resource_identifiers (value, system);

CREATE TABLE outbox (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL,
	record_id TEXT NOT NULL,
	version INTEGER NOT NULL,
	patient_id TEXT NOT NULL DEFAULT '',
	grp TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_try_us INTEGER NOT NULL,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until_us INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_us INTEGER NOT NULL,
	done_us INTEGER NOT NULL DEFAULT 0,
	FOREIGN KEY (kind, record_id) REFERENCES records (kind, id)
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE state = 'pending';
CREATE INDEX outbox_grp_open ON outbox (grp, seq) WHERE state IN ('pending', 'dead');
CREATE INDEX outbox_done ON outbox (done_us) WHERE state = 'done';

CREATE TABLE dead_letters (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	seq INTEGER NOT NULL DEFAULT 0,
	kind TEXT NOT NULL,
	record_id TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 0,
	patient_id TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL,
	outcome BLOB NOT NULL,
	payload BLOB NOT NULL,
	created_us INTEGER NOT NULL
);

CREATE TABLE sync_state (
	kind TEXT NOT NULL,
	id TEXT NOT NULL,
	synced_version INTEGER NOT NULL DEFAULT 0,
	deliveries TEXT NOT NULL DEFAULT '[]',
	last_attempt_us INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (kind, id),
	FOREIGN KEY (kind, id) REFERENCES records (kind, id)
) WITHOUT ROWID;

CREATE TABLE watermarks (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
