-- A resource's version goes to resource_versions when it is replaced, by
-- trigger: the row copied is exactly the one the update replaces, under
-- its row lock, so racing writers can neither skip nor duplicate a
-- version, and the write path needs no statement of its own for it.
-- resource_versions keeps every version but the current one; the copies
-- of current versions earlier builds made go.

CREATE FUNCTION resources_history() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
	INSERT INTO resource_versions (type, id, version_id, last_updated_us, patient_id, status, date,
		identifiers, refs, body, deleted, source_kind, source_id)
	VALUES (OLD.type, OLD.id, OLD.version_id, OLD.last_updated_us, OLD.patient_id, OLD.status, OLD.date,
		OLD.identifiers, OLD.refs, OLD.body, OLD.deleted, OLD.source_kind, OLD.source_id)
	ON CONFLICT DO NOTHING;
	RETURN NEW;
END
$$;

CREATE TRIGGER resources_history BEFORE UPDATE OF version_id ON resources
FOR EACH ROW WHEN (NEW.version_id <> OLD.version_id)
EXECUTE FUNCTION resources_history();

DELETE FROM resource_versions v USING resources r
WHERE r.type = v.type AND r.id = v.id AND r.version_id = v.version_id;
