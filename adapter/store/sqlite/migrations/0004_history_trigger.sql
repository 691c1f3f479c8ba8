-- A resource's version goes to resource_versions when it is replaced, by
-- trigger: the row copied is exactly the one the update replaces, so the
-- write path needs no statement (and no prior read) of its own for it.
-- resource_versions keeps every version but the current one.

CREATE TRIGGER resources_history BEFORE UPDATE OF version_id ON resources
WHEN NEW.version_id <> OLD.version_id
BEGIN
	INSERT INTO resource_versions (type, id, version_id, last_updated_us, patient_id, status, date,
		identifiers, refs, body, deleted, source_kind, source_id)
	VALUES (OLD.type, OLD.id, OLD.version_id, OLD.last_updated_us, OLD.patient_id, OLD.status, OLD.date,
		OLD.identifiers, OLD.refs, OLD.body, OLD.deleted, OLD.source_kind, OLD.source_id)
	ON CONFLICT DO NOTHING;
END;
